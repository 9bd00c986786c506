"""Tests of initlab.training_diagnostics: ln K, the update:data ratio hook, per-epoch stats."""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import initializers, losses, network, train, training_diagnostics
from initlab.normalized import NormalizedMLP


def test_zero_output_layer_gives_exactly_ln_k() -> None:
    rng = np.random.default_rng(0)
    model = network.MLP((5, 8, 7), rng, weight_init=["he_normal", "zeros"])
    X, y = rng.normal(size=(20, 5)), rng.integers(0, 7, 20)
    out = training_diagnostics.initial_loss(model, X, y)
    assert out["ln_k"] == pytest.approx(math.log(7), rel=1e-15)
    assert out["initial_loss"] == pytest.approx(math.log(7), rel=1e-12)
    big = network.MLP((5, 8, 7), rng, weight_init=["he_normal",
                                                  initializers.get("random_normal", stddev=5.0)])
    assert training_diagnostics.initial_loss(big, X, y)["excess"] > 1.0


def test_update_ratio_of_plain_sgd_is_lr_times_gradient() -> None:
    """With momentum 0 and one full batch, the step is -lr * dW: ratio = std(lr dW) / std(W)."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(16, 4)), rng.integers(0, 3, 16)
    model = network.MLP((4, 6, 3), rng)
    probe = model.copy()
    grads = probe.backward(losses.get("softmax_cross_entropy")(probe.forward(X), y)[1])
    want = [math.log10(0.1 * float(g.std()) / float(W.std()))
            for g, W in zip(grads[0::2], probe.weights, strict=True)]
    rec = training_diagnostics.UpdateRatios()
    train.train(model, X, y, rng=rng, epochs=1, batch_size=16, lr=0.1, step_hook=rec.hook)
    assert rec.ratios.shape == (1, 2)
    np.testing.assert_allclose(rec.ratios[0], want, rtol=1e-10)


def test_epoch_stats_and_hooks_with_train_run() -> None:
    rng = np.random.default_rng(2)
    X_probe = rng.normal(size=(32, 64))
    rec = training_diagnostics.UpdateRatios()
    stats = training_diagnostics.EpochStats(X_probe)
    r = train.run(build=lambda data, g: NormalizedMLP((64, 16, 10), g, norm_kind="batch",
                                                      activation="tanh"),
                  seed=0, epochs=2, batch_size=100, lr=0.05, step_hook=rec.factory,
                  on_epoch=stats)
    assert not r.diverged
    n_steps = len(r.history.loss)
    assert rec.ratios.shape == (n_steps, 2)
    assert stats.stats["saturated_frac"].shape == (3, 2)
    assert np.all(np.isfinite(rec.ratios))


def test_errors() -> None:
    with pytest.raises(ValueError, match="no step"):
        _ = training_diagnostics.UpdateRatios().ratios
    with pytest.raises(ValueError, match="no epoch"):
        _ = training_diagnostics.EpochStats(np.zeros((2, 3))).stats
