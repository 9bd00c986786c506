"""Sphinx extension: bibliography labels that are unique across the whole book.

Why: each chapter lists its own references (``{bibliography}`` with ``:filter: docname in
docnames``), and sphinxcontrib-bibtex warns, which ``-W`` turns into a failed build, when two
keys get the same label anywhere in the project. pybtex's ``alpha`` labels only tell apart the
entries of one list: Karpathy's makemore lecture and his nanoGPT repository (both 2022) are both
``[Kar22]`` when two chapters each cite one of them. This label style is ``alpha`` with one
registry for the whole build: a key keeps the first label it was given, and a label already held
by another key gets the next free letter (``Kar22a``, ``Kar22b``, ...).

Use: ``sphinx.extra_extensions: [initlab.bibstyle, sphinxcontrib.bibtex]`` and
``bibtex_default_style: initlab_alpha`` in ``_config.yml``.
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from typing import Any

from pybtex.plugin import register_plugin
from pybtex.style.formatting.alpha import Style as AlphaStyle
from pybtex.style.labels.alpha import LabelStyle as AlphaLabelStyle

STYLE = "initlab_alpha"


class UniqueLabelStyle(AlphaLabelStyle):
    """``alpha`` labels, made unique over every bibliography of one build (one process)."""

    by_key: dict[str, str] = {}
    taken: set[str] = set()

    def format_labels(self, sorted_entries: list) -> Iterator[str]:
        for entry, label in zip(sorted_entries, super().format_labels(sorted_entries),
                                strict=True):
            if entry.key not in self.by_key:
                base = label.rstrip(string.ascii_lowercase) if label[-1:].islower() else label
                candidates = [label, base] + [base + c for c in string.ascii_lowercase]
                free = next(c for c in candidates if c not in self.taken)
                self.by_key[entry.key] = free
                self.taken.add(free)
            yield self.by_key[entry.key]


class UniqueAlphaStyle(AlphaStyle):
    """pybtex's ``alpha`` formatting style with :class:`UniqueLabelStyle` labels."""

    default_label_style = STYLE


def register() -> None:
    """Make ``initlab_alpha`` known to pybtex as a label style and a formatting style."""
    register_plugin("pybtex.style.labels", STYLE, UniqueLabelStyle, force=True)
    register_plugin("pybtex.style.formatting", STYLE, UniqueAlphaStyle, force=True)


def setup(app: Any) -> dict:
    """Register the style before sphinxcontrib-bibtex reads ``bibtex_default_style``."""
    register()
    return {"parallel_read_safe": False, "parallel_write_safe": True}
