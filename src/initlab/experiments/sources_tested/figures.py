"""Chapter 10: the figures, drawn from the dicts the experiments in ``__init__`` return.

Each ``plot_*`` reads figure data only (it computes nothing new) and returns one figure sized
for the text column (:data:`initlab.plotting.MAX_WIDTH`); what a figure shows is said in the
caption on the page, so the figures carry no long titles.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import plotting

WIDTH = plotting.MAX_WIDTH
INITS = {"positive": "U[0, 0.1]", "symmetric": "U(±0.05)"}


def plot_bias_gradients(bg: dict) -> Figure:
    """``||db_l||`` (solid) and ``||dW_l||`` (dashed) per layer, log y, one colour per net."""
    fig, ax = plt.subplots(figsize=(WIDTH, 5.0))
    labels = {"sigmoid_glorot": "sigmoid, Glorot uniform",
              "tanh_standard": "tanh, standard U(±1/√n)", "tanh_glorot": "tanh, Glorot uniform"}
    layers = np.arange(1, bg["settings"]["n_hidden"] + 2)
    for k, (name, label) in enumerate(labels.items()):
        ax.semilogy(layers, bg[name]["db"], "-o", ms=3, color=f"C{k}", label=f"{label}: bias")
        ax.semilogy(layers, bg[name]["dW"], "--", color=f"C{k}", label=f"{label}: weights")
    ax.set(xlabel="layer (1 = first hidden, last = output)", ylabel="gradient norm at init (log)")
    plotting.integer_ticks(ax, "x")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    return fig


def plot_standard_variance(sv: dict) -> Figure:
    """Activation variance per tanh layer (log y) for both inits, with the per-layer factor
    that theory predicts in tanh's linear regime (1/3 and 1) drawn from layer 1."""
    fig, ax = plt.subplots(figsize=(WIDTH, 3.8))
    layers = sv["layers"]
    for k, (name, label, factor) in enumerate((("standard", "standard U(±1/√n)", 1 / 3),
                                                ("normalized", "Glorot normalized", 1.0))):
        var = sv["var"][name]
        ax.semilogy(layers, var, "-o", ms=4, color=f"C{k}", label=label)
        ax.semilogy(layers, var[0] * factor ** (layers - 1.0), ":", color=f"C{k}",
                    label=f"× {factor:.3g} per layer (linear regime)")
    ax.set(xlabel="hidden layer", ylabel="Var(activations) (log)")
    plotting.integer_ticks(ax, "x")
    ax.legend(loc="lower left")
    fig.tight_layout()
    return fig


def plot_positive_drift(drift: dict) -> Figure:
    """Mean pre-activation per ReLU layer (symlog y), one colour per width, both ranges."""
    fig, ax = plt.subplots(figsize=(WIDTH, 4.6))
    for k, n in enumerate(drift["widths"]):
        for init, style in (("positive", "-o"), ("symmetric", ":")):
            ax.plot(drift["layers"], drift["mean"]["relu"][init][k], style, ms=3,
                    color=f"C{k}", label=f"{INITS[init]}, width {n}")
    ax.set_yscale("symlog", linthresh=0.1)
    ax.set(xlabel="hidden layer", ylabel="mean pre-activation (symlog)")
    plotting.integer_ticks(ax, "x")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.22, 1, 1))
    return fig


def plot_positive_training(tr: dict) -> Figure:
    """Test accuracy per epoch, mean over seeds and min..max band, relu and tanh, both ranges."""
    fig, ax = plt.subplots(figsize=(WIDTH, 4.4))
    for k, act in enumerate(("relu", "tanh")):
        for init, ls in (("positive", "-"), ("symmetric", "--")):
            plotting.curves_with_band(ax, tr["epochs"], tr["acc"][act][init],
                                      f"{act}, {INITS[init]}", f"C{k}")
            ax.lines[-1].set_linestyle(ls)
    ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    plotting.integer_ticks(ax, "x")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.15, 1, 1))
    return fig


def plot_zero_movement(zm: dict) -> Figure:
    """How far each parameter array moved from zero, per activation, on a linear axis; an
    array that did not move at all has no bar and is labelled "0"."""
    fig, ax = plt.subplots(figsize=(WIDTH, 4.0))
    keys = ("W1", "b1", "W2", "b2")
    top = max(max(zm["moved"][act].values()) for act in ("tanh", "sigmoid"))
    for k, act in enumerate(("tanh", "sigmoid")):
        x = np.arange(4) + 0.2 * (2 * k - 1)
        vals = [zm["moved"][act][key] for key in keys]
        ax.bar(x, vals, width=0.4, color=f"C{k}", label=f"{act} hidden layer")
        for xi, v in zip(x, vals, strict=True):
            if v == 0.0:
                ax.text(xi, 0.02 * top, "0", ha="center", va="bottom", color=f"C{k}")
    ax.set_xticks(np.arange(4), ["$W_1$ (hidden)", "$b_1$ (hidden)", "$W_2$ (output)",
                                 "$b_2$ (output)"])
    ax.set(ylabel=r"distance moved $\|\theta_{end} - \theta_0\|$", ylim=(0, 1.3 * top))
    ax.legend(loc="upper left", ncol=2)
    fig.tight_layout()
    return fig
