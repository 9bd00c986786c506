"""The book's command line: stage, execute, check, build (``python -m initlab.book ...``).

Why: the site and CI must run the same pipeline. papermill executes every chapter (Jupyter
Book's own execution is off, ``execute_notebooks: "off"``), each notebook records its numbers
with :mod:`initlab.results`, ``check`` compares them with ``data/reference/``, and Jupyter Book
renders the executed notebooks with ``-W`` so a missing glue key or citation fails the build.

    stage    copy the book sources into _build/stage/ (fresh each time; --build-dir moves
             _build, as the tests do: _build/test)
    execute  papermill each staged chapter in place (--mode smoke|full, --jobs N, --only NAME)
             results -> _build/results/<mode>/<chapter>.json, wall times -> .../timings.json
    check    results vs data/reference/<chapter>.json, one line per mismatch
    build    jupyter-book build _build/stage -W --keep-going -> _build/stage/_build/html
    all      stage, execute, check, build (build even when check failed; --only skips build)
    refresh-reference CHAPTER [--mode M]   rewrite that mode's snapshots from the last results

Kernel environment of every notebook (:mod:`initlab.notebook_run`): one BLAS/OpenMP thread
(``OPENBLAS_NUM_THREADS=1`` ...: ``--jobs`` is the number of cores, one process each; a chapter
whose settings start two sweep workers takes two of them) and no ``MPLBACKEND`` (``Agg`` there
silently drops every figure from the book). The kernel is the ``python3`` kernelspec, which
must be this venv's (``make`` installs it with ``ipykernel install --sys-prefix``). Where the
notebook records its numbers and in which mode: ``$INITLAB_RESULTS_DIR`` and ``$INITLAB_MODE``
(read by :func:`initlab.results.init_chapter`), so the notebook itself holds no build path.

Settings: each chapter's ``parameters`` cell is its visible settings cell (the full run). Smoke
mode overrides some of them from ONE place, the notebook's metadata ``initlab.smoke``
(:func:`initlab.notebook_run.settings_overrides`); papermill injects those values after the
settings cell, and that injected cell is removed from the page (tag ``remove-cell``).

Headline table of intro.md: decided to use myst-nb 1.x cross-document glue,
``{glue:text}`chapters/NAME.ipynb::key:.3f```, which renders the value the chapter glued. It only
resolves for chapters in the site, so ``stage`` drops the rows (between the ``headline``
markers) that cite a notebook not listed in ``_toc.yml``: a row can be written before its
chapter lands. ``build`` therefore needs executed chapters (after ``execute``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path

from initlab import results
from initlab.notebook_run import Run, check_kernel, cores, run_notebook

SOURCES = ("_config.yml", "_toc.yml", "intro.md", "references.bib", "chapters")
# src/initlab/experiments: the pages show their functions (literalinclude)
OPTIONAL_SOURCES = ("_static", "images", "src/initlab/experiments")
HEADLINE = re.compile(r"(<!-- headline-start -->\n)(.*?)(<!-- headline-end -->)", re.S)
CITED_NOTEBOOK = re.compile(r"(?:\{glue(?::\w+)?\}`|\]\()([^`:()\s]+)\.ipynb")  # glue, link


def toc_files(root: Path) -> list[str]:
    """The ``file:`` entries of ``root/_toc.yml`` (root first), as written (no suffix)."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    found = [toc["root"]]

    def walk(entries: list) -> None:
        for entry in entries or []:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return found


def stage(root: Path, stage_dir: Path) -> Path:
    """Copy the book sources from ``root`` into a fresh ``stage_dir``; return ``stage_dir``."""
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    stage_dir.mkdir(parents=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "results", "_build")
    for name in SOURCES + OPTIONAL_SOURCES:
        src = root / name
        if not src.exists():
            if name in SOURCES:
                raise FileNotFoundError(f"book source {src} is missing")
            continue
        if src.is_dir():
            shutil.copytree(src, stage_dir / name, ignore=ignore)
        else:
            shutil.copy2(src, stage_dir / name)
    intro = stage_dir / "intro.md"
    intro.write_text(_filter_headline(intro.read_text(), set(toc_files(root))))
    return stage_dir


