"""Tests of initlab.experiments.zero_vs_random (chapter 2) against independent references.

References: closed forms of the all-zero gradient (``dL/db_2 = 1/K - p``, sigmoid's
``dL/dW_2 = 1/2 * 1 db_2^T``), central finite differences of the loss (which do not use the
library's backward pass), sample moments of the schemes' draws (tolerances in standard
errors), and label counts for the chance level.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from initlab import diagnostics, losses, network, plotting, sweep, train
from initlab.experiments import zero_vs_random as zvr

WIDTH = 64


def _model(name: str, n_in: int, n_out: int, rng: np.random.Generator,
           width: int = WIDTH) -> network.MLP:
    w_init, b_init = zvr.scheme(name)
    return network.MLP((n_in, width, n_out), rng, activation="tanh", weight_init=w_init,
                       bias_init=b_init)


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
    with pytest.raises(ValueError, match="'ones'"):
        zvr.scheme("ones")
    with pytest.raises(ValueError, match="'mnist'"):
        zvr.load_data("mnist", 0)


def test_zero_init_gradients_match_closed_forms() -> None:
    g = zvr.zero_init_gradients(seed=1, width=WIDTH, lr=0.1)
    data = zvr.load_data("digits", 1)
    p = np.bincount(data.y_train, minlength=10) / len(data.y_train)
    db2 = np.linalg.norm(0.1 - p)
    assert g["grad_db2_pred"] == pytest.approx(db2, rel=1e-12)
    assert g["grad_db2_rel_err"] < 1e-12
    for act in ("tanh", "relu"):
        np.testing.assert_array_equal(g["norms"][act][:, :3], 0.0)
        assert g["norms"][act][0, 3] == pytest.approx(db2, rel=1e-12)
    assert g["grad_tanh_step0_W_1"] == g["grad_relu_step1_W_2"] == 0.0
    assert g["grad_relu_step0_b_2"] == g["norms"]["relu"][0, 3]
    s0 = g["norms"]["sigmoid"][0]
    np.testing.assert_array_equal(s0[:2], 0.0)
    assert s0[2] == pytest.approx(math.sqrt(WIDTH) / 2 * db2, rel=1e-12)
    assert g["grad_sigmoid_dW2_ratio"] == pytest.approx(1.0, rel=1e-12)
    assert g["grad_sigmoid_step1_W_1"] > 0 and g["grad_sigmoid_n_distinct"] == 1
    # every recorded key is written out in GRAD_KEYS, none made up elsewhere
    named = {k for step0, step1, distinct in zvr.GRAD_KEYS.values()
             for k in (*step0, *step1, distinct)}
    scalars = {k for k, v in g.items() if not isinstance(v, dict)}
    assert scalars == named | {"grad_db2_pred", "grad_db2_rel_err", "grad_sigmoid_dW2_ratio"}
    table = zvr.gradient_table(g)
    assert table.shape == (6, 4) and table.loc["sigmoid, at init", "||dW_2||"] == s0[2]


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
    zero = _model("zeros", 6, 3, rng)
    # exact zero analytically; FD of a flat direction is rounding noise only
    np.testing.assert_allclose(_fd_grad_w1(zero, X, y, entries), 0.0, atol=1e-9)
    const = _model("constant", 6, 3, rng)
    const.weights[1] += rng.standard_normal((1, 3)) * 0.1  # same outgoing row for every unit
    fd = _fd_grad_w1(const, X, y, [(1, 0), (1, 17), (1, 40)])
    assert abs(fd[0]) > 1e-4                        # the shared unit does get a gradient...
    np.testing.assert_allclose(fd, fd[0], rtol=1e-5)  # ...the same one for every unit
    _, dout = losses.softmax_cross_entropy(const.forward(X), y)
    dW1 = const.backward(dout)[0]
    np.testing.assert_allclose(dW1[1, [0, 17, 40]], fd, rtol=1e-5)


def test_train_run_zero_stuck_constant_one_unit_random_learns() -> None:
    data = zvr.load_data("spirals", 0)
    chance = zvr.majority_fraction(data.y_test)

    def run(name: str) -> train.Run:
        w_init, b_init = zvr.scheme(name)
        return train.run((2, WIDTH, 3), seed=4, dataset=data, activation="tanh",
                         weight_init=w_init, bias_init=b_init, epochs=3, lr=0.2,
                         batch_size=32, track_layer_norms=True)

    def distinct(r: train.Run) -> int:
        return diagnostics.hidden_unit_similarity(r.model.weights[0],
                                                  r.model.biases[0])["n_distinct"]

    zero = run("zeros")
    assert zero.test_acc.max() <= chance
    np.testing.assert_array_equal(zero.history.layer_grad_norms, 0.0)
    assert np.unique(zero.model.predict(data.X_test)).size == 1 and distinct(zero) == 1
    const = run("constant")
    assert distinct(const) == 1 and np.max(const.history.layer_grad_norms, axis=0)[0] > 0
    rand = run("normal")
    assert distinct(rand) == WIDTH
    np.testing.assert_array_equal(rand.test_acc, run("normal").test_acc)


def test_compare_schemes_on_spirals() -> None:
    kw = {"dataset": "spirals", "seed": 0, "n_seeds": 2, "epochs": 3, "lr": 0.2, "width": 16,
          "activation": "tanh", "batch_size": 32}
    schemes = ("zeros", "constant", "normal", "uniform", "normal_bias", "one_unit")
    c = zvr.compare_schemes(**kw, schemes=schemes)
    curves = c["curves"]
    assert set(c) == set(zvr.SUMMARY_KEYS["spirals"]) | {"curves"}
    assert curves["test_acc"]["zeros"].shape == (2, 4)
    assert c["spirals_zeros_n_predicted"] == 1 and c["spirals_zeros_max_grad_W1"] == 0.0
    assert c["spirals_zeros_excess_max"] <= 0 and c["spirals_n_diverged"] == 0
    assert c["spirals_normal_n_distinct"] == 16 and c["spirals_constant_n_distinct"] == 1
    assert c["spirals_chance"] == zvr.majority_fraction(zvr.load_data("spirals", 0).y_test)
    # run i of every scheme uses seed sweep.seeds(0, 2)[i], here checked for 'normal', seed 1
    w_init, b_init = zvr.scheme("normal")
    again = train.run((2, 16, 3), seed=sweep.seeds(0, 2)[1], dataset=zvr.load_data("spirals", 0),
                      activation="tanh", weight_init=w_init, bias_init=b_init, epochs=3,
                      lr=0.2, batch_size=32)
    np.testing.assert_array_equal(curves["test_acc"]["normal"][1], again.test_acc)
    # two worker processes give the same numbers
    assert zvr.compare_schemes(**kw, schemes=schemes, n_jobs=2)["spirals_normal_final_mean"] \
        == c["spirals_normal_final_mean"]
    fig = zvr.plot_training([c])
    plotting.check_fits_column(fig, "plot_training")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "test accuracy"
    assert len(ax.lines) == len(schemes) + 1      # one mean per scheme, the chance line
    assert len(fig.legends[0].get_texts()) == len(schemes) + 1
    plt.close(fig)
    plotting.check_fits_column(zvr.plot_training([c, c]), "plot_training, two datasets")
    plt.close("all")
    with pytest.raises(ValueError, match="got 3"):
        zvr.plot_training([c, c, c])
    fig = zvr.plot_final([c, c])
    plotting.check_fits_column(fig, "plot_final")
    assert len(fig.axes) == 2 and fig.axes[1].get_xlabel() == "final test accuracy"
    assert fig.axes[0].get_position().y0 > fig.axes[1].get_position().y1   # stacked
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][0] == "all zeros"
    plt.close(fig)


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
    t = zvr.zero_init_trace(seed=2, width=WIDTH, activation="tanh", epochs=10, lr=0.1,
                            batch_size=32)
    np.testing.assert_array_equal(t["grad_norms"][:, :3], 0.0)
    assert t["trace_max_grad_frozen"] == 0.0
    assert t["trace_predicted"] == 9 and t["trace_n_predicted"] == 1
    assert t["trace_final_acc"] == t["trace_chance"] and t["trace_excess"] == 0.0
    assert t["trace_prior_max_err"] < 0.03
    assert np.all(np.diff(t["grad_norms"][:, 3]) < 0)   # b_2 approaches its minimiser
    assert t["trace_p_train_max"] == pytest.approx(8 * t["trace_p_train_min"], rel=0.1)
    fig = zvr.plot_zero_trace(t)
    plotting.check_fits_column(fig, "plot_zero_trace")
    ax, bx = fig.axes
    assert ax.get_yscale() == "symlog" and ax.get_xlabel() == "epoch"
    assert bx.get_xlabel() == "class frequency in train set"
    assert len(bx.texts) == 10                  # one label per digit class
    plt.close(fig)


@pytest.mark.parametrize("width", [16, 100])
def test_exercise_sigmoid_width_ratio_is_sqrt_width_over_two(width):
    out = zvr.exercise_sigmoid_width(width=width, seed=1, lr=0.1)
    assert out["ex_sig_ratio_theory"] == np.sqrt(width) / 2
    assert out["ex_sig_ratio"] == pytest.approx(np.sqrt(width) / 2, rel=1e-9)
    assert out["ex_sig_n_distinct"] == 1 and out["ex_sig_width"] == width


def test_exercise_zero_activation_frozen_iff_phi_of_zero_is_zero():
    kw = {"seed": 2, "width": 16, "epochs": 1, "lr": 0.1, "batch_size": 32}
    tanh = zvr.exercise_zero_activation(activation="tanh", **kw)
    assert tanh["ex_zero_phi0"] == 0.0 and tanh["ex_zero_max_grad_W1"] == 0.0
    sigmoid = zvr.exercise_zero_activation(activation="sigmoid", **kw)
    assert sigmoid["ex_zero_phi0"] == 0.5 and sigmoid["ex_zero_max_grad_W1"] > 0
    assert tanh["ex_zero_n_distinct"] == sigmoid["ex_zero_n_distinct"] == 1
