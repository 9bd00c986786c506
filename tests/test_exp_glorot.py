"""Tests of initlab.experiments.glorot (chapter 5) against independent references.

References: seeded Monte Carlo (tolerances in standard errors, formula beside each), finite
differences of the loss with respect to the biases, the library's own backward pass (itself
finite-difference tested), the linear limit of the mean-field recursion (closed form
``(n Var(w))^k``), and a fixed-point check of the tanh length map by Monte Carlo.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # tests only: figures are never shown here

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from initlab import network  # noqa: E402
from initlab.experiments import glorot  # noqa: E402


def test_uniform_standard_errors_match_monte_carlo() -> None:
    bound, n, reps = 0.3, 1000, 4000
    draws = np.random.default_rng(1).uniform(-bound, bound, size=(reps, n))
    se_mean, se_std = glorot.uniform_standard_errors(bound, n)
    # the spread of `reps` estimates of a spread has relative SE ~ 1/sqrt(2 reps) = 1.1%:
    # 4 of them is 4.5%
    tol = 4 / math.sqrt(2 * reps)
    assert draws.mean(axis=1).std() == pytest.approx(se_mean, rel=tol)
    assert draws.std(axis=1).std() == pytest.approx(se_std, rel=tol)


def test_source_demo_bounds_and_moments() -> None:
    d = glorot.source_demo(seed=3)
    b = 1 / math.sqrt(10)
    assert d["bound_error"] < 1e-12 and d["upper"] == pytest.approx(b, abs=1e-15)
    assert -b <= d["min"] < d["max"] <= b
    assert d["glorot_standard_max_abs"] <= b
    # P(max < 0.98 b) = 0.99^1000 = 4e-5
    assert d["max"] > 0.98 * b and d["min"] < -0.98 * b
    assert abs(d["mean"]) < 4 * d["se_mean"]
    assert abs(d["std"] - 1 / math.sqrt(30)) < 4 * d["se_std"]
    assert d["normalized_bound"] == pytest.approx(math.sqrt(0.3))
    again = glorot.source_demo(seed=3)
    np.testing.assert_array_equal(d["weights"], again["weights"])


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
    f = glorot.fan_sweep(seed=0, fans=(10, 30, 100, 300))
    for name in ("standard", "normalized"):
        assert -0.53 < f[f"slope_{name}"] < -0.47
    assert f["max_z"] < 4.5


def _small_model(seed: int) -> tuple[network.MLP, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    model = network.MLP((6, 5, 4, 3), rng, activation="tanh", weight_init="glorot_uniform",
                        bias_init=lambda shape, rng, dtype: rng.normal(0, 0.1, shape))
    return model, rng.standard_normal((7, 6)), rng.integers(0, 3, 7)


def test_mean_field_linear_limit() -> None:
    # tiny q: tanh is the identity, so Var multiplies by sigma_w2 forward, sigma_w2_back back
    act, grad = glorot.mean_field_stds(np.full(4, 1e-10), [1 / 3] * 4, [0.5] * 4)
    np.testing.assert_allclose(act / act[0], np.sqrt((1 / 3) ** np.arange(5)), rtol=1e-6)
    np.testing.assert_allclose(grad, np.sqrt(0.5 ** np.arange(4, -1, -1)), rtol=1e-6)


def test_depth_profile_matches_mean_field() -> None:
    p = glorot.depth_profile(seed=0, smoke=True, n_layers=12)
    for gain in p["gains"]:
        r = p[gain]
        # width 200: finite-width fluctuations of a per-layer std are a few percent
        np.testing.assert_allclose(r["act_std"], r["act_pred"], rtol=0.1)
        np.testing.assert_allclose(r["grad_std"], r["grad_pred"], rtol=0.15)
    assert p[1.0]["act_std"][-1] < 0.6 * p[1.0]["act_std"][0]          # gain 1 decays
    assert p[glorot.TANH_GAIN]["act_std"][-1] == pytest.approx(0.651, abs=0.03)


def test_tanh_gain_candidates_by_monte_carlo() -> None:
    c = glorot.tanh_gain_candidates()
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


def test_init_statistics_smoke_shows_glorot_effect() -> None:
    s = glorot.init_statistics(seed=0, smoke=True)
    std, nrm = s["standard"], s["normalized"]
    assert 0.085 < std["act_ratio"] < 0.115 and 9 < std["grad_ratio"] < 14
    assert 0.5 < nrm["act_ratio"] < 0.85 and 1 < nrm["grad_ratio"] < 2.5
    widths = np.diff(s["act_edges"])
    np.testing.assert_allclose((std["act_hist"] * widths).sum(axis=1), 1.0, rtol=1e-12)
    assert std["grad_hist"].shape == (5, len(s["grad_edges"]) - 1)


def test_train_run_is_reproducible() -> None:
    config = {"scheme": "normalized", "seed": 5, "data_seed": 0, "sizes": (64, 16, 16, 10),
              "epochs": 1, "batch_size": 64, "lr": 0.05}
    a, b = glorot._train_run(config), glorot._train_run(config)
    np.testing.assert_array_equal(a["test_acc"], b["test_acc"])
    assert a["test_acc"].shape == (2,) and not a["diverged"]
    assert a["test_acc"][1] > 0.5    # one epoch of a shallow net already beats chance (0.1)


def test_plots_return_figures() -> None:
    demo, fans = glorot.source_demo(0), glorot.fan_sweep(0, fans=(10, 100))
    curves = {"epochs": np.arange(3), "n_hidden": 2, "width": 4, "n_seeds": 2,
              "test_acc": {n: np.full((2, 3), 0.5) for n in glorot.SCHEMES}}
    figs = [glorot.plot_source_demo(demo, fans), glorot.plot_training(curves),
            glorot.plot_depth_profile(glorot.depth_profile(0, smoke=True, n_layers=3)),
            glorot.plot_layer_histograms(glorot.init_statistics(0, smoke=True, n_hidden=2))]
    for fig in figs:
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)
