"""Chapter 12 experiments: exact input construction, and simulations against closed forms."""

import math

import numpy as np
import pytest

from initlab.experiments import edge_of_chaos as eoc


def test_correlated_inputs_are_exact():
    H = eoc.correlated_inputs((0.2, -0.5, 0.9), 0.7, 50, np.random.default_rng(0))
    assert H.shape == (4, 50)
    np.testing.assert_allclose(np.sum(H**2, axis=1) / 50, 0.7, rtol=1e-12)
    c = H[1:] @ H[0] / (np.linalg.norm(H[1:], axis=1) * np.linalg.norm(H[0]))
    np.testing.assert_allclose(c, [0.2, -0.5, 0.9], atol=1e-12)


def test_grouped_inputs_blocks_and_orthogonality():
    H = eoc.grouped_inputs((0.2, 0.8), 4, 1.0, 60, np.random.default_rng(1))
    G = H.reshape(4, 3, 60)
    for g in G:
        c = g[1:] @ g[0] / 60.0
        np.testing.assert_allclose(c, [0.2, 0.8], atol=1e-12)
    # references of different groups are orthogonal
    refs = G[:, 0]
    off = refs @ refs.T - np.diag(np.diag(refs @ refs.T))
    assert np.max(np.abs(off)) < 1e-10


def test_bad_correlation_is_rejected():
    with pytest.raises(ValueError, match="1.5"):
        eoc.correlated_inputs((1.5,), 1.0, 10, np.random.default_rng(0))


def test_relu_correlation_map_matches_arccos_closed_form():
    # Cho & Saul (2009) arc-cosine kernel of degree 1, normalised:
    # c' = (sqrt(1 - c^2) + (pi - acos c) c) / pi
    c, expected = 0.2, [0.2]
    for _ in range(10):
        c = (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c) / math.pi
        expected.append(c)
    np.testing.assert_allclose(eoc.theory_correlations(0.2, 10, 2.0, 0.0, "relu"), expected,
                               atol=1e-10)


def test_linear_net_preserves_correlation_up_to_finite_width_noise():
    # identity activation, sigma_b2 = 0, sigma_w2 = 1: c_l = c_0 in expectation; the sampling sd
    # of a correlation over N units is <= 1/sqrt(N) per layer, so 5 layers -> <= sqrt(5/N); 4 sd
    width = 2000
    H = eoc.correlated_inputs((0.5,), 1.0, width, np.random.default_rng(2))
    q, corr = eoc.propagate(H, 5, 1.0, 0.0, "identity", np.random.default_rng(3))
    assert abs(corr[-1, 1] - 0.5) < 4 * math.sqrt(5 / width)
    # lengths: E q_l = q_0; Var of the log ~ 2l/N
    assert abs(math.log(q[-1, 0])) < 4 * math.sqrt(2 * 5 / width)


def test_relu_growth_rate_matches_theory():
    r = eoc.relu_propagation(0, smoke=True)
    for sw2, rate in r["rate"].items():
        # slope SE ~ 0.02 at N = 200 with 2 nets (Var log q_L ~ 5L/N); 4 SE
        assert abs(rate - math.log(sw2 / 2.0)) < 0.08


def test_ordered_phase_forgets_inputs_within_six_depth_scales():
    d = eoc.distinguishability(0, smoke=True, n_groups=4)
    assert d["delta"][0] == pytest.approx(0.6)
    assert d["delta_deep_max_ordered"] < 0.01       # mean field: 0.6 e^-6 = 0.0015
    assert d["delta_shallow_min"] > 0.1
