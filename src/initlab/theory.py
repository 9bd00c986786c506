"""Closed-form and quadrature predictions that the chapters overlay on simulations.

What: three families of theory for a fully connected net ``Z_l = A_{l-1} @ W_l + b_l``,
``A_l = phi(Z_l)``, weights ``(n_in, n_out)`` with i.i.d. entries of variance ``weight_var``.

1. Variance propagation (Glorot & Bengio 2010; He et al. 2015). For linear, ReLU and leaky
   ReLU the second moment of the activation is a constant times that of the pre-activation,
   ``E[phi(z)^2] = c * E[z^2]``, so depth multiplies the pre-activation variance by
   ``fan_in * weight_var * c`` per layer, and the backward pass multiplies the gradient
   variance by ``fan_out * weight_var * E[phi'(z)^2]``. He's ``2 / fan_in`` makes both 1.
2. Mean field (Poole et al. 2016, "Exponential expressivity in deep neural networks through
   transient chaos"; Schoenholz et al. 2017, "Deep information propagation"). In the
   infinite-width limit with ``weight_var = sigma_w2 / fan_in`` and bias variance
   ``sigma_b2``, the length ``q_l`` of one input and the correlation ``c_l`` of two inputs
   follow deterministic maps; their fixed points ``q*``, ``c*`` and slopes ``chi_1``,
   ``chi_c`` give the order-to-chaos line (``chi_1 = 1``) and the depth scales
   ``xi_q``, ``xi_c`` over which signals survive. Expectations over Gaussians are computed
   with Gauss-Hermite quadrature (probabilists' weights, product rule in 2-D); the ReLU and
   linear two-input kernels use their closed forms (Cho & Saul 2009) because a product
   rule converges slowly across the ReLU kink.
3. Deep linear learning dynamics (Saxe et al. 2014): the logistic growth of each mode.

Why: a figure of a simulation means little without the line theory draws through it; these
functions are that line, and the tests check them against closed forms, Monte Carlo and
seeded simulations. Everything is float64; functions take scalars (returning floats) or
arrays (returning arrays of the same shape) where stated.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import brentq
from scipy.special import erf

from initlab._checks import check_choice, check_int, check_positive

# ---------------------------------------------------------------- argument checks


def _check_nonnegative(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number >= 0, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"`{name}` must be a finite number >= 0, got {value!r}")
    return float(value)


def _check_alpha(alpha: object) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not 0 <= alpha < 1:
        raise ValueError(f"leaky_relu `alpha` must be a number in [0, 1), got {alpha!r}")
    return float(alpha)


def _as_float_array(x: object, name: str, low: float, high: float = math.inf) -> np.ndarray:
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


def _per_layer(value: object, n_layers: int, name: str, integer: bool) -> np.ndarray:
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


# ---------------------------------------------------------------- 1. variance propagation

# E[phi(z)^2] / E[z^2] and E[phi'(z)^2] for z symmetric about 0 (any variance): the
# positive half carries half the mass, the negative half is scaled by alpha.
_MOMENT_FACTORS: dict[str, Callable[[float], tuple[float, float]]] = {
    "linear": lambda alpha: (1.0, 1.0),
    "identity": lambda alpha: (1.0, 1.0),
    "relu": lambda alpha: (0.5, 0.5),
    "leaky_relu": lambda alpha: ((1.0 + alpha**2) / 2.0, (1.0 + alpha**2) / 2.0),
}
_MEAN_FIELD_ONLY = ("tanh", "sigmoid", "erf")


def _moment_factors(activation: str, alpha: float) -> tuple[float, float]:
    if activation in _MEAN_FIELD_ONLY:
        raise ValueError(
            f"activation {activation!r} has no constant factor E[phi(z)^2] = c Var(z): its "
            "ratio depends on Var(z). Use the mean-field functions initlab.theory.length_map "
            "/ fixed_point_q / chi_1 (Gauss-Hermite quadrature) instead."
        )
    check_choice(activation, "activation", _MOMENT_FACTORS)
    return _MOMENT_FACTORS[activation](_check_alpha(alpha))


def activation_second_moment_factor(activation: str, alpha: float = 0.01) -> float:
    """The factor ``c`` with ``E[phi(z)^2] = c * Var(z)`` for ``z ~ N(0, q)``.

    linear/identity: 1; relu: 1/2; leaky_relu: ``(1 + alpha^2) / 2`` (He et al. 2015,
    section 2.2, and its leaky variant). It holds for any distribution symmetric about 0, which is
    why :func:`predicted_variance` is exact in expectation even at finite width. tanh,
    sigmoid and erf have no such constant: they raise ValueError pointing to the mean-field
    functions.
    """
    return _moment_factors(activation, alpha)[0]


def activation_derivative_moment_factor(activation: str, alpha: float = 0.01) -> float:
    """``E[phi'(z)^2]`` for ``z`` symmetric about 0: linear 1, relu 1/2, leaky ``(1+alpha^2)/2``.

    The backward-pass analogue of :func:`activation_second_moment_factor` (He et al. 2015,
    section 2.2).
    """
    return _moment_factors(activation, alpha)[1]


def predicted_variance(
    n_layers: int,
    fan_in: int | Sequence[int],
    weight_var: float | Sequence[float],
    activation: str,
    input_var: float = 1.0,
    alpha: float = 0.01,
) -> np.ndarray:
    """Pre-activation variance ``q_l = E[Z_l^2]`` of layers ``l = 1..n_layers``, zero biases.

    Convention: ``input_var`` is the second moment ``E[x^2]`` of one input coordinate (the
    input is not passed through ``phi``), so layer 1 has
    ``q_1 = fan_in_1 * weight_var_1 * input_var`` and every later layer
    ``q_l = fan_in_l * weight_var_l * c * q_{l-1}`` with ``c`` from
    :func:`activation_second_moment_factor` (Glorot & Bengio 2010, section 4.2; He et al. 2015,
    section 2.2). ``fan_in`` and ``weight_var`` are scalars or one entry per layer.

    Exactness: given the previous layer, ``E[z^2] = fan_in * weight_var * E[a^2]`` for any
    zero-mean weights, and ``z`` is symmetric because the weights are, so ``E[a^2] = c E[z^2]``
    exactly: ``q_l`` is the expectation over weights and inputs at any width. One network's
    measured variance fluctuates around it (relative spread ~ sqrt(depth / width)).

    Returns an ndarray of shape ``(n_layers,)``; entry ``l - 1`` is layer ``l``.
    """
    n_layers = check_int(n_layers, "n_layers", minimum=1)
    fans = _per_layer(fan_in, n_layers, "fan_in", integer=True)
    variances = _per_layer(weight_var, n_layers, "weight_var", integer=False)
    c = activation_second_moment_factor(activation, alpha)
    input_var = check_positive(input_var, "input_var")
    # per-layer multiplier: the input enters raw, every later layer through phi (factor c)
    multipliers = fans * variances * np.r_[1.0, np.full(n_layers - 1, c)]
    return input_var * np.cumprod(multipliers)


def backward_factor(
    fan_out: int, weight_var: float, activation: str, alpha: float = 0.01
) -> float:
    """Per-layer multiplier of the gradient variance: ``fan_out * weight_var * E[phi'(z)^2]``.

    From ``dZ_{l-1} = (dZ_l @ W_l.T) * phi'(Z_{l-1})`` with ``W_l`` of shape ``(n_in, n_out)``,
    ``E[dZ_{l-1}^2] = fan_out_l * weight_var_l * E[phi'^2] * E[dZ_l^2]`` (Glorot & Bengio 2010,
    section 4.2; He et al. 2015, section 2.2). After ``k`` equal layers the ratio is this factor to
    the power ``k``: the ``(n sigma^2 c)^k`` line for gradients.
    """
    fan_out = check_int(fan_out, "fan_out", minimum=1)
    weight_var = check_positive(weight_var, "weight_var")
    return fan_out * weight_var * activation_derivative_moment_factor(activation, alpha)


def predicted_gradient_variance(
    n_layers: int,
    fan_out: int | Sequence[int],
    weight_var: float | Sequence[float],
    activation: str,
    top_grad_var: float = 1.0,
    alpha: float = 0.01,
) -> np.ndarray:
    """Variance of ``dL/dZ_l`` for ``l = 1..n_layers`` given ``Var(dL/dZ_L) = top_grad_var``.

    ``Var(dZ_{l-1}) = fan_out_l * weight_var_l * E[phi'^2] * Var(dZ_l)``, where ``fan_out_l``
    and ``weight_var_l`` belong to ``W_l`` (entry ``l - 1`` of a sequence; entry 0, the first
    layer's, is not used because nothing is propagated below layer 1). Exact in expectation
    for linear nets; for ReLU it uses the usual assumption that backward weights are
    independent of the forward pass (Glorot & Bengio 2010; He et al. 2015).

    Returns an ndarray of shape ``(n_layers,)``; entry ``l - 1`` is layer ``l``, the last
    entry is ``top_grad_var``.
    """
    n_layers = check_int(n_layers, "n_layers", minimum=1)
    fans = _per_layer(fan_out, n_layers, "fan_out", integer=True)
    variances = _per_layer(weight_var, n_layers, "weight_var", integer=False)
    d = activation_derivative_moment_factor(activation, alpha)
    top_grad_var = check_positive(top_grad_var, "top_grad_var")
    factors = fans[1:] * variances[1:] * d          # layer l -> l-1, for l = 2..n_layers
    below = np.cumprod(factors[::-1])[::-1]          # product over layers l+1..L
    return top_grad_var * np.r_[below, 1.0]


# ---------------------------------------------------------------- 2. mean field

# Node counts are even (no node at 0, so the ReLU kink is split symmetrically and its 1-D
# moments are exact). Measured against the erf closed forms: 1-D error < 1e-12 for q <= 6,
# 6e-9 at q = 10; 2-D error < 1e-10 for q <= 4, 3e-7 at q = 10, c = 0.99. hermegauss
# returns NaN weights from 400 nodes on.
_N_QUAD_1D = 300
_N_QUAD_2D = 150  # product rule, 150 x 150 nodes
_Z1, _W1 = hermegauss(_N_QUAD_1D)
_W1 = _W1 / _W1.sum()  # probabilists' weights sum to sqrt(2 pi); normalise to 1
_Z2, _W2 = hermegauss(_N_QUAD_2D)
_W2 = _W2 / _W2.sum()


def _sigmoid(u: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(u))  # never exp of a large positive number
    return np.where(u >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@dataclass(frozen=True)
class _MeanFieldActivation:
    """``phi`` with ``phi'`` and ``phi''``; ``homogeneous`` marks ``phi(a u) = a phi(u)``."""

    phi: Callable[[np.ndarray], np.ndarray]
    dphi: Callable[[np.ndarray], np.ndarray]
    d2phi: Callable[[np.ndarray], np.ndarray]
    homogeneous: bool = False


def _sig_d(u: np.ndarray) -> np.ndarray:
    s = _sigmoid(u)
    return s * (1.0 - s)


def _sig_d2(u: np.ndarray) -> np.ndarray:
    s = _sigmoid(u)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_MEAN_FIELD: dict[str, _MeanFieldActivation] = {
    "tanh": _MeanFieldActivation(
        np.tanh,
        lambda u: 1.0 - np.tanh(u) ** 2,                             # sech^2
        lambda u: -2.0 * np.tanh(u) * (1.0 - np.tanh(u) ** 2),
    ),
    "sigmoid": _MeanFieldActivation(_sigmoid, _sig_d, _sig_d2),
    "erf": _MeanFieldActivation(
        erf,
        lambda u: _TWO_OVER_SQRT_PI * np.exp(-(u**2)),               # 2/sqrt(pi) e^{-u^2}
        lambda u: -2.0 * u * _TWO_OVER_SQRT_PI * np.exp(-(u**2)),
    ),
    "relu": _MeanFieldActivation(
        lambda u: np.maximum(u, 0.0),
        lambda u: (u > 0).astype(np.float64),
        np.zeros_like,                                               # phi * phi'' = 0
        homogeneous=True,
    ),
    "linear": _MeanFieldActivation(
        lambda u: u, np.ones_like, np.zeros_like, homogeneous=True
    ),
}
_ALIASES = {"identity": "linear"}


def _mean_field_activation(activation: object) -> tuple[str, _MeanFieldActivation]:
    name = _ALIASES.get(activation, activation) if isinstance(activation, str) else activation
    check_choice(name, "activation", [*_MEAN_FIELD, *_ALIASES])
    return name, _MEAN_FIELD[name]  # type: ignore[index]


def _check_mean_field_scales(sigma_w2: object, sigma_b2: object) -> tuple[float, float]:
    return check_positive(sigma_w2, "sigma_w2"), _check_nonnegative(sigma_b2, "sigma_b2")


def gaussian_expectation(
    f: Callable[[np.ndarray], np.ndarray], q: float | np.ndarray
) -> float | np.ndarray:
    """``E_z[f(sqrt(q) z)]``, ``z ~ N(0, 1)``, by 300-node Gauss-Hermite quadrature.

    ``sum_i w_i f(sqrt(q) x_i)`` with probabilists' nodes ``x_i`` and weights ``w_i``
    normalised to sum to 1. ``q`` is a scalar (returns a float) or an array of any shape.
    Exact for polynomials of degree < 600; accuracy for tanh-like ``f`` falls as ``q``
    grows (the integrand sharpens at 0): see the error table above ``_N_QUAD_1D``.
    """
    q_arr = _as_float_array(q, "q", 0.0)
    values = f(np.sqrt(q_arr)[..., None] * _Z1) @ _W1
    return float(values) if q_arr.ndim == 0 else values


def gaussian_expectation_2d(
    f: Callable[[np.ndarray], np.ndarray],
    g: Callable[[np.ndarray], np.ndarray],
    q: float,
    c: float | np.ndarray,
) -> float | np.ndarray:
    """``E[f(u1) g(u2)]`` for ``(u1, u2)`` Gaussian, variances ``q``, correlation ``c``.

    Writes ``u1 = sqrt(q) z1``, ``u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2)`` with independent
    standard normals and applies the 150 x 150 Gauss-Hermite product rule. ``c`` is a scalar
    (returns a float) or an array of any shape with entries in ``[-1, 1]``.
    """
    q = float(_as_float_array(q, "q", 0.0))
    c_arr = _as_float_array(c, "c", -1.0, 1.0)
    s = np.sqrt(1.0 - c_arr**2)[..., None, None]
    u1 = math.sqrt(q) * _Z2[:, None]                               # (N, 1)
    u2 = math.sqrt(q) * (c_arr[..., None, None] * _Z2[:, None] + s * _Z2[None, :])
    values = np.einsum("i,j,...ij->...", _W2, _W2, f(u1) * g(u2))
    return float(values) if c_arr.ndim == 0 else values


def length_map(
    q: float | np.ndarray, sigma_w2: float, sigma_b2: float, activation: str
) -> float | np.ndarray:
    """``q_next = sigma_w2 * E_z[phi(sqrt(q) z)^2] + sigma_b2`` (Poole et al. 2016).

    ``q`` is the pre-activation variance of one input, a scalar or an array (vectorised);
    ``sigma_w2 = fan_in * weight_var``; ``sigma_b2`` the bias variance.
    """
    _, act = _mean_field_activation(activation)
    sigma_w2, sigma_b2 = _check_mean_field_scales(sigma_w2, sigma_b2)
    return sigma_w2 * gaussian_expectation(lambda u: act.phi(u) ** 2, q) + sigma_b2


def fixed_point_q(
    sigma_w2: float,
    sigma_b2: float,
    activation: str,
    q0: float = 1.0,
    tol: float = 1e-12,
    max_iter: int = 500,
) -> float:
    """The length ``q*`` that ``q_{l+1} = length_map(q_l)`` reaches from ``q_0 = q0``.

    relu / linear: the map is affine, ``q' = a q + sigma_b2`` with ``a = sigma_w2 * c``, so
    ``q* = sigma_b2 / (1 - a)`` for ``a < 1`` (0 without bias); ``inf`` when ``a > 1``, or
    ``a = 1`` with a bias (the length grows without bound); ``q0`` itself when ``a = 1``
    and ``sigma_b2 = 0`` (every length is preserved: He init without bias).

    tanh / erf / sigmoid: the map is increasing and concave in ``q`` and bounded by
    ``sigma_w2 * sup phi^2 + sigma_b2``, so the iteration from any ``q0 > 0`` converges
    monotonically to one root of ``length_map(q) = q``. Iterating takes ~1/|1 - slope|
    steps near the transition (and forever at ``sigma_w2 = 1, sigma_b2 = 0`` for tanh), so
    the root is bracketed and solved with ``brentq`` (relative tolerance ``tol``, at most
    ``max_iter`` iterations; relative so that a tiny ``q*`` near the transition is still
    accurate). Odd ``phi`` without bias: ``q* = 0`` when
    ``sigma_w2 * phi'(0)^2 <= 1`` (ordered), else the positive root.
    """
    name, act = _mean_field_activation(activation)
    sigma_w2, sigma_b2 = _check_mean_field_scales(sigma_w2, sigma_b2)
    q0 = check_positive(q0, "q0")
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)

    if act.homogeneous:
        a = sigma_w2 * activation_second_moment_factor(name)
        if a < 1.0:
            return sigma_b2 / (1.0 - a)
        if a == 1.0 and sigma_b2 == 0.0:
            return q0
        return math.inf

    def h(q: float) -> float:
        return length_map(q, sigma_w2, sigma_b2, name) - q

    upper = sigma_w2 * float(np.max(act.phi(np.array([-50.0, 50.0]))) ** 2) + sigma_b2
    lower = 0.0
    if h(0.0) <= 0.0:  # odd phi and no bias: 0 is a fixed point; is it the attracting one?
        if sigma_w2 * float(act.dphi(np.array(0.0))) ** 2 <= 1.0:
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


def _q_eval(q_star: float, homogeneous: bool) -> float:
    """The length at which to evaluate slopes when ``q*`` is 0 or inf.

    For a homogeneous phi, ``E[phi'(sqrt(q) z)^2]`` does not depend on ``q`` and the
    normalised maps are scale-free, so ``q* = inf`` (the bias is negligible) or ``q* = 0``
    (no bias) are evaluated at ``q = 1``.
    """
    if homogeneous and (q_star == 0.0 or math.isinf(q_star)):
        return 1.0
    return q_star


def chi_1(sigma_w2: float, sigma_b2: float, activation: str) -> float:
    """``chi_1 = sigma_w2 * E_z[phi'(sqrt(q*) z)^2]`` (Poole et al. 2016).

    The mean squared singular value of one layer's Jacobian at the fixed point: below 1
    small perturbations shrink (ordered), above 1 they grow (chaotic); ``chi_1 = 1`` is the
    edge of chaos. Also the per-layer gradient variance factor (Schoenholz et al. 2017).
    relu: ``sigma_w2 / 2`` for any ``sigma_b2``; linear: ``sigma_w2``.
    """
    name, act = _mean_field_activation(activation)
    sigma_w2, sigma_b2 = _check_mean_field_scales(sigma_w2, sigma_b2)
    q_star = fixed_point_q(sigma_w2, sigma_b2, name)
    q = _q_eval(q_star, act.homogeneous)
    return sigma_w2 * gaussian_expectation(lambda u: act.dphi(u) ** 2, q)


def _kernel(
    name: str, act: _MeanFieldActivation, q: float, c: float | np.ndarray, derivative: bool
) -> np.ndarray:
    """``E[phi(u1) phi(u2)]`` (or of ``phi'``) at variance ``q`` and correlation ``c``.

    relu and linear use the closed forms (arc-cosine kernel, Cho & Saul 2009):
    ``E[relu relu] = q (sqrt(1 - c^2) + (pi - arccos c) c) / (2 pi)``,
    ``E[relu' relu'] = (pi - arccos c) / (2 pi)``; the smooth ones use quadrature.
    """
    c = np.clip(np.asarray(c, dtype=np.float64), -1.0, 1.0)
    if name == "relu":
        theta = np.arccos(c)
        if derivative:
            return (math.pi - theta) / (2.0 * math.pi)
        return q * (np.sqrt(1.0 - c**2) + (math.pi - theta) * c) / (2.0 * math.pi)
    if name == "linear":
        return np.ones_like(c) if derivative else q * c
    f = act.dphi if derivative else act.phi
    return gaussian_expectation_2d(f, f, q, c)


def correlation_map(
    c: float | np.ndarray, q_star: float, sigma_w2: float, sigma_b2: float, activation: str
) -> float | np.ndarray:
    """Correlation of two inputs after one layer, both at length ``q_star``.

    ``c_next = (sigma_w2 * E[phi(u1) phi(u2)] + sigma_b2) / (sigma_w2 * E[phi(u1)^2] + sigma_b2)``
    with ``u1, u2 ~ N(0, q_star)`` of correlation ``c`` (Poole et al. 2016). At a
    fixed point the denominator equals ``q_star``, Poole's normalisation; dividing by it
    rather than by ``q_star`` keeps ``c = 1`` an exact fixed point for any ``q_star``.
    ``c`` is a scalar or an array in ``[-1, 1]``; ``q_star`` must be finite and > 0
    (for relu/linear with ``q* = 0`` or ``inf`` use ``q_star = 1, sigma_b2 = 0``: the map is
    scale-free there).
    """
    name, act = _mean_field_activation(activation)
    sigma_w2, sigma_b2 = _check_mean_field_scales(sigma_w2, sigma_b2)
    q_star = check_positive(q_star, "q_star")
    c_arr = _as_float_array(c, "c", -1.0, 1.0)
    # the denominator is the numerator at c = 1, computed by the same rule: c = 1 maps to 1.0
    q_next = sigma_w2 * _kernel(name, act, q_star, 1.0, False) + sigma_b2
    out = (sigma_w2 * _kernel(name, act, q_star, c_arr, False) + sigma_b2) / q_next
    return float(out) if c_arr.ndim == 0 else out


def fixed_point_c(sigma_w2: float, sigma_b2: float, activation: str) -> float:
    """The attracting correlation fixed point ``c*`` (Poole et al. 2016; Schoenholz et al. 2017).

    ``c = 1`` is always fixed, with slope ``chi_1``: it attracts when ``chi_1 <= 1``
    (ordered; ``c* = 1``). In the chaotic phase the map is increasing and convex on
    ``[0, 1]`` (its Hermite expansion has nonnegative coefficients) and ``>= c`` at 0, so
    it has exactly one root below 1, found with ``brentq``; odd ``phi`` without bias gives
    ``c* = 0``. relu and linear always give ``c* = 1``. If ``chi_1`` exceeds 1 by so little
    that the map never dips below ``c`` in double precision, ``c* = 1`` is returned.
    """
    name, act = _mean_field_activation(activation)
    sigma_w2, sigma_b2 = _check_mean_field_scales(sigma_w2, sigma_b2)
    if act.homogeneous or chi_1(sigma_w2, sigma_b2, name) <= 1.0:
        return 1.0
    q_star = fixed_point_q(sigma_w2, sigma_b2, name)

    def g(c: float) -> float:
        return correlation_map(c, q_star, sigma_w2, sigma_b2, name) - c

    if g(0.0) <= 0.0:
        return 0.0
    for delta in 0.5 ** np.arange(1, 40):  # walk towards 1 until the map dips below c
        if g(1.0 - delta) < 0.0:
            return float(brentq(g, 0.0, 1.0 - delta, xtol=1e-13))
    return 1.0


def _depth_scale(chi: float) -> float:
    """``xi = -1 / log(chi)`` for ``chi < 1``; ``inf`` when ``chi >= 1`` (no exponential decay)."""
    return -1.0 / math.log(chi) if chi < 1.0 else math.inf


def depth_scales(sigma_w2: float, sigma_b2: float, activation: str) -> dict[str, float]:
    """Fixed points, slopes and depth scales at one ``(sigma_w2, sigma_b2)``.

    Returns floats ``q_star``, ``c_star``, ``chi_1``, ``chi_q``, ``chi_c``, ``xi_q``, ``xi_c``
    (Schoenholz et al. 2017, section 3):
    ``chi_q = sigma_w2 * E[phi'(u)^2 + phi(u) phi''(u)]`` is the slope of the length map at
    ``q*`` and ``chi_c = sigma_w2 * E[phi'(u1) phi'(u2)]`` that of the correlation map at
    ``c*``; ``xi = -1 / log(chi)``. ``xi_c`` diverges at ``chi_1 = 1`` (criticality) and is
    reported as ``inf`` whenever ``chi >= 1`` (e.g. ReLU with ``sigma_w2 >= 2``, whose length
    does not settle). For relu/linear without a finite positive ``q*`` the slopes are those
    of the scale-free maps, ``chi_q = chi_c = chi_1``.
    """
    name, act = _mean_field_activation(activation)
    sigma_w2, sigma_b2 = _check_mean_field_scales(sigma_w2, sigma_b2)
    q_star = fixed_point_q(sigma_w2, sigma_b2, name)
    c_star = fixed_point_c(sigma_w2, sigma_b2, name)
    q = _q_eval(q_star, act.homogeneous)
    chi1 = sigma_w2 * gaussian_expectation(lambda u: act.dphi(u) ** 2, q)
    chi_q = sigma_w2 * gaussian_expectation(
        lambda u: act.dphi(u) ** 2 + act.phi(u) * act.d2phi(u), q
    )
    chi_c = chi1 if c_star == 1.0 else sigma_w2 * _kernel(name, act, q, c_star, True)
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
    activation: str,
) -> dict[str, np.ndarray]:
    """:func:`depth_scales` on a grid, for heatmaps.

    Returns a dict with the keys of :func:`depth_scales`, each an ndarray of shape
    ``(len(sigma_b2_values), len(sigma_w2_values))``: entry ``[i, j]`` is at
    ``sigma_b2_values[i]``, ``sigma_w2_values[j]``, so
    ``pcolormesh(sigma_w2_values, sigma_b2_values, out["xi_c"])`` draws it directly.
    """
    _mean_field_activation(activation)
    w_values = _as_float_array(sigma_w2_values, "sigma_w2_values", 0.0).ravel()
    b_values = _as_float_array(sigma_b2_values, "sigma_b2_values", 0.0).ravel()
    keys = ("q_star", "c_star", "chi_1", "chi_q", "chi_c", "xi_q", "xi_c")
    out = {k: np.empty((b_values.size, w_values.size)) for k in keys}
    for i, sigma_b2 in enumerate(b_values):
        for j, sigma_w2 in enumerate(w_values):
            scales = depth_scales(float(sigma_w2), float(sigma_b2), activation)
            for k in keys:
                out[k][i, j] = scales[k]
    return out


def critical_sigma_w2(sigma_b2: float, activation: str) -> float:
    """The ``sigma_w2`` on the order-to-chaos line, where ``chi_1(sigma_w2, sigma_b2) = 1``.

    Brackets the root by halving/doubling from 1 and solves with ``brentq``. tanh without
    bias gives exactly 1; tanh moves right as ``sigma_b2`` grows (Poole et al. 2016, Fig. 1);
    relu gives 2 for every ``sigma_b2`` (He init, ``weight_var = 2 / fan_in``).
    """
    name, _ = _mean_field_activation(activation)
    sigma_b2 = _check_nonnegative(sigma_b2, "sigma_b2")

    def f(sigma_w2: float) -> float:
        return chi_1(sigma_w2, sigma_b2, name) - 1.0

    low, high = 1.0, 1.0
    while f(low) >= 0.0:
        low /= 2.0
        if low < 1e-8:
            raise ValueError(f"no critical sigma_w2 for {activation!r} at sigma_b2={sigma_b2!r}")
    while f(high) <= 0.0:
        high *= 2.0
        if high > 1e8:
            raise ValueError(f"no critical sigma_w2 for {activation!r} at sigma_b2={sigma_b2!r}")
    return float(brentq(f, low, high, xtol=1e-12, maxiter=500))


# ---------------------------------------------------------------- 3. deep linear dynamics


def saxe_mode_strength(
    t: float | np.ndarray, s: float, a0: float, tau: float
) -> float | np.ndarray:
    """Strength ``a(t)`` of one input-output mode of a two-layer linear net (Saxe et al. 2014).

    Setting: ``y_hat = x @ W1 @ W2`` (one hidden layer, no nonlinearity), whitened inputs,
    squared loss, gradient flow ``tau * dW/dt = -dL/dW`` (``tau = 1 / lr`` for full-batch
    gradient descent, ``t`` counted in steps), and a small *balanced* initialisation aligned
    with the singular vectors of the input-output correlation, whose singular value for this
    mode is ``s``. The mode's strength ``a = u . v`` obeys ``tau da/dt = 2 a (s - a)``, solved by

        a(t) = s e^{2 s t / tau} / (e^{2 s t / tau} - 1 + s / a0)

    a sigmoid in ``log``-time: a plateau of length ~ ``tau / (2 s) * log(s / a0)``, then a
    rapid rise to ``s``. Written as ``s / (1 + (s / a0 - 1) e^{-2 s t / tau})`` so large ``t``
    cannot overflow. ``t`` is a scalar (returns a float) or an array of times ``>= 0``.
    """
    t_arr = _as_float_array(t, "t", 0.0)
    s = check_positive(s, "s")
    a0 = check_positive(a0, "a0")
    tau = check_positive(tau, "tau")
    a = s / (1.0 + (s / a0 - 1.0) * np.exp(-2.0 * s * t_arr / tau))
    return float(a) if t_arr.ndim == 0 else a
