"""Chapter 14 experiments: Jacobian spectra against closed forms, and the summary logic."""

import math

import numpy as np
import pytest

from initlab import diagnostics, theory
from initlab.experiments import isometry as iso


def test_spectrum_stats_closed_form():
    assert iso.spectrum_stats(np.ones(5)) == (1.0, 0.0)
    # lambda = s^2 = (0, 2): mean 1, population variance 1
    m1, spread = iso.spectrum_stats(np.array([0.0, math.sqrt(2.0)]))
    assert m1 == pytest.approx(1.0) and spread == pytest.approx(1.0)


def test_critical_points():
    relu = iso.critical_point("relu")
    # relu'^2 is 0 or 1 with probability 1/2: mu_1 = 2 * 1/2, mu_2 = 4 * 1/2
    assert (relu["sigma_w2"], relu["mu_1"], relu["mu_2"]) == pytest.approx((2.0, 1.0, 2.0))
    tanh = iso.critical_point("tanh")
    assert tanh["mu_1"] == pytest.approx(1.0, abs=1e-9)          # chi_1 = 1
    assert tanh["q_star"] == pytest.approx(
        theory.fixed_point_q(tanh["sigma_w2"], iso.SIGMA_B2_TANH, "tanh"))
    q = tanh["q_star"]
    # sech^4 h = 1 - 2h^2 + 7/3 h^4 + ...: relative variance 8 q^2 (1 - 10 q) + O(q^4)
    assert tanh["mu_2"] / tanh["mu_1"] ** 2 - 1 == pytest.approx(8 * q * q * (1 - 10 * q),
                                                                 rel=0.1)
    with pytest.raises(ValueError, match="sigmoid"):
        iso.critical_point("sigmoid")


def test_predicted_spread_limits():
    # linear nets (mu_1 = mu_2 = 1): Gaussian adds 1 per layer, orthogonal nothing
    assert iso.predicted_spread(7, 1.0, 1.0, "gaussian") == pytest.approx(7.0)
    assert iso.predicted_spread(7, 1.0, 1.0, "orthogonal") == 0.0
    # finite width: N [(1 + 1/N)^(L+1) - 1] - 1 for the linear case; -> L as N -> inf
    N, L = 50, 20
    assert iso.predicted_spread(L, 1.0, 1.0, "gaussian", N) == pytest.approx(
        N * ((1 + 1 / N) ** (L + 1) - 1) - 1)
    assert iso.predicted_spread(L, 1.0, 1.0, "gaussian", 10**8) == pytest.approx(L, rel=1e-5)
    with pytest.raises(ValueError, match="uniform"):
        iso.predicted_spread(3, 1.0, 1.0, "uniform")


def test_orthogonal_linear_net_is_an_exact_isometry():
    point = {"activation": "identity", "sigma_w2": 1.0, "sigma_b2": 0.0, "q_star": 1.0}
    rng = np.random.default_rng(0)
    net = iso.random_net(point, "orthogonal", 12, 30, rng)
    s = diagnostics.jacobian_singular_values(net, iso.fixed_point_inputs(2, 30, point, rng))
    np.testing.assert_allclose(s, 1.0, atol=1e-10)


def test_fixed_point_inputs_have_the_fixed_point_length():
    point = iso.critical_point("tanh")
    X = iso.fixed_point_inputs(3, 40, point, np.random.default_rng(1))
    expected = (point["q_star"] - point["sigma_b2"]) / point["sigma_w2"]
    np.testing.assert_allclose(np.sum(X**2, axis=1) / 40, expected, rtol=1e-12)


def test_finite_width_recursion_matches_linear_gaussian_nets():
    # E[m_2] of J J^T for products of L Gaussian N x N matrices (Var 1/N) against the
    # recursion m_2' = m_2 (1 + 1/N) + 1. Monte Carlo over n nets: tolerance 4 SE
    # (SE = sample sd / sqrt(n)) plus 0.15 for the E[m_1^2] - 1 the recursion drops
    # (<= sum_l 2 E m_2,l / N^2 ~ 0.1 here). The infinite-width value L + 1 must fail it.
    N, L, n = 20, 6, 3000
    rng = np.random.default_rng(2)
    point = {"activation": "identity", "sigma_w2": 1.0, "sigma_b2": 0.0, "q_star": 1.0}
    m2 = []
    for _ in range(n):
        net = iso.random_net(point, "gaussian", L, N, rng)
        lam = diagnostics.jacobian_singular_values(net, np.ones((1, N))) ** 2
        m2.append(np.mean(lam**2))
    m2 = np.array(m2)
    tol = 4 * m2.std() / math.sqrt(n) + 0.15
    predicted = iso.predicted_spread(L, 1.0, 1.0, "gaussian", N) + 1.0
    assert abs(m2.mean() - predicted) < tol
    assert abs(m2.mean() - (L + 1)) > tol


def test_orthogonal_tanh_spread_matches_pennington():
    # L (mu_2 / mu_1^2 - 1) at L = 20; per-net relative sd ~3% at width 200 (measured over
    # 40 nets at L = 10), finite-width bias ~2%: 15% is > 4 sd
    point = iso.critical_point("tanh")
    rng = np.random.default_rng(3)
    net = iso.random_net(point, "orthogonal", 20, 200, rng)
    s = diagnostics.jacobian_singular_values(net, iso.fixed_point_inputs(1, 200, point, rng))
    mean, spread = iso.spectrum_stats(s)
    predicted = iso.predicted_spread(20, point["mu_1"], point["mu_2"], "orthogonal")
    assert spread == pytest.approx(predicted, rel=0.15)
    assert mean == pytest.approx(1.0, abs=0.05)
    # a Gaussian net of the same depth spreads ~ L = 20, i.e. > 100x more
    net = iso.random_net(point, "gaussian", 20, 200, rng)
    s = diagnostics.jacobian_singular_values(net, iso.fixed_point_inputs(1, 200, point, rng))
    assert iso.spectrum_stats(s)[1] > 100 * predicted


def test_epochs_to_and_training_summary():
    assert iso.epochs_to(np.array([0.1, 0.5, 0.95, 0.99]), 0.9) == 2.0
    assert iso.epochs_to(np.array([0.1, 0.5]), 0.9) == math.inf
    tc = {"epochs": np.arange(4),
          "train_acc": {"orthogonal": np.array([[0.1, 0.92, 0.95, 0.97], [0.1, 0.8, 0.91, 0.96]]),
                        "gaussian": np.array([[0.1, 0.3, 0.91, 0.95], [0.1, 0.3, 0.4, 0.5]])},
          "test_acc": {"orthogonal": np.array([[0.1, 0.9, 0.9, 0.94], [0.1, 0.8, 0.9, 0.9]]),
                       "gaussian": np.array([[0.1, 0.3, 0.8, 0.9], [0.1, 0.3, 0.4, 0.5]])}}
    out = iso.training_summary(tc, k=2, criterion=0.9)
    assert out["train_acc_orth_k"] == pytest.approx(0.93)
    assert out["train_gap_k"] == pytest.approx(0.93 - 0.655)
    assert out["epochs_to_crit_orth"] == pytest.approx(1.5)
    assert out["gauss_crit_by_orth_frac"] == 0.5      # slowest orth at epoch 2; one gauss by then
    assert out["gauss_crit_frac"] == 0.5
    assert out["test_acc_orth_final"] == pytest.approx(0.92)
    assert out["test_acc_gauss_final"] == pytest.approx(0.7)
    with pytest.raises(ValueError, match="k=4"):
        iso.training_summary(tc, k=4)
