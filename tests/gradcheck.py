"""Central finite differences: the independent reference every backward pass is tested against.

``df/dx[i] ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)``, one entry of ``x`` at a time, in
float64. Truncation error is O(h^2 f'''), rounding about eps |f| / h: with h = 1e-5 to 1e-6 both
are below 1e-9 for the O(1) losses of the tests, far under their 1e-6 relative tolerances.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def central_difference(f: Callable[[], float | np.ndarray], x: np.ndarray,
                       h: float) -> np.ndarray:
    """Derivative of ``f()`` with respect to every entry of ``x``, which ``f`` reads.

    ``x`` is perturbed in place and restored after each entry. ``f()`` returns a number or an
    array of shape ``S``; the result has shape ``x.shape`` (number) or ``x.shape + S``.
    """
    out: np.ndarray | None = None
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = np.asarray(f(), dtype=float)
        x[i] = old - h
        down = np.asarray(f(), dtype=float)
        x[i] = old
        if out is None:
            out = np.zeros(x.shape + up.shape)
        out[i] = (up - down) / (2 * h)
    assert out is not None, "x has no entries"
    return out
