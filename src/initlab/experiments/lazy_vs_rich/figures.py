"""Chapter 18, lazy versus rich: the figures of the page.

What: one function per figure, reading the dict an experiment of
:mod:`initlab.experiments.lazy_vs_rich` returned (nothing new is computed): the weight and
tangent-kernel changes and the test accuracy against the output scale, and the diagonal network's
recovery error against its init scale with Woodworth et al.'s prediction. Both fit the text
column (two panels side by side at most, fonts >= 10 pt).

Shapes: per-seed values ``(n_seeds, n_alphas)``; the prediction ``(n_seeds, n_grid)``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from initlab import plotting


def plot_output_scale(scale: dict) -> Figure:
    """Left: relative weight change and tangent-kernel change against alpha (log-log, mean over
    seeds, band min..max) with ``C / alpha`` through the largest alpha (dashed). Right: test
    accuracy against alpha."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.2))
    a = scale["alphas"]
    for key, label, color in (("weight_change", "weights", "C0"),
                              ("kernel_change", "tangent kernel", "C3")):
        plotting.curves_with_band(ax, a, scale[key], label=label, color=color)
        ax.plot(a, scale[key][:, -1].mean() * a[-1] / a, "--", color=color, lw=1)
    ax.set(xscale="log", yscale="log", xlabel="output scale α",
           ylabel="relative change", title="dashed: C / α")
    ax.legend(loc="lower left")
    plotting.curves_with_band(bx, a, scale["test_acc"], color="C2")
    bx.axhline(0.5, color="0.5", ls=":", lw=1)
    bx.set(xscale="log", xlabel="output scale α", ylabel="test accuracy",
           title="parity task (dotted: chance)")
    fig.tight_layout()
    return fig


def plot_diagonal(dln: dict) -> Figure:
    """Recovery error against alpha: gradient descent (markers, mean over problems, band
    min..max), Woodworth et al.'s ``argmin Q_alpha`` (line), basis pursuit and min-l2 (dotted),
    the transition (vertical)."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 3.4))
    grid, pred = dln["grid"], dln["pred_error"]
    ax.plot(grid, pred.mean(axis=0), color="k", lw=1.5, label="prediction, argmin Q_α")
    ax.fill_between(grid, pred.min(axis=0), pred.max(axis=0), color="k", alpha=0.12,
                    linewidth=0)
    gd = dln["gd_error"]
    ax.errorbar(dln["alphas"], gd.mean(axis=0),
                yerr=[gd.mean(axis=0) - gd.min(axis=0), gd.max(axis=0) - gd.mean(axis=0)],
                fmt="o", ms=5, color="C1", label="gradient descent")
    ax.axhline(dln["dln_l2_error"], color="C0", ls=":", label="min-ℓ2 interpolant")
    ax.axhline(dln["dln_l1_error"], color="C2", ls=":", label="ℓ1 (basis pursuit)")
    ax.axvline(dln["dln_transition_pred"], color="0.5", lw=1, ls="--",
               label="half the min-ℓ2 error")
    ax.set(xscale="log", xlabel="init scale α", ylabel="‖β − β*‖ / ‖β*‖",
           ylim=(-0.03, 1.05 * max(float(gd.max()), dln["dln_l2_error"])))
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig



