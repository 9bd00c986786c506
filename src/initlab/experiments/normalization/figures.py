"""Chapter 16, normalization and diagnosing an initialization: the figures of the page.

What: one function per figure, each reading the dict an experiment of
:mod:`initlab.experiments.normalization` returned (they compute nothing new). At most two
panels side by side, column wide (``plotting.MAX_WIDTH``).

Shapes: loss curves ``(n_seeds, epochs + 1)``; per-layer profiles ``(n_seeds, depth)``;
update ratios ``(n_steps, n_layers)``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import plotting

STAGE_LABELS = {"bad": "1. all weights N(0, 1)", "output_fixed": "2. output weights × 0.01",
                "hidden_fixed": "3. hidden: tanh gain / √fan_in",
                "batchnorm": "2 + BatchNorm (hidden N(0, 1))"}
STAGE_COLORS = {"bad": "C3", "output_fixed": "C1", "hidden_fixed": "C2", "batchnorm": "C0"}


def plot_scale_training(trained: dict) -> Figure:
    """Epoch loss per ``c`` at one ``lr`` (left) and at ``lr c^2`` (right), log y."""
    fig, axes = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.4), sharey=True,
                             layout="constrained")
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(trained["scales"])))
    for ax, multiplied in zip(axes, (False, True), strict=True):
        for c, color in zip(trained["scales"], colors, strict=True):
            if (c, multiplied) not in trained["loss"]:
                continue
            curves = trained["loss"][c, multiplied]
            plotting.curves_with_band(ax, np.arange(curves.shape[1]), curves,
                                      label=f"c = {c:g}", color=color)
        ax.set(yscale="log", xlabel="epoch",
               title="lr c² for the hidden W" if multiplied else f"lr = {trained['ln_train_lr']:g}")
        plotting.integer_ticks(ax, "x")
    axes[0].set_ylabel("training loss (log)")
    axes[0].legend(title="hidden W × c")
    return fig


def plot_batchnorm_gradient(bn: dict) -> Figure:
    """``||dW_l||^2`` against layer (log y) per weight scale, with the mean-field slope."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 3.8), layout="constrained")
    depth = bn["bn_depth"]
    layers = np.arange(1, depth + 1)
    for gain, color in zip(bn["gains"], ("C0", "C2", "C3"), strict=False):
        prof = bn["profiles"][gain]
        ax.semilogy(layers, np.exp(np.log(prof).mean(axis=0)), "o-", ms=3, color=color,
                    label=f"weights × {gain:g} of He")
    ref = np.exp(np.log(bn["profiles"][1.0]).mean(axis=0))
    anchor = bn["bn_fit_skip"]
    theory = ref[anchor] * bn["bn_rate_theory"] ** (anchor - np.arange(depth))
    ax.semilogy(layers, theory * 4.0, "k--", lw=1.5, zorder=5,
                label="mean-field rate (Monte Carlo), × 4 to stand clear")
    ax.set(xlabel="hidden layer l (1 = next to the input)", ylabel="‖dL/dW_l‖² (log)")
    ax.legend()
    return fig


def plot_routine_loss(routine: dict, window: int = 10) -> Figure:
    """Training loss per step per stage (log x), running mean over ``window`` steps, with
    ``ln K`` dotted: the hockey stick."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 3.6), layout="constrained")
    for stage, run in routine["runs"].items():
        loss = run["loss"]
        smooth = np.convolve(loss, np.ones(window) / window, mode="valid")  # running mean
        steps = np.arange(1, len(loss) + 1)
        ax.plot(steps[:window - 1], loss[:window - 1], color=STAGE_COLORS[stage], lw=1.5)
        ax.plot(steps[window - 1:], smooth, color=STAGE_COLORS[stage], lw=1.5,
                label=STAGE_LABELS[stage])
    ax.axhline(routine["routine_ln_k"], color="k", ls=":", label="ln K (uniform guess)")
    ax.set(xscale="log", yscale="log", xlabel="SGD step (log)", ylabel="minibatch loss (log)")
    ax.legend(fontsize=10, ncol=1)
    return fig


def plot_histograms(routine: dict) -> Figure:
    """Hidden tanh activations (top) and back-propagated gradients ``dL/dZ_l`` (bottom) at init:
    the bad stage (left) and the fixed one (right), one line per layer."""
    fig, axes = plt.subplots(2, 2, figsize=(plotting.MAX_WIDTH, 5.6), layout="constrained")
    for column, stage in enumerate(("bad", "hidden_fixed")):
        run = routine["runs"][stage]
        top, bottom = axes[0, column], axes[1, column]
        plotting.layer_histograms(top, run["acts_init"], bins=40)
        top.set(xlabel="tanh activation", title=STAGE_LABELS[stage].split(". ")[-1],
                yscale="log")
        scale = max(float(np.abs(g).max()) for g in run["grads_init"])
        plotting.layer_histograms(bottom, [g / scale for g in run["grads_init"]], bins=40)
        bottom.set(xlabel=f"dL/dZ_l / {scale:.1e}", yscale="log")
        for ax in (top, bottom):
            ax.legend(fontsize=10) if column == 1 else ax.get_legend().remove()
    axes[0, 0].set_ylabel("density (log)")
    axes[1, 0].set_ylabel("density (log)")
    return fig


def plot_update_ratios(routine: dict) -> Figure:
    """log10 update:data ratio per layer over the steps: bad (left) and fixed (right)."""
    fig, axes = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.8), sharey=True,
                             layout="constrained")
    for ax, stage in zip(axes, ("bad", "hidden_fixed"), strict=True):
        R = routine["runs"][stage]["ratios"]
        R = np.where(np.isfinite(R), R, np.nan)
        for l in range(R.shape[1]):
            name = "output" if l == R.shape[1] - 1 else f"layer {l + 1}"
            ax.plot(np.arange(1, len(R) + 1), R[:, l], lw=0.8,
                    label=name if ax is axes[0] else None)
        ax.axhline(-3.0, color="k", ls=":",
                   label="rule of thumb, 1e-3" if ax is axes[0] else None)
        ax.set(xlabel="SGD step", title=STAGE_LABELS[stage].split(". ")[-1])
    axes[0].set_ylabel("log10 update : data")
    fig.legend(loc="outside lower center", ncol=3)
    return fig
