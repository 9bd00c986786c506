"""Chapter 14, dynamical isometry: random critical networks and the statistics of their spectra.

What: the weight and bias initializers of a critical point (``orthogonal(gain=sqrt(sigma_w2))``
or untruncated Gaussian ``variance_scaling(scale=sigma_w2)``; ``N(0, sigma_b2)`` biases), deep
square nets built from them with ``phi`` after every layer, inputs at the fixed-point length
``q*``, and the spread ``Var(lambda) / mean(lambda)^2`` of ``lambda = s^2`` for the singular
values ``s`` of the input-output Jacobian. The experiments of
:mod:`initlab.experiments.dynamical_isometry` are built from these pieces.

Why: Pennington et al. (2017) compare exactly these four nets (tanh / ReLU x orthogonal /
Gaussian) at criticality, ``chi_1 = sigma_w2 E[phi'(sqrt(q*) z)^2] = 1``.

Shapes: weights ``(n_in, n_out)``, inputs ``X`` ``(n, width)``, singular values ``(width,)``.
A critical ``point`` is a dict of :func:`initlab.theory.critical_point` (``activation``,
``sigma_w2``, ``sigma_b2``, ``q_star``, ...).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from initlab import initializers, network, theory
from initlab._checks import check_choice, check_int

#: The configurations compared: (activation, weight distribution).
CONFIGS = (("tanh", "orthogonal"), ("tanh", "gaussian"), ("relu", "orthogonal"),
           ("relu", "gaussian"))


def weight_init(init: str, sigma_w2: float) -> Callable[..., np.ndarray]:
    """``orthogonal(gain=sqrt(sigma_w2))`` or ``variance_scaling(scale=sigma_w2)`` untruncated.

    Both have ``fan_in Var(w) = sigma_w2`` on square layers; the orthogonal one has every
    singular value equal to ``sqrt(sigma_w2)``, the Gaussian one a quarter-circle law.
    """
    check_choice(init, "init", theory.S_TRANSFORM_S1)
    if init == "orthogonal":
        return initializers.get("orthogonal", gain=math.sqrt(sigma_w2))
    return initializers.get("variance_scaling", scale=sigma_w2, mode="fan_in",
                            distribution="untruncated_normal")


def bias_init(sigma_b2: float) -> Callable[..., np.ndarray] | str:
    """``N(0, sigma_b2)`` biases, or ``"zeros"`` when ``sigma_b2 = 0``."""
    if sigma_b2 == 0.0:
        return "zeros"
    return initializers.get("random_normal", stddev=math.sqrt(sigma_b2))


def random_net(point: dict, init: str, depth: int, width: int,
               rng: np.random.Generator) -> network.MLP:
    """``depth`` square layers ``h_l = phi(h_{l-1} @ W_l + b_l)``, phi on the last layer too,
    so that ``J`` has exactly ``depth`` factors ``D_l W_l^T``, at the critical ``point``."""
    depth = check_int(depth, "depth", minimum=1)
    return network.MLP([width] * (depth + 1), rng, activation=point["activation"],
                       weight_init=weight_init(init, point["sigma_w2"]),
                       bias_init=bias_init(point["sigma_b2"]),
                       output_activation=point["activation"])


def fixed_point_inputs(n: int, width: int, point: dict, rng: np.random.Generator) -> np.ndarray:
    """``X`` ``(n, width)``: random directions scaled so the first pre-activations sit at ``q*``.

    ``|x|^2 / N = (q* - sigma_b2) / sigma_w2``, so ``E |x @ W_1 + b_1|^2 / N = q*``.
    """
    X = rng.standard_normal((check_int(n, "n", minimum=1), width))
    scale = math.sqrt(width * (point["q_star"] - point["sigma_b2"]) / point["sigma_w2"])
    return scale * X / np.linalg.norm(X, axis=1, keepdims=True)


def spectrum_stats(s: np.ndarray) -> tuple[float, float]:
    """``(mean(lambda), Var(lambda) / mean(lambda)^2)`` of ``lambda = s^2`` (population var)."""
    lam = np.asarray(s, dtype=float) ** 2
    m1 = float(lam.mean())
    return m1, float(lam.var() / m1**2)
