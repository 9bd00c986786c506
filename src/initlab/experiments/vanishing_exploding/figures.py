"""Chapter 4, vanishing and exploding gradients: the figures and the table of the page.

What: one function per figure, each reading the dict an experiment of
:mod:`initlab.experiments.vanishing_exploding` returned: heatmaps of the grid (layer x ``g^2``)
with the small-signal contours and profiles over depth for a few gains (each as two figures,
activations and gradients, one 2 x 2 panel per activation), rates and saturated fractions
against mean field, the recommended gains over depth, the training curves, and weight versus
bias gradients at ``g^2 = 1`` (figure and table). Every figure fits the book's text column
(``plotting.MAX_WIDTH``, at most two panels side by side). The small-signal lines
``(g^2 c)^(l/2)`` are drawn from ``theory.small_signal_factors``; nothing else is computed.

Shapes: grid arrays ``(4, n_gains, n_layers)``, rates ``(4, n_gains)``, profiles ``(n_layers,)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from initlab import theory
from initlab.experiments.vanishing_exploding.profiles import ACTIVATIONS, LEAKY_ALPHA, activation
from initlab.plotting import integer_ticks

LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
          "leaky_relu": f"leaky ReLU (α = {LEAKY_ALPHA})"}
COLORS = {"sigmoid": "C4", "tanh": "C1", "relu": "C0", "leaky_relu": "C2"}
#: Line styles: ReLU and leaky ReLU often overlap, so leaky ReLU is dashed.
STYLES = {"sigmoid": "-", "tanh": "-", "relu": "-", "leaky_relu": "--"}
#: Markers: ReLU as large squares so that leaky ReLU's dots on top leave them visible.
MARKERS = {"sigmoid": ("o", 6), "tanh": ("o", 6), "relu": ("s", 9), "leaky_relu": ("o", 5)}


def _linear_lines(name: str, g2: float, L: int) -> tuple[np.ndarray | None, np.ndarray]:
    """Small-signal ``(g^2 c)^((l-1)/2)`` (layer l / 1; None for the sigmoid, mean 1/2) and
    ``(g^2 c')^((L-l)/2)`` (layer l / L), ``l = 1..L``."""
    c, c_back = theory.small_signal_factors(activation(name))
    layers = np.arange(1, L + 1)
    act = None if c is None else (g2 * c) ** ((layers - 1) / 2)
    return act, (g2 * c_back) ** ((L - layers) / 2)


def _column(g: np.ndarray, g2: float) -> int:
    """Column of ``g^2`` in the grid's gains."""
    return int(np.argmin(np.abs(np.log2(g**2) - math.log2(g2))))


def _g2_edges(g: np.ndarray) -> np.ndarray:
    """Cell edges in ``log2(g^2)`` for a grid evenly spaced in ``log2(g^2)``."""
    k = np.log2(g**2)
    step = k[1] - k[0]
    return np.r_[k - step / 2, k[-1] + step / 2]


def _g2_ticks(ax: plt.Axes, g: np.ndarray, every: int = 2) -> None:
    """x ticks at every ``every``-th ``g^2`` of the grid, labelled 1/16 .. 64."""
    ticks = np.log2(g**2)[::every]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{2.0**t:g}" if t >= 0 else f"1/{2.0**-t:g}" for t in ticks])


#: The two rows of the grid: the key, the reference layer (index), the quantity, its y label.
ROWS = {"act_std": (0, "activation std, layer l / layer 1"),
        "grad_std": (-1, "std ∂L/∂Z_l, layer l / layer L")}


def _row(which: str) -> int:
    """0 for the activations, 1 for the gradients (ValueError naming anything else)."""
    if which not in ROWS:
        raise ValueError(f"`which` must be one of {list(ROWS)}, got {which!r}")
    return list(ROWS).index(which)


def plot_heatmaps(grid: dict, which: str = "act_std", clip: float = 1e12) -> Figure:
    """2 x 2 heatmaps, one per activation, hidden layer x ``g^2``, log colour scale:
    ``which="act_std"``: activation std relative to layer 1; ``"grad_std"``: back-propagated
    gradient std relative to the last hidden layer. Dashed contours: the small-signal line
    ``(g^2 c)^(l/2)`` at 1e-8, 1e-4, 1e4, 1e8, labelled by their power of ten; dotted
    vertical: ``g^2 c = 1``. sigmoid has no forward line (mean 1/2)."""
    r = _row(which)
    ref, what = ROWS[which]
    fig, axes = plt.subplots(2, 2, figsize=(6.3, 6.2), sharex=True, sharey=True,
                             layout="constrained")
    L, g = grid["setup"]["n_layers"], grid["g"]
    layers = np.arange(1, L + 1)
    norm = LogNorm(vmin=1 / clip, vmax=clip)
    for ax, name, V in zip(axes.flat, ACTIVATIONS, grid[which], strict=True):   # V: (n_g, L)
        ratio = np.clip(V / V[:, [ref]], 1 / clip, clip)
        mesh = ax.pcolormesh(_g2_edges(g), np.r_[layers - 0.5, L + 0.5], ratio.T,
                             cmap=plt.get_cmap("RdBu_r", 24), norm=norm)  # 1 decade per colour
        lines = [_linear_lines(name, gi**2, L)[r] for gi in g]
        if lines[0] is not None:
            cs = ax.contour(np.log2(g**2), layers, np.array(lines).T,
                            levels=[1e-8, 1e-4, 1e4, 1e8], colors="k", linestyles="--",
                            linewidths=0.9)
            labels = ax.clabel(cs, fmt=lambda v: f"$10^{{{math.log10(v):.0f}}}$", fontsize=10,
                               inline_spacing=2)
            for text in labels:  # upright, with a white box: readable across the colours
                text.set_rotation(0)
                text.set_bbox({"facecolor": "white", "edgecolor": "none", "pad": 0.5,
                               "alpha": 0.8})
            factor = theory.small_signal_factors(activation(name))[r]
            ax.axvline(math.log2(1 / factor), color="k", ls=":", lw=1.2)
        ax.set_title(LABELS[name])
        _g2_ticks(ax, g, every=3)
        integer_ticks(ax, "y")
    for ax in axes[1]:
        ax.set_xlabel("g² = n·σ²")
    for ax in axes[:, 0]:
        ax.set_ylabel("hidden layer l")
    cbar = fig.colorbar(mesh, ax=axes, location="bottom", shrink=0.8, extend="both",
                        ticks=[1e-12, 1e-8, 1e-4, 1, 1e4, 1e8, 1e12])
    cbar.set_label(f"{what.replace('layer L', f'layer {L}')} (log)")
    return fig


def plot_profiles(grid: dict, which: str = "act_std",
                  g2_values: Sequence[float] = (0.25, 1.0, 2.0, 4.0)) -> Figure:
    """2 x 2 log10 curves over depth, one panel per activation, for a few ``g^2``: measured
    (dots), mean field (dashed), small-signal line ``(g^2 c)^(l/2)`` (dotted); ``which``:
    ``"act_std"`` (activation std / layer 1) or ``"grad_std"`` (gradient std / layer L)."""
    r = _row(which)
    ref, what = ROWS[which]
    pred_key = ("pred_act_std", "pred_grad_ratio")[r]
    fig, axes = plt.subplots(2, 2, figsize=(6.3, 6.4), sharex=True, sharey=True)
    L = grid["setup"]["n_layers"]
    layers = np.arange(1, L + 1)
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(g2_values)))
    for c, (ax, name) in enumerate(zip(axes.flat, ACTIVATIONS, strict=True)):
        for g2, col in zip(g2_values, colors, strict=True):
            j = _column(grid["g"], g2)
            v, p = grid[which][c, j], grid[pred_key][c, j]
            ax.plot(layers, np.log10(v / v[ref]), "o", ms=2.5, color=col)
            ax.plot(layers, np.log10(p / p[ref]), "--", lw=1.5, color=col)
            line = _linear_lines(name, g2, L)[r]
            if line is not None:
                ax.plot(layers, np.log10(line), ":", lw=1.2, color=col)
        ax.set_title(LABELS[name])
        ax.set_ylim(-12, 12)
        integer_ticks(ax, "x")
    for ax in axes[1]:
        ax.set_xlabel("hidden layer l")
    for ax in axes[:, 0]:
        ax.set_ylabel(f"log10 {what.split(',')[0]}")
    handles = [plt.Line2D([], [], color=col, marker="o", ls="none") for col in colors]
    handles += [plt.Line2D([], [], color="gray", ls="--"),
                plt.Line2D([], [], color="gray", ls=":")]
    labels = [f"g² = {g2:g}" for g2 in g2_values] + ["mean field", "small-signal (g²c)^(l/2)"]
    fig.legend(handles, labels, loc="lower center", ncol=3)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def plot_rates(grid: dict) -> Figure:
    """Top: per-layer growth of ``ln std(dL/dZ)`` toward the input vs ``g^2`` (dots measured,
    solid mean field, dotted ``ln(g^2 c')/2``). Bottom: mean saturated fraction, tanh/sigmoid."""
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(6.3, 7.4), sharex=True)
    k = np.log2(grid["g"] ** 2)
    for i, name in enumerate(ACTIVATIONS):
        col = COLORS[name]
        ax.plot(k, grid["pred_grad_rate"][i], "-", color=col, lw=1.5, alpha=0.7)
        marker, size = MARKERS[name]
        ax.plot(k, grid["grad_rate"][i], marker, ms=size, color=col, label=LABELS[name])
        ax.plot(k, [theory.small_signal_rate(activation(name), g**2, True) for g in grid["g"]],
                ":", color=col, lw=1.2)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.plot([], [], "k-", alpha=0.7, label="mean field")
    ax.plot([], [], "k:", label="small signal ln(g²c′)/2")
    ax.set(ylabel="growth of ln std(∂L/∂Z_l)\nper layer toward the input", ylim=(-1.8, 1.8),
           title="Gradient rate per layer (> 0: explodes)")
    ax.legend(loc="upper left")
    for name in ("tanh", "sigmoid"):
        i = ACTIVATIONS.index(name)
        col = COLORS[name]
        bx.plot(k, grid["pred_saturated_frac"][i].mean(axis=1), "-", color=col, lw=1.5,
                alpha=0.7)
        bx.plot(k, grid["saturated_frac"][i].mean(axis=1), "o", color=col, label=LABELS[name])
    bx.plot([], [], "k-", alpha=0.7, label="mean field")
    bx.set(xlabel="g² = n·σ²", ylabel="saturated fraction\n(mean over layers)", ylim=(-0.02, 1),
           title="Saturation: |tanh| > 0.97; sigmoid < 0.03 or > 0.97")
    bx.legend(loc="upper left")
    _g2_ticks(bx, grid["g"])
    fig.tight_layout()
    return fig


