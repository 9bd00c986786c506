"""Chapter 6, He / Kaiming initialization: the experiments behind the page.

What: He et al. (2015, "Delving deep into rectifiers") show that a ReLU keeps half of the
second moment of a symmetric pre-activation, ``E[relu(z)^2] = E[z^2] / 2``, so a layer keeps
the signal's scale when ``fan_in * Var(w) * 1/2 = 1``, i.e. ``Var(w) = 2 / fan_in``. Five
experiments:

1. :func:`relu_halving`: Monte Carlo check of ``E[relu(z)^2] / E[z^2] = 1/2``.
2. :func:`depth_profile`: square ReLU layers at initialization under He (``Var = 2/n``),
   Xavier (``glorot_normal``: ``2 / (n + n) = 1/n``) and ``N(0, 0.01^2)``; the mean-square
   activation per layer, relative to the input's, against
   :func:`initlab.theory.predicted_variance`: ``1``, ``2^-l`` and ``(n 10^-4 / 2)^l``-ish.
3. :func:`train_comparison`: a deep ReLU stack on the digits, He versus Xavier
   (:func:`initlab.train.run`).
4. :func:`fan_mode_profile`: a widening ReLU stack with He's ``fan_in`` and ``fan_out`` modes:
   ``fan_in`` keeps the forward second moment, ``fan_out`` the back-propagated gradient's.
5. :func:`leaky_profile`: leaky ReLU with slope ``a``; PyTorch's gain ``sqrt(2 / (1 + a^2))``
   (:func:`initlab.initializers.calculate_gain`) keeps it flat, the ReLU gain ``sqrt(2)``
   makes it grow by ``1 + a^2`` per layer.

Why: the chapter derives He's factor 2 and measures what it buys over Xavier's ``1/n`` in a
deep ReLU net, forward and in training, and which of the two fans it protects.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples, ``Z_l = A_{l-1} @ W_l`` (zero
biases), ``A_l = phi(Z_l)``. "Second-moment ratio" of layer ``l`` is
``v_l = mean(A_l^2) / mean(X^2)``, over all units and examples (He et al. track ``E[x^2]``,
not ``Var(x)``, because a ReLU output has a non-zero mean).

Layout: the notebook's settings cell holds every size; each experiment takes them as keyword
arguments and returns one dict whose scalar entries are the numbers the page records (literal
keys, ``results.record_all``) and whose other entries are figure data for the ``plot_*``
functions of :mod:`.figures`; ``data/reference/06_he_kaiming.json`` checks them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab import activations, diagnostics, initializers, network, sweep, theory, train
from initlab._checks import check_choice, check_int, check_positive
from initlab.experiments.he_kaiming.figures import (
    plot_depth_profile,
    plot_fan_modes,
    plot_leaky,
    plot_training,
)

#: The three inits of the depth experiment (initializers ``(shape, rng, dtype) -> W``).
SCHEMES = {
    "he": initializers.get("kaiming_normal", mode="fan_in", nonlinearity="relu"),
    "xavier": initializers.get("glorot_normal"),
    "std001": initializers.get("random_normal", stddev=0.01),
}


def scheme_variance(name: str, shape: tuple[int, int]) -> float:
    """``Var(w)`` of scheme ``name`` for an ``(n_in, n_out)`` kernel.

    he: ``2 / fan_in``; xavier: ``2 / (fan_in + fan_out)``; std001: ``0.01^2``.
    """
    fan_in, fan_out = shape
    variances = {"he": 2.0 / fan_in, "xavier": 2.0 / (fan_in + fan_out), "std001": 0.01**2}
    return variances[check_choice(name, "scheme", SCHEMES)]


def second_moments(model: network.MLP, X: np.ndarray) -> np.ndarray:
    """``(n_layers,)``: ``mean(A_l^2) / mean(X^2)`` for ``l = 1..n_layers`` after one forward."""
    model.forward(X, keep=True)
    return np.array([np.mean(A**2) for A in model.A[1:]]) / np.mean(X**2)


# ------------------------------------------------------------------ 1. ReLU halves E[z^2]


def relu_halving(*, n_draws: int, seed: int) -> dict:
    """Monte Carlo ``E[relu(z)^2] / E[z^2]`` for ``z ~ N(0, 1)`` (He et al. 2015, eq. 7).

    Half of a symmetric distribution's mass is positive and ``relu(z)^2 = z^2`` there, so the
    ratio is exactly 1/2. Returns the sample mean of ``relu(z)^2`` (``E[z^2] = 1``), its
    standard error ``std(relu(z)^2) / sqrt(N)`` and the z-score against 1/2.
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    z = np.random.default_rng(check_int(seed, "seed")).standard_normal(n_draws)
    r2 = np.maximum(z, 0.0) ** 2
    mean, se = float(r2.mean()), float(r2.std() / math.sqrt(n_draws))
    return {"halving_ratio": mean, "halving_se": se, "halving_z": (mean - 0.5) / se,
            "setup": {"n_draws": n_draws}}


