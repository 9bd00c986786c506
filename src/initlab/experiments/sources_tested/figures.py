"""Chapter 10: the figures, drawn from the dicts the experiments in ``__init__`` return.

Each ``plot_*`` reads figure data only (it computes nothing new) and returns the figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import plotting


def plot_bias_gradients(bg: dict) -> Figure:
    """``||db_l||`` (solid) and ``||dW_l||`` (dashed) per layer, log y, one colour per net."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    labels = {"sigmoid_glorot": "sigmoid, Glorot uniform",
              "tanh_standard": "tanh, standard U(±1/√n)", "tanh_glorot": "tanh, Glorot uniform"}
    setting = bg["settings"]
    layers = np.arange(1, setting["n_hidden"] + 2)
    for k, (name, label) in enumerate(labels.items()):
        ax.semilogy(layers, bg[name]["db"], "-o", ms=3, color=f"C{k}", label=f"{label}: bias")
        ax.semilogy(layers, bg[name]["dW"], "--", color=f"C{k}", label=f"{label}: weights")
    ax.set(xlabel="layer (1 = first hidden, last = output)",
           ylabel="gradient norm at init (log)",
           title=f"{setting['n_hidden']} hidden layers of width {setting['width']}, "
                 f"{setting['n_rows']} digits")
    ax.legend(fontsize=7, ncol=1, loc="lower right")
    fig.tight_layout()
    return fig


def plot_standard_variance(sv: dict) -> Figure:
    """Activation variance per tanh layer (log y) for both inits, with the per-layer factor
    that theory predicts in tanh's linear regime (1/3 and 1) drawn from layer 1."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    layers = sv["layers"]
    for k, (name, label, factor) in enumerate((("standard", "standard U(±1/√n)", 1 / 3),
                                                ("normalized", "Glorot normalized", 1.0))):
        var = sv["var"][name]
        ax.semilogy(layers, var, "-o", ms=4, color=f"C{k}", label=label)
        ax.semilogy(layers, var[0] * factor ** (layers - 1.0), ":", color=f"C{k}",
                    label=f"factor {factor:.3g} per layer (linear regime)")
    ax.set(xlabel="hidden layer", ylabel="Var(activations) (log)",
           title=f"tanh, width {sv['settings']['width']}, all 1797 digits")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_positive_uniform(drift: dict, tr: dict) -> Figure:
    """Left: mean pre-activation per layer (symlog), by width; right: test accuracy curves."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    for k, n in enumerate(drift["widths"]):
        ax1.plot(drift["layers"], drift["mean"]["relu"]["positive"][k], "-o", ms=3,
                 color=f"C{k}", label=f"U[0, 0.1], width {n}")
        ax1.plot(drift["layers"], drift["mean"]["relu"]["symmetric"][k], ":", color=f"C{k}",
                 label=f"U(±0.05), width {n}")
    ax1.set_yscale("symlog", linthresh=0.1)
    ax1.set(xlabel="hidden layer", ylabel="mean pre-activation (symlog)",
            title="ReLU, all 1797 digits: all-positive weights drift")
    ax1.legend(fontsize=7)
    for k, a in enumerate(("relu", "tanh")):
        for init, ls in (("positive", "-"), ("symmetric", "--")):
            label = f"{a}, {'U[0, 0.1]' if init == 'positive' else 'U(±0.05)'}"
            plotting.curves_with_band(ax2, tr["epochs"], tr["acc"][a][init], label, f"C{k}")
            ax2.lines[-1].set_linestyle(ls)
    ax2.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1),
            title=f"{tr['settings']['sizes']}, {tr['settings']['n_seeds']} seeds: "
                  "mean, band = min..max")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_zero_movement(zm: dict) -> Figure:
    """Bar chart of how far each parameter array moved from zero, per activation (log y)."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    keys = ("W1", "b1", "W2", "b2")
    floor = 1e-6
    for k, act in enumerate(("tanh", "sigmoid")):
        vals = [max(zm["moved"][act][key], floor) for key in keys]
        ax.bar(np.arange(4) + 0.2 * (2 * k - 1), vals, width=0.4, color=f"C{k}",
               label=f"{act} hidden layer")
    ax.axhline(floor, color="k", lw=0.8, ls=":")
    ax.text(3.6, floor * 1.5, "exactly 0", fontsize=8, ha="right")
    ax.set_yscale("log")
    ax.set_xticks(np.arange(4), ["$W_1$ (hidden)", "$b_1$ (hidden)", "$W_2$ (output)",
                                 "$b_2$ (output)"])
    ax.set(ylabel=r"$\|\theta_{end} - \theta_0\|$ (log)",
           title=f"All-zero init, {zm['settings']['epochs']} epochs of SGD on the digits")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
