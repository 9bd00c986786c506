"""Chapter 7: the figures, drawn from the dicts the experiments in ``__init__`` return.

Each ``plot_*`` reads numbers and arrays only (it computes nothing new) and returns one figure
sized for the text column (:data:`initlab.plotting.MAX_WIDTH`, panels stacked). A global-norm
threshold and a per-entry threshold are different units: they never share an axis.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import plotting
from initlab.experiments.gradient_clipping.recurrent import CONVERGED_LOSS

COLORS = {"none": "C3", "clipped": "C0", "norm": "C0", "value": "C2"}
WIDTH = plotting.MAX_WIDTH


def plot_landscape(land: dict, clip: float | None = None) -> Figure:
    """Top: ``L(w)`` with a zoom on the cliff; bottom: ``|dL/dw|``; log y on both."""
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(WIDTH, 6.4), sharex=True)
    w, loss, grad = land["w"], np.maximum(land["loss"], 1e-12), np.maximum(land["abs_grad"], 1e-12)
    ax.semilogy(w, loss, color="k", lw=1.2, label="loss L(w)")
    bx.semilogy(w, grad, color="k", lw=1.2, label="|dL/dw| (BPTT)")
    for a in (ax, bx):
        a.axvline(land["w_cliff"], color="C3", ls=":", lw=1.2,
                  label=f"cliff, w = {land['w_cliff']:.2f}")
        a.axvline(land["w_star"], color="C2", ls="--", lw=1,
                  label=f"minimum, w* = {land['w_star']:.2f}")
    if clip is not None:
        bx.axhline(clip, color=COLORS["clipped"], ls="--", lw=1, label=f"threshold c = {clip:g}")
    zoom = ax.inset_axes([0.62, 0.1, 0.35, 0.45])
    lo, hi = land["w_cliff"] - 0.08, land["w_star"] + 0.08
    z = (w >= lo) & (w <= hi)
    zoom.semilogy(w[z], loss[z], color="k", lw=1.2)
    zoom.axvline(land["w_cliff"], color="C3", ls=":", lw=1.2)
    zoom.axvline(land["w_star"], color="C2", ls="--", lw=1)
    zoom.set_xticks([round(lo + 0.03, 2), round(hi - 0.03, 2)])
    zoom.set_yticks([])
    zoom.minorticks_off()
    zoom.set_title("zoom on the cliff")
    ax.set(ylabel=r"loss $(x_T - y)^2$, log")
    bx.set(xlabel="recurrent weight w", ylabel="|dL/dw|, log")
    ax.legend(loc="lower left")
    bx.legend(loc="upper right")
    fig.tight_layout()
    return fig


def plot_descent(cliff: dict) -> Figure:
    """The showcase runs: ``w`` per step (top) and the loss per step (bottom), log y."""
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(WIDTH, 6.6), sharex=True)
    showcase, land = cliff["showcase"], cliff["landscape"]
    for name, run in showcase.items():
        label = "unclipped" if name == "none" else f"clipped at c = {cliff['settings']['clip']:g}"
        ax.semilogy(run["w"][:, 0], color=COLORS[name], label=label)
        bx.semilogy(np.maximum(run["loss"][:, 0], 1e-16), color=COLORS[name], label=label)
    ax.axhline(land["w_star"], color="C2", ls="--", lw=1, label="minimum w*")
    bx.axhline(CONVERGED_LOSS, color="0.4", ls=":", lw=1,
               label=f"converged: L < {CONVERGED_LOSS:g}")
    ax.set(ylabel="weight w, log")
    bx.set(xlabel="gradient-descent step", ylabel="loss, log")
    plotting.integer_ticks(bx, "x")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles + bx.get_lines()[-1:], labels + bx.get_legend_handles_labels()[1][-1:],
               loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def plot_thresholds(cliff: dict) -> Figure:
    """Fraction of starts that converge, and that end far from ``w*``, per threshold ``c``."""
    fig, ax = plt.subplots(figsize=(WIDTH, 4.4))
    land, cs = cliff["landscape"], cliff["thresholds"]
    conv = np.array([cliff["per"][c]["converged"].mean() for c in cs])
    far = np.array([cliff["per"][c]["far"].mean() for c in cs])
    none = cliff["per"][None]
    ax.semilogx(cs, conv, "o-", color=COLORS["clipped"], label="clipped: converged")
    ax.semilogx(cs, far, "s--", color="C1", label="clipped: ended > 1 from w*")
    ax.axhline(none["converged"].mean(), color=COLORS["none"], lw=1.5,
               label="unclipped: converged")
    ax.axhline(none["far"].mean(), color=COLORS["none"], ls="--", lw=1,
               label="unclipped: ended > 1 from w*")
    gap = land["gap"] / cliff["settings"]["lr"]
    ax.axvline(gap, color="0.4", ls=":", lw=1, label=f"(w* − cliff) / lr = {gap:.2f}")
    ax.set(xlabel="clip threshold c (log)",
           ylabel=f"fraction of {len(cliff['w0'])} starts",
           ylim=(-0.03, 1.03), yticks=np.linspace(0, 1, 6))
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.2, 1, 1))
    return fig


def _accuracy_panel(ax: plt.Axes, sw: dict, kind: str) -> None:
    """Final test accuracy per threshold of one kind: seeds as dots, their mean as a line,
    an x at 0 where a run diverged; the unclipped runs as a horizontal reference."""
    runs, cs = sw["runs"], sw["grid"][kind]
    acc = [[r["test_acc"] for r in runs[(kind, float(c))] if not r["diverged"]] for c in cs]
    mean = np.array([np.mean(a) if a else np.nan for a in acc])
    ok = np.isfinite(mean)
    ax.semilogx(cs[ok], mean[ok], "o-", color=COLORS[kind], label="mean over seeds")
    for c, a in zip(cs, acc, strict=True):
        ax.plot([c] * len(a), a, ".", color=COLORS[kind], alpha=0.5, ms=5)
    n_div = np.array([sum(r["diverged"] for r in runs[(kind, float(c))]) for c in cs])
    if (n_div > 0).any():
        ax.plot(cs[n_div > 0], np.zeros((n_div > 0).sum()), "x", color=COLORS[kind], ms=9,
                mew=2, label="a run diverged")
    none = runs[("none", None)]
    done = [r["test_acc"] for r in none if not r["diverged"]]
    if done:
        ax.axhline(np.mean(done), color=COLORS["none"], lw=1.2, label="no clipping (mean)")
    ax.axhline(0.1, color="0.5", ls=":", label="chance (10 classes)")
    ax.set(ylabel="final test accuracy", ylim=(-0.05, 1.05), yticks=np.linspace(0, 1, 6))


def plot_mlp_sweep(sw: dict) -> Figure:
    """Final test accuracy against the threshold: top by global norm, bottom by value."""
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(WIDTH, 6.4))
    _accuracy_panel(ax, sw, "norm")
    _accuracy_panel(bx, sw, "value")
    ax.set(xlabel="global-norm threshold c (log)")
    bx.set(xlabel="per-entry threshold c (log)")
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_direction(cos: dict) -> Figure:
    """Cosine between the clipped and the raw gradient at init, against the threshold: top by
    global norm (with the gradient's norm), bottom by value (with the fraction clamped)."""
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(WIDTH, 6.4), height_ratios=(1, 1.6))
    cs, norms = cos["thresholds"], cos["norms"]
    ax.semilogx(cs, cos["cos_norm"], "o-", color=COLORS["norm"], label="cos(clipped g, g)")
    ax.axvline(norms["grad"], color="0.5", ls="--", lw=1,
               label=f"‖g‖ = {norms['grad']:.3g}")
    bx.semilogx(cs, cos["cos_value"], "s-", color=COLORS["value"], label="cos(clipped g, g)")
    bx.semilogx(cs, cos["frac_entries_clipped"], ":", color=COLORS["value"],
                label="fraction of entries clamped")
    bx.axvline(norms["max_abs_entry"], color="0.5", ls="--", lw=1,
               label=f"largest entry = {norms['max_abs_entry']:.3g}")
    ax.set(xlabel="global-norm threshold c (log)", ylabel="cosine", ylim=(-0.03, 1.08))
    bx.set(xlabel="per-entry threshold c (log)", ylabel="cosine, fraction", ylim=(-0.03, 1.08))
    ax.legend(loc="lower left")
    bx.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
    fig.tight_layout()
    return fig
