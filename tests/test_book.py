"""initlab.book end to end on a throwaway two-chapter book made in a temporary folder.

One `all --mode smoke --jobs 2` run (module fixture, ~15 s) serves most tests: chapter
01_tiny records values and draws figures; 02_broken raises in a cell and is not in the table
of contents. MPLBACKEND=Agg is set in the parent environment on purpose: book must strip it,
or the figures would silently vanish.
"""

import contextlib
import io
import json
import os
import re
import shutil
from pathlib import Path
from unittest import mock

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from initlab import book, notebook_run, results

ROOT = Path(__file__).resolve().parents[1]

PARAMETERS = "seed = 0\nscale = 1.0"
SMOKE = {"scale": 0.5}  # the notebook's one place for smoke-mode values
TINY_CODE = """\
import os
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from initlab import plotting, results

results.init_chapter("01_tiny")
plotting.setup()
results.record("answer", np.float64(0.25) * scale)
results.record("backend", matplotlib.get_backend())
results.record("blas_threads", os.environ.get("OPENBLAS_NUM_THREADS", "unset"))
fig, ax = plt.subplots()
plotting.curves_with_band(ax, np.arange(3), np.array([[0.0, 1, 2], [1, 2, 3]]), label="x")
plt.show()
fig, ax = plt.subplots()
ax.plot([0, 1], [1, 0])
plt.show()
"""
TINY_REFERENCE = {
    "chapter": "01_tiny",
    "claims": {"answer": {"min": 0.1, "max": 0.3, "why": "1/8 in smoke, 1/4 in full"},
               "blas_threads": {"equals": "1", "why": "book runs every kernel with one thread"}},
    "snapshots": {"smoke": {"backend": {"value": "module://matplotlib_inline.backend_inline"}}},
}
TOC = "format: jb-book\nroot: intro\nparts:\n  - caption: Core\n    numbered: true\n" \
      "    chapters:\n      - file: chapters/01_tiny\n"
INTRO = """# Tiny book

<!-- headline-start -->
| Chapter | Result |
|---|---|
| [tiny](chapters/01_tiny.ipynb) | {glue:text}`chapters/01_tiny.ipynb::answer:.2f` |
| broken | {glue:text}`chapters/02_broken.ipynb::nothing` |
<!-- headline-end -->
"""