# ------------------------------------------------------------------- 2. deep ReLU at init


def _last_layer(ratios: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Layer ``L`` of ``(n_seeds, L)`` ratios against theory ``pred`` ``(L,)``.

    The mean over seeds (theory is exact in expectation, so the plain mean is the unbiased
    comparison; a geometric mean sits ``exp(-s^2/2)`` low for a log-normal spread ``s``), its
    ratio to theory, the extreme per-seed ``log2(v_L / theory)`` and the std of ``ln v_L``.
    """
    last = ratios[:, -1]
    dev = np.log2(last) - np.log2(pred[-1])
    return {"mean": float(last.mean()), "theory": float(pred[-1]),
            "vs_theory": float(last.mean() / pred[-1]), "dev_min": float(dev.min()),
            "dev_max": float(dev.max()), "ln_std": float(np.log(last).std(ddof=1))}


def depth_profile(*, width: int, n_layers: int, batch: int, n_seeds: int, seed: int) -> dict:
    """Second-moment ratio ``v_l`` through ``n_layers`` square ReLU layers, per scheme and seed.

    Per run seed (``sweep.seeds(seed, n_seeds)``): ``X ~ N(0, 1)`` of shape ``(batch, width)``,
    then one network per scheme, drawn one after the other from the same rng. Theory:
    ``v_l = q_l / 2`` with ``q_l = theory.predicted_variance(n_layers, width, Var(w), "relu")``,
    i.e. ``1`` (He), ``2^-l`` (Xavier). Per scheme ``ratios`` ``(n_seeds, n_layers)`` and
    ``theory``; recorded: the last layer (:func:`_last_layer`) and the finite-width spread
    ``sqrt(5 L / n)`` of ``ln v_L`` (:func:`initlab.theory.finite_width_log_std`).
    """
    n_layers = check_int(n_layers, "n_layers", minimum=2)
    ratios: dict[str, list] = {name: [] for name in SCHEMES}
    for s in sweep.seeds(check_int(seed, "seed"), n_seeds):
        rng = np.random.default_rng(s)
        X = rng.standard_normal((batch, width))
        for name, init in SCHEMES.items():
            model = network.MLP((width,) * (n_layers + 1), rng, activation="relu",
                                weight_init=init, output_activation="relu")
            ratios[name].append(second_moments(model, X))
    c = theory.activation_second_moment_factor("relu")           # 1/2
    curves, last = {}, {}
    for name in SCHEMES:
        var_w = scheme_variance(name, (width, width))
        pred = c * theory.predicted_variance(n_layers, width, var_w, "relu")
        curves[name] = {"ratios": np.array(ratios[name]), "theory": pred}
        last[name] = _last_layer(curves[name]["ratios"], pred)
    he, xavier, std001 = last["he"], last["xavier"], last["std001"]
    ln_std_pred = theory.finite_width_log_std(n_layers, width)      # sqrt(5 L / n)
    return {
        "depth_width": width, "depth_n_seeds": n_seeds,
        "he_v30": he["mean"], "he_v30_theory": he["theory"],
        "he_v30_vs_theory": he["vs_theory"], "he_log2_dev_min": he["dev_min"],
        "he_log2_dev_max": he["dev_max"], "he_ln_std": he["ln_std"],
        "xavier_v30": xavier["mean"], "xavier_v30_theory": xavier["theory"],
        "xavier_v30_vs_theory": xavier["vs_theory"], "xavier_log2_dev_min": xavier["dev_min"],
        "xavier_log2_dev_max": xavier["dev_max"], "xavier_ln_std": xavier["ln_std"],
        "std001_v30": std001["mean"], "std001_v30_theory": std001["theory"],
        "std001_v30_vs_theory": std001["vs_theory"], "std001_log2_dev_min": std001["dev_min"],
        "std001_log2_dev_max": std001["dev_max"], "std001_ln_std": std001["ln_std"],
        "depth_ln_std_pred": ln_std_pred, "depth_log2_std_pred": ln_std_pred / math.log(2),
        "layers": np.arange(1, n_layers + 1), "curves": curves,
        "setup": {"width": width, "n_layers": n_layers, "n_seeds": n_seeds, "batch": batch},
    }


# --------------------------------------------------------------------- 3. training


def train_comparison(*, width: int, n_layers: int, epochs: int, n_seeds: int, lr: float,
                     momentum: float, batch_size: int, seed: int, n_jobs: int = 1) -> dict:
    """Test accuracy per epoch of a ``n_layers``-hidden-layer ReLU net on the digits.

    Sizes ``(64, width x n_layers, 10)``, SGD with ``momentum``, He versus Xavier
    (``train.run``). One digits split (from ``seed``) for all runs; run seeds
    ``sweep.seeds(seed, n_seeds)`` shared by the schemes. ``test_acc[scheme]`` is
    ``(n_finished, epochs + 1)`` (column 0 = before training); ``train_chance`` is the
    largest class share of the test set (the accuracy of always answering one class).
    """
    sizes = (64,) + (check_int(width, "width", minimum=1),) * n_layers + (10,)
    names = ("he", "xavier")
    configs = [{"sizes": sizes, "seed": s, "data_seed": seed, "epochs": epochs, "lr": lr,
                "momentum": momentum, "batch_size": batch_size, "activation": "relu",
                "weight_init": SCHEMES[name]}
               for name in names for s in sweep.seeds(seed, n_seeds)]
    runs = sweep.run(train.run_config, configs, n_jobs=n_jobs, progress=False)
    acc = {name: train.curves(runs[i * n_seeds:(i + 1) * n_seeds], "test_acc")
           for i, name in enumerate(names)}
    final = {name: float(a[:, -1].mean()) for name, a in acc.items()}
    chance = runs[0].chance
    return {
        "train_width": width, "train_epochs": epochs, "train_n_seeds": n_seeds,
        "train_n_diverged": sum(r.diverged for r in runs), "train_chance": chance,
        "train_final_he": final["he"], "train_final_xavier": final["xavier"],
        "train_max_xavier": float(acc["xavier"].max()),
        "train_final_gap": final["he"] - final["xavier"],
        "epochs": np.arange(epochs + 1), "test_acc": acc,
        "setup": {"width": width, "n_layers": n_layers, "n_seeds": n_seeds, "chance": chance},
    }


# ------------------------------------------------------------------ 4. fan_in vs fan_out


def fan_mode_profile(*, sizes: Sequence[int], n_seeds: int, batch: int, seed: int) -> dict:
    """Forward ``v_l`` and backward ``E[dZ_l^2]`` of a widening ReLU stack, per He mode.

    ``sizes = (n_0, ..., n_L)``, every layer ReLU, He normal with ``mode`` fan_in
    (``Var = 2/n_{l-1}``) or fan_out (``Var = 2/n_l``). Input ``X ~ N(0, 1)``
    ``(batch, n_0)``; a random ``dout ~ N(0, 1)`` at the top is back-propagated
    (:func:`initlab.diagnostics.backprop_grads`). Theory per layer: forward factor
    ``n_{l-1} Var(w_l) / 2``, backward factor ``n_l Var(w_l) / 2``. Per mode: ``fwd``,
    ``bwd`` ``(n_seeds, L)`` (``bwd`` relative to the top) and theory lines; recorded: the
    means over seeds of ``fwd[:, -1]`` and ``bwd[:, 0]`` (the end-to-end ratios).
    """
    sizes = tuple(check_int(n, "sizes entry", minimum=1) for n in sizes)
    n_layers = len(sizes) - 1
    fans = {"fan_in": list(sizes[:-1]), "fan_out": list(sizes[1:])}
    fwd: dict[str, list] = {"fan_in": [], "fan_out": []}
    bwd: dict[str, list] = {"fan_in": [], "fan_out": []}
    for s in sweep.seeds(check_int(seed, "seed"), n_seeds):
        rng = np.random.default_rng(s)
        X = rng.standard_normal((batch, sizes[0]))
        for mode in fwd:
            init = initializers.get("kaiming_normal", mode=mode, nonlinearity="relu")
            model = network.MLP(sizes, rng, activation="relu", weight_init=init,
                                output_activation="relu")
            fwd[mode].append(second_moments(model, X))
            grads = diagnostics.backprop_grads(model, rng.standard_normal((batch, sizes[-1])))
            g2 = np.array([np.mean(g**2) for g in grads])
            bwd[mode].append(g2 / g2[-1])
    out: dict = {"fan_n_seeds": n_seeds, "layers": np.arange(1, n_layers + 1),
                 "setup": {"sizes": sizes, "n_seeds": n_seeds, "batch": batch}}
    for mode in fwd:
        var_w = [2.0 / n for n in fans[mode]]                       # He: 2 / fan of the mode
        out[mode] = {"fwd": np.array(fwd[mode]), "bwd": np.array(bwd[mode]),
                     "fwd_theory": 0.5 * theory.predicted_variance(
                         n_layers, fans["fan_in"], var_w, "relu"),
                     "bwd_theory": theory.predicted_gradient_variance(
                         n_layers, fans["fan_out"], var_w, "relu")}
    fan_in, fan_out = out["fan_in"], out["fan_out"]
    out.update({
        "fan_in_fwd": float(fan_in["fwd"][:, -1].mean()),
        "fan_in_fwd_theory": float(fan_in["fwd_theory"][-1]),
        "fan_in_bwd": float(fan_in["bwd"][:, 0].mean()),
        "fan_in_bwd_theory": float(fan_in["bwd_theory"][0]),
        "fan_out_fwd": float(fan_out["fwd"][:, -1].mean()),
        "fan_out_fwd_theory": float(fan_out["fwd_theory"][-1]),
        "fan_out_bwd": float(fan_out["bwd"][:, 0].mean()),
        "fan_out_bwd_theory": float(fan_out["bwd_theory"][0])})
    return out


# ------------------------------------------------------------------ 5. leaky ReLU gain


def leaky_profile(*, alpha: float, width: int, n_layers: int, batch: int, n_seeds: int,
                  seed: int) -> dict:
    """``v_l`` through ``n_layers`` square leaky-ReLU layers (slope ``alpha``), two gains.

    "leaky": ``kaiming_normal(a=alpha, nonlinearity="leaky_relu")``, std
    ``sqrt(2 / (1 + a^2)) / sqrt(n)``; "relu": the ReLU gain ``sqrt(2)``. A leaky ReLU
    keeps ``(1 + a^2) / 2`` of the second moment, so the per-layer factor is ``1`` with the
    leaky gain and ``1 + a^2`` with the ReLU gain. Per gain: ``ratios`` ``(n_seeds,
    n_layers)`` and ``theory``; recorded: the mean over seeds of ``v_L`` and theory.
    """
    check_positive(alpha, "alpha")
    n_layers = check_int(n_layers, "n_layers", minimum=2)
    act = activations.get("leaky_relu", alpha=alpha)
    inits = {"leaky": initializers.get("kaiming_normal", a=alpha, nonlinearity="leaky_relu"),
             "relu": initializers.get("kaiming_normal", a=0.0, nonlinearity="relu")}
    gains = {"leaky": initializers.calculate_gain("leaky_relu", alpha),
             "relu": initializers.calculate_gain("relu")}
    ratios: dict[str, list] = {k: [] for k in gains}
    for s in sweep.seeds(check_int(seed, "seed"), n_seeds):
        rng = np.random.default_rng(s)
        X = rng.standard_normal((batch, width))
        for key, init in inits.items():
            model = network.MLP((width,) * (n_layers + 1), rng, activation=act,
                                weight_init=init, output_activation=act)
            ratios[key].append(second_moments(model, X))
    c = theory.activation_second_moment_factor("leaky_relu", alpha)     # (1 + a^2) / 2
    curves = {key: {"ratios": np.array(ratios[key]),
                    "theory": c * theory.predicted_variance(n_layers, width, gain**2 / width,
                                                            "leaky_relu", alpha=alpha)}
              for key, gain in gains.items()}
    return {
        "leaky_alpha": float(alpha), "leaky_gain": gains["leaky"],
        "leaky_v30": float(curves["leaky"]["ratios"][:, -1].mean()),
        "relu_gain_v30": float(curves["relu"]["ratios"][:, -1].mean()),
        "relu_gain_v30_theory": float(curves["relu"]["theory"][-1]),
        "layers": np.arange(1, n_layers + 1), "curves": curves, "gains": gains,
        "setup": {"alpha": float(alpha), "width": width, "n_layers": n_layers,
                  "n_seeds": n_seeds},
    }


# ------------------------------------------------------------------------------ exercises


def exercise_gain(*, gain: float, width: int, n_layers: int, batch: int, seed: int,
                  n_seeds: int = 4) -> dict:
    """Exercise: :func:`depth_profile`'s ReLU stack with ``std = gain / sqrt(n)``.

    Each layer multiplies the second moment by ``gain^2 / 2``: ``v_L = (gain^2 / 2)^L``
    (``theory.predicted_variance``, 1 for He's ``sqrt(2)``), measured as the mean over
    ``n_seeds`` networks (``X ~ N(0, 1)`` ``(batch, width)``), each within about
    ``exp(+-sqrt(5 L / n))`` of it (:func:`initlab.theory.finite_width_log_std`).
    """
    init = initializers.get("variance_scaling", scale=gain**2, distribution="normal")
    v_L = []
    for s in sweep.seeds(check_int(seed, "seed"), n_seeds):
        rng = np.random.default_rng(s)
        X = rng.standard_normal((batch, width))
        model = network.MLP((width,) * (n_layers + 1), rng, activation="relu",
                            weight_init=init, output_activation="relu")
        v_L.append(second_moments(model, X)[-1])
    pred = 0.5 * theory.predicted_variance(n_layers, width, gain**2 / width, "relu")[-1]
    return {"ex_gain": float(gain), "ex_gain_n_seeds": n_seeds, "ex_gain_n_layers": n_layers,
            "ex_gain_vL_theory": float(pred), "ex_gain_vL": float(np.mean(v_L)),
            "ex_gain_ln_std_pred": theory.finite_width_log_std(n_layers, width)}


def exercise_fan_modes(*, sizes: Sequence[int], batch: int, seed: int,
                       n_seeds: int = 4) -> dict:
    """Exercise: :func:`fan_mode_profile` on other ``sizes`` (e.g. a narrowing stack), its
    end-to-end ratios and their theory (per mode, the product of ``n_out / n_in`` or its
    inverse over the layers: the ratio of the end widths)."""
    f = fan_mode_profile(sizes=sizes, n_seeds=n_seeds, batch=batch, seed=seed)
    return {"ex_fan_first": int(sizes[0]), "ex_fan_last": int(sizes[-1]),
            "ex_fan_in_fwd": f["fan_in_fwd"], "ex_fan_in_bwd": f["fan_in_bwd"],
            "ex_fan_in_bwd_theory": f["fan_in_bwd_theory"],
            "ex_fan_out_fwd": f["fan_out_fwd"], "ex_fan_out_fwd_theory": f["fan_out_fwd_theory"],
            "ex_fan_out_bwd": f["fan_out_bwd"]}


__all__ = ["SCHEMES", "depth_profile", "exercise_fan_modes", "exercise_gain",
           "fan_mode_profile", "leaky_profile", "plot_depth_profile", "plot_fan_modes",
           "plot_leaky", "plot_training", "relu_halving", "scheme_variance", "second_moments",
           "train_comparison"]
