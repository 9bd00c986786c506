"""Tests of initlab.experiments.he_kaiming (chapter 6) against independent references.

References: closed forms (``2^-l``, ``(1 + a^2)^l``, ``2^{+-k}`` for a doubling stack), seeded
Monte Carlo with tolerances in standard errors (formula beside each), positive homogeneity of a
bias-free ReLU net (scaling every weight by ``c`` scales layer ``l``'s second moment by
``c^(2l)``), a direct simulation of the finite-width spread ``sqrt(5 L / n)``, and the training
comparison rerun with plain ``train.train``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from initlab import datasets, network, plotting, sweep, theory, train
from initlab.experiments import he_kaiming


def test_scheme_variance_matches_draws() -> None:
    rng = np.random.default_rng(0)
    shape = (300, 100)
    for name, init in he_kaiming.SCHEMES.items():
        W = init(shape, rng)
        # normal: Var(s^2) / sigma^4 = 2 / N (a truncated normal has a smaller kurtosis) -> 5 SE
        tol = 5 * math.sqrt(2 / W.size)
        assert W.var() == pytest.approx(he_kaiming.scheme_variance(name, shape), rel=tol)
    assert he_kaiming.scheme_variance("he", (50, 7)) == pytest.approx(2 / 50)
    assert he_kaiming.scheme_variance("xavier", (50, 50)) == pytest.approx(1 / 50)
    with pytest.raises(ValueError, match="'glorot'"):
        he_kaiming.scheme_variance("glorot", (5, 5))


def test_relu_halving_monte_carlo() -> None:
    h = he_kaiming.relu_halving(seed=1, n_draws=200_000)
    # Var(relu(z)^2) = E[relu(z)^4] - 1/4 = 3/2 - 1/4 = 5/4, so SE = sqrt(1.25 / N); the
    # sample SE itself has a relative error ~ sqrt(kurtosis of relu^2 / 4N) < 1 %: 2 % allowed
    assert h["halving_se"] == pytest.approx(math.sqrt(1.25 / 200_000), rel=0.02)
    assert abs(h["halving_ratio"] - 0.5) < 5 * h["halving_se"]
    assert h["halving_z"] == pytest.approx((h["halving_ratio"] - 0.5) / h["halving_se"])
    with pytest.raises(ValueError, match="n_draws"):
        he_kaiming.relu_halving(seed=0, n_draws=1)


def test_second_moments_positive_homogeneity() -> None:
    rng = np.random.default_rng(3)
    model = network.MLP((20,) * 5, rng, activation="relu", output_activation="relu")
    X = rng.standard_normal((30, 20))
    base = he_kaiming.second_moments(model, X)
    c = 0.7
    model.weights = [c * W for W in model.weights]
    scaled = he_kaiming.second_moments(model, X)
    np.testing.assert_allclose(scaled / base, c ** (2 * np.arange(1, 5)), rtol=1e-12)
    first = np.mean(np.maximum(X @ model.weights[0], 0) ** 2) / np.mean(X**2)
    assert scaled[0] == pytest.approx(first, rel=1e-12)


def test_depth_profile_theory_and_measurement() -> None:
    d = he_kaiming.depth_profile(width=256, n_layers=6, batch=64, n_seeds=8, seed=0)
    layers = np.arange(1, 7)
    curves = d["curves"]
    np.testing.assert_allclose(curves["he"]["theory"], np.ones(6), rtol=1e-12)
    np.testing.assert_allclose(curves["xavier"]["theory"], 0.5**layers, rtol=1e-12)
    k = 256 * 1e-4    # n Var(w) of N(0, 0.01^2)
    np.testing.assert_allclose(curves["std001"]["theory"], k * (k / 2) ** (layers - 1) / 2,
                               rtol=1e-12)
    # 6 layers at width 256: per-seed ln sd sqrt(30/256) = 0.34, mean of 8 seeds: ~0.12, so
    # [0.7, 1.4] is about 3 SE either way
    for name in he_kaiming.SCHEMES:
        assert 0.7 < d[f"{name}_v30_vs_theory"] < 1.4
        assert curves[name]["ratios"].shape == (8, 6)
    he_last = curves["he"]["ratios"][:, -1]
    assert d["he_v30"] == pytest.approx(he_last.mean())
    assert d["he_log2_dev_min"] == pytest.approx(np.log2(he_last.min()))   # theory is 1
    assert d["he_ln_std"] == pytest.approx(np.log(he_last).std(ddof=1))
    assert d["depth_ln_std_pred"] == pytest.approx(math.sqrt(5 * 6 / 256))


def test_finite_width_log_std_by_simulation() -> None:
    n, n_layers, reps = 64, 10, 400
    rng = np.random.default_rng(4)
    a = rng.standard_normal((reps, n))
    norm0 = np.sum(a**2, axis=1)
    for _ in range(n_layers):   # reps independent He nets, one input each
        W = rng.standard_normal((reps, n, n)) * math.sqrt(2 / n)
        a = np.maximum(np.einsum("ri,rij->rj", a, W), 0.0)
    log_ratio = np.log(np.sum(a**2, axis=1) / norm0)
    # SE of a sample sd from 400 draws ~ 1/sqrt(2 * 400) = 3.5%; the 5L/n formula drops O(1/n)
    # terms (~ a few %): 15% in all
    assert log_ratio.std() == pytest.approx(theory.finite_width_log_std(n_layers, n), rel=0.15)


def test_fan_mode_profile_closed_forms() -> None:
    f = he_kaiming.fan_mode_profile(sizes=(16, 32, 64, 128), n_seeds=8, batch=256, seed=0)
    np.testing.assert_allclose(f["fan_in"]["fwd_theory"], np.ones(3), rtol=1e-12)
    np.testing.assert_allclose(f["fan_out"]["fwd_theory"], 0.5 ** np.arange(1, 4), rtol=1e-12)
    np.testing.assert_allclose(f["fan_in"]["bwd_theory"], [4.0, 2.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(f["fan_out"]["bwd_theory"], np.ones(3), rtol=1e-12)
    assert (f["fan_in_bwd_theory"], f["fan_out_fwd_theory"]) == (4.0, 0.125)
    # per-seed ln sd sqrt(5 (1/32 + 1/64 + 1/128)) = 0.52, mean of 8 seeds: factor 1.6 is > 2 SE
    for mode in ("fan_in", "fan_out"):
        assert 1 / 1.6 < f[f"{mode}_fwd"] / f[f"{mode}_fwd_theory"] < 1.6
        assert 1 / 1.6 < f[f"{mode}_bwd"] / f[f"{mode}_bwd_theory"] < 1.6


def test_leaky_profile_closed_forms() -> None:
    lk = he_kaiming.leaky_profile(alpha=0.5, width=256, n_layers=5, batch=64, n_seeds=8, seed=0)
    assert lk["leaky_gain"] == pytest.approx(math.sqrt(2 / 1.25))
    np.testing.assert_allclose(lk["curves"]["leaky"]["theory"], np.ones(5), rtol=1e-12)
    np.testing.assert_allclose(lk["curves"]["relu"]["theory"], 1.25 ** np.arange(1, 6),
                               rtol=1e-12)
    assert lk["relu_gain_v30_theory"] == pytest.approx(1.25**5)
    # 5 layers at width 256, 8 seeds: ln sd of the mean ~ sqrt(25/256)/sqrt(8) = 0.11; 3 SE
    assert 0.7 < lk["leaky_v30"] < 1.4
    assert 0.7 < lk["relu_gain_v30"] / 1.25**5 < 1.4
    with pytest.raises(ValueError, match="alpha"):
        he_kaiming.leaky_profile(alpha=-0.1, width=8, n_layers=2, batch=4, n_seeds=1, seed=0)


def test_train_comparison_matches_plain_training() -> None:
    settings = {"width": 16, "n_layers": 3, "epochs": 1, "n_seeds": 2, "lr": 0.01,
                "momentum": 0.9, "batch_size": 64, "seed": 5}
    c = he_kaiming.train_comparison(**settings)
    assert c["test_acc"]["he"].shape == (2, 2) and c["train_n_diverged"] == 0
    assert c["train_chance"] == pytest.approx(46 / 450)   # largest digit class of the test split
    # the He run of the first seed, rebuilt by hand with the same order of draws
    data = datasets.load("digits", np.random.default_rng(5))
    rng = np.random.default_rng(sweep.seeds(5, 2)[0])
    model = network.MLP((64, 16, 16, 16, 10), rng, activation="relu",
                        weight_init=he_kaiming.SCHEMES["he"])
    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=1, batch_size=64,
                       lr=0.01, momentum=0.9, X_test=data.X_test, y_test=data.y_test,
                       track_layer_norms=False, progress=False)
    np.testing.assert_array_equal(c["test_acc"]["he"][0], hist.test_acc)
    assert c["train_final_gap"] == pytest.approx(c["train_final_he"] - c["train_final_xavier"])


def test_plots_draw_their_data() -> None:
    x, ones = np.arange(1, 4), np.ones((2, 3))
    setup = {"n_layers": 3, "width": 4, "n_seeds": 2}
    depth = {"layers": x, "setup": setup,
             "curves": {n: {"ratios": ones, "theory": x * 1.0} for n in he_kaiming.SCHEMES}}
    curves = {"epochs": np.arange(3), "setup": {**setup, "chance": 0.1},
              "test_acc": {n: np.full((2, 3), 0.5) for n in ("he", "xavier")}}
    fan = {"fwd": ones, "bwd": ones, "fwd_theory": x, "bwd_theory": x}
    fans = {"layers": x, "setup": {"sizes": (2, 4, 8, 16), "n_seeds": 2}, "fan_in": fan,
            "fan_out": fan}
    leaky = {"layers": x, "setup": {**setup, "alpha": 0.2},
             "gains": {"leaky": 1.39, "relu": 1.41},
             "curves": {k: {"ratios": ones, "theory": x} for k in ("leaky", "relu")}}
    fig = he_kaiming.plot_depth_profile(depth)
    plotting.check_fits_column(fig, "depth")
    ax, bx = fig.axes
    assert ax.get_yscale() == "log" and bx.get_ylabel() == "log2(measured / theory)"
    assert len(ax.lines) == 2 * 3                 # mean and theory per scheme
    # one min..max band over seeds per scheme, one seed line per scheme, +-2 sd and zero
    assert len(bx.collections) == 3
    assert len(bx.lines) == 3 + 2 + 1
    fig = he_kaiming.plot_training(curves)
    plotting.check_fits_column(fig, "training")
    assert fig.axes[0].get_ylabel() == "test accuracy" and len(fig.axes[0].lines) == 3
    fig = he_kaiming.plot_fan_modes(fans)
    plotting.check_fits_column(fig, "fan modes")
    assert [a.get_title() for a in fig.axes][0].startswith("Forward")
    # 2 modes x (mean + theory), and the legend's theory entry on the left
    assert [len(a.lines) for a in fig.axes] == [2 * 2 + 1, 2 * 2]
    assert all(len(a.collections) == 2 for a in fig.axes)       # a min..max band per mode
    fig = he_kaiming.plot_leaky(leaky)
    plotting.check_fits_column(fig, "leaky")
    assert fig.axes[0].get_yscale() == "log" and len(fig.axes[0].lines) == 2 * 2 + 1
    plt.close("all")


@pytest.mark.parametrize("gain", [1.0, 1.5])
def test_exercise_gain_compounds_gain_squared_over_two(gain):
    """``v_L = (gain^2 / 2)^L``; the mean of ``n_seeds`` log-normal-ish ratios lies within 4
    of their standard errors, ``sqrt(5 L / n) / sqrt(n_seeds)`` in ``ln v``."""
    n_layers, width, n_seeds = 10, 256, 6
    out = he_kaiming.exercise_gain(gain=gain, width=width, n_layers=n_layers, batch=128, seed=2,
                           n_seeds=n_seeds)
    assert out["ex_gain_vL_theory"] == pytest.approx((gain**2 / 2) ** n_layers)
    tol = 4 * out["ex_gain_ln_std_pred"] / math.sqrt(n_seeds)
    assert abs(math.log(out["ex_gain_vL"] / out["ex_gain_vL_theory"])) < tol


def test_exercise_fan_modes_reversed_stack_inverts_the_ratios():
    """Narrowing by 2 per layer: fan_in's backward factor 1/2 per step, fan_out's forward 2
    per layer. Tolerance: 4 standard errors in ``ln``, ``sqrt(5 sum 1/n_l) / sqrt(n_seeds)``."""
    sizes = (256, 128, 64, 32)
    out = he_kaiming.exercise_fan_modes(sizes=sizes, batch=256, seed=1, n_seeds=4)
    assert out["ex_fan_in_bwd_theory"] == pytest.approx(0.25)    # 2 steps of 1/2
    assert out["ex_fan_out_fwd_theory"] == pytest.approx(8.0)    # 3 layers of 2
    tol = 4 * math.sqrt(5 * sum(1 / n for n in sizes[1:])) / math.sqrt(4)
    for key, want in (("ex_fan_in_bwd", 0.25), ("ex_fan_out_fwd", 8.0), ("ex_fan_in_fwd", 1.0),
                      ("ex_fan_out_bwd", 1.0)):
        assert abs(math.log(out[key] / want)) < tol, key
