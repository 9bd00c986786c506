"""Random-matrix predictions: Jacobian spectra at criticality, products of Gaussian matrices,
and the finite-width spread of a deep ReLU net's signal.

What, three results about products of random layers (weights ``(n_in, n_out)``):

1. Jacobian spread (Pennington, Schoenholz & Ganguli 2017, "Resurrecting the sigmoid in deep
   learning through dynamical isometry"). For ``h_l = phi(h_{l-1} @ W_l + b_l)`` the
   input-output Jacobian is ``J = D_L W_L^T ... D_1 W_1^T``, ``D_l = diag(phi'(z_l))``. With
   ``mu_k = sigma_w2^k E[phi'(sqrt(q*) z)^(2k)]`` (``mu_1 = chi_1``) and ``s_1`` the first
   S-transform coefficient of ``W W^T`` (:data:`S_TRANSFORM_S1`: -1 Gaussian, 0 orthogonal),
   the squared singular values ``lambda`` of ``J`` at criticality have
   ``Var(lambda) / mean(lambda)^2 = L (mu_2 / mu_1^2 - 1 - s_1)``.
2. Lyapunov exponents of products of ``N x N`` Gaussian matrices with ``Var(w) = 1 / N``
   (real Ginibre; Newman 1986, "The distribution of Lyapunov exponents: exact results for
   random matrices"): ``gamma_k = (psi((N - k + 1) / 2) + ln(2 / N)) / 2``.
3. Finite-width spread of ``ln v_L`` (squared norm after ``L`` He-initialized ReLU layers of
   width ``n``, relative to the input's): ``sqrt(5 L / n)`` (Hanin & Rolnick 2018, "How to
   start training: the effect of initialization and architecture").

Why: infinite-width mean field predicts one number per layer; these say how wide the
distribution around it is, which is what separates orthogonal from Gaussian init (chapters
on deep linear nets and dynamical isometry) and sets the error bars of the ReLU chapters.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from initlab._checks import check_choice, check_int
from initlab.activations import Activation
from initlab.theory.gaussian import gaussian_expectation
from initlab.theory.mean_field import (
    critical_sigma_w2,
    fixed_point_q,
    mean_field_activation,
    scale_free_q,
)

#: First S-transform coefficient ``s_1`` of ``W W^T`` for each weight distribution
#: (Pennington et al. 2017): Gaussian (Marchenko-Pastur) -1, orthogonal 0.
S_TRANSFORM_S1 = {"orthogonal": 0.0, "gaussian": -1.0}


def critical_point(activation: str | Activation, sigma_b2: float = 0.0) -> dict:
    """``sigma_w2``, ``q*`` and the Jacobian moments ``mu_1``, ``mu_2`` at ``chi_1 = 1``.

    ``sigma_w2 = critical_sigma_w2(sigma_b2)`` and ``q* = fixed_point_q`` there (for a
    homogeneous phi without bias the maps are scale-free and ``q* = 1`` stands for any
    length; with a bias ``q*`` is infinite and the moments are those of the scale-free map).
    ``mu_k = sigma_w2^k E[phi'(sqrt(q*) z)^(2k)]`` by Gauss-Hermite quadrature, so
    ``mu_1 = chi_1 = 1``. Returns a dict: ``activation`` (the name), ``sigma_w2``,
    ``sigma_b2``, ``q_star``, ``mu_1``, ``mu_2`` (floats).
    """
    act = mean_field_activation(activation)
    sigma_w2 = critical_sigma_w2(sigma_b2, act)
    q_star = fixed_point_q(sigma_w2, sigma_b2, act)
    q = scale_free_q(q_star, act)

    def dphi2(u: np.ndarray) -> np.ndarray:
        return act.df(u, act.f(u)) ** 2

    mu_1 = sigma_w2 * gaussian_expectation(dphi2, q)
    mu_2 = sigma_w2**2 * gaussian_expectation(lambda u: dphi2(u) ** 2, q)
    return {"activation": act.name, "sigma_w2": float(sigma_w2), "sigma_b2": float(sigma_b2),
            "q_star": float(q_star), "mu_1": float(mu_1), "mu_2": float(mu_2)}


def jacobian_spread(depth: int | np.ndarray, mu_1: float, mu_2: float, weights: str,
                    width: int | None = None) -> float | np.ndarray:
    """``Var(lambda) / mean(lambda)^2`` of the eigenvalues ``lambda`` of ``J J^T`` after ``depth``
    layers.

    Infinite width (Pennington et al. 2017): ``L (mu_2 / mu_1^2 - 1 - s_1)``, with ``s_1`` from
    :data:`S_TRANSFORM_S1` for ``weights`` (``"orthogonal"`` 0, ``"gaussian"`` -1). The two
    variances add because the means are 1: for free ``a, b`` with ``E a = E b = 1``,
    ``E[(ab)^2] = E[a^2] + E[b^2] - 1``.

    ``width`` given, Gaussian only: the finite-width recursion for the second moment
    ``m_2`` of ``lambda``, treating ``D_l`` as independent of ``W_l`` (mean field):
    ``m_2' = m_2 (1 + m / N) + m`` with ``m = mu_2 / mu_1^2`` and ``m_2 = 1`` at depth 0, hence
    ``Var = (N + 1) r^L - N - 1``, ``r = 1 + m / N`` (-> ``L m`` as ``N -> inf``).
    ``depth`` is an int (returns a float) or an array of depths (returns that shape).
    """
    check_choice(weights, "weights", S_TRANSFORM_S1)
    L = np.asarray(depth, dtype=float)
    m = mu_2 / mu_1**2
    if width is None:
        out = L * (m - 1.0 - S_TRANSFORM_S1[weights])
    else:
        if weights != "gaussian":
            raise ValueError(f"the finite-width formula is for Gaussian weights, got {weights!r}")
        N = check_int(width, "width", minimum=1)
        out = (N + 1.0) * (1.0 + m / N) ** L - N - 1.0
    return float(out) if out.ndim == 0 else out


def lyapunov_exponents(width: int) -> np.ndarray:
    """Lyapunov exponents ``gamma_k`` ``(width,)`` of products of ``(N, N)`` Gaussian matrices
    with ``Var(w) = 1 / N`` (real Ginibre; Newman 1986), descending:

        gamma_k = 1/2 * (psi((N - k + 1) / 2) + ln(2 / N)),   k = 1..N,

    ``psi`` the digamma function: ``log sigma_k(W_1 ... W_D) / D -> gamma_k`` as ``D`` grows.
    Why: after QR-orthogonalising the product, the ``k``-th diagonal entry of each new ``R``
    is ``sqrt(chi2_{N-k+1} / N)`` and ``E ln chi2_n = psi(n / 2) + ln 2``.
    ``gamma_1 = 1/2 E ln(chi2_N / N) < 0`` is the growth rate of a typical vector's length.
    """
    width = check_int(width, "width", minimum=1)
    k = np.arange(1, width + 1)
    return 0.5 * (special.digamma((width - k + 1) / 2.0) + math.log(2.0 / width))


def finite_width_log_std(n_layers: int, width: int) -> float:
    """Predicted std of ``ln v_L`` for one input through ``n_layers`` He-initialized ReLU layers.

    Given the previous layer's activations ``a``, each unit is ``z_j ~ N(0, 2 |a|^2 / n)``, so
    ``relu(z_j)^2`` has mean ``|a|^2 / n`` and second moment ``(1/2) 3 (2 |a|^2 / n)^2``, i.e.
    variance ``5 |a|^4 / n^2``. The layer's factor ``r = |relu(z)|^2 / |a|^2`` is a sum of
    ``n`` such terms: mean 1, variance ``5 / n``. Layers multiply independent factors, so
    ``Var(ln v_L) ~ sum_l 5 / n = 5 L / n`` (the ``sum 1/n_l`` of Hanin & Rolnick 2018; the
    ``O(1/n^2)`` terms are dropped). Averaging over a batch of correlated inputs removes little
    of it. Returned in natural log: ``sqrt(5 L / n)``; the std of ``ln ||a_L||`` is half of it.
    """
    n_layers = check_int(n_layers, "n_layers", minimum=1)
    width = check_int(width, "width", minimum=1)
    return math.sqrt(5.0 * n_layers / width)
