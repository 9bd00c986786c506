"""Tests of initlab.experiments.symmetry (chapter 3) against independent references.

References: the symmetry argument itself (identical units stay identical, exactly, in the
BLAS-free ``EXACT_DTYPE``), seeded Monte Carlo with tolerances in standard errors (formula
beside each), finite differences of the loss through a dropout mask, the library's own
training loop (``fit`` with no dropout must reproduce it bit for bit), closed forms for the
growth-rate fit, and Monte Carlo singular values for the Marchenko-Pastur entropy rank.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # tests only: figures are never shown here

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from initlab import activations, diagnostics, initializers, losses, network, train  # noqa: E402
from initlab.experiments import symmetry  # noqa: E402


def _small_data(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)  # 3 classes
    return X, y


def test_perturbed_constant_moments_and_eps_zero() -> None:
    rng = np.random.default_rng(0)
    W = symmetry.perturbed_constant(0.5, 0.0)((20, 30), rng)
    assert np.all(W == 0.5)
    assert rng.bit_generator.state == np.random.default_rng(0).bit_generator.state  # no draw
    eps, shape = 1e-3, (200, 100)
    W = symmetry.perturbed_constant(0.5, eps)(shape, np.random.default_rng(1))
    n = W.size
    # mean: SE = eps / sqrt(n); std: SE of a normal sample std = eps / sqrt(2 n); 5 SE each
    assert abs(W.mean() - 0.5) < 5 * eps / math.sqrt(n)
    assert abs(W.std() - eps) < 5 * eps / math.sqrt(2 * n)
    with pytest.raises(ValueError, match="-1"):
        symmetry.perturbed_constant(0.5, -1.0)


def test_unit_matrix_columns_are_the_units() -> None:
    model = network.MLP((4, 3, 2), np.random.default_rng(0), activation="tanh",
                        weight_init="glorot_uniform", bias_init="glorot_uniform")
    U = symmetry.unit_matrix(model)
    assert U.shape == (4 + 1 + 2, 3)
    for j in range(3):
        expected = np.concatenate([model.weights[0][:, j], [model.biases[0][j]],
                                   model.weights[1][j, :]])
        np.testing.assert_array_equal(U[:, j], expected)
    with pytest.raises(ValueError, match="hidden layer"):
        symmetry.unit_matrix(model, layer=1)


def test_constant_init_stays_exactly_symmetric_and_random_does_not() -> None:
    X, y = _small_data()
    for act in ("tanh", "relu"):
        model = network.MLP((5, 8, 3), np.random.default_rng(0), activation=act,
                            weight_init=symmetry.perturbed_constant(0.3, 0.0),
                            dtype=symmetry.EXACT_DTYPE)
        stats = []
        train.train(model, X, y, rng=np.random.default_rng(1), epochs=5, batch_size=7, lr=0.5,
                    momentum=0.9, track_layer_norms=False, progress=False,
                    on_epoch=lambda e, m, stats=stats: stats.append(symmetry.symmetry_stats(m)))
        assert not np.all(model.weights[0] == 0.3)  # training did move the weights
        assert all(s["max_abs_diff"] == 0.0 and s["n_distinct"] == 1 and s["rank"] == 1
                   for s in stats)
    model = network.MLP((5, 8, 3), np.random.default_rng(0), activation="tanh",
                        weight_init="glorot_uniform")
    s = symmetry.symmetry_stats(model)
    assert s["n_distinct"] == s["n_distinct_coarse"] == 8 and s["rank"] == 5  # rank <= 5 rows


def test_dropout_mask_moments() -> None:
    p, shape = 0.3, (400, 250)
    mask = symmetry.dropout_mask(np.random.default_rng(2), shape, p)
    assert set(np.unique(mask)) == {0.0, 1 / (1 - p)}
    # E[mask] = 1, Var(mask) = p / (1 - p): SE of the mean = sqrt(p / (1 - p) / N), 5 SE
    assert abs(mask.mean() - 1.0) < 5 * math.sqrt(p / (1 - p) / mask.size)
    # fraction dropped: binomial SE = sqrt(p (1 - p) / N), 5 SE
    assert abs((mask == 0).mean() - p) < 5 * math.sqrt(p * (1 - p) / mask.size)
    with pytest.raises(ValueError, match="1.0"):
        symmetry.dropout_mask(np.random.default_rng(0), shape, 1.0)


def test_dropout_activation_gradient_matches_finite_differences() -> None:
    X, y = _small_data(n=6)
    model = network.MLP((5, 4, 3), np.random.default_rng(3), activation="tanh",
                        weight_init="glorot_uniform")
    mask = symmetry.dropout_mask(np.random.default_rng(4), (6, 4), 0.5)
    mask[:, 0] = 0.0  # unit 0 dropped for every example: it must get no gradient at all
    model.activations[0] = symmetry.dropout_activation(activations.get("tanh"), mask)
    loss_fn = losses.softmax_cross_entropy
    _, dout = loss_fn(model.forward(X), y)
    dW0 = model.backward(dout)[0]
    h = 1e-6
    num = np.zeros_like(dW0)
    for idx in np.ndindex(*dW0.shape):
        for sign in (1, -1):
            model.weights[0][idx] += sign * h
            num[idx] += sign * loss_fn(model.forward(X, keep=False), y)[0] / (2 * h)
            model.weights[0][idx] -= sign * h
    # central differences: error O(h^2) ~ 1e-12 plus rounding ~ 1e-16 / h = 1e-10
    np.testing.assert_allclose(dW0, num, atol=1e-8)
    assert np.all(dW0[:, 0] == 0.0) and np.all(dW0[:, 1:] != 0.0)


def test_fit_without_dropout_reproduces_train_bit_for_bit() -> None:
    X, y = _small_data()
    models = [network.MLP((5, 6, 3), np.random.default_rng(0), activation="tanh",
                          weight_init="glorot_uniform") for _ in range(2)]
    h1 = symmetry.fit(models[0], X, y, rng=np.random.default_rng(5), epochs=3, batch_size=8,
                      lr=0.2, dropout=0.0, X_test=X, y_test=y)
    h2 = train.train(models[1], X, y, rng=np.random.default_rng(5), epochs=3, batch_size=8,
                     lr=0.2, X_test=X, y_test=y, progress=False)
    assert h1.loss == h2.loss and h1.test_acc == h2.test_acc
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
    # with dropout the units of a constant init separate from the first epoch
    model = network.MLP((5, 6, 3), np.random.default_rng(0), activation="tanh",
                        weight_init=symmetry.perturbed_constant(0.5, 0.0))
    symmetry.fit(model, X, y, rng=np.random.default_rng(5), epochs=1, batch_size=8, lr=0.2,
                 dropout=0.5)
    assert symmetry.symmetry_stats(model)["n_distinct"] == 6
    assert model.activations[0].name == "tanh"  # the mask wrapper is removed after training


def test_mp_entropy_rank_against_monte_carlo_and_limits() -> None:
    rng = np.random.default_rng(6)
    init = initializers.get("glorot_uniform")
    for shape in ((64, 32), (100, 100)):
        r = np.array([diagnostics.entropy_effective_rank(init(shape, rng)) for _ in range(40)])
        # 5 SE of the mean of 40 draws (SE = std / sqrt(40)) plus 1% for the finite size:
        # the formula is the large-matrix limit
        tol = 5 * r.std(ddof=1) / math.sqrt(len(r)) + 0.01 * min(shape)
        assert abs(r.mean() - symmetry.mp_entropy_rank(*shape)) < tol
    # a very tall matrix has (nearly) equal singular values: erank -> n
    assert symmetry.mp_entropy_rank(100_000, 10) == pytest.approx(10, rel=1e-3)
    assert symmetry.mp_entropy_rank(64, 32) == symmetry.mp_entropy_rank(32, 64)


def test_growth_rate_and_crossing_on_exact_exponential() -> None:
    epochs = np.arange(30)
    diff = 1e-7 * np.exp(0.8 * epochs)
    assert symmetry.log_growth_rate(epochs, diff) == pytest.approx(0.8, rel=1e-10)
    t = symmetry.crossing_epoch(epochs, diff, 1e-2)
    assert t == pytest.approx(math.log(1e5) / 0.8, rel=1e-10)  # log-linear interpolation exact
    assert symmetry.crossing_epoch(epochs, diff, 1e30) == math.inf
    with pytest.raises(ValueError, match="two epochs"):
        symmetry.log_growth_rate(epochs[:3], diff[:3])