def notebook(*cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
                             *cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["initlab"] = {"smoke": SMOKE}
    return nb


def make_book(root: Path) -> Path:
    """A minimal repository: the real _config.yml and references.bib, two chapters."""
    (root / "chapters").mkdir(parents=True)
    (root / "data" / "reference").mkdir(parents=True)
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, root / name)
    (root / "_toc.yml").write_text(TOC)
    (root / "intro.md").write_text(INTRO)
    nbformat.write(notebook(new_markdown_cell("# Tiny chapter"), new_code_cell(TINY_CODE),
                            new_markdown_cell("The answer is {glue:text}`answer:.3f`.")),
                   root / "chapters" / "01_tiny.ipynb")
    nbformat.write(notebook(new_code_cell('raise ValueError("boom-42 in the broken chapter")')),
                   root / "chapters" / "02_broken.ipynb")
    (root / "data" / "reference" / "01_tiny.json").write_text(json.dumps(TINY_REFERENCE))
    return root


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny book after `all --mode smoke --jobs 2`: (root, exit status, printed text)."""
    root = make_book(tmp_path_factory.mktemp("tinybook"))
    out = io.StringIO()
    with mock.patch.dict(os.environ, {"MPLBACKEND": "Agg"}), contextlib.redirect_stdout(out):
        status = book.main(["--root", str(root), "all", "--mode", "smoke", "--jobs", "2"])
    print(out.getvalue())
    return root, status, out.getvalue()


def executed(root: Path, name: str) -> nbformat.NotebookNode:
    return nbformat.read(root / "_build" / "stage" / "chapters" / f"{name}.ipynb", as_version=4)


def test_all_fails_names_the_notebook_and_its_error_and_still_builds(tiny):
    root, status, out = tiny
    assert status == 1
    assert re.search(r"FAILED 02_broken: cell In \[\d+\] raised ValueError: boom-42 in the broken "
                     r"chapter\n[\s\S]*Traceback", out)
    assert "ok     01_tiny" in out
    assert "02_broken: no results" in out  # check ran, and reports the failed chapter too
    assert "build: site at" in out  # build ran although execute and check failed
    assert "all: FAILED (1 notebook(s) failed ['02_broken'], 1 check problem(s), build ok)" in out


def test_execute_writes_results_and_timings(tiny):
    root = tiny[0]
    res = results.load(root / "_build" / "results" / "smoke" / "01_tiny.json")
    assert res["mode"] == "smoke" and res["values"]["answer"] == 0.125
    assert res["values"]["blas_threads"] == "1"
    assert results.compare(res, TINY_REFERENCE, "smoke") == []
    timings = json.loads((root / "_build" / "results" / "smoke" / "timings.json").read_text())
    assert timings["01_tiny"]["status"] == "ok" and timings["02_broken"]["status"] == "failed"
    assert all(t["seconds"] > 0 for t in timings.values())


def test_mplbackend_is_stripped_so_figures_reach_the_notebook(tiny):
    nb = executed(tiny[0], "01_tiny")
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if "image/png" in o.get("data", {})]
    assert len(images) == 2


def test_settings_cell_is_shown_and_smoke_overrides_are_injected_out_of_sight(tiny):
    root = tiny[0]
    cells = executed(root, "01_tiny").cells
    injected = [c for c in cells if "injected-parameters" in c.metadata.get("tags", [])]
    parameters = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and len(parameters) == 1
    assert "remove-cell" in injected[0].metadata.tags
    assert "remove-cell" not in parameters[0].metadata.get("tags", [])
    assert "scale = 0.5" in injected[0].source
    assert str(root) not in injected[0].source  # no build-machine path in the notebook
    page = (root / "_build" / "stage" / "_build" / "html" / "chapters" / "01_tiny.html")
    html = page.read_text()
    assert "scale = 0.5" not in html and str(root) not in html
    assert re.search(r"scale.*=.*1\.0", html)  # the visible settings: the full run's
    assert '<span class="pasted-text">0.125</span>' in html


def test_settings_overrides_name_a_stray_setting(tmp_path):
    path = tmp_path / "01_x.ipynb"
    nb = notebook()
    nbformat.write(nb, path)
    assert notebook_run.settings_overrides(path, "smoke") == SMOKE
    assert notebook_run.settings_overrides(path, "full") == {}
    nb.metadata["initlab"] = {"smoke": {"width": 8}}
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="width"):
        notebook_run.settings_overrides(path, "smoke")


def test_init_chapter_takes_dir_and_mode_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_DIR_ENV, str(tmp_path / "r"))
    monkeypatch.setenv(results.MODE_ENV, "smoke")
    results.init_chapter("01_env")
    assert results.load(tmp_path / "r" / "01_env.json")["mode"] == "smoke"
    monkeypatch.setenv(results.MODE_ENV, "fast")
    with pytest.raises(ValueError, match="fast"):
        results.init_chapter("01_env")
    monkeypatch.delenv(results.MODE_ENV)
    monkeypatch.delenv(results.RESULTS_DIR_ENV)
    monkeypatch.chdir(tmp_path)
    results.init_chapter("01_env")
    assert results.load(tmp_path / "results" / "01_env.json")["mode"] == "full"


def test_stage_drops_headline_rows_of_chapters_not_in_the_toc(tiny):
    root = tiny[0]
    staged = (root / "_build" / "stage" / "intro.md").read_text()
    assert "01_tiny.ipynb::answer" in staged and "02_broken" not in staged
    html = (root / "_build" / "stage" / "_build" / "html" / "intro.html").read_text()
    assert '<span class="pasted-text">0.12</span>' in html


def test_stage_is_fresh_each_time(tmp_path):
    root = make_book(tmp_path / "repo")
    stage_dir = tmp_path / "stage"
    (stage_dir / "chapters").mkdir(parents=True)
    (stage_dir / "chapters" / "stale.ipynb").write_text("{}")
    book.stage(root, stage_dir)
    assert sorted(p.name for p in stage_dir.iterdir()) == [
        "_config.yml", "_toc.yml", "chapters", "intro.md", "references.bib"]
    assert sorted(p.name for p in (stage_dir / "chapters").iterdir()) == [
        "01_tiny.ipynb", "02_broken.ipynb"]
    (root / "references.bib").unlink()
    with pytest.raises(FileNotFoundError, match="references.bib"):
        book.stage(root, stage_dir)


def test_only_names_must_exist(tmp_path):
    root = make_book(tmp_path)
    assert [p.stem for p in book.notebooks(root / "chapters", ["02_broken"])] == ["02_broken"]
    with pytest.raises(ValueError, match=r"\['03_nope'\].*01_tiny"):
        book.notebooks(root / "chapters", ["03_nope"])


def test_check_requires_a_reference_per_notebook(tmp_path, capsys):
    root = make_book(tmp_path)
    results_dir = tmp_path / "res"
    for name in ("01_tiny", "02_broken"):
        results.init_chapter(name, results_dir, smoke=True)
    results.record("extra", 1.0)
    lines = book.check(root, results_dir, "smoke")
    assert any(line.startswith("02_broken: no reference file") for line in lines)
    assert "01_tiny answer: expected 0.1 <= x <= 0.3, got missing" in capsys.readouterr().out


def test_refresh_reference_command(tmp_path, capsys):
    root = make_book(tmp_path)
    ref_path = root / "data" / "reference" / "01_tiny.json"
    claims_before = json.dumps(json.loads(ref_path.read_text())["claims"])
    results.init_chapter("01_tiny", root / "_build" / "results" / "smoke", smoke=True)
    results.record("answer", 0.125)
    results.record("blas_threads", "1")
    assert book.main(["--root", str(root), "refresh-reference", "01_tiny"]) == 0
    out = capsys.readouterr().out
    assert "+ answer: 0.125 (new, rtol 1e-06)" in out and "- backend: no longer recorded" in out
    ref = json.loads(ref_path.read_text())
    assert json.dumps(ref["claims"]) == claims_before
    assert ref["snapshots"]["smoke"]["answer"] == {"value": 0.125, "rtol": 1e-6}
    assert book.main(["--root", str(root), "refresh-reference", "02_broken"]) == 2
    assert "no results" in capsys.readouterr().err


def test_main_needs_a_book_root(tmp_path):
    with pytest.raises(SystemExit):
        book.main(["--root", str(tmp_path), "stage"])


def test_a_full_run_after_a_smoke_run_uses_the_full_settings(tiny):
    """execute in place twice: the smoke run's injected values must not leak into full."""
    root = tiny[0]
    runs = book.execute(root / "_build" / "stage", root / "_build" / "results" / "full", "full",
                        only=["01_tiny"])
    assert runs[0].status == "ok", runs[0].error
    res = results.load(root / "_build" / "results" / "full" / "01_tiny.json")
    assert res["mode"] == "full" and res["values"]["answer"] == 0.25
    cells = executed(root, "01_tiny").cells
    assert not [c for c in cells if "injected-parameters" in c.metadata.get("tags", [])]


