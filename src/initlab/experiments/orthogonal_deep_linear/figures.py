"""Chapter 11, deep linear networks: the figures of the page.

What: one function per figure, each reading the dict an experiment of
:mod:`initlab.experiments.orthogonal_deep_linear` returned (they compute nothing new): the
spectrum of the end-to-end map at init, epochs to criterion versus depth with loss curves, the
forgetting time against its power law, and the two-layer staircase against theory.

Runs that did not reach the criterion (``inf``, the book's censoring rule) are drawn at the
cap ``max_epochs`` with an open marker, never as a number they did not reach.

Shapes: spectra ``(width,)`` per depth; epochs ``(n_depths, n_seeds)``; mode strengths
``(steps + 1, r)``; loss curves ``(n_steps + 1,)``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from initlab import plotting

LABELS = {"lecun_normal": "Gaussian (LeCun normal)", "orthogonal": "orthogonal"}


def _log_depth_axis(ax: plt.Axes, depths: np.ndarray, subs: tuple[float, ...]) -> None:
    """Depths on a log2 x axis with one tick each; epochs on a log y axis with plain labels."""
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(depths, [str(d) for d in depths])
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=subs))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def plot_spectra(spec: dict) -> Figure:
    """Singular values of ``W_total`` at init (log) versus depth, one net per init and depth."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 4.4))
    depths = spec["depths"]
    for k, (init, spectra) in enumerate(spec["spectra"].items()):
        for j, (d, sv) in enumerate(zip(depths, spectra, strict=True)):
            x = d * (1.0 + 0.06 * (2 * k - 1)) * np.ones_like(sv)   # side by side per depth
            ax.scatter(x, sv, s=12, color=f"C{k}", alpha=0.7,
                       label=LABELS[init] if j == 0 else None)
    ax.axhspan(1e-20, 1e-15, color="0.85", zorder=0,
               label="below double precision (rounding noise)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_ylim(1e-18, 30)
    ax.set_xticks(depths, [str(d) for d in depths])
    ax.set(xlabel="depth $D$ (layers, log)",
           ylabel=r"singular values of $W_1 \cdots W_D$",
           title=f"All {spec['width']} singular values at init, one net per depth")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.tight_layout()
    return fig


def plot_depth_sweep(sw: dict) -> Figure:
    """Top: epochs to criterion versus depth (log-log), seeds as points, median line; runs that
    did not reach it are drawn at the cap as open triangles. Bottom: loss curves at the deepest
    depth for the first seed, with the criterion."""
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(plotting.MAX_WIDTH, 8.0))
    depths, cap, setup = sw["depths"], sw["max_epochs"], sw["setup"]
    for k, (init, ep) in enumerate(sw["epochs"].items()):
        ok = np.isfinite(ep)
        n_seeds = ep.shape[1]
        jitter = 1.0 + 0.04 * (np.arange(n_seeds) - (n_seeds - 1) / 2) / n_seeds
        X = depths[:, None] * jitter[None, :] * (1.0 + 0.05 * (2 * k - 1))
        ax1.scatter(X[ok], ep[ok], s=14, color=f"C{k}", alpha=0.6)
        if (~ok).any():
            ax1.scatter(X[~ok], np.full((~ok).sum(), cap), s=40, marker="^",
                        facecolors="none", edgecolors=f"C{k}",
                        label=f"{LABELS[init]}: not reached in {cap} epochs")
        ax1.plot(depths, np.minimum(sw["median"][init], cap), "-o", color=f"C{k}", ms=4,
                 label=f"{LABELS[init]}, median of {n_seeds}")
    _log_depth_axis(ax1, depths, (1.0, 2.0, 5.0))
    ax1.set(xlabel="depth $D$ (layers, log)", ylabel="epochs to criterion",
            title=f"Time to learn the teacher, lr = {setup['lr_times_depth']}/D (dots: seeds)")
    ax1.legend(loc="upper left")
    for k, (init, curve) in enumerate(sw["curves"].items()):
        ax2.plot(np.arange(len(curve)), curve, color=f"C{k}", label=LABELS[init])
    ax2.axhline(setup["target"], color="k", ls=":", lw=1,
                label=f"criterion: {setup['criterion']:g} x loss of the zero map")
    ax2.set_xscale("symlog", linthresh=10)
    ax2.set_xlim(left=0)
    ax2.set_yscale("log")
    ax2.set_ylim(bottom=0.01)
    ax2.set(xlabel="epoch (full-batch step; log beyond 10)", ylabel="training loss",
            title=f"Loss curves at depth {depths[-1]} (first seed)")
    ax2.legend(loc="lower left")
    fig.tight_layout()
    return fig


