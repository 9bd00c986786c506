"""Sphinx extension: the site serves the parts of MathJax 3 its pages use (no CDN, no network).

Why: formulas must render offline, from files the site itself serves. The pinned registry
package ``sphinx-mathjax-offline`` (requirements.txt) carries MathJax 3.2.2, but its own
extension copies the whole 24 MB distribution (SVG and MathML outputs, three bundles, Node
adaptors) into every build. This extension takes the same files from that package and copies
only what ``tex-chtml.js`` loads: the bundle itself, the CHTML output with its woff-v2 fonts,
the TeX extensions its ``autoload`` fetches on demand (``\\color``, ``\\cancel``, ...), and the
menu's accessibility components (``ui``, ``a11y``, ``sre`` for speech and the explorer).

Use: ``sphinx.extra_extensions: [initlab.mathjax_offline]`` in ``_config.yml``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

#: Files and directories of the MathJax distribution that ``tex-chtml.js`` can load.
SUBSET = ("tex-chtml.js", "output/chtml", "input/tex/extensions", "ui", "a11y", "sre")
#: Where Sphinx's ``mathjax_path`` points, relative to ``_static``.
MATHJAX_PATH = "mathjax/tex-chtml.js"


def source_dir() -> Path:
    """The MathJax directory inside the installed ``sphinx-mathjax-offline`` package."""
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("package sphinx-mathjax-offline is not installed: "
                                  "`pip install -r requirements.txt` installs the pinned one")
    path = Path(spec.origin).parent / "static" / "mathjax"
    if not (path / "tex-chtml.js").is_file():
        raise FileNotFoundError(f"no tex-chtml.js in {path}: a broken sphinx-mathjax-offline")
    return path


def copy_subset(outdir: str | Path) -> int:
    """Copy :data:`SUBSET` into ``<outdir>/_static/mathjax``; return the bytes copied."""
    from sphinx.util.fileutil import copy_asset

    src, dest = source_dir(), Path(outdir) / "_static" / "mathjax"
    total = 0
    for part in SUBSET:
        target = dest / part
        if (src / part).is_dir():
            copy_asset(str(src / part), str(target))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((src / part).read_bytes())
        files = [target] if target.is_file() else target.rglob("*")
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total


def _on_build_finished(app: Any, exc: Exception | None) -> None:
    if exc is None:
        copy_subset(app.outdir)


def setup(app: Any) -> dict:
    """Point Sphinx's MathJax at the served copy and copy it when the build succeeds."""
    source_dir()  # fail at setup, with the fix, rather than after a whole build
    app.config.mathjax_path = MATHJAX_PATH
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
