"""Tests of initlab.optim.Adam and of per-parameter learning rates (SGD and Adam).

References: Adam's first step in closed form (``m_hat = g``, ``v_hat = g^2``, so the step is
``lr g / (|g| + eps)``, about ``lr`` per coordinate); a constant gradient keeps
``m_hat = g`` and ``v_hat = g^2`` at every step (the bias correction is exact), so ``T`` steps
move ``T lr g / (|g| + eps)``; two steps with different gradients written out in scalars;
per-parameter multipliers against ``p - lr * lr_mult[k] * g``; train(optimizer="adam") against
a hand-written minibatch loop.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import losses, optim
from initlab.network import MLP
from initlab.optim import SGD, Adam
from initlab.train import train


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_adam_first_step_is_lr_times_sign():
    lr, eps = 0.01, 1e-8
    p = np.array([1.0, -2.0, 3.0, 0.5])
    g = np.array([10.0, -0.001, 2.0, 0.0])
    want = p - lr * g / (np.abs(g) + eps)  # m_hat = g, v_hat = g^2 after one step
    Adam([p], lr=lr, eps=eps).step([g])
    np.testing.assert_allclose(p, want, rtol=1e-15, atol=1e-17)
    assert p[3] == 0.5  # zero gradient, zero step


def test_adam_constant_gradient_bias_correction_is_exact():
    lr, T = 0.003, 25
    p0 = rng(0).normal(size=(4, 3))
    g = rng(1).normal(size=(4, 3))
    p = p0.copy()
    opt = Adam([p], lr=lr)
    for _ in range(T):
        opt.step([g])
    np.testing.assert_allclose(p, p0 - T * lr * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_two_steps_written_out_in_scalars():
    lr, b1, b2, eps = 0.1, 0.8, 0.9, 1e-3
    p, g1, g2 = 1.5, 2.0, -0.5
    m1, v1 = (1 - b1) * g1, (1 - b2) * g1**2
    p1 = p - lr * (m1 / (1 - b1)) / (math.sqrt(v1 / (1 - b2)) + eps)
    m2, v2 = b1 * m1 + (1 - b1) * g2, b2 * v1 + (1 - b2) * g2**2
    p2 = p1 - lr * (m2 / (1 - b1**2)) / (math.sqrt(v2 / (1 - b2**2)) + eps)
    x = np.array([p])
    opt = Adam([x], lr=lr, betas=(b1, b2), eps=eps)
    opt.step([np.array([g1])])
    assert x[0] == pytest.approx(p1, rel=1e-14)
    opt.step([np.array([g2])])
    assert x[0] == pytest.approx(p2, rel=1e-14)
    assert opt.m[0][0] == pytest.approx(m2, rel=1e-14)
    assert opt.v[0][0] == pytest.approx(v2, rel=1e-14)


def test_adam_accepts_its_scratch_as_gradients():
    """The training step clips into ``scratch`` and passes it: same result as fresh arrays."""
    g = rng(2).normal(size=(5, 2))
    a, b = np.ones((5, 2)), np.ones((5, 2))
    opt_a, opt_b = Adam([a], lr=0.1), Adam([b], lr=0.1)
    for _ in range(3):
        opt_a.step([g])
        opt_b.scratch[0][...] = g
        opt_b.step(opt_b.scratch)
    np.testing.assert_array_equal(a, b)


def test_per_parameter_lr_sgd_and_adam():
    lr, mult = 0.1, [4.0, 0.25]
    g = [np.array([1.0, -2.0]), np.array([[0.5], [3.0]])]
    p = [np.zeros(2), np.zeros((2, 1))]
    SGD(p, lr=lr, lr_mult=mult).step(g)
    for got, gk, mk in zip(p, g, mult, strict=True):
        np.testing.assert_allclose(got, -lr * mk * gk, rtol=1e-15)
    p = [np.zeros(2), np.zeros((2, 1))]
    Adam(p, lr=lr, lr_mult=mult).step(g)
    for got, gk, mk in zip(p, g, mult, strict=True):
        np.testing.assert_allclose(got, -lr * mk * gk / (np.abs(gk) + 1e-8), rtol=1e-14)


def test_sgd_unit_multipliers_are_bit_identical_to_plain_sgd():
    for mu in (0.0, 0.9):
        a = [rng(3).normal(size=(6, 4)), rng(4).normal(size=4)]
        b = [x.copy() for x in a]
        plain, mult = SGD(a, lr=0.05, momentum=mu), SGD(b, lr=0.05, momentum=mu,
                                                         lr_mult=[1.0, 1.0])
        for s in range(3):
            g = [rng(10 + s).normal(size=(6, 4)), rng(20 + s).normal(size=4)]
            plain.step(g)
            mult.step(g)
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)


def test_train_with_adam_replays_a_hand_written_loop():
    g = rng(0)
    X, y = g.normal(size=(100, 3)), g.integers(0, 3, size=100)
    model = MLP([3, 8, 3], rng(1), activation="tanh", weight_init="glorot_uniform")
    ref = model.copy()
    lr, bs, mult = 0.01, 32, [1.0, 2.0, 0.5, 1.0]
    hist = train(model, X, y, rng=rng(5), epochs=2, batch_size=bs, lr=lr, optimizer="adam",
                 lr_mult=mult, progress=False)
    shuffle, b1, b2, t = rng(5), 0.9, 0.999, 0
    m = [np.zeros_like(p) for p in ref.parameters()]
    v = [np.zeros_like(p) for p in ref.parameters()]
    for _ in range(2):
        order = shuffle.permutation(len(X))
        for start in range(0, len(X), bs):
            idx = order[start:start + bs]
            _, dout = losses.softmax_cross_entropy(ref.forward(X[idx]), y[idx])
            t += 1
            for k, (p, gk) in enumerate(zip(ref.parameters(), ref.backward(dout), strict=True)):
                m[k] = b1 * m[k] + (1 - b1) * gk
                v[k] = b2 * v[k] + (1 - b2) * gk**2
                m_hat, v_hat = m[k] / (1 - b1**t), v[k] / (1 - b2**t)
                p -= lr * mult[k] * m_hat / (np.sqrt(v_hat) + 1e-8)
    assert len(hist.loss) == t == 8
    for got, want in zip(model.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)


def test_adam_minimizes_a_quadratic():
    target = np.array([3.0, -1.0, 0.5])
    x = np.zeros(3)
    opt = Adam([x], lr=0.05)
    for _ in range(2000):
        opt.step([2 * (x - target)])
    np.testing.assert_allclose(x, target, atol=1e-3)


def test_optimizer_errors_name_the_bad_value():
    p = [np.zeros(2)]
    with pytest.raises(ValueError, match="lr_mult"):
        SGD(p, lr=0.1, lr_mult=[1.0, 2.0])
    with pytest.raises(ValueError, match="lr_mult entry"):
        Adam(p, lr=0.1, lr_mult=[-1.0])
    with pytest.raises(ValueError, match="momentum"):
        optim.make("adam", p, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="rmsprop"):
        optim.make("rmsprop", p, lr=0.1)
    with pytest.raises(ValueError, match="betas"):
        Adam(p, lr=0.1, betas=(0.9, 1.0))
