"""Chapter 2, zero versus random initialization: the figures and the table of the page.

They read what the experiments of :mod:`initlab.experiments.zero_vs_random` return and compute
nothing new: :func:`gradient_table` (gradient norms at an all-zero init),
:func:`plot_training` (test accuracy per epoch per scheme, mean and min..max band over seeds),
:func:`plot_final` (every seed's final accuracy) and :func:`plot_zero_trace` (what moves under
the all-zero init, and the class prior the output bias learns).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from initlab import plotting

LABELS = {"zeros": "all zeros",
          "constant": "W = 0.05 (constant)",
          "normal": "W ~ 0.01·N(0,1)",
          "uniform": "W ~ U[0, 0.1]",
          "normal_bias": "W, b ~ 0.01·N(0,1)",
          "one_unit": "1 hidden unit, W ~ 0.01·N(0,1)"}
COLORS = {"zeros": "C3", "constant": "C4", "normal": "C0", "uniform": "C2",
          "normal_bias": "C9", "one_unit": "C7"}
#: dashed: the curves drawn on top of an almost identical one
DASHED = ("normal_bias",)
NAMES = ("dW_1", "db_1", "dW_2", "db_2")


def gradient_table(grads: dict) -> pd.DataFrame:
    """Rows: activation and step (at init, after one step); columns: ``||dW_1||`` ... ``||db_2||``,
    from :func:`zero_init_gradients`'s ``norms``."""
    rows = {f"{act}, {when}": norms[step] for act, norms in grads["norms"].items()
            for step, when in ((0, "at init"), (1, "after 1 step"))}
    return pd.DataFrame(rows, index=[f"||{n}||" for n in NAMES]).T


def plot_training(comparisons: Sequence[dict]) -> Figure:
    """Test accuracy per epoch, one panel per dataset: mean over seeds, min..max band."""
    fig, axes = plt.subplots(1, len(comparisons), figsize=(5.5 * len(comparisons), 4.2),
                             squeeze=False)
    for ax, comparison in zip(axes[0], comparisons, strict=True):
        c = comparison["curves"]
        for name, acc in c["test_acc"].items():
            plotting.curves_with_band(ax, c["epochs"], acc, label=LABELS[name],
                                      color=COLORS[name])
            if name in DASHED:
                ax.lines[-1].set_linestyle("--")
        ax.axhline(c["chance"], color="k", ls=":", lw=1.2, zorder=0)
        ax.text(c["epochs"][-1], c["chance"] - 0.05, "majority class", ha="right", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(title=f"{c['dataset']}: {c['n_seeds']} seeds, mean, band = min..max",
               xlabel="epoch", ylabel="test accuracy", ylim=(0, 1.02))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


def plot_final(comparisons: Sequence[dict]) -> Figure:
    """Final test accuracy of every seed (points) and the mean (bar), per scheme and dataset."""
    fig, axes = plt.subplots(1, len(comparisons), figsize=(5.5 * len(comparisons), 3.8),
                             squeeze=False, sharey=True)
    for ax, comparison in zip(axes[0], comparisons, strict=True):
        c = comparison["curves"]
        names = list(c["final"])
        for i, name in enumerate(names):
            acc = c["final"][name]
            jitter = np.linspace(-0.18, 0.18, len(acc))   # deterministic, no overlap in y
            ax.plot(acc, i + jitter, "o", color=COLORS[name], mfc="none", ms=6)
            ax.plot([acc.mean()] * 2, [i - 0.3, i + 0.3], color="k", lw=2)
        ax.axvline(c["chance"], color="k", ls=":", lw=1.2)
        ax.text(c["chance"], -0.45, " majority class", fontsize=8, va="top")
        ax.set_yticks(range(len(names)), [LABELS[n] for n in names])
        ax.set(title=f"{c['dataset']}, after {c['epochs'][-1]} epochs "
                     f"({c['n_seeds']} seeds; bar = mean)",
               xlabel="final test accuracy", xlim=(0, 1.02), ylim=(len(names) - 0.5, -0.5))
    fig.tight_layout()
    return fig


def plot_zero_trace(trace: dict) -> Figure:
    """Left: full-batch gradient norms per epoch under zero init; right: learned prior."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    g, ep = trace["grad_norms"], trace["epochs"]
    moving = g[:, 3]
    ax.plot(ep, moving, "o-", color="C0", ms=4, label="‖dL/db_2‖ (output bias)")
    zero = np.all(g[:, :3] == 0, axis=0)
    frozen = ", ".join(n.replace("d", "dL/d", 1) for n, z in zip(trace["names"][:3], zero,
                                                                  strict=True) if z)
    ax.plot(ep, np.zeros_like(ep, dtype=float), "s-", color="C3", ms=4,
            label=f"‖{frozen}‖: exactly 0")
    ax.set_yscale("symlog", linthresh=1e-4)
    ax.set_ylim(-1e-5, 2 * moving.max())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title="All-zero init: full-batch gradient norms (one seed)", xlabel="epoch",
           ylabel="gradient norm (symlog; 0 is exact)")
    ax.legend(fontsize=9, loc="center right")
    p, q = trace["p_train"], trace["prior"][-1]
    lim = (0, 1.1 * max(p.max(), q.max()))
    bx.plot(lim, lim, color="0.6", lw=1, label="softmax(b_2) = train frequency")
    bx.plot(p, q, "o", color="C0", ms=7, label=f"digit classes, after {ep[-1]} epochs")
    for k, (pk, qk) in enumerate(zip(p, q, strict=True)):
        bx.annotate(str(k), (pk, qk), xytext=(4, -10), textcoords="offset points", fontsize=8)
    bx.axhline(1 / len(p), color="k", ls=":", lw=1, label=f"1/K = {1 / len(p):.2f}")
    bx.set(title="The output bias learns the class prior", xlabel="class frequency in train set",
           ylabel="softmax(b_2) of the trained network", xlim=lim, ylim=lim)
    bx.legend(fontsize=9, loc="upper left")
    fig.tight_layout()
    return fig
