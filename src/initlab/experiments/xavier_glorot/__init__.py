"""Chapter 5, Xavier / Glorot initialization: the experiments behind the page.

What: four experiments on Glorot and Bengio's (2010) variance argument for tanh networks.

1. :func:`source_demo`, :func:`fan_sweep`: the sources' 1000 draws from ``U(+-1/sqrt(n))``
   with ``n = 10`` inputs (Glorot's *standard* heuristic, ``Var(w) = 1 / (3 fan_in)``, which the
   sources call "Xavier"), and how that bound and the normalized one,
   ``sqrt(6 / (fan_in + fan_out))`` (their eq. 16), narrow as ``fan_in`` grows.
2. :func:`init_statistics`: their Figs. 6/7 at initialization. A tanh net on the digits;
   per-layer histograms of the activations ``A_l`` and of the back-propagated gradients
   ``dL/dZ_l``, standard versus normalized init, with the mean-field prediction of every std.
3. :func:`train_comparison`: test accuracy per epoch of a deeper tanh net on the digits for the
   standard, normalized and normalized-times-5/3 (PyTorch's tanh gain) inits, over seeds.
4. :func:`depth_profile`, :func:`tanh_gain_candidates`: activation and gradient std through
   many tanh layers with gain 1 and 5/3, against the length map of Poole et al. (2016).

Why: the sources quote the uniform range without its derivation and under the wrong name; the
chapter derives both conditions (``fan_in Var(w) = 1`` forward, ``fan_out Var(w) = 1`` backward),
shows what each init does to a deep tanh net, and measures where the tanh gain 5/3 lands.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples, ``Z_l = A_{l-1} @ W_l``,
``A_l = tanh(Z_l)``.

Layout: the notebook's settings cell holds every size; each experiment takes them as keyword
arguments and returns one dict whose scalar entries are the numbers the page records (literal
keys, ``results.record_all``) and whose other entries are figure data for the ``plot_*`` and
``*_table`` functions of :mod:`.figures`; ``data/reference/05_xavier_glorot.json`` checks them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from initlab import (
    datasets,
    diagnostics,
    initializers,
    losses,
    network,
    stats,
    sweep,
    theory,
    train,
)
from initlab._checks import check_choice, check_int
from initlab.experiments.xavier_glorot.figures import (
    plot_depth_profile,
    plot_layer_histograms,
    plot_source_demo,
    plot_training,
)

#: The three inits the chapter compares, as ``initializers.get`` arguments.
#: "standard" = U(+-1/sqrt(fan_in)); "normalized" = U(+-sqrt(6/(fan_in+fan_out)));
#: "tanh_gain" = normalized times PyTorch's calculate_gain("tanh") = 5/3, i.e.
#: ``xavier_uniform_(gain=5/3)``: Var(w) = (5/3)^2 * 2 / (fan_in + fan_out).
TANH_GAIN = initializers.calculate_gain("tanh")
SCHEMES: dict[str, tuple[str, dict]] = {
    "standard": ("glorot_standard", {}),
    "normalized": ("glorot_uniform", {}),
    "tanh_gain": ("variance_scaling",
                  {"scale": TANH_GAIN**2, "mode": "fan_avg", "distribution": "uniform"}),
}


def scheme(name: str) -> Callable[..., np.ndarray]:
    """The initializer ``(shape, rng, dtype) -> W`` of scheme ``name`` (a key of SCHEMES)."""
    check_choice(name, "scheme", SCHEMES)
    return initializers.get(SCHEMES[name][0], **SCHEMES[name][1])


def scheme_variance(name: str, shape: tuple[int, int]) -> float:
    """``Var(w)`` of scheme ``name`` for an ``(n_in, n_out)`` kernel.

    standard: ``bound^2 / 3 = 1 / (3 fan_in)``; normalized: ``2 / (fan_in + fan_out)``;
    tanh_gain: ``(5/3)^2 * 2 / (fan_in + fan_out)``.
    """
    check_choice(name, "scheme", SCHEMES)
    fan_in, fan_out = shape
    if name == "standard":
        return 1.0 / (3.0 * fan_in)
    gain2 = TANH_GAIN**2 if name == "tanh_gain" else 1.0
    return gain2 * 2.0 / (fan_in + fan_out)


# ----------------------------------------------------------------------- 1. the 1000 draws


def source_demo(*, fan_in: int, n_draws: int, seed: int) -> dict:
    """The sources' demo: ``n_draws`` weights for a node with ``fan_in`` inputs, ``U(+-1/sqrt(n))``.

    Draws with ``random_uniform(minval=-1/sqrt(n), maxval=1/sqrt(n))`` as the sources do, then a
    ``(fan_in, n_draws // fan_in)`` kernel with ``glorot_standard`` (PyTorch's default Linear
    init, ``kaiming_uniform_(a=sqrt(5))``), whose bound ``sqrt(3) * gain / sqrt(fan_in)`` with
    ``gain = calculate_gain("leaky_relu", sqrt(5)) = 1/sqrt(3)`` must equal ``1/sqrt(n)``.
    Also: the theoretical std ``1/sqrt(3 n)``, the standard errors of the sample mean and std
    (``stats.uniform_standard_errors``) and the normalized bound of a square layer.
    """
    fan_in = check_int(fan_in, "fan_in", minimum=1)
    n_draws = check_int(n_draws, "n_draws", minimum=fan_in)
    rng = np.random.default_rng(check_int(seed, "seed"))
    bound = 1.0 / math.sqrt(fan_in)
    w = initializers.get("random_uniform", minval=-bound, maxval=bound)((n_draws,), rng)
    W_std = scheme("standard")((fan_in, n_draws // fan_in), rng)
    gain = initializers.calculate_gain("leaky_relu", math.sqrt(5.0))
    bound_pytorch = math.sqrt(3.0) * gain / math.sqrt(fan_in)
    se_mean, se_std = stats.uniform_standard_errors(bound, n_draws)
    return {
        "demo_lower": -bound, "demo_upper": bound,
        "demo_bound_error": abs(bound_pytorch - bound),
        "demo_min": float(w.min()), "demo_max": float(w.max()),
        "demo_mean": float(w.mean()), "demo_std": float(w.std()),
        "demo_std_theory": bound / math.sqrt(3.0),
        "demo_se_mean": se_mean, "demo_se_std": se_std,
        "demo_glorot_standard_max_abs": float(np.abs(W_std).max()),
        "demo_normalized_bound": math.sqrt(6.0 / (fan_in + fan_in)),
        "weights": w, "setup": {"fan_in": fan_in, "n_draws": n_draws},
    }


def demo_table(demo: dict) -> pd.DataFrame:
    """The sources' printout: bounds, min, max, mean and std of the draws, rounded to 4 digits."""
    rows = {"lower bound": "demo_lower", "upper bound": "demo_upper", "min": "demo_min",
            "max": "demo_max", "mean": "demo_mean", "std": "demo_std"}
    return pd.DataFrame({"value": [demo[k] for k in rows.values()]}, index=list(rows)).round(4)


