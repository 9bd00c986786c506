"""Chapter 10 experiments: the four verdicts against closed forms and exact algebra."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from initlab import datasets, initializers, losses, network, plotting, sweep, train
from initlab.experiments import sources_tested as st


def test_uniform_ranges_have_equal_variance_and_the_stated_means():
    # Var(U[a, b]) = (b - a)^2 / 12; N = 200_000 draws: SE(var) ~ var * sqrt(0.8 / N) (kurtosis 1.8)
    rng = np.random.default_rng(0)
    n = 200_000
    for (name, kw), mean in ((st.POSITIVE, 0.05), (st.SYMMETRIC, 0.0)):
        w = initializers.get(name, **kw)((n,), rng)
        sd = math.sqrt(st.UNIFORM_VAR)
        assert abs(w.mean() - mean) < 5 * sd / math.sqrt(n)
        assert abs(w.var() - st.UNIFORM_VAR) < 5 * st.UNIFORM_VAR * math.sqrt(0.8 / n)


def test_bias_gradient_is_the_batch_sum_of_delta():
    # db_l = sum_batch dL/dZ_l, checked against a central finite difference of the loss in b_l
    rng = np.random.default_rng(1)
    model = network.MLP((5, 4, 4, 3), rng, activation="tanh", weight_init="glorot_normal",
                        bias_init="zeros")
    X, y = rng.standard_normal((7, 5)), rng.integers(0, 3, 7)
    _, dout = losses.softmax_cross_entropy(model.forward(X), y)
    db0 = model.backward(dout)[1]
    h = 1e-6
    for j in range(4):
        model.biases[0][j] += h
        lp = losses.softmax_cross_entropy(model.forward(X), y)[0]
        model.biases[0][j] -= 2 * h
        lm = losses.softmax_cross_entropy(model.forward(X), y)[0]
        model.biases[0][j] += h
        assert abs((lp - lm) / (2 * h) - db0[j]) < 1e-7


def test_sigmoid_bias_gradients_vanish_below_the_mean_field_bound():
    bg = st.bias_gradients(seed=0, width=32, n_hidden=20, batch_size=256)
    assert bg["sigmoid_glorot_bias_ratio"] < 1e-9
    assert bg["sigmoid_glorot_log_gap"] < 1.0
    assert bg["tanh_glorot_bias_ratio"] > 0.1
    assert bg["bias_sigmoid_bound"] == 4.0**-19
    db = bg["tanh_standard"]["db"]
    assert bg["tanh_standard_bias_ratio"] == db[0] / db[-2] and len(db) == 21


def test_positive_range_mean_grows_with_width_as_n_times_0p05():
    d = st.positive_uniform_drift(seed=0, widths=(32, 128, 512), n_hidden=5)
    # Layer 2's mean pre-activation (over 1797 digits and the n units) is
    # sum_i abar_i wbar_i, with abar_i the mean activation of layer-1 unit i and wbar_i the mean
    # of the n weights leaving it: expectation 0.05 n Abar (Abar = mean of abar_i), relative
    # error e_n of SD (sigma_w / mu_w) (rms(abar) / Abar) / n, sigma_w / mu_w = sqrt(1/12)/0.5
    # = 0.577 (n inputs, n outputs). The ratio 512 / 32 is 16 (Abar_512 / Abar_32)
    # (1 + e_512) / (1 + e_32); Abar_n averages n i.i.d. units, relative SE sd(abar) /
    # (Abar sqrt(n)). sd(abar) is measured on 4096 units of the same U[0, 0.1] layer.
    X = datasets.digits()[0]
    W = np.random.default_rng(5).uniform(0.0, 0.1, (X.shape[1], 4096))
    abar = (1.0 / (1.0 + np.exp(-(X @ W)))).mean(axis=0)
    rms_over_mean = math.sqrt(np.mean(abar**2)) / abar.mean()
    rel_var = sum((math.sqrt(1 / 12) / 0.5 * rms_over_mean / n) ** 2
                  + (abar.std(ddof=1) / (abar.mean() * math.sqrt(n))) ** 2 for n in (32, 512))
    tolerance = 5 * 16 * math.sqrt(rel_var)           # 5 SE: about 1.5 (2 before: tighter)
    assert tolerance < 2.0
    assert abs(d["drift_width_ratio_sigmoid"] - 16) < tolerance
    # U(+-0.05): the same sum has mean 0 and SD sigma_w rms(abar) sqrt(n_in / n_out) with
    # sigma_w = 0.1 / sqrt(12) = 0.0289 and n_in = n_out from layer 2 on (layer 1: exactly 0,
    # the pixels are centred); sigmoid has rms(abar) ~ 1/2 (SD 0.0144), relu less. 0.1 is
    # 6.9 SD: over the 24 non-trivial layer means P(max >= 0.1) < 24 * 2 Phi(-6.9) ~ 1e-10.
    assert d["drift_sym_max_abs_mean"] < 0.1
    assert d["drift_relu_growth_theory"] == (512 * 0.05) ** 3


def test_positive_uniform_training_runs_the_configured_nets():
    tr = st.positive_uniform_training(seed=0, sizes=(64, 16, 10), n_seeds=2, epochs=2,
                                      lr=0.05, batch_size=32)
    assert tr["acc"]["relu"]["positive"].shape == (2, 3) and tr["pos_n_diverged"] == 0
    # the relu / symmetric curves are those of train.run with the same settings and seeds
    for k, s in enumerate(sweep.seeds(0, 2)):
        run = train.run((64, 16, 10), seed=s, data_seed=0, epochs=2, batch_size=32, lr=0.05,
                        activation="relu", weight_init=st.uniform_init("symmetric"))
        np.testing.assert_array_equal(tr["acc"]["relu"]["symmetric"][k], run.test_acc)
    tanh = tr["acc"]["tanh"]
    assert tr["pos_gap_tanh"] == tanh["symmetric"][:, -1].mean() - tanh["positive"][:, -1].mean()


def test_zero_init_tanh_only_moves_output_bias():
    zm = st.zero_init_movement(seed=0, sizes=(64, 32, 10), epochs=5, lr=0.1, batch_size=32)
    assert zm["zero_tanh_moved_W1"] == zm["zero_tanh_moved_b1"] == zm["zero_tanh_moved_W2"] == 0.0
    assert zm["zero_tanh_moved_b2"] > 1e-3
    assert zm["zero_sigmoid_moved_W1"] > 0 and zm["zero_sigmoid_n_distinct"] == 1
    # 450 test digits, classes nearly balanced: predicting one class scores about 0.1
    assert zm["zero_chance"] < 0.12


def test_figures_show_what_the_captions_say():
    plotting.setup()
    bg = st.bias_gradients(seed=0, width=8, n_hidden=3, batch_size=64)
    fig = st.plot_bias_gradients(bg)
    assert fig.axes[0].get_yscale() == "log" and len(fig.axes[0].get_lines()) == 6
    sv = st.standard_variance(seed=0, width=16, n_layers=4)
    fig2 = st.plot_standard_variance(sv)
    assert fig2.axes[0].get_yscale() == "log" and len(fig2.axes[0].get_lines()) == 4
    zm = st.zero_init_movement(seed=0, sizes=(64, 8, 10), epochs=1, lr=0.1, batch_size=64)
    fig3 = st.plot_zero_movement(zm)
    bars = fig3.axes[0].patches
    assert len(bars) == 8 and fig3.axes[0].get_yscale() == "linear"
    # tanh: W1, b1, W2 did not move at all -> bars of height exactly 0, each labelled "0"
    assert [b.get_height() for b in bars[:3]] == [0.0, 0.0, 0.0] and bars[3].get_height() > 0
    assert [t.get_text() for t in fig3.axes[0].texts] == ["0"] * 3
    drift = st.positive_uniform_drift(seed=0, widths=(8, 16), n_hidden=5)
    fig4 = st.plot_positive_drift(drift)
    assert fig4.axes[0].get_yscale() == "symlog" and len(fig4.axes[0].get_lines()) == 4
    tr = {"epochs": np.arange(3), "settings": {"sizes": (64, 8, 10), "n_seeds": 2},
          "acc": {a: {i: np.full((2, 3), 0.5) for i in ("positive", "symmetric")}
                  for a in ("relu", "tanh")}}
    fig5 = st.plot_positive_training(tr)
    assert len(fig5.axes[0].get_lines()) == 4 and fig5.axes[0].get_ylabel() == "test accuracy"
    for f in (fig, fig2, fig3, fig4, fig5):
        plotting.check_fits_column(f)
        plt.close(f)


def test_exercise_depth_sigmoid_under_its_bound_tanh_standard_near_its_rate() -> None:
    out = st.exercise_depth(n_hidden=6, seed=1, width=32, batch_size=128)
    assert out["ex_bias_depth_sigmoid_bound"] == 4.0 ** -5
    assert out["ex_bias_depth_sigmoid_bias_ratio"] < out["ex_bias_depth_sigmoid_bound"]
    # linear-regime rate 3^-(5/2) = 0.064: the same order of magnitude (a factor 4 either way)
    ratio = (out["ex_bias_depth_tanh_standard_bias_ratio"]
             / out["ex_bias_depth_tanh_standard_theory"])
    assert 0.25 < ratio < 4


def test_exercise_standard_activation_relu_loses_a_sixth_per_layer() -> None:
    out = st.exercise_standard_activation(activation="relu", seed=0, width=256,
                                          n_layers=6)
    assert out["ex_standard_factor_theory"] == pytest.approx(1 / 6)
    # mean field, width 256: the measured factor within 10% of 1/6 and of 1/2
    assert out["ex_standard_factor"] == pytest.approx(1 / 6, rel=0.1)
    assert out["ex_standard_normalized_factor"] == pytest.approx(1 / 2, rel=0.1)
    with pytest.raises(ValueError, match="'sigmoid'"):
        st.exercise_standard_activation(activation="sigmoid", seed=0, width=8,
                                        n_layers=3)


def test_exercise_zero_activation_relu_moves_only_the_output_biases() -> None:
    out = st.exercise_zero_activation(activation="relu", seed=0, sizes=(64, 8, 10),
                                      epochs=2, lr=0.1, batch_size=32)
    assert out["ex_zero_act_moved_W1"] == out["ex_zero_act_moved_b1"] == 0.0
    assert out["ex_zero_act_moved_W2"] == 0.0 and out["ex_zero_act_moved_b2"] > 0
