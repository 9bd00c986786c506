"""Tests of initlab.optim (SGD, clipping) and initlab.train (the loop, its history, divergence).

References: the global norm recomputed from one concatenated vector; SGD with momentum
unrolled by hand for three steps; the training loop replayed by a hand-written minibatch loop;
gradient descent on least squares against ``np.linalg.lstsq`` and against the stability
threshold ``lr < 2 / lambda_max`` of the Hessian ``A^T A / n``; the zero-init symmetry
argument (relu'(0) = 0, so no hidden weight ever receives a gradient). The spirals are
generated here with plain numpy.
"""

from __future__ import annotations

import json
import math
import warnings
from contextlib import nullcontext

import numpy as np
import pytest

from initlab import losses
from initlab.network import MLP
from initlab.normalized import NormalizedMLP
from initlab.optim import SGD, clip_by_global_norm, clip_by_value, global_norm
from initlab.residual import ResidualMLP
from initlab.train import History, train


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def spirals(n_per_class: int, gen: np.random.Generator, noise: float = 0.2):
    """CS231n's three interleaved spirals: radius r in [0, 1], angle 4k + 4r + noise."""
    X, y = [], []
    for k in range(3):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(4.0 * k, 4.0 * (k + 1), n_per_class) + gen.normal(0, noise, n_per_class)
        X.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        y.append(np.full(n_per_class, k))
    return np.concatenate(X), np.concatenate(y)


X_SP, Y_SP = spirals(100, rng(0))


