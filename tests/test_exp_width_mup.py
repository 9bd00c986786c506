"""Tests of the chapter 17 experiments (width and muP), on small widths and budgets.

References: the coordinate check's theory (SP logits move ~ lr n, slope ~1 with Adam; muP
flat), the parabola vertex of :func:`_optimum` against a known quadratic, the base width being
SP (the narrowest curves of SP and muP are the same runs, bit for bit), the learning-rate
sweep's SP optimum moving left with width under Adam, and the exercises' keys.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab.experiments import width_mup


def test_optimum_is_the_parabola_vertex():
    x = np.arange(-8.0, -2.0)
    loss = 0.3 * (x + 4.6) ** 2 + 1.0
    best, inside = width_mup._optimum(x, loss)
    assert inside and best == pytest.approx(-4.6, abs=1e-9)
    best, inside = width_mup._optimum(x, -x)          # decreasing: best at the end
    assert not inside and best == x[-1]
    loss[4] = math.inf                                 # neighbour diverged: grid point
    assert width_mup._optimum(x, loss) == (-5.0, False)


@pytest.fixture(scope="module")
def coord():
    return width_mup.coordinate_check(widths=(32, 128, 512), steps=1, lr=2.0**-7,
                                      batch_size=32, n_probe=32, n_seeds=1, seed=0)


def test_coordinate_check_sp_grows_mup_flat(coord):
    # one Adam step: SP logits ~ lr n (slope 1), muP Theta(1) (slope 0)
    assert 0.7 < coord["coord_sp_output_slope"] < 1.3
    assert abs(coord["coord_mup_output_slope"]) < 0.25
    assert abs(coord["coord_mup_hidden_slope"]) < 0.25
    # the base width is SP: the same network and the same step
    np.testing.assert_array_equal(coord["change"]["sp"][:, 0], coord["change"]["mup"][:, 0])


def test_lr_transfer_sp_optimum_moves_left_with_adam():
    res = width_mup.lr_transfer(widths=(32, 256), adam_log2_lrs=np.arange(-12, -3),
                                sgd_log2_lrs=(-3, -1), steps=15, batch_size=32, n_seeds=1,
                                seed=0)
    assert res["adam_sp_shift"] < -0.4                 # theory -1 per doubling
    assert abs(res["adam_mup_shift"]) < abs(res["adam_sp_shift"])
    for o in ("adam", "sgd"):  # base width: SP and muP are the same runs
        np.testing.assert_array_equal(res["loss"][o, "sp"][0], res["loss"][o, "mup"][0])
    assert res["lr_n_diverged"] >= 0 and all(np.isfinite(res["best"]["adam", "sp"]))
    ex = width_mup.exercise_transfer(optimizer="adam", transfer=res, steps=15, batch_size=32,
                                     seed=0)
    assert set(ex) == {"ex_transfer_optimizer", "ex_transfer_width", "ex_transfer_sp_diverged",
                       "ex_transfer_sp_ratio", "ex_transfer_mup_ratio"}
    # muP: the narrow optimum is (near) the wide one; SP: it is too large for the wide net
    assert ex["ex_transfer_sp_diverged"] or ex["ex_transfer_sp_ratio"] > ex["ex_transfer_mup_ratio"]


def test_exercise_coordinate_check_sgd():
    ex = width_mup.exercise_coordinate_check(optimizer="sgd", widths=(128, 1024), steps=1,
                                             lr=2.0**-7, batch_size=32, n_probe=32, seed=0)
    assert ex["ex_coord_optimizer"] == "sgd"
    assert 0.6 < ex["ex_coord_sp_slope"] < 1.4        # SGD's output step ~ lr |h|^2 ~ lr n
    assert ex["ex_coord_mup_slope"] < 0.3
