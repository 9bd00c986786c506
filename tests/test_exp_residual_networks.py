"""Chapter 15 (residual networks): the growth laws, identity at init, gradients, figures."""

import math

import numpy as np
import pytest

from initlab import plotting
from initlab.experiments import residual_networks


@pytest.fixture(scope="module")
def growth():
    return residual_networks.forward_variance(n_blocks=60, width=128, batch=128, n_seeds=3,
                                              seed=1)


def test_unscaled_stack_doubles_per_block(growth):
    """ln(q_L / q_0) / L against ln 2: at width 128 the Jensen correction is ~1-2 % and the
    spread of the mean over 3 seeds about 0.01; 0.05 is > 4 standard deviations."""
    assert growth["plain_rate"] == pytest.approx(math.log(2), abs=0.05)
    assert growth["plain_he_rate"] == pytest.approx(math.log(3), abs=0.07)
    assert growth["plain_he_n_overflowed"] == 0 and growth["plain_he_first_overflow"] == -1


def test_identity_inits_and_layer_norms(growth):
    assert growth["identity_max_dev"] == 0.0
    assert growth["post_ln_max_dev"] < 1e-4
    # pre-LN: slope 1 per block; cross-term random walk ~ 2 sqrt(q/n): se ~ 0.1 over 3 seeds
    assert growth["pre_ln_slope"] == pytest.approx(1.0, abs=0.35)
    # alpha = 1/sqrt(L): (1 + 1/L)^L = 2.69 at L = 60, ln-spread ~ 2/sqrt(n) / sqrt(3) = 0.1
    assert math.log(growth["scaled_ratio"]) == pytest.approx(math.log((1 + 1 / 60) ** 60),
                                                             abs=0.35)


def test_overflow_is_counted_not_averaged():
    """3^l overflows float64 near block 645 (later by the few-percent finite-width shortfall of
    the rate at width 32): at 800 blocks the net overflows, the rate is taken over the finite
    blocks, and the overflow block is recorded."""
    g = residual_networks.forward_variance(n_blocks=800, width=32, batch=16, n_seeds=1, seed=2)
    assert g["plain_he_n_overflowed"] == 1
    assert 600 <= g["plain_he_first_overflow"] <= 780
    assert all(math.isfinite(v) for v in g.values() if isinstance(v, float))


def test_gradients_per_block():
    grads = residual_networks.gradients_per_block(n_blocks=20, width=128, batch=64, n_seeds=2,
                                                  seed=3)
    assert grads["identity_grad_max_dev"] == 0.0
    # 2^(L/2) = 1024 at L = 20; the log-spread over 20 blocks at n = 128 is ~0.3
    assert math.log(grads["plain_grad_bottom"]) == pytest.approx(math.log(2**10), abs=0.7)
    assert grads["scaled_grad_bottom"] == pytest.approx((1 + 1 / 20) ** 10, rel=0.25)
    assert grads["post_over_pre_last"] == pytest.approx(grads["post_over_pre_last_theory"],
                                                        rel=0.35)


def test_exercises_follow_the_laws():
    ex = residual_networks.exercise_alpha(alpha=0.5, n_blocks=100, width=128, batch=64, seed=4)
    assert ex["ex_alpha_rate"] == pytest.approx(math.log(1.25), abs=0.04)
    xi = residual_networks.exercise_xiong(n_blocks=50, width=64, batch=64, seed=5)
    assert xi["ex_xiong_ratio"] == pytest.approx(xi["ex_xiong_ratio_theory"], rel=0.4)


def test_training_and_figures(growth):
    trained = residual_networks.training(depths=(2, 16), width=16, n_seeds=1, epochs=2, lr=0.02,
                                         momentum=0.9, batch_size=256, reach=0.5, seed=0)
    # unscaled: logits 2^(16/2) too large at this lr: diverges or stays at chance
    assert trained["plain_acc_deep"] < trained["train_chance"] + 0.05
    assert trained["rezero_n_diverged"] == 0 and trained["fixup_n_diverged"] == 0
    assert trained["rezero_acc_deep"] > trained["train_chance"] + 0.1
    grads = residual_networks.gradients_per_block(n_blocks=5, width=16, batch=16, n_seeds=1,
                                                  seed=0)
    for name, fig in (("forward", residual_networks.plot_forward_variance(growth)),
                      ("grads", residual_networks.plot_gradients(grads)),
                      ("training", residual_networks.plot_training(trained))):
        plotting.check_fits_column(fig, name)


def test_same_seed_same_bits():
    a = residual_networks.forward_variance(n_blocks=5, width=8, batch=8, n_seeds=1, seed=7)
    b = residual_networks.forward_variance(n_blocks=5, width=8, batch=8, n_seeds=1, seed=7)
    assert all(np.array_equal(a["q"][v], b["q"][v]) for v in residual_networks.VARIANTS)