def no_warnings(fn, *args, **kwargs):
    """Call ``fn`` with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


# ------------------------------------------------------------------ clipping


def random_grads(seed: int, scale: float) -> list[np.ndarray]:
    g = rng(seed)
    return [scale * g.normal(size=s) for s in [(4, 3), (3,), (3, 2), (2,)]]


def test_global_norm_is_norm_of_concatenation():
    grads = random_grads(0, 1.0)
    flat = np.concatenate([g.ravel() for g in grads])
    assert global_norm(grads) == pytest.approx(math.sqrt(np.sum(flat**2)), rel=1e-14)


@pytest.mark.parametrize("ratio", [1.001, 1.5, 40.0])
def test_clip_by_global_norm_above_threshold(ratio):
    grads = random_grads(1, 10.0)
    originals = [g.copy() for g in grads]
    true_norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    max_norm = true_norm / ratio
    clipped, norm = clip_by_global_norm(grads, max_norm)
    assert norm == pytest.approx(true_norm, rel=1e-14)
    new_norm = math.sqrt(sum(float(np.sum(c**2)) for c in clipped))
    assert new_norm == pytest.approx(max_norm, rel=1e-12)
    for c, g in zip(clipped, originals, strict=True):
        # parallel, same orientation, and the same factor for every array
        cos = np.vdot(c, g) / (np.linalg.norm(c) * np.linalg.norm(g))
        assert cos == pytest.approx(1.0, rel=1e-12)
        np.testing.assert_allclose(c, g / ratio, rtol=1e-12)
    for g, o in zip(grads, originals, strict=True):
        np.testing.assert_array_equal(g, o)  # the inputs are not modified


@pytest.mark.parametrize("max_norm", [100.0, None])
def test_clip_by_global_norm_below_or_at_threshold_is_untouched(max_norm):
    grads = random_grads(2, 1.0)
    true_norm = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    max_norm = true_norm if max_norm is None else max_norm  # exactly at the threshold
    clipped, norm = clip_by_global_norm(grads, max_norm)
    assert norm == pytest.approx(true_norm, rel=1e-14)
    for c, g in zip(clipped, grads, strict=True):
        np.testing.assert_array_equal(c, g)


def test_clip_by_global_norm_leaves_non_finite_for_the_caller():
    grads = [np.array([1.0, np.inf]), np.array([2.0])]
    clipped, norm = no_warnings(clip_by_global_norm, grads, 1.0)
    assert norm == np.inf
    np.testing.assert_array_equal(clipped[0], grads[0])


def test_clip_by_value():
    grads = [np.array([-3.0, -0.5, 0.0, 0.7, 2.0]), np.array([[10.0, -0.1]])]
    clipped = clip_by_value(grads, 1.0)
    np.testing.assert_array_equal(clipped[0], [-1.0, -0.5, 0.0, 0.7, 1.0])
    np.testing.assert_array_equal(clipped[1], [[1.0, -0.1]])
    big = random_grads(3, 5.0)
    for c in clip_by_value(big, 0.3):
        assert np.abs(c).max() <= 0.3


# ------------------------------------------------------------------ SGD


def test_sgd_plain_step():
    p = np.array([1.0, -2.0, 3.0])
    SGD([p], lr=0.1).step([np.array([10.0, 0.0, -1.0])])
    np.testing.assert_allclose(p, [0.0, -2.0, 3.1], rtol=1e-15)


def test_sgd_momentum_three_steps_unrolled_by_hand():
    lr, mu = 0.1, 0.9
    p0 = np.array([[1.0, -2.0], [0.5, 3.0]])
    b0 = np.array([0.25, -0.75])
    g = [(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0])),
         (np.array([[-1.0, 0.5], [0.0, 2.0]]), np.array([0.5, 0.5])),
         (np.array([[0.2, -0.3], [1.0, -1.0]]), np.array([-2.0, 1.0]))]
    p, b = p0.copy(), b0.copy()
    opt = SGD([p, b], lr=lr, momentum=mu)
    for step in g:
        opt.step(list(step))
    # v1 = g1; v2 = mu g1 + g2; v3 = mu^2 g1 + mu g2 + g3; p3 = p0 - lr (v1 + v2 + v3)
    for k, (start, got) in enumerate([(p0, p), (b0, b)]):
        g1, g2, g3 = (s[k] for s in g)
        v1, v2, v3 = g1, mu * g1 + g2, mu**2 * g1 + mu * g2 + g3
        np.testing.assert_allclose(got, start - lr * (v1 + v2 + v3), rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(opt.velocity[k], v3, rtol=1e-14, atol=1e-15)


# ------------------------------------------------------------------ the training loop


def test_train_replays_a_hand_written_minibatch_loop():
    """One epoch of train() == permutation from rng, batches of 32 (last one 300 - 288 = 12)."""
    X, y = X_SP, Y_SP
    model = MLP([2, 16, 3], rng(1), activation="tanh", weight_init="glorot_uniform")
    ref = model.copy()
    lr, mu, bs = 0.2, 0.5, 32
    hist = train(model, X, y, rng=rng(5), epochs=2, batch_size=bs, lr=lr, momentum=mu,
                 progress=False)
    shuffle = rng(5)
    velocity = [np.zeros_like(p) for p in ref.parameters()]
    step_losses = []
    initial = losses.softmax_cross_entropy(ref.forward(X, keep=False), y)[0]
    for _ in range(2):
        order = shuffle.permutation(len(X))
        for start in range(0, len(X), bs):
            idx = order[start:start + bs]
            value, dout = losses.softmax_cross_entropy(ref.forward(X[idx]), y[idx])
            step_losses.append(value)
            for p, g, v in zip(ref.parameters(), ref.backward(dout), velocity, strict=True):
                v[...] = mu * v + g
                p -= lr * v
    assert len(hist.loss) == 2 * math.ceil(300 / bs) == len(step_losses)
    np.testing.assert_allclose(hist.loss, step_losses, rtol=1e-12)
    for got, want in zip(model.parameters(), ref.parameters(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert hist.epoch_loss[0] == pytest.approx(initial, rel=1e-12)
    assert hist.epoch_loss[1] == pytest.approx(np.mean(step_losses[:10]), rel=1e-12)
    assert len(hist.train_acc) == len(hist.epoch_loss) == 3
    assert hist.train_acc[-1] == np.mean(ref.predict(X) == y)
    assert len(hist.layer_grad_norms) == len(hist.loss)
    assert all(len(n) == 2 for n in hist.layer_grad_norms)


@pytest.mark.parametrize("kind", ["res_pre_alpha", "res_post", "res_none_alpha", "layer",
                                  "batch"])
def test_layer_grad_norms_are_the_dense_weights_gradient_norms(kind):
    """With LayerNorm gains, BatchNorm gains or a learned alpha among the parameters, row ``t``
    of ``layer_grad_norms`` is ``||dW||`` of each dense weight matrix, forward order, replayed
    from a copy of the model taken just before step ``t`` (weights found by identity)."""
    g = rng(3)
    if kind.startswith("res"):
        norm = kind.split("_")[1]
        model = ResidualMLP(2, 6, 3, 2, g, learn_alpha=kind.endswith("alpha"), alpha=0.5,
                            norm=norm, branch_depth=2)

        def dense(m):
            return [m.W_in, *(W for Ws in m.W for W in Ws), m.W_out]
    else:
        model = NormalizedMLP((2, 6, 5, 3), g, norm_kind=kind)

        def dense(m):
            return m.weights
    seen = []

    def hook(m, idx):
        seen.append((m.copy(), idx.copy()))
        return nullcontext()

    hist = train(model, X_SP[::5], Y_SP[::5], rng=rng(4), epochs=2, batch_size=16, lr=0.05,
                 momentum=0.9, step_hook=hook, track_layer_norms=True)
    assert not hist.diverged and len(hist.layer_grad_norms) == len(seen) == 8
    for (m, idx), row in zip(seen, hist.layer_grad_norms, strict=True):
        grads = m.backward(losses.softmax_cross_entropy(m.forward(X_SP[::5][idx]),
                                                        Y_SP[::5][idx])[1])
        params = m.parameters()
        where = [next(i for i, p in enumerate(params) if p is W) for W in dense(m)]
        assert len(params) > 2 * len(where)  # some parameters belong to no (W, b) pair
        np.testing.assert_allclose(row, [np.linalg.norm(grads[i]) for i in where], rtol=1e-12)


def test_relu_net_learns_spirals():
    model = MLP([2, 64, 64, 3], rng(1), activation="relu", weight_init="he_normal")
    hist = train(model, X_SP, Y_SP, rng=rng(2), epochs=150, batch_size=32, lr=0.1, momentum=0.9,
                 progress=False)
    assert hist.diverged_at is None
    assert hist.final_train_acc > 0.95, hist.train_acc[-5:]
    assert hist.epoch_loss[-1] < 0.2 * hist.epoch_loss[0]  # seeds 0-5: 0.02-0.06
    # the spirals are not linearly separable: the same loop with no hidden layer stays far below
    linear = MLP([2, 3], rng(1), weight_init="he_normal")
    lin = train(linear, X_SP, Y_SP, rng=rng(2), epochs=60, batch_size=32, lr=0.1, momentum=0.9,
                progress=False)
    assert lin.final_train_acc < 0.7  # seeds 0-5: 0.53-0.55


def test_zero_init_stays_at_chance_and_hidden_weights_stay_zero():
    """All-zero weights: Z = 0 in every hidden layer, relu'(0) = 0, so no hidden weight (nor the
    output weight, whose input is relu(0) = 0) ever moves; only the output bias learns the class
    prior. Balanced classes -> one constant prediction -> accuracy exactly 1/3."""
    model = MLP([2, 64, 64, 3], rng(1), activation="relu", weight_init="zeros")
    hist = train(model, X_SP, Y_SP, rng=rng(2), epochs=30, batch_size=32, lr=0.1, momentum=0.9,
                 progress=False)
    assert abs(hist.final_train_acc - 1 / 3) <= 0.02
    for W in model.weights:
        assert not W.any()
    assert not model.biases[0].any() and not model.biases[1].any()
    assert all(n[0] == 0.0 and n[1] == 0.0 for n in hist.layer_grad_norms)


def test_same_seed_same_history_bits():
    def run(global_seed: int) -> dict:
        np.random.seed(global_seed)  # global state must not matter  # noqa: NPY002
        model = MLP([2, 32, 3], rng(3), activation="tanh", weight_init="glorot_normal")
        return train(model, X_SP, Y_SP, rng=rng(4), epochs=5, batch_size=16, lr=0.05,
                     momentum=0.9, clip_norm=1.0, X_test=X_SP[::3], y_test=Y_SP[::3],
                     progress=False).to_dict()

    a, b = run(0), run(1)
    assert a == b
    assert json.loads(json.dumps(a)) == a  # plain Python numbers only (no np.float64)
    assert len(a["loss"]) == 5 * math.ceil(300 / 16) and len(a["test_acc"]) == 6


def test_different_shuffle_seed_changes_the_trajectory():
    model = MLP([2, 32, 3], rng(3), activation="tanh", weight_init="glorot_normal")
    h1 = train(model.copy(), X_SP, Y_SP, rng=rng(4), epochs=2, batch_size=16, lr=0.05,
               progress=False)
    h2 = train(model.copy(), X_SP, Y_SP, rng=rng(5), epochs=2, batch_size=16, lr=0.05,
               progress=False)
    assert h1.epoch_loss[0] == h2.epoch_loss[0]  # same start
    assert not np.allclose(h1.loss, h2.loss)


def test_clipped_flags_match_the_recorded_norms():
    model = MLP([2, 32, 3], rng(6), weight_init="he_normal")
    hist = train(model, X_SP, Y_SP, rng=rng(7), epochs=3, batch_size=16, lr=0.1, clip_norm=0.5,
                 progress=False)
    assert hist.clipped == [n > 0.5 for n in hist.grad_norm]
    assert any(hist.clipped) and not all(hist.clipped)


# ------------------------------------------------------------------ least squares and divergence


def _regression(seed: int = 8, n: int = 200):
    g = rng(seed)
    X = g.normal(size=(n, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3 + 0.1 * g.normal(size=(n, 1))
    A = np.column_stack([X, np.ones(n)])  # the bias is the last column
    lam_max = float(np.linalg.eigvalsh(A.T @ A / n).max())  # Hessian of mean(|A w - y|^2)/2
    return X, y, A, lam_max


def test_gradient_descent_converges_to_least_squares_below_the_threshold():
    X, y, A, lam_max = _regression()
    model = MLP([3, 1], rng(9), weight_init="glorot_normal")
    hist = train(model, X, y, rng=rng(10), epochs=200, batch_size=len(X), lr=1.0 / lam_max,
                 loss="mean_squared_error", progress=False)
    theta, *_ = np.linalg.lstsq(A, y, rcond=None)
    np.testing.assert_allclose(model.weights[0], theta[:3], rtol=1e-8)
    np.testing.assert_allclose(model.biases[0], theta[3], rtol=1e-8)
    best = float(np.sum((A @ theta - y) ** 2) / 2 / len(X))
    assert hist.epoch_loss[-1] == pytest.approx(best, rel=1e-8)
    assert hist.diverged_at is None and hist.train_acc == []  # no accuracy for regression


def test_learning_rate_above_2_over_lambda_max_diverges_cleanly():
    """GD on a quadratic multiplies the error along the top eigenvector by |1 - lr lambda_max|
    = 3 per step at lr = 4 / lambda_max: the loss overflows after ~330 steps."""
    X, y, _, lam_max = _regression()
    model = MLP([3, 1], rng(9), weight_init="glorot_normal")
    hist = no_warnings(train, model, X, y, rng=rng(10), epochs=2000, batch_size=len(X),
                       lr=4.0 / lam_max, loss="mean_squared_error", progress=False)
    assert hist.diverged and hist.diverged_at is not None
    assert 200 < hist.diverged_at < 2000
    assert len(hist.loss) == hist.diverged_at  # the steps before it, all finite
    assert np.all(np.isfinite(hist.loss)) and np.all(np.isfinite(hist.grad_norm))
    assert hist.loss[-1] > 1e100 > 1e3 * hist.loss[0]
    assert all(np.isfinite(p).all() for p in model.parameters())  # the bad step was not applied


@pytest.mark.parametrize(("activation", "lr"), [("identity", 1e10), ("relu", 1e100)])
def test_huge_learning_rate_cross_entropy_diverges_without_warnings(activation, lr):
    """Softmax CE, full batch (one step per epoch), huge lr: the weights overflow right before
    an end-of-epoch accuracy; the run is reported as diverged, with no RuntimeWarning."""
    model = MLP([2, 16, 3], rng(11), activation=activation, weight_init="he_normal")
    hist = no_warnings(train, model, X_SP, Y_SP, rng=rng(12), epochs=300, batch_size=len(X_SP),
                       lr=lr, progress=False)
    assert hist.diverged_at is not None
    assert isinstance(hist.to_dict()["diverged_at"], int)
    assert np.all(np.isfinite(hist.loss))


def test_history_accessors():
    hist = History(train_acc=[0.1, 0.5])
    assert hist.final_train_acc == 0.5 and not hist.diverged
    with pytest.raises(ValueError, match="X_test"):
        hist.final_test_acc  # noqa: B018


def test_non_finite_initial_loss_is_divergence_at_step_0():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 4))
    y = rng.integers(0, 3, 20)
    model = MLP([4, 8, 3], rng=np.random.default_rng(1), activation="identity")
    model.weights[0][:] = 1e200  # logits overflow to inf before any step
    model.weights[1][:] = 1e200
    hist = train(model, X, y, rng=rng, epochs=2, batch_size=5, lr=0.1)
    assert hist.diverged_at == 0
    assert hist.loss == []


# ------------------------------------------------------------------ clipping inside sgd_step


def _step_setup(seed: int, momentum: float = 0.0):
    gen = rng(seed)
    model = MLP([4, 9, 7, 3], gen, activation="tanh", weight_init="glorot_normal")
    X, y = gen.normal(size=(12, 4)), gen.integers(0, 3, 12)
    return model, SGD(model.parameters(), lr=0.07, momentum=momentum), X, y


def _plain_grads(model: MLP, X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The gradient at the model's current weights, on a copy, without the speed path."""
    clone = model.copy()
    return clone.backward(losses.softmax_cross_entropy(clone.forward(X), y)[1])