def plot_forgetting(fg: dict) -> Figure:
    """Epochs to criterion versus depth for orthogonal init with full-rank inputs (seeds as
    points, median line) and the power-law forgetting time ``theory.saxe_forget_time``."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 4.0))
    d, setup, cap = fg["depths"], fg["setup"], fg["setup"]["max_epochs"]
    ok = np.isfinite(fg["epochs"])
    for j in range(fg["epochs"].shape[1]):
        ax.scatter(d[ok[:, j]], fg["epochs"][ok[:, j], j], s=14, color="C1", alpha=0.6,
                   label=f"orthogonal, {setup['n_seeds']} seeds" if j == 0 else None)
    if (~ok).any():                                   # censored runs: at the cap, open markers
        rows = np.nonzero(~ok)[0]
        ax.scatter(d[rows], np.full(rows.size, cap), s=40, marker="^", facecolors="none",
                   edgecolors="C1", label=f"not reached in {cap} epochs")
    ax.plot(d, np.minimum(fg["median"], cap), "-o", ms=4, color="C1", label="median")
    ax.plot(d, fg["theory"], "k--", label=r"theory: $(u_*^{-p} - 1)/(p\,\eta D)$, $p = 2 - 2/D$")
    _log_depth_axis(ax, d, (1.0, 2.0, 3.0, 5.0))
    ax.set(xlabel="depth $D$ (layers, log)", ylabel="epochs to criterion",
           title=f"Switching off {setup['n_unused']} unused directions (of {setup['width']})")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_staircase(st: dict) -> Figure:
    """Top: mode strengths over steps (aligned init: thick; random: thin; theory: dashed),
    each mode labelled at its target. Bottom: the training loss (linear scale), one step per
    mode, with the predicted plateau levels ``1/2 sum_{j > i} s_j^2`` and half times."""
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(plotting.MAX_WIDTH, 8.6), sharex=True)
    setup, s_all = st["setup"], st["s"]
    t = np.arange(setup["steps"] + 1)
    for i, s in enumerate(s_all):
        ax1.plot(t, st["aligned"]["modes"][:, i], lw=2.5, color=f"C{i}",
                 label="aligned init" if i == 0 else None)
        ax1.plot(t, st["random"]["modes"][:, i], lw=1.0, color=f"C{i}",
                 label="random init" if i == 0 else None)
        ax1.plot(t, st["aligned"]["theory_modes"][:, i], "k--", lw=1,
                 label="theory" if i == 0 else None)
        ax1.annotate(f"mode {i + 1}, $s_{i + 1}$ = {s:g}", (t[-1], s), xytext=(0, 3),
                     textcoords="offset points", ha="right", va="bottom", color=f"C{i}")
        ax2.axvline(st["aligned"]["t_half_theory"][i], color=f"C{i}", ls=":", lw=1.5,
                    label="predicted $t_{1/2}$ per mode" if i == 0 else None)
    ax1.set(xlabel="gradient-descent step $t$", ylabel=r"mode strength $a_i$",
            title=rf"Two layers, $a_0$ = {setup['a0']:g}, lr = {setup['lr']:g} "
                  rf"($\tau$ = {setup['tau']:g} steps)")
    ax1.set_ylim(-0.1, 1.35 * float(np.max(s_all)))            # room for the legend on top
    ax1.xaxis.set_tick_params(labelbottom=True)
    plotting.integer_ticks(ax1, "x")
    ax1.legend(loc="upper left", ncol=3)
    for kind, lw in (("aligned", 2.5), ("random", 1.0)):
        ax2.plot(t, st[kind]["loss"], lw=lw, color="C4", label=f"loss, {kind} init")
    for i in range(len(s_all) + 1):
        ax2.axhline(0.5 * float(np.sum(s_all[i:] ** 2)), color="0.5", lw=0.8, ls="--",
                    label=r"plateaus $\frac{1}{2}\sum_{j>i} s_j^2$" if i == 0 else None)
    ax2.set(xlabel="gradient-descent step $t$", ylabel="training loss",
            title="The loss falls in steps, one per singular value")
    plotting.integer_ticks(ax2, "x")
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.tight_layout()
    return fig