def _filter_headline(text: str, toc: set[str]) -> str:
    """Drop headline-table rows that glue from a notebook not in the table of contents."""
    def keep(line: str) -> bool:
        return all(path in toc for path in CITED_NOTEBOOK.findall(line))

    def rows(m: re.Match) -> str:
        kept = [line for line in m.group(2).splitlines(keepends=True) if keep(line)]
        return m.group(1) + "".join(kept) + m.group(3)

    return HEADLINE.sub(rows, text)


def notebooks(chapters_dir: Path, only: list[str] | None = None) -> list[Path]:
    """``chapters_dir/*.ipynb`` sorted, or the ones named in ``only`` (stems), which must exist."""
    found = sorted(chapters_dir.glob("*.ipynb"))
    if not only:
        return found
    names = {p.stem: p for p in found}
    unknown = [n for n in only if n not in names]
    if unknown:
        raise ValueError(f"no chapter notebook named {unknown} in {chapters_dir}; "
                         f"there are {sorted(names)}")
    return [names[n] for n in only]


def execute(stage_dir: Path, results_dir: Path, mode: str, jobs: int = 1,
            only: list[str] | None = None) -> list[Run]:
    """papermill every staged chapter on ``jobs`` cores; print and return one Run each.

    A chapter takes as many cores as it starts processes (:func:`initlab.notebook_run.cores`,
    at most ``jobs``), and chapters start only while their cores are free: a chapter with two
    sweep workers runs alone on two cores instead of sharing them with another chapter.
    Longest first (the last run's times), so the slowest chapter never starts last; when the
    next one does not fit, a shorter one that fits goes ahead.
    """
    if jobs < 1:
        raise ValueError(f"`jobs` must be at least 1, got {jobs}")
    results_dir = results_dir.absolute()
    results_dir.mkdir(parents=True, exist_ok=True)
    pending = notebooks(stage_dir / "chapters", only)
    check_kernel()
    timings_path = results_dir / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else {}
    pending.sort(key=lambda p: -timings.get(p.stem, {}).get("seconds", 0.0))
    need = {p: min(jobs, cores(p, mode)) for p in pending}
    print(f"execute: {len(pending)} notebook(s), mode {mode}, on {jobs} core(s)", flush=True)
    runs: list[Run] = []
    running: dict = {}  # future -> path
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        while pending or running:
            free = jobs - sum(need[p] for p in running.values())
            fits = [p for p in pending if need[p] <= free]
            if fits:
                pending.remove(fits[0])
                running[pool.submit(run_notebook, str(fits[0]), str(results_dir),
                                    mode == "smoke")] = fits[0]
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                del running[future]
                runs.append(run := future.result())
                print(f"  {run.status:<7}{run.name:<32}{run.seconds:8.1f} s", flush=True)
    for run in runs:
        if run.status != "ok":
            print(f"FAILED {run.name}: {run.error}", flush=True)
    timings.update({r.name: {"seconds": round(r.seconds, 2), "status": r.status} for r in runs})
    timings_path.write_text(json.dumps(dict(sorted(timings.items())), indent=2) + "\n")
    return sorted(runs, key=lambda r: r.name)


def check(root: Path, results_dir: Path, mode: str, only: list[str] | None = None) -> list[str]:
    """One line per problem for every chapter notebook of ``root`` (or ``only``); printed."""
    lines: list[str] = []
    names = [p.stem for p in notebooks(root / "chapters", only)]
    for name in names:
        ref_path = root / "data" / "reference" / f"{name}.json"
        res_path = results_dir / f"{name}.json"
        if not res_path.exists():
            lines.append(f"{name}: no results {res_path} (did it run, and call "
                         f"results.init_chapter({name!r}, results_dir, smoke)?)")
        elif not ref_path.exists():
            lines.append(f"{name}: no reference file {ref_path} (create it with: python -m "
                         f"initlab.book refresh-reference {name} --mode {mode}; then add claims)")
        else:
            try:
                found = results.compare(results.load(res_path), results.load(ref_path), mode)
                lines += [str(m) for m in found]
            except ValueError as exc:
                lines.append(f"{name}: invalid reference or results: {exc}")
    for line in lines:
        print(line)
    print(f"check: {len(names)} chapter(s), mode {mode}, {len(lines)} problem(s)", flush=True)
    return lines


