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
import tracemalloc

import numpy as np
import pytest

from initlab import activations, bench, initializers, losses
from initlab.network import MLP
from initlab.optim import SGD
from initlab.train import sgd_step


def test_quick_bench_prints_and_writes_every_figure(tmp_path, capsys):
    """Three steps x two dtypes, each with its bound and ratio; the tiny net; the sweep."""
    path = tmp_path / "bench.json"
    figures = bench.main(["--quick", "--json", str(path)])
    out = capsys.readouterr().out
    saved = json.loads(path.read_text())
    assert saved == json.loads(json.dumps(figures))
    assert set(bench.STEPS) == {"plain", "momentum", "clipped"}
    step_lines = [line for line in out.splitlines() if line.startswith("step W256 D10 B128")]
    assert len(step_lines) == 6
    for dtype in ("float64", "float32"):
        bounds = set()
        for name in bench.STEPS:
            (line,) = [ln for ln in step_lines if ln.split(":")[0].split() == [
                "step", "W256", "D10", "B128", dtype, name]]
            for text in ("steps/s", "matmul-only bound", "ratio"):
                assert text in line, (line, text)
            f = saved[f"W256_D10_B128_{dtype}_{name}"]
            assert f["steps_per_s"] > 0 and f["matmul_bound_steps_per_s"] > 0
            assert f["ratio"] == pytest.approx(f["steps_per_s"] / f["matmul_bound_steps_per_s"])
            assert f"ratio {f['ratio']:.3f}" in line
            bounds.add(f["matmul_bound_steps_per_s"])
        assert len(bounds) == 1  # the three steps of a dtype share the bound of the same run
    assert saved["W256_D10_B128_float64_momentum"]["momentum"] == 0.9
    assert saved["W256_D10_B128_float64_clipped"]["clip_fraction"] == 0.01
    for text in ("W32 D3 B32 float64", "speed-up", "results identical: True"):
        assert text in out, text
    assert saved["W32_D3_B32_float64"]["steps_per_s"] > 0
    assert saved["sweep"]["speedup"] > 0 and saved["sweep"]["identical"] is True
    assert saved["quick"] is True


def test_bench_steps_are_what_they_say():
    """The clipped step clips at every one of many steps, the others never; momentum is on:
    its first update equals plain SGD's (v1 = g1), its second does not (v2 = mu g1 + g2)."""
    runs = {}
    for name, kwargs in bench.STEPS.items():
        step = bench.make_step(16, 3, 8, np.float64, **kwargs)
        runs[name] = [step() for _ in range(200)]
        assert all(r[3] for r in runs[name]) if name == "clipped" else not any(
            r[3] for r in runs[name])
    losses_plain, losses_momentum = ([r[0] for r in runs[k][:3]] for k in ("plain", "momentum"))
    assert losses_momentum[:2] == losses_plain[:2] and losses_momentum[2] != losses_plain[2]


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


@pytest.mark.parametrize(("dtype", "uint"), [(np.float64, np.uint64), (np.float32, np.uint32)])
def test_relu_into_a_buffer_is_bit_identical_on_every_kind_of_float(dtype, uint):
    """relu's ``out=`` form takes the max against an array of zeros, not the scalar 0: the
    same bits on arbitrary bit patterns (NaNs with payloads, infinities, subnormals, -0.0),
    in shapes that exercise the vectorized body and its tail."""
    rng = np.random.default_rng(6)
    relu = activations.get("relu")
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 5e-324, -1e-310,
                         1e-40, -1e-40, 1.0, -1.0]).astype(dtype)
    for shape in [(1,), (7,), (3, 5), (17, 33), (128, 256), (31, 257)]:
        for _ in range(3):
            Z = rng.integers(0, np.iinfo(uint).max, shape, dtype=uint, endpoint=True).view(dtype)
            hit = rng.random(shape) < 0.3
            Z[hit] = rng.choice(specials, int(hit.sum()))
            want = relu.f(Z)
            got = relu.f(Z, out=np.empty_like(Z))
            assert got.dtype == dtype and np.array_equal(got.view(uint), want.view(uint))


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


@pytest.mark.parametrize(("momentum", "clip_norm", "clip_value"), [
    (0.0, None, None), (0.9, None, None), (0.0, 1e-3, None), (0.9, 1e-3, None),
    (0.0, None, 1e-4), (0.0, 1e-3, 1e-4)])
def test_a_step_allocates_no_gradient_sized_array(momentum, clip_norm, clip_value):
    """After a warm-up step, plain, momentum and clipped steps allocate less than one weight
    matrix in all (numpy reports its allocations to tracemalloc): clipping writes to the
    optimizer's scratch, the model to its buffers. The clip thresholds do clip."""
    rng = np.random.default_rng(5)
    model = MLP([64, 128, 128, 10], rng, weight_init="he_normal")
    X, y = rng.normal(size=(4, 64)), rng.integers(0, 10, 4)
    opt = SGD(model.parameters(), lr=1e-3, momentum=momentum)
    args = (model, opt, X, y, losses.softmax_cross_entropy, clip_norm, clip_value)
    sgd_step(*args)  # the buffers are made here
    tracemalloc.start()
    try:
        *_, clipped = sgd_step(*args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert clipped is (clip_norm is not None or clip_value is not None)
    assert peak < model.weights[1].nbytes / 4, peak
