"""Tests of initlab.experiments.xavier_glorot (chapter 5) against independent references.

References: seeded Monte Carlo (tolerances in standard errors, formula beside each), the
library's own ``train.run`` (the training comparison is that run per scheme), and a
fixed-point check of the tanh length map by Monte Carlo. The mean-field recursion itself
(``theory.mean_field_layers``) is tested in tests/test_theory_propagation.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import datasets, plotting, stats, sweep, theory, train
from initlab.experiments import xavier_glorot as glorot


def test_source_demo_bounds_and_moments() -> None:
    d = glorot.source_demo(fan_in=10, n_draws=1000, seed=3)
    b = 1 / math.sqrt(10)
    assert d["demo_bound_error"] < 1e-12 and d["demo_upper"] == pytest.approx(b, abs=1e-15)
    assert -b <= d["demo_min"] < d["demo_max"] <= b
    assert d["demo_glorot_standard_max_abs"] <= b
    # P(max < 0.98 b) = 0.99^1000 = 4e-5
    assert d["demo_max"] > 0.98 * b and d["demo_min"] < -0.98 * b
    assert abs(d["demo_mean"]) < 4 * d["demo_se_mean"]
    assert abs(d["demo_std"] - 1 / math.sqrt(30)) < 4 * d["demo_se_std"]
    assert d["demo_normalized_bound"] == pytest.approx(math.sqrt(0.3))
    again = glorot.source_demo(fan_in=10, n_draws=1000, seed=3)
    np.testing.assert_array_equal(d["weights"], again["weights"])
    table = glorot.demo_table(d)
    assert list(table.index) == ["lower bound", "upper bound", "min", "max", "mean", "std"]
    assert table.loc["std", "value"] == round(d["demo_std"], 4)


def test_scheme_variance_matches_draws() -> None:
    rng = np.random.default_rng(0)
    shape = (300, 100)
    for name in glorot.SCHEMES:
        W = glorot.scheme(name)(shape, rng)
        # uniform: Var(s^2) / sigma^4 = (mu_4 / sigma^4 - 1) / N = (9/5 - 1) / N -> 5 SE
        tol = 5 * math.sqrt(0.8 / W.size)
        assert W.var() == pytest.approx(glorot.scheme_variance(name, shape), rel=tol)
    assert glorot.scheme_variance("standard", (10, 7)) == pytest.approx(1 / 30)
    assert glorot.scheme_variance("tanh_gain", (10, 10)) == pytest.approx(25 / 9 / 10)
    with pytest.raises(ValueError, match="'xavier'"):
        glorot.scheme("xavier")


def test_fan_sweep_slopes() -> None:
    f = glorot.fan_sweep(fans=(10, 30, 100, 300), seed=0)
    for name in ("standard", "normalized"):
        assert -0.53 < f["slope"][name] < -0.47
    assert f["fan_slope_standard"] == f["slope"]["standard"]
    assert f["fan_max_z"] < 4.5


def test_depth_profile_matches_mean_field() -> None:
    width, n_layers = 200, 12
    p = glorot.depth_profile(width=width, n_layers=n_layers, seed=0)
    for gain in p["setup"]["gains"]:
        r = p["profiles"][gain]
        # width 200: finite-width fluctuations of a per-layer std are a few percent
        np.testing.assert_allclose(r["act_std"], r["act_pred"], rtol=0.1)
        np.testing.assert_allclose(r["grad_std"], r["grad_pred"], rtol=0.15)
    one, tanh = p["profiles"][1.0], p["profiles"][glorot.TANH_GAIN]
    assert one["act_std"][-1] < 0.6 * one["act_std"][0]          # gain 1 decays
    # Gain 5/3 at layer 12, against the mean field. One unit's mean square over the batch is
    # w^T C w (C the batch's covariance of the layer below): relative SE sqrt(2 / k) with
    # k = tr(C)^2 / tr(C^2) its participation ratio, k = width / 2 for a square Gaussian batch
    # (Marchenko-Pastur, E[lambda^2] = 2); averaged over `width` independent units:
    # sqrt(2 / (width k)) = 1% in variance per layer. At the stable fixed point a deviation
    # shrinks by the length map's slope s per layer, so the layers add up to
    # 1 / sqrt(1 - s^2) of one; a std has half the relative error of its variance; 4 SE.
    g2, q_star = glorot.TANH_GAIN**2, theory.fixed_point_q(glorot.TANH_GAIN**2, 0.0, "tanh")
    h = 1e-4 * q_star
    s = g2 * (theory.gaussian_expectation(lambda u: np.tanh(u)**2, q_star + h)
              - theory.gaussian_expectation(lambda u: np.tanh(u)**2, q_star - h)) / (2 * h)
    assert 0 < s < 1                                          # a stable fixed point
    tol = 4 * math.sqrt(2 / (width * width / 2)) / math.sqrt(1 - s**2) / 2
    assert tanh["act_std"][-1] == pytest.approx(tanh["act_pred"][-1], rel=tol)
    assert tol < 0.03 / 0.651      # tighter than the former fixed +-0.03 around 0.651


def test_tanh_gain_candidates_by_monte_carlo() -> None:
    c = {k.removeprefix("tanh_"): v for k, v in glorot.tanh_gain_candidates().items()}
    z = np.random.default_rng(2).standard_normal(1_000_000)
    t2 = np.tanh(z) ** 2
    # SE of a mean of 1e6 draws: std(t2) / 1000; 5 SE
    assert 1 / c["gain_unit_fixed_point"] ** 2 == pytest.approx(t2.mean(), abs=5 * t2.std() / 1e3)
    slope = 1 - t2
    assert 1 / c["gain_mean_slope"] == pytest.approx(slope.mean(), abs=5 * slope.std() / 1e3)
    g2 = (5 / 3) ** 2
    fixed = g2 * np.tanh(math.sqrt(c["q_star"]) * z) ** 2     # q* = g^2 E[tanh(sqrt(q*) z)^2]
    assert fixed.mean() == pytest.approx(c["q_star"], abs=5 * fixed.std() / 1e3)
    chi = g2 * (1 - np.tanh(math.sqrt(c["q_star"]) * z) ** 2) ** 2
    assert chi.mean() == pytest.approx(c["chi_1"], abs=5 * chi.std() / 1e3)
    assert c["act_std_star"] == pytest.approx(math.sqrt(c["q_star"]) / (5 / 3))


def test_init_statistics_shows_glorot_effect() -> None:
    width, n_hidden = 100, 5
    s = glorot.init_statistics(width=width, n_hidden=n_hidden, seed=0)
    # Measured ratios (layer 5 over layer 1) against the mean field, which is exact at infinite
    # width. One unit's mean square over the examples is w^T C w: relative SE sqrt(2 / k),
    # k = tr(C)^2 / tr(C^2) the participation ratio of what the layer sees; averaged over
    # `width` units, sqrt(2 / (width k)) per layer in variance. Forward, k is that of the
    # digits (about 20); backward, every example's gradient comes from the 10 logits, k = 10.
    # Over n_hidden - 1 steps the variance errors add: sqrt(n_hidden - 1) times; a std ratio
    # has half the relative error of a variance ratio; 4 SE (seed-to-seed spread at width 100
    # over 8 seeds: 2.5 % forward, 5 % backward, inside these).
    X = datasets.digits()[0]
    C = X.T @ X / len(X)
    k_act = np.trace(C) ** 2 / np.trace(C @ C)
    assert 15 < k_act < 30
    for key, k in (("act_ratio", k_act), ("grad_ratio", 10)):
        tol = 4 * math.sqrt(n_hidden - 1) * math.sqrt(2 / (width * k)) / 2
        for name in ("standard", "normalized"):
            assert s[f"hist_{key}_{name}"] == pytest.approx(s[f"hist_{key}_{name}_pred"],
                                                           rel=tol), (key, name, tol)
    assert s["hist_meanfield_max_rel_err"] < 4 * math.sqrt(4) * math.sqrt(2 / (width * 10)) / 2
    # Theory brackets of the mean field itself (exact): n Var(w) = 1/3 shrinks the activation
    # std by (1/3)^(4/2) = 1/9 in the linear regime and tanh only contracts; the gradient std
    # grows by 9 toward the top, and tanh' < 1 below only adds to it.
    assert s["hist_act_ratio_standard_pred"] < 1 / 9 < s["hist_act_ratio_standard_pred"] * 1.2
    assert 9 < s["hist_grad_ratio_standard_pred"] < 9 * 1.4
    assert s["hist_act_ratio_normalized_pred"] < 1 < s["hist_grad_ratio_normalized_pred"]
    std = s["standard"]
    widths = np.diff(s["act_edges"])
    np.testing.assert_allclose((std["act_hist"] * widths).sum(axis=1), 1.0, rtol=1e-12)
    assert std["grad_hist"].shape == (n_hidden, len(s["grad_edges"]) - 1)
    fig = glorot.plot_layer_histograms(s)
    plotting.check_fits_column(fig, "histograms")
    assert len(fig.axes) == 4 and all(ax.get_yscale() == "log" for ax in fig.axes)
    assert len(fig.axes[0].get_lines()) == n_hidden


def test_train_comparison_is_train_run_per_scheme() -> None:
    kw = {"width": 16, "n_hidden": 2, "epochs": 1, "n_seeds": 2, "lr": 0.05, "batch_size": 64}
    a = glorot.train_comparison(**kw, seed=5)
    assert a["train_n_seeds"] == 2 and a["train_epochs"] == 1 and a["train_n_diverged"] == 0
    # the same numbers from train.run directly: run seeds from sweep.seeds, one data split
    run = train.run((64, 16, 16, 10), seed=sweep.seeds(5, 2)[1], data_seed=5, epochs=1,
                    batch_size=64, lr=0.05, activation="tanh",
                    weight_init=glorot.scheme("normalized"))
    np.testing.assert_array_equal(a["test_acc"]["normalized"][1], run.test_acc)
    acc = a["test_acc"]["standard"]
    assert acc.shape == (2, 2) and a["train_acc1_standard"] == acc[:, 1].mean()
    assert a["train_mean_acc_gap"] == pytest.approx(
        a["train_mean_acc_normalized"] - a["train_mean_acc_standard"], abs=1e-15)
    # one epoch of a shallow net beats chance (0.1) by more than 4 SE of a proportion
    assert a["train_acc1_normalized"] > 0.1 + 4 * stats.se_proportion(0.1, len(run.data.y_test))
    fig = glorot.plot_training(a)
    plotting.check_fits_column(fig, "training")
    assert fig.axes[0].get_xlabel() == "epoch" and fig.axes[0].get_ylabel() == "test accuracy"
    assert len(fig.axes[0].get_lines()) == 4          # three inits and the chance line


def test_plots_and_tables() -> None:
    demo = glorot.source_demo(fan_in=10, n_draws=1000, seed=0)
    fans = glorot.fan_sweep(fans=(10, 100), seed=0)
    fig = glorot.plot_source_demo(demo, fans)
    plotting.check_fits_column(fig, "demo")
    assert len(fig.axes) == 2 and fig.axes[1].get_xscale() == "log"
    assert fig.axes[1].get_xlabel() == "fan_in = fan_out"
    fig = glorot.plot_depth_profile(glorot.depth_profile(width=20, n_layers=3, seed=0))
    plotting.check_fits_column(fig, "depth")
    assert fig.axes[1].get_yscale() == "log" and len(fig.axes[0].get_lines()) == 4
    table = glorot.candidates_table(glorot.tanh_gain_candidates())
    assert table.loc["PyTorch calculate_gain('tanh')", "gain"] == round(5 / 3, 4)


def test_exercise_fans_forward_and_backward_factors():
    """``fan_in Var(w)`` forward, ``fan_out Var(w)`` backward; they add up to 2. Tolerance: 5
    relative standard errors of a variance ratio, ``sqrt(2 / (n fan_out))`` from the data and
    ``sqrt(2 / (fan_in fan_out))`` from the weights (``Var(w^2) <= 2 Var(w)^2``)."""
    fan_in, fan_out, n = 256, 16, 4000
    out = glorot.exercise_fans(fan_in=fan_in, fan_out=fan_out, seed=4, n=n)
    assert out["ex_fans_forward_theory"] == pytest.approx(2 * fan_in / (fan_in + fan_out))
    assert out["ex_fans_forward_theory"] + out["ex_fans_backward_theory"] == pytest.approx(2)
    for way, fan in (("forward", fan_out), ("backward", fan_in)):
        rel = 5 * (math.sqrt(2 / (n * fan)) + math.sqrt(2 / (fan_in * fan_out)))
        assert out[f"ex_fans_{way}"] == pytest.approx(out[f"ex_fans_{way}_theory"], rel=rel)


def test_exercise_gain_reaches_the_fixed_point():
    out = glorot.exercise_gain(gain=1.5, width=300, n_layers=12, seed=1)
    cand = glorot.tanh_gain_candidates(1.5)
    assert out["ex_gain_act_std_star"] == cand["tanh_act_std_star"]
    assert out["ex_gain_chi_growth"] == pytest.approx(cand["tanh_chi_1"] ** 5.5)
    # finite width: the std of 300 x 300 activations is within a few percent of mean field
    assert out["ex_gain_last_std"] == pytest.approx(out["ex_gain_act_std_star"], rel=0.05)
    assert out["ex_gain_grad_ratio"] == pytest.approx(out["ex_gain_grad_ratio_pred"], rel=0.15)
