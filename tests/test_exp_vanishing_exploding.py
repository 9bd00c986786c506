"""Tests of initlab.experiments.vanishing_exploding (chapter 4) against independent references.

References: the network's own forward and backward pass (finite-difference tested in
test_network.py) rebuilt here from the same seed, closed forms (ReLU homogeneity,
``q_l = g^2 (g^2 c)^(l-1)``, critical gains), a rigorous operator-norm bound for the sigmoid
backward pass, seeded Monte Carlo with tolerances in standard errors (formula beside each),
and the training comparison rerun with plain ``train.train``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from initlab import (
    datasets,
    diagnostics,
    initializers,
    losses,
    network,
    plotting,
    stats,
    theory,
    train,
)
from initlab.experiments import vanishing_exploding as ve
from initlab.experiments.vanishing_exploding import profiles

SMALL = {"width": 32, "n_layers": 6, "batch": 16}


def _same_model(name: str, g: float, width: int, n_layers: int, batch: int, seed: int):
    """The network, input and labels depth_profile builds (same draws, same order)."""
    rng = np.random.default_rng(seed)
    model = network.MLP([width] * (n_layers + 1) + [profiles.N_CLASSES], rng,
                        activation=ve.activation(name),
                        weight_init=initializers.get("random_normal",
                                                     stddev=g / math.sqrt(width)))
    X = rng.standard_normal((batch, width))
    y = rng.integers(profiles.N_CLASSES, size=batch)
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
    theory_rate = math.log(g2 / 2) / 2                       # ln(g^2 c) / 2, c = 1/2
    # ln ||.|| takes i.i.d. steps of variance s^2 = 5 / (4 width) per ReLU layer (a sum of
    # `width` half-rectified squared normals has relative variance 5 / width); the OLS slope of
    # a random walk over L points has variance ~1.2 s^2 / L (rate_standard_error). 4 SE.
    se = ve.rate_standard_error(width, L)
    assert se == pytest.approx(math.sqrt(5 / (4 * width)) * math.sqrt(1.2 / L), rel=0.01)
    layers = np.arange(1, L + 1)
    assert abs(stats.log_slope(layers, prof["act_std"]) - theory_rate) < 4 * se
    assert abs(-stats.log_slope(layers, prof["grad_std"]) - theory_rate) < 4 * se


def test_predicted_saturation_matches_monte_carlo() -> None:
    rng = np.random.default_rng(5)
    n = 200_000
    for name, q in (("tanh", 9.0), ("sigmoid", 25.0)):
        z = math.sqrt(q) * rng.standard_normal(n)
        a = ve.activation(name).f(z)
        sat = np.mean(np.abs(a) > 0.97) if name == "tanh" else np.mean((a < 0.03) | (a > 0.97))
        # binomial SE sqrt(p (1 - p) / n) <= 0.5 / sqrt(n) = 0.0011; 5 SE
        assert sat == pytest.approx(float(ve.predicted_saturation(name, q)),
                                    abs=5 * 0.5 / math.sqrt(n))
    np.testing.assert_array_equal(ve.predicted_saturation("relu", np.ones(3)), np.zeros(3))


def test_overflow_raises_never_nan() -> None:
    # g = 1e4: the ReLU std grows ~7e3 per layer, past float64's 1e308 near layer 80
    with pytest.raises(ValueError, match="not finite|overflow"):
        ve.depth_profile("relu", 1e4, width=8, n_layers=100, batch=4, seed=0)


def test_gains_and_bad_arguments() -> None:
    a = ve.LEAKY_ALPHA
    assert ve.recommended_gain("relu") == pytest.approx(math.sqrt(2))
    assert ve.recommended_gain("tanh") == pytest.approx(5 / 3)
    assert ve.recommended_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + a**2)))
    with pytest.raises(ValueError, match="softsign"):
        ve.depth_profile("softsign", 1.0, seed=0, **SMALL)
    with pytest.raises((TypeError, ValueError), match="g"):
        ve.depth_profile("relu", -1.0, seed=0, **SMALL)


@pytest.fixture(scope="module")
def grid() -> dict:
    return ve.gain_grid(g2_exponents=range(-4, 7), seed=0, **SMALL)


def test_gain_grid_against_closed_forms(grid: dict) -> None:
    L, a = SMALL["n_layers"], ve.LEAKY_ALPHA
    layers = np.arange(1, L + 1)
    assert grid["act_std"].shape == (4, 11, L) and grid["n_gains"] == 11
    np.testing.assert_allclose(grid["g"] ** 2, 2.0 ** np.arange(-4, 7), rtol=1e-12)
    relu = ve.ACTIVATIONS.index("relu")
    # relu mean field: q_l = g^2 (g^2 / 2)^(l-1), so std(relu(z)) = sqrt(q (1/2 - 1/(2 pi)));
    # the trapezoid rule across the kink at 0 errs by ~1e-7 relative
    for j, g in enumerate(grid["g"]):
        q = g**2 * (g**2 / 2) ** (layers - 1)
        np.testing.assert_allclose(grid["pred_act_std"][relu, j],
                                   np.sqrt(q * (0.5 - 0.5 / math.pi)), rtol=1e-6)
        np.testing.assert_allclose(grid["pred_grad_ratio"][relu, j],
                                   (g**2 / 2) ** ((L - layers) / 2), rtol=1e-9)
    # common random numbers: relu activation rates differ by exactly ln(sqrt 2) per column
    np.testing.assert_allclose(np.diff(grid["act_rate"][relu]), math.log(math.sqrt(2)),
                               rtol=1e-9)
    assert grid["relu_he_act_factor"] == pytest.approx(math.exp(grid["act_rate"][relu, 5]))
    # critical gains: g^2 c' = 1 (relu-like), chi_1 = 1 (tanh: exactly 1 without bias);
    # sigmoid's lies beyond the small-signal 1 / c' = 16
    assert grid["critical_g2_relu"] == 2.0
    assert grid["critical_g2_leaky_relu"] == pytest.approx(2 / (1 + a**2))
    assert grid["critical_g2_tanh"] == pytest.approx(1.0, abs=1e-6)
    assert grid["critical_g2_sigmoid"] > 16
    # the chapter's largest relu-like gap, recomputed from the rates
    gaps = [abs(grid["act_rate"][i, j] - math.log(g**2 * c) / 2)
            for i, c in ((relu, 0.5), (relu + 1, (1 + a**2) / 2))
            for j, g in enumerate(grid["g"])]
    assert grid["relu_rate_max_z"] * grid["rate_se"] >= max(gaps) - 1e-12


def test_rates_and_unit_gain_numbers(grid: dict) -> None:
    r = ve.rates_vs_theory(grid)
    sig, g1 = ve.ACTIVATIONS.index("sigmoid"), 4                    # g^2 = 2^0 is column 4
    assert r["sigmoid_grad_rate_g1"] == grid["grad_rate"][sig, g1]
    # sigmoid' <= 1/4 bounds the gradient factor by g^2 / 16: rate <= ln(1/4) at g^2 = 1
    assert r["sigmoid_grad_rate_g1_pred"] <= math.log(0.25)
    assert r["sigmoid_max_chi"] == pytest.approx(theory.chi_1(64.0, 0.0, "sigmoid"))
    assert 0 <= r["tanh_sat_small"] <= r["tanh_sat_large"] <= 1
    u = ve.unit_gain(grid)
    v = grid["bias_grad_norm"][sig, g1]
    assert u["bias_grad_ratio_sigmoid"] == pytest.approx(v[0] / v[-1], rel=1e-15)
    table = ve.unit_gain_table(u)
    assert table.shape == (4, 5) and table.iloc[0, 4] == f"{v[0] / v[-1]:.2e}"


def test_recommended_gains_is_the_grid_column_at_he(grid: dict) -> None:
    rec = ve.recommended_gains(seed=0, **SMALL)
    relu = ve.ACTIVATIONS.index("relu")
    # relu's recommended gain sqrt(2) is the grid's g^2 = 2 column (same seed, same sizes)
    np.testing.assert_array_equal(rec["profiles"]["relu"]["act_std"], grid["act_std"][relu, 5])
    assert rec["relu_he_grad_ratio_pred"] == pytest.approx(1.0, rel=1e-12)
    assert rec["leaky_gain_grad_z"] == pytest.approx(
        math.log(rec["leaky_gain_grad_ratio"]) / math.sqrt(5 * 5 / (4 * SMALL["width"])))


def test_train_comparison_matches_plain_training() -> None:
    t = ve.train_comparison(width=16, n_layers=2, epochs=2, lr=0.005, momentum=0.9,
                            batch_size=32, seed=3)
    assert t["train_epochs"] == 2
    # the relu run rebuilt by hand: split from seed, weights and batches from seed + 1
    data = datasets.load("digits", np.random.default_rng(3))
    rng = np.random.default_rng(4)
    model = network.MLP([64, 16, 16, 10], rng, activation="relu",
                        weight_init=initializers.get("random_normal", stddev=math.sqrt(2 / 16)))
    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=2, batch_size=32,
                       lr=0.005, momentum=0.9, X_test=data.X_test, y_test=data.y_test,
                       track_layer_norms=False, progress=False)
    np.testing.assert_array_equal(t["test_acc"]["relu"], hist.test_acc)
    assert t["train_best_acc_relu"] == max(hist.test_acc)
    assert t["train_final_acc_relu"] == hist.test_acc[-1]


def test_figures_draw_the_grid(grid: dict) -> None:
    for which in ("act_std", "grad_std"):
        fig = ve.plot_heatmaps(grid, which)
        plotting.check_fits_column(fig, which)
        assert len(fig.axes) == 4 + 1                   # 4 panels and the colour bar
        assert fig.axes[2].get_xlabel() == "g² = n·σ²"
        assert fig.axes[-1].get_label() == "<colorbar>"
        fig = ve.plot_profiles(grid, which)
        plotting.check_fits_column(fig, which)
        assert len(fig.axes) == 4 and fig.axes[0].get_ylim() == (-12, 12)
        assert all(t == int(t) for t in fig.axes[2].get_xticks())   # whole layers
    with pytest.raises(ValueError, match="'weights'"):
        ve.plot_heatmaps(grid, "weights")
    fig = ve.plot_rates(grid)
    plotting.check_fits_column(fig)
    ax, bx = fig.axes
    assert len(ax.get_legend().get_texts()) == 4 + 2    # 4 activations, mean field, line
    assert bx.get_ylabel() == "saturated fraction\n(mean over layers)"
    fig = ve.plot_weight_vs_bias(grid)
    plotting.check_fits_column(fig)
    assert [len(a.lines) for a in fig.axes] == [4, 4, 4]
    rec = ve.recommended_gains(seed=0, **SMALL)
    fig = ve.plot_recommended(rec)
    plotting.check_fits_column(fig)
    assert len(fig.axes[1].lines) == 4 + 4 + 1          # measured, mean field, legend entry
    top = fig.axes[0]                                   # its own y range, not the gradients'
    data = max(abs(y) for line in top.get_lines() for y in line.get_ydata())
    assert top.get_ylim() == pytest.approx((-1.1 * max(1.0, data), 1.1 * max(1.0, data)))
    trained = {"test_acc": {a: np.linspace(0.1, 0.9, 4) for a in ve.ACTIVATIONS},
               "gains": rec["gains"], "setup": {"width": 8, "n_layers": 2}}
    fig = ve.plot_training(trained)
    plotting.check_fits_column(fig)
    assert fig.axes[0].get_ylabel() == "test accuracy" and len(fig.axes[0].lines) == 5
    plt.close("all")


def test_gain_explorer_frames_are_the_grid_and_relu_is_flat_at_he() -> None:
    """One frame per gain; every curve starts (activations) or ends (gradients) at 1; ReLU's
    activations are flattest at He's g^2 = 2, where the factor g^2 c is exactly 1."""
    grid = ve.gain_grid(width=64, n_layers=10, batch=32, g2_exponents=(-1, 0, 1, 2, 3), seed=4)
    ex = ve.gain_explorer(grid)
    assert ex["explore_n_frames"] == 5 and ex["act"]["relu"].shape == (5, 10)
    for a in ve.ACTIVATIONS:
        np.testing.assert_allclose(ex["act"][a][:, 0], 1.0)
        np.testing.assert_allclose(ex["grad_pred"][a][:, -1], 1.0)
    assert ex["explore_flat_act_g2_relu"] == pytest.approx(2.0)
    assert ex["explore_flat_grad_g2_relu"] == pytest.approx(2.0)
    html = ve.plot_gain_slider(ex)
    assert html.count("data:image/png;base64,") == 5 and "https://" not in html


