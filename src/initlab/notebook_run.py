"""Run one chapter notebook with papermill, and say how many cores it takes while it runs.

Why: :mod:`initlab.book` executes every chapter, several side by side. What one run needs is
here: the chapter's settings in smoke mode (:func:`settings_overrides`), the kernel's
environment (one BLAS thread), the cleanup of papermill's injected cell, a readable error, and
the cores a chapter occupies (:func:`cores`: its ``n_jobs`` setting, since a chapter with
``n_jobs = 2`` starts two sweep workers), so that the book never runs more worker processes
than it has cores.

Settings: each chapter's ``parameters`` cell is its visible settings cell (the full run). Smoke
mode overrides some of them from ONE place, the notebook's metadata ``initlab.smoke``;
papermill injects those values after the settings cell, and that injected cell is removed from
the page (tag ``remove-cell``).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from initlab import results

KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_N_JOBS = re.compile(r"^n_jobs\s*=\s*(\d+)\b", re.M)


@dataclass
class Run:
    """Outcome of one notebook: ``status`` is "ok" or "failed"; ``error`` says why."""

    name: str
    status: str
    seconds: float
    error: str = ""


def _tag(cell: dict, tag: str) -> None:
    tags = cell.setdefault("metadata", {}).setdefault("tags", [])
    if tag not in tags:
        tags.append(tag)


def _parameters_source(nb: dict) -> str:
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"
             and "parameters" in c.get("metadata", {}).get("tags", [])]
    return "".join(cells[0]["source"]) if cells else ""


def settings_overrides(path: Path, mode: str) -> dict:
    """The values smoke mode gives the notebook's settings (``{}`` in full mode).

    They live in one place per chapter, the notebook's metadata ``initlab.smoke`` (a mapping
    of setting name -> value), and papermill injects them after the chapter's ``parameters``
    cell, so the visible settings cell shows the full run and CI runs the quick one. Every
    name must be a setting of that cell (a ValueError names the stray one).
    """
    if mode not in results.MODES:
        raise ValueError(f"`mode` must be one of {results.MODES}, got {mode!r}")
    nb = json.loads(Path(path).read_text())
    overrides = nb.get("metadata", {}).get("initlab", {}).get("smoke", {})
    if not isinstance(overrides, dict):
        raise ValueError(f"{path}: metadata initlab.smoke must be a mapping, got {overrides!r}")
    source = _parameters_source(nb)
    stray = [k for k in overrides if not re.search(rf"^{re.escape(k)}\s*=", source, re.M)]
    if stray:
        raise ValueError(f"{Path(path).name}: metadata initlab.smoke sets {stray}, which the "
                         "`parameters` cell does not define")
    return dict(overrides) if mode == "smoke" else {}


def cores(path: Path, mode: str) -> int:
    """How many processes the chapter keeps busy in ``mode``: its ``n_jobs`` setting, else 1.

    A chapter whose settings say ``n_jobs = 2`` runs its sweep in two worker processes; run
    next to another chapter on two cores, it gets half of what its settings ask for (chapter
    17 went from 101 s alone to 190 s beside chapter 18). The value is the literal integer of
    the ``parameters`` cell, or the smoke override; anything else counts as 1.
    """
    value = settings_overrides(path, mode).get("n_jobs")
    if value is None:
        found = _N_JOBS.search(_parameters_source(json.loads(Path(path).read_text())))
        value = int(found.group(1)) if found else 1
    if not isinstance(value, int) or isinstance(value, bool):
        return 1
    return max(1, value)


def _retag(path: Path, drop: bool = False) -> None:
    """Tag papermill's injected cell remove-cell (after running), or ``drop`` it (before).

    The chapter's ``parameters`` cell is the page's visible settings; the injected one only
    carries smoke-mode overrides. A notebook executed before (in place) still holds the last
    run's injected cell, and papermill injects nothing when there is nothing to override (full
    mode): so it is dropped first, or a full run would silently reuse smoke values.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    injected = [c for c in nb.cells
                if "injected-parameters" in c.get("metadata", {}).get("tags", [])]
    for cell in injected:
        if drop:
            nb.cells.remove(cell)
        else:
            _tag(cell, "remove-cell")
    for key in ("input_path", "output_path"):  # the downloadable notebook names no build path
        nb.metadata.get("papermill", {}).pop(key, None)
    nbformat.write(nb, path)


def _describe(exc: Exception) -> str:
    """The failing cell and its error, ANSI colours stripped, last 25 traceback lines."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        tb = _ANSI.sub("", "\n".join(exc.traceback)).splitlines()[-25:]
        return (f"cell In [{exc.exec_count}] raised {exc.ename}: {exc.evalue}\n"
                + "\n".join("    " + line for line in tb))
    return f"{type(exc).__name__}: {exc}"


def run_notebook(path: str, results_dir: str, smoke: bool) -> Run:
    """Run one notebook in place with papermill (in a worker process, kernel env set here)."""
    import papermill

    os.environ.pop("MPLBACKEND", None)
    os.environ.update(KERNEL_ENV)
    mode = "smoke" if smoke else "full"
    # where and in which mode the notebook records: the environment, not the notebook
    os.environ.update({results.RESULTS_DIR_ENV: results_dir, results.MODE_ENV: mode})
    nb = Path(path)
    (Path(results_dir) / f"{nb.stem}.json").unlink(missing_ok=True)  # no stale results
    _retag(nb, drop=True)  # no stale settings either
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            nb, nb, parameters=settings_overrides(nb, mode),
            kernel_name="python3", cwd=nb.parent, progress_bar=False, log_output=False)
        run = Run(nb.stem, "ok", time.perf_counter() - start)
    except Exception as exc:  # report every failure with the notebook's name, never hang
        run = Run(nb.stem, "failed", time.perf_counter() - start, _describe(exc))
    if nb.exists():
        _retag(nb)
    return run


def check_kernel() -> None:
    """Fail early if the ``python3`` kernel would not run this interpreter (this venv)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        raise RuntimeError(
            "no 'python3' kernel: run `make .venv/.installed` or "
            f"{sys.executable} -m ipykernel install --sys-prefix --name python3") from None
    exe = spec.argv[0]
    if exe not in ("python", "python3") and Path(exe).absolute().parent != Path(
            sys.executable).absolute().parent:
        raise RuntimeError(
            f"the 'python3' kernel ({spec.resource_dir}) runs {exe}, not this venv's "
            f"{sys.executable}: run {sys.executable} -m ipykernel install --sys-prefix "
            "--name python3, and remove the other kernelspec if it still shadows it")
