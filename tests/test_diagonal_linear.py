"""Tests of initlab.diagonal_linear against independent references.

- ``q``: derivative by central differences (``q' = arcsinh(z/2)``) and its two asymptotes
  (``q(z) = z^2/4 + O(z^4)``; ``q(z) = |z| ln|z| - |z| + 2 + O(1/|z|)``).
- ``implicit_bias_solution``: feasibility, the KKT condition written independently (the
  gradient of ``Q_alpha`` lies in the row space of ``X``), no feasible perturbation lowers
  ``Q_alpha``, and scipy's SLSQP on the primal problem gives the same point.
- ``gradient_descent``: small steps approximate the flow, whose limit Woodworth et al. (2020)
  characterize; its limits are basis pursuit (small alpha) and min-l2 (large alpha).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from initlab import diagonal_linear as dl


def _problem(n: int, d: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    beta = np.zeros(d)
    beta[rng.choice(d, k, replace=False)] = rng.choice([-1.0, 1.0], k)
    return X, X @ beta, beta


def test_q_derivative_and_asymptotes():
    z = np.linspace(-30, 30, 61)
    h = 1e-5
    assert np.allclose((dl.q(z + h) - dl.q(z - h)) / (2 * h), np.arcsinh(z / 2), atol=1e-8)
    assert dl.q(0.0) == 0.0
    mid = np.array([-3.0, 0.5, 2.0])                 # the textbook form, where it is accurate
    assert np.allclose(dl.q(mid), 2 - np.sqrt(4 + mid**2) + mid * np.arcsinh(mid / 2))
    small = np.array([1e-3, -2e-3])
    assert np.allclose(dl.q(small), small**2 / 4, rtol=1e-5)
    big = np.array([1e6, -3e7])
    expected = np.abs(big) * np.log(np.abs(big)) - np.abs(big) + 2
    assert np.allclose(dl.q(big), expected, atol=1e-4)
    # the potential: l2 / (4 alpha^2) for large alpha
    b = np.array([0.5, -1.0, 2.0])
    assert dl.potential(b, 1e3) == pytest.approx(np.sum(b**2) / 4e6, rel=1e-6)


@pytest.mark.parametrize("alpha", [0.01, 0.3, 3.0])
def test_implicit_bias_solution_kkt_and_optimality(alpha):
    X, y, _ = _problem(6, 15, 2, seed=1)
    b = dl.implicit_bias_solution(X, y, alpha)
    assert np.abs(X @ b - y).max() < 1e-7
    g = np.arcsinh(b / (2 * alpha**2))               # grad Q_alpha(b)
    nu = np.linalg.lstsq(X.T, g, rcond=None)[0]
    assert np.linalg.norm(X.T @ nu - g) < 1e-6 * max(np.linalg.norm(g), 1)
    null = np.linalg.svd(X)[2][6:]                   # (d - n, d) basis of the null space
    rng = np.random.default_rng(0)
    q0 = dl.potential(b, alpha)
    for _ in range(20):
        assert dl.potential(b + 1e-3 * rng.standard_normal(9) @ null, alpha) > q0


def test_implicit_bias_solution_matches_slsqp():
    X, y, _ = _problem(3, 6, 1, seed=2)
    alpha = 0.5
    res = minimize(lambda b: dl.potential(b, alpha), np.linalg.pinv(X) @ y, method="SLSQP",
                   constraints={"type": "eq", "fun": lambda b: X @ b - y}, tol=1e-12,
                   options={"maxiter": 500})
    assert res.success
    assert np.allclose(dl.implicit_bias_solution(X, y, alpha), res.x, atol=1e-5)


def test_limits_are_l2_and_l1():
    X, y, beta = _problem(20, 50, 3, seed=3)
    l2 = dl.min_norm(X, y)
    assert np.allclose(l2, np.linalg.lstsq(X, y, rcond=None)[0])
    l1 = dl.basis_pursuit(X, y)
    assert np.abs(X @ l1 - y).max() < 1e-8
    assert np.allclose(l1, beta, atol=1e-7)          # 3-sparse from 20 Gaussian measurements
    big = dl.implicit_bias_solution(X, y, 100.0)
    assert np.linalg.norm(big - l2) / np.linalg.norm(l2) < 1e-3
    # Q_alpha / ln(1/alpha^2) -> ||.||_1 only logarithmically: 1.5% off at 1e-4, less at 1e-6
    gaps = [np.linalg.norm(dl.implicit_bias_solution(X, y, a) - l1) / np.linalg.norm(l1)
            for a in (1e-4, 1e-6)]
    assert gaps[0] < 0.03 and gaps[1] < gaps[0]


def test_gradient_descent_reaches_the_predicted_interpolant():
    """Step ``stable_lr``: the discretization error is O(lr), ~1% of the flow's endpoint."""
    X, y, _ = _problem(5, 12, 2, seed=4)
    alphas = np.array([0.3, 1.0, 3.0])
    out = dl.gradient_descent(X, y, alphas, dl.stable_lr(X, alphas), max_steps=20000, tol=1e-9)
    assert out["max_residual"].max() < 1e-8 and out["steps"] < 20000
    for j, a in enumerate(alphas):
        pred = dl.implicit_bias_solution(X, y, a)
        assert np.linalg.norm(out["beta"][:, j] - pred) / np.linalg.norm(pred) < 0.02
    with pytest.raises(ValueError, match="alphas"):
        dl.gradient_descent(X, y, np.array([-1.0]), 0.1, max_steps=1)
    with pytest.raises(ValueError, match="y"):
        dl.min_norm(X, y[:3])
