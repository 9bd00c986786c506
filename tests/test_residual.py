"""Tests of initlab.residual.ResidualMLP: backward by central finite differences, forward by hand.

Gradient check as in tests/test_network.py: every parameter entry is nudged by ``+-h`` and the
loss recomputed with a naive softmax cross-entropy written here (no library loss code), float64,
h = 1e-5, bar ``||a - b|| / (||a|| + ||b||) < 1e-6`` per array. Every parameter (alpha, LayerNorm
gains and biases included) is first redrawn from N(0, 0.5^2) so that no zero-init hides a wrong
term. tanh branches are smooth; the ReLU case redraws X until no branch pre-activation is within
1e-3 of the kink.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from gradcheck import central_difference

from initlab import losses, residual_init
from initlab.residual import ResidualMLP

H = 1e-5
BATCH, N_IN, WIDTH, N_OUT = 4, 3, 5, 3


def naive_loss(out: np.ndarray, y: np.ndarray) -> float:
    p = np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)
    return float(np.mean(-np.log(p[np.arange(len(y)), y])))


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def fd_check(model: ResidualMLP, X: np.ndarray, y: np.ndarray) -> None:
    out = model.forward(X)
    grads = model.backward(losses.get("softmax_cross_entropy")(out, y)[1])
    params = model.parameters()
    assert [g.shape for g in grads] == [p.shape for p in params]
    for k, (p, g) in enumerate(zip(params, grads, strict=True)):
        num = central_difference(lambda: naive_loss(model.forward(X, keep=False), y), p, H)
        assert rel_err(g, num) < 1e-6, f"parameter {k} of shape {p.shape}: {rel_err(g, num)}"


def randomized(norm: str, learn_alpha: bool, m: int, activation: str = "tanh",
               n_blocks: int = 2, seed: int = 0) -> ResidualMLP:
    rng = np.random.default_rng(seed)
    model = ResidualMLP(N_IN, WIDTH, N_OUT, n_blocks, rng, branch_depth=m, activation=activation,
                        learn_alpha=learn_alpha, norm=norm)
    for p in model.parameters():
        p[...] = rng.normal(0.0, 0.5, p.shape)
    for a in model.alpha:
        a[...] = rng.normal(0.0, 0.5, 1)
    return model


NORMS = ["none", "pre", "post"]


@pytest.mark.parametrize(("norm", "learn_alpha", "m"),
                         list(itertools.product(NORMS, [False, True], [1, 2, 3])))
def test_gradient_check(norm, learn_alpha, m):
    if norm != "none":
        pytest.importorskip("initlab.norm")
    model = randomized(norm, learn_alpha, m)
    rng = np.random.default_rng(1)
    fd_check(model, rng.normal(size=(BATCH, N_IN)), rng.integers(0, N_OUT, BATCH))


def test_gradient_check_relu_away_from_kinks():
    model = randomized("none", True, 2, activation="relu")
    rng = np.random.default_rng(2)
    for _ in range(200):
        X = rng.normal(size=(BATCH, N_IN))
        model.forward(X)
        if all(np.abs(zs[0]).min() > 1e-3 for zs, *_ in model._cache):
            break
    else:
        pytest.fail("no X away from the ReLU kinks in 200 draws")
    fd_check(model, X, rng.integers(0, N_OUT, BATCH))


def test_stream_gradients_are_dloss_dx():
    """dstream[l] is dL/dx_l: check it against nudging the stream of one block by hand."""
    model = randomized("none", False, 2)
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(BATCH, N_IN)), rng.integers(0, N_OUT, BATCH)
    out = model.forward(X)
    model.backward(losses.get("softmax_cross_entropy")(out, y)[1])
    # dL/dx_0 is dL/d(b_in) per row: sum over rows equals the b_in gradient
    assert np.allclose(model.dstream[0].sum(axis=0), model.backward(
        losses.get("softmax_cross_entropy")(model.forward(X), y)[1])[1])
    assert len(model.dstream) == len(model.stream) == model.n_blocks + 1


def test_forward_matches_hand_written_loop():
    model = randomized("none", False, 2, activation="relu")
    X = np.random.default_rng(4).normal(size=(BATCH, N_IN))
    x = X @ model.W_in + model.b_in
    for l in range(model.n_blocks):
        h = np.maximum(x @ model.W[l][0] + model.b[l][0], 0) @ model.W[l][1] + model.b[l][1]
        x = x + model.alpha[l][0] * h
    assert np.allclose(model.forward(X), x @ model.W_out + model.b_out, rtol=1e-12)
    q = model.stream_second_moments(X)
    assert np.isclose(q[-1], np.mean(x**2), rtol=1e-12)


def test_zero_alpha_and_zero_last_layer_are_the_identity():
    """ReZero / SkipInit (alpha = 0) and Fixup (last branch layer 0): x_L = x_0 exactly."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(50, N_IN))
    for recipe in (residual_init.rezero(), residual_init.skipinit(),
                   residual_init.fixup(n_blocks=10, branch_depth=2)):
        model = ResidualMLP(N_IN, WIDTH, N_OUT, 10, np.random.default_rng(6), **recipe)
        model.forward(X)
        assert np.array_equal(model.stream[-1], model.stream[0])


def test_fixup_scale_and_gpt2_std():
    L, m, n = 16, 3, 400
    fix = ResidualMLP(n, n, 2, L, np.random.default_rng(7),
                      **residual_init.fixup(n_blocks=L, branch_depth=m))
    # He std sqrt(2/n) times L^(-1/(2m-2)) on the first m-1 layers; 0 on the last and output
    expected = np.sqrt(2.0 / n) * L ** (-1.0 / (2 * m - 2))
    for j in range(m - 1):
        std = np.std(np.concatenate([fix.W[l][j].ravel() for l in range(L)]))
        assert abs(std / expected - 1) < 5 * np.sqrt(0.5 / (L * n * n))  # 5 se of a std
    assert all(not fix.W[l][-1].any() for l in range(L)) and not fix.W_out.any()
    assert fix.learn_alpha and fix.alpha[0][0] == 1.0
    gpt = ResidualMLP(n, n, 2, L, np.random.default_rng(8),
                      **residual_init.gpt2(n_blocks=L, branch_depth=2))
    proj = np.concatenate([gpt.W[l][-1].ravel() for l in range(L)])
    first = np.concatenate([gpt.W[l][0].ravel() for l in range(L)])
    se = np.sqrt(0.5 / proj.size)
    assert abs(np.std(proj) / (0.02 / np.sqrt(L)) - 1) < 5 * se
    assert abs(np.std(first) / 0.02 - 1) < 5 * se


def test_trains_with_the_library_loop():
    from initlab import train
    run = train.run(seed=0, epochs=2, batch_size=64, lr=0.05, dataset="digits",
                    build=lambda data, rng: ResidualMLP(data.n_features, 16, 10, 4, rng,
                                                        **residual_init.rezero()))
    assert not run.diverged and run.test_acc[-1] > run.test_acc[0]
    copy = run.model.copy()
    copy.W_in += 1.0
    assert not np.array_equal(copy.W_in, run.model.W_in)


def test_errors_name_the_bad_value():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="norm"):
        ResidualMLP(2, 3, 2, 2, rng, norm="mid")
    with pytest.raises(ValueError, match="branch_init"):
        ResidualMLP(2, 3, 2, 2, rng, branch_depth=2, branch_init=["he_normal"])
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        ResidualMLP(2, 3, 2, 2, rng).forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="branch_depth"):
        residual_init.fixup(n_blocks=4, branch_depth=1)