def build(stage_dir: Path) -> Path | None:
    """``jupyter-book build stage_dir -W --keep-going``; the index.html path, or None if failed."""
    for path in notebooks(stage_dir / "chapters"):
        cells = json.loads(path.read_text())["cells"]
        if not any(c.get("outputs") for c in cells if c["cell_type"] == "code"):
            print(f"build: warning: {path.name} has no outputs (run execute first)")
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(stage_dir), "-W",
           "--keep-going"]
    print("build:", " ".join(cmd), flush=True)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    ok = subprocess.run(cmd, env=env).returncode == 0
    index = stage_dir / "_build" / "html" / "index.html"
    if not ok:
        print("build: FAILED (warnings are errors, see above)")
        return None
    print(f"build: site at {index}")
    return index


def refresh_reference(root: Path, results_dir: Path, chapter: str, mode: str) -> list[str]:
    """Rewrite ``data/reference/<chapter>.json`` snapshots of ``mode`` from ``results_dir``."""
    res_path = results_dir / f"{chapter}.json"
    if not res_path.exists():
        raise FileNotFoundError(f"no results {res_path}: run `python -m initlab.book all "
                                f"--mode {mode} --only {chapter}` first")
    ref_path = root / "data" / "reference" / f"{chapter}.json"
    changes = results.refresh_reference(ref_path, results.load(res_path), mode)
    print(f"refresh-reference {chapter} ({mode}): {len(changes)} change(s) in {ref_path}")
    for line in changes:
        print(line)
    return changes


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run one subcommand; the exit status (0: everything passed)."""
    parser = argparse.ArgumentParser(prog="python -m initlab.book", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="repository root (default: current directory)")
    parser.add_argument("--build-dir", type=Path, default=None,
                        help="where stage/ and results/ go (default: ROOT/_build)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("stage", help="copy the book sources into _build/stage")
    sub.add_parser("build", help="render _build/stage with jupyter-book -W")
    for name in ("execute", "check", "all"):
        p = sub.add_parser(name)
        p.add_argument("--mode", choices=results.MODES, required=True)
        p.add_argument("--only", nargs="+", metavar="NAME", help="chapter notebook stems")
        if name != "check":
            p.add_argument("--jobs", type=int, default=1, help="notebooks side by side")
    p = sub.add_parser("refresh-reference", help="rewrite one mode's snapshots, never claims")
    p.add_argument("chapter")
    p.add_argument("--mode", choices=results.MODES, default="smoke")
    args = parser.parse_args(argv)

    root = args.root.absolute()
    if not (root / "_toc.yml").exists():
        parser.error(f"{root} has no _toc.yml: run from the repository root or pass --root")
    build_dir = (args.build_dir or root / "_build").absolute()
    stage_dir = build_dir / "stage"
    mode = getattr(args, "mode", "smoke")
    results_dir = build_dir / "results" / mode
    try:
        if args.command == "stage":
            print(f"stage: {stage(root, stage_dir)}")
            return 0
        if args.command == "build":
            return 0 if build(stage_dir) else 1
        if args.command == "refresh-reference":
            refresh_reference(root, results_dir, args.chapter, args.mode)
            return 0
        if args.command == "check":
            return 1 if check(root, results_dir, mode, args.only) else 0
        if args.command == "execute":
            runs = execute(stage_dir, results_dir, mode, args.jobs, args.only)
            return 1 if any(r.status != "ok" for r in runs) else 0
        stage(root, stage_dir)
        runs = execute(stage_dir, results_dir, mode, args.jobs, args.only)
        problems = check(root, results_dir, mode, args.only)
        failed = [r.name for r in runs if r.status != "ok"]
        built = True
        if args.only:
            print("all: --only given, site not built (other chapters were not executed)")
        else:
            built = build(stage_dir) is not None
        if failed or problems or not built:
            print(f"all: FAILED ({len(failed)} notebook(s) failed {failed}, "
                  f"{len(problems)} check problem(s), build {'ok' if built else 'failed'})")
            return 1
        return 0
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
