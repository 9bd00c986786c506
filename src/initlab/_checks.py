"""Argument checks shared by every module: fail early, name the bad value.

Why: a wrong argument deep inside numpy surfaces as a broadcasting traceback or, worse,
a silent NaN several layers later. Every public function calls these first, so the
error message says which argument was wrong and what it was.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np


def check_rng(rng: object, name: str = "rng") -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator``, else raise TypeError.

    Randomness in initlab only flows through an explicit Generator, so the same seed
    gives the same bits and no call depends on global state.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"`{name}` must be a numpy.random.Generator, got {rng!r} "
            f"(of type {type(rng).__name__}); create one with np.random.default_rng(seed)"
        )
    return rng


def check_shape(shape: object, name: str = "shape") -> tuple[int, ...]:
    """Return ``shape`` as a tuple of positive Python ints, or raise.

    Accepts an int (a 1-D shape) or an iterable of ints. Rejects bools, floats,
    zero and negative dimensions with a message that shows the whole shape.
    """
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, Iterable) or isinstance(shape, str | bytes):
        raise TypeError(f"`{name}` must be a tuple of positive ints, got {shape!r}")
    dims = tuple(shape)
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(f"`{name}` must contain only ints, got {shape!r} (bad entry {d!r})")
        if d <= 0:
            raise ValueError(f"`{name}` must have positive dimensions, got {shape!r}")
    return tuple(int(d) for d in dims)


def check_positive(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a positive number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"`{name}` must be a finite number > 0, got {value!r}")
    return float(value)


def check_int(value: object, name: str, minimum: int = 0) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {value!r}")
    return int(value)


def check_choice(value: object, name: str, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise ValueError listing them."""
    allowed = sorted(allowed)
    if value not in allowed:
        raise ValueError(f"Invalid `{name}` argument: {value!r}. Please use one of {allowed}")
    return value  # type: ignore[return-value]


def check_finite_array(X: object, name: str = "X") -> np.ndarray:
    """Return ``X`` as an ndarray if every entry is finite, else raise ValueError.

    The message counts the NaN and inf entries so the reader knows what to clean.
    """
    arr = np.asarray(X)
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"`{name}` must be numeric, got dtype {arr.dtype}")
    if arr.size and not np.all(np.isfinite(arr)):
        n_nan = int(np.isnan(arr).sum())
        n_inf = int(np.isinf(arr).sum())
        raise ValueError(
            f"`{name}` contains {n_nan} NaN and {n_inf} inf entries (shape {arr.shape}); "
            "clean or impute them first"
        )
    return arr