def fan_sweep(*, fans: Sequence[int], seed: int) -> dict:
    """Bound and measured weight std of square ``(n, n)`` layers for each ``n`` in ``fans``.

    standard: bound ``1/sqrt(n)``, std ``1/sqrt(3 n)``; normalized: bound
    ``sqrt(6 / (n + n)) = sqrt(3 / n)``, std ``1/sqrt(n)``. ``fan_slope_*``: least-squares
    slope of ``log(measured std)`` on ``log n`` (theory: -1/2); ``fan_max_z``: the largest
    ``|measured - theory| / SE(std)`` over all fans and both schemes (``n^2`` draws each).
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    fans = np.array([check_int(n, "fans entry", minimum=1) for n in fans])
    out: dict = {"fans": fans, "bound": {}, "std": {}, "slope": {}}
    z_scores = []
    for name in ("standard", "normalized"):
        bounds = 1.0 / np.sqrt(fans) if name == "standard" else np.sqrt(6.0 / (2 * fans))
        stds = np.array([scheme(name)((int(n), int(n)), rng).std() for n in fans])
        se = np.array([stats.uniform_standard_errors(b, int(n) ** 2)[1]
                       for b, n in zip(bounds, fans, strict=True)])
        z_scores.append(np.abs(stds - bounds / np.sqrt(3.0)) / se)
        out["bound"][name], out["std"][name] = bounds, stds
        out["slope"][name] = stats.log_slope(np.log(fans), stds)
    out["fan_slope_standard"] = out["slope"]["standard"]
    out["fan_slope_normalized"] = out["slope"]["normalized"]
    out["fan_max_z"] = float(np.max(z_scores))
    return out


# -------------------------------------------------------------- 2. per-layer statistics


def _tanh_sq(u: np.ndarray) -> np.ndarray:
    return np.tanh(u) ** 2


def _dtanh_sq(u: np.ndarray) -> np.ndarray:
    return (1.0 - np.tanh(u) ** 2) ** 2


def _layer_stats(name: str, X: np.ndarray, y: np.ndarray, sizes: tuple[int, ...],
                 seed: int) -> dict:
    """Per hidden layer: measured and mean-field std of ``A_l`` and ``dL/dZ_l``, and samples."""
    model = network.MLP(sizes, np.random.default_rng(seed), activation="tanh",
                        weight_init=scheme(name))
    _, dout = losses.softmax_cross_entropy(model.forward(X), y)
    grads = diagnostics.backprop_grads(model, dout)[:-1]   # hidden layers only
    act_std = np.array([A.std() for A in model.A[1:-1]])
    grad_std = np.array([g.std() for g in grads])
    # mean field per hidden layer and per example (each input's own length |x|^2 / n_in):
    # sigma_w2 = fan_in * Var(w) forward, fan_out * Var(w) backward
    shapes = [W.shape for W in model.weights[:-1]]
    var_w = np.array([scheme_variance(name, shape) for shape in shapes])
    fan_in, fan_out = np.array(shapes).T
    mf = theory.mean_field_layers("tanh", fan_in * var_w, input_var=np.mean(X**2, axis=1),
                                  sigma_w2_back=fan_out * var_w, rule="hermite")
    act_pred, grad_pred = mf["act_std"], np.sqrt(mf["grad_var"])
    return {"act_std": act_std, "grad_std": grad_std, "act_pred": act_pred,
            "grad_pred": grad_pred * grad_std[-1], "acts": model.A[1:-1], "grads": grads,
            "act_ratio": float(act_std[-1] / act_std[0]),
            "grad_ratio": float(grad_std[-1] / grad_std[0]),
            "act_ratio_pred": float(act_pred[-1] / act_pred[0]),
            "grad_ratio_pred": float(grad_pred[-1] / grad_pred[0])}


def init_statistics(*, width: int, n_hidden: int, seed: int, n_bins: int = 81) -> dict:
    """Glorot and Bengio's Figs. 6/7 at init: per-layer activations and back-propagated grads.

    Network ``(64, width x n_hidden, 10)``, tanh, zero biases; all 1797 standardized digits as
    one batch, softmax cross-entropy. Both schemes draw from ``default_rng(seed)`` (common
    random numbers: the same uniforms, scaled). Per scheme: std per layer, measured and
    from :func:`initlab.theory.mean_field_layers`, the ratio last/first hidden layer of each,
    and density histograms ``act_hist``/``grad_hist`` ``(n_hidden, n_bins)`` on shared
    ``act_edges`` (``[-1, 1]``) and ``grad_edges`` (``+-4`` times the largest gradient std).
    """
    n_hidden = check_int(n_hidden, "n_hidden", minimum=2)
    X, y = datasets.digits()
    sizes = (X.shape[1],) + (check_int(width, "width", minimum=1),) * n_hidden + (10,)
    std, nrm = (_layer_stats(name, X, y, sizes, check_int(seed, "seed"))
                for name in ("standard", "normalized"))
    g_max = 4.0 * max(float(s["grad_std"].max()) for s in (std, nrm))
    edges = {"act": np.linspace(-1.0, 1.0, n_bins + 1),
             "grad": np.linspace(-g_max, g_max, n_bins + 1)}
    for s in (std, nrm):
        for key in ("act", "grad"):
            s[f"{key}_hist"] = np.array([np.histogram(v, edges[key], density=True)[0]
                                         for v in s.pop(f"{key}s")])
    rel_err = max(abs(s[k] / s[f"{k}_pred"] - 1)
                  for s in (std, nrm) for k in ("act_ratio", "grad_ratio"))
    return {
        "hist_width": width,
        "hist_act_ratio_standard": std["act_ratio"],
        "hist_act_ratio_standard_pred": std["act_ratio_pred"],
        "hist_grad_ratio_standard": std["grad_ratio"],
        "hist_grad_ratio_standard_pred": std["grad_ratio_pred"],
        "hist_act_ratio_normalized": nrm["act_ratio"],
        "hist_act_ratio_normalized_pred": nrm["act_ratio_pred"],
        "hist_grad_ratio_normalized": nrm["grad_ratio"],
        "hist_grad_ratio_normalized_pred": nrm["grad_ratio_pred"],
        "hist_meanfield_max_rel_err": rel_err,
        "standard": std, "normalized": nrm, "act_edges": edges["act"],
        "grad_edges": edges["grad"],
        "setup": {"width": width, "n_hidden": n_hidden, "n_examples": len(X)},
    }


# --------------------------------------------------------------------- 3. training curves


def train_comparison(*, width: int, n_hidden: int, epochs: int, n_seeds: int, lr: float,
                     batch_size: int, seed: int, n_jobs: int = 1) -> dict:
    """Test accuracy per epoch of a deep tanh net on the digits, per scheme and seed.

    Sizes ``(64, width x n_hidden, 10)``, plain SGD (``train.run``). One digits split (drawn
    from ``seed``) for every run; run seeds from ``sweep.seeds(seed, n_seeds)``, shared by the
    schemes (so seed ``i`` of every scheme also shuffles its batches identically).
    ``test_acc[scheme]`` is ``(n_finished, epochs + 1)`` (column 0 = before training); the
    recorded numbers are means over seeds after epoch 1, at the last epoch and over all epochs.
    """
    sizes = (64,) + (width,) * n_hidden + (10,)
    configs = [{"sizes": sizes, "seed": s, "data_seed": seed, "epochs": epochs, "lr": lr,
                "batch_size": batch_size, "activation": "tanh", "weight_init": scheme(name)}
               for name in SCHEMES for s in sweep.seeds(seed, n_seeds)]
    runs = sweep.run(train.run_config, configs, n_jobs=n_jobs, progress=False)
    acc = {name: train.curves(runs[i * n_seeds:(i + 1) * n_seeds], "test_acc")
           for i, name in enumerate(SCHEMES)}
    acc1 = {name: float(a[:, 1].mean()) for name, a in acc.items()}
    final = {name: float(a[:, -1].mean()) for name, a in acc.items()}
    mean = {name: float(a[:, 1:].mean()) for name, a in acc.items()}
    return {
        "train_n_seeds": n_seeds, "train_epochs": epochs,
        "train_n_diverged": sum(r.diverged for r in runs),
        "train_acc1_standard": acc1["standard"], "train_acc1_normalized": acc1["normalized"],
        "train_acc1_tanh_gain": acc1["tanh_gain"],
        "train_final_standard": final["standard"], "train_final_normalized": final["normalized"],
        "train_final_tanh_gain": final["tanh_gain"],
        "train_mean_acc_standard": mean["standard"],
        "train_mean_acc_normalized": mean["normalized"],
        "train_mean_acc_tanh_gain": mean["tanh_gain"],
        "train_mean_acc_gap": mean["normalized"] - mean["standard"],
        "train_final_gap_tanh": final["tanh_gain"] - final["normalized"],
        "epochs": np.arange(epochs + 1), "test_acc": acc,
        "setup": {"width": width, "n_hidden": n_hidden, "n_seeds": n_seeds},
    }


# ------------------------------------------------------------------- 4. gain 1 versus 5/3


def depth_profile(*, width: int, n_layers: int, seed: int, gain: float = TANH_GAIN) -> dict:
    """Activation and gradient std through ``n_layers`` square tanh layers, gain 1 and ``gain``.

    Weights ``U(+-g * sqrt(6 / (2 width)))`` (``variance_scaling(scale=g^2, mode="fan_avg",
    distribution="uniform")``), zero biases; ``width`` inputs ``X ~ N(0, 1)``,
    ``(width, width)``. Gradients: a random ``dout ~ N(0, 1)`` at the top, back-propagated to
    every ``dL/dZ_l``. Per gain: ``act_std`` ``(n_layers,)``, ``grad_std`` relative to the top
    layer, and the mean-field predictions (:func:`initlab.theory.mean_field_layers` with
    ``sigma_w2 = g^2`` in every layer).
    """
    n_layers = check_int(n_layers, "n_layers", minimum=2)
    if gain == 1.0:
        raise ValueError(f"`gain` is compared with gain 1: give another value, got {gain!r}")
    rng = np.random.default_rng(check_int(seed, "seed"))
    X = rng.standard_normal((width, width))
    profiles = {g: gain_profile(X, g, n_layers, rng) for g in (1.0, gain)}
    one, tanh = profiles[1.0], profiles[gain]
    return {
        "depth_width": width,
        "depth_last_std_gain1": float(one["act_std"][-1]),
        "depth_last_std_gain1_pred": float(one["act_pred"][-1]),
        "depth_power_law_gain1": 1 / math.sqrt(1 + 2 * n_layers),
        "depth_last_std_gain53": float(tanh["act_std"][-1]),
        "depth_last_std_gain53_pred": float(tanh["act_pred"][-1]),
        "depth_grad_ratio_gain1": float(one["grad_std"][0]),
        "depth_grad_ratio_gain53": float(tanh["grad_std"][0]),
        "depth_grad_ratio_gain53_pred": float(tanh["grad_pred"][0]),
        "layers": np.arange(1, n_layers + 1), "profiles": profiles,
        "setup": {"gains": [1.0, gain], "width": width, "n_layers": n_layers},
    }


def gain_profile(X: np.ndarray, gain: float, n_layers: int, rng: np.random.Generator) -> dict:
    """One gain of :func:`depth_profile`: ``n_layers`` square tanh layers on ``X``
    ``(n, width)``, weights ``U(+-gain * sqrt(6 / (2 width)))`` drawn from ``rng``, then a
    random ``dout ~ N(0, 1)`` from ``rng`` back-propagated. ``act_std``, ``grad_std`` (relative
    to the top layer) ``(n_layers,)`` and their mean-field predictions ``act_pred``,
    ``grad_pred``."""
    init = initializers.get("variance_scaling", scale=gain**2, mode="fan_avg",
                            distribution="uniform")
    model = network.MLP((X.shape[1],) * (n_layers + 1), rng, activation="tanh",
                        weight_init=init, output_activation="tanh")
    top = model.forward(X)
    grads = diagnostics.backprop_grads(model, rng.standard_normal(top.shape))
    grad_std = np.array([dZ.std() for dZ in grads])
    mf = theory.mean_field_layers("tanh", [gain**2] * n_layers,   # sigma_w2 = width Var(w)
                                  input_var=np.mean(X**2, axis=1), rule="hermite")
    return {"act_std": np.array([A.std() for A in model.A[1:]]),
            "grad_std": grad_std / grad_std[-1],
            "act_pred": mf["act_std"], "grad_pred": np.sqrt(mf["grad_var"])}


def tanh_gain_candidates(gain: float = TANH_GAIN) -> dict:
    """Gains that different one-layer arguments give for tanh, and where ``gain`` lands.

    For ``z ~ N(0, 1)``: ``1 / sqrt(E[tanh(z)^2])`` makes ``q* = 1`` a fixed point of the
    length map (unit pre-activation variance kept); ``1 / E[tanh'(z)]`` undoes the average
    slope; ``1 / sqrt(E[tanh'(z)^2])`` keeps the gradient variance for unit-variance inputs.
    For ``gain``: the fixed point ``q*`` of ``q -> gain^2 E[tanh(sqrt(q) z)^2]``, the activation
    std there ``sqrt(q* / gain^2)``, and ``chi_1 = gain^2 E[tanh'(sqrt(q*) z)^2]``, the
    per-layer factor of the gradient variance at the fixed point (Poole et al. 2016).
    """
    q_star = theory.fixed_point_q(gain**2, 0.0, "tanh")
    return {
        "tanh_gain_unit_fixed_point": 1.0 / math.sqrt(theory.gaussian_expectation(_tanh_sq, 1.0)),
        "tanh_gain_mean_slope": 1.0 / theory.gaussian_expectation(lambda u: 1 - np.tanh(u)**2,
                                                                  1.0),
        "tanh_gain_rms_slope": 1.0 / math.sqrt(theory.gaussian_expectation(_dtanh_sq, 1.0)),
        "tanh_q_star": q_star, "tanh_act_std_star": math.sqrt(q_star) / gain,
        "tanh_chi_1": theory.chi_1(gain**2, 0.0, "tanh"),
        "setup": {"gain": gain},
    }


def candidates_table(cand: dict) -> pd.DataFrame:
    """The tanh gains of :func:`tanh_gain_candidates` next to the gain under test, 4 digits."""
    rows = {"1/sqrt(E[tanh'(z)^2]): keeps gradient variance at q = 1": "tanh_gain_rms_slope",
            "1/sqrt(E[tanh(z)^2]): makes q* = 1 the fixed point": "tanh_gain_unit_fixed_point",
            "1/E[tanh'(z)]: undoes the mean slope at q = 1": "tanh_gain_mean_slope"}
    gains = [cand[k] for k in rows.values()] + [cand["setup"]["gain"]]
    index = [*rows, "PyTorch calculate_gain('tanh')"]
    return pd.DataFrame({"gain": gains}, index=index).round(4)


# ------------------------------------------------------------------------------ exercises


def exercise_gain(*, gain: float, width: int, n_layers: int, seed: int) -> dict:
    """Exercise: :func:`gain_profile` at one ``gain`` (inputs ``X ~ N(0, 1)`` ``(width,
    width)``), against :func:`tanh_gain_candidates`: the fixed point's activation std
    ``sqrt(q*) / gain`` and ``chi_1``; the gradient std at layer 1 over the top layer's, measured
    and by mean field, and ``chi_1^((n_layers - 1) / 2)``, its value if every layer sat on
    the fixed point."""
    rng = np.random.default_rng(check_int(seed, "seed"))
    prof = gain_profile(rng.standard_normal((width, width)), gain, n_layers, rng)
    cand = tanh_gain_candidates(gain)
    return {"ex_gain": float(gain), "ex_gain_act_std_star": cand["tanh_act_std_star"],
            "ex_gain_last_std": float(prof["act_std"][-1]), "ex_gain_chi_1": cand["tanh_chi_1"],
            "ex_gain_chi_growth": cand["tanh_chi_1"] ** ((n_layers - 1) / 2),
            "ex_gain_grad_ratio": float(prof["grad_std"][0]),
            "ex_gain_grad_ratio_pred": float(prof["grad_pred"][0])}


def exercise_fans(*, fan_in: int, fan_out: int, seed: int, n: int = 2000) -> dict:
    """Exercise: Glorot's normalized init on a ``(fan_in, fan_out)`` layer, unit-variance data.
    Forward ``Var(X @ W) / Var(X)`` against ``fan_in Var(w)``, backward ``Var(dZ @ W.T) /
    Var(dZ)`` against ``fan_out Var(w)``, ``Var(w) = 2 / (fan_in + fan_out)``; ``n`` rows."""
    rng = np.random.default_rng(check_int(seed, "seed"))
    W = scheme("normalized")((fan_in, fan_out), rng)
    X, dZ = rng.standard_normal((n, fan_in)), rng.standard_normal((n, fan_out))
    var_w = scheme_variance("normalized", (fan_in, fan_out))
    return {"ex_fans_in": fan_in, "ex_fans_out": fan_out, "ex_fans_forward_theory": fan_in * var_w,
            "ex_fans_forward": float((X @ W).var() / X.var()),          # fan_in Var(w)
            "ex_fans_backward_theory": fan_out * var_w,
            "ex_fans_backward": float((dZ @ W.T).var() / dZ.var())}     # fan_out Var(w)


__all__ = ["SCHEMES", "TANH_GAIN", "candidates_table", "demo_table", "depth_profile",
           "exercise_fans", "exercise_gain", "fan_sweep", "gain_profile", "init_statistics",
           "plot_depth_profile", "plot_layer_histograms", "plot_source_demo", "plot_training",
           "scheme",
           "scheme_variance", "source_demo", "tanh_gain_candidates", "train_comparison"]
