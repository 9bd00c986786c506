"""Chapter 4, vanishing and exploding gradients: the experiments behind the page.

What: one forward and one backward pass through a deep, untrained MLP whose weights are all
``N(0, g^2 / width)``, for a grid of gains ``g`` from vanishing to exploding and four
activations (sigmoid, tanh, relu, leaky relu) (:func:`.profiles.depth_profile`). Beside each
measurement, two predictions of :mod:`initlab.theory`:

- the small-signal line of variance propagation (Glorot & Bengio 2010; He et al. 2015): each
  layer multiplies the variance by ``n sigma^2 c = g^2 c``, so ``ln std`` grows by
  ``ln(g^2 c) / 2`` per layer (``theory.small_signal_rate``);
- the mean-field recursion (Poole et al. 2016; Schoenholz et al. 2017), which for tanh and
  sigmoid follows the variance into the saturated regime (``theory.mean_field_profile``).

Experiments, in the order of the page: :func:`gain_grid` (the grid, its heatmaps and the
ReLU-like rates against the line), :func:`rates_vs_theory` (every rate and saturated fraction
against mean field), :func:`recommended_gains` (each activation at PyTorch's
``calculate_gain``), :func:`train_comparison` (those gains trained on the digits) and
:func:`unit_gain` (weight versus bias gradients at ``Var(w) = 1/n``).

Why: the chapter's question is how fast signals and gradients shrink or grow with depth, and
whether the per-layer factor gets the rate right.

Shapes: see :mod:`.profiles`; grid arrays are ``(4, n_gains, n_layers)`` (activation, gain,
hidden layer), rates ``(4, n_gains)``. Every cell of a grid uses the same seed (common random
numbers): cells differ only by ``g`` and the activation.

Layout: the notebook's settings cell holds every size; each experiment takes them as keyword
arguments (or the grid it analyses) and returns one dict whose scalar entries are the numbers
the page records (literal keys, ``results.record_all``) and whose other entries are figure data
for the ``plot_*`` functions of :mod:`.figures`; ``data/reference/04_vanishing_exploding.json``
checks them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab import initializers, stats, sweep, theory, train
from initlab._checks import check_int
from initlab.experiments.vanishing_exploding.figures import (
    plot_gain_slider,
    plot_heatmaps,
    plot_profiles,
    plot_rates,
    plot_recommended,
    plot_training,
    plot_weight_vs_bias,
    unit_gain_table,
)
from initlab.experiments.vanishing_exploding.profiles import (
    ACTIVATIONS,
    LEAKY_ALPHA,
    STATS,
    activation,
    depth_profile,
    predicted_saturation,
    profile_config,
    rate_standard_error,
    recommended_gain,
)


def _index(grid: dict, g2: float) -> int:
    """Column of ``g^2`` in the grid (ValueError if absent)."""
    match = np.nonzero(np.isclose(grid["g"] ** 2, g2, rtol=1e-9))[0]
    if match.size != 1:
        raise ValueError(f"g^2 = {g2!r} is not on the grid {list(grid['g'] ** 2)}")
    return int(match[0])


def _first_over_last(v: np.ndarray) -> float:
    """Layer 1 relative to layer L (gradients)."""
    return float(v[0] / v[-1])


def _last_over_first(v: np.ndarray) -> float:
    """Layer L relative to layer 1 (activations)."""
    return float(v[-1] / v[0])


# ----------------------------------------------------------------------- 1. the grid


def gain_grid(*, width: int, n_layers: int, batch: int, g2_exponents: Sequence[int],
              seed: int, n_jobs: int = 1) -> dict:
    """:func:`.profiles.depth_profile` for every activation and every ``g^2 = 2^k``.

    Figure data ``(4, n_g, n_layers)``: each key of ``STATS`` and the mean field
    (``theory.mean_field_profile`` at ``sigma_w2 = g^2``) ``pred_act_std``,
    ``pred_grad_ratio`` (``std(dZ_l) / std(dZ_L)``), ``pred_saturated_frac``; rates
    ``(4, n_g)``, fitted slopes of ``ln std`` over the layers: ``act_rate``, ``grad_rate``
    (toward the input, > 0 = exploding), ``pred_*_rate``. Recorded: the largest gap of a
    relu-like rate to ``ln(g^2 c) / 2`` in finite-width standard errors, the fitted growth
    factors at He's ``g^2 = 2``, and the critical ``g^2`` of each activation (zero bias).
    """
    g = np.array([2.0 ** (k / 2) for k in g2_exponents])
    configs = [{"name": a, "g": float(gi), "seed": seed, "width": width, "n_layers": n_layers,
                "batch": batch} for a in ACTIVATIONS for gi in g]
    runs = sweep.run(profile_config, configs, n_jobs=n_jobs, progress=False)
    preds = [theory.mean_field_profile(activation(c["name"]), c["g"] ** 2, n_layers)
             for c in configs]
    shape = (len(ACTIVATIONS), g.size, n_layers)
    grid: dict = {key: np.array([r[key] for r in runs]).reshape(shape) for key in STATS}
    grid["pred_act_std"] = np.array([p["act_std"] for p in preds]).reshape(shape)
    grid["pred_grad_ratio"] = np.sqrt(np.array([p["grad_var"] for p in preds])).reshape(shape)
    grid["pred_saturated_frac"] = np.array([predicted_saturation(c["name"], p["q"])
                                            for c, p in zip(configs, preds, strict=True)]
                                           ).reshape(shape)
    layers = np.arange(1, n_layers + 1)
    for key, rate_key, sign in (("act_std", "act_rate", 1.0), ("grad_std", "grad_rate", -1.0),
                                ("pred_act_std", "pred_act_rate", 1.0),
                                ("pred_grad_ratio", "pred_grad_rate", -1.0)):
        grid[rate_key] = np.array([[sign * stats.log_slope(layers, v) for v in row]
                                   for row in grid[key]])
    rate_se = rate_standard_error(width, n_layers)
    errs = [abs(grid[key][ACTIVATIONS.index(a), j]
                - theory.small_signal_rate(activation(a), gi**2, backward))
            for a in ("relu", "leaky_relu") for j, gi in enumerate(g)
            for key, backward in (("act_rate", False), ("grad_rate", True))]
    relu, he = ACTIVATIONS.index("relu"), _index({"g": g}, 2.0)
    critical = {a: float(theory.critical_sigma_w2(0.0, activation(a))) for a in ACTIVATIONS}
    return {
        "width": width, "n_layers": n_layers, "batch": batch, "n_gains": int(g.size),
        "rate_se": rate_se, "relu_rate_max_z": float(max(errs) / rate_se),
        "relu_he_act_factor": float(math.exp(grid["act_rate"][relu, he])),
        "relu_he_grad_factor": float(math.exp(grid["grad_rate"][relu, he])),
        "critical_g2_sigmoid": critical["sigmoid"], "critical_g2_tanh": critical["tanh"],
        "critical_g2_relu": critical["relu"], "critical_g2_leaky_relu": critical["leaky_relu"],
        "g": g, **grid, "setup": {"width": width, "n_layers": n_layers, "batch": batch},
    }


def rates_vs_theory(grid: dict) -> dict:
    """The grid's rates and saturated fractions against mean field (:func:`gain_grid`).

    Largest gap of a gradient rate to mean field over all activations and gains; the sigmoid's
    largest gradient rate (negative: it vanishes at every gain) and largest ``chi_1``, its rate
    at ``g^2 = 1`` (bounded by ``ln(1/4)``, ``sigmoid' <= 1/4``); the layer-mean saturated
    fraction of tanh and sigmoid at the smallest and largest gain, and the largest gap of
    that fraction to mean field.
    """
    sig, tanh, g1 = ACTIVATIONS.index("sigmoid"), ACTIVATIONS.index("tanh"), _index(grid, 1.0)
    sat, sat_pred = grid["saturated_frac"].mean(axis=2), grid["pred_saturated_frac"].mean(axis=2)
    return {
        "meanfield_rate_max_err": float(np.max(np.abs(grid["grad_rate"]
                                                      - grid["pred_grad_rate"]))),
        "sigmoid_max_grad_rate": float(np.max(grid["grad_rate"][sig])),
        "sigmoid_max_grad_rate_pred": float(np.max(grid["pred_grad_rate"][sig])),
        "sigmoid_max_chi": float(max(theory.chi_1(float(g**2), 0.0, "sigmoid")
                                     for g in grid["g"])),
        "sigmoid_grad_rate_g1": float(grid["grad_rate"][sig, g1]),
        "sigmoid_grad_rate_g1_pred": float(grid["pred_grad_rate"][sig, g1]),
        "tanh_sat_small": float(sat[tanh, 0]), "tanh_sat_small_pred": float(sat_pred[tanh, 0]),
        "tanh_sat_large": float(sat[tanh, -1]), "tanh_sat_large_pred": float(sat_pred[tanh, -1]),
        "sigmoid_sat_small": float(sat[sig, 0]), "sigmoid_sat_small_pred": float(sat_pred[sig, 0]),
        "sigmoid_sat_large": float(sat[sig, -1]),
        "sigmoid_sat_large_pred": float(sat_pred[sig, -1]),
        "sat_max_err": float(np.max(np.abs(sat - sat_pred))),
    }


# ------------------------------------------------------------------ 2. the remedy


def recommended_gains(*, width: int, n_layers: int, batch: int, seed: int) -> dict:
    """:func:`.profiles.depth_profile` of each activation at its ``recommended_gain``.

    Figure data: ``profiles[name]`` and the mean-field ``pred_grad_ratio[name]`` ``(L,)``.
    Recorded, for relu at He's gain, leaky relu and tanh at theirs: activation std layer L over
    layer 1, gradient std layer 1 over layer L, measured and mean field; and leaky relu's
    ``ln`` gradient ratio in standard errors of a finite-width random walk of ``L - 1`` steps,
    each of variance ``5 / (4 width)`` (``theory.finite_width_log_std``: ``ln v / 2``).
    """
    gains = {a: recommended_gain(a) for a in ACTIVATIONS}
    profiles = {a: depth_profile(a, gains[a], width=width, n_layers=n_layers, batch=batch,
                                 seed=seed) for a in ACTIVATIONS}
    pred = {a: np.sqrt(theory.mean_field_profile(activation(a), gains[a] ** 2,
                                                 n_layers)["grad_var"]) for a in ACTIVATIONS}
    act = {a: _last_over_first(profiles[a]["act_std"]) for a in ACTIVATIONS}
    grad = {a: _first_over_last(profiles[a]["grad_std"]) for a in ACTIVATIONS}
    grad_pred = {a: _first_over_last(pred[a]) for a in ACTIVATIONS}
    walk_se = theory.finite_width_log_std(n_layers - 1, width) / 2.0
    return {
        "relu_he_act_ratio": act["relu"], "relu_he_grad_ratio": grad["relu"],
        "relu_he_grad_ratio_pred": grad_pred["relu"],
        "leaky_gain_act_ratio": act["leaky_relu"], "leaky_gain_grad_ratio": grad["leaky_relu"],
        "leaky_gain_grad_ratio_pred": grad_pred["leaky_relu"],
        "tanh_gain_act_ratio": act["tanh"], "tanh_gain_grad_ratio": grad["tanh"],
        "tanh_gain_grad_ratio_pred": grad_pred["tanh"],
        "leaky_gain": gains["leaky_relu"],
        "leaky_gain_grad_z": math.log(grad["leaky_relu"]) / walk_se,
        "gains": gains, "profiles": profiles, "pred_grad_ratio": pred,
        "setup": {"width": width, "n_layers": n_layers},
    }


def train_comparison(*, width: int, n_layers: int, epochs: int, lr: float, momentum: float,
                     batch_size: int, seed: int, n_jobs: int = 1) -> dict:
    """Train each activation at its ``recommended_gain`` on the digits (``train.run``).

    Network ``64 -> width (x n_layers, activation) -> 10``, weights ``N(0, g^2 / width)``
    (every hidden layer square, so ``g`` means the same everywhere), zero biases, SGD with
    ``momentum``, softmax cross-entropy. One stratified split drawn from ``seed``; every
    network starts from ``seed + 1``. ``test_acc[name]``: ``(epochs + 1,)`` (entry 0 = before
    training); recorded: the final and the best test accuracy of each activation.
    """
    width = check_int(width, "width", minimum=1)
    sizes = [64] + [width] * n_layers + [10]
    configs = [{"sizes": sizes, "seed": seed + 1, "data_seed": seed, "epochs": epochs,
                "batch_size": batch_size, "lr": lr, "momentum": momentum,
                "activation": activation(a), "weight_init": initializers.get(
                    "random_normal", stddev=recommended_gain(a) / math.sqrt(width))}
               for a in ACTIVATIONS]
    runs = sweep.run(train.run_config, configs, n_jobs=n_jobs, progress=False)
    for a, r in zip(ACTIVATIONS, runs, strict=True):
        if r.diverged:
            raise ValueError(f"{a} diverged at step {r.history.diverged_at}")
    acc = {a: r.test_acc for a, r in zip(ACTIVATIONS, runs, strict=True)}
    return {
        "train_epochs": epochs,
        "train_final_acc_sigmoid": float(acc["sigmoid"][-1]),
        "train_final_acc_tanh": float(acc["tanh"][-1]),
        "train_final_acc_relu": float(acc["relu"][-1]),
        "train_final_acc_leaky_relu": float(acc["leaky_relu"][-1]),
        "train_best_acc_sigmoid": float(acc["sigmoid"].max()),
        "train_best_acc_tanh": float(acc["tanh"].max()),
        "train_best_acc_relu": float(acc["relu"].max()),
        "train_best_acc_leaky_relu": float(acc["leaky_relu"].max()),
        "test_acc": acc, "gains": {a: recommended_gain(a) for a in ACTIVATIONS},
        "setup": {"width": width, "n_layers": n_layers},
    }


# ------------------------------------------------------------- 3. weights versus biases


def unit_gain(grid: dict) -> dict:
    """At ``g^2 = 1`` (``Var(w) = 1/n``), per activation, from :func:`gain_grid`: activation
    std layer L over layer 1, and layer 1 over layer L of the back-propagated gradient std
    (measured and mean field), the weight-gradient norm ``||A_{l-1}^T dZ_l||`` and the
    bias-gradient norm ``||sum_batch dZ_l||``. ``columns``: the same numbers as a table."""
    j = _index(grid, 1.0)
    col = {
        "act. std L / 1": [_last_over_first(v) for v in grid["act_std"][:, j]],
        "dL/dZ 1 / L": [_first_over_last(v) for v in grid["grad_std"][:, j]],
        "dL/dZ 1 / L, mean field": [_first_over_last(v) for v in grid["pred_grad_ratio"][:, j]],
        "‖dW‖ 1 / L": [_first_over_last(v) for v in grid["weight_grad_norm"][:, j]],
        "‖db‖ 1 / L": [_first_over_last(v) for v in grid["bias_grad_norm"][:, j]],
    }
    act, grad, pred, weight, bias = (dict(zip(ACTIVATIONS, c, strict=True))
                                     for c in col.values())
    return {
        "act_ratio_sigmoid": act["sigmoid"], "act_ratio_tanh": act["tanh"],
        "act_ratio_relu": act["relu"], "act_ratio_leaky_relu": act["leaky_relu"],
        "backprop_grad_ratio_sigmoid": grad["sigmoid"], "backprop_grad_ratio_tanh": grad["tanh"],
        "backprop_grad_ratio_relu": grad["relu"],
        "backprop_grad_ratio_leaky_relu": grad["leaky_relu"],
        "backprop_grad_ratio_sigmoid_pred": pred["sigmoid"],
        "backprop_grad_ratio_tanh_pred": pred["tanh"],
        "backprop_grad_ratio_relu_pred": pred["relu"],
        "backprop_grad_ratio_leaky_relu_pred": pred["leaky_relu"],
        "weight_grad_ratio_sigmoid": weight["sigmoid"], "weight_grad_ratio_tanh": weight["tanh"],
        "weight_grad_ratio_relu": weight["relu"],
        "weight_grad_ratio_leaky_relu": weight["leaky_relu"],
        "bias_grad_ratio_sigmoid": bias["sigmoid"], "bias_grad_ratio_tanh": bias["tanh"],
        "bias_grad_ratio_relu": bias["relu"], "bias_grad_ratio_leaky_relu": bias["leaky_relu"],
        "columns": col,
    }


# ------------------------------------------------------------- 4. explore the grid


def gain_explorer(grid: dict) -> dict:
    """The grid of :func:`gain_grid` as frames of the page's slider, one per ``g^2``.

    ``act[a]``, ``act_pred[a]``: ``(n_gains, n_layers)``, the activation std of layer ``l``
    over layer 1, measured and mean field; ``grad[a]``, ``grad_pred[a]``: the gradient std of
    layer ``l`` over layer ``L``. Recorded, per activation: the ``g^2`` of the frame whose
    curve is flattest, i.e. whose last-over-first ratio has the smallest ``|ln|``, for the
    activations (``explore_flat_act_g2_*``) and for the gradients (``explore_flat_grad_g2_*``).
    The small-signal factor is 1 at ``g^2 = 1 / c``: 2 for ReLU (He).
    """
    act = {a: grid["act_std"][i] / grid["act_std"][i][:, :1] for i, a in enumerate(ACTIVATIONS)}
    grad = {a: grid["grad_std"][i] / grid["grad_std"][i][:, -1:]
            for i, a in enumerate(ACTIVATIONS)}
    act_pred = {a: grid["pred_act_std"][i] / grid["pred_act_std"][i][:, :1]
                for i, a in enumerate(ACTIVATIONS)}
    grad_pred = {a: grid["pred_grad_ratio"][i] / grid["pred_grad_ratio"][i][:, -1:]
                 for i, a in enumerate(ACTIVATIONS)}
    g2 = grid["g"] ** 2

    def flat(curves: np.ndarray, end: int) -> float:
        return float(g2[np.argmin(np.abs(np.log(curves[:, end])))])

    return {
        "explore_n_frames": int(g2.size),
        "explore_flat_act_g2_sigmoid": flat(act["sigmoid"], -1),
        "explore_flat_act_g2_tanh": flat(act["tanh"], -1),
        "explore_flat_act_g2_relu": flat(act["relu"], -1),
        "explore_flat_act_g2_leaky_relu": flat(act["leaky_relu"], -1),
        "explore_flat_grad_g2_sigmoid": flat(grad["sigmoid"], 0),
        "explore_flat_grad_g2_tanh": flat(grad["tanh"], 0),
        "explore_flat_grad_g2_relu": flat(grad["relu"], 0),
        "explore_flat_grad_g2_leaky_relu": flat(grad["leaky_relu"], 0),
        "g2": g2, "act": act, "grad": grad, "act_pred": act_pred, "grad_pred": grad_pred,
    }


# --------------------------------------------------------------- 5. predict, then run


def exercise_relu_gain(*, g2: float, width: int, n_layers: int, batch: int, seed: int) -> dict:
    """Exercise: a ReLU net at ``n Var(w) = g2``; activation std of layer L over layer 1,
    measured (:func:`.profiles.depth_profile`) and predicted, ``(g2 c)^((L - 1) / 2)``
    with ``c = 1/2`` (``theory.small_signal_factors``)."""
    profile = depth_profile("relu", math.sqrt(g2), width=width, n_layers=n_layers, batch=batch,
                            seed=seed)
    c, _ = theory.small_signal_factors(activation("relu"))
    return {
        "ex_gain_g2": float(g2), "ex_gain_n_layers": n_layers,
        "ex_gain_act_ratio": _last_over_first(profile["act_std"]),
        "ex_gain_act_ratio_theory": float((g2 * c) ** ((n_layers - 1) / 2)),
    }


def exercise_sigmoid_depth(*, n_layers: int, width: int, batch: int, seed: int) -> dict:
    """Exercise: a sigmoid net of ``n_layers`` at ``Var(w) = 1/n`` (``g = 1``); gradient std
    of layer 1 over layer L, measured, mean field (``theory.mean_field_profile``), and the
    bound ``(1/4)^(L - 1)`` from ``sigmoid' <= 1/4``."""
    profile = depth_profile("sigmoid", 1.0, width=width, n_layers=n_layers, batch=batch,
                            seed=seed)
    pred = np.sqrt(theory.mean_field_profile(activation("sigmoid"), 1.0, n_layers)["grad_var"])
    return {
        "ex_sigmoid_n_layers": n_layers,
        "ex_sigmoid_grad_ratio": _first_over_last(profile["grad_std"]),
        "ex_sigmoid_grad_ratio_pred": _first_over_last(pred),
        "ex_sigmoid_grad_bound": 0.25 ** (n_layers - 1),
    }


__all__ = ["ACTIVATIONS", "LEAKY_ALPHA", "STATS", "activation", "depth_profile",
           "exercise_relu_gain", "exercise_sigmoid_depth", "gain_explorer", "gain_grid",
           "plot_gain_slider",
           "plot_heatmaps", "plot_profiles", "plot_rates", "plot_recommended", "plot_training",
           "plot_weight_vs_bias", "predicted_saturation", "rate_standard_error",
           "rates_vs_theory", "recommended_gain", "recommended_gains", "train_comparison",
           "unit_gain", "unit_gain_table"]
