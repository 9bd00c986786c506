"""Mean field layer by layer: the per-layer profile of one deep net, and correlation trajectories.

What: :mod:`.mean_field` gives the maps and their fixed points; a finite-depth net starts
elsewhere and the chapters plot the way there. For square layers (``fan_in = fan_out``),
``sigma_w2 = fan_in * weight_var`` and bias variance ``sigma_b2``:

    q_1 = sigma_w2 * input_var + sigma_b2                   (the input enters raw)
    q_{l+1} = sigma_w2 * E[phi(sqrt(q_l) z)^2] + sigma_b2   (length map, Poole et al. 2016)
    Var(dZ_l) / Var(dZ_{l+1}) = sigma_w2 * E[phi'(sqrt(q_l) z)^2]
                                                   (Glorot & Bengio 2010, section 4.2)
    c_{l+1} = correlation_map(c_l) at q*            (Poole et al. 2016; Schoenholz et al. 2017)

Why: the same recursion stood in three chapters (vanishing/exploding gradients, edge of
chaos, dynamical isometry); here it is written once and tested once. For homogeneous ``phi``
(identity, relu, leaky relu) ``E[phi^2] = c q`` and ``E[phi'^2] = c'`` exactly
(:func:`initlab.theory.activation_second_moment_factor`), which makes the profile
:func:`initlab.theory.predicted_variance`'s closed form.

Shapes: per-layer arrays ``(n_layers,)``, entry ``l - 1`` for layer ``l``; a correlation
trajectory is ``(depth + 1,)``, entry 0 the input's correlation.
"""

from __future__ import annotations

import math

import numpy as np

from initlab._checks import check_int, check_positive
from initlab.activations import Activation
from initlab.theory._args import as_float_array, check_nonnegative
from initlab.theory.gaussian import gaussian_expectation
from initlab.theory.mean_field import correlation_map, fixed_point_q, mean_field_activation
from initlab.theory.variance import (
    activation_derivative_moment_factor,
    activation_second_moment_factor,
)


def mean_field_profile(
    activation: str | Activation,
    sigma_w2: float,
    n_layers: int,
    input_var: float = 1.0,
    sigma_b2: float = 0.0,
    rule: str = "dense",
) -> dict[str, np.ndarray]:
    """Infinite-width per-layer curves of a deep net of square layers, from one input.

    The recursion of the module docstring, from ``q_1 = sigma_w2 * input_var + sigma_b2``.
    Expectations use :func:`initlab.theory.gaussian_expectation` with ``rule`` (``"dense"``
    by default: an exploding tanh net reaches ``q ~ 60``, where 300 Hermite nodes miss the
    spike of ``tanh'^2``); for homogeneous ``phi`` the length and derivative moments are the
    exact factors ``c q`` and ``c'``.

    Returns ``(n_layers,)`` arrays: ``q`` (pre-activation variance ``E[Z_l^2]``),
    ``act_mean`` and ``act_second`` (``E[A_l]``, ``E[A_l^2]``), ``act_std``
    (``sqrt(E[A^2] - E[A]^2)``), ``deriv_second`` (``E[phi'(Z_l)^2]``) and ``grad_var``
    (``Var(dL/dZ_l) / Var(dL/dZ_L)``: last entry 1; backward weights taken independent of the
    forward pass, as in Glorot & Bengio 2010).
    """
    act = mean_field_activation(activation)
    sigma_w2 = check_positive(sigma_w2, "sigma_w2")
    sigma_b2 = check_nonnegative(sigma_b2, "sigma_b2")
    L = check_int(n_layers, "n_layers", minimum=1)
    input_var = check_positive(input_var, "input_var")

    def phi_sq(u: np.ndarray) -> np.ndarray:
        return act.f(u) ** 2

    q = np.empty(L)
    q[0] = sigma_w2 * input_var + sigma_b2
    for l in range(1, L):                                        # q_{l+1} = length map of q_l
        if act.homogeneous:
            second = activation_second_moment_factor(act) * q[l - 1]
        else:
            second = gaussian_expectation(phi_sq, q[l - 1], rule)
        q[l] = sigma_w2 * second + sigma_b2
    if act.homogeneous:
        deriv2 = np.full(L, activation_derivative_moment_factor(act))
    else:
        deriv2 = gaussian_expectation(lambda u: act.df(u, act.f(u)) ** 2, q, rule)
    factors = sigma_w2 * deriv2[:-1]                             # Var(dZ_l) / Var(dZ_{l+1})
    grad_var = np.r_[np.cumprod(factors[::-1])[::-1], 1.0]
    mean = gaussian_expectation(act.f, q, rule)
    second = gaussian_expectation(phi_sq, q, rule)
    return {"q": q, "act_mean": mean, "act_second": second,
            "act_std": np.sqrt(np.maximum(second - mean**2, 0.0)),
            "deriv_second": deriv2, "grad_var": grad_var}


def correlation_trajectory(
    c0: float, depth: int, sigma_w2: float, sigma_b2: float, activation: str | Activation
) -> np.ndarray:
    """``c_l``, ``l = 0..depth``: :func:`initlab.theory.correlation_map` iterated from ``c0``.

    Both inputs sit at the fixed length ``q*`` (:func:`initlab.theory.fixed_point_q`). For
    homogeneous ``phi`` with ``q* = 0`` or ``inf`` the normalised map is scale-free and is
    iterated at ``q = 1, sigma_b2 = 0`` (the bias is negligible against an infinite length).
    A smooth ``phi`` whose signal dies (``q* = 0``, ordered, no bias) raises ValueError:
    the correlation of two vanishing signals is not defined by this map.
    Returns an ndarray ``(depth + 1,)``.
    """
    act = mean_field_activation(activation)
    c0 = float(as_float_array(c0, "c0", -1.0, 1.0))
    depth = check_int(depth, "depth", minimum=0)
    q_star = fixed_point_q(sigma_w2, sigma_b2, act)
    if not (math.isfinite(q_star) and q_star > 0):
        if not act.homogeneous:
            raise ValueError(f"{act.name!r} at sigma_w2={sigma_w2!r}, sigma_b2={sigma_b2!r} "
                             f"has q* = {q_star!r}: no correlation to follow")
        q_star, sigma_b2 = 1.0, 0.0     # homogeneous phi: the normalised map is scale-free
    out = [c0]
    for _ in range(depth):
        out.append(correlation_map(out[-1], q_star, sigma_w2, sigma_b2, act))
    return np.array(out)
