"""Chapter 7: the figures, drawn from the dicts the experiments in ``__init__`` return.

Each ``plot_*`` reads numbers and arrays only (it computes nothing new) and returns the figure.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab.experiments.gradient_clipping.recurrent import CONVERGED_LOSS

COLORS = {"none": "C3", "clipped": "C0", "norm": "C0", "value": "C2"}


def plot_landscape(land: dict, clip: float | None = None) -> Figure:
    """Left: ``L(w)`` with a zoom on the cliff; right: ``|dL/dw|``; log y everywhere."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11.5, 4.3))
    w, loss, grad = land["w"], np.maximum(land["loss"], 1e-12), np.maximum(land["abs_grad"], 1e-12)
    ax.semilogy(w, loss, color="k", lw=1.2, label="L(w)")
    bx.semilogy(w, grad, color="k", lw=1.2, label="|dL/dw| (BPTT)")
    for a in (ax, bx):
        a.axvline(land["w_cliff"], color="C3", ls=":", lw=1.2,
                  label=f"cliff: w ≈ {land['w_cliff']:.3f}")
        a.axvline(land["w_star"], color="C2", ls="--", lw=1,
                  label=f"minimum: w* = {land['w_star']:.3f}")
    if clip is not None:
        bx.axhline(clip, color=COLORS["clipped"], ls="--", lw=1, label=f"clip threshold c = {clip}")
    zoom = ax.inset_axes([0.52, 0.08, 0.45, 0.42])
    lo, hi = land["w_cliff"] - 0.08, land["w_star"] + 0.08
    z = (w >= lo) & (w <= hi)
    zoom.semilogy(w[z], loss[z], color="k", lw=1.2)
    zoom.axvline(land["w_cliff"], color="C3", ls=":", lw=1.2)
    zoom.axvline(land["w_star"], color="C2", ls="--", lw=1)
    zoom.set_title(f"zoom: w in [{lo:.2f}, {hi:.2f}]", fontsize=8)
    zoom.tick_params(labelsize=7)
    p = land
    ax.set(title=f"Loss of x_t = w·σ(x_(t-1)) − {-p['b']:g}, T = {p['T']}, "
                 f"target y = {p['target']}",
           xlabel="recurrent weight w", ylabel="loss (x_T − y)²  (log)")
    bx.set(title=f"Its gradient: a wall of height {p['grad_peak']:.2g} at the cliff",
           xlabel="recurrent weight w", ylabel="|dL/dw|  (log)")
    ax.legend(fontsize=8, loc="upper left")
    bx.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def plot_descent(cliff: dict) -> Figure:
    """Showcase runs: ``w`` and loss per step (log y); right: success rate vs threshold."""
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(13, 3.8))
    showcase, land = cliff["showcase"], cliff["landscape"]
    for name, run in showcase.items():
        label = "unclipped" if name == "none" else f"clipped at c = {cliff['settings']['clip']}"
        ax.semilogy(run["w"][:, 0], color=COLORS[name], label=label)
        bx.semilogy(np.maximum(run["loss"][:, 0], 1e-16), color=COLORS[name], label=label)
    ax.axhline(land["w_star"], color="C2", ls="--", lw=1, label="minimum w*")
    bx.axhline(CONVERGED_LOSS, color="0.4", ls=":", lw=1, label=f"converged: L < {CONVERGED_LOSS}")
    w0 = showcase["none"]["w"][0, 0]
    ax.set(title=f"Weight per step from w0 = {w0:g} (lr {cliff['settings']['lr']})",
           xlabel="step",
           ylabel="w (log)")
    bx.set(title="Loss per step", xlabel="step", ylabel="loss (log)")
    ax.legend(fontsize=8, loc="upper right")
    bx.legend(fontsize=8, loc="upper right")
    cs = cliff["thresholds"]
    n = len(cliff["w0"])
    conv = np.array([cliff["per"][c]["converged"].mean() for c in cs])
    far = np.array([cliff["per"][c]["far"].mean() for c in cs])
    cx.semilogx(cs, conv, "o-", color=COLORS["clipped"], label="clipped: converged")
    cx.semilogx(cs, far, "s--", color="C1", label="clipped: ended > 1 from w*")
    none = cliff["per"][None]
    cx.axhline(none["converged"].mean(), color=COLORS["none"], lw=1.5,
               label="unclipped: converged")
    cx.axhline(none["far"].mean(), color=COLORS["none"], ls="--", lw=1,
               label="unclipped: ended > 1 from w*")
    gap = land["gap"] / cliff["settings"]["lr"]
    cx.axvline(gap, color="0.4", ls=":", lw=1, label=f"(w* − cliff) / lr = {gap:.2f}")
    cx.set(title=f"Threshold sensitivity: {n} starts w0 in [{cliff['w0'][0]:g}, "
                 f"{cliff['w0'][-1]:g}]",
           xlabel="clip threshold c (log)",
           ylabel=f"fraction of starts after {cliff['settings']['steps']} steps",
           ylim=(-0.03, 1.45), yticks=np.linspace(0, 1, 6))
    cx.legend(fontsize=7.5, loc="upper center", ncol=2)
    fig.tight_layout()
    return fig


