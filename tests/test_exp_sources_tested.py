"""Chapter 10 experiments: the four verdicts against closed forms and exact algebra."""

import math

import numpy as np

from initlab import initializers, losses, network
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
    bg = st.bias_gradients(0, smoke=True)
    assert bg["sigmoid_glorot"]["bias_ratio"] < 1e-9
    assert bg["sigmoid_glorot"]["log_gap"] < 1.0
    assert bg["tanh_glorot"]["bias_ratio"] > 0.1


def test_positive_range_mean_grows_with_width_as_n_times_0p05():
    d = st.positive_uniform_drift(0, smoke=True)
    assert 14 < d["width_ratio_sigmoid"] < 18
    assert d["sym_max_abs_mean"] < 0.1


def test_zero_init_tanh_only_moves_output_bias():
    zm = st.zero_init_movement(0, smoke=True)
    moved = zm["moved"]["tanh"]
    assert moved["W1"] == moved["b1"] == moved["W2"] == 0.0
    assert moved["b2"] > 1e-3
    assert zm["moved"]["sigmoid"]["W1"] > 0 and zm["n_distinct"]["sigmoid"] == 1
