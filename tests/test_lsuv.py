"""LSUV: every layer's output variance ends within 1 +- tol, measured by an independent forward."""

import numpy as np
import pytest

from initlab.lsuv import lsuv
from initlab.network import MLP


@pytest.mark.parametrize("activation", ["elu", "sine", "tanh", "relu"])
def test_every_layer_ends_at_unit_variance(activation):
    rng = np.random.default_rng(0)
    model = MLP([32] + [64] * 8 + [10], rng, activation=activation, weight_init="glorot_uniform")
    X = rng.standard_normal((512, 32))
    report = lsuv(model, X, rng=rng, tol=0.05)
    model.forward(X, keep=True)
    variances = np.array([np.var(Z) for Z in model.Z])
    assert np.all(np.abs(variances - 1.0) <= 0.05), variances
    assert np.allclose(variances, report["var_after"], rtol=1e-12)
    assert all(1 <= it <= 10 for it in report["iterations"])


def test_orthogonal_preinit_then_pure_rescaling():
    rng = np.random.default_rng(1)
    model = MLP([16, 16, 16], rng, activation="identity", weight_init="random_normal")
    lsuv(model, rng.standard_normal((256, 16)), rng=rng)
    for W in model.weights:
        # a rescaled orthogonal matrix: W^T W is a multiple of the identity
        G = W.T @ W
        assert np.allclose(G, G[0, 0] * np.eye(16), atol=1e-10)


def test_bad_arguments_are_named():
    rng = np.random.default_rng(2)
    model = MLP([4, 4, 2], rng)
    with pytest.raises(ValueError, match="at least 2 rows"):
        lsuv(model, np.ones((1, 4)), rng=rng)
    with pytest.raises(ValueError, match="tol"):
        lsuv(model, np.ones((8, 4)), rng=rng, tol=-1.0)
    with pytest.raises(TypeError, match="default_rng"):
        lsuv(model, np.ones((8, 4)), rng=42)
    with pytest.raises(ValueError, match="output variance is 0.0"):
        lsuv(model, np.zeros((8, 4)), rng=rng)  # zero input, zero biases: Var(Z) = 0
