"""Tests of initlab.experiments.lsuv_experiments (chapter 13) against independent references.

References: closed forms of ``E[phi(z)^2]`` (ReLU: 1/2; ELU: via ``E[e^{kz}; z < 0] =
e^{k^2/2} Phi(-k)``), seeded Monte Carlo with tolerances in standard errors, the linear limit of
the length map (a product of the ``sigma_w2``), a wide simulated network, and the algebra of
a rescaled orthogonal matrix.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # tests only: figures are never shown here

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.stats import norm  # noqa: E402

from initlab import initializers, network  # noqa: E402
from initlab.experiments import lsuv_experiments as lx  # noqa: E402


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
    assert lx.second_moment("identity", 2.5) == pytest.approx(2.5, rel=1e-12)


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


def test_mean_field_linear_limit_and_wide_network() -> None:
    X = np.random.default_rng(2).standard_normal((50, 8)) * 1.5
    s2 = [0.5, 2.0, 3.0]
    pred = lx.mean_field_variances(X, s2, activation="identity")
    q1 = 0.5 * np.mean(X**2)
    np.testing.assert_allclose(pred, q1 * np.cumprod([1.0, 2.0, 3.0]), rtol=1e-12)
    # a wide ELU net with He init follows the length map (finite width: a few percent)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((256, 512))
    model = network.MLP((512,) * 5, rng, activation="elu", weight_init="he_normal")
    measured = lx.output_variances(model, X)
    np.testing.assert_allclose(measured, lx.mean_field_variances(X, [2.0] * 4), rtol=0.08)


def test_lsuv_scheme_rescales_the_orthogonal_preinit() -> None:
    rng = np.random.default_rng(4)
    X = rng.standard_normal((64, 16))
    sizes = (16, 32, 32, 5)
    orth, none = lx.build("orthogonal", sizes, np.random.default_rng(7))
    ls, report = lx.build("lsuv", sizes, np.random.default_rng(7), X)
    assert none is None and report["iterations"] == [1, 1, 1, 1][: len(sizes) - 1]
    for W0, W1 in zip(orth.weights, ls.weights, strict=True):
        c = W1[0, 0] / W0[0, 0]
        np.testing.assert_allclose(W1, c * W0, rtol=1e-12)   # one positive factor per layer
        assert c > 0
    np.testing.assert_allclose(lx.output_variances(ls, X), 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="X_batch"):
        lx.build("lsuv", sizes, rng)
    with pytest.raises(ValueError, match="'kaiming'"):
        lx.build("kaiming", sizes, rng)


def test_epochs_to_target() -> None:
    acc = np.array([[0.1, 0.5, 0.95, 0.97], [0.1, 0.7, 0.86, 0.9]])
    assert lx.epochs_to(acc, 0.9) == 2           # mean curve 0.1, 0.6, 0.905, 0.935
    assert lx.epochs_to(acc, 0.99) == 4          # never: epochs + 1
    assert lx.epochs_to(acc, 0.05) == 0


def test_variance_profile_shows_the_chapter_effect() -> None:
    p = lx.variance_profile(seed=0)
    assert np.all(p["iterations"] == 1) and p["max_dev_batch"] < 1e-12
    assert p["report_mismatch"] < 1e-12 and p["max_dev_heldout"] < 0.2
    assert p["var"]["he"][-2] > 2.0 > 0.1 > p["var"]["xavier"][-2]
    assert p["var"]["orthogonal"][-2] < 0.1
    # layers 2..25: LSUV's scale scatters around 1 / E[elu(z)^2] = 1.55, between Glorot and He
    assert 1.0 < p["sigma_w2_lsuv"][1:-1].mean() < 2.0
    assert p["sigma_w2_lsuv"][1:-1].mean() == pytest.approx(p["sigma_w2_theory"], rel=0.1)


def test_gain_check_recovers_he_for_relu() -> None:
    g = lx.gain_check(seed=1, smoke=True, names=("relu", "tanh"))
    for name in ("relu", "tanh"):
        r = g[name]
        assert abs(r["mean"] / r["theory"] - 1) < 4 * r["rel_se"]
        assert list(r["iterations"][1:]) == [1] * (g["n_layers"] - 1)
    assert math.sqrt(g["tanh"]["mean"]) < initializers.calculate_gain("tanh")


def test_train_run_is_reproducible() -> None:
    config = {"scheme": "lsuv", "seed": 5, "data_seed": 0, "sizes": (64, 16, 16, 10),
              "epochs": 1, "lr": 0.05}
    a, b = lx._train_run(config), lx._train_run(config)
    np.testing.assert_array_equal(a["test_acc"], b["test_acc"])
    assert a["test_acc"].shape == (2,) and not a["diverged"]
    assert a["test_acc"][1] > 0.5    # one epoch of a shallow net already beats chance (0.1)


def test_plots_return_figures() -> None:
    curves = {"epochs": np.arange(3), "n_hidden": 2, "width": 4, "n_seeds": 2,
              "test_acc": {n: np.full((2, 3), 0.5) for n in ("he", "xavier", "lsuv")},
              "n_diverged": {"he": 1, "xavier": 0, "lsuv": 0}}
    figs = [lx.plot_training(curves), lx.plot_variance_profile(lx.variance_profile(0)),
            lx.plot_gain_check(lx.gain_check(0, smoke=True, names=("relu",)))]
    for fig in figs:
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)
