"""Chapter 6, He / Kaiming initialization: the figures of the page.

What: one function per figure, each reading the dict an experiment of
:mod:`initlab.experiments.he_kaiming` returned (they compute nothing new): the depth profile of
three inits against theory with every seed's deviation, training curves over seeds
(``plotting.curves_with_band``), the forward and backward ratios of He's two fan modes, and
the leaky-ReLU stack at two gains.

Shapes: per-seed curves ``(n_seeds, n_layers)``, theory lines ``(n_layers,)``, training
curves ``(n_seeds, epochs + 1)``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from initlab import plotting, theory

LABELS = {"he": "He: N(0, 2/fan_in)", "xavier": "Xavier: Var = 2/(fan_in+fan_out)",
          "std001": "N(0, 0.01²)"}
COLORS = {"he": "C2", "xavier": "C0", "std001": "C3"}


def _seed_lines(ax: plt.Axes, x: np.ndarray, rows: np.ndarray, color: str, label: str) -> None:
    """One thin line per seed (first one labelled), in a light opaque tint of ``color``.

    Opaque tints instead of transparency keep the PNG small (no blended colours).
    """
    tint = np.clip(1 - 0.55 * (1 - np.array(to_rgb(color))), 0, 1)
    for i, row in enumerate(rows):
        ax.plot(x, row, color=tint, lw=0.8, antialiased=False, label=label if i == 0 else None)


def plot_depth_profile(profile: dict) -> Figure:
    """Left: ``v_l`` on a log axis, mean over seeds (solid) and theory (dashed), per scheme.

    Right: every seed's ``log2(v_l / theory)`` with the finite-width band
    ``+-2 sqrt(5 l / n) / ln 2`` (:func:`initlab.theory.finite_width_log_std`).
    """
    setup = profile["setup"]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.4), width_ratios=(1.2, 1))
    x = profile["layers"]
    for name, p in profile["curves"].items():
        ax.plot(x, p["ratios"].mean(axis=0), color=COLORS[name], lw=2,
                label=f"{LABELS[name]}, mean of seeds")
        ax.plot(x, p["theory"], "--", color="k", lw=1.2,
                label="theory (predicted_variance / 2)" if name == "std001" else None)
        _seed_lines(bx, x, np.log2(p["ratios"] / p["theory"]), COLORS[name], LABELS[name])
    ax.annotate(f"2^-{setup['n_layers']}", (x[-1], profile["curves"]["xavier"]["theory"][-1]),
                xytext=(-38, 12), textcoords="offset points", fontsize=9, color=COLORS["xavier"])
    ax.set_yscale("log")
    ax.set(title=f"{setup['n_layers']} ReLU layers of width {setup['width']} at init "
                 f"({setup['n_seeds']} seeds)",
           xlabel="layer l", ylabel="variance ratio mean(A_l²) / mean(x²)  (log)")
    ax.legend(fontsize=8, loc="lower left")
    band = 2 * np.array([theory.finite_width_log_std(int(l), setup["width"]) for l in x])
    band /= math.log(2)
    bx.fill_between(x, -band, band, color="0.85", label="±2 sd, √(5 l / n) in ln")
    bx.axhline(0, color="k", lw=1)
    bx.set(title="Each seed relative to theory", xlabel="layer l",
           ylabel="log2(measured / theory)")
    bx.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def plot_training(curves: dict) -> Figure:
    """Test accuracy per epoch: mean over seeds with a min..max band, He versus Xavier."""
    setup = curves["setup"]
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    for name, acc in curves["test_acc"].items():
        plotting.curves_with_band(ax, curves["epochs"], acc, label=LABELS[name],
                                  color=COLORS[name])
    ax.axhline(setup["chance"], color="0.5", ls=":",
               label="largest class share (chance)")
    ax.set(title=f"{setup['n_layers']} ReLU layers of width {setup['width']} on the digits "
                 f"({setup['n_seeds']} seeds, mean and min..max)",
           xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def plot_fan_modes(fans: dict) -> Figure:
    """Left: forward ``v_l``; right: back-propagated ``E[dZ_l^2]`` (relative to the top)."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.3), sharey=True)
    x = fans["layers"]
    for mode, c in (("fan_in", "C2"), ("fan_out", "C4")):
        p = fans[mode]
        _seed_lines(ax, x, p["fwd"], c, f"mode={mode}, each seed")
        ax.plot(x, p["fwd_theory"], "--", color=c, lw=2, label="  theory")
        _seed_lines(bx, x, p["bwd"], c, f"mode={mode}, each seed")
        bx.plot(x, p["bwd_theory"], "--", color=c, lw=2, label="  theory")
    widths = " → ".join(str(n) for n in fans["setup"]["sizes"])
    ax.set(yscale="log", title="Forward: mean(A_l²) / mean(x²)", xlabel="layer l",
           ylabel="ratio (log scale)")
    bx.set(title="Backward: mean((dL/dZ_l)²) / top layer's", xlabel="layer l")
    fig.suptitle(f"He init, ReLU, widths {widths} ({fans['setup']['n_seeds']} seeds)")
    for axis in (ax, bx):
        axis.set_xticks(x)
        axis.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_leaky(leaky: dict) -> Figure:
    """``v_l`` through leaky-ReLU layers with the leaky gain and with the ReLU gain."""
    setup = leaky["setup"]
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    x = leaky["layers"]
    labels = {"leaky": f"gain √(2/(1+a²)) = {leaky['gains']['leaky']:.3f}",
              "relu": f"ReLU gain √2 = {leaky['gains']['relu']:.3f}"}
    for key, c in (("leaky", "C2"), ("relu", "C1")):
        p = leaky["curves"][key]
        _seed_lines(ax, x, p["ratios"], c, f"{labels[key]}, each seed")
        ax.plot(x, p["theory"], "--", color=c, lw=2, label="  theory")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.FixedLocator([0.25, 0.5, 1, 2, 4, 8]))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set(title=f"Leaky ReLU (a = {setup['alpha']}), {setup['n_layers']} layers of width "
                 f"{setup['width']} ({setup['n_seeds']} seeds)",
           xlabel="layer l", ylabel="mean(A_l²) / mean(x²)  (log scale)")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
