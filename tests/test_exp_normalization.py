"""Tests of initlab.experiments.normalization: small, seeded runs against the theory.

- LayerNorm: scaling the hidden ``(W, b)`` by ``c`` leaves the logits (eps = 1e-12: relative
  change ~1e-11) and divides the gradient by ``c``; training at ``lr c^2`` with the other
  parameters at ``lr`` reproduces the ``c = 1`` curve.
- Mean-field BatchNorm rate: above 1, decreasing in the batch size, towards pi / (pi - 1).
- Routine: a zero-ish output layer starts at ln K, N(0, 1) weights saturate most tanh units.
"""

from __future__ import annotations

import math

import numpy as np

from initlab.experiments import normalization


def test_scale_invariance_to_rounding() -> None:
    out = normalization.scale_invariance(scales=(0.5, 1.0, 8.0), width=16, depth=2, eps=1e-12,
                                         batch_size=16, seed=0)
    assert out["ln_forward_max_rel_diff"] < 1e-9
    assert out["ln_grad_ratio_max_err"] < 1e-8
    assert abs(out["ln_grad_ratio_cmax"] - 1 / 8) < 1e-9


def test_training_collapses_at_lr_times_c_squared() -> None:
    out = normalization.scale_training(scales=(1.0, 4.0), width=16, depth=2, eps=1e-12,
                                       lr=0.05, epochs=1, batch_size=64, n_seeds=1, seed=0)
    assert out["ln_train_diverged"] == 0
    assert out["ln_collapse_max_diff"] < 1e-8
    assert out["ln_final_loss_cmax"] > out["ln_final_loss_c1"]  # lr / 16: slower


def test_mean_field_rate_decreases_with_batch_towards_pi_over_pi_minus_1() -> None:
    rates = [normalization.mean_field_rate(batch_size=b, n_samples=4000, n_iter=8, seed=0)
             for b in (4, 16, 64)]
    assert rates[0] > rates[1] > rates[2] > math.pi / (math.pi - 1) - 0.01
    assert rates[2] < math.pi / (math.pi - 1) + 0.03


def test_batchnorm_gradient_rate_matches_mean_field_and_ignores_scale() -> None:
    out = normalization.batchnorm_gradient(depth=20, width=128, batch_size=16, gains=(0.5, 1.0),
                                           n_seeds=1, seed=0, n_samples=4000, n_iter=8)
    assert abs(out["bn_rate_rel_err"]) < 0.06
    assert abs(out["bn_rate_min_gain"] / out["bn_rate"] - 1) < 0.03


def test_routine_stage_initial_loss_and_saturation() -> None:
    bad = normalization.routine_stage(stage="bad", width=32, depth=4, lr=0.05, epochs=1,
                                      batch_size=128, n_probe=64, seed=0)
    fixed = normalization.routine_stage(stage="hidden_fixed", width=32, depth=4, lr=0.05,
                                        epochs=1, batch_size=128, n_probe=64, seed=0)
    assert bad["initial_loss"] > bad["ln_k"] + 3
    assert abs(fixed["initial_loss"] - math.log(10)) < 0.02
    assert bad["sat_init"] > 0.5 > 0.2 > fixed["sat_init"]
    assert bad["grad_spread"] > 4.0 > 2.0 > fixed["grad_spread"]  # chi ~ 4.3 vs ~ 1 per layer
    assert fixed["ratios"].shape[1] == 5 and np.all(np.isfinite(fixed["ratios"]))


def test_exercises() -> None:
    tiny = normalization.exercise_output_scale(output_std=1e-4, width=16, depth=2, seed=0)
    assert abs(tiny["ex_initial_loss"] - tiny["ex_ln_k"]) < 1e-4
    big = normalization.exercise_output_scale(output_std=3.0, width=16, depth=2, seed=0)
    assert big["ex_initial_loss"] > big["ex_ln_k"] + 3
    small_b = normalization.exercise_batch_size(batch_size=8, depth=15, width=64, seed=0,
                                                n_samples=2000, n_iter=6)
    assert small_b["ex_bn_rate_theory"] > 1.6
