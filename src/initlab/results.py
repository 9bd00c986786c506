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

MODES = ("smoke", "full")
DEFAULT_RTOL = 1e-6  # new float snapshots: catches any change of the computation, not rounding
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


def record_all(values: Mapping[str, Any], fmt: Mapping[str, str] | None = None) -> None:
    """Record every scalar entry of ``values`` (an experiment's result) under its own key.

    Scalars are bool, int, float, str and numpy scalars; entries holding arrays, lists, tuples,
    dicts or ``None`` are figure data and are skipped, so an experiment can return its numbers
    and its curves in one mapping. Keys are the literal strings of the experiment function that
    made them, so every number cited on a page can be found in the code. ``fmt`` maps keys to
    a format spec for the glued text (see :func:`record`).
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"`values` must be a mapping of key -> value, got {values!r}")
    fmt = dict(fmt or {})
    scalars = {k: v for k, v in values.items() if _is_scalar(v)}
    unknown = sorted(set(fmt) - set(scalars))
    if unknown:
        raise KeyError(f"`fmt` names keys that are not scalar entries of `values`: {unknown}")
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


def load(path: str | Path) -> dict:
    """Read a results or reference JSON file (a dict), with an error naming the file."""
    path = Path(path)
    try:
        with path.open() as f:
            data = json.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"no such results/reference file: {path}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object, got {type(data).__name__}")
    return data


@dataclass(frozen=True)
class Mismatch:
    """One failed check. ``str()``: ``chapter key: expected ., got ., tolerance ., why .``."""

    chapter: str
    key: str
    expected: str
    got: str
    tolerance: str
    why: str

    def __str__(self) -> str:
        return (f"{self.chapter} {self.key}: expected {self.expected}, got {self.got}, "
                f"tolerance {self.tolerance}, why {self.why}")


def _claim_modes(chapter: str, key: str, claim: dict) -> list[str]:
    modes = claim.get("modes", list(MODES))
    if not isinstance(modes, list) or not set(modes) <= set(MODES):
        raise ValueError(f"{chapter} claim {key!r}: modes must be a subset of {MODES}, "
                         f"got {modes!r}")
    return modes


def _validate_reference(ref: dict) -> None:
    """Raise ValueError naming the chapter and key of the first malformed entry."""
    chapter = ref.get("chapter", "?")
    extra = set(ref) - {"chapter", "claims", "snapshots"}
    if extra:
        raise ValueError(f"{chapter}: unknown reference fields {sorted(extra)}")
    for key, claim in ref.get("claims", {}).items():
        bad = f"{chapter} claim {key!r}"
        if not isinstance(claim.get("why"), str) or not claim["why"]:
            raise ValueError(f"{bad} needs a non-empty 'why', got {claim!r}")
        _claim_modes(chapter, key, claim)
        fields = set(claim) - {"why", "modes"}
        ranged = fields <= {"min", "max"} and (claim.get("min"), claim.get("max")) != (None, None)
        if fields != {"equals"} and not ranged:
            raise ValueError(f"{bad} needs 'min' and/or 'max', or only 'equals', got {claim!r}")
    for mode, snaps in ref.get("snapshots", {}).items():
        if mode not in MODES:
            raise ValueError(f"{chapter}: snapshot mode must be one of {MODES}, got {mode!r}")
        for key, snap in snaps.items():
            if "value" not in snap or set(snap) - {"value", "atol", "rtol"}:
                raise ValueError(f"{chapter} snapshot {mode}/{key!r} needs 'value' and only "
                                 f"'atol'/'rtol', got {snap!r}")


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _same(got: Any, want: Any) -> bool:
    """Exact equality that does not let True pass for 1 (bool vs number)."""
    return isinstance(got, bool) == isinstance(want, bool) and got == want


def compare(results: dict, reference: dict, mode: str) -> list[Mismatch]:
    """Check a run against a reference; return one :class:`Mismatch` per problem (empty: pass).

    ``results``: a results file as :func:`load` returns it (``{"chapter", "mode", "values"}``).
    ``reference``: a reference file. ``mode``: ``"smoke"`` or ``"full"``; only claims listing the
    mode and ``snapshots[mode]`` apply. Reported: a claim out of range or unequal; a snapshot
    with ``|got - value| > atol + rtol * |value|``; a claim or snapshot key not recorded; a
    recorded key covered by neither; a results file of another mode. A malformed reference
    raises ValueError.
    """
    if mode not in MODES:
        raise ValueError(f"Invalid `mode` argument: {mode!r}. Please use one of {list(MODES)}")
    _validate_reference(reference)
    chapter = reference.get("chapter", results.get("chapter", "?"))
    values = results.get("values", {})
    out: list[Mismatch] = []
    if results.get("mode") != mode:
        out.append(Mismatch(chapter, "(mode)", mode, str(results.get("mode")), "exact",
                            "results were recorded in another mode"))
    covered: set[str] = set()

    for key, claim in reference.get("claims", {}).items():
        if mode not in _claim_modes(chapter, key, claim):
            continue
        covered.add(key)
        why = claim["why"]
        if "equals" in claim:
            want = claim["equals"]
            expected = json.dumps(want)
            ok = key in values and _same(values[key], want)
        else:
            lo, hi = claim.get("min"), claim.get("max")
            expected = f"{'-inf' if lo is None else lo} <= x <= {'inf' if hi is None else hi}"
            got = values.get(key)
            ok = _is_number(got) and (lo is None or got >= lo) and (hi is None or got <= hi)
        if not ok:
            got_s = "missing (not recorded)" if key not in values else json.dumps(values[key])
            out.append(Mismatch(chapter, key, expected, got_s, "claim", why))

    for key, snap in reference.get("snapshots", {}).get(mode, {}).items():
        covered.add(key)
        want, atol, rtol = snap["value"], snap.get("atol", 0.0), snap.get("rtol", 0.0)
        tol = f"atol {atol:g}, rtol {rtol:g}"
        why = f"snapshot of the reviewed {mode} run (refresh deliberately: refresh-reference)"
        if key not in values:
            out.append(Mismatch(chapter, key, json.dumps(want), "missing (not recorded)", tol, why))
            continue
        got = values[key]
        if _is_number(got) and _is_number(want):
            ok = abs(got - want) <= atol + rtol * abs(want)
        else:
            ok = _same(got, want)
        if not ok:
            out.append(Mismatch(chapter, key, json.dumps(want), json.dumps(got), tol, why))

    for key in sorted(set(values) - covered):
        out.append(Mismatch(
            chapter, key, "no reference", json.dumps(values[key]), "-",
            f"every recorded value needs a claim or a {mode} snapshot (add a claim, or run: "
            f"python -m initlab.book refresh-reference {chapter} --mode {mode})",
        ))
    return out


def refresh_snapshots(reference: dict, results: dict, mode: str) -> tuple[dict, list[str]]:
    """A copy of ``reference`` whose ``snapshots[mode]`` mirror ``results``; and what changed.

    Existing keys keep their ``atol``/``rtol`` and get the new value; new float keys get
    ``rtol = DEFAULT_RTOL``, new bool/int/str keys are exact; keys no longer recorded are
    dropped. Claims and other modes' snapshots are returned unchanged (same objects' content).
    """
    if mode not in MODES:
        raise ValueError(f"Invalid `mode` argument: {mode!r}. Please use one of {list(MODES)}")
    if results.get("mode") != mode:
        raise ValueError(f"results were recorded in mode {results.get('mode')!r}, not {mode!r}")
    old = reference.get("snapshots", {}).get(mode, {})
    new: dict[str, dict] = {}
    changes: list[str] = []
    for key, value in sorted(results.get("values", {}).items()):
        if key in old:
            entry = {**old[key], "value": value}
            if not _same(old[key]["value"], value):
                changes.append(f"  {key}: {json.dumps(old[key]['value'])} -> {json.dumps(value)}")
        else:
            exact = not isinstance(value, float)
            entry = {"value": value} if exact else {"value": value, "rtol": DEFAULT_RTOL}
            tol = "exact" if exact else f"rtol {DEFAULT_RTOL:g}"
            changes.append(f"+ {key}: {json.dumps(value)} (new, {tol})")
        new[key] = entry
    changes += [f"- {key}: no longer recorded, removed" for key in old if key not in new]
    refreshed = dict(reference)
    refreshed["snapshots"] = {**reference.get("snapshots", {}), mode: new}
    return refreshed, changes


def _top_level_spans(text: str) -> dict[str, tuple[int, int]]:
    """Character span ``(start, end)`` of each top-level value of a JSON object in ``text``."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"\s*")
    i = ws.match(text, 0).end()
    if text[i:i + 1] != "{":
        raise ValueError("a reference file must hold a JSON object")
    i = ws.match(text, i + 1).end()
    spans: dict[str, tuple[int, int]] = {}
    while text[i] != "}":
        key, i = decoder.raw_decode(text, i)
        i = ws.match(text, i).end() + 1  # skip ':'
        start = ws.match(text, i).end()
        _, end = decoder.raw_decode(text, start)
        spans[key] = (start, end)
        i = ws.match(text, end).end()
        if text[i] == ",":
            i = ws.match(text, i + 1).end()
    return spans


def refresh_reference(path: str | Path, results: dict, mode: str) -> list[str]:
    """Rewrite ``snapshots[mode]`` of the reference file at ``path`` from ``results``.

    Only the text of the ``"snapshots"`` value changes: the claims (and everything else) stay
    byte-identical. A missing file is created with no claims. Returns the changes, one line
    each (``+`` new key, ``-`` removed key, ``old -> new``), as :func:`refresh_snapshots`.
    """
    path = Path(path)
    if path.exists():
        text = path.read_text()
        reference = load(path)
    else:
        text = ""
        reference = {"chapter": results.get("chapter", path.stem), "claims": {}, "snapshots": {}}
    refreshed, changes = refresh_snapshots(reference, results, mode)
    block = json.dumps(refreshed["snapshots"], indent=2).replace("\n", "\n  ")
    if not text:
        text = json.dumps(refreshed, indent=2) + "\n"
    elif "snapshots" in (spans := _top_level_spans(text)):
        start, end = spans["snapshots"]
        text = text[:start] + block + text[end:]
    else:
        close = text.rstrip().rfind("}")
        text = text[:close].rstrip() + ',\n  "snapshots": ' + block + "\n}\n"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return changes
