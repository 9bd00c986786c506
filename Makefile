# make book : build the website, every chapter in full  -> _build/stage/_build/html/index.html
# make test : everything CI runs (ruff, unit tests, every chapter in smoke mode, the site)
# make smoke: the book pipeline in smoke mode into _build/ (quick look, or before refresh-reference)
# make lab  : JupyterLab on chapters/ with the book's kernel (installs requirements-lab.txt once)
# Each bootstraps .venv from requirements.txt first (needs only python3 and make).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
JOBS   ?= 2

.PHONY: help book test smoke lab clean
help:
	@echo "make book   build the website (every chapter, full mode)"
	@echo "make test   run everything CI runs"
	@echo "make lab    open the chapters in JupyterLab (kernel: Python 3 (initlab))"

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (initlab)"
	touch $@

book: $(VENV)/.installed
	$(PY) -m initlab.book all --mode full --jobs $(JOBS)
	@echo "The book: file://$(CURDIR)/_build/stage/_build/html/index.html"

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(VENV)/bin/pytest

$(VENV)/.lab: $(VENV)/.installed requirements-lab.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-lab.txt
	touch $@

lab: $(VENV)/.lab
	OPENBLAS_NUM_THREADS=1 $(VENV)/bin/jupyter lab --notebook-dir=chapters \
		$(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

smoke: $(VENV)/.installed
	$(PY) -m initlab.book all --mode smoke --jobs $(JOBS)

clean:
	rm -rf _build
