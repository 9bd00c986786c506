"""Chapter 15 (Xavier or He?): the per-layer factors against theory, the figure, the settings."""

import math

import numpy as np
import pytest

from initlab import plotting
from initlab.experiments import xavier_or_he


@pytest.fixture(scope="module")
def scale():
    return xavier_or_he.scale_at_init(depths=(1, 10, 20), width=256, n_seeds=4, seed=3)


def test_relu_factors_per_layer_match_theory(scale):
    """Second moment per ReLU layer: fan_in Var(w) / 2 = 1 (He), 1/2 (Glorot), 1/6 (PyTorch).

    Slope of ln(RMS^2) between depth 10 and 20, per seed: the finite-width spread of ln v over
    10 layers is sqrt(5 * 10 / 256) = 0.44 (Hanin and Rolnick 2018), so the mean over 4 seeds
    of the slope has a standard error 0.44 / 10 / sqrt(4) = 0.022 per layer; 5 SE = 0.11.
    """
    for name, factor in (("he", 1.0), ("glorot", 0.5), ("pytorch", 1 / 6)):
        s = scale["scale"]["relu", name]
        slope = np.mean(np.log(s[:, 2] ** 2) - np.log(s[:, 1] ** 2)) / 10
        assert slope == pytest.approx(math.log(factor), abs=0.11), name


def test_tanh_pytorch_default_decays_by_a_third_per_layer(scale):
    """Near 0 tanh is the identity: U(+-1/sqrt(n)) multiplies the variance by 1/3 per layer
    (once the signal is small the linear regime is exact to O(q)); same SE as above."""
    s = scale["scale"]["tanh", "pytorch"]
    slope = np.mean(np.log(s[:, 2] ** 2) - np.log(s[:, 1] ** 2)) / 10
    assert slope == pytest.approx(math.log(1 / 3), abs=0.11)


def test_recorded_keys_are_literal_and_deepest_is_the_geometric_mean(scale):
    assert scale["scale_depth_deep"] == 20
    s = scale["scale"]["relu", "he"][:, -1]
    assert scale["relu_he_scale_deep"] == pytest.approx(math.exp(np.log(s).mean()))
    assert scale["relu_glorot_scale_deep_theory"] == 2.0 ** -10


def test_training_budget_and_chance():
    out = xavier_or_he.accuracy_after_training(depths=(1, 12), width=16, n_seeds=1, epochs=1,
                                               lr=0.001, momentum=0.9, batch_size=64, seed=0)
    assert out["train_chance"] == pytest.approx(0.1, abs=0.01)    # 10 nearly balanced classes
    assert out["acc"]["relu", "he"].shape == (1, 2)
    assert 0.0 <= out["relu_min_acc_shallow"] <= 1.0
    assert out["train_n_diverged"] == 0
    # 12 ReLU layers under PyTorch's default: signal 6^-6 of its size, nothing is learned
    assert out["relu_pytorch_acc_deep"] <= out["train_chance"] + 0.05


def test_verdict_figure_fits_the_column_and_shows_what_it_says(scale):
    plotting.setup()
    trained = {"depths": np.array([1, 10, 20]), "train_chance": 0.1,
               "acc": {k: np.full((2, 3), 0.5) for k in scale["scale"]}}
    fig = xavier_or_he.plot_verdict(scale, trained)
    plotting.check_fits_column(fig, "fig_verdict")
    top_left, top_right, bottom_left, _ = fig.axes
    assert top_left.get_yscale() == "log" and top_right.get_title() == "tanh"
    assert bottom_left.get_xlabel() == "hidden layers"
    assert bottom_left.get_ylabel() == "test accuracy"
    assert len(top_left.get_lines()) == 3                       # one line per init
    fig.clf()


def test_layer_figure_draws_the_deepest_nets_against_the_factors(scale):
    plotting.setup()
    fig = xavier_or_he.plot_layers(scale)
    plotting.check_fits_column(fig, "fig_layers")
    relu, tanh = fig.axes
    assert relu.get_yscale() == "log" and tanh.get_xlabel() == "hidden layer"
    assert len(relu.get_lines()) == 6 and len(tanh.get_lines()) == 3   # points + dashed theory
    assert scale["layers"]["relu", "he"].shape == (4, 20)
    fig.clf()


def test_variance_explorer_mean_field_is_the_closed_form():
    """ReLU keeps half the second moment: with sigma_w2 = 64 Var(w) on the first layer and
    width Var(w) after it, E[A_L^2] / E[x^2] = (s1 / 2) (s / 2)^(L - 1); He gives exactly 1."""
    scale = xavier_or_he.scale_at_init(depths=(12,), width=32, n_seeds=2, seed=1)
    ex = xavier_or_he.variance_explorer(scale, width=32, seed=1)
    assert ex["explore_depth"] == 12 and ex["var"]["tanh", "he"].shape == (2, 12)
    assert ex["explore_relu_he_var_theory"] == pytest.approx(1.0, rel=1e-12)
    assert ex["explore_relu_glorot_var_theory"] == pytest.approx(
        (64 * 2 / (64 + 32)) / 2 * 0.5**11, rel=1e-12)
    assert ex["explore_relu_pytorch_var_theory"] == pytest.approx((1 / 6) ** 12, rel=1e-12)
    np.testing.assert_allclose(ex["var"]["relu", "he"], scale["layers"]["relu", "he"] ** 2)
    html = xavier_or_he.plot_variance_slider(ex)
    assert html.count("data:image/png;base64,") == 3 and "https://" not in html


def test_exercise_deeper_and_tanh_factor():
    """Glorot on ReLU: 2^(-L/2) up to the first layer's constant; tanh with PyTorch's default:
    the small-signal factor 1/3 per layer (sigma_w2 = 1/3 keeps the signal small)."""
    deeper = xavier_or_he.exercise_deeper(depth=20, width=128, n_seeds=2, seed=2)
    assert deeper["ex_deeper_theory"] == pytest.approx(2.0**-10)
    assert 0.1 < deeper["ex_deeper_over_theory"] < 1.5
    ex = xavier_or_he.exercise_tanh_factor(init="pytorch", depth=20, width=128, seed=2)
    assert ex["ex_tanh_factor_small_signal"] == pytest.approx(1 / 3)
    assert ex["ex_tanh_factor_mean_field"] == pytest.approx(1 / 3, rel=0.01)
    assert ex["ex_tanh_factor"] == pytest.approx(1 / 3, rel=0.05)
    with pytest.raises(ValueError, match="lecun"):
        xavier_or_he.exercise_tanh_factor(init="lecun", depth=3, width=8, seed=0)