def _depth_panels(axes: Sequence[plt.Axes], profiles: dict, panels: Sequence[tuple],
                  labels: dict) -> None:
    """log10 of each profile's ``key`` relative to layer ``ref``, one panel per entry."""
    for ax, (key, ref, ylabel, title) in zip(axes, panels, strict=True):
        for name in ACTIVATIONS:
            v = profiles[name][key]
            layers = np.arange(1, v.size + 1)
            ax.plot(layers, np.log10(v / v[ref]), lw=2, color=COLORS[name], ls=STYLES[name],
                    label=labels[name])
        ax.set(ylabel=ylabel, title=title)
        integer_ticks(ax, "x")
    axes[-1].set_xlabel("hidden layer l")


def _ratio_band(ax: plt.Axes) -> None:
    """Grey band: ratio within [0.5, 2]."""
    ax.axhspan(math.log10(0.5), math.log10(2), color="0.85", zorder=0)


def plot_recommended(recommended: dict) -> Figure:
    """Each activation at its recommended gain, two stacked panels, each with its own y range:
    activation std / layer 1 (top) and gradient std / layer L (bottom) over depth, log10;
    mean-field gradient prediction dotted; grey band: ratio within [0.5, 2]."""
    fig, axes = plt.subplots(2, 1, figsize=(6.3, 7.0), sharex=True)
    L = recommended["setup"]["n_layers"]
    labels = {a: f"{LABELS[a]}, g = {recommended['gains'][a]:.3g}" for a in ACTIVATIONS}
    _depth_panels(axes, recommended["profiles"], (
        ("act_std", 0, "log10 (layer l / layer 1)", "Activation std"),
        ("grad_std", -1, f"log10 (layer l / layer {L})", "Back-propagated std ∂L/∂Z_l")),
        labels)
    layers = np.arange(1, L + 1)
    for a in ACTIVATIONS:
        axes[1].plot(layers, np.log10(recommended["pred_grad_ratio"][a]), ":", color="k",
                     lw=0.8)
    axes[1].plot([], [], "k:", lw=0.8, label="mean field")
    for ax in axes:
        _ratio_band(ax)
    top = max(1.0, *(abs(y) for line in axes[0].get_lines() for y in line.get_ydata()))
    axes[0].set_ylim(-1.1 * top, 1.1 * top)       # its own range: the band stays visible
    axes[1].legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_training(trained: dict) -> Figure:
    """Test accuracy per epoch, one line per activation at its recommended gain."""
    fig, ax = plt.subplots(figsize=(6.3, 4))
    for name in ACTIVATIONS:
        acc = trained["test_acc"][name]
        ax.plot(np.arange(acc.size), acc, marker="o", ms=4, color=COLORS[name],
                ls=STYLES[name], label=f"{LABELS[name]}, g = {trained['gains'][name]:.3g}")
    ax.axhline(0.1, color="k", ls=":", lw=1, label="chance (10 classes)")
    ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    integer_ticks(ax, "x")
    ax.legend(loc="center right")
    fig.tight_layout()
    return fig


