"""Tests of initlab.experiments.zero_vs_random (chapter 2) against independent references.

References: closed forms of the all-zero gradient (``dL/db_2 = 1/K - p``, sigmoid's
``dL/dW_2 = 1/2 * 1 db_2^T``), central finite differences of the loss (which do not use the
library's backward pass), sample moments of the schemes' draws (tolerances in standard
errors), and label counts for the chance level.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # tests only: figures are never shown here

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from initlab import losses  # noqa: E402
from initlab.experiments import zero_vs_random as zvr  # noqa: E402


def test_majority_fraction_is_best_constant_guess() -> None:
    y = np.array([0, 1, 1, 2, 2, 2, 2, 3])
    assert zvr.majority_fraction(y) == 0.5
    # no constant prediction does better: accuracy of predicting k is n_k / n
    assert max(np.mean(y == k) for k in range(4)) == zvr.majority_fraction(y)


def test_scheme_draws_match_their_definitions() -> None:
    rng = np.random.default_rng(0)
    shape = (200, 100)
    n = shape[0] * shape[1]
    W, b = (init(shape, rng) for init in zvr.scheme("normal"))
    # std of 0.01 N(0,1): SE of the sample std ~ sigma / sqrt(2 n); 5 SE
    assert W.std() == pytest.approx(0.01, abs=5 * 0.01 / math.sqrt(2 * n))
    assert np.all(b == 0)
    U = zvr.scheme("uniform")[0](shape, rng)
    assert 0 <= U.min() and U.max() < 0.1
    # U[0, 0.1]: mean 0.05, std 0.1 / sqrt(12); SE of the mean = std / sqrt(n); 5 SE
    assert U.mean() == pytest.approx(0.05, abs=5 * 0.1 / math.sqrt(12 * n))
    assert np.all(zvr.scheme("constant")[0](shape, rng) == zvr.CONSTANT)
    assert zvr.make_model("one_unit", 5, 3, rng).weights[0].shape == (5, 1)
    with pytest.raises(ValueError, match="'ones'"):
        zvr.scheme("ones")
    with pytest.raises(ValueError, match="'mnist'"):
        zvr.load_data("mnist", 0)


def test_zero_init_gradients_match_closed_forms() -> None:
    g = zvr.zero_init_gradients(seed=1)
    data = zvr.load_data("digits", 1)
    p = np.bincount(data.y_train, minlength=10) / len(data.y_train)
    db2 = np.linalg.norm(0.1 - p)
    assert g["db2_pred"] == pytest.approx(db2, rel=1e-12)
    for act in ("tanh", "relu"):
        np.testing.assert_array_equal(g[act]["step0"][:3], 0.0)
        np.testing.assert_array_equal(g[act]["step1"][:3], 0.0)
        assert g[act]["step0"][3] == pytest.approx(db2, rel=1e-12)
    s0 = g["sigmoid"]["step0"]
    np.testing.assert_array_equal(s0[:2], 0.0)
    assert s0[2] == pytest.approx(math.sqrt(zvr.WIDTH) / 2 * db2, rel=1e-12)
    assert g["sigmoid"]["step1"][0] > 0 and g["sigmoid"]["n_distinct"] == 1


def _fd_grad_w1(model, X, y, entries, h=1e-6) -> np.ndarray:
    """Central differences of the loss w.r.t. ``W_1[i, j]`` for (i, j) in ``entries``."""
    out = []
    for i, j in entries:
        old = model.weights[0][i, j]
        vals = []
        for step in (h, -h):
            model.weights[0][i, j] = old + step
            vals.append(losses.softmax_cross_entropy(model.forward(X, keep=False), y)[0])
        model.weights[0][i, j] = old
        out.append((vals[0] - vals[1]) / (2 * h))
    return np.array(out)


def test_finite_differences_zero_and_constant() -> None:
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((20, 6)), rng.integers(0, 3, 20)
    entries = [(0, 0), (2, 5), (5, 63)]
    zero = zvr.make_model("zeros", 6, 3, rng)
    # exact zero analytically; FD of a flat direction is rounding noise only
    np.testing.assert_allclose(_fd_grad_w1(zero, X, y, entries), 0.0, atol=1e-9)
    const = zvr.make_model("constant", 6, 3, rng)
    const.weights[1] += rng.standard_normal((1, 3)) * 0.1  # same outgoing row for every unit
    fd = _fd_grad_w1(const, X, y, [(1, 0), (1, 17), (1, 40)])
    assert abs(fd[0]) > 1e-4                        # the shared unit does get a gradient...
    np.testing.assert_allclose(fd, fd[0], rtol=1e-5)  # ...the same one for every unit
    _, dout = losses.softmax_cross_entropy(const.forward(X), y)
    dW1 = const.backward(dout)[0]
    np.testing.assert_allclose(dW1[1, [0, 17, 40]], fd, rtol=1e-5)


def test_train_runs_zero_stuck_random_learns() -> None:
    base = {"dataset": "spirals", "seed": 4, "data_seed": 0, "epochs": 3, "lr": 0.2}
    data = zvr.load_data("spirals", 0)
    chance = zvr.majority_fraction(data.y_test)
    zero = zvr._train_run({**base, "scheme": "zeros"})
    assert zero["test_acc"].max() <= chance
    np.testing.assert_array_equal(zero["max_grad"], 0.0)
    assert zero["n_predicted"] == 1 and zero["n_distinct"] == 1
    const = zvr._train_run({**base, "scheme": "constant"})
    assert const["n_distinct"] == 1 and const["max_grad"][0] > 0
    rand = zvr._train_run({**base, "scheme": "normal"})
    assert rand["n_distinct"] == zvr.WIDTH
    again = zvr._train_run({**base, "scheme": "normal"})
    np.testing.assert_array_equal(rand["test_acc"], again["test_acc"])


def test_summary_arithmetic() -> None:
    finals = {"zeros": [0.1, 0.1], "constant": [0.2, 0.3], "normal": [0.9, 0.95],
              "uniform": [0.92, 0.93], "normal_bias": [0.91, 0.94], "one_unit": [0.2, 0.25]}
    curves = {"chance": 0.12, "n_seeds": 2, "epochs": np.arange(4), "n_test": 50,
              "n_diverged": 0, "final": {k: np.array(v) for k, v in finals.items()},
              "n_distinct": dict.fromkeys(finals, 1),
              "n_predicted": dict.fromkeys(finals, 1),
              "max_grad": dict.fromkeys(finals, np.zeros(2))}
    s = zvr.summary(curves)
    assert s["zeros_excess_max"] == pytest.approx(-0.02)
    assert s["constant_excess_max"] == pytest.approx(0.18)
    assert s["random_excess_min"] == pytest.approx(0.9 - 0.12)
    assert s["random_minus_constant"] == pytest.approx(0.9 - 0.3)
    assert s["bias_gap"] == pytest.approx(0.925 - 0.925)
    assert "one_unit_n_distinct" not in s and s["epochs"] == 3


def test_imbalanced_digits_and_trace() -> None:
    d = zvr.imbalanced_digits(np.random.default_rng(0))
    counts = np.bincount(np.concatenate([d.y_train, d.y_test]), minlength=10)
    # class k keeps round(n_k * r^(9 - k)); the digits have 174..183 images per class
    assert counts[9] > 170 and counts[0] == pytest.approx(counts[9] / 8, rel=0.06)
    with pytest.raises(ValueError, match="ratio"):
        zvr.imbalanced_digits(np.random.default_rng(0), ratio=1.5)
    t = zvr.zero_init_trace(seed=2, smoke=True)
    np.testing.assert_array_equal(t["grad_norms"][:, :3], 0.0)
    assert list(t["predicted"]) == [9] and t["test_acc"][-1] == t["chance"]
    assert t["prior_max_err"] < 0.03
    assert np.all(np.diff(t["grad_norms"][:, 3]) < 0)   # b_2 approaches its minimiser


def test_plots_return_figures() -> None:
    rng = np.random.default_rng(0)
    curves = {"dataset": "digits", "epochs": np.arange(3), "n_seeds": 2, "chance": 0.1,
              "test_acc": {n: rng.uniform(0, 1, (2, 3)) for n in zvr.SCHEMES}}
    curves["final"] = {n: a[:, -1] for n, a in curves["test_acc"].items()}
    figs = [zvr.plot_training([curves]), zvr.plot_final([curves, curves]),
            zvr.plot_zero_trace(zvr.zero_init_trace(0, smoke=True))]
    for fig in figs:
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)
