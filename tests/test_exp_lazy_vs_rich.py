"""Chapter 18 (lazy versus rich): the experiments against theory, small and seeded."""

from __future__ import annotations

import numpy as np
import pytest

from initlab import plotting
from initlab.experiments import lazy_vs_rich

SCALE = {"n_in": 10, "width": 32, "activation": "elu", "n_train": 60, "n_test": 100,
         "n_probe": 8, "steps": 100, "lr": 0.05}


@pytest.fixture(scope="module")
def scale():
    return lazy_vs_rich.output_scale(alphas=(0.3, 30, 100, 300), fit_alpha_min=30, n_seeds=1,
                                     seed=1, **SCALE)


@pytest.fixture(scope="module")
def dln():
    return lazy_vs_rich.diagonal_network(alphas=(1e-3, 1e-2, 0.1, 1.0, 10.0), grid_per_decade=2,
                                         n_train=20, dim=40, sparsity=2, max_steps=20000,
                                         n_seeds=1, seed=0)


def test_lazy_changes_fall_like_one_over_alpha(scale):
    """alpha in [30, 300]: the next order is O(1/alpha) relative, so the local slope is -1 to
    within a few times the relative kernel change at alpha = 30 (here < 1%)."""
    assert scale["weight_slope"] == pytest.approx(-1.0, abs=0.05)
    assert scale["kernel_slope"] == pytest.approx(-1.0, abs=0.1)
    assert scale["weight_change_small"] > 10 * scale["weight_change_large"]
    assert scale["test_acc"].shape == (1, 4) and 0 <= scale["acc_lazy"] <= 1


def test_figures_fit_the_column(scale, dln):
    plotting.check_fits_column(lazy_vs_rich.plot_output_scale(scale))
    plotting.check_fits_column(lazy_vs_rich.plot_diagonal(dln))


def test_diagonal_network_goes_from_l1_to_l2(dln):
    """2-sparse from 20 Gaussian measurements in 40 dims: basis pursuit recovers it exactly;
    at alpha = 10 the flow stays in the kernel regime (the min-l2 interpolant, to < 1%)."""
    assert dln["dln_l1_error"] < 1e-6
    # the approach to l1 is only logarithmic in alpha: at 1e-3 the prediction is ~0.05 here
    assert dln["dln_error_small"] < 0.1 * dln["dln_l2_error"]
    assert dln["dln_error_large"] == pytest.approx(dln["dln_l2_error"], rel=0.01)
    assert dln["dln_max_gap"] < 0.05
    assert 1e-3 < dln["dln_transition_pred"] < 10
    assert dln["dln_transition_gd"] == pytest.approx(dln["dln_transition_pred"], rel=0.3)


def test_exercises(scale):
    ex = lazy_vs_rich.exercise_alpha(alpha=1000.0, reference=scale, seed=1, **SCALE)
    assert ex["ex_alpha_weight_change"] == pytest.approx(ex["ex_alpha_weight_change_theory"],
                                                         rel=0.05)
    meas = lazy_vs_rich.exercise_measurements(n_train=20, alpha=1e-3, dim=40, sparsity=2,
                                              max_steps=20000, seed=0)
    assert meas["ex_meas_l1_error"] < 1e-6
    assert meas["ex_meas_gd_error"] < 0.1 * meas["ex_meas_l2_error"]
    assert np.isfinite(meas["ex_meas_l2_error"])