def plot_weight_vs_bias(grid: dict) -> Figure:
    """At ``g^2 = 1`` (``Var(w) = 1/n``): back-propagated, weight and bias gradient norms over
    depth, relative to the last hidden layer, log10, one line per activation, three stacked
    panels."""
    j = _column(grid["g"], 1.0)
    L = grid["setup"]["n_layers"]
    keys = ("grad_std", "weight_grad_norm", "bias_grad_norm")
    profiles = {a: {key: grid[key][i, j] for key in keys} for i, a in enumerate(ACTIVATIONS)}
    fig, axes = plt.subplots(3, 1, figsize=(6.3, 8.4), sharex=True, sharey=True)
    ylabel = f"log10 (layer l / layer {L})"
    _depth_panels(axes, profiles, (
        ("grad_std", -1, ylabel, "Back-propagated std ∂L/∂Z_l"),
        ("weight_grad_norm", -1, ylabel, "Weight gradients ‖dW_l‖ = ‖A_{l-1}ᵀ dZ_l‖"),
        ("bias_grad_norm", -1, ylabel, "Bias gradients ‖db_l‖ = ‖Σ_batch dZ_l‖")), LABELS)
    for ax in axes:
        ax.set_ylim(-20, 2)
    axes[0].legend(loc="lower right")
    fig.tight_layout()
    return fig


