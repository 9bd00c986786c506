"""Tests of initlab.theory's random-matrix predictions against seeded simulations.

References: QR-accumulated products of Gaussian matrices (Lyapunov exponents), Jacobians of
random nets sampled here in plain numpy (spread of the singular values), a Monte Carlo of
``ln v_L`` through ReLU layers (finite-width spread), and adaptive quadrature (moments at the
critical point). Every tolerance is a number of standard errors computed from the sample,
plus, where the formula is an infinite-width or leading-order one, an allowance for the
neglected order that is stated next to it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from initlab import theory as th


def test_lyapunov_exponents_match_qr_simulation() -> None:
    # Accumulate the product of D Gaussian N x N matrices (Var 1/N) by QR: Q_t R_t = G_t Q_{t-1}.
    # Since G_t Q_{t-1} is again Gaussian, every step's log|R_kk| is an independent draw whose
    # mean is the k-th exponent: no transient. Mean over all steps, tolerance 5 SE (sample sd
    # of the per-step increments / sqrt(number of steps)).
    N, D, reps = 6, 200, 10
    rng = np.random.default_rng(17)
    logs = []
    for _ in range(reps):
        Q = np.linalg.qr(rng.standard_normal((N, N)))[0]
        for _ in range(D):
            Q, R = np.linalg.qr(rng.standard_normal((N, N)) / math.sqrt(N) @ Q)
            logs.append(np.log(np.abs(np.diag(R))))
    logs = np.array(logs)                                    # (D * reps, N)
    se = logs.std(axis=0, ddof=1) / math.sqrt(len(logs))
    gamma = th.lyapunov_exponents(N)
    assert np.all(np.abs(logs.mean(axis=0) - gamma) <= 5 * se), (logs.mean(axis=0), gamma, se)
    # each exponent's 5 SE band excludes its neighbours: the test tells them apart
    assert np.all(-np.diff(gamma) > 5 * np.maximum(se[:-1], se[1:]))
    assert gamma.shape == (N,) and gamma[0] < 0              # even the top one: E ln chi2_N < ln N


def test_finite_width_log_std_matches_monte_carlo() -> None:
    # One input through L He-initialized ReLU layers of width n. Given the layer's input a,
    # a @ W with i.i.d. N(0, 2/n) weights is exactly N(0, 2 |a|^2 / n) per unit, so the
    # pre-activations are drawn directly (an exact simulation of a fresh net per input).
    # Tolerance: 4 SE of a sample sd (SE ~ sd / sqrt(2 (reps - 1))) plus the neglected
    # order: Var(ln r) = 5/n + ~18/n^2 per layer (from the third and fourth cumulants of
    # 2 relu(z)^2), i.e. the sd is ~1.85/n relative too small; we allow 2.5/n.
    n, L, reps = 128, 10, 10_000
    rng = np.random.default_rng(23)
    sq_norm = np.full(reps, float(n))                        # |x|^2 of the input
    log_v = np.zeros(reps)
    for _ in range(L):
        z = np.sqrt(2.0 * sq_norm / n)[:, None] * rng.standard_normal((reps, n))
        new = np.sum(np.maximum(z, 0.0) ** 2, axis=1)
        log_v += np.log(new / sq_norm)
        sq_norm = new
    sd = log_v.std(ddof=1)
    predicted = th.finite_width_log_std(L, n)
    assert predicted == pytest.approx(math.sqrt(5 * L / n), rel=1e-15)
    tol = 4 / math.sqrt(2 * (reps - 1)) + 2.5 / n
    assert abs(sd / predicted - 1) <= tol, (sd, predicted, tol)
    assert abs(math.sqrt(6 / 5) - 1) > tol and abs(math.sqrt(4 / 5) - 1) > tol  # not vacuous


def _spreads(point: dict, weights: str, width: int, depth: int, n_nets: int,
             rng: np.random.Generator) -> np.ndarray:
    """Var(lambda) / mean(lambda)^2 of lambda = s^2, s the singular values of the Jacobian of
    ``depth`` random layers h_l = phi(h_{l-1} @ W_l + b_l), one input at q*, per net.

    Row vectors: dh_l = dh_{l-1} @ W_l diag(phi'(z_l)), so J = W_1 D_1 W_2 D_2 ... .
    """
    sw2, sb2, q = point["sigma_w2"], point["sigma_b2"], point["q_star"]
    out = []
    for _ in range(n_nets):
        h = rng.standard_normal(width)
        h *= math.sqrt(width * (q - sb2) / sw2) / np.linalg.norm(h)   # |h W|^2 / N ~ q - sb2
        J = np.eye(width)
        for _ in range(depth):
            G = rng.standard_normal((width, width))
            if weights == "orthogonal":
                Q, R = np.linalg.qr(G)
                W = Q * np.sign(np.diag(R)) * math.sqrt(sw2)           # Haar, singular values
            else:                                                     # all sqrt(sw2)
                W = G * math.sqrt(sw2 / width)
            z = h @ W + math.sqrt(sb2) * rng.standard_normal(width)
            if point["activation"] == "tanh":
                h = np.tanh(z)
                d = 1.0 - h**2
            else:
                h, d = np.maximum(z, 0.0), (z > 0).astype(float)
            J = (J @ W) * d
        lam = np.linalg.svd(J, compute_uv=False) ** 2
        out.append(lam.var() / lam.mean() ** 2)
    return np.array(out)


@pytest.mark.parametrize(("activation", "sigma_b2"), [("tanh", 0.05), ("relu", 0.0)])
def test_jacobian_spread_matches_sampled_jacobians(activation: str, sigma_b2: float) -> None:
    # Orthogonal weights against the infinite-width L (mu_2 / mu_1^2 - 1), Gaussian against the
    # finite-width recursion. Tolerance: 4 SE of the mean over nets, plus an allowance of
    # L / N relative for the O(L / N) finite-width terms (D_l and W_l are not independent at
    # finite width; measured ~1-2% at N = 128, L = 4).
    N, L, n_nets = 128, 4, 16
    point = th.critical_point(activation, sigma_b2)
    rng = np.random.default_rng(29)
    for weights in ("orthogonal", "gaussian"):
        spread = _spreads(point, weights, N, L, n_nets, rng)
        width = N if weights == "gaussian" else None
        predicted = th.jacobian_spread(L, point["mu_1"], point["mu_2"], weights, width)
        tol = 4 * spread.std(ddof=1) / math.sqrt(n_nets) + L / N * predicted
        assert abs(spread.mean() - predicted) <= tol, (weights, spread.mean(), predicted, tol)
    # the Gaussian excess L (1 + 1/N...) is far outside the orthogonal tolerance: not vacuous
    ortho = th.jacobian_spread(L, point["mu_1"], point["mu_2"], "orthogonal")
    assert th.jacobian_spread(L, point["mu_1"], point["mu_2"], "gaussian") - ortho == L


def test_jacobian_spread_closed_forms() -> None:
    # linear nets (mu_1 = mu_2 = 1): Gaussian adds 1 per layer, orthogonal nothing
    assert th.jacobian_spread(7, 1.0, 1.0, "gaussian") == pytest.approx(7.0)
    assert th.jacobian_spread(7, 1.0, 1.0, "orthogonal") == 0.0
    np.testing.assert_allclose(th.jacobian_spread(np.arange(4), 1.0, 2.0, "orthogonal"),
                               np.arange(4) * 1.0)
    # finite width: m_2' = m_2 (1 + m/N) + m from m_2 = 1, iterated here; -> L m as N grows
    N, L, m = 50, 20, 1.3
    m2 = 1.0
    for _ in range(L):
        m2 = m2 * (1 + m / N) + m
    assert th.jacobian_spread(L, 1.0, m, "gaussian", N) == pytest.approx(m2 - 1, rel=1e-12)
    assert th.jacobian_spread(L, 1.0, m, "gaussian", 10**8) == pytest.approx(L * m, rel=1e-5)
    assert th.S_TRANSFORM_S1 == {"orthogonal": 0.0, "gaussian": -1.0}


def test_critical_point_moments() -> None:
    relu = th.critical_point("relu")
    # relu'^2 is 0 or 1 with probability 1/2: mu_1 = 2 * 1/2, mu_2 = 4 * 1/2
    assert (relu["sigma_w2"], relu["q_star"]) == (2.0, 1.0)
    assert (relu["mu_1"], relu["mu_2"]) == pytest.approx((1.0, 2.0), rel=1e-14)
    tanh = th.critical_point("tanh", 0.05)
    assert tanh["activation"] == "tanh" and tanh["sigma_b2"] == 0.05
    assert tanh["sigma_w2"] == th.critical_sigma_w2(0.05, "tanh")
    assert tanh["q_star"] == th.fixed_point_q(tanh["sigma_w2"], 0.05, "tanh")
    assert tanh["mu_1"] == pytest.approx(1.0, abs=1e-9)               # chi_1 = 1
    r = math.sqrt(tanh["q_star"])
    sech8 = integrate.quad(lambda z: (1 - math.tanh(r * z) ** 2) ** 4 * math.exp(-z * z / 2)
                           / math.sqrt(2 * math.pi), -12, 12, epsabs=1e-14)[0]
    assert tanh["mu_2"] == pytest.approx(tanh["sigma_w2"] ** 2 * sech8, rel=1e-10)
    assert th.critical_point("identity")["mu_2"] == pytest.approx(1.0, rel=1e-14)
