"""Chapter 14 experiments: Jacobian spectra against closed forms, and the summary logic."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from initlab import datasets, diagnostics, network, plotting, sweep, theory, train
from initlab.experiments import dynamical_isometry as di
from initlab.experiments.dynamical_isometry import nets

LINEAR = {"activation": "identity", "sigma_w2": 1.0, "sigma_b2": 0.0, "q_star": 1.0}


def test_spectrum_stats_closed_form():
    assert nets.spectrum_stats(np.ones(5)) == (1.0, 0.0)
    # lambda = s^2 = (0, 2): mean 1, population variance 1
    m1, spread = nets.spectrum_stats(np.array([0.0, math.sqrt(2.0)]))
    assert m1 == pytest.approx(1.0) and spread == pytest.approx(1.0)


def test_critical_points_closed_forms():
    cp = di.critical_points(sigma_b2=1e-5)
    # relu'^2 is 0 or 1 with probability 1/2 at sigma_w2 = 2: mu_1 = 1, mu_2 = 2
    assert cp["relu_per_layer"] == pytest.approx(1.0)
    assert cp["chi_1_tanh"] == pytest.approx(1.0, abs=1e-9)
    q = cp["q_star_tanh"]
    # sech^4 h = 1 - 2h^2 + 7/3 h^4 + ...: relative variance 8 q^2 (1 - 10 q) + O(q^4)
    assert cp["tanh_per_layer"] == pytest.approx(8 * q * q * (1 - 10 * q), rel=0.1)
    assert cp["sigma_b2_tanh"] == 1e-5
    assert cp["pred_tanh_orth_100"] == pytest.approx(100 * cp["tanh_per_layer"], rel=1e-9)


def test_orthogonal_linear_net_is_an_exact_isometry():
    rng = np.random.default_rng(0)
    net = nets.random_net(LINEAR, "orthogonal", 12, 30, rng)
    s = diagnostics.jacobian_singular_values(net, nets.fixed_point_inputs(2, 30, LINEAR, rng))
    np.testing.assert_allclose(s, 1.0, atol=1e-10)
    with pytest.raises(ValueError, match="uniform"):
        nets.weight_init("uniform", 1.0)


def test_fixed_point_inputs_have_the_fixed_point_length():
    point = theory.critical_point("tanh", 1e-5)
    X = nets.fixed_point_inputs(3, 40, point, np.random.default_rng(1))
    expected = (point["q_star"] - point["sigma_b2"]) / point["sigma_w2"]
    np.testing.assert_allclose(np.sum(X**2, axis=1) / 40, expected, rtol=1e-12)


def test_finite_width_recursion_matches_linear_gaussian_nets():
    # E[m_2] of J J^T for products of L Gaussian N x N matrices (Var 1/N) against the
    # recursion m_2' = m_2 (1 + 1/N) + 1. Monte Carlo over n nets: tolerance 4 SE
    # (SE = sample sd / sqrt(n)) plus 0.15 for the E[m_1^2] - 1 the recursion drops
    # (<= sum_l 2 E m_2,l / N^2 ~ 0.1 here). The infinite-width value L + 1 must fail it.
    N, L, n = 20, 6, 3000
    rng = np.random.default_rng(2)
    m2 = []
    for _ in range(n):
        net = nets.random_net(LINEAR, "gaussian", L, N, rng)
        lam = diagnostics.jacobian_singular_values(net, np.ones((1, N))) ** 2
        m2.append(np.mean(lam**2))
    m2 = np.array(m2)
    tol = 4 * m2.std() / math.sqrt(n) + 0.15
    predicted = theory.jacobian_spread(L, 1.0, 1.0, "gaussian", N) + 1.0
    assert abs(m2.mean() - predicted) < tol
    assert abs(m2.mean() - (L + 1)) > tol


def test_orthogonal_tanh_spread_matches_pennington():
    # L (mu_2 / mu_1^2 - 1) at L = 20; per-net relative sd ~3% at width 200 (measured over
    # 40 nets at L = 10), finite-width bias ~2%: 15% is > 4 sd
    point = theory.critical_point("tanh", 1e-5)
    rng = np.random.default_rng(3)
    net = nets.random_net(point, "orthogonal", 20, 200, rng)
    s = diagnostics.jacobian_singular_values(net, nets.fixed_point_inputs(1, 200, point, rng))
    mean, spread = nets.spectrum_stats(s)
    predicted = theory.jacobian_spread(20, point["mu_1"], point["mu_2"], "orthogonal")
    assert spread == pytest.approx(predicted, rel=0.15)
    assert mean == pytest.approx(1.0, abs=0.05)
    # a Gaussian net of the same depth spreads ~ L = 20, i.e. > 100x more
    net = nets.random_net(point, "gaussian", 20, 200, rng)
    s = diagnostics.jacobian_singular_values(net, nets.fixed_point_inputs(1, 200, point, rng))
    assert nets.spectrum_stats(s)[1] > 100 * predicted


def test_jacobian_spectra_numbers_and_figures():
    sp = di.jacobian_spectra(width=60, depths=(4, 16), n_nets=2, sigma_b2=1e-5,
                             hist_depths=(16,), seed=0)
    assert (sp["depth_min"], sp["depth_max"], sp["width"], sp["n_nets"]) == (4, 16, 60, 2)
    # orthogonal tanh: predicted spread 16 * 8 q*^2 ~ 0.04; everything else ~ L or more
    assert sp["spread_tanh_orth_deep"] < 0.2 < 5.0 < sp["spread_tanh_gauss_deep"]
    assert sp["pred_relu_gauss_deep"] == pytest.approx(2 * 16, rel=1e-6)    # 1 + 1 per layer
    assert sp["pred_relu_orth_deep"] == pytest.approx(16, rel=1e-6)
    assert list(sp["configs"][("tanh", "orthogonal")]["sv"]) == [16]
    fig = di.plot_spectra(sp)
    plotting.check_fits_column(fig, "plot_spectra")
    assert len(fig.axes) == 4 and all(ax.get_xscale() == "log" for ax in fig.axes)
    assert all(len(ax.lines) == 2 for ax in fig.axes)       # one depth + the s = 1 line
    fig = di.plot_spread(sp)
    plotting.check_fits_column(fig, "plot_spread")
    assert len(fig.axes) == 2 and fig.axes[0].get_position().y0 > fig.axes[1].get_position().y1
    assert fig.axes[0].get_yscale() == "log" and fig.axes[0].get_xscale() == "log"
    assert "mean" in fig.axes[1].get_ylabel()
    plt.close("all")


def test_qstar_sweep_spread_grows_with_q_star():
    qs = di.qstar_sweep(depth=10, width=80, n_nets=1, sigma_b2s=(1e-5, 0.05), sigma_b2=1e-5,
                        seed=0)
    assert qs["q_star"][0] < qs["qstar_large"]
    assert qs["spread"][0] < qs["qstar_spread_large"]
    assert qs["qstar_pred_large"] == pytest.approx(qs["pred"][-1])
    ax = di.plot_qstar(qs).axes[0]
    plotting.check_fits_column(ax.figure, "plot_qstar")
    assert ax.get_xscale() == "log" and "q^*" in ax.get_xlabel()
    assert any("used here" in t.get_text() for t in ax.texts)
    plt.close("all")


def test_training_summary_follows_the_censoring_rule():
    train_acc = {"orthogonal": np.array([[0.1, 0.92, 0.95, 0.97], [0.1, 0.8, 0.91, 0.96]]),
                 "gaussian": np.array([[0.1, 0.3, 0.91, 0.95], [0.1, 0.3, 0.4, 0.5]])}
    test_acc = {"orthogonal": np.array([[0.1, 0.9, 0.9, 0.94], [0.1, 0.8, 0.9, 0.9]]),
                "gaussian": np.array([[0.1, 0.3, 0.8, 0.9], [0.1, 0.3, 0.4, 0.5]])}
    out = di.training_summary(train_acc, test_acc, k=2, target_acc=0.9)
    assert out["train_acc_orth_k"] == pytest.approx(0.93)
    assert out["train_gap_k"] == pytest.approx(0.93 - 0.655)
    assert out["epochs_to_crit_orth"] == pytest.approx(1.5)
    assert out["gauss_crit_by_orth_frac"] == 0.5      # slowest orth at epoch 2; one gauss by then
    assert out["gauss_crit_frac"] == 0.5              # the other gauss run is censored (inf)
    assert out["test_acc_orth_final"] == pytest.approx(0.92)
    assert out["test_acc_gauss_final"] == pytest.approx(0.7)
    with pytest.raises(ValueError, match="k=4"):
        di.training_summary(train_acc, test_acc, k=4, target_acc=0.9)
    with pytest.raises(ValueError, match="never reached"):
        di.training_summary(train_acc, test_acc, k=1, target_acc=0.99)


def test_train_comparison_is_train_run_with_critical_inits():
    # the chapter's runs, rebuilt by hand: digits split from default_rng(seed), then the weights
    # and the epoch permutations from default_rng(run seed)
    kw = {"width": 16, "n_hidden": 3, "sigma_b2": 1e-5, "epochs": 2, "n_seeds": 1, "lr": 0.01,
          "batch_size": 32, "k": 1, "target_acc": 0.0, "seed": 4}
    tc = di.train_comparison(**kw)
    point = theory.critical_point("tanh", 1e-5)
    data = datasets.load("digits", np.random.default_rng(4))
    rng = np.random.default_rng(sweep.seeds(4, 1)[0])
    model = network.MLP((64, 16, 16, 16, 10), rng, activation="tanh",
                        weight_init=nets.weight_init("gaussian", point["sigma_w2"]),
                        bias_init=nets.bias_init(1e-5))
    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=2, batch_size=32,
                       lr=0.01, X_test=data.X_test, y_test=data.y_test, progress=False)
    np.testing.assert_array_equal(tc["train_acc"]["gaussian"][0], hist.train_acc)
    np.testing.assert_array_equal(tc["test_acc"]["gaussian"][0], hist.test_acc)
    assert tc["train_acc"]["orthogonal"].shape == (1, 3) and tc["train_n_diverged"] == 0
    assert tc["epochs_to_crit_orth"] == 0.0                  # level 0 is reached at init
    fig = di.plot_training(tc)
    plotting.check_fits_column(fig, "plot_training")
    assert all(float(x).is_integer() for x in fig.axes[0].get_xticks())
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "orthogonal weights", "Gaussian weights", "chance"]
    assert [ax.get_xlabel() for ax in fig.axes] == ["epoch", "epoch"]
    assert fig.axes[0].get_ylabel() == "accuracy"
    plt.close(fig)


def test_exercise_deeper_spread_is_linear_in_depth() -> None:
    out = di.exercise_deeper(depth=200, width=100, n_nets=1, sigma_b2=1e-4, seed=0)
    pt = theory.critical_point("tanh", 1e-4)
    per_layer = pt["mu_2"] / pt["mu_1"] ** 2 - 1
    assert out["ex_deep_pred"] == pytest.approx(200 * per_layer)
    assert out["ex_deep_depth_at_one"] == pytest.approx(1 / per_layer)
    # orthogonal tanh, spread of order one: one net of width 100 within 25% of the prediction
    assert out["ex_deep_spread"] == pytest.approx(out["ex_deep_pred"], rel=0.25)


@pytest.mark.parametrize("factor", [0.95, 1.05])
def test_exercise_off_critical_mean_is_chi_1_to_the_depth(factor: float) -> None:
    out = di.exercise_off_critical(factor=factor, depth=60, width=100, n_nets=2, sigma_b2=1e-5,
                                   seed=1)
    assert out["ex_off_chi_1"] == pytest.approx(
        theory.chi_1(factor * theory.critical_point("tanh", 1e-5)["sigma_w2"], 1e-5, "tanh"))
    # tanh compensates: chi_1 is much closer to 1 than the factor is, on either side
    assert abs(math.log(out["ex_off_chi_1"])) < abs(math.log(factor))
    # orthogonal nets: each net's mean(lambda) close to the ensemble's chi_1^L (10%)
    assert out["ex_off_mean_lam"] == pytest.approx(out["ex_off_pred_mean"], rel=0.1)
