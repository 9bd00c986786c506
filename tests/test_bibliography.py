"""references.bib parses, has no duplicate keys, and holds every key a page cites."""

from __future__ import annotations

import re
from pathlib import Path

import pybtex.database

ROOT = Path(__file__).resolve().parents[1]


def test_bibliography_parses_and_covers_every_citation():
    text = (ROOT / "references.bib").read_text()
    keys = re.findall(r"^@\w+\{([^,\s]+),", text, re.M)
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    entries = pybtex.database.parse_string(text, "bibtex").entries  # raises on a syntax error
    assert set(entries) == set(keys)
    pages = [*ROOT.glob("chapters/*.ipynb"), *ROOT.glob("chapters/*.md"), ROOT / "intro.md"]
    cited = {key.strip() for page in pages
             for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", page.read_text())
             for key in group.split(",")}
    assert cited, "no {cite} role found: the pattern is wrong"
    assert not cited - set(entries), sorted(cited - set(entries))
