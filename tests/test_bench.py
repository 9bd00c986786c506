"""Tests of initlab.bench and of the speed path it measures.

The bench itself is smoke-tested (``--quick`` prints and writes every figure; no timing is
asserted: the machine may be busy). The speed path, ``MLP.reuse_buffers`` and the ``out=``
forms of the activations, must compute exactly what the plain path computes: same
operations in the same order, so the reference is the plain path and the bar is bit
equality (``np.array_equal``), not a tolerance.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from initlab import activations, bench, initializers, losses
from initlab.network import MLP
from initlab.optim import SGD
from initlab.train import sgd_step


def test_quick_bench_prints_and_writes_every_figure(tmp_path, capsys):
    path = tmp_path / "bench.json"
    figures = bench.main(["--quick", "--json", str(path)])
    out = capsys.readouterr().out
    for text in ("W256 D10 B128 float64", "W256 D10 B128 float32", "matmul-only bound",
                 "ratio", "W32 D3 B32 float64", "speed-up", "results identical: True"):
        assert text in out, text
    saved = json.loads(path.read_text())
    assert saved == json.loads(json.dumps(figures))
    for key in ("W256_D10_B128_float64", "W256_D10_B128_float32"):
        f = saved[key]
        assert f["steps_per_s"] > 0 and f["matmul_bound_steps_per_s"] > 0
        assert f["ratio"] == pytest.approx(f["steps_per_s"] / f["matmul_bound_steps_per_s"])
    assert saved["W32_D3_B32_float64"]["steps_per_s"] > 0
    assert saved["sweep"]["speedup"] > 0 and saved["sweep"]["identical"] is True
    assert saved["quick"] is True


def test_matmul_bound_does_the_steps_matmuls(monkeypatch):
    """3 products per layer (Z = A W, dW = A^T dZ, dA = dZ W^T), none for the input's dA."""
    width, n_hidden, batch = 8, 2, 4
    calls = []
    real = np.matmul

    def counting(a, b, out):
        calls.append((a.shape, b.shape))
        return real(a, b, out=out)

    fn = bench.make_matmuls(width, n_hidden, batch, np.float64)
    monkeypatch.setattr(bench.np, "matmul", counting)
    fn()
    monkeypatch.undo()
    n_layers = n_hidden + 1
    assert len(calls) == 3 * n_layers - 1
    assert ((batch, width), (width, width)) in calls          # forward X W
    assert ((width, batch), (batch, bench.N_CLASSES)) in calls  # last layer's A^T dZ


# ------------------------------------------------------------------ the speed path


def plain_and_reused(activation: str, dtype: type, seed: int):
    rng = np.random.default_rng(seed)
    model = MLP([5, 7, 7, 3], rng, activation=activation, weight_init="glorot_normal",
                bias_init=initializers.get("random_normal", stddev=0.3), dtype=dtype)
    fast = model.copy()
    fast.reuse_buffers = True
    return model, fast, rng


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", activations.available())
def test_reused_buffers_give_bit_identical_forward_and_backward(activation, dtype):
    model, fast, rng = plain_and_reused(activation, dtype, 1)
    for batch in (6, 4, 6):  # two buffer sets, the first one reused
        X = rng.normal(size=(batch, 5)).astype(dtype)
        y = rng.integers(0, 3, batch)
        outs = [m.forward(X) for m in (model, fast)]
        assert np.array_equal(outs[0], outs[1])
        for m in (model, fast):
            assert len(m.Z) == 3 and len(m.A) == 4
        for a, b in zip(model.Z + model.A, fast.Z + fast.A, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        dout = losses.softmax_cross_entropy(outs[0], y)[1]
        grads = [m.backward(dout, input_grad=True) for m in (model, fast)]
        for a, b in zip(*grads, strict=True):
            assert a.dtype == b.dtype == dtype and np.array_equal(a, b)
    assert set(fast._buffer_cache) == {4, 6} and not model._buffer_cache


@pytest.mark.parametrize("activation", activations.available())
def test_out_forms_of_activations_match(activation):
    act = activations.get(activation)
    Z = np.random.default_rng(2).normal(size=(4, 6)) * 3
    Z[0, :3] = [0.0, -0.0, 40.0]
    A = act.f(Z.copy())
    dA = act.df(Z.copy(), A)
    if act.accepts_out:
        assert np.array_equal(act.f(Z, out=np.empty_like(Z)), A)
        assert np.array_equal(act.df(Z, A, out=np.empty_like(Z)), dA)


def test_sgd_step_buffers_live_until_the_next_step():
    rng = np.random.default_rng(3)
    model = MLP([4, 8, 3], rng)
    X, y = rng.normal(size=(10, 4)), rng.integers(0, 3, 10)
    opt = SGD(model.parameters(), lr=0.1)
    _, _, grads, _ = sgd_step(model, opt, X, y, losses.softmax_cross_entropy)
    assert model.reuse_buffers is False  # only on during the step
    kept = [g.copy() for g in grads]
    out = model.forward(X)  # a user's forward between steps allocates: grads stay valid
    assert all(np.array_equal(g, k) for g, k in zip(grads, kept, strict=True))
    assert not any(np.shares_memory(out, b) for b in model._buffers(10)["Z"])
    sgd_step(model, opt, X, y, losses.softmax_cross_entropy)
    assert not all(np.array_equal(g, k) for g, k in zip(grads, kept, strict=True))  # reused
    with pytest.raises(ValueError):  # wrong labels: the flag is restored on errors too
        sgd_step(model, opt, X, y + 5, losses.softmax_cross_entropy)
    assert model.reuse_buffers is False


def test_buffers_are_not_copied():
    model = MLP([4, 8, 3], np.random.default_rng(4))
    model.reuse_buffers = True
    model.forward(np.ones((5, 4)))
    assert model._buffer_cache
    for clone in (copy.deepcopy(model), model.copy()):  # deepcopy goes through __getstate__
        assert clone._buffer_cache == {}
        assert all(np.array_equal(a, b) for a, b in
                   zip(clone.parameters(), model.parameters(), strict=True))
