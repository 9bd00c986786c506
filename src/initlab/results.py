"""A chapter's numbers: recorded once, cited by the text, checked by CI.

Why: every number the book's text states must come from the run that made the figures, and
CI must notice when it drifts or when a claim of the text stops holding. So a chapter calls
:func:`record` for each number; that (1) rewrites ``<results_dir>/<chapter>.json`` and (2)
glues the value into the page (``myst_nb.glue``), where the text cites it as
``{glue:text}`key``` or, formatted, ``{glue:text}`key:.3f``` (myst-nb 1.x: a Python format
spec after the last colon; for a plain float glued here both forms render).

Results file (one per chapter and mode, keys sorted, plain JSON scalars)::

    {"chapter": "05_xavier_glorot", "mode": "smoke", "values": {"demo_std": 0.18, ...}}

Reference file ``data/reference/<chapter>.json`` (hand-written claims, refreshed snapshots)::

    {"chapter": "...",
     "claims": {"key": {"min": 0.0, "max": 0.13, "why": "...", "modes": ["smoke", "full"]},
                "flag": {"equals": true, "why": "..."}},
     "snapshots": {"smoke": {"key": {"value": 0.91, "atol": 0.02}}, "full": {...}}}

A claim is a range fixed by theory or a paper (either bound may be null: one-sided) or an exact
value (``equals``); ``modes`` defaults to both. A snapshot is the last reviewed value of one mode
with ``atol`` and/or ``rtol``: it passes when ``|got - value| <= atol + rtol * |value|`` (no
tolerance given: exact). :func:`compare` also reports every claim or snapshot key that was not
recorded, and every recorded key that no claim or snapshot of the run's mode covers, so no
number escapes CI. :func:`refresh_snapshots` rewrites one mode's snapshots from a run and never
touches the claims (new keys: floats get ``rtol = DEFAULT_RTOL``, other types exact).
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# The file format and the comparison with data/reference/ live in initlab.reference; these names
# stay importable from here, where the book and the tests have always found them.
from initlab.reference import (
    DEFAULT_RTOL,
    MODES,
    Mismatch,
    compare,
    load,
    refresh_reference,
    refresh_snapshots,
)

_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")  # safe inside {glue:text}`key:fmt`


@dataclass
class _Chapter:
    name: str
    path: Path
    mode: str
    values: dict[str, Any]


_current: _Chapter | None = None


#: Environment variables through which ``python -m initlab.book`` tells an executed notebook
#: where to write and which mode it runs in; a reader's own run uses the defaults.
RESULTS_DIR_ENV, MODE_ENV = "INITLAB_RESULTS_DIR", "INITLAB_MODE"


def init_chapter(name: str, results_dir: str | Path | None = None,
                 smoke: bool | None = None) -> None:
    """Start recording chapter ``name`` into ``<results_dir>/<name>.json`` (fresh, no values).

    ``results_dir``: default ``$INITLAB_RESULTS_DIR``, else ``results`` (relative to the
    notebook's folder, ignored by git). ``smoke``: True for the quick CI run, False for the
    full run that makes the site; default from ``$INITLAB_MODE`` (``smoke`` or ``full``), else
    full. Stored as ``"mode": "smoke" | "full"``. Creates ``results_dir`` if needed.
    """
    global _current
    if not isinstance(name, str) or not _KEY.match(name):
        raise ValueError(f"chapter `name` must look like '05_xavier_glorot', got {name!r}")
    if results_dir is None:
        results_dir = os.environ.get(RESULTS_DIR_ENV) or "results"
    if smoke is None:
        mode = os.environ.get(MODE_ENV) or "full"
        if mode not in MODES:
            raise ValueError(f"${MODE_ENV} must be one of {MODES}, got {mode!r}")
        smoke = mode == "smoke"
    if not isinstance(smoke, bool | np.bool_):
        raise TypeError(f"`smoke` must be a bool, got {smoke!r}")
    if not isinstance(results_dir, str | os.PathLike):
        raise TypeError(f"`results_dir` must be a path, got {results_dir!r}")
    path = Path(results_dir) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    _current = _Chapter(name, path, "smoke" if smoke else "full", {})
    _write(_current)


def record(key: str, value: Any, *, fmt: str | None = None) -> Any:
    """Record ``value`` under ``key`` for the current chapter; return it as a plain Python scalar.

    ``value``: bool, int, float or str; numpy scalars and 0-d arrays are converted with
    ``bool()``/``int()``/``float()``. NaN and inf are rejected (ValueError naming the key):
    record a divergence explicitly, e.g. as a bool or the step where it happened.
    The JSON file is rewritten atomically with all keys so far, sorted. Inside a Jupyter kernel
    the value is glued for the page (``fmt``, e.g. ``".3f"``: glue ``format(value, fmt)``
    instead); in plain Python the glue step is skipped. Record each key once per run: a key
    glued twice in one notebook is a myst-nb warning, which fails the ``-W`` build.
    """
    if _current is None:
        raise RuntimeError(
            "no chapter: call results.init_chapter(name, results_dir, smoke) first"
        )
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValueError(
            f"result key must be letters, digits, '_', '.', '-' (no ':' or spaces), got {key!r}"
        )
    value = _plain(key, value)
    shown: Any = value
    if fmt is not None:
        try:
            shown = format(value, fmt)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"result {key!r}: cannot format {value!r} with fmt={fmt!r}: {exc}") from None
    _current.values[key] = value
    _write(_current)
    _glue(key, shown)
    return value


def record_all(*results: Mapping[str, Any], fmt: Mapping[str, str] | None = None) -> None:
    """Record every scalar entry of each mapping in ``results`` (experiments' results).

    Scalars are bool, int, float, str and numpy scalars; entries holding arrays, lists, tuples,
    dicts or ``None`` are figure data and are skipped, so an experiment can return its numbers
    and its curves in one mapping. Keys are the literal strings of the experiment function that
    made them, so every number cited on a page can be found in the code. Several results
    (``record_all(growth, limit)``) must not share a key. ``fmt`` maps keys to a format spec
    for the glued text (see :func:`record`).
    """
    if not results:
        raise TypeError("record_all needs at least one mapping of key -> value")
    scalars: dict[str, Any] = {}
    for values in results:
        if not isinstance(values, Mapping):
            raise TypeError(f"each result must be a mapping of key -> value, got {values!r}")
        mine = {k: v for k, v in values.items() if _is_scalar(v)}
        shared = sorted(set(mine) & set(scalars))
        if shared:
            raise KeyError(f"two results record the same keys: {shared}")
        scalars.update(mine)
    fmt = dict(fmt or {})
    unknown = sorted(set(fmt) - set(scalars))
    if unknown:
        raise KeyError(f"`fmt` names keys that are not scalar entries of the results: {unknown}")
    for key, value in scalars.items():
        record(key, value, fmt=fmt.get(key))


def _is_scalar(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim == 0
    return isinstance(value, bool | numbers.Number | str | np.generic)


def _plain(key: str, value: Any) -> bool | int | float | str:
    """``value`` as a JSON-safe Python scalar, or a TypeError/ValueError naming ``key``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        if not math.isfinite(x):
            raise ValueError(
                f"result {key!r} is {x}: record divergence explicitly (a bool, or the step "
                "where the loss became non-finite), never a NaN/inf"
            )
        return x
    if isinstance(value, str):
        return value
    raise TypeError(
        f"result {key!r} must be a bool, int, float or str, got {value!r} "
        f"(of type {type(value).__name__}); record one scalar per key"
    )


def _write(chapter: _Chapter) -> None:
    """Rewrite the chapter's JSON atomically (temp file in the same folder, then rename)."""
    data = {"chapter": chapter.name, "mode": chapter.mode,
            "values": dict(sorted(chapter.values.items()))}
    fd, tmp = tempfile.mkstemp(dir=chapter.path.parent, prefix=f".{chapter.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, chapter.path)


def _glue(key: str, value: Any) -> None:
    """``myst_nb.glue(key, value, display=False)`` inside a Jupyter kernel; nothing elsewhere."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return  # plain python or a terminal IPython: no page to glue into
    try:
        from myst_nb import glue
    except ImportError as exc:
        warnings.warn(f"myst_nb unavailable, {key!r} not glued: {exc}", stacklevel=3)
        return
    glue(key, value, display=False)


__all__ = ["DEFAULT_RTOL", "MODES", "Mismatch", "compare", "init_chapter", "load", "record",
           "record_all", "refresh_reference", "refresh_snapshots"]