def plot_mlp_sweep(sw: dict, cos: dict) -> Figure:
    """Left: final test accuracy vs threshold per kind (diverged runs as x at the bottom);
    right: cosine between clipped and raw gradient vs threshold."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11.5, 4.3))
    runs = sw["runs"]
    for kind in ("norm", "value"):
        cs = sw["grid"][kind]
        acc = [[r["test_acc"] for r in runs[(kind, float(c))] if not r["diverged"]] for c in cs]
        mean = np.array([np.mean(a) if a else np.nan for a in acc])
        ok = np.isfinite(mean)
        ax.semilogx(cs[ok], mean[ok], "o-", color=COLORS[kind],
                    label=f"clip by {'global norm' if kind == 'norm' else 'value'} (mean)")
        for c, a in zip(cs, acc, strict=True):
            ax.plot([c] * len(a), a, ".", color=COLORS[kind], alpha=0.5, ms=5)
        n_div = [sum(r["diverged"] for r in runs[(kind, float(c))]) for c in cs]
        d = np.array(n_div) > 0
        if d.any():
            ax.plot(cs[d], np.zeros(d.sum()), "x", color=COLORS[kind], ms=9, mew=2)
    none = runs[("none", None)]
    n_div = sum(r["diverged"] for r in none)
    x_none = 10 * max(sw["grid"]["norm"].max(), sw["grid"]["value"].max())
    acc_none = [r["test_acc"] if not r["diverged"] else 0.0 for r in none]
    ax.plot([x_none] * len(none), acc_none, "x", color=COLORS["none"], ms=10, mew=2,
            label=f"no clipping: {n_div}/{len(none)} runs diverged (x at 0)")
    ax.axhline(0.1, color="0.5", ls=":", label="chance (10 classes)")
    ticks = [t for t in ax.get_xticks() if t < x_none / 3]
    ax.set_xticks([*ticks, x_none], [f"$10^{{{int(round(math.log10(t)))}}}$" for t in ticks]
                  + ["none"])
    ax.set_xlim(min(sw["grid"]["value"]) / 2, x_none * 2)
    setting = sw["settings"]
    ax.set(title=f"He init × {setting['weight_scale']:g}, lr {setting['lr']}, "
                 f"{setting['epochs']} epochs ({setting['n_seeds']} seeds: dots, mean: line)",
           xlabel="clip threshold c (log; norm and value thresholds on one axis)",
           ylabel="final test accuracy", ylim=(-0.05, 1.3), yticks=np.linspace(0, 1, 6))
    ax.legend(fontsize=7.5, loc="upper center", ncol=2)
    cs = cos["thresholds"]
    bx.semilogx(cs, cos["cos_norm"], "o-", color=COLORS["norm"], label="clip by global norm")
    bx.semilogx(cs, cos["cos_value"], "s-", color=COLORS["value"], label="clip by value")
    bx.semilogx(cs, cos["frac_entries_clipped"], ":", color=COLORS["value"],
                label="clip by value: fraction of entries clamped")
    bx.axvline(cos["norms"]["max_abs_entry"], color="0.5", ls="--", lw=1,
               label=f"largest entry max|g_i| = {cos['norms']['max_abs_entry']:.3g}")
    bx.set(title="Direction of the clipped gradient at init "
                 f"(‖g‖ = {cos['norms']['grad']:.3g})",
           xlabel="clip threshold c (log)", ylabel="cos(clipped g, g)  /  fraction",
           ylim=(-0.03, 1.05))
    bx.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig
