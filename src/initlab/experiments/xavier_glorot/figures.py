"""Chapter 5, Xavier / Glorot initialization: the figures and tables of the page.

What: one function per figure, each reading the dict an experiment of
:mod:`initlab.experiments.xavier_glorot` returned (they compute nothing new): the sources'
demo and the bound-versus-fan sweep, the per-layer histograms at init, training curves over
seeds (``plotting.curves_with_band``), and the depth profile of gain 1 versus 5/3.

Shapes: as in the experiment dicts; histograms ``(n_hidden, n_bins)``, curves
``(n_seeds, epochs + 1)``, depth profiles ``(n_layers,)``.

Every figure fits the text column (:func:`initlab.plotting.check_fits_column`): at most two
panels side by side, fonts >= 10 pt; wider comparisons are stacked.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import plotting

LABELS = {"standard": "standard U(±1/√fan_in)", "normalized": "normalized (Glorot uniform)",
          "tanh_gain": "normalized × 5/3 (PyTorch tanh gain)"}
COLORS = {"standard": "C3", "normalized": "C0", "tanh_gain": "C2"}


def plot_source_demo(demo: dict, fans: dict) -> Figure:
    """Top: histogram of the demo's draws with both bounds; bottom: bound and std vs fan_in."""
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(plotting.MAX_WIDTH, 8.0),
                                 height_ratios=(1, 1.15))
    w, fan_in = demo["weights"], demo["setup"]["fan_in"]
    b, bn = 1 / math.sqrt(fan_in), math.sqrt(6 / (2 * fan_in))  # standard, normalized bounds
    ax.hist(demo["weights"], bins=40, range=(-bn, bn), density=True, color="C3", alpha=0.6,
            label=f"{len(w)} draws, U(±1/√{fan_in})")
    ax.hlines(1 / (2 * b), -b, b, color="k", lw=1.5, label="density 1/(2·bound)")
    for sign in (-1, 1):
        ax.axvline(sign * b, color="C3", ls="-", lw=1.5)
        ax.axvline(sign * bn, color="C0", ls="--", lw=1.5)
    ax.plot([], [], color="C0", ls="--", label=f"normalized bound ±{bn:.3f}")
    ax.set(title=f"The sources' demo: fan_in = {fan_in} (one seed)",
           xlabel="weight value", ylabel="density", ylim=(0, 1 / (2 * b) * 2.0),
           xlim=(-1.25 * bn, 1.25 * bn))
    ax.legend(loc="upper center", ncol=2)
    n = fans["fans"]
    for name, ls in (("standard", "-"), ("normalized", "--")):
        c = COLORS[name]
        bx.loglog(n, fans["bound"][name], color=c, ls=ls, label=f"bound, {name}")
        bx.loglog(n, fans["bound"][name] / math.sqrt(3.0), color=c, ls=":", lw=1.5,
                  label=f"bound/√3, {name}")
        bx.loglog(n, fans["std"][name], "o", color=c, mfc="white",
                  label=f"measured std, {name}")
    bx.set(title="Bound and std vs fan_in (square layers, one seed)",
           xlabel="fan_in = fan_out", ylabel="weight bound or std")
    bx.legend(loc="lower left", ncol=2)
    bx.set_ylim(bx.get_ylim()[0] / 12, bx.get_ylim()[1])   # room for the legend below the data
    fig.tight_layout()
    return fig


def plot_layer_histograms(stats: dict) -> Figure:
    """2 x 2 grid: activations (top) and back-propagated gradients (bottom), per init."""
    names = ("standard", "normalized")
    n_hidden = stats["setup"]["n_hidden"]
    fig, axes = plt.subplots(2, 2, figsize=(plotting.MAX_WIDTH, 6.6), sharex="row",
                             sharey="row")
    colors = plt.cm.viridis(np.linspace(0, 0.9, n_hidden))
    for j, name in enumerate(names):
        s = stats[name]
        for row, (key, edges) in enumerate((("act", stats["act_edges"]),
                                            ("grad", stats["grad_edges"]))):
            ax = axes[row, j]
            mid = (edges[:-1] + edges[1:]) / 2
            for l, h in enumerate(s[f"{key}_hist"]):
                ax.plot(mid, h, color=colors[l], drawstyle="steps-mid",
                        label=f"layer {l + 1}")
            ax.set_yscale("log")
            ax.set_ylim(np.max(stats["normalized"][f"{key}_hist"]) * 1e-4,
                        np.max([stats[n][f"{key}_hist"] for n in names]) * 3)
        axes[0, j].set_title(name)
        axes[0, j].set_xlabel("activation tanh(Z_l)")
        axes[1, j].set_xlabel("gradient dL/dZ_l")
        axes[1, j].ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    axes[0, 0].set_ylabel("density (log)")
    axes[1, 0].set_ylabel("density (log)")
    fig.suptitle(f"{n_hidden} tanh layers of width {stats['setup']['width']} at init, "
                 f"{stats['setup']['n_examples']} digits")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=n_hidden, handlelength=1.2,
               columnspacing=1.0)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_training(curves: dict) -> Figure:
    """Test accuracy per epoch: mean over seeds with a min..max band, per scheme."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 4.4))
    for name, acc in curves["test_acc"].items():
        plotting.curves_with_band(ax, curves["epochs"], acc, label=LABELS[name],
                                  color=COLORS[name])
    ax.axhline(0.1, color="0.5", ls=":", label="chance (10 classes)")
    setup = curves["setup"]
    ax.set(title=f"{setup['n_hidden']} tanh layers of width {setup['width']} on the digits "
                 f"({setup['n_seeds']} seeds)",
           xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    plotting.integer_ticks(ax, "x")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.tight_layout()
    return fig


def plot_depth_profile(profile: dict) -> Figure:
    """Activation std (top) and relative gradient std (bottom) per layer, gain 1 versus 5/3,
    measured (circles) and mean field (lines)."""
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(plotting.MAX_WIDTH, 7.0), sharex=True)
    layers = profile["layers"]
    for gain, c in zip(profile["setup"]["gains"], ("C0", "C2"), strict=True):
        p = profile["profiles"][gain]
        lab = "gain 1 (Glorot uniform)" if gain == 1.0 else f"gain {gain:.3f}"
        ax.plot(layers, p["act_std"], "o", color=c, mfc="white", label=f"{lab}, measured")
        ax.plot(layers, p["act_pred"], "-", color=c, label=f"{lab}, mean field")
        bx.semilogy(layers, p["grad_std"], "o", color=c, mfc="white", label=f"{lab}, measured")
        bx.semilogy(layers, p["grad_pred"], "-", color=c, label=f"{lab}, mean field")
    ax.set(title=f"{profile['setup']['n_layers']} tanh layers of width "
                 f"{profile['setup']['width']} (one seed)",
           ylabel="std of tanh(Z_l)", ylim=(0, None))
    bx.set(title="Back-propagated gradient, relative to the top layer", xlabel="layer l",
           ylabel="std(dL/dZ_l) / top layer's")
    plotting.integer_ticks(bx, "x")
    ax.legend(loc="center right")
    bx.legend(loc="lower right")
    fig.tight_layout()
    return fig
