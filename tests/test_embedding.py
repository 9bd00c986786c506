"""EmbeddingMLP: lookup forward, scatter-add backward, checked by finite differences."""

import numpy as np
import pytest

from initlab.embedding import EmbeddingMLP
from initlab.losses import softmax_cross_entropy
from initlab.train import train


def _model(seed: int = 0, init: str = "random_normal") -> EmbeddingMLP:
    return EmbeddingMLP(7, 3, 2, [5], 4, np.random.default_rng(seed), embedding_init=init,
                        activation="tanh", weight_init="glorot_uniform")


def test_embedding_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    model = _model()
    T = rng.integers(0, 7, (6, 2))
    T[0] = [1, 1]  # a repeated token: its two gradient blocks must accumulate
    y = rng.integers(0, 4, 6)
    grads = model.backward(softmax_cross_entropy(model.forward(T), y)[1])
    eps = 1e-6
    numeric = np.zeros_like(model.E)
    for idx in np.ndindex(*model.E.shape):
        model.E[idx] += eps
        up = softmax_cross_entropy(model.forward(T), y)[0]
        model.E[idx] -= 2 * eps
        down = softmax_cross_entropy(model.forward(T), y)[0]
        model.E[idx] += eps
        numeric[idx] = (up - down) / (2 * eps)
    dE = grads[-1]
    rel = np.abs(numeric - dE) / np.maximum(np.abs(numeric) + np.abs(dE), 1e-12)
    assert rel.max() < 1e-6
    unused = np.setdiff1d(np.arange(7), T)
    assert np.all(dE[unused] == 0.0)  # rows never looked up get no gradient


def test_zero_embeddings_stay_identical_only_if_the_layer_above_is_symmetric_too():
    rng = np.random.default_rng(2)
    T = rng.integers(0, 7, (40, 2))
    y = rng.integers(0, 4, 40)
    # zero table AND zero first dense layer: dE = dX = dZ_0 @ W_0^T = 0, nothing separates
    frozen = _model(init="zeros")
    frozen.mlp.weights[0][:] = 0.0
    train(frozen, T, y, rng=np.random.default_rng(3), epochs=5, batch_size=8, lr=0.5)
    assert np.all(frozen.E == 0.0)
    # zero table, random layer above: each token's gradient is a label-dependent sum of
    # W_0 @ dZ_i over the examples that contain it, so the rows move apart
    free = _model(init="zeros")
    train(free, T, y, rng=np.random.default_rng(3), epochs=5, batch_size=8, lr=0.5)
    assert np.ptp(free.E, axis=0).max() > 1e-3


def test_forward_shapes_and_parameters_order():
    model = _model()
    T = np.array([[0, 6], [3, 3]])
    assert model.embed(T).shape == (2, 6)
    assert np.array_equal(model.embed(T)[1], np.r_[model.E[3], model.E[3]])
    assert model.forward(T).shape == (2, 4)
    assert model.parameters()[-1] is model.E


@pytest.mark.parametrize("bad, err", [
    (np.array([[0, 7]]), "in \\[0, 6\\]"),
    (np.array([[0, 1, 2]]), "shape \\(batch, 2\\)"),
    (np.array([[0.0, 1.0]]), "integers"),
])
def test_bad_token_ids_are_named(bad, err):
    with pytest.raises((ValueError, TypeError), match=err):
        _model().forward(bad)
