"""Tests of initlab.network.MLP: forward against a hand-written loop, backward by finite diffs.

Gradient check: every parameter (and, with ``input_grad=True``, every input) is nudged by
``+-h`` and the loss recomputed with the *naive* loss formulas written in this file, so the
analytic gradient (library loss gradient -> ``MLP.backward``) is compared with a reference
that shares no code with it. Central differences in float64 with h = 1e-5 have error
~eps/h + h^2 ~ 1e-10 per entry, so the bar is ``||a - b|| / max(||a|| + ||b||, 1e-12) < 1e-6``
per array (the worst of the 144 cases measures 1e-8: a deep sigmoid net, tiny first-layer
gradients). Kinks (relu, leaky_relu, selu at 0) are avoided by redrawing ``X`` until no hidden
pre-activation is within 1e-3 of 0 (a nudge of 1e-5 moves a pre-activation by ~3e-5).

"Without bias" means ``bias_init="zeros"``: the biases are 0 but their gradients are still
checked; "with bias" draws them from N(0, 0.5^2) so they matter in the forward pass.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from gradcheck import central_difference

from initlab import activations, initializers, losses
from initlab.network import MLP

H = 1e-5
ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "sine"]
LOSSES = ["softmax_cross_entropy", "binary_cross_entropy", "mean_squared_error"]
N_OUT = {"softmax_cross_entropy": 3, "binary_cross_entropy": 1, "mean_squared_error": 2}
BATCH, N_IN, WIDTH = 6, 4, 5


def naive_loss(name: str, out: np.ndarray, y: np.ndarray) -> float:
    if name == "softmax_cross_entropy":
        p = np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)
        return float(np.mean(-np.log(p[np.arange(len(y)), y])))
    if name == "binary_cross_entropy":
        p = 1 / (1 + np.exp(-out[:, 0]))
        return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))
    return float(np.sum((out - y) ** 2) / 2 / len(out))


def targets(name: str, rng: np.random.Generator) -> np.ndarray:
    if name == "softmax_cross_entropy":
        return rng.integers(0, 3, BATCH)
    if name == "binary_cross_entropy":
        return rng.integers(0, 2, BATCH)
    return rng.normal(size=(BATCH, 2))


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def draw_away_from_kinks(model: MLP, rng: np.random.Generator, margin: float = 1e-3):
    for _ in range(100):
        X = rng.normal(size=(BATCH, model.sizes[0]))
        model.forward(X)
        if all(np.abs(Z).min() > margin for Z in model.Z):
            return X
    raise AssertionError("could not draw X away from the kinks")


def numeric_grads(model: MLP, X: np.ndarray, loss_of_output) -> list[np.ndarray]:
    """Central differences of the loss w.r.t. every parameter array, then X."""
    return [central_difference(lambda: loss_of_output(model.forward(X, keep=False)), p, H)
            for p in [*model.parameters(), X]]


def gradient_errors(model: MLP, X: np.ndarray, y: np.ndarray, loss: str) -> list[float]:
    """Relative error of each analytic gradient array ([dW0, db0, ..., dX])."""
    X = X.copy()
    out = model.forward(X, keep=True)
    _, dout = losses.get(loss)(out, y)
    analytic = model.backward(dout, input_grad=True)
    numeric = numeric_grads(model, X, lambda o: naive_loss(loss, o, y))
    assert [a.shape for a in analytic] == [n.shape for n in numeric]
    return [rel_err(a, n) for a, n in zip(analytic, numeric, strict=True)]


CASES = list(itertools.product(ACTIVATIONS, LOSSES, [1, 2, 3], ["zeros", "random"]))


@pytest.mark.parametrize(("activation", "loss", "depth", "bias"), CASES)
def test_gradient_check(activation, loss, depth, bias):
    """depth = number of hidden layers; the output layer is linear (logits)."""
    rng = np.random.default_rng(CASES.index((activation, loss, depth, bias)))
    bias_init = "zeros" if bias == "zeros" else initializers.get("random_normal", stddev=0.5)
    model = MLP([N_IN] + [WIDTH] * depth + [N_OUT[loss]], rng, activation=activation,
                weight_init="glorot_normal", bias_init=bias_init)
    if bias == "zeros":
        assert all(not b.any() for b in model.biases)
    X = draw_away_from_kinks(model, rng)
    errors = gradient_errors(model, X, targets(loss, rng), loss)
    assert len(errors) == 2 * (depth + 1) + 1  # every W, every b, and X
    assert max(errors) < 1e-6, errors


@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_check_single_layer(loss):
    """n_layers = 1: (multinomial / logistic / linear) regression, no hidden activation."""
    rng = np.random.default_rng(500)
    model = MLP([N_IN, N_OUT[loss]], rng, weight_init="glorot_normal",
                bias_init=initializers.get("random_normal", stddev=0.5))
    X = rng.normal(size=(BATCH, N_IN))
    assert max(gradient_errors(model, X, targets(loss, rng), loss)) < 1e-6


@pytest.mark.parametrize("output_activation", ["sigmoid", "tanh", "elu"])
def test_gradient_check_output_activation(output_activation):
    """A non-identity output layer goes through phi'(Z) in backward."""
    rng = np.random.default_rng(600)
    model = MLP([N_IN, WIDTH, WIDTH, 2], rng, activation="tanh", weight_init="glorot_normal",
                output_activation=output_activation,
                bias_init=initializers.get("random_normal", stddev=0.5))
    X = draw_away_from_kinks(model, rng)
    assert max(gradient_errors(model, X, targets("mean_squared_error", rng),
                               "mean_squared_error")) < 1e-6


