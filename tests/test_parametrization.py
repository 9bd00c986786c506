"""Tests of initlab.parametrization: SP, NTK and muP as tables of width exponents.

References: at the base width every parametrization is SP (all multipliers 1); the sample
variance of each drawn weight matrix against ``2 / fan_in * m^e`` (tolerance: 5 standard
errors of a Gaussian sample variance, ``sqrt(2 / N)`` relative); Tensor Programs V's two
equivalent muP forms (Table 3 and the ``mup`` package's readout multiplier) train to the same
weights; and the defining property of muP: after one Adam or SGD step the output logits move
by an amount that does not grow with width, while under SP it grows like ``m``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import losses, parametrization
from initlab.network import MLP
from initlab.optim import make
from initlab.train import sgd_step


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name", sorted(parametrization.PARAMETRIZATIONS))
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_every_parametrization_is_sp_at_the_base_width(name, optimizer):
    s = parametrization.scalings(name, (10, 32, 32, 3), base_width=32, optimizer=optimizer)
    assert s["m"] == 1.0 and s["output_mult"] == 1.0
    assert s["init_var_mult"] == [1.0] * 3 and s["lr_mult"] == [1.0] * 6


def test_mup_table_against_tensor_programs_v():
    """Table 3 exponents at m = 4: Adam hidden/output lr 1/m; SGD input and hidden-bias lr m."""
    adam = parametrization.scalings("mup", (10, 128, 128, 3), base_width=32, optimizer="adam")
    sgd = parametrization.scalings("mup", (10, 128, 128, 3), base_width=32, optimizer="sgd")
    assert adam["init_var_mult"] == [1.0, 1.0, 0.25]
    assert adam["lr_mult"] == [1.0, 1.0, 0.25, 1.0, 0.25, 1.0]
    assert sgd["lr_mult"] == [4.0, 4.0, 1.0, 4.0, 0.25, 1.0]
    assert parametrization.roles(3) == ["input_weight", "hidden_bias", "hidden_weight",
                                        "hidden_bias", "output_weight", "output_bias"]


@pytest.mark.parametrize("name", ["sp", "mup", "mup_readout"])
def test_drawn_variances(name):
    sizes, base = (50, 400, 400, 20), 100
    model, _ = parametrization.build(name, sizes, rng(0), base_width=base)
    s = parametrization.scalings(name, sizes, base_width=base)
    for W, f in zip(model.weights, s["init_var_mult"], strict=True):
        want = 2.0 / W.shape[0] * f
        tol = 5 * math.sqrt(2.0 / W.size) * want
        assert abs(W.var() - want) < tol, (name, W.shape, W.var(), want)
    assert isinstance(model, parametrization.ScaledOutputMLP) == (name == "mup_readout")


def _train(name: str, optimizer: str, width: int, steps: int, lr: float, seed: int = 0):
    X = rng(100).normal(size=(64, 20))
    y = rng(101).integers(0, 5, size=64)
    model, mult = parametrization.build(name, (20, width, width, 5), rng(seed), base_width=32,
                                        optimizer=optimizer)
    before = model.forward(X, keep=False).copy()
    opt = make(optimizer, model.parameters(), lr=lr, lr_mult=mult)
    for _ in range(steps):
        sgd_step(model, opt, X, y, losses.softmax_cross_entropy)
    return model, before, model.forward(X, keep=False)


@pytest.mark.parametrize("optimizer,lr", [("sgd", 0.05), ("adam", 0.003)])
def test_mup_readout_trains_like_mup(optimizer, lr):
    a, a0, a1 = _train("mup", optimizer, 256, 3, lr)
    b, b0, b1 = _train("mup_readout", optimizer, 256, 3, lr)
    np.testing.assert_allclose(b0, a0, rtol=1e-12, atol=1e-14)
    # SGD: the same arithmetic reordered; Adam: the readout form divides by sqrt(v) + eps * m
    tol = 1e-12 if optimizer == "sgd" else 1e-4
    np.testing.assert_allclose(b1, a1, rtol=tol, atol=tol / 10)
    copy = b.copy()
    assert isinstance(copy, parametrization.ScaledOutputMLP)
    np.testing.assert_array_equal(copy.forward(rng(7).normal(size=(3, 20))),
                                  b.forward(rng(7).normal(size=(3, 20))))


@pytest.mark.parametrize("optimizer,lr", [("sgd", 0.05), ("adam", 0.003)])
def test_one_step_logit_change_flat_under_mup_growing_under_sp(optimizer, lr):
    """Tensor Programs V, Sec. 5: SP logits move ~ lr * n after one step; muP ~ lr."""
    def change(name, width):
        rms = []
        for seed in range(3):
            _, z0, z1 = _train(name, optimizer, width, 1, lr, seed)
            rms.append(np.sqrt(np.mean((z1 - z0) ** 2)))
        return float(np.mean(rms))
    # from 256 up (m >= 8): below, muP's output weights are still near SP's and the
    # W_out dh term (which shrinks like m^-1/2) adds to the change (SGD: 0.20 at m = 1, 0.07 at 8)
    ratio_mup = change("mup", 2048) / change("mup", 256)
    ratio_sp = change("sp", 2048) / change("sp", 256)
    assert 0.5 < ratio_mup < 2.0, ratio_mup       # 8x wider: flat
    assert ratio_sp > 4.0, ratio_sp               # ~ 8x


def test_plain_mlp_when_no_multiplier_and_errors():
    model, mult = parametrization.build("ntk", (4, 64, 64, 2), rng(0), base_width=16,
                                        optimizer="sgd")
    assert type(model) is MLP and mult == [1.0, 1.0, 0.25, 1.0, 0.25, 1.0]
    with pytest.raises(ValueError, match="abc"):
        parametrization.get("abc")
    with pytest.raises(ValueError, match="one width"):
        parametrization.scalings("mup", (4, 64, 32, 2), base_width=16)
