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
    """Test accuracy per epoch, one panel per dataset (at most two): mean over seeds, min..max
    band; the legend below the panels."""
    if not 1 <= len(comparisons) <= plotting.MAX_PANELS_PER_ROW:
        raise ValueError(f"give one or two datasets, got {len(comparisons)}")
    fig, axes = plt.subplots(1, len(comparisons), figsize=(plotting.MAX_WIDTH, 4.6),
                             squeeze=False, sharey=True)
    for ax, comparison in zip(axes[0], comparisons, strict=True):
        c = comparison["curves"]
        for name, acc in c["test_acc"].items():
            plotting.curves_with_band(ax, c["epochs"], acc, label=LABELS[name],
                                      color=COLORS[name])
            if name in DASHED:
                ax.lines[-1].set_linestyle("--")
        ax.axhline(c["chance"], color="k", ls=":", lw=1.2, zorder=0, label="majority class")
        plotting.integer_ticks(ax, "x")
        ax.set(title=f"{c['dataset']}, {c['n_seeds']} seeds", xlabel="epoch", ylim=(0, 1.02))
    axes[0, 0].set_ylabel("test accuracy")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.27, 1, 1))
    return fig


def plot_final(comparisons: Sequence[dict]) -> Figure:
    """Final test accuracy of every seed (points) and the mean (bar), per scheme; one panel per
    dataset, stacked; the dotted line is the majority-class fraction."""
    n = len(comparisons)
    fig, axes = plt.subplots(n, 1, figsize=(plotting.MAX_WIDTH, 0.4 + 2.9 * n),
                             squeeze=False, sharex=True)
    for ax, comparison in zip(axes[:, 0], comparisons, strict=True):
        c = comparison["curves"]
        names = list(c["final"])
        for i, name in enumerate(names):
            acc = c["final"][name]
            jitter = np.linspace(-0.18, 0.18, len(acc))   # deterministic, no overlap in y
            ax.plot(acc, i + jitter, "o", color=COLORS[name], mfc="none", ms=6)
            ax.plot([acc.mean()] * 2, [i - 0.3, i + 0.3], color="k", lw=2)
        ax.axvline(c["chance"], color="k", ls=":", lw=1.2)   # majority class (the caption)
        ax.set_yticks(range(len(names)), [LABELS[n] for n in names])
        ax.set(title=f"{c['dataset']}, after {c['epochs'][-1]} epochs ({c['n_seeds']} seeds)",
               xlim=(0, 1.02), ylim=(len(names) - 0.5, -0.5))
    axes[-1, 0].set_xlabel("final test accuracy")
    fig.tight_layout()
    return fig


def plot_zero_trace(trace: dict) -> Figure:
    """Left: full-batch gradient norms per epoch under zero init; right: learned prior."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 4.4))
    g, ep = trace["grad_norms"], trace["epochs"]
    moving = g[:, 3]
    ax.plot(ep, moving, "o-", color="C0", ms=4, label="‖dL/db_2‖")
    zero = np.all(g[:, :3] == 0, axis=0)
    frozen = ", ".join(n.replace("d", "dL/d", 1) for n, z in zip(trace["names"][:3], zero,
                                                                  strict=True) if z)
    ax.plot(ep, np.zeros_like(ep, dtype=float), "s-", color="C3", ms=4,
            label=f"‖{frozen}‖")
    ax.set_yscale("symlog", linthresh=1e-4)
    ax.set_ylim(-1e-5, 2 * moving.max())
    plotting.integer_ticks(ax, "x")
    ax.set(title="Gradient norms", xlabel="epoch", ylabel="full-batch gradient norm\n(symlog)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2))
    p, q = trace["p_train"], trace["prior"][-1]
    lim = (0, 1.1 * max(p.max(), q.max()))
    bx.plot(lim, lim, color="0.6", lw=1, label="equal")
    bx.plot(p, q, "o", color="C0", ms=7, label=f"digits, epoch {ep[-1]}")
    for k, (pk, qk) in enumerate(zip(p, q, strict=True)):
        bx.annotate(str(k), (pk, qk), xytext=(4, -12), textcoords="offset points")
    bx.axhline(1 / len(p), color="k", ls=":", lw=1, label=f"1/K = {1 / len(p):.2f}")
    bx.set(title="Output bias vs class prior", xlabel="class frequency in train set",
           ylabel="softmax(b_2)", xlim=lim, ylim=lim)
    bx.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2))
    fig.tight_layout()
    return fig
