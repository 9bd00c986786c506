"""Tests of initlab.norm: closed forms, finite differences, running statistics.

Gradient check: the scalar loss ``L = sum(R * y)`` with a fixed random ``R`` has ``dL/dy = R``;
every entry of ``x``, ``gain`` and ``bias`` is nudged by ``+-h`` (h = 1e-5, float64) and ``L``
recomputed from the forward pass alone, so the hand-written backward is compared with a
reference that shares no code with it. Central differences have error ~eps/h + h^2 ~ 1e-10
per entry; the bar is a relative error < 1e-7 per array.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import central_difference

from initlab import norm

H = 1e-5
LAYERS = {"layer": (norm.layer_norm, norm.layer_norm_backward),
          "batch": (norm.batch_norm, norm.batch_norm_backward)}


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def draw(rng: np.random.Generator, batch: int = 5, n: int = 4):
    x = rng.normal(1.0, 2.0, size=(batch, n))
    gain = rng.normal(1.0, 0.5, size=n)
    bias = rng.normal(0.0, 0.5, size=n)
    return x, gain, bias


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("eps", [1e-5, 0.3])
def test_backward_matches_finite_differences(kind: str, eps: float) -> None:
    forward, backward = LAYERS[kind]
    rng = np.random.default_rng(0)
    x, gain, bias = draw(rng)
    R = rng.normal(size=x.shape)
    y, cache = forward(x, gain, bias, eps)
    analytic = backward(R, cache)
    for arr, grad in zip((x, gain, bias), analytic, strict=True):
        num = central_difference(lambda: np.sum(R * forward(x, gain, bias, eps)[0]), arr, H)
        assert grad.shape == arr.shape
        assert rel_err(grad, num) < 1e-7, (kind, eps, rel_err(grad, num))


def test_layer_norm_rows_have_mean_0_var_1() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 5.0, size=(7, 50))
    y, _ = norm.layer_norm(x, np.ones(50), np.zeros(50))
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-12)
    # var(x_hat) = var / (var + eps) exactly
    var = x.var(axis=1)
    np.testing.assert_allclose(y.var(axis=1), var / (var + 1e-5), rtol=1e-12)


def test_batch_norm_columns_have_mean_0_var_1_then_gain_bias() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(-2.0, 4.0, size=(64, 6))
    gain, bias = rng.normal(size=6), rng.normal(size=6)
    y, cache = norm.batch_norm(x, gain, bias, eps=1e-5)
    x_hat = (y - bias) / gain
    np.testing.assert_allclose(x_hat.mean(axis=0), 0.0, atol=1e-12)
    var = x.var(axis=0)
    np.testing.assert_allclose(x_hat.var(axis=0), var / (var + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(cache["mean"][0], x.mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_scale_invariance_and_gradient_divided_by_c(kind: str) -> None:
    forward, backward = LAYERS[kind]
    rng = np.random.default_rng(3)
    x, gain, bias = draw(rng, batch=8, n=6)
    R = rng.normal(size=x.shape)
    c = 7.0
    y1, cache1 = forward(x, gain, bias, 1e-12)
    y2, cache2 = forward(c * x, gain, bias, 1e-12)
    np.testing.assert_allclose(y2, y1, atol=1e-9)
    np.testing.assert_allclose(backward(R, cache2)[0] * c, backward(R, cache1)[0], atol=1e-8)


def test_float32_stays_float32() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    g, b = np.ones(3, np.float32), np.zeros(3, np.float32)
    for forward, backward in LAYERS.values():
        y, cache = forward(x, g, b)
        assert y.dtype == np.float32
        assert all(a.dtype == np.float32 for a in backward(np.ones_like(y), cache))


def test_running_statistics_follow_the_exponential_average() -> None:
    rng = np.random.default_rng(5)
    layer = norm.BatchNorm(3, momentum=0.2)
    x = rng.normal(2.0, 3.0, size=(10, 3))
    k = 25
    for _ in range(k):
        layer.forward(x)
    decay = 0.8 ** k
    expected_mean = (1 - decay) * x.mean(axis=0)
    expected_var = decay * 1.0 + (1 - decay) * x.var(axis=0, ddof=1)
    np.testing.assert_allclose(layer.running_mean, expected_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, expected_var, rtol=1e-12)
    # evaluation mode is the affine map of the running statistics
    layer.gain, layer.bias = rng.normal(size=3), rng.normal(size=3)
    z = rng.normal(size=(4, 3))
    want = layer.gain * (z - expected_mean) / np.sqrt(expected_var + 1e-5) + layer.bias
    np.testing.assert_allclose(layer.predict(z), want, rtol=1e-12)
    copy = layer.copy()
    layer.forward(z)
    np.testing.assert_allclose(copy.running_mean, expected_mean, rtol=1e-12)


def test_update_false_leaves_running_statistics() -> None:
    layer = norm.BatchNorm(2)
    layer.forward(np.arange(6.0).reshape(3, 2), update=False)
    assert np.all(layer.running_mean == 0) and np.all(layer.running_var == 1)


def test_errors_name_the_bad_value() -> None:
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        norm.layer_norm(np.zeros((2, 3)), np.ones(4), np.zeros(3))
    with pytest.raises(ValueError, match="at least 2 rows"):
        norm.batch_norm(np.zeros((1, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="momentum"):
        norm.BatchNorm(3, momentum=1.5)
    with pytest.raises(ValueError, match="batch, n"):
        norm.layer_norm(np.zeros(3), np.ones(3), np.zeros(3))
