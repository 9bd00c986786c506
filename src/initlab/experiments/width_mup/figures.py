"""Figures of chapter 17 (width and muP), drawn from the experiments' result dicts."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import plotting

TITLES = {"sp": "standard (SP)", "mup": "muP"}
LAYER_LABELS = ("first hidden", "second hidden", "output logits")


def plot_coordinate_check(coord: dict) -> Figure:
    """Per-layer RMS change after a few steps against width, SP (left) and muP (right)."""
    widths = coord["widths"]
    fig, axes = plt.subplots(1, 2, figsize=(6.3, 3.0), sharey=True)
    for ax, p in zip(axes, ("sp", "mup"), strict=True):
        for layer, label in enumerate(LAYER_LABELS):
            plotting.curves_with_band(ax, widths, coord["change"][p][:, :, layer], label=label,
                                      color=f"C{layer}")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(TITLES[p])
        ax.set_xlabel("width n")
    ref = coord["change"]["sp"][:, 0, 2].mean()
    axes[0].plot(widths, ref * widths / widths[0], "k:", label="slope 1")
    axes[0].set_ylabel(f"RMS change after {coord['coord_steps']} steps")
    axes[0].legend(fontsize=10)
    fig.tight_layout()
    plotting.check_fits_column(fig, "coordinate check")
    return fig


def plot_lr_transfer(res: dict, optimizer: str) -> Figure:
    """Training loss against log2 lr, one curve per width; SP (left), muP (right).

    A learning rate at which some seed diverged is left out of that width's curve; the
    optimum (parabola vertex) of each width is a dot on the curve's height at its grid minimum.
    """
    widths, grid = res["widths"], res["grids"][optimizer]
    colors = plt.cm.viridis(np.linspace(0.0, 0.9, len(widths)))
    fig, axes = plt.subplots(1, 2, figsize=(6.3, 3.2), sharey=True)
    for ax, p in zip(axes, ("sp", "mup"), strict=True):
        for k, (w, c) in enumerate(zip(widths, colors, strict=True)):
            loss = res["loss"][optimizer, p][k]               # (lrs, seeds)
            ok = np.isfinite(loss).all(axis=1)
            plotting.curves_with_band(ax, grid[ok], loss[ok].T, label=f"n = {w}", color=c)
            ax.plot(res["best"][optimizer, p][k], loss[ok].mean(axis=1).min(), "o", color=c,
                    markersize=4)
        ax.set_title(f"{TITLES[p]}, {optimizer.upper() if optimizer == 'sgd' else 'Adam'}")
        ax.set_xlabel("log2 learning rate")
        ax.set_yscale("log")
    axes[0].set_ylabel(f"training loss after {res['lr_steps']} steps")
    axes[1].legend(fontsize=10, ncol=2, handlelength=1.0, columnspacing=0.8)
    fig.tight_layout()
    plotting.check_fits_column(fig, "learning-rate transfer")
    return fig
