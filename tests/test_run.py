"""initlab.train.run (one configured training) and initlab.dropout (a per-step hook)."""

import numpy as np
import pytest

from initlab import datasets, dropout, network, sweep, train

SETTINGS = {"epochs": 2, "batch_size": 32, "lr": 0.05, "activation": "tanh",
            "weight_init": "glorot_uniform"}
SIZES = (64, 16, 10)


def by_hand(seed, data_seed=0, shuffle=None, **kw):
    """The same run written out: data, model, training, in the documented order of draws."""
    data = datasets.load("digits", np.random.default_rng(data_seed))
    rng = np.random.default_rng(seed)
    model = network.MLP(SIZES, rng, activation="tanh", weight_init="glorot_uniform")
    train_rng = rng if shuffle is None else np.random.default_rng(shuffle)
    hist = train.train(model, data.X_train, data.y_train, rng=train_rng, epochs=2,
                       batch_size=32, lr=0.05, X_test=data.X_test, y_test=data.y_test,
                       progress=False, **kw)
    return model, hist


def test_run_is_the_documented_sequence_of_draws():
    r = train.run(SIZES, seed=3, **SETTINGS)
    model, hist = by_hand(3)
    assert r.history.test_acc == hist.test_acc
    for a, b in zip(r.model.parameters(), model.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert r.test_acc.shape == (3,) and r.epoch_loss.shape == (3,)
    assert r.chance == pytest.approx(np.bincount(r.data.y_test).max() / len(r.data.y_test))


def test_shuffle_seed_gives_the_permutations_their_own_generator():
    r = train.run(SIZES, seed=3, shuffle_seed=[3, 1], **SETTINGS)
    _, hist = by_hand(3, shuffle=[3, 1])
    assert r.history.loss == hist.loss
    assert r.history.loss != train.run(SIZES, seed=3, **SETTINGS).history.loss


def test_build_replaces_the_mlp_and_sees_data_and_rng():
    seen = {}

    def build(data, rng):
        seen["n"] = len(data.X_train)
        return network.MLP(SIZES, rng, activation="tanh", weight_init="glorot_uniform")

    r = train.run(build=build, seed=3, **SETTINGS)
    assert seen["n"] == len(r.data.X_train)
    assert r.history.test_acc == train.run(SIZES, seed=3, **SETTINGS).history.test_acc
    with pytest.raises(ValueError, match="exactly one"):
        train.run(SIZES, build=build, seed=3, **SETTINGS)
    with pytest.raises(ValueError, match="exactly one"):
        train.run(seed=3, **SETTINGS)


def test_runs_in_a_two_worker_sweep_equal_runs_in_process():
    configs = [{"sizes": SIZES, "seed": s, **SETTINGS} for s in (1, 2)]
    here = sweep.run(train.run_config, configs, n_jobs=1)
    there = sweep.run(train.run_config, configs, n_jobs=2)
    for a, b in zip(here, there, strict=True):
        np.testing.assert_array_equal(a.test_acc, b.test_acc)
    assert train.curves(here).shape == (2, 3)


def test_curves_leave_out_diverged_runs():
    ok = train.run(SIZES, seed=1, **SETTINGS)
    bad = train.run(SIZES, seed=1, **{**SETTINGS, "lr": 1e6, "activation": "relu",
                                      "weight_init": "he_normal"})
    assert bad.diverged
    assert train.curves([ok, bad]).shape == (1, 3)
    with pytest.raises(ValueError, match="diverged"):
        train.curves([bad])


def test_dropout_zero_is_bit_identical_to_no_dropout():
    a = train.run(SIZES, seed=4, step_hook=dropout.hook(0.0), **SETTINGS)
    b = train.run(SIZES, seed=4, **SETTINGS)
    assert a.history.loss == b.history.loss


def test_dropout_masks_are_drawn_after_the_permutation_and_restore_the_activation():
    r = train.run(SIZES, seed=4, step_hook=dropout.hook(0.5), **SETTINGS)
    assert r.model.activations[0].name == "tanh"          # restored after every step
    assert r.history.loss != train.run(SIZES, seed=4, **SETTINGS).history.loss
    # by hand: a step's forward with the mask equals the masked activations
    rng = np.random.default_rng(0)
    model = network.MLP(SIZES, rng, activation="tanh")
    X = rng.standard_normal((8, 64))
    step = dropout.hook(0.5)(np.random.default_rng(9))
    with step(model, np.arange(8)):
        out = model.forward(X)
        A1 = model.A[1].copy()
    m = dropout.mask(np.random.default_rng(9), (8, 16), 0.5)
    np.testing.assert_allclose(A1, np.tanh(X @ model.weights[0] + model.biases[0]) * m)
    assert out.shape == (8, 10)


def test_dropout_gradient_matches_finite_differences():
    rng = np.random.default_rng(5)
    model = network.MLP((5, 4, 3), rng, activation="tanh")
    X, y = rng.standard_normal((6, 5)), rng.integers(0, 3, 6)
    m = dropout.mask(np.random.default_rng(1), (6, 4), 0.3)
    model.activations[0] = dropout.masked(model.activations[0], m)
    from initlab import losses
    loss_fn = losses.get("softmax_cross_entropy")
    _, dout = loss_fn(model.forward(X), y)
    dW = model.backward(dout)[0]
    W, eps, num = model.weights[0], 1e-6, np.zeros_like(model.weights[0])
    for i in np.ndindex(W.shape):
        W[i] += eps
        up = loss_fn(model.forward(X), y)[0]
        W[i] -= 2 * eps
        down = loss_fn(model.forward(X), y)[0]
        W[i] += eps
        num[i] = (up - down) / (2 * eps)
    np.testing.assert_allclose(dW, num, rtol=1e-6, atol=1e-9)


def test_dropout_mask_moments_and_errors():
    m = dropout.mask(np.random.default_rng(0), (400, 500), 0.25)
    n = m.size
    # E[m] = 1, Var(m) = p/(1-p) = 1/3; SE of the mean sqrt(1/3 / n)
    assert abs(m.mean() - 1.0) < 5 * np.sqrt(1 / 3 / n)
    assert set(np.unique(m)) == {0.0, 1 / 0.75}
    with pytest.raises(ValueError, match="1.0"):
        dropout.hook(1.0)
    with pytest.raises(ValueError, match="not a hidden layer"):
        with dropout.hook(0.5, layer=1)(np.random.default_rng(0))(
                network.MLP(SIZES, np.random.default_rng(0)), np.arange(4)):
            pass