def unit_gain_table(unit: dict) -> pd.DataFrame:
    """The ``g^2 = 1`` ratios of ``unit_gain``, one row per activation, 3 significant digits."""
    table = pd.DataFrame(unit["columns"], index=[LABELS[a] for a in ACTIVATIONS])
    return table.map(lambda v: f"{v:.2e}")


def plot_gain_slider(explorer: dict) -> str:
    """The page's slider over ``g^2`` (:func:`.gain_explorer`), as offline HTML: activation std
    (top) and gradient std (bottom) against the hidden layer, one colour per activation,
    measured (markers) and mean field (dashed), log scale, the same axes in every frame."""
    from initlab import interactive

    fig, axes = plt.subplots(2, 1, figsize=(6.3, 5.6), sharex=True, layout="constrained")
    layers = np.arange(1, explorer["act"]["relu"].shape[1] + 1)
    lines = []
    for ax, key, ylabel in ((axes[0], "act", "activation std, layer l / layer 1"),
                            (axes[1], "grad", "std ∂L/∂Z_l, layer l / layer L")):
        for a in ACTIVATIONS:
            (meas,) = ax.plot(layers, explorer[key][a][0], MARKERS[a][0], ms=3, color=COLORS[a],
                              label=LABELS[a])
            (pred,) = ax.plot(layers, explorer[f"{key}_pred"][a][0], "--", lw=1, color=COLORS[a])
            lines.append((meas, pred, key, a))
        ax.set(yscale="log", ylim=(1e-12, 1e12), yticks=10.0 ** np.arange(-12, 13, 4),
               ylabel=ylabel)
        ax.axhline(1.0, color="0.5", lw=0.8)
    axes[1].set_xlabel("hidden layer l")
    integer_ticks(axes[1], "x")
    axes[0].legend(loc="upper left", ncol=2)

    def draw(i: int) -> None:
        for meas, pred, key, a in lines:
            meas.set_ydata(np.clip(explorer[key][a][i], 1e-13, 1e13))
            pred.set_ydata(np.clip(explorer[f"{key}_pred"][a][i], 1e-13, 1e13))

    labels = [f"weight gain g² = n·Var(w) = {g2:g} (dashed: mean field)" for g2 in explorer["g2"]]
    alt = ("Two stacked log-scale panels against the hidden layer, one colour per activation: "
           "activation std relative to layer 1 (top) and gradient std relative to the last "
           "layer (bottom), measured markers and dashed mean-field lines, for the g squared "
           "the slider selects.")
    return interactive.slider(fig, draw, labels, alt=alt)