def _closed_form_clip(g: list[np.ndarray], c: float) -> list[np.ndarray]:
    """``g * min(1, c / ||g||)`` with ``||g||`` from one concatenated vector."""
    norm = np.linalg.norm(np.concatenate([a.ravel() for a in g]))
    return [a * min(1.0, c / norm) for a in g]


@pytest.mark.parametrize("ratio", [0.3, 0.999, 2.0])
def test_clipped_sgd_step_is_the_closed_form_and_returns_unclipped_grads(ratio):
    from initlab.train import sgd_step

    model, opt, X, y = _step_setup(20)
    lr = opt.lr
    p0 = [p.copy() for p in model.parameters()]
    g = _plain_grads(model, X, y)
    true_norm = float(np.linalg.norm(np.concatenate([a.ravel() for a in g])))
    c = ratio * true_norm
    loss, norm, grads, clipped = sgd_step(model, opt, X, y, losses.softmax_cross_entropy,
                                          clip_norm=c)
    assert norm == pytest.approx(true_norm, rel=1e-13)
    assert clipped is (ratio < 1)
    for got, want in zip(grads, g, strict=True):  # the returned grads are the unclipped ones
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    g_c = _closed_form_clip(g, c)
    for p, start, gc in zip(model.parameters(), p0, g_c, strict=True):
        np.testing.assert_allclose(p, start - lr * gc, rtol=1e-13, atol=1e-15)
    step_norm = math.sqrt(sum(float(np.sum((s - p) ** 2))
                              for s, p in zip(p0, model.parameters(), strict=True)))
    assert step_norm == pytest.approx(lr * min(c, true_norm), rel=1e-12)


def test_clipped_momentum_steps_are_the_closed_form():
    """v1 = clip(g1), v2 = mu v1 + clip(g2): p2 = p0 - lr (v1 + v2)."""
    from initlab.train import sgd_step

    model, opt, X, y = _step_setup(21, momentum=0.9)
    p0 = [p.copy() for p in model.parameters()]
    vs = []
    for _ in range(2):
        g = _plain_grads(model, X, y)
        c = 0.5 * float(np.linalg.norm(np.concatenate([a.ravel() for a in g])))
        g_c = _closed_form_clip(g, c)
        vs.append(g_c if not vs else [0.9 * v + a for v, a in zip(vs[-1], g_c, strict=True)])
        *_, grads, clipped = sgd_step(model, opt, X, y, losses.softmax_cross_entropy,
                                      clip_norm=c)
        assert clipped
        for got, want in zip(grads, g, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    for k, (p, start) in enumerate(zip(model.parameters(), p0, strict=True)):
        np.testing.assert_allclose(p, start - opt.lr * (vs[0][k] + vs[1][k]),
                                   rtol=1e-12, atol=1e-15)


def test_value_clipped_sgd_step_is_the_closed_form():
    from initlab.train import sgd_step

    model, opt, X, y = _step_setup(22)
    p0 = [p.copy() for p in model.parameters()]
    g = _plain_grads(model, X, y)
    c = 0.5 * max(float(np.abs(a).max()) for a in g)
    *_, grads, clipped = sgd_step(model, opt, X, y, losses.softmax_cross_entropy, clip_value=c)
    assert clipped
    for got, want in zip(grads, g, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    for p, start, a in zip(model.parameters(), p0, g, strict=True):
        np.testing.assert_allclose(p, start - opt.lr * np.minimum(np.maximum(a, -c), c),
                                   rtol=1e-13, atol=1e-15)
    *_, clipped = sgd_step(model, opt, X, y, losses.softmax_cross_entropy, clip_value=1e6)
    assert clipped is False


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize(("clip_norm", "clip_value"), [(0.05, None), (None, 0.01),
                                                       (0.05, 0.01), (1e6, 1e6)])
def test_clipping_in_the_step_is_bit_identical_to_the_allocating_functions(
        momentum, clip_norm, clip_value):
    """The step's buffers change where clipped gradients live, not one bit of the result:
    reference = the allocating ``clip_by_global_norm`` / ``clip_by_value`` then ``SGD.step``."""
    from initlab.train import sgd_step

    model, opt, X, y = _step_setup(23, momentum)
    ref = model.copy()
    ref_opt = SGD(ref.parameters(), lr=opt.lr, momentum=momentum)
    for _ in range(3):
        g = ref.backward(losses.softmax_cross_entropy(ref.forward(X), y)[1])
        if clip_norm is not None:
            g, _ = clip_by_global_norm(g, clip_norm)
        if clip_value is not None:
            g = clip_by_value(g, clip_value)
        ref_opt.step(g)
        sgd_step(model, opt, X, y, losses.softmax_cross_entropy, clip_norm=clip_norm,
                 clip_value=clip_value)
        for a, b in zip(model.parameters(), ref.parameters(), strict=True):
            assert np.array_equal(a, b)


def test_clipping_into_out_buffers_is_bit_identical():
    grads = random_grads(24, 10.0)
    kept = [g.copy() for g in grads]
    new, norm = clip_by_global_norm(grads, 1.0)
    out = [np.empty_like(g) for g in grads]
    into, norm_out = clip_by_global_norm(grads, 1.0, out=out)
    assert norm_out == norm and all(a is b for a, b in zip(into, out, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(into, new, strict=True))
    assert all(np.array_equal(g, k) for g, k in zip(grads, kept, strict=True))
    untouched, _ = clip_by_global_norm(grads, 1e6, out=out)  # below: the inputs, not out
    assert all(a is g for a, g in zip(untouched, grads, strict=True))
    by_value = clip_by_value(grads, 0.5, out=out)
    assert all(a is b for a, b in zip(by_value, out, strict=True))
    assert all(np.array_equal(a, b) for a, b in
               zip(by_value, clip_by_value(grads, 0.5), strict=True))
    in_place, _ = clip_by_global_norm(grads, 1.0, out=grads)
    assert all(np.array_equal(a, b) for a, b in zip(in_place, new, strict=True))
    with pytest.raises(ValueError, match="`out` must hold 4 arrays, got 3"):
        clip_by_global_norm(random_grads(24, 10.0), 1.0, out=out[:3])
    with pytest.raises(ValueError, match="got 5"):
        clip_by_value(grads, 0.5, out=out + out[:1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("clip_fraction", [None, 0.5, 0.01])
def test_sgd_step_is_bit_identical_to_the_formula_written_out(dtype, momentum, clip_fraction):
    """Five steps of ``sgd_step`` against the textbook update on a copy, written out with
    fresh arrays: ``s = c / ||g||`` if ``||g|| > c`` (``||g||`` = sqrt of the sum of the
    per-array dot products, in parameter order), ``g <- g * s``, ``v <- mu v + g``,
    ``p <- p - lr v`` (``p <- p - lr g`` without momentum). Every bit must agree: the step's
    buffers and its scale-as-you-go clipping change where values live, not the arithmetic."""
    from initlab.train import sgd_step

    gen = rng(25)
    model = MLP([6, 16, 16, 4], gen, weight_init="he_normal", dtype=dtype)
    X, y = gen.normal(size=(10, 6)).astype(dtype), gen.integers(0, 4, 10)
    lr = 0.05
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    ref = model.copy()
    v = [np.zeros_like(p) for p in ref.parameters()]
    c = None
    for _ in range(5):
        g = ref.backward(losses.softmax_cross_entropy(ref.forward(X), y)[1])
        norm = math.sqrt(sum(float(np.vdot(a, a)) for a in g))
        if clip_fraction is not None and c is None:
            c = clip_fraction * norm
        if c is not None and norm > c:
            g = [a * (c / norm) for a in g]
        if momentum:
            v = [momentum * b + a for b, a in zip(v, g, strict=True)]
            g = v
        new = [p - lr * a for p, a in zip(ref.parameters(), g, strict=True)]
        for p, q in zip(ref.parameters(), new, strict=True):
            p[...] = q
        loss, got_norm, _, clipped = sgd_step(model, opt, X, y, losses.softmax_cross_entropy,
                                              clip_norm=c)
        assert got_norm == norm and clipped is (c is not None and norm > c)
        for a, b in zip(model.parameters(), ref.parameters(), strict=True):
            assert a.dtype == dtype and np.array_equal(a, b)
        for a, b in zip(opt.velocity, v if momentum else [], strict=True):
            assert np.array_equal(a, b)
