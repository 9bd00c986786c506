"""Chapter 6, He / Kaiming initialization: the figures of the page.

What: one function per figure, each reading the dict an experiment of
:mod:`initlab.experiments.he_kaiming` returned (they compute nothing new): the depth profile of
three inits against theory with the seeds' spread, training curves over seeds
(``plotting.curves_with_band``), the forward and backward ratios of He's two fan modes, and
the leaky-ReLU stack at two gains. Every figure fits the text column
(:func:`initlab.plotting.check_fits_column`): at most two panels side by side, fonts >= 10 pt.

Shapes: per-seed curves ``(n_seeds, n_layers)``, theory lines ``(n_layers,)``, training
curves ``(n_seeds, epochs + 1)``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from initlab import plotting, theory

LABELS = {"he": "He: N(0, 2/fan_in)", "xavier": "Xavier: Var = 2/(fan_in+fan_out)",
          "std001": "N(0, 0.01²)"}
SHORT = {"he": "He", "xavier": "Xavier", "std001": "std 0.01"}
COLORS = {"he": "C2", "xavier": "C0", "std001": "C3"}


def plot_depth_profile(profile: dict) -> Figure:
    """Top: ``v_l`` on a log axis, mean over seeds (solid) and theory (dashed), per scheme.

    Bottom: ``log2(v_l / theory)``, per scheme the min..max over seeds as a band and the first
    seed as a line, against the finite-width ``+-2 sqrt(5 l / n) / ln 2`` (dashed;
    :func:`initlab.theory.finite_width_log_std`).
    """
    setup = profile["setup"]
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(plotting.MAX_WIDTH, 7.2), sharex=True)
    x = profile["layers"]
    for name, p in profile["curves"].items():
        ax.plot(x, p["ratios"].mean(axis=0), color=COLORS[name], lw=2,
                label=f"{LABELS[name]}, mean")
        ax.plot(x, p["theory"], "--", color="k", lw=1.2,
                label="theory" if name == "std001" else None)
        dev = np.log2(p["ratios"] / p["theory"])
        bx.fill_between(x, dev.min(axis=0), dev.max(axis=0), color=COLORS[name], alpha=0.2,
                        linewidth=0, label=f"{SHORT[name]}: all {len(dev)} seeds")
        bx.plot(x, dev[0], color=COLORS[name], lw=1.2, label=f"{SHORT[name]}: first seed")
    ax.set_yscale("log")
    ax.set(title=f"{setup['n_layers']} ReLU layers of width {setup['width']} at init "
                 f"({setup['n_seeds']} seeds)",
           ylabel="mean(A_l²) / mean(x²)")
    ax.legend(loc="lower left")
    band = 2 * np.array([theory.finite_width_log_std(int(l), setup["width"]) for l in x])
    band /= math.log(2)
    bx.plot(x, band, "--", color="k", lw=1.2, label="±2 sd, finite width")
    bx.plot(x, -band, "--", color="k", lw=1.2)
    bx.axhline(0, color="0.4", lw=0.8)
    bx.set(title="Each seed relative to theory", xlabel="layer l",
           ylabel="log2(measured / theory)")
    bx.legend(loc="upper left", ncol=2)
    top = max(float(np.max(band)), float(np.max(np.abs(bx.get_ylim()))))
    bx.set_ylim(-1.15 * top, 1.9 * top)            # room for the legend above the bands
    plotting.integer_ticks(bx, "x")
    fig.tight_layout()
    return fig


def plot_training(curves: dict) -> Figure:
    """Test accuracy per epoch: mean over seeds with a min..max band, He versus Xavier."""
    setup = curves["setup"]
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 3.8))
    for name, acc in curves["test_acc"].items():
        plotting.curves_with_band(ax, curves["epochs"], acc, label=LABELS[name],
                                  color=COLORS[name])
    ax.axhline(setup["chance"], color="0.5", ls=":",
               label="largest class share (chance)")
    ax.set(title=f"{setup['n_layers']} ReLU layers of width {setup['width']} on the digits "
                 f"({setup['n_seeds']} seeds)",
           xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    plotting.integer_ticks(ax, "x")
    ax.legend(loc="center right")
    fig.tight_layout()
    return fig


def plot_fan_modes(fans: dict) -> Figure:
    """Left: forward ``v_l``; right: back-propagated ``E[dZ_l^2]`` (relative to the top).

    Per mode: the mean over seeds with a min..max band (``plotting.curves_with_band``) and
    the theory (dashed).
    """
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 4.0), sharey=True)
    x = fans["layers"]
    for mode, c in (("fan_in", "C2"), ("fan_out", "C4")):
        p = fans[mode]
        for axis, key in ((ax, "fwd"), (bx, "bwd")):
            plotting.curves_with_band(axis, x, p[key], label=f"mode={mode}", color=c)
            axis.plot(x, p[f"{key}_theory"], "--", color=c, lw=1.5)
    ax.plot([], [], "--", color="0.3", label="theory")
    ax.set(yscale="log", title="Forward", xlabel="layer l", ylabel="mean(A_l²) / mean(x²)")
    bx.set(title="Backward", xlabel="layer l", ylabel="mean((dL/dZ_l)²) / top layer's")
    for axis in (ax, bx):
        axis.set_xticks(x)
    ax.legend(loc="lower left")
    widths = "→".join(str(n) for n in fans["setup"]["sizes"])
    fig.suptitle(f"He init, ReLU, widths {widths} ({fans['setup']['n_seeds']} seeds)")
    fig.tight_layout()
    return fig


def plot_leaky(leaky: dict) -> Figure:
    """``v_l`` through leaky-ReLU layers with the leaky gain and with the ReLU gain.

    Per gain: the mean over seeds with a min..max band and the theory (dashed).
    """
    setup = leaky["setup"]
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 3.8))
    x = leaky["layers"]
    labels = {"leaky": f"gain √(2/(1+a²)) = {leaky['gains']['leaky']:.3f}",
              "relu": f"ReLU gain √2 = {leaky['gains']['relu']:.3f}"}
    for key, c in (("leaky", "C2"), ("relu", "C1")):
        p = leaky["curves"][key]
        plotting.curves_with_band(ax, x, p["ratios"], label=labels[key], color=c)
        ax.plot(x, p["theory"], "--", color=c, lw=1.5)
    ax.plot([], [], "--", color="0.3", label="theory")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.FixedLocator([0.25, 0.5, 1, 2, 4, 8]))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set(title=f"Leaky ReLU (a = {setup['alpha']}), {setup['n_layers']} layers of width "
                 f"{setup['width']} ({setup['n_seeds']} seeds)",
           xlabel="layer l", ylabel="mean(A_l²) / mean(x²)")
    plotting.integer_ticks(ax, "x")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig
