"""Variance propagation through depth at initialization (Glorot & Bengio 2010; He et al. 2015).

What: for ``Z_l = A_{l-1} @ W_l`` (weights ``(n_in, n_out)``, i.i.d. entries of variance
``weight_var``, zero biases) and ``A_l = phi(Z_l)``, the pre-activation variance obeys
``E[Z_l^2] = fan_in * weight_var * E[A_{l-1}^2]`` and the back-propagated gradient
``E[dZ_{l-1}^2] = fan_out * weight_var * E[phi'(Z_{l-1})^2] * E[dZ_l^2]``. For a *homogeneous*
``phi`` (identity, relu, leaky relu: ``phi(a z) = a phi(z)`` for ``a > 0``, see
:class:`initlab.activations.Activation`) both moments are constants times ``E[z^2]``:

    E[phi(z)^2]  = c  E[z^2],   c  = (phi(1)^2  + phi(-1)^2)  / 2    (relu 1/2, leaky (1+a^2)/2)
    E[phi'(z)^2] = c',          c' = (phi'(1)^2 + phi'(-1)^2) / 2

for any ``z`` symmetric about 0, so depth multiplies the variance by ``fan_in weight_var c``
per layer; He's ``weight_var = 2 / fan_in`` makes that 1 for relu. Smooth activations (tanh,
sigmoid, erf) have no such constant; near ``z = 0`` they are linear, which gives the
*small-signal* factors of :func:`small_signal_factors`; beyond it use :mod:`.mean_field`.

Why: these are the straight lines that chapters draw through measured per-layer variances
(He et al. 2015, "Delving deep into rectifiers", section 2.2; Glorot & Bengio 2010,
"Understanding the difficulty of training deep feedforward neural networks", section 4.2).

Shapes: per-layer results are ndarrays ``(n_layers,)``, entry ``l - 1`` for layer ``l``.
``activation`` is a name of :mod:`initlab.activations` or an ``Activation``; ``alpha`` is the
leaky relu slope when it is given by name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab._checks import check_int, check_positive
from initlab.activations import Activation
from initlab.theory._args import per_layer, resolve_activation

_PLUS_MINUS_ONE = np.array([1.0, -1.0])


def _homogeneous(activation: str | Activation, alpha: float) -> Activation:
    act = resolve_activation(activation, alpha)
    if not act.homogeneous:
        raise ValueError(
            f"activation {act.name!r} has no constant factor E[phi(z)^2] = c Var(z): its "
            "ratio depends on Var(z). Use the mean-field functions initlab.theory.length_map "
            "/ fixed_point_q / chi_1 / mean_field_profile (Gaussian quadrature) instead."
        )
    return act


def activation_second_moment_factor(activation: str | Activation, alpha: float = 0.01) -> float:
    """The factor ``c = (phi(1)^2 + phi(-1)^2) / 2`` with ``E[phi(z)^2] = c * E[z^2]``.

    linear/identity: 1; relu: 1/2; leaky_relu: ``(1 + alpha^2) / 2`` (He et al. 2015,
    section 2.2). It holds for any ``z`` symmetric about 0, which is why
    :func:`predicted_variance` is exact in expectation even at finite width. Non-homogeneous
    activations (tanh, sigmoid, erf, ...) raise ValueError pointing to the mean-field functions.
    """
    act = _homogeneous(activation, alpha)
    up, down = act.f(_PLUS_MINUS_ONE.copy())                 # phi(1), phi(-1)
    return float((up**2 + down**2) / 2.0)


def activation_derivative_moment_factor(
    activation: str | Activation, alpha: float = 0.01
) -> float:
    """``E[phi'(z)^2] = (phi'(1)^2 + phi'(-1)^2) / 2`` for ``z`` symmetric about 0.

    linear 1, relu 1/2, leaky ``(1 + alpha^2) / 2``: the backward-pass analogue of
    :func:`activation_second_moment_factor` (He et al. 2015, section 2.2).
    """
    act = _homogeneous(activation, alpha)
    x = _PLUS_MINUS_ONE.copy()
    up, down = act.df(x, act.f(x.copy()))                    # phi'(1), phi'(-1)
    return float((up**2 + down**2) / 2.0)


def small_signal_factors(
    activation: str | Activation, alpha: float = 0.01
) -> tuple[float | None, float]:
    """``(c, c')``: ``E[phi(z)^2] / Var(z)`` and ``E[phi'(z)^2]`` as ``Var(z) -> 0``.

    Homogeneous activations: the exact factors of :func:`activation_second_moment_factor`
    and :func:`activation_derivative_moment_factor`, the same at every variance. Smooth ones
    are linear near 0, ``phi(z) ~ phi(0) + phi'(0) z``, so ``c' = phi'(0)^2`` and, when
    ``phi(0) = 0``, ``c = phi'(0)^2`` (tanh: ``(1, 1)``). When ``phi(0) != 0`` (sigmoid:
    mean 1/2) the second moment is not proportional to ``Var(z)`` and ``c`` is None
    (sigmoid: ``(None, 1/16)``).
    """
    act = resolve_activation(activation, alpha)
    if act.homogeneous:
        return (activation_second_moment_factor(act), activation_derivative_moment_factor(act))
    zero = np.zeros(1)
    a0 = act.f(zero.copy())
    d0 = float(act.df(zero, a0)[0]) ** 2                     # phi'(0)^2
    return (d0 if float(a0[0]) == 0.0 else None), d0


def small_signal_rate(
    activation: str | Activation, sigma_w2: float, backward: bool = False, alpha: float = 0.01
) -> float:
    """Small-signal growth of ``ln std`` per layer: ``ln(sigma_w2 c) / 2`` (``c'`` if ``backward``).

    ``sigma_w2 = fan_in * weight_var`` (square layers, so also ``fan_out * weight_var``);
    ``(c, c')`` from :func:`small_signal_factors`. Forward: toward the output; backward:
    toward the input (positive = exploding). Raises ValueError when there is no forward
    ``c`` (sigmoid): use :func:`initlab.theory.mean_field_profile` there.
    """
    sigma_w2 = check_positive(sigma_w2, "sigma_w2")
    c, c_back = small_signal_factors(activation, alpha)
    c = c_back if backward else c
    if c is None:
        name = resolve_activation(activation, alpha).name
        raise ValueError(f"{name!r} has no forward small-signal factor (phi(0) != 0): use "
                         "initlab.theory.mean_field_profile (mean field)")
    return 0.5 * math.log(sigma_w2 * c)


def predicted_variance(
    n_layers: int,
    fan_in: int | Sequence[int],
    weight_var: float | Sequence[float],
    activation: str | Activation,
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
    measured variance fluctuates around it (relative spread ~ sqrt(depth / width), see
    :func:`initlab.theory.finite_width_log_std`).

    Returns an ndarray of shape ``(n_layers,)``; entry ``l - 1`` is layer ``l``.
    """
    n_layers = check_int(n_layers, "n_layers", minimum=1)
    fans = per_layer(fan_in, n_layers, "fan_in", integer=True)
    variances = per_layer(weight_var, n_layers, "weight_var", integer=False)
    c = activation_second_moment_factor(activation, alpha)
    input_var = check_positive(input_var, "input_var")
    # per-layer multiplier: the input enters raw, every later layer through phi (factor c)
    multipliers = fans * variances * np.r_[1.0, np.full(n_layers - 1, c)]
    return input_var * np.cumprod(multipliers)


def backward_factor(
    fan_out: int, weight_var: float, activation: str | Activation, alpha: float = 0.01
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
    activation: str | Activation,
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
    fans = per_layer(fan_out, n_layers, "fan_out", integer=True)
    variances = per_layer(weight_var, n_layers, "weight_var", integer=False)
    d = activation_derivative_moment_factor(activation, alpha)
    top_grad_var = check_positive(top_grad_var, "top_grad_var")
    factors = fans[1:] * variances[1:] * d          # layer l -> l-1, for l = 2..n_layers
    below = np.cumprod(factors[::-1])[::-1]          # product over layers l+1..L
    return top_grad_var * np.r_[below, 1.0]
