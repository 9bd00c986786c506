"""Chapter 15, Xavier or He? The verdict across depth, in one figure.

What: the three inits a practitioner meets first, on the two activations that matter most, at
depths from a couple of layers to thirty:

- Glorot / Xavier (``glorot_uniform``): ``Var(w) = 2 / (fan_in + fan_out)``, i.e. ``1/n`` on
  square layers (Glorot and Bengio 2010);
- He / Kaiming (``kaiming_normal``, a plain Gaussian): ``Var(w) = 2 / fan_in`` (He et al. 2015);
- PyTorch's default ``nn.Linear`` init, ``kaiming_uniform_(a=sqrt(5))`` = ``U(+-1/sqrt(fan_in))``:
  ``Var(w) = 1 / (3 fan_in)``.

Two measurements per (activation, init, depth, seed): :func:`scale_at_init`, the RMS of the last
hidden layer's activations over the RMS of the input on the digits, at initialization; and
:func:`accuracy_after_training`, the test accuracy after a fixed budget of SGD with momentum.

Prediction (chapters 4-6): per ReLU layer the second moment is multiplied by
``fan_in Var(w) / 2``: 1 (He), 1/2 (Glorot), 1/6 (PyTorch), so after ``L`` layers the RMS ratio
is about ``1``, ``2^(-L/2)`` and ``6^(-L/2)``. For tanh, near 0 the factor is ``fan_in Var(w)``:
1 (Glorot, then a slow power-law decay), 2 (He: grows until tanh saturates), 1/3 (PyTorch).

Shapes: networks ``(64, width x depth, 10)``, zero biases; ``X`` rows are digits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import datasets, initializers, network, plotting, stats, sweep, theory, train

#: The three inits, as ``initializers.get`` arguments.
INITS = {
    "glorot": ("glorot_uniform", {}),
    "he": ("kaiming_normal", {"nonlinearity": "relu"}),
    "pytorch": ("kaiming_uniform", {"a": math.sqrt(5.0)}),
}
LABELS = {"glorot": "Glorot (Xavier)", "he": "He (Kaiming)", "pytorch": "PyTorch default"}
COLORS = {"glorot": "C0", "he": "C2", "pytorch": "C3"}
ACTIVATIONS = ("relu", "tanh")


def _init(name: str):
    init_name, params = INITS[name]
    return initializers.get(init_name, **params)


def scale_at_init(*, depths: Sequence[int], width: int, n_seeds: int, seed: int) -> dict:
    """RMS of the last hidden layer over the input's, at init, per activation, init and depth.

    One net per (activation, init, depth, seed), seeds ``sweep.seeds(seed, n_seeds)``; the input
    is the training digits of the split drawn from ``seed``. The number at the deepest depth is
    the geometric mean over seeds (the ratios are log-normal across seeds).
    """
    X = datasets.load("digits", np.random.default_rng(seed)).X_train
    rms_x = math.sqrt(float(np.mean(X**2)))
    scale, layers = {}, {}
    for act in ACTIVATIONS:
        for name in INITS:
            rows, deepest = [], []
            for s in sweep.seeds(seed, n_seeds):
                rng = np.random.default_rng(s)
                row = []
                for depth in depths:
                    model = network.MLP((64,) + (width,) * depth + (10,), rng, activation=act,
                                        weight_init=_init(name))
                    model.forward(X)
                    rms = [math.sqrt(float(np.mean(A**2))) / rms_x for A in model.A[1:-1]]
                    row.append(rms[-1])
                deepest.append(rms)                              # every layer of the deepest
                rows.append(row)
            scale[act, name] = np.array(rows)                    # (n_seeds, n_depths)
            layers[act, name] = np.array(deepest)                # (n_seeds, depths[-1])

    def deep(act: str, name: str) -> float:
        return float(np.exp(np.log(scale[act, name][:, -1]).mean()))

    return {
        "scale_depth_deep": int(depths[-1]), "scale_width": width, "scale_n_seeds": n_seeds,
        "relu_glorot_scale_deep": deep("relu", "glorot"), "relu_he_scale_deep": deep("relu", "he"),
        "relu_pytorch_scale_deep": deep("relu", "pytorch"),
        "tanh_glorot_scale_deep": deep("tanh", "glorot"), "tanh_he_scale_deep": deep("tanh", "he"),
        "tanh_pytorch_scale_deep": deep("tanh", "pytorch"),
        "relu_glorot_scale_deep_theory": 2.0 ** (-depths[-1] / 2),
        "relu_pytorch_scale_deep_theory": 6.0 ** (-depths[-1] / 2),
        "depths": np.array(depths), "scale": scale, "layers": layers,
    }


def accuracy_after_training(*, depths: Sequence[int], width: int, n_seeds: int, epochs: int,
                            lr: float, momentum: float, batch_size: int, seed: int,
                            n_jobs: int = 1) -> dict:
    """Test accuracy after ``epochs`` of SGD with momentum, per activation, init and depth.

    The same budget for every net (``lr``, ``momentum``, ``batch_size``, ``epochs``), the same
    digits split (from ``seed``), run seeds ``sweep.seeds(seed, n_seeds)`` shared by the inits.
    A diverged run counts as chance accuracy (it learned nothing usable) and is counted.
    """
    keys = [(act, name, depth, s) for act in ACTIVATIONS for name in INITS for depth in depths
            for s in sweep.seeds(seed, n_seeds)]
    configs = [{"sizes": (64,) + (width,) * depth + (10,), "seed": s, "data_seed": seed,
                "activation": act, "weight_init": _init(name), "epochs": epochs, "lr": lr,
                "momentum": momentum, "batch_size": batch_size} for act, name, depth, s in keys]
    runs = sweep.run(train.run_config, configs, n_jobs=n_jobs)
    chance = runs[0].chance
    final = {k: chance if r.diverged else float(r.test_acc[-1]) for k, r in zip(keys, runs,
                                                                                  strict=True)}
    acc = {(act, name): np.array([[final[act, name, d, s] for d in depths]
                                  for s in sweep.seeds(seed, n_seeds)])
           for act in ACTIVATIONS for name in INITS}

    def at(act: str, name: str, column: int) -> float:
        return float(acc[act, name][:, column].mean())

    return {
        "train_depth_shallow": int(depths[0]), "train_depth_deep": int(depths[-1]),
        "train_epochs": epochs, "train_n_seeds": n_seeds, "train_chance": chance,
        "train_n_diverged": sum(r.diverged for r in runs),
        "relu_glorot_acc_deep": at("relu", "glorot", -1), "relu_he_acc_deep": at("relu", "he", -1),
        "relu_pytorch_acc_deep": at("relu", "pytorch", -1),
        "tanh_glorot_acc_deep": at("tanh", "glorot", -1), "tanh_he_acc_deep": at("tanh", "he", -1),
        "tanh_pytorch_acc_deep": at("tanh", "pytorch", -1),
        "relu_min_acc_shallow": min(at("relu", n, 0) for n in INITS),
        "tanh_min_acc_shallow": min(at("tanh", n, 0) for n in INITS),
        "depths": np.array(depths), "acc": acc,
    }


#: Per-layer factor of the second moment, fan_in Var(w) / 2 for ReLU (chapters 4-6).
RELU_FACTOR = {"glorot": 0.5, "he": 1.0, "pytorch": 1.0 / 6.0}


def plot_layers(scale: dict) -> Figure:
    """RMS ratio layer by layer through the deepest ReLU (top) and tanh (bottom) nets, per init
    (geometric mean over seeds, markers), with the ReLU prediction: the first layer's value
    times ``RELU_FACTOR^((l - 1) / 2)`` (dashed)."""
    fig, axes = plt.subplots(2, 1, figsize=(plotting.MAX_WIDTH, 5.6), sharex=True)
    for ax, act in zip(axes, ACTIVATIONS, strict=True):
        for name in INITS:
            rms = np.exp(np.log(scale["layers"][act, name]).mean(axis=0))
            layer = np.arange(1, rms.size + 1)
            ax.plot(layer, rms, "o", ms=3, color=COLORS[name], label=LABELS[name])
            if act == "relu":
                ax.plot(layer, rms[0] * RELU_FACTOR[name] ** ((layer - 1) / 2), "--", lw=1,
                        color=COLORS[name])
        ax.set(yscale="log", ylabel="RMS / input RMS",
               title={"relu": "ReLU (dashed: one factor per layer)", "tanh": "tanh"}[act])
    axes[1].set_xlabel("hidden layer")
    plotting.integer_ticks(axes[1], "x")
    axes[0].legend(loc="lower left")
    fig.tight_layout()
    return fig


def plot_verdict(scale: dict, trained: dict) -> Figure:
    """2 x 2: activation scale at init (top, log) and test accuracy (bottom) against depth,
    ReLU (left) and tanh (right), one line per init (mean over seeds, band min..max)."""
    fig, axes = plt.subplots(2, 2, figsize=(plotting.MAX_WIDTH, 5.6), sharex=True)
    for j, act in enumerate(ACTIVATIONS):
        top, bottom = axes[0, j], axes[1, j]
        for name in INITS:
            s = scale["scale"][act, name]
            top.plot(scale["depths"], np.exp(np.log(s).mean(axis=0)), "o-", ms=3,
                     color=COLORS[name], label=LABELS[name])
            top.fill_between(scale["depths"], s.min(axis=0), s.max(axis=0), color=COLORS[name],
                             alpha=0.2, linewidth=0)
            plotting.curves_with_band(bottom, trained["depths"], trained["acc"][act, name],
                                      color=COLORS[name])
        top.set_yscale("log")
        top.set_title({"relu": "ReLU", "tanh": "tanh"}[act])
        bottom.axhline(trained["train_chance"], color="0.5", ls=":", lw=1)
        bottom.set(ylim=(0, 1), xlabel="hidden layers")
        plotting.integer_ticks(bottom, "x")
    axes[0, 0].set_ylabel("last-layer RMS / input RMS")
    axes[1, 0].set_ylabel("test accuracy")
    axes[0, 0].legend(loc="lower left")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------ predict, then run


def exercise_deeper(*, depth: int, width: int, n_seeds: int, seed: int) -> dict:
    """Exercise: Glorot on ReLU at ``depth`` hidden layers: the RMS ratio of
    :func:`scale_at_init` (geometric mean over seeds) against ``2^(-depth/2)``."""
    deeper = scale_at_init(depths=(depth,), width=width, n_seeds=n_seeds, seed=seed)
    return {
        "ex_deeper_depth": int(depth), "ex_deeper_scale": deeper["relu_glorot_scale_deep"],
        "ex_deeper_theory": deeper["relu_glorot_scale_deep_theory"],
        "ex_deeper_over_theory": deeper["relu_glorot_scale_deep"]
        / deeper["relu_glorot_scale_deep_theory"],
    }


def exercise_tanh_factor(*, init: str, depth: int, width: int, seed: int) -> dict:
    """Exercise: a ``depth``-layer tanh net with ``init`` (a key of :data:`INITS`), one net from
    ``seed``: the per-layer factor of ``E[A_l^2]``, fitted over the layers
    (``stats.log_slope``), against the small-signal factor ``width Var(w)`` and the same fit
    of the mean-field profile (:func:`variance_explorer`'s prediction)."""
    if init not in INITS:
        raise ValueError(f"`init` must be one of {list(INITS)}, got {init!r}")
    X = datasets.load("digits", np.random.default_rng(seed)).X_train
    model = network.MLP((64,) + (width,) * depth + (10,), np.random.default_rng(seed),
                        activation="tanh", weight_init=_init(init))
    model.forward(X)
    second = np.array([float(np.mean(A**2)) for A in model.A[1:-1]])
    s2 = np.r_[64 * WEIGHT_VAR[init](64, width), np.full(depth - 1, width
                                                        * WEIGHT_VAR[init](width, width))]
    pred = theory.mean_field_layers("tanh", s2, float(np.mean(X**2)))["act_second"]
    layer = np.arange(1, depth + 1)
    return {
        "ex_tanh_init": init, "ex_tanh_depth": int(depth),
        "ex_tanh_factor": math.exp(stats.log_slope(layer, second)),
        "ex_tanh_factor_mean_field": math.exp(stats.log_slope(layer, pred)),
        "ex_tanh_factor_small_signal": width * WEIGHT_VAR[init](width, width),
    }


# ----------------------------------------------------------------- explore layer by layer


#: ``Var(w)`` of each init for a ``(fan_in, fan_out)`` weight (module docstring).
WEIGHT_VAR = {"glorot": lambda fan_in, fan_out: 2.0 / (fan_in + fan_out),
              "he": lambda fan_in, fan_out: 2.0 / fan_in,
              "pytorch": lambda fan_in, fan_out: 1.0 / (3.0 * fan_in)}


def variance_explorer(scale: dict, *, width: int, seed: int) -> dict:
    """Per-layer second moment of the deepest nets of :func:`scale_at_init`, against mean field.

    Measured: ``var[act, init]`` ``(n_seeds, L)``, ``E[A_l^2] / E[x^2]`` (the squared RMS
    ratios of ``scale["layers"]``). Mean field (``theory.mean_field_layers`` from one input of
    the digits' mean length ``E[x^2]``, same split): layer 1 has ``sigma_w2 = 64 Var(w)``, the
    others ``width Var(w)``, with ``Var(w)`` of :data:`WEIGHT_VAR`; ``theory[act, init]``
    ``(L,)`` is ``E[A_l^2] / E[x^2]``. Recorded: the prediction at layer ``L`` per
    activation and init, and per activation the largest ``|log10(measured / predicted)|`` of
    the geometric mean over seeds, over all layers and inits (finite width: a few tenths).
    """
    X = datasets.load("digits", np.random.default_rng(seed)).X_train
    input_var = float(np.mean(X**2))                      # E[x^2] = |x|^2 / 64 on average
    L = int(scale["layers"]["relu", "he"].shape[1])
    var, pred = {}, {}
    for act in ACTIVATIONS:
        for name in INITS:
            s2 = np.r_[64 * WEIGHT_VAR[name](64, width), np.full(L - 1, width
                                                               * WEIGHT_VAR[name](width, width))]
            mf = theory.mean_field_layers(act, s2, input_var)
            pred[act, name] = mf["act_second"] / input_var
            var[act, name] = scale["layers"][act, name] ** 2
    err = {act: max(float(np.max(np.abs(np.log10(np.exp(np.log(var[act, n]).mean(axis=0))
                                                    / pred[act, n])))) for n in INITS)
           for act in ACTIVATIONS}
    return {
        "explore_depth": L,
        "explore_relu_glorot_var_theory": float(pred["relu", "glorot"][-1]),
        "explore_relu_he_var_theory": float(pred["relu", "he"][-1]),
        "explore_relu_pytorch_var_theory": float(pred["relu", "pytorch"][-1]),
        "explore_tanh_glorot_var_theory": float(pred["tanh", "glorot"][-1]),
        "explore_tanh_he_var_theory": float(pred["tanh", "he"][-1]),
        "explore_tanh_pytorch_var_theory": float(pred["tanh", "pytorch"][-1]),
        "explore_relu_max_log10_err": err["relu"], "explore_tanh_max_log10_err": err["tanh"],
        "var": var, "theory": pred,
    }


def plot_variance_slider(explorer: dict) -> str:
    """The page's selector over the three inits (:func:`variance_explorer`), as offline HTML:
    per-layer second moment through the deepest ReLU (top) and tanh (bottom) nets, log scale;
    the selected init in colour (seeds as dots, mean field dashed), the other two in grey."""
    from initlab import interactive

    fig, axes = plt.subplots(2, 1, figsize=(plotting.MAX_WIDTH, 5.8), sharex=True,
                             layout="constrained")
    layer = np.arange(1, explorer["explore_depth"] + 1)
    drawn = {}
    for ax, act in zip(axes, ACTIVATIONS, strict=True):
        for name in INITS:
            dots = ax.plot(np.repeat(layer[None], explorer["var"][act, name].shape[0], 0).T,
                           explorer["var"][act, name].T, "o", ms=3, color="0.8")
            (line,) = ax.plot(layer, explorer["theory"][act, name], "--", lw=1, color="0.8")
            drawn[act, name] = (dots, line)
        ax.set(yscale="log", ylim=(1e-25, 1e3), yticks=10.0 ** np.arange(-24, 1, 6),
               ylabel="E[A_l²] / E[x²]", title={"relu": "ReLU", "tanh": "tanh"}[act])
        ax.axhline(1.0, color="0.5", lw=0.8)
    axes[1].set_xlabel("hidden layer l")
    plotting.integer_ticks(axes[1], "x")

    def draw(i: int) -> None:
        chosen = list(INITS)[i]
        for (_, name), (dots, line) in drawn.items():
            color, z = (COLORS[name], 3) if name == chosen else ("0.8", 1)
            for artist in (*dots, line):
                artist.set(color=color, zorder=z)

    labels = [f"{LABELS[n]}: Var(w) = {v} (dots: seeds, dashed: mean field)" for n, v in
              (("glorot", "2/(fan_in + fan_out)"), ("he", "2/fan_in"), ("pytorch", "1/(3 fan_in)"))]
    alt = ("Two stacked log-scale panels, ReLU and tanh: the second moment of each hidden layer "
           "over the input's against the layer, for 30 layers; the init the slider selects is "
           "drawn in colour with its mean-field prediction dashed, the other two in grey.")
    return interactive.slider(fig, draw, labels, alt=alt)
