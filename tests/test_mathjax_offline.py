"""The served MathJax subset: what tex-chtml.js loads is there, the rest is not copied."""

from __future__ import annotations

import re

from initlab import mathjax_offline


def test_subset_holds_the_bundle_its_fonts_and_what_it_loads(tmp_path):
    size = mathjax_offline.copy_subset(tmp_path)
    root = tmp_path / "_static" / "mathjax"
    assert (root / "tex-chtml.js").is_file()
    fonts = list((root / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 10  # MathJax's TeX fonts, one file per style (main, math, ams, ...)
    # every file the bundle asks for by its [mathjax]/... path that it does not contain
    bundle = (root / "tex-chtml.js").read_text()
    assert "[tex]/" in bundle and (root / "input" / "tex" / "extensions" / "color.js").is_file()
    assert (root / "a11y" / "explorer.js").is_file() and (root / "ui" / "menu.js").is_file()
    # what the page cannot load is not shipped: the SVG and MathML bundles
    assert not (root / "tex-svg.js").exists() and not (root / "mml-chtml.js").exists()
    shipped = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    assert size == shipped
    full = sum(f.stat().st_size for f in mathjax_offline.source_dir().rglob("*") if f.is_file())
    assert shipped < full / 3, (shipped, full)


def test_the_config_uses_this_extension():
    config = (mathjax_offline.Path(__file__).parents[1] / "_config.yml").read_text()
    assert re.search(r"^\s*- initlab\.mathjax_offline\b", config, re.M)
    assert "sphinx-mathjax-offline" not in re.sub(r"#.*", "", config)
