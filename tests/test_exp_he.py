"""Tests of initlab.experiments.he (chapter 6) against independent references.

References: closed forms (``2^-l``, ``(1 + a^2)^l``, ``2^{+-k}`` for a doubling stack), seeded
Monte Carlo with tolerances in standard errors (formula beside each), positive homogeneity of a
bias-free ReLU net (scaling every weight by ``c`` scales layer ``l``'s second moment by
``c^(2l)``), and a direct simulation of the finite-width spread ``sqrt(5 L / n)``.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # tests only: figures are never shown here

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from initlab import network  # noqa: E402
from initlab.experiments import he  # noqa: E402


def test_scheme_variance_matches_draws() -> None:
    rng = np.random.default_rng(0)
    shape = (300, 100)
    for name in he.SCHEMES:
        W = he.scheme(name)(shape, rng)
        # normal: Var(s^2) / sigma^4 = 2 / N (a truncated normal has a smaller kurtosis) -> 5 SE
        tol = 5 * math.sqrt(2 / W.size)
        assert W.var() == pytest.approx(he.scheme_variance(name, shape), rel=tol)
    assert he.scheme_variance("he", (50, 7)) == pytest.approx(2 / 50)
    assert he.scheme_variance("xavier", (50, 50)) == pytest.approx(1 / 50)
    with pytest.raises(ValueError, match="'glorot'"):
        he.scheme("glorot")


def test_relu_halving_monte_carlo() -> None:
    h = he.relu_halving(seed=1, n_draws=200_000)
    # Var(relu(z)^2) = E[relu(z)^4] - 1/4 = 3/2 - 1/4 = 5/4, so SE = sqrt(1.25 / N)
    assert h["se"] == pytest.approx(math.sqrt(1.25 / 200_000), rel=0.02)
    assert abs(h["ratio"] - 0.5) < 5 * h["se"]
    with pytest.raises(ValueError, match="n_draws"):
        he.relu_halving(seed=0, n_draws=1)


def test_second_moments_positive_homogeneity() -> None:
    rng = np.random.default_rng(3)
    model = network.MLP((20,) * 5, rng, activation="relu", output_activation="relu")
    X = rng.standard_normal((30, 20))
    base = he.second_moments(model, X)
    c = 0.7
    model.weights = [c * W for W in model.weights]
    scaled = he.second_moments(model, X)
    np.testing.assert_allclose(scaled / base, c ** (2 * np.arange(1, 5)), rtol=1e-12)
    first = np.mean(np.maximum(X @ model.weights[0], 0) ** 2) / np.mean(X**2)
    assert scaled[0] == pytest.approx(first, rel=1e-12)


def test_depth_profile_theory_and_measurement() -> None:
    d = he.depth_profile(seed=0, smoke=True, n_layers=6)
    layers = np.arange(1, 7)
    np.testing.assert_allclose(d["he"]["theory"], np.ones(6), rtol=1e-12)
    np.testing.assert_allclose(d["xavier"]["theory"], 0.5**layers, rtol=1e-12)
    k = d["width"] * 1e-4    # n Var(w) of N(0, 0.01^2)
    np.testing.assert_allclose(d["std001"]["theory"], k * (k / 2) ** (layers - 1) / 2, rtol=1e-12)
    # 6 layers at width 256: per-seed ln sd sqrt(30/256) = 0.34, mean of 8 seeds: ~0.12
    for name in he.SCHEMES:
        assert 0.7 < d[name]["last_vs_theory"] < 1.4
        assert d[name]["ratios"].shape == (d["n_seeds"], 6)


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
    assert log_ratio.std() == pytest.approx(he.finite_width_log_std(n_layers, n), rel=0.15)
    assert he.finite_width_log_std(30, 256) == pytest.approx(math.sqrt(150 / 256))


def test_fan_mode_profile_closed_forms() -> None:
    f = he.fan_mode_profile(seed=0, smoke=True, sizes=(16, 32, 64, 128))
    np.testing.assert_allclose(f["fan_in"]["fwd_theory"], np.ones(3), rtol=1e-12)
    np.testing.assert_allclose(f["fan_out"]["fwd_theory"], 0.5 ** np.arange(1, 4), rtol=1e-12)
    np.testing.assert_allclose(f["fan_in"]["bwd_theory"], [4.0, 2.0, 1.0], rtol=1e-12)
    np.testing.assert_allclose(f["fan_out"]["bwd_theory"], np.ones(3), rtol=1e-12)
    # per-seed ln sd sqrt(5 (1/32 + 1/64 + 1/128)) = 0.52, mean of 8 seeds: factor 1.6 is > 2 SE
    for mode in ("fan_in", "fan_out"):
        p = f[mode]
        assert 1 / 1.6 < p["fwd_last_mean"] / p["fwd_last_theory"] < 1.6
        assert 1 / 1.6 < p["bwd_first_mean"] / p["bwd_first_theory"] < 1.6


def test_leaky_profile_closed_forms() -> None:
    lk = he.leaky_profile(seed=0, smoke=True, alpha=0.5, n_layers=5)
    assert lk["gains"]["leaky_gain"] == pytest.approx(math.sqrt(2 / 1.25))
    np.testing.assert_allclose(lk["leaky_gain"]["theory"], np.ones(5), rtol=1e-12)
    np.testing.assert_allclose(lk["relu_gain"]["theory"], 1.25 ** np.arange(1, 6), rtol=1e-12)
    assert 0.7 < lk["leaky_gain"]["last_mean"] < 1.4
    assert 0.7 < lk["relu_gain"]["last_mean"] / 1.25**5 < 1.4
    with pytest.raises(ValueError, match="alpha"):
        he.leaky_profile(seed=0, smoke=True, alpha=-0.1)


def test_train_run_is_reproducible() -> None:
    config = {"scheme": "he", "seed": 5, "data_seed": 0, "sizes": (64, 16, 16, 10),
              "epochs": 1, "batch_size": 64, "lr": 0.01, "momentum": 0.9}
    a, b = he._train_run(config), he._train_run(config)
    np.testing.assert_array_equal(a["test_acc"], b["test_acc"])
    assert a["test_acc"].shape == (2,) and not a["diverged"]
    assert a["chance"] == pytest.approx(46 / 450)      # largest digit class in the test split


def test_plots_return_figures() -> None:
    x, ones = np.arange(1, 4), np.ones((2, 3))
    base = {"layers": x, "n_layers": 3, "width": 4, "n_seeds": 2}
    depth = {**base, **{n: {"ratios": ones, "theory": x * 1.0} for n in he.SCHEMES}}
    curves = {"epochs": np.arange(3), "n_layers": 2, "width": 4, "n_seeds": 2, "chance": 0.1,
              "test_acc": {n: np.full((2, 3), 0.5) for n in ("he", "xavier")}}
    fan = {"fwd": ones, "bwd": ones, "fwd_theory": x, "bwd_theory": x}
    fans = {**base, "sizes": (2, 4, 8, 16), "fan_in": fan, "fan_out": fan}
    leaky = {**base, "alpha": 0.2, "gains": {"leaky_gain": 1.39, "relu_gain": 1.41},
             **{k: {"ratios": ones, "theory": x} for k in ("leaky_gain", "relu_gain")}}
    figs = [he.plot_depth_profile(depth), he.plot_training(curves), he.plot_fan_modes(fans),
            he.plot_leaky(leaky)]
    for fig in figs:
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)