def test_the_executed_notebook_names_no_path_of_the_build_machine(tiny):
    root = tiny[0]
    text = (root / "_build" / "stage" / "chapters" / "01_tiny.ipynb").read_text()
    assert str(root) not in text and "/_build/" not in text


def test_cores_is_the_chapters_n_jobs_setting_in_each_mode(tmp_path):
    path = tmp_path / "01_x.ipynb"
    nb = notebook()
    nbformat.write(nb, path)
    assert notebook_run.cores(path, "full") == 1  # no n_jobs: one process
    nb.cells[0].source = PARAMETERS + "\nn_jobs = 2   # worker processes"
    nb.metadata["initlab"] = {"smoke": {"scale": 0.5, "n_jobs": 1}}
    nbformat.write(nb, path)
    assert notebook_run.cores(path, "full") == 2
    assert notebook_run.cores(path, "smoke") == 1


SPAN_CODE = """\
import json, os, time
start = time.time()
time.sleep(1.5)
with open(os.path.join(os.environ["INITLAB_RESULTS_DIR"], "{name}.span"), "w") as f:
    json.dump([start, time.time()], f)
"""


def test_execute_runs_a_two_worker_chapter_alone_on_two_cores(tmp_path):
    """Three chapters on 2 cores: the one with n_jobs = 2 overlaps neither of the others,
    while the two one-process chapters run side by side."""
    chapters = tmp_path / "stage" / "chapters"
    chapters.mkdir(parents=True)
    for name, n_jobs in (("01_a", 1), ("02_b", 2), ("03_c", 1)):
        nb = notebook(new_code_cell(SPAN_CODE.format(name=name)))
        nb.cells[0].source = PARAMETERS + f"\nn_jobs = {n_jobs}"
        nbformat.write(nb, chapters / f"{name}.ipynb")
    results_dir = tmp_path / "results"
    with mock.patch.dict(os.environ, {"MPLBACKEND": "Agg"}):
        runs = book.execute(tmp_path / "stage", results_dir, "full", jobs=2)
    assert [r.status for r in runs] == ["ok"] * 3, [r.error for r in runs]
    span = {n: json.loads((results_dir / f"{n}.span").read_text())
            for n in ("01_a", "02_b", "03_c")}

    def overlap(a: str, b: str) -> bool:
        return span[a][0] < span[b][1] and span[b][0] < span[a][1]

    assert not overlap("02_b", "01_a") and not overlap("02_b", "03_c")
    assert overlap("01_a", "03_c")
    with pytest.raises(ValueError, match="jobs.*0"):
        book.execute(tmp_path / "stage", results_dir, "full", jobs=0)
