"""Tests of initlab.experiments.vanishing_exploding (chapter 4) against independent references.

References: the network's own forward and backward pass (finite-difference tested in
test_network.py) rebuilt here from the same seed, closed forms (ReLU homogeneity,
``q_l = g^2 (g^2 c)^(l-1)``, Gaussian integrals, critical gains), a rigorous operator-norm bound
for the sigmoid backward pass, and seeded Monte Carlo with tolerances in standard errors
(formula beside each).
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # tests only: figures are never shown here

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from initlab import diagnostics, initializers, losses, network  # noqa: E402
from initlab.experiments import vanishing_exploding as ve  # noqa: E402

SMALL = {"width": 32, "n_layers": 6, "batch": 16}


def _same_model(name: str, g: float, width: int, n_layers: int, batch: int, seed: int):
    """The network, input and labels depth_profile builds (same draws, same order)."""
    rng = np.random.default_rng(seed)
    model = network.MLP([width] * (n_layers + 1) + [ve.N_CLASSES], rng,
                        activation=ve.activation(name),
                        weight_init=initializers.get("random_normal",
                                                     stddev=g / math.sqrt(width)))
    X = rng.standard_normal((batch, width))
    y = rng.integers(ve.N_CLASSES, size=batch)
    return model, X, y


def _backprop(model: network.MLP, X: np.ndarray, y: np.ndarray):
    """``(dZ list, [dW0, db0, ...])`` of softmax cross-entropy, computed here directly."""
    _, dout = losses.softmax_cross_entropy(model.forward(X, keep=True), y)
    return diagnostics.backprop_grads(model, dout), model.backward(dout)


@pytest.mark.parametrize("name", ve.ACTIVATIONS)
def test_profile_matches_the_network_pass(name: str) -> None:
    prof = ve.depth_profile(name, 1.3, seed=4, **SMALL)
    model, X, y = _same_model(name, 1.3, seed=4, **SMALL)
    dZs, grads = _backprop(model, X, y)
    for l in range(SMALL["n_layers"]):
        assert prof["act_std"][l] == pytest.approx(model.A[l + 1].std(), rel=1e-12)
        assert prof["grad_std"][l] == pytest.approx(dZs[l].std(), rel=1e-12)
        assert prof["weight_grad_norm"][l] == pytest.approx(np.linalg.norm(grads[2 * l]),
                                                            rel=1e-12)
        # db_l = sum over the batch of dL/dZ_l (the claim the chapter makes about biases)
        assert prof["bias_grad_norm"][l] == pytest.approx(np.linalg.norm(dZs[l].sum(axis=0)),
                                                          rel=1e-10)
    for key in ve.STATS:
        assert prof[key].shape == (SMALL["n_layers"],)


def test_sigmoid_backward_obeys_the_one_quarter_bound() -> None:
    # dZ_l = (dZ_{l+1} W_{l+1}^T) * sigmoid'(Z_l) with 0 < sigmoid' <= 1/4, so
    # ||dZ_l||_F <= ||W_{l+1}||_2 / 4 * ||dZ_{l+1}||_F: a rigorous bound, layer by layer
    dims = {"width": 24, "n_layers": 8, "batch": 10}
    for g in (0.5, 2.0, 8.0):
        prof = ve.depth_profile("sigmoid", g, seed=2, **dims)
        model, X, y = _same_model("sigmoid", g, seed=2, **dims)
        dZs, _ = _backprop(model, X, y)
        norms = [np.linalg.norm(dZ) for dZ in dZs]
        for l in range(dims["n_layers"] - 1):
            bound = np.linalg.norm(model.weights[l + 1], 2) / 4 * norms[l + 1]
            assert norms[l] <= bound * (1 + 1e-12)
        # and the profile reports the std of those same arrays
        np.testing.assert_allclose(prof["grad_std"], [dZ.std() for dZ in dZs[:-1]], rtol=1e-12)


def test_relu_profiles_are_exact_rescalings_across_gains() -> None:
    # same seed = same standard-normal draws; ReLU is positively homogeneous and the biases
    # are zero, so doubling g multiplies the std of hidden layer l by exactly 2^l
    a = ve.depth_profile("relu", 0.7, seed=1, **SMALL)
    b = ve.depth_profile("relu", 1.4, seed=1, **SMALL)
    layers = np.arange(1, SMALL["n_layers"] + 1)
    np.testing.assert_allclose(b["act_std"] / a["act_std"], 2.0**layers, rtol=1e-12)


def test_same_seed_same_bits() -> None:
    a = ve.depth_profile("tanh", 2.0, seed=9, **SMALL)
    b = ve.depth_profile("tanh", 2.0, seed=9, **SMALL)
    c = ve.depth_profile("tanh", 2.0, seed=10, **SMALL)
    for key in ve.STATS:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["act_std"], c["act_std"])


@pytest.mark.parametrize("g2", [1.0, 4.0])
def test_relu_rates_match_theory_within_standard_errors(g2: float) -> None:
    width, L = 128, 20
    prof = ve.depth_profile("relu", math.sqrt(g2), width=width, n_layers=L, batch=32, seed=0)
    theory_rate = ve.linear_rate("relu", math.sqrt(g2))      # ln(g^2 / 2) / 2
    # ln ||.|| takes i.i.d. steps of variance s^2 = 5 / (4 width) per ReLU layer (a sum of
    # `width` half-rectified squared normals has relative variance 5 / width); the OLS slope of
    # a random walk over L points has variance ~1.2 s^2 / L (rate_standard_error). 4 SE.
    se = ve.rate_standard_error(width, L)
    assert se == pytest.approx(math.sqrt(5 / (4 * width)) * math.sqrt(1.2 / L), rel=0.01)
    assert abs(ve.fit_rate(prof["act_std"]) - theory_rate) < 4 * se
    assert abs(-ve.fit_rate(prof["grad_std"]) - theory_rate) < 4 * se


def test_predicted_profile_closed_forms() -> None:
    L, g = 7, 1.7
    layers = np.arange(1, L + 1)
    for name in ("relu", "leaky_relu"):
        c = ve.linear_factors(name)[0]
        p = ve.predicted_profile(name, g, L)
        np.testing.assert_allclose(p["q"], g**2 * (g**2 * c) ** (layers - 1), rtol=1e-12)
        np.testing.assert_allclose(p["grad_ratio"], (g**2 * c) ** ((L - layers) / 2),
                                   rtol=1e-12)
        # act std scales as sqrt(q): the ratio to layer 1 is (g^2 c)^((l-1)/2)
        np.testing.assert_allclose(p["act_std"] / p["act_std"][0], p["act_ratio_linear"],
                                   rtol=1e-9)
    # relu: std(relu(z)) = sqrt(q (1/2 - 1/(2 pi))); the trapezoid rule across the kink at 0
    # errs by ~h^2/12 * phi(0) = 1.3e-7 in E[relu] (node spacing h = 2e-3)
    p = ve.predicted_profile("relu", g, L)
    np.testing.assert_allclose(p["act_std"], np.sqrt(p["q"] * (0.5 - 0.5 / math.pi)),
                               rtol=1e-6)
    # tanh at a tiny gain is linear: the mean-field curves meet the small-signal ones
    t = ve.predicted_profile("tanh", 0.05, L)
    np.testing.assert_allclose(t["act_std"] / t["act_std"][0], t["act_ratio_linear"],
                               rtol=1e-2)
    np.testing.assert_allclose(t["grad_ratio"], t["grad_ratio_linear"], rtol=1e-2)
    np.testing.assert_allclose(t["act_ratio_linear"], 0.05 ** (layers - 1), rtol=1e-12)
    # sigmoid: first layer sees the raw input, q_1 = g^2; later q >= g^2 / 4 (mean 1/2);
    # gradient factor g^2 E[sigmoid'^2] <= g^2 / 16
    s = ve.predicted_profile("sigmoid", 3.0, L)
    assert s["q"][0] == pytest.approx(9.0)
    assert np.all(s["q"][1:] >= 9.0 / 4)
    assert np.all(s["grad_ratio"][:-1] <= (3.0 / 4) ** (L - layers[:-1]))
    assert "act_ratio_linear" not in s


def test_gaussian_mean_closed_forms() -> None:
    q = np.array([0.01, 1.0, 60.0, 500.0])
    np.testing.assert_allclose(ve.gaussian_mean(lambda u: u**2, q), q, rtol=1e-9)
    np.testing.assert_allclose(ve.gaussian_mean(lambda u: np.maximum(u, 0) ** 2, q), q / 2,
                               rtol=1e-9)
    # a spike of width ~1/sqrt(q) in z: E[exp(-u^2)] = 1 / sqrt(1 + 2 q) for u ~ N(0, q)
    np.testing.assert_allclose(ve.gaussian_mean(lambda u: np.exp(-(u**2)), q),
                               1 / np.sqrt(1 + 2 * q), rtol=1e-9)


def test_predicted_saturation_matches_monte_carlo() -> None:
    rng = np.random.default_rng(5)
    n = 200_000
    for name, g in (("tanh", 3.0), ("sigmoid", 5.0)):
        p = ve.predicted_profile(name, g, 2)
        z = math.sqrt(p["q"][0]) * rng.standard_normal(n)
        a = ve.activation(name).f(z)
        sat = np.mean(np.abs(a) > 0.97) if name == "tanh" else np.mean((a < 0.03) | (a > 0.97))
        # binomial SE sqrt(p (1 - p) / n) <= 0.5 / sqrt(n) = 0.0011; 5 SE
        assert sat == pytest.approx(p["saturated_frac"][0], abs=5 * 0.5 / math.sqrt(n))


def test_overflow_raises_never_nan() -> None:
    # g = 1e4: the ReLU std grows ~7e3 per layer, past float64's 1e308 near layer 80
    with pytest.raises(ValueError, match="not finite|overflow"):
        ve.depth_profile("relu", 1e4, width=8, n_layers=100, batch=4, seed=0)


def test_fit_rate_and_ratios() -> None:
    v = 3.0 * np.exp(-0.7 * np.arange(1, 11))
    assert ve.fit_rate(v) == pytest.approx(-0.7, rel=1e-12)
    assert ve.first_over_last(v) == pytest.approx(math.exp(0.7 * 9), rel=1e-12)
    assert ve.last_over_first(v) == pytest.approx(math.exp(-0.7 * 9), rel=1e-12)
    for bad in (np.array([1.0, np.inf]), np.array([1.0, 0.0]), np.array([1.0])):
        with pytest.raises(ValueError, match="finite positive"):
            ve.fit_rate(bad)


def test_factors_gains_and_critical_points() -> None:
    a = ve.LEAKY_ALPHA
    assert ve.linear_factors("relu") == (0.5, 0.5)
    assert ve.linear_factors("leaky_relu") == pytest.approx(((1 + a**2) / 2,) * 2)
    assert ve.linear_factors("tanh") == (1.0, 1.0)
    assert ve.linear_factors("sigmoid") == (None, pytest.approx(1 / 16))
    with pytest.raises(ValueError, match="sigmoid"):
        ve.linear_rate("sigmoid", 1.0)
    assert ve.recommended_gain("relu") == pytest.approx(math.sqrt(2))
    assert ve.recommended_gain("tanh") == pytest.approx(5 / 3)
    assert ve.recommended_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + a**2)))
    assert ve.linear_rate("relu", math.sqrt(2)) == pytest.approx(0.0, abs=1e-15)
    assert ve.linear_rate("tanh", 2.0, backward=True) == pytest.approx(math.log(2.0))
    np.testing.assert_allclose(ve.gains() ** 2, 2.0 ** np.arange(-4, 7), rtol=1e-12)
    # critical gains: g^2 c' = 1 (relu-like), chi_1 = 1 (tanh: exactly 1 without bias);
    # sigmoid's lies where the mean-field gradient factor g^2 E[sigmoid'(sqrt(q*) z)^2] is 1
    assert ve.critical_g2("relu") == 2.0
    assert ve.critical_g2("leaky_relu") == pytest.approx(2 / (1 + a**2))
    assert ve.critical_g2("tanh") == pytest.approx(1.0, abs=1e-6)
    g2 = ve.critical_g2("sigmoid")
    assert g2 > 16                                     # beyond the small-signal 1 / c' = 16
    with pytest.raises(ValueError, match="softsign"):
        ve.depth_profile("softsign", 1.0, seed=0, **SMALL)
    with pytest.raises((TypeError, ValueError), match="g"):
        ve.depth_profile("relu", -1.0, seed=0, **SMALL)


def test_grid_summary_and_figures_on_a_small_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ve, "sizes", lambda smoke: dict(SMALL))
    grid = ve.run_grid(0, smoke=True)
    rec = ve.run_recommended(0, smoke=True)
    assert grid["act_std"].shape == (4, 11, SMALL["n_layers"])
    s = ve.summary(grid, rec)
    assert all(isinstance(v, int | float) and not isinstance(v, np.generic)
               and math.isfinite(v) for v in s.values())
    # the relu grid with common random numbers: activation rates differ by exactly ln(sqrt 2)
    i = ve.ACTIVATIONS.index("relu")
    np.testing.assert_allclose(np.diff(grid["act_rate"][i]), math.log(math.sqrt(2)),
                               rtol=1e-9)
    # the recommended run at relu's gain is the grid's g^2 = 2 column (same seed, same sizes)
    np.testing.assert_array_equal(rec["relu"]["act_std"], grid["act_std"][i, 5])
    assert s["relu_he_act_factor"] == pytest.approx(math.exp(grid["act_rate"][i, 5]))
    assert s["leaky_gain_grad_z"] == pytest.approx(
        math.log(s["leaky_gain_grad_ratio"]) / math.sqrt(5 * 5 / (4 * SMALL["width"])))
    table = ve.g1_table(s)
    assert all(len(col) == 4 for col in table.values())
    for fig in (ve.plot_heatmaps(grid), ve.plot_profiles(grid), ve.plot_rates(grid),
                ve.plot_recommended(rec), ve.plot_weight_vs_bias(grid)):
        assert fig.axes
        plt.close(fig)


def test_train_comparison_is_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ve, "TRAIN", {**ve.TRAIN, "n_layers": 2})
    a = ve.train_comparison(3, smoke=True)
    b = ve.train_comparison(3, smoke=True)
    assert a["epochs"] == 4
    for name in ve.ACTIVATIONS:
        acc = a["test_acc"][name]
        assert acc.shape == (5,) and np.all((acc >= 0) & (acc <= 1))
        np.testing.assert_array_equal(acc, b["test_acc"][name])
    # 2 hidden layers of width 64 at He scale learn the digits well past chance (0.1)
    assert a["test_acc"]["relu"][-1] > 0.5
    fig = ve.plot_training(a)
    assert fig.axes
    plt.close(fig)
