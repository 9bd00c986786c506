"""Chapter 14, dynamical isometry: the figures of the page.

What: one function per figure, each reading the dict an experiment of
:mod:`initlab.experiments.dynamical_isometry` returned (they compute nothing new): the
cumulative distributions of Jacobian singular values per configuration and depth, the spread
and mean of ``lambda = s^2`` over depth against theory, the spread over ``q*``, and training
curves over seeds (``plotting.curves_with_band``).

Shapes: per configuration ``(n_depths, n_nets)`` arrays; curves ``(n_seeds, epochs + 1)``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from initlab import plotting
from initlab.experiments.dynamical_isometry.nets import CONFIGS

COLORS = {("tanh", "orthogonal"): "C0", ("tanh", "gaussian"): "C3",
          ("relu", "orthogonal"): "C2", ("relu", "gaussian"): "C4"}


def label(config: tuple[str, str]) -> str:
    """``"tanh, orthogonal"``, ``"ReLU, Gaussian"``: the name of a configuration in legends."""
    names = {"tanh": "tanh", "relu": "ReLU", "orthogonal": "orthogonal", "gaussian": "Gaussian"}
    return f"{names[config[0]]}, {names[config[1]]}"


def plot_spectra(sp: dict) -> Figure:
    """Cumulative distribution of the singular values ``s`` per configuration at the histogram
    depths (log x), one panel per configuration (2 x 2); values below ``1e-4`` (including exact
    zeros) sit at the left edge, so the height there is the fraction of crushed directions.
    Isometry = a jump at 1."""
    floor, top = 1e-4, 1e2
    fig, axes = plt.subplots(2, 2, figsize=(plotting.MAX_WIDTH, 6.0), sharex=True, sharey=True)
    for ax, config in zip(axes.flat, CONFIGS, strict=True):
        for k, (depth, sv) in enumerate(sp["configs"][config]["sv"].items()):
            s = np.sort(np.clip(sv, floor, top))
            frac = np.arange(1, s.size + 1) / s.size
            ax.step(np.concatenate([[floor], s]), np.concatenate([[0.0], frac]), where="post",
                    lw=1.8, color=f"C{k}", label=f"depth {depth}")
        ax.axvline(1.0, color="k", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set(xlim=(floor, top), ylim=(0, 1.02), title=label(config))
        ax.set_xticks([1e-4, 1e-2, 1.0, 1e2])
    for ax in axes[1]:
        ax.set_xlabel(r"singular value $s$ of $J$")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"fraction $\leq s$")
    axes[0, 0].legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_spread(sp: dict) -> Figure:
    """Top: ``Var(lambda) / mean(lambda)^2`` over depth (log-log) with the predictions (solid:
    infinite width; dashed: the width-N recursion, Gaussian only; dotted: the ``N - 1``
    ceiling of one net's estimate); bottom: ``mean(lambda)`` over depth against
    ``chi_1^L = 1``. Points: one per net; colours: configurations."""
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(plotting.MAX_WIDTH, 8.4), sharex=True)
    d, width = sp["depths"], sp["width"]
    for i, config in enumerate(CONFIGS):
        r, col = sp["configs"][config], COLORS[config]
        x = np.repeat(d[:, None] * (1.0 + 0.03 * (i - 1.5)), sp["n_nets"], axis=1)  # jitter
        ax1.loglog(x.ravel(), r["spread"].ravel(), "o", ms=3.5, color=col, alpha=0.7)
        ax1.loglog(d, r["pred"], "-", color=col, label=label(config))
        if r["pred_finite"] is not None:
            ax1.loglog(d, r["pred_finite"], "--", color=col, lw=1)
        ax2.semilogx(x.ravel(), r["mean_lam"].ravel(), "o", ms=3.5, color=col, alpha=0.7,
                     label=label(config))
    ax1.axhline(width - 1, color="grey", ls=":", lw=1)
    ax1.plot([], [], "k-", label="theory, infinite width")
    ax1.plot([], [], "k--", lw=1, label=f"theory, width {width}")
    ax1.plot([], [], ":", color="grey", lw=1, label=f"ceiling N - 1 = {width - 1}")
    ax1.set(ylabel=r"$\mathrm{Var}(\lambda)\,/\,\mathrm{mean}(\lambda)^2$",
            title=r"Spread of $\lambda = s^2$ (points: nets, lines: theory)")
    ax1.set_ylim(0.01, 3e5)
    ax1.legend(loc="upper left", ncol=2)
    ax2.axhline(1.0, color="k", ls=":", lw=1, label=r"$\chi_1^L = 1$")
    ax2.set_yscale("log")
    ax2.set(xlabel="depth $L$ (layers, log)", ylabel=r"mean$(\lambda)$ of one net",
            title="Mean squared singular value (points: nets)")
    ax2.set_xticks(d, [str(int(x)) for x in d])
    ax2.xaxis.set_minor_formatter(NullFormatter())
    ax1.xaxis.set_tick_params(labelbottom=True)
    ax2.legend(loc="upper left", ncol=3)
    lo, hi = ax2.get_ylim()
    ax2.set_ylim(lo, hi * (hi / lo) ** 0.45)                     # room for the legend on top
    fig.tight_layout()
    return fig


def plot_qstar(qs: dict) -> Figure:
    """Orthogonal tanh at one depth: spread over ``q*`` (log-log), measured and predicted; the
    chapter's bias variance and the largest one are labelled."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 4.0))
    setup = qs["setup"]
    ax.loglog(qs["q_star"], qs["pred"], "-", label=r"theory $L(\mu_2/\mu_1^2 - 1)$")
    nets = "one net" if setup["n_nets"] == 1 else f"mean of {setup['n_nets']} nets"
    ax.loglog(qs["q_star"], qs["spread"], "o", label=f"measured, {nets}")
    for q, b2, p in zip(qs["q_star"], qs["sigma_b2"], qs["pred"], strict=True):
        if b2 == setup["sigma_b2"]:
            ax.annotate(rf"$\sigma_b^2$ = {b2:g} (used here)", (q, p), textcoords="offset points",
                        xytext=(8, -4), va="top")
        elif b2 == qs["sigma_b2"][-1]:
            ax.annotate(rf"$\sigma_b^2$ = {b2:g}", (q, p), textcoords="offset points",
                        xytext=(-10, 0), ha="right", va="center")
    ax.axhline(1.0, color="k", ls=":", lw=1, label=r"spread 1 (std of $\lambda$ = mean)")
    ax.set(xlabel=r"fixed-point length $q^*$ (log)",
           ylabel=r"$\mathrm{Var}(\lambda)/\mathrm{mean}(\lambda)^2$",
           title=f"Orthogonal tanh at criticality, depth {setup['depth']}, "
                 f"width {setup['width']}")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def plot_training(tc: dict) -> Figure:
    """Train (left) and test (right) accuracy per epoch, mean over seeds with a min..max band,
    per init; the legend below the panels."""
    fig, axes = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.9), sharey=True)
    colors = {"orthogonal": COLORS[("tanh", "orthogonal")],
              "gaussian": COLORS[("tanh", "gaussian")]}
    for ax, what in zip(axes, ("train_acc", "test_acc"), strict=True):
        for init, curves in tc[what].items():
            name = "Gaussian" if init == "gaussian" else init
            plotting.curves_with_band(ax, tc["epochs"], curves, label=f"{name} weights",
                                      color=colors[init])
        ax.axhline(0.1, color="k", ls=":", lw=1, label="chance")
        ax.set(xlabel="epoch", ylim=(0, 1), title=f"{what.split('_')[0]} accuracy")
        plotting.integer_ticks(ax, "x")
    axes[0].set_ylabel("accuracy")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=3)
    return fig
