"""Every bad argument raises early, as ValueError or TypeError, with the bad value in the message.

Why: a wrong argument must never surface as a numpy traceback or a silent NaN several layers
later. Each case below names the value it passes and checks that the message repeats it
(and, for names, lists the valid choices).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from initlab import activations, initializers, losses
from initlab.network import MLP
from initlab.optim import SGD, clip_by_global_norm, clip_by_value
from initlab.train import train


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def raises(exc: type[Exception], *fragments: str):
    """``pytest.raises`` whose message must contain every fragment literally."""
    return pytest.raises(exc, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


# ------------------------------------------------------------------ initializers


@pytest.mark.parametrize(("name", "params", "shown"), [
    ("random_normal", {"stddev": 0.0}, "0.0"),
    ("random_normal", {"stddev": -0.5}, "-0.5"),
    ("truncated_normal", {"stddev": -2.0}, "-2.0"),
    ("variance_scaling", {"scale": 0.0}, "0.0"),
    ("variance_scaling", {"scale": -3.0}, "-3.0"),
    ("orthogonal", {"gain": -1.0}, "-1.0"),
])
def test_non_positive_std_or_scale(name, params, shown):
    with raises(ValueError, shown, next(iter(params))):
        initializers.get(name, **params)((3, 4), rng())


@pytest.mark.parametrize(("minval", "maxval"), [(0.1, 0.1), (1.0, -1.0)])
def test_minval_not_below_maxval(minval, maxval):
    with raises(ValueError, f"minval={minval!r}", f"maxval={maxval!r}"):
        initializers.random_uniform((3,), rng(), minval=minval, maxval=maxval)


@pytest.mark.parametrize(("name", "params", "exc", "shown"), [
    ("random_normal", {"mean": float("nan")}, ValueError, "nan"),
    ("truncated_normal", {"mean": float("inf")}, ValueError, "inf"),
    ("random_uniform", {"minval": 0.0, "maxval": float("inf")}, ValueError, "inf"),
    ("random_uniform", {"minval": -float("inf"), "maxval": 0.0}, ValueError, "inf"),
    ("constant", {"value": float("nan")}, ValueError, "nan"),
    ("constant", {"value": "a"}, TypeError, "'a'"),
    ("random_normal", {"mean": "0"}, TypeError, "'0'"),
])
def test_non_finite_or_non_numeric_location(name, params, exc, shown):
    """No silent NaN/inf weights and no numpy traceback from a bad mean, bound or value."""
    bad_key = [k for k, v in params.items() if v != 0.0][0]
    with raises(exc, shown, bad_key):
        initializers.get(name, **params)((3,), rng())


@pytest.mark.parametrize(("call", "bad", "valid"), [
    (lambda: initializers.variance_scaling((3, 4), rng(), mode="fan_sum"), "fan_sum", "fan_avg"),
    (lambda: initializers.variance_scaling((3, 4), rng(), distribution="gaussian"), "gaussian",
     "truncated_normal"),
    (lambda: initializers.kaiming_normal((3, 4), rng(), mode="fan_avg"), "fan_avg", "fan_out"),
    (lambda: initializers.get("he_normall"), "he_normall", "he_normal"),
    (lambda: initializers.calculate_gain("swish"), "swish", "leaky_relu"),
    (lambda: initializers.compute_fans((3, 4), layout="nhwc"), "nhwc", "out_in"),
    (lambda: activations.get("relux"), "relux", "leaky_relu"),
    (lambda: losses.get("hinge"), "hinge", "softmax_cross_entropy"),
    (lambda: MLP([2, 3, 2], rng(), activation="gelu"), "gelu", "tanh"),
    (lambda: MLP([2, 3, 2], rng(), weight_init="xavier"), "xavier", "glorot_uniform"),
])
def test_unknown_names_list_the_valid_ones(call, bad, valid):
    with raises(ValueError, repr(bad), valid):
        call()


@pytest.mark.parametrize(("shape", "exc"), [
    ((0, 3), ValueError),
    ((3, -1), ValueError),
    ((2.5, 3), TypeError),
    ((True, 3), TypeError),
    ((3, 3.0), TypeError),
    ("33", TypeError),
    (None, TypeError),
])
def test_bad_shapes(shape, exc):
    with raises(exc, repr(shape)):
        initializers.he_normal(shape, rng())
    with raises(exc, repr(shape)):
        initializers.zeros(shape, rng())


def test_compute_fans_rejects_bad_shapes():
    with raises(ValueError, "(0, 4)"):
        initializers.compute_fans((0, 4))
    with raises(ValueError, "(5,)", "out_in"):
        initializers.compute_fans((5,), layout="out_in")


@pytest.mark.parametrize("shape", [(5,), 7])
def test_orthogonal_needs_rank_2(shape):
    with raises(ValueError, "rank", "(", str(shape if isinstance(shape, int) else shape[0])):
        initializers.orthogonal(shape, rng())


@pytest.mark.parametrize("shape", [(3,), (2, 2, 2)])
def test_identity_needs_2d(shape):
    with raises(ValueError, "2-D", repr(shape)):
        initializers.identity(shape, rng())


def test_bool_leaky_relu_parameter():
    with raises(ValueError, "True"):
        initializers.calculate_gain("leaky_relu", True)
    with raises(ValueError, "True"):
        activations.get("leaky_relu", alpha=True)
    with raises(ValueError, "True"):
        initializers.kaiming_normal((3, 4), rng(), a=True)


def test_bool_parameter_is_rejected_even_after_the_equal_number_was_used():
    """True == 1 and False == 0 (same hash): a cache keyed on values must not conflate them."""
    assert activations.get("leaky_relu", alpha=0).param == 0.0
    with raises(ValueError, "False"):
        activations.get("leaky_relu", alpha=False)
    activations.get("elu", alpha=1)
    with raises(ValueError, "True"):
        activations.get("elu", alpha=True)


def test_bad_activation_parameters():
    with raises(ValueError, "1.5"):
        activations.get("leaky_relu", alpha=1.5)
    with raises(ValueError, "-1.0"):
        activations.get("elu", alpha=-1.0)
    with raises(ValueError, "beta"):
        activations.get("relu", beta=2.0)


# ------------------------------------------------------------------ rng


@pytest.mark.parametrize("bad_rng", [42, np.random.RandomState(0), None])
def test_rng_must_be_a_generator(bad_rng):
    model = MLP([2, 3], rng())
    X, y = np.zeros((4, 2)), np.array([0, 1, 2, 0])
    calls = [
        lambda: initializers.he_normal((3, 4), bad_rng),
        lambda: initializers.zeros((3, 4), bad_rng),
        lambda: initializers.get("random_uniform", minval=0.0, maxval=1.0)((3,), bad_rng),
        lambda: MLP([2, 3], bad_rng),
        lambda: train(model, X, y, rng=bad_rng, epochs=1, batch_size=2, lr=0.1),
    ]
    for call in calls:
        with raises(TypeError, "default_rng", type(bad_rng).__name__):
            call()


# ------------------------------------------------------------------ network inputs and labels


def test_input_width_must_match_network():
    model = MLP([3, 4, 2], rng())
    with raises(ValueError, "(5, 4)", "(batch, 3)"):
        model.forward(np.ones((5, 4)))
    with raises(ValueError, "(3,)"):
        model.forward(np.ones(3))
    with raises(ValueError, "(5, 4)"):
        train(model, np.ones((5, 4)), np.zeros(5, int), rng=rng(), epochs=1, batch_size=2, lr=0.1)


@pytest.mark.parametrize(("bad", "shown"), [(np.nan, "1 NaN"), (np.inf, "1 inf"),
                                            (-np.inf, "1 inf")])
def test_non_finite_inputs(bad, shown):
    model = MLP([3, 2], rng())
    X = np.ones((4, 3))
    X[2, 1] = bad
    with raises(ValueError, shown, "X"):
        model.forward(X)
    with raises(ValueError, shown, "X"):
        train(model, X, np.zeros(4, int), rng=rng(), epochs=1, batch_size=2, lr=0.1)
    with raises(ValueError, shown, "X"):
        train(model, np.ones((4, 3)), np.zeros(4, int), rng=rng(), epochs=1, batch_size=2, lr=0.1,
              X_test=X, y_test=np.zeros(4, int))
    with raises(ValueError, "NaN", "y"):
        train(model, np.ones((4, 3)), np.array([0, 1, np.nan, 0]), rng=rng(), epochs=1,
              batch_size=2, lr=0.1)


@pytest.mark.parametrize(("y", "shown"), [
    (np.array([0, 1, 3, 0]), "3"),       # out of range for 3 classes
    (np.array([0, -1, 2, 0]), "-1"),
    (np.array([0, 1.5, 2, 0]), "1.5"),   # not an integer
])
def test_cross_entropy_labels(y, shown):
    with raises(ValueError, shown):
        losses.softmax_cross_entropy(np.zeros((4, 3)), y)
    model = MLP([2, 3], rng())
    with raises(ValueError, shown):
        train(model, np.ones((4, 2)), y, rng=rng(), epochs=1, batch_size=2, lr=0.1)


def test_binary_cross_entropy_labels():
    with raises(ValueError, "2"):
        losses.binary_cross_entropy(np.zeros((3, 1)), np.array([0, 1, 2]))
    with raises(ValueError, "(3, 2)"):
        losses.binary_cross_entropy(np.zeros((3, 2)), np.array([0, 1, 1]))


def test_label_count_must_match_rows():
    model = MLP([2, 3], rng())
    with raises(ValueError, "3 rows", "4"):
        train(model, np.ones((4, 2)), np.zeros(3, int), rng=rng(), epochs=1, batch_size=2, lr=0.1)


def test_backward_needs_forward():
    model = MLP([2, 3], rng())
    with raises(RuntimeError, "forward"):
        model.backward(np.zeros((4, 3)))
    model.forward(np.ones((4, 2)))
    with raises(ValueError, "(4, 3)", "(4, 2)"):
        model.backward(np.zeros((4, 2)))


@pytest.mark.parametrize(("sizes", "exc", "shown"), [
    ([3], ValueError, "[3]"),
    (5, ValueError, "5"),
    ([3, 0, 2], ValueError, "0"),
    ([3, 2.5], TypeError, "2.5"),
])
def test_bad_sizes(sizes, exc, shown):
    with raises(exc, shown):
        MLP(sizes, rng())


def test_per_layer_list_length():
    with raises(ValueError, "2 entries", "3"):
        MLP([2, 3, 3, 2], rng(), activation=["relu", "tanh", "relu"])


# ------------------------------------------------------------------ training and optimizer settings


@pytest.mark.parametrize(("kwargs", "exc", "shown"), [
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": -3}, ValueError, "-3"),
    ({"batch_size": 2.5}, TypeError, "2.5"),
    ({"epochs": -1}, ValueError, "-1"),
    ({"epochs": True}, TypeError, "True"),
    ({"lr": 0.0}, ValueError, "lr"),
    ({"lr": -0.1}, ValueError, "-0.1"),
    ({"lr": float("nan")}, ValueError, "nan"),
    ({"momentum": 1.0}, ValueError, "1.0"),
    ({"momentum": -0.5}, ValueError, "-0.5"),
    ({"clip_norm": 0.0}, ValueError, "clip_norm"),
    ({"clip_value": -1.0}, ValueError, "-1.0"),
])
def test_bad_training_settings(kwargs, exc, shown):
    model = MLP([2, 3], rng())
    settings = {"epochs": 1, "batch_size": 2, "lr": 0.1, **kwargs}
    with raises(exc, shown):
        train(model, np.ones((4, 2)), np.zeros(4, int), rng=rng(), **settings)


def test_zero_epochs_is_allowed():
    model = MLP([2, 3], rng())
    hist = train(model, np.ones((4, 2)), np.zeros(4, int), rng=rng(), epochs=0, batch_size=2,
                 lr=0.1)
    assert hist.loss == [] and len(hist.epoch_loss) == 1


def test_optimizer_arguments():
    p = np.zeros(3)
    with raises(ValueError, "-1.0"):
        SGD([p], lr=-1.0)
    with raises(ValueError, "expected 1", "got 2"):
        SGD([p], lr=0.1).step([p, p])
    with raises(ValueError, "0.0"):
        clip_by_global_norm([p], 0.0)
    with raises(ValueError, "-2.0"):
        clip_by_value([p], -2.0)
