"""Mean field layer by layer: the per-layer profile of one deep net, and correlation trajectories.

What: :mod:`.mean_field` gives the maps and their fixed points; a finite-depth net starts
elsewhere and the chapters plot the way there. Layer ``l`` has ``sigma_w2[l] = fan_in *
weight_var`` forward, ``fan_out * weight_var`` backward, bias variance ``sigma_b2``; an input
``x`` of length ``input_var = |x|^2 / n_in``:

    q_1 = sigma_w2[1] * input_var + sigma_b2                      (the input enters raw)
    q_{l+1} = sigma_w2[l+1] * E[phi(sqrt(q_l) z)^2] + sigma_b2    (length map, Poole et al. 2016)
    Var(dZ_l) / Var(dZ_{l+1}) = sigma_w2_back[l+1] * E[phi'(sqrt(q_l) z)^2]
                                                   (Glorot & Bengio 2010, section 4.2)
    c_{l+1} = correlation_map(c_l) at q*            (Poole et al. 2016; Schoenholz et al. 2017)

:func:`mean_field_layers` runs the first three per layer and per example (a batch of inputs
of different lengths: each follows its own map, the layer's numbers are means over them);
:func:`mean_field_profile` is its square-layer, one-input case.

Why: the same recursion stood in five chapters (vanishing/exploding gradients, Xavier/Glorot,
edge of chaos, LSUV, dynamical isometry); here it is written once and tested once. For
homogeneous ``phi`` (identity, relu, leaky relu) ``E[phi^2] = c q`` and ``E[phi'^2] = c'``
exactly (:func:`initlab.theory.activation_second_moment_factor`), which makes the profile
:func:`initlab.theory.predicted_variance`'s closed form.

Shapes: per-layer arrays ``(n_layers,)``, entry ``l - 1`` for layer ``l``; a correlation
trajectory is ``(depth + 1,)``, entry 0 the input's correlation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab._checks import check_int, check_positive
from initlab.activations import Activation
from initlab.theory._args import as_float_array, check_nonnegative, resolve_activation
from initlab.theory.gaussian import gaussian_expectation
from initlab.theory.mean_field import correlation_map, fixed_point_q, mean_field_activation
from initlab.theory.variance import (
    activation_derivative_moment_factor,
    activation_second_moment_factor,
)


def mean_field_layers(
    activation: str | Activation,
    sigma_w2: Sequence[float] | np.ndarray,
    input_var: float | np.ndarray = 1.0,
    sigma_b2: float = 0.0,
    sigma_w2_back: Sequence[float] | np.ndarray | None = None,
    rule: str = "dense",
) -> dict[str, np.ndarray]:
    """Infinite-width per-layer curves of a deep net with its own ``sigma_w2`` per layer.

    Layer ``l = 1..L`` (``L = len(sigma_w2)``) has ``sigma_w2[l - 1] = fan_in * Var(w)``;
    ``input_var`` is the input's length ``|x|^2 / n_in``, a scalar or ``(n_examples,)``, one per
    example. Each example follows its own length map (Poole et al. 2016):

        q_1(x)     = sigma_w2[0] * input_var(x) + sigma_b2
        q_{l+1}(x) = sigma_w2[l] * E_z[phi(sqrt(q_l(x)) z)^2] + sigma_b2

    and every per-layer number is the mean over examples. Backward (Glorot & Bengio 2010, sec.
    4.2; backward weights independent of the forward pass):
    ``Var(dZ_l) / Var(dZ_{l+1}) = sigma_w2_back[l] * E[phi'(Z_l)^2]``, with
    ``sigma_w2_back[l] = fan_out * Var(w)`` of layer ``l + 1`` (index ``l`` of the array;
    entry 0, the first layer's, does not enter); ``None`` means ``sigma_w2`` (square layers).

    Any activation of :mod:`initlab.activations` (no fixed point is sought). Expectations use
    :func:`initlab.theory.gaussian_expectation` with ``rule``; for homogeneous ``phi``
    (identity, relu, leaky relu) the length and derivative moments are the exact ``c q``, ``c'``.

    Returns ``(L,)`` arrays: ``q`` (``E[Z_l^2]``), ``act_mean``, ``act_second`` (``E[A_l]``,
    ``E[A_l^2]``), ``act_std`` (``sqrt(E[A^2] - E[A]^2)``), ``deriv_second``
    (``E[phi'(Z_l)^2]``) and ``grad_var`` (``Var(dL/dZ_l) / Var(dL/dZ_L)``, last entry 1).
    """
    act = resolve_activation(activation)
    s2 = _positive_entries(sigma_w2, "sigma_w2")
    back = s2 if sigma_w2_back is None else _positive_entries(sigma_w2_back, "sigma_w2_back")
    if back.shape != s2.shape:
        raise ValueError(f"`sigma_w2_back` must have one entry per layer ({len(s2)}), "
                         f"got {len(back)}: {sigma_w2_back!r}")
    sigma_b2 = check_nonnegative(sigma_b2, "sigma_b2")
    x = as_float_array(input_var, "input_var", 0.0)
    if x.ndim > 1 or np.any(x == 0):
        raise ValueError(f"`input_var` must be a number > 0 or one per example, got {input_var!r}")

    def phi_sq(u: np.ndarray) -> np.ndarray:
        return act.f(u) ** 2

    def over_examples(values: np.ndarray) -> np.ndarray:      # (L,) or (L, n) -> (L,)
        return values if x.ndim == 0 else values.mean(axis=-1)

    q = [s2[0] * x + sigma_b2]
    for l in range(1, len(s2)):                                  # q_{l+1} = length map of q_l
        if act.homogeneous:
            second = activation_second_moment_factor(act) * q[-1]
        else:
            second = gaussian_expectation(phi_sq, q[-1], rule)
        q.append(s2[l] * second + sigma_b2)
    Q = np.array(q)                                              # (L,) or (L, n_examples)
    if act.homogeneous:
        deriv2 = np.full(len(s2), activation_derivative_moment_factor(act))
    else:
        deriv2 = over_examples(gaussian_expectation(lambda u: act.df(u, act.f(u)) ** 2, Q, rule))
    factors = back[1:] * deriv2[:-1]                             # Var(dZ_l) / Var(dZ_{l+1})
    grad_var = np.r_[np.cumprod(factors[::-1])[::-1], 1.0]
    mean = over_examples(gaussian_expectation(act.f, Q, rule))
    second = over_examples(gaussian_expectation(phi_sq, Q, rule))
    return {"q": over_examples(Q), "act_mean": mean, "act_second": second,
            "act_std": np.sqrt(np.maximum(second - mean**2, 0.0)),
            "deriv_second": deriv2, "grad_var": grad_var}


def _positive_entries(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    """``values`` as a float64 array ``(L,)``, ``L >= 1``, every entry a finite number > 0."""
    arr = as_float_array(values, name, 0.0)
    if arr.ndim != 1 or len(arr) == 0 or np.any(arr == 0):
        raise ValueError(f"`{name}` must be a non-empty sequence of numbers > 0, got {values!r}")
    return arr


def mean_field_profile(
    activation: str | Activation,
    sigma_w2: float,
    n_layers: int,
    input_var: float = 1.0,
    sigma_b2: float = 0.0,
    rule: str = "dense",
) -> dict[str, np.ndarray]:
    """Infinite-width per-layer curves of a deep net of square layers, from one input.

    :func:`mean_field_layers` with the same ``sigma_w2`` in all ``n_layers`` layers, for an
    activation of :data:`initlab.theory.MEAN_FIELD_ACTIVATIONS`; the recursion of the module
    docstring, from ``q_1 = sigma_w2 * input_var + sigma_b2``. ``rule`` is ``"dense"`` by
    default: an exploding tanh net reaches ``q ~ 60``, where 300 Hermite nodes miss the spike
    of ``tanh'^2``. Returns the ``(n_layers,)`` arrays of :func:`mean_field_layers`.
    """
    act = mean_field_activation(activation)
    sigma_w2 = check_positive(sigma_w2, "sigma_w2")
    L = check_int(n_layers, "n_layers", minimum=1)
    input_var = check_positive(input_var, "input_var")
    return mean_field_layers(act, np.full(L, sigma_w2), input_var, sigma_b2, rule=rule)


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
