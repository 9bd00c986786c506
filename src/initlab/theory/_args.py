"""Argument checks and activation lookup shared by the modules of :mod:`initlab.theory`.

Why: every public theory function validates its arguments first and names the bad value
(a NaN variance deep inside a quadrature would otherwise surface as a NaN prediction); and
every function that needs ``phi`` gets it from the package's one activation table,
:mod:`initlab.activations`, whether the caller passes a name or an ``Activation``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

from initlab import activations
from initlab._checks import check_int, check_positive


def resolve_activation(
    activation: str | activations.Activation, alpha: float | None = None
) -> activations.Activation:
    """The :class:`~initlab.activations.Activation` named ``activation`` (or itself).

    ``"linear"`` is the identity; ``alpha`` is the slope of ``"leaky_relu"`` given by name
    (ignored for other names and for an ``Activation``, which carries its own ``param``).
    Unknown names raise ValueError listing the valid ones.
    """
    if isinstance(activation, activations.Activation):
        return activation
    if activation == "leaky_relu" and alpha is not None:
        return activations.get("leaky_relu", alpha=alpha)
    return activations.get(activation)  # type: ignore[arg-type]


def check_nonnegative(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number >= 0, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"`{name}` must be a finite number >= 0, got {value!r}")
    return float(value)


def as_float_array(x: object, name: str, low: float, high: float = math.inf) -> np.ndarray:
    """``x`` as a float64 array with every entry finite and in ``[low, high]``, else raise."""
    if isinstance(x, bool):
        raise TypeError(f"`{name}` must be numeric, got {x!r}")
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"`{name}` must be numeric, got {x!r}") from err
    bad = ~np.isfinite(arr) | (arr < low) | (arr > high)
    if np.any(bad):
        first = arr[bad].flat[0]
        raise ValueError(
            f"`{name}` must be finite and in [{low}, {high}], got {x!r} "
            f"({int(bad.sum())} bad entries, e.g. {float(first)!r})"
        )
    return arr


def per_layer(value: object, n_layers: int, name: str, integer: bool) -> np.ndarray:
    """Broadcast a scalar or check a length-``n_layers`` sequence; all entries must be > 0."""
    check = (lambda v, n: check_int(v, n, minimum=1)) if integer else check_positive
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return np.full(n_layers, check(value, name), dtype=np.float64)
    if not isinstance(value, Sequence | np.ndarray) or isinstance(value, str):
        raise TypeError(f"`{name}` must be a number or a sequence of {n_layers}, got {value!r}")
    values = list(np.asarray(value).tolist()) if isinstance(value, np.ndarray) else list(value)
    if len(values) != n_layers:
        raise ValueError(
            f"`{name}` must have one entry per layer (n_layers={n_layers}), "
            f"got {len(values)} entries: {value!r}"
        )
    return np.array([check(v, f"{name}[{i}]") for i, v in enumerate(values)], dtype=np.float64)
