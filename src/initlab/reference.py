"""The reference side of a chapter's numbers: compare a run with its claims and snapshots.

Why: :mod:`initlab.results` records what a chapter measured; this module says whether that still
holds. A reference file ``data/reference/<chapter>.json`` holds claims (ranges fixed by theory or
a paper, each with its ``why``) and snapshots (the last reviewed value of every number, per
mode); the file format is described in :mod:`initlab.results`. :func:`compare` reports one
:class:`Mismatch` per problem; :func:`refresh_reference` rewrites one mode's snapshots from a run
(deliberately, from the command line) and never touches the claims.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODES = ("smoke", "full")
DEFAULT_RTOL = 1e-6  # new float snapshots: catches any change of the computation, not rounding


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
