"""Every chapter of the repository: committed clean, executed in smoke mode, checked.

The session fixture ``smoke_run`` (conftest.py) stages the book and runs every notebook in
``chapters/`` with papermill, two at a time; each chapter then gets its own test that fails
with the notebook's error or with the mismatch lines (``chapter key: expected ..., got ...``).
"""

import json
import re
from pathlib import Path

import pytest

from initlab import book, notebook_run, results

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = [p.stem for p in book.notebooks(ROOT / "chapters")]


def test_toc_lists_only_existing_files():
    missing = [f for f in book.toc_files(ROOT)
               if not any((ROOT / f"{f}{ext}").exists() for ext in (".md", ".ipynb"))]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_every_toc_chapter_is_a_chapter_notebook_or_page():
    for f in book.toc_files(ROOT)[1:]:
        assert f.startswith("chapters/"), f"{f}: chapters live in chapters/"


@pytest.mark.parametrize("name", CHAPTERS)
def test_committed_notebook_is_clean(name):
    nb = json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    dirty = [i for i, c in enumerate(code) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, (f"{name}: code cells {dirty} carry outputs or execution counts; clear "
                       "them before committing (Jupyter: Edit > Clear Outputs of All Cells)")
    params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, f"{name}: needs exactly one cell tagged `parameters` (its settings)"
    settings = "".join(params[0]["source"])
    assert "seed =" in settings, f"{name}: the settings must name the `seed`"
    for var in ("smoke", "results_dir"):  # the book sets these through the environment
        assert f"{var} =" not in settings, f"{name}: `{var}` is not a setting of the chapter"
    # raises on a stray name
    notebook_run.settings_overrides(ROOT / "chapters" / f"{name}.ipynb", "smoke")


@pytest.mark.parametrize("name", CHAPTERS)
def test_the_page_shows_its_code(name):
    """The imports are visible, and every experiment call has its source one click away."""
    nb = json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text())
    hidden = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and {
        "remove-input", "remove-cell", "hide-input"} & set(c.get("metadata", {}).get("tags", []))]
    assert not hidden, f"{name}: code cells {hidden} are hidden from the reader"
    text = "\n".join("".join(c["source"]) for c in nb["cells"])
    module = re.search(r"^from initlab\.experiments import (\w+)$", text, re.M)
    assert module, f"{name}: no `from initlab.experiments import <chapter module>` line"
    assert module.group(1) == name.split("_", 1)[1], (
        f"{name}: its module should be named like the notebook, got {module.group(1)}")
    calls = set(re.findall(rf"\b{module.group(1)}\.(\w+)\(", text))
    shown = set(re.findall(r":pyobject: (\w+)", text))
    experiments = {c for c in calls  # figures and tables only draw what an experiment returned
                   if not c.startswith("plot_") and not c.endswith(("_table", "_frame"))}
    missing = sorted(experiments - shown)
    assert not missing, f"{name}: experiment calls without a source dropdown: {missing}"


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_runs_and_matches_its_reference(name, smoke_run):
    run = smoke_run.runs[name]
    assert run.status == "ok", f"{name} failed after {run.seconds:.1f} s:\n{run.error}"
    res_path = smoke_run.results_dir / f"{name}.json"
    assert res_path.exists(), (f"{name} recorded nothing: call results.init_chapter("
                               f"{name!r}, results_dir, smoke) in its first code cell")
    ref_path = ROOT / "data" / "reference" / f"{name}.json"
    assert ref_path.exists(), (f"{name}: no reference {ref_path}; create it with python -m "
                               f"initlab.book --build-dir _build/test refresh-reference {name}, "
                               "then add the claims")
    mismatches = results.compare(results.load(res_path), results.load(ref_path), "smoke")
    assert not mismatches, "\n".join(str(m) for m in mismatches)


def test_a_downloaded_notebook_runs_anywhere(smoke_run, tmp_path, monkeypatch):
    """The page's notebook (as executed for the site), saved outside the checkout, runs top to
    bottom in a fresh kernel with the reader's defaults (no book environment), at the smoke
    settings a reader could type in."""
    import papermill

    name = "12_edge_of_chaos"
    downloaded = tmp_path / "downloads" / f"{name}.ipynb"
    downloaded.parent.mkdir()
    downloaded.write_text((smoke_run.stage_dir / "chapters" / f"{name}.ipynb").read_text())
    assert str(ROOT) not in downloaded.read_text(), "the notebook names a path of the checkout"
    for var in ("INITLAB_RESULTS_DIR", "INITLAB_MODE", "MPLBACKEND"):
        monkeypatch.delenv(var, raising=False)
    papermill.execute_notebook(downloaded, tmp_path / "ran.ipynb", cwd=downloaded.parent,
                               parameters=notebook_run.settings_overrides(downloaded, "smoke"),
                               kernel_name="python3", progress_bar=False)
    recorded = results.load(downloaded.parent / "results" / f"{name}.json")
    assert recorded["mode"] == "full" and len(recorded["values"]) > 10


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_figure_is_numbered_and_captioned(name):
    """Figures go through plotting.figure (which checks they fit the text column) into a
    {glue:figure} with a name (for {numref}), an alt text and a caption."""
    nb = json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "plotting.show(" not in code and "plt.show(" not in code, (
        f"{name}: a figure is shown without a number; use plotting.figure(key, fig)")
    blocks = re.findall(r":::\{glue:figure\} (\w+)\n(.*?):::", text, re.S)
    assert blocks, f"{name}: no numbered figure"
    for key, body in blocks:
        assert ":name:" in body and ":alt:" in body, f"{name}: {key} needs :name: and :alt:"
        caption = [line for line in body.splitlines() if line.strip() and not line.startswith(":")]
        assert caption, f"{name}: {key} has no caption"


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_ends_with_exercises_whose_answers_are_glued(name):
    """Issue 12: two or three "predict, then run" exercises before the references, each with a
    code cell the reader edits and a collapsed answer quoting numbers of the run (glued)."""
    cells = json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text())["cells"]
    text = ["".join(c["source"]) for c in cells]
    start = next((i for i, t in enumerate(text) if re.search(r"^## Predict, then run", t, re.M)),
                 None)
    assert start is not None, f"{name}: no '## Predict, then run' section"
    end = next(i for i, t in enumerate(text) if re.search(r"^## References", t, re.M))
    section = cells[start:end]
    answers = re.findall(r":::\{dropdown\} Answer.*?\n:::", "\n".join(text[start:end]), re.S)
    assert 2 <= len(answers) <= 3, f"{name}: {len(answers)} answers"
    assert all("{glue:text}" in a for a in answers), f"{name}: an answer quotes no glued number"
    runs = [c for c in section if c["cell_type"] == "code" and "record_all" in "".join(c["source"])]
    assert len(runs) >= len(answers), f"{name}: fewer exercise runs than answers"
