"""Learning dynamics of deep linear networks (Saxe, McClelland & Ganguli 2014, "Exact solutions
to the nonlinear dynamics of learning in deep linear neural networks").

What: ``y_hat = x @ W_1 @ ... @ W_D`` (no nonlinearity), whitened inputs, squared loss,
gradient flow ``tau dW/dt = -dL/dW`` (``tau = 1 / lr`` for full-batch gradient descent, time
counted in steps). From a small *balanced* init aligned with the singular vectors of the
input-output correlation, each mode (singular value ``s``) evolves on its own:

    two layers, target s:      tau da/dt = 2 a (s - a)
                               a(t) = s / (1 + (s / a0 - 1) e^{-2 s t / tau})
    depth D, target 0:         du/dt = -lr D u^(3 - 2/D)     (an unwanted mode dies)

Why: the staircase of mode-by-mode learning and the depth-independent learning time of
orthogonal init are the deep-linear chapter's claims; these are the curves it overlays.
Shapes: ``t`` a scalar (result a float) or an array of times (result that shape).
"""

from __future__ import annotations

import math

import numpy as np

from initlab._checks import check_int, check_positive
from initlab.theory._args import as_float_array


def saxe_mode_strength(
    t: float | np.ndarray, s: float, a0: float, tau: float
) -> float | np.ndarray:
    """Strength ``a(t)`` of one input-output mode of a two-layer linear net (Saxe et al. 2014).

    The mode's strength ``a = u . v`` obeys ``tau da/dt = 2 a (s - a)``, solved by

        a(t) = s e^{2 s t / tau} / (e^{2 s t / tau} - 1 + s / a0)

    a sigmoid in ``log``-time: a plateau of length ~ ``tau / (2 s) * log(s / a0)``, then a
    rapid rise to ``s``. Written as ``s / (1 + (s / a0 - 1) e^{-2 s t / tau})`` so large ``t``
    cannot overflow. ``t`` is a scalar (returns a float) or an array of times ``>= 0``.
    """
    t_arr = as_float_array(t, "t", 0.0)
    s = check_positive(s, "s")
    a0 = check_positive(a0, "a0")
    tau = check_positive(tau, "tau")
    a = s / (1.0 + (s / a0 - 1.0) * np.exp(-2.0 * s * t_arr / tau))
    return float(a) if t_arr.ndim == 0 else a


def saxe_half_time(s: float, a0: float, tau: float) -> float:
    """Time at which :func:`saxe_mode_strength` reaches ``s / 2``.

    From ``a(t) = s / (1 + (s / a0 - 1) e^{-2 s t / tau})`` = ``s / 2``:
    ``t_half = tau / (2 s) * ln(s / a0 - 1)`` (needs ``0 < a0 < s / 2``).
    """
    s, a0, tau = check_positive(s, "s"), check_positive(a0, "a0"), check_positive(tau, "tau")
    if not a0 < s / 2:
        raise ValueError(f"saxe_half_time needs a0 < s / 2, got a0={a0!r}, s={s!r}")
    return tau / (2.0 * s) * math.log(s / a0 - 1.0)


def saxe_forget_time(depth: int, u_star: float, lr_times_depth: float) -> float:
    """Gradient-descent steps for an unwanted mode (target 0) to shrink from strength 1 to
    ``u_star``, in a balanced depth-``depth`` linear net with ``lr = lr_times_depth / depth``.

    A balanced mode of end-to-end strength ``u`` with target ``s = 0`` obeys
    ``du/dt = -lr D u^(3 - 2/D)`` (per step), so with ``p = 2 - 2/D``:
    ``u^(-p) = 1 + p lr D t`` and ``t = (u_star^(-p) - 1) / (p lr D)``: a power law, slower
    for deeper nets (``p`` from 1 at ``D = 2`` towards 2).
    """
    depth = check_int(depth, "depth", minimum=2)
    u_star = check_positive(u_star, "u_star")
    p = 2.0 - 2.0 / depth
    return (u_star ** -p - 1.0) / (p * check_positive(lr_times_depth, "lr_times_depth"))
