"""Mean-field signal propagation: length and correlation maps, fixed points, chi_1, depth scales.

What: in the infinite-width limit of ``h_{l+1} = phi(h_l) @ W + b`` with
``W ~ N(0, sigma_w2 / fan_in)`` and ``b ~ N(0, sigma_b2)`` (Poole et al. 2016, "Exponential
expressivity in deep neural networks through transient chaos"; Schoenholz et al. 2017,
"Deep information propagation"), the length ``q`` of one input and the correlation ``c`` of two
follow deterministic maps,

    q' = sigma_w2 E[phi(u)^2] + sigma_b2,                          u ~ N(0, q)
    c' = (sigma_w2 E[phi(u1) phi(u2)] + sigma_b2) / q',            corr(u1, u2) = c,

whose fixed points ``q*``, ``c*`` and slopes ``chi_1 = sigma_w2 E[phi'(u)^2]``,
``chi_c = sigma_w2 E[phi'(u1) phi'(u2)]``, ``chi_q = sigma_w2 E[phi'(u)^2 + phi(u) phi''(u)]``
give the order-to-chaos line (``chi_1 = 1``) and the depth scales ``xi = -1 / log chi`` over
which signals survive. Expectations are Gaussian quadratures (:mod:`.gaussian`); for the
homogeneous activations (identity, relu, leaky relu) they are closed forms: with
``phi(u) = p relu(u) - m relu(-u)`` (``p = phi(1)``, ``m = -phi(-1)``) and the arc-cosine
kernels of Cho & Saul (2009), ``k1(c) = q (sqrt(1 - c^2) + (pi - arccos c) c) / (2 pi)`` and
``k0(c) = (pi - arccos c) / (2 pi)``:

    E[phi(u1) phi(u2)]   = (p^2 + m^2) k1(c) - 2 p m k1(-c)
    E[phi'(u1) phi'(u2)] = (p^2 + m^2) k0(c) + 2 p m k0(-c).

Why: the theory chapter's phase diagram and every "critical initialization" in the book.

Shapes: scalars in, floats out, except where an argument is documented as an array.
``activation``: a name or an :class:`initlab.activations.Activation`, one of
:data:`MEAN_FIELD_ACTIVATIONS` (the bounded smooth ones and the homogeneous ones, for which
the fixed-point searches below are proven to work).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import brentq

from initlab._checks import check_int, check_positive
from initlab.activations import Activation
from initlab.theory._args import as_float_array, check_nonnegative, resolve_activation
from initlab.theory.gaussian import gaussian_expectation, gaussian_expectation_2d
from initlab.theory.variance import (
    activation_derivative_moment_factor,
    activation_second_moment_factor,
)

#: Activation names the mean-field functions accept ("linear" is the identity).
MEAN_FIELD_ACTIVATIONS = ("identity", "linear", "relu", "leaky_relu", "tanh", "sigmoid", "erf")


def mean_field_activation(activation: str | Activation) -> Activation:
    """The ``Activation`` for the mean-field functions, or ValueError naming the bad one."""
    act = resolve_activation(activation)
    if act.name not in MEAN_FIELD_ACTIVATIONS or act.d2f is None:
        raise ValueError(f"activation {act.name!r} has no mean-field support here; use one "
                         f"of {list(MEAN_FIELD_ACTIVATIONS)}")
    return act


def _sq(act: Activation):  # phi(u)^2
    return lambda u: act.f(u) ** 2


def _dsq(act: Activation):  # phi'(u)^2
    return lambda u: act.df(u, act.f(u)) ** 2


def _scales(sigma_w2: object, sigma_b2: object) -> tuple[float, float]:
    return check_positive(sigma_w2, "sigma_w2"), check_nonnegative(sigma_b2, "sigma_b2")


def length_map(
    q: float | np.ndarray, sigma_w2: float, sigma_b2: float, activation: str | Activation
) -> float | np.ndarray:
    """``q_next = sigma_w2 * E_z[phi(sqrt(q) z)^2] + sigma_b2`` (Poole et al. 2016).

    ``q`` is the pre-activation variance of one input, a scalar or an array (vectorised);
    ``sigma_w2 = fan_in * weight_var``; ``sigma_b2`` the bias variance.
    """
    act = mean_field_activation(activation)
    sigma_w2, sigma_b2 = _scales(sigma_w2, sigma_b2)
    return sigma_w2 * gaussian_expectation(_sq(act), q) + sigma_b2


def fixed_point_q(
    sigma_w2: float,
    sigma_b2: float,
    activation: str | Activation,
    q0: float = 1.0,
    tol: float = 1e-12,
    max_iter: int = 500,
) -> float:
    """The length ``q*`` that ``q_{l+1} = length_map(q_l)`` reaches from ``q_0 = q0``.

    Homogeneous (identity, relu, leaky relu): the map is affine, ``q' = a q + sigma_b2`` with
    ``a = sigma_w2 * c``, so ``q* = sigma_b2 / (1 - a)`` for ``a < 1`` (0 without bias);
    ``inf`` when ``a > 1``, or ``a = 1`` with a bias (the length grows without bound); ``q0``
    itself when ``a = 1`` and ``sigma_b2 = 0`` (every length is preserved: He without bias).

    tanh / erf / sigmoid: the map is increasing and concave in ``q`` and bounded by
    ``sigma_w2 * sup phi^2 + sigma_b2``, so the iteration from any ``q0 > 0`` converges
    monotonically to one root of ``length_map(q) = q``. Iterating takes ~1/|1 - slope|
    steps near the transition (and forever at ``sigma_w2 = 1, sigma_b2 = 0`` for tanh), so
    the root is bracketed and solved with ``brentq`` (relative tolerance ``tol``, at most
    ``max_iter`` iterations; relative so that a tiny ``q*`` near the transition is still
    accurate). Odd ``phi`` without bias: ``q* = 0`` when
    ``sigma_w2 * phi'(0)^2 <= 1`` (ordered), else the positive root.
    """
    act = mean_field_activation(activation)
    sigma_w2, sigma_b2 = _scales(sigma_w2, sigma_b2)
    q0 = check_positive(q0, "q0")
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)

    if act.homogeneous:
        a = sigma_w2 * activation_second_moment_factor(act)
        if a < 1.0:
            return sigma_b2 / (1.0 - a)
        if a == 1.0 and sigma_b2 == 0.0:
            return q0
        return math.inf

    def h(q: float) -> float:
        return length_map(q, sigma_w2, sigma_b2, act) - q

    upper = sigma_w2 * float(np.max(_sq(act)(np.array([-50.0, 50.0])))) + sigma_b2
    lower = 0.0
    if h(0.0) <= 0.0:  # odd phi and no bias: 0 is a fixed point; is it the attracting one?
        if sigma_w2 * float(_dsq(act)(np.zeros(1))[0]) <= 1.0:
            return 0.0
        lower = upper
        while h(lower) <= 0.0:  # slope at 0 exceeds 1, so h > 0 just above 0
            lower /= 4.0
            if lower < 1e-300:
                return 0.0
    if h(upper) >= 0.0:
        return upper
    rtol = max(tol, 4.0 * np.finfo(np.float64).eps)  # brentq's smallest allowed rtol
    return float(brentq(h, lower, upper, xtol=1e-300, rtol=rtol, maxiter=max_iter))


def scale_free_q(q_star: float, act: Activation) -> float:
    """The length at which to evaluate slopes when ``q*`` is 0 or inf.

    For a homogeneous phi, ``E[phi'(sqrt(q) z)^2]`` does not depend on ``q`` and the
    normalised maps are scale-free, so ``q* = inf`` (the bias is negligible) or ``q* = 0``
    (no bias) are evaluated at ``q = 1``.
    """
    if act.homogeneous and (q_star == 0.0 or math.isinf(q_star)):
        return 1.0
    return q_star


def _chi_1_at(act: Activation, sigma_w2: float, q: float) -> float:
    """``sigma_w2 * E[phi'(sqrt(q) z)^2]``; the constant ``c'`` for homogeneous phi."""
    if act.homogeneous:
        return sigma_w2 * activation_derivative_moment_factor(act)
    return sigma_w2 * gaussian_expectation(_dsq(act), q)


def chi_1(sigma_w2: float, sigma_b2: float, activation: str | Activation) -> float:
    """``chi_1 = sigma_w2 * E_z[phi'(sqrt(q*) z)^2]`` (Poole et al. 2016).

    The mean squared singular value of one layer's Jacobian at the fixed point: below 1
    small perturbations shrink (ordered), above 1 they grow (chaotic); ``chi_1 = 1`` is the
    edge of chaos. Also the per-layer gradient variance factor (Schoenholz et al. 2017).
    relu: ``sigma_w2 / 2`` for any ``sigma_b2``; linear: ``sigma_w2``.
    """
    act = mean_field_activation(activation)
    sigma_w2, sigma_b2 = _scales(sigma_w2, sigma_b2)
    q_star = fixed_point_q(sigma_w2, sigma_b2, act)
    return _chi_1_at(act, sigma_w2, scale_free_q(q_star, act))


def _kernel(act: Activation, q: float, c: float | np.ndarray, derivative: bool) -> np.ndarray:
    """``E[phi(u1) phi(u2)]`` (or of ``phi'``) at variance ``q`` and correlation ``c``.

    Homogeneous phi: the arc-cosine closed forms of the module docstring; smooth phi: the
    2-D Gauss-Hermite product rule.
    """
    c = np.clip(np.asarray(c, dtype=np.float64), -1.0, 1.0)
    if act.homogeneous:
        p, minus_m = act.f(np.array([1.0, -1.0]))            # phi(1) = p, phi(-1) = -m
        p, m = float(p), -float(minus_m)
        if derivative:                                       # k0(c) = (pi - arccos c) / 2 pi
            k0, k0_neg = ((math.pi - np.arccos(x)) / (2.0 * math.pi) for x in (c, -c))
            return (p * p + m * m) * k0 + 2.0 * p * m * k0_neg
        k1, k1_neg = (q * (np.sqrt(1.0 - x**2) + (math.pi - np.arccos(x)) * x) / (2.0 * math.pi)
                      for x in (c, -c))
        return (p * p + m * m) * k1 - 2.0 * p * m * k1_neg
    if derivative:
        dphi = lambda u: act.df(u, act.f(u))                 # noqa: E731
        return gaussian_expectation_2d(dphi, dphi, q, c)
    return gaussian_expectation_2d(act.f, act.f, q, c)


def correlation_map(
    c: float | np.ndarray,
    q_star: float,
    sigma_w2: float,
    sigma_b2: float,
    activation: str | Activation,
) -> float | np.ndarray:
    """Correlation of two inputs after one layer, both at length ``q_star``.

    ``c_next = (sigma_w2 * E[phi(u1) phi(u2)] + sigma_b2) / (sigma_w2 * E[phi(u1)^2] + sigma_b2)``
    with ``u1, u2 ~ N(0, q_star)`` of correlation ``c`` (Poole et al. 2016). At a
    fixed point the denominator equals ``q_star``, Poole's normalisation; dividing by it
    rather than by ``q_star`` keeps ``c = 1`` an exact fixed point for any ``q_star``.
    ``c`` is a scalar or an array in ``[-1, 1]``; ``q_star`` must be finite and > 0
    (for homogeneous phi with ``q* = 0`` or ``inf`` use ``q_star = 1, sigma_b2 = 0``: the
    map is scale-free there).
    """
    act = mean_field_activation(activation)
    sigma_w2, sigma_b2 = _scales(sigma_w2, sigma_b2)
    q_star = check_positive(q_star, "q_star")
    c_arr = as_float_array(c, "c", -1.0, 1.0)
    # the denominator is the numerator at c = 1, computed by the same rule: c = 1 maps to 1.0
    q_next = sigma_w2 * _kernel(act, q_star, 1.0, False) + sigma_b2
    out = (sigma_w2 * _kernel(act, q_star, c_arr, False) + sigma_b2) / q_next
    return float(out) if c_arr.ndim == 0 else out


def fixed_point_c(sigma_w2: float, sigma_b2: float, activation: str | Activation) -> float:
    """The attracting correlation fixed point ``c*`` (Poole et al. 2016; Schoenholz et al. 2017).

    ``c = 1`` is always fixed, with slope ``chi_1``: it attracts when ``chi_1 <= 1``
    (ordered; ``c* = 1``). In the chaotic phase the map is increasing and convex on
    ``[0, 1]`` (its Hermite expansion has nonnegative coefficients) and ``>= c`` at 0, so
    it has exactly one root below 1, found with ``brentq``; odd ``phi`` without bias gives
    ``c* = 0``. Homogeneous phi always gives ``c* = 1``. If ``chi_1`` exceeds 1 by so little
    that the map never dips below ``c`` in double precision, ``c* = 1`` is returned.
    """
    act = mean_field_activation(activation)
    sigma_w2, sigma_b2 = _scales(sigma_w2, sigma_b2)
    if act.homogeneous or chi_1(sigma_w2, sigma_b2, act) <= 1.0:
        return 1.0
    q_star = fixed_point_q(sigma_w2, sigma_b2, act)

    def g(c: float) -> float:
        return correlation_map(c, q_star, sigma_w2, sigma_b2, act) - c

    if g(0.0) <= 0.0:
        return 0.0
    for delta in 0.5 ** np.arange(1, 40):  # walk towards 1 until the map dips below c
        if g(1.0 - delta) < 0.0:
            return float(brentq(g, 0.0, 1.0 - delta, xtol=1e-13))
    return 1.0


def _depth_scale(chi: float) -> float:
    """``xi = -1 / log(chi)`` for ``chi < 1``; ``inf`` when ``chi >= 1`` (no exponential decay)."""
    return -1.0 / math.log(chi) if chi < 1.0 else math.inf


def depth_scales(
    sigma_w2: float, sigma_b2: float, activation: str | Activation
) -> dict[str, float]:
    """Fixed points, slopes and depth scales at one ``(sigma_w2, sigma_b2)``.

    Returns floats ``q_star``, ``c_star``, ``chi_1``, ``chi_q``, ``chi_c``, ``xi_q``, ``xi_c``
    (Schoenholz et al. 2017, section 3):
    ``chi_q = sigma_w2 * E[phi'(u)^2 + phi(u) phi''(u)]`` is the slope of the length map at
    ``q*`` and ``chi_c = sigma_w2 * E[phi'(u1) phi'(u2)]`` that of the correlation map at
    ``c*``; ``xi = -1 / log(chi)``. ``xi_c`` diverges at ``chi_1 = 1`` (criticality) and is
    reported as ``inf`` whenever ``chi >= 1`` (e.g. ReLU with ``sigma_w2 >= 2``, whose length
    does not settle). For homogeneous phi without a finite positive ``q*`` the slopes are those
    of the scale-free maps, ``chi_q = chi_c = chi_1``.
    """
    act = mean_field_activation(activation)
    sigma_w2, sigma_b2 = _scales(sigma_w2, sigma_b2)
    q_star = fixed_point_q(sigma_w2, sigma_b2, act)
    c_star = fixed_point_c(sigma_w2, sigma_b2, act)
    q = scale_free_q(q_star, act)
    chi1 = _chi_1_at(act, sigma_w2, q)
    if act.homogeneous:                                      # phi'' = 0 wherever phi != 0
        chi_q = chi1
    else:
        chi_q = sigma_w2 * gaussian_expectation(
            lambda u: act.df(u, act.f(u)) ** 2 + act.f(u) * act.d2f(u, act.f(u)), q)
    chi_c = chi1 if c_star == 1.0 else sigma_w2 * _kernel(act, q, c_star, True)
    return {
        "q_star": float(q_star),
        "c_star": float(c_star),
        "chi_1": float(chi1),
        "chi_q": float(chi_q),
        "chi_c": float(chi_c),
        "xi_q": _depth_scale(float(chi_q)),
        "xi_c": _depth_scale(float(chi_c)),
    }


def depth_scales_grid(
    sigma_w2_values: Sequence[float] | np.ndarray,
    sigma_b2_values: Sequence[float] | np.ndarray,
    activation: str | Activation,
) -> dict[str, np.ndarray]:
    """:func:`depth_scales` on a grid, for heatmaps.

    Returns a dict with the keys of :func:`depth_scales`, each an ndarray of shape
    ``(len(sigma_b2_values), len(sigma_w2_values))``: entry ``[i, j]`` is at
    ``sigma_b2_values[i]``, ``sigma_w2_values[j]``, so
    ``pcolormesh(sigma_w2_values, sigma_b2_values, out["xi_c"])`` draws it directly.
    """
    act = mean_field_activation(activation)
    w_values = as_float_array(sigma_w2_values, "sigma_w2_values", 0.0).ravel()
    b_values = as_float_array(sigma_b2_values, "sigma_b2_values", 0.0).ravel()
    keys = ("q_star", "c_star", "chi_1", "chi_q", "chi_c", "xi_q", "xi_c")
    out = {k: np.empty((b_values.size, w_values.size)) for k in keys}
    for i, sigma_b2 in enumerate(b_values):
        for j, sigma_w2 in enumerate(w_values):
            scales = depth_scales(float(sigma_w2), float(sigma_b2), act)
            for k in keys:
                out[k][i, j] = scales[k]
    return out


def critical_sigma_w2(sigma_b2: float, activation: str | Activation) -> float:
    """The ``sigma_w2`` on the order-to-chaos line, where ``chi_1(sigma_w2, sigma_b2) = 1``.

    Homogeneous phi: ``chi_1 = sigma_w2 c'`` at every length, so ``1 / c'`` for every
    ``sigma_b2`` (relu: 2, He's ``weight_var = 2 / fan_in``; leaky relu ``2 / (1 + a^2)``).
    Smooth phi: brackets the root by halving/doubling from 1 and solves with ``brentq``;
    tanh without bias gives exactly 1, and moves right as ``sigma_b2`` grows (Poole et al.
    2016, Fig. 1). Accuracy is that of the 300-node Hermite rule at ``q*``: ~1e-9 for tanh;
    sigmoid's critical point (about 103 without bias) sits at ``q* ~ 46``, where ``chi_1``
    comes out 2e-4 low and the critical ``sigma_w2`` 4e-4 high.
    """
    act = mean_field_activation(activation)
    sigma_b2 = check_nonnegative(sigma_b2, "sigma_b2")
    if act.homogeneous:
        return 1.0 / activation_derivative_moment_factor(act)

    def f(sigma_w2: float) -> float:
        return chi_1(sigma_w2, sigma_b2, act) - 1.0

    low, high = 1.0, 1.0
    while f(low) >= 0.0:
        low /= 2.0
        if low < 1e-8:
            raise ValueError(f"no critical sigma_w2 for {act.name!r} at sigma_b2={sigma_b2!r}")
    while f(high) <= 0.0:
        high *= 2.0
        if high > 1e8:
            raise ValueError(f"no critical sigma_w2 for {act.name!r} at sigma_b2={sigma_b2!r}")
    return float(brentq(f, low, high, xtol=1e-12, maxiter=500))