def test_gradient_check_detects_a_wrong_derivative():
    """The checker itself can fail: tanh with phi' = 1 - A (instead of 1 - A^2) is caught."""
    rng = np.random.default_rng(700)
    bad = activations.Activation("bad_tanh", np.tanh, lambda Z, A: 1 - A)
    model = MLP([N_IN, WIDTH, 3], rng, activation=bad, weight_init="glorot_normal")
    X = rng.normal(size=(BATCH, N_IN))
    errors = gradient_errors(model, X, targets("softmax_cross_entropy", rng),
                             "softmax_cross_entropy")
    assert errors[2] < 1e-6 and errors[3] < 1e-6  # the output layer does not see phi'
    assert errors[0] > 1e-3 and errors[-1] > 1e-3


# ------------------------------------------------------------------ forward and construction


def test_forward_matches_hand_written_loop():
    rng = np.random.default_rng(800)
    model = MLP([3, 7, 6, 2], rng, activation=["tanh", "relu"], weight_init="he_normal",
                bias_init=initializers.get("random_normal", stddev=0.1))
    X = rng.normal(size=(10, 3))
    out = model.forward(X)
    W, b = model.weights, model.biases
    Z0 = X @ W[0] + b[0]
    A1 = np.tanh(Z0)
    Z1 = A1 @ W[1] + b[1]
    A2 = np.maximum(Z1, 0)
    Z2 = A2 @ W[2] + b[2]
    np.testing.assert_allclose(out, Z2, rtol=1e-13, atol=1e-14)
    for got, want in zip(model.Z, [Z0, Z1, Z2], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)
    for got, want in zip(model.A, [X, A1, A2, Z2], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)
    assert [a.name for a in model.activations] == ["tanh", "relu", "identity"]


def test_weights_are_drawn_in_order_with_fan_in_of_each_layer():
    # kaiming_normal: N(0, 2 / fan_in) with fan_in = n_in of the (n_in, n_out) weight
    model = MLP([3, 4, 2], np.random.default_rng(900), weight_init="kaiming_normal")
    ref = np.random.default_rng(900)
    W0 = ref.standard_normal((3, 4)) * math.sqrt(2 / 3)
    W1 = ref.standard_normal((4, 2)) * math.sqrt(2 / 4)
    np.testing.assert_allclose(model.weights[0], W0, rtol=1e-14)
    np.testing.assert_allclose(model.weights[1], W1, rtol=1e-14)
    assert [b.shape for b in model.biases] == [(4,), (2,)]
    assert model.n_parameters() == 3 * 4 + 4 + 4 * 2 + 2


def test_layers_never_share_bits_and_per_layer_inits():
    model = MLP([8, 8, 8, 8], np.random.default_rng(901), weight_init="he_normal")
    assert not np.allclose(model.weights[1], model.weights[2])
    model = MLP([4, 4, 4], np.random.default_rng(902), weight_init=["identity", "zeros"],
                bias_init=["ones", "zeros"])
    np.testing.assert_array_equal(model.weights[0], np.eye(4))
    np.testing.assert_array_equal(model.weights[1], np.zeros((4, 4)))
    np.testing.assert_array_equal(model.biases[0], np.ones(4))


def test_parameters_are_live_and_copy_is_deep():
    model = MLP([2, 3, 2], np.random.default_rng(903))
    params = model.parameters()
    assert [p.shape for p in params] == [(2, 3), (3,), (3, 2), (2,)]
    clone = model.copy()
    params[0][0, 0] = 42.0
    assert model.weights[0][0, 0] == 42.0
    assert clone.weights[0][0, 0] != 42.0


def test_predict():
    model = MLP([2, 3], np.random.default_rng(904), weight_init="identity",
                bias_init="zeros", activation=[])
    X = np.array([[1.0, 2.0], [3.0, -1.0], [-5.0, -4.0]])
    np.testing.assert_array_equal(model.predict(X), [1, 0, 2])  # logits [x0, x1, 0]
    binary = MLP([2, 1], np.random.default_rng(905), weight_init="ones")
    np.testing.assert_array_equal(binary.predict(X), [1, 1, 0])  # x0 + x1 > 0


def test_float32_network():
    model = MLP([3, 4, 2], np.random.default_rng(906), dtype=np.float32)
    out = model.forward(np.ones((5, 3)))
    assert out.dtype == np.float32
    assert all(p.dtype == np.float32 for p in model.parameters())