def test_exercise_relu_gain_follows_the_per_layer_factor() -> None:
    """ln(last / first std) against (L - 1) ln(g^2 / 2) / 2: a random walk of L - 1 steps of
    variance 5 / (4 width) per example (rate_standard_error's derivation), sd
    sqrt(19 * 5 / 512) = 0.43 at width 128, 20 layers; the batch only lowers it: 4 sd = 1.7."""
    for g2 in (1.0, 2.0, 4.0):
        ex = ve.exercise_relu_gain(g2=g2, width=128, n_layers=20, batch=32, seed=1)
        assert ex["ex_gain_act_ratio_theory"] == pytest.approx((g2 / 2) ** 9.5)
        assert math.log(ex["ex_gain_act_ratio"] / ex["ex_gain_act_ratio_theory"]) == \
            pytest.approx(0.0, abs=1.7)


def test_exercise_sigmoid_depth_vanishes_like_mean_field() -> None:
    """At g = 1 the sigmoid's gradient falls by more than a factor 4 per layer in mean field,
    and the measurement follows it within a factor 3 over 30 layers (the chapter's
    meanfield_rate_max_err is a few hundredths per layer)."""
    ex = ve.exercise_sigmoid_depth(n_layers=30, width=128, batch=32, seed=2)
    assert ex["ex_sigmoid_grad_bound"] == pytest.approx(0.25 ** 29)
    assert ex["ex_sigmoid_grad_ratio_pred"] < ex["ex_sigmoid_grad_bound"]
    assert abs(math.log(ex["ex_sigmoid_grad_ratio"] / ex["ex_sigmoid_grad_ratio_pred"])) < \
        math.log(3.0)
