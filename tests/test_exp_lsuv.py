"""Tests of initlab.experiments.lsuv (chapter 13) against independent references.

References: closed forms of ``E[phi(z)^2]`` (ReLU: 1/2; ELU: via ``E[e^{kz}; z < 0] =
e^{k^2/2} Phi(-k)``), seeded Monte Carlo with tolerances in standard errors, and the algebra
of a rescaled orthogonal matrix. The length-map recursion the chapter predicts with
(``theory.mean_field_layers``) is tested in tests/test_theory_propagation.py (linear limit,
wide random ELU nets).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.stats import norm

from initlab import datasets, initializers, network, plotting, stats, sweep, train
from initlab.experiments import lsuv as lx

LSUV = {"activation": "elu", "tol": 0.1, "max_iter": 10}   # the paper's Tol_var and T_max


def test_unit_variance_scales_match_closed_forms() -> None:
    assert lx.unit_variance_sigma_w2("relu") == pytest.approx(2.0, rel=1e-9)      # 1/(1/2)
    m2_elu = 1.0 + math.e**2 * norm.cdf(-2.0) - 2.0 * math.exp(0.5) * norm.cdf(-1.0)
    # quadrature of a kinked integrand: ~1e-5 relative
    assert lx.unit_variance_sigma_w2("elu") == pytest.approx(1.0 / m2_elu, rel=2e-5)
    z = np.random.default_rng(0).standard_normal(1_000_000)
    t2 = np.tanh(z) ** 2
    # SE of a mean of 1e6 draws: std / 1000; 5 SE
    assert 1.0 / lx.unit_variance_sigma_w2("tanh") == pytest.approx(t2.mean(),
                                                                    abs=5 * t2.std() / 1e3)


def test_worst_case_rel_se_closed_form_for_relu() -> None:
    # relu(z)^2: mean 1/2, E[relu^4] = 3/2, so CV = sqrt(3/2 - 1/4) / (1/2) = sqrt(5)
    assert lx.worst_case_rel_se("relu", 100, 4) == pytest.approx(math.sqrt(5) / 20, rel=1e-9)


def test_implied_sigma_w2_of_scaled_orthogonal_and_he() -> None:
    rng = np.random.default_rng(1)
    model = network.MLP((40, 40, 10), rng, weight_init="orthogonal")
    model.weights[0] *= 1.3
    model.weights[1] *= 0.7
    np.testing.assert_allclose(lx.implied_sigma_w2(model), [1.3**2, 0.7**2], rtol=1e-12)
    he = network.MLP((400, 400), rng, weight_init="he_normal")
    # mean of 160000 squared normals: relative SE sqrt(2 / N) = 0.35%; 5 SE
    assert lx.implied_sigma_w2(he)[0] == pytest.approx(2.0, rel=5 * math.sqrt(2 / 160_000))


def test_lsuv_scheme_rescales_the_orthogonal_preinit() -> None:
    rng = np.random.default_rng(4)
    X = rng.standard_normal((64, 16))
    sizes = (16, 32, 32, 5)
    orth, none = lx.build("orthogonal", sizes, np.random.default_rng(7), **LSUV)
    ls, report = lx.build("lsuv", sizes, np.random.default_rng(7), X, **LSUV)
    assert none is None and report["iterations"] == [1, 1, 1, 1][: len(sizes) - 1]
    for W0, W1 in zip(orth.weights, ls.weights, strict=True):
        c = W1[0, 0] / W0[0, 0]
        np.testing.assert_allclose(W1, c * W0, rtol=1e-12)   # one positive factor per layer
        assert c > 0
    np.testing.assert_allclose(lx.output_variances(ls, X), 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="X_batch"):
        lx.build("lsuv", sizes, rng, **LSUV)
    with pytest.raises(ValueError, match="'kaiming'"):
        lx.build("kaiming", sizes, rng, **LSUV)


def test_variance_profile_shows_the_chapter_effect() -> None:
    width, n_hidden = 64, 25
    p = lx.variance_profile(width=width, n_hidden=n_hidden, lsuv_batch=256, seed=0, **LSUV)
    assert np.all(p["iterations"] == 1) and p["lsuv_max_dev_batch"] < 1e-12
    assert p["lsuv_report_mismatch"] < 1e-12 and p["lsuv_max_dev_heldout"] < 0.2
    assert p["var"]["he"][-2] > 2.0 > 0.1 > p["var"]["xavier"][-2]
    # Orthogonal gain 1: the decay of the length map. Each layer's mean square is an average
    # over `width` units of w^T C w, relative SE sqrt(2 / (width k)) with k = tr(C)^2 / tr(C^2)
    # the participation ratio of the held-out digits (about 20); in log units the layer
    # errors add like a random walk over the n_hidden - 1 steps; 4 SE. (The former fixed
    # bound 0.1 is 9 times the prediction; this one is about 2 times.)
    X = datasets.load("digits", np.random.default_rng(0)).X_test
    C = X.T @ X / len(X)
    k = np.trace(C) ** 2 / np.trace(C @ C)
    log_tol = 4 * math.sqrt(n_hidden - 1) * math.sqrt(2 / (width * k))
    ratio = p["prof_var_last_orthogonal"] / p["prof_pred_last_orthogonal"]
    assert abs(math.log(ratio)) < log_tol
    assert p["prof_pred_last_orthogonal"] * math.exp(log_tol) < 0.1
    # Layers 2..n_hidden: LSUV's scale against 1 / E[elu(z)^2] = 1.55 within 4 worst-case SE
    # of the mean over those layers (only `width` independent units per layer:
    # CV(elu(z)^2) / sqrt(width (n_hidden - 1)) = 4.2 %), so it lies between Glorot's 1 and
    # He's 2; the former bound 1 < mean < 2 follows.
    tol = 4 * lx.worst_case_rel_se("elu", width, n_hidden - 1)
    theory = p["elu_sigma_w2_theory"]
    assert p["prof_sigma_w2_mean"] == pytest.approx(theory, rel=tol)
    assert 1.0 < theory * (1 - tol) and theory * (1 + tol) < 2.0
    assert p["prof_sigma_w2_mean"] == pytest.approx(theory, rel=0.1)
    fig = lx.plot_variance_profile(p)
    plotting.check_fits_column(fig, "variance profile")
    assert fig.axes[0].get_yscale() == "log" and len(fig.axes) == 1
    assert len(fig.axes[0].get_lines()) == 4 + 3 + 1     # schemes, length maps, legend key
    fig = lx.plot_lsuv_scale(p)
    plotting.check_fits_column(fig, "LSUV scale")
    assert len(fig.axes) == 1 and fig.axes[0].get_ylabel() == "σ_w² = fan_in · mean(W_l²)"
    plt.close("all")


def test_gain_check_recovers_he_for_relu() -> None:
    g = lx.gain_check(width=128, n_layers=6, seed=1, tol=0.1, max_iter=10)
    for name in ("relu", "tanh", "elu"):
        r = g["per_activation"][name]
        assert abs(r["z"]) < 4 and r["z"] == (r["mean"] / r["theory"] - 1) / r["rel_se"]
        assert list(r["iterations"][1:]) == [1] * (g["gain_n_layers"] - 1)
    assert g["gain_relu_over_he"] == g["gain_relu_sigma_w2"] / 2
    assert g["gain_tanh_gain"] < initializers.calculate_gain("tanh")
    assert list(lx.gain_table(g).index) == ["relu", "tanh", "elu"]
    fig = lx.plot_gain_check(g)
    plotting.check_fits_column(fig, "gain check")
    assert len(fig.axes[0].get_lines()) == 3 + 3 + 2     # LSUV, theory, textbook lines
    plt.close(fig)


def test_training_is_train_run_with_the_batch_drawn_first() -> None:
    kw = {"width": 16, "n_hidden": 2, "epochs": 2, "n_seeds": 2, "lr": 0.05, "batch_size": 32,
          "lsuv_batch": 64, "target_acc": 0.5}
    a = lx.training(**kw, seed=5, **LSUV)
    assert a["train_n_seeds"] == 2 and a["train_n_diverged"] == 0
    # the LSUV run by hand: the batch from the run's rng first, then the model, then training
    seed = sweep.seeds(5, 2)[0]
    data = datasets.load("digits", np.random.default_rng(5))
    rng = np.random.default_rng(seed)
    X_batch = data.X_train[rng.choice(len(data.X_train), 64, replace=False)]
    model, _ = lx.build("lsuv", (64, 16, 16, 10), rng, X_batch, **LSUV)
    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=2, batch_size=32,
                       lr=0.05, X_test=data.X_test, y_test=data.y_test, progress=False)
    np.testing.assert_array_equal(a["test_acc"]["lsuv"][0], hist.test_acc)
    for name in ("he", "xavier", "lsuv"):
        t = stats.first_reach(a["test_acc"][name].mean(axis=0), 0.5)
        assert a[f"train_epochs_to_target_{name}"] == (t if math.isfinite(t) else 3)
    # one epoch of a shallow net beats chance (0.1) by more than 4 SE of a proportion
    assert a["train_acc1_lsuv"] > 0.1 + 4 * stats.se_proportion(0.1, len(data.y_test))
    fig = lx.plot_training(a)
    plotting.check_fits_column(fig, "training")
    assert fig.axes[0].get_xlabel() == "epoch" and fig.axes[0].get_ylabel() == "test accuracy"
    plt.close(fig)


def test_exercise_activation_lsuv_finds_one_over_second_moment_relu() -> None:
    out = lx.exercise_activation(activation="relu", width=64, n_hidden=6, lsuv_batch=256,
                                 tol=0.1, max_iter=10, seed=0)
    assert out["ex_lsuv_act_theory"] == pytest.approx(2.0, rel=1e-6)   # He's value
    # one batch of 256 through 64 units: the mean over 5 layers within 15% of 1 / E[relu^2]
    assert out["ex_lsuv_act_sigma_w2"] == pytest.approx(2.0, rel=0.15)
    assert out["ex_lsuv_act_var_last_lsuv"] == pytest.approx(1.0, abs=0.3)


def test_exercise_tolerance_changes_nothing_for_zero_bias_layers() -> None:
    # the chapter's ELU net, shallower: every layer starts outside 1 +- 0.1 (9 layers)
    kw = {"width": 64, "n_hidden": 8, "lsuv_batch": 256, "max_iter": 10, "seed": 0}
    loose, strict = (lx.exercise_tolerance(tol=t, **kw) for t in (0.1, 1e-4))
    # linear in the scale: one rescaling per layer, same weights, same held-out deviation
    assert loose["ex_lsuv_tol_iterations_total"] == strict["ex_lsuv_tol_iterations_total"] == 9
    assert strict["ex_lsuv_tol_max_dev_batch"] < 1e-12
    assert strict["ex_lsuv_tol_max_dev_heldout"] == pytest.approx(
        loose["ex_lsuv_tol_max_dev_heldout"], rel=1e-9)
