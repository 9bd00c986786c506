"""Tests of initlab.lazy_scaling.CenteredScaled: definition, gradient by finite differences,
training through initlab.train, and Chizat et al.'s lazy limit (weights move O(1/alpha))."""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import central_difference

from initlab import train
from initlab.lazy_scaling import CenteredScaled
from initlab.network import MLP

H = 1e-6


def _model(alpha: float, seed: int = 0) -> CenteredScaled:
    return CenteredScaled(MLP((3, 8, 2), np.random.default_rng(seed), activation="tanh"), alpha)


def test_zero_at_init_and_definition():
    X = np.random.default_rng(1).standard_normal((5, 3))
    m = _model(7.0)
    assert np.array_equal(m.forward(X), np.zeros((5, 2)))
    f0 = m.model.forward(X, keep=False).copy()
    for p in m.parameters():
        p += 0.01
    assert np.allclose(m.forward(X), 7.0 * (m.model.forward(X, keep=False) - f0), atol=0)
    assert m.lr_scale == pytest.approx(1 / 49)


def test_backward_matches_finite_differences():
    """Loss sum((f_alpha - y)^2) / 2; reference: central differences of the wrapper's forward."""
    rng = np.random.default_rng(2)
    X, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    m = _model(3.0)
    for p in m.parameters():
        p += rng.normal(0, 0.1, p.shape)   # away from init, so f_alpha is not 0

    def loss() -> float:
        return float(np.sum((m.forward(X, keep=False) - y) ** 2) / 2)

    out = m.forward(X)
    grads = m.backward(out - y)
    for p, g in zip(m.parameters(), grads, strict=True):
        fd = central_difference(loss, p, H)
        assert np.linalg.norm(g - fd) / max(np.linalg.norm(fd), 1e-12) < 1e-6


def test_copy_is_independent_and_weight_change():
    m = _model(2.0)
    c = m.copy()
    c.parameters()[0] += 1.0
    assert m.relative_weight_change() == 0.0
    diff = np.sqrt(c.parameters()[0].size)              # every entry of W_0 moved by 1
    norm = np.sqrt(sum(np.sum(p**2) for p in m.initial.parameters()))
    assert c.relative_weight_change() == pytest.approx(diff / norm)
    with pytest.raises(ValueError, match="alpha"):
        CenteredScaled(m.model, -1.0)


def test_lazy_limit_weights_move_like_one_over_alpha():
    """Same data, same init, lr / alpha^2: the function-space dynamics converge as alpha grows
    (Chizat, Oyallon and Bach 2019), so alpha * ||theta - theta_0|| tends to a constant and the
    trained outputs agree; at alpha = 100 and 1000 the product agrees to O(1/alpha) = 1%."""
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 2))
    outs, products = [], []
    for alpha in (100.0, 1000.0):
        m = _model(alpha)
        hist = train.train(m, X, y, rng=np.random.default_rng(0), epochs=50, batch_size=20,
                           lr=0.05 * m.lr_scale, loss="mean_squared_error", progress=False)
        assert not hist.diverged and hist.epoch_loss[-1] < hist.epoch_loss[0]
        outs.append(m.forward(X, keep=False))
        products.append(alpha * m.relative_weight_change())
    assert products[0] == pytest.approx(products[1], rel=0.02)
    assert np.linalg.norm(outs[0] - outs[1]) / np.linalg.norm(outs[1]) < 0.02
