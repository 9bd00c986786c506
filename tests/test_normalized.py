"""Tests of initlab.normalized.NormalizedMLP: finite differences, MLP weights, train.run.

Gradient check as in tests/test_network.py: every parameter and the input are nudged by
``+-h`` (h = 1e-5, float64) and a loss written here (softmax cross-entropy or half squared
error) recomputed from the training-mode forward pass (BatchNorm: batch statistics, no
running update), against :meth:`NormalizedMLP.backward`. Error ~eps/h + h^2 ~ 1e-10 per entry;
bar: relative error < 1e-6 per array. ``X`` is redrawn until no pre-activation is within 1e-3
of a ReLU kink.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import central_difference

from initlab import losses, network, train
from initlab.normalized import NormalizedMLP

H = 1e-5


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def naive_ce(out: np.ndarray, y: np.ndarray) -> float:
    p = np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)
    return float(np.mean(-np.log(p[np.arange(len(y)), y])))


@pytest.mark.parametrize("kind", ["layer", "batch"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_backward_matches_finite_differences(kind: str, activation: str) -> None:
    rng = np.random.default_rng(0)
    model = NormalizedMLP((4, 5, 6, 3), rng, norm_kind=kind, activation=activation,
                          bias_init="random_normal" if kind == "layer" else "zeros")
    for p in model.parameters()[2 * model.n_layers:]:  # gains and betas away from 1 and 0
        p += rng.normal(0.0, 0.3, size=p.shape)
    y = rng.integers(0, 3, 6)
    for _ in range(100):
        X = rng.normal(size=(6, 4))
        model.forward(X)
        if min(np.abs(Z).min() for Z in model.Z[:-1]) > 1e-3:
            break
    out = model.forward(X)
    _, dout = losses.get("softmax_cross_entropy")(out, y)
    analytic = model.backward(dout, input_grad=True)
    params = [*model.parameters(), X]
    assert len(analytic) == len(params)
    for p, g in zip(params, analytic, strict=True):
        num = central_difference(lambda: naive_ce(model.forward(X, keep=False), y), p, H)
        assert g.shape == p.shape
        # a hidden bias before BatchNorm has gradient exactly 0 (the batch mean removes it):
        # both sides are rounding there, compared absolutely
        ok = rel_err(g, num) < 1e-6 or np.abs(g - num).max() < 1e-9
        assert ok, (kind, activation, p.shape, rel_err(g, num))
    if kind == "batch":
        for db in analytic[1:2 * (model.n_layers - 1):2]:
            assert np.abs(db).max() < 1e-12


def test_same_seed_same_weights_as_the_mlp() -> None:
    sizes = (5, 7, 7, 2)
    mlp = network.MLP(sizes, np.random.default_rng(3), activation="tanh")
    net = NormalizedMLP(sizes, np.random.default_rng(3), activation="tanh")
    for a, b in zip(mlp.parameters(), net.parameters(), strict=False):
        np.testing.assert_array_equal(a, b)
    assert len(net.parameters()) == 2 * 3 + 2 * 2


def test_hidden_preactivations_are_normalized() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(2.0, 3.0, size=(32, 6))
    ln = NormalizedMLP((6, 20, 20, 3), rng, norm_kind="layer")
    ln.forward(X)
    bn = NormalizedMLP((6, 20, 20, 3), rng, norm_kind="batch")
    bn.forward(X)
    for Z in ln.Z[:-1]:
        np.testing.assert_allclose(Z.mean(axis=1), 0.0, atol=1e-10)
        np.testing.assert_allclose(Z.std(axis=1), 1.0, atol=1e-4)
    for Z in bn.Z[:-1]:
        np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-10)
        np.testing.assert_allclose(Z.std(axis=0), 1.0, atol=1e-4)


def test_scaling_a_hidden_weight_leaves_output_and_divides_gradient() -> None:
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(16, 6)), rng.integers(0, 3, 16)
    for kind in ("layer", "batch"):
        net = NormalizedMLP((6, 30, 30, 3), np.random.default_rng(6), norm_kind=kind, eps=1e-12)
        out1 = net.forward(X)
        g1 = net.backward(losses.get("softmax_cross_entropy")(out1, y)[1])[2].copy()
        net.weights[1] *= 10.0
        out2 = net.forward(X)
        g2 = net.backward(losses.get("softmax_cross_entropy")(out2, y)[1])[2]
        np.testing.assert_allclose(out2, out1, atol=1e-9)
        np.testing.assert_allclose(g2 * 10.0, g1, rtol=1e-6, atol=1e-12)


def test_trains_with_train_run_and_batch_norm_predicts_with_running_statistics() -> None:
    for kind in ("layer", "batch"):
        def build(data, rng, kind=kind):
            return NormalizedMLP((64, 32, 32, 10), rng, norm_kind=kind)
        r = train.run(build=build, seed=0, epochs=3, batch_size=32, lr=0.1)
        assert not r.diverged and r.test_acc[-1] > 0.8
    net = r.model
    assert not np.allclose(net.bn[0].running_mean, 0.0)
    X = r.data.X_test[:5]
    H = X @ net.weights[0] + net.biases[0]
    Z = net.bn[0].predict(H)
    assert np.allclose(Z, net.bn[0].gain * (H - net.bn[0].running_mean)
                       / np.sqrt(net.bn[0].running_var + 1e-5) + net.bn[0].bias)
    clone = net.copy()
    clone.weights[0] += 1.0
    clone.bn[0].running_mean += 1.0
    assert not np.allclose(clone.weights[0], net.weights[0])
    assert not np.allclose(clone.bn[0].running_mean, net.bn[0].running_mean)


def test_errors_name_the_bad_value() -> None:
    with pytest.raises(ValueError, match="norm_kind"):
        NormalizedMLP((3, 4, 2), np.random.default_rng(0), norm_kind="group")
    net = NormalizedMLP((3, 4, 2), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\(batch, 3\)"):
        net.forward(np.zeros((2, 5)))
    with pytest.raises(RuntimeError, match="forward"):
        net.backward(np.zeros((2, 2)))
