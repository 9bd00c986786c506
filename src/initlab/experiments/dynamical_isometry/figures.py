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

from initlab import plotting
from initlab.experiments.dynamical_isometry.nets import CONFIGS

COLORS = {("tanh", "orthogonal"): "C0", ("tanh", "gaussian"): "C3",
          ("relu", "orthogonal"): "C2", ("relu", "gaussian"): "C4"}


def label(config: tuple[str, str]) -> str:
    """``"tanh, orthogonal"``: the name of a configuration in legends."""
    return f"{config[0]}, {config[1]}"


def plot_spectra(sp: dict) -> Figure:
    """Cumulative distribution of the singular values ``s`` per configuration at the histogram
    depths (log x); values below ``1e-4`` (including exact zeros) sit at the left edge, so the
    height there is the fraction of crushed directions. Isometry = a jump at 1."""
    floor, top = 1e-4, 1e2
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharex=True, sharey=True)
    for ax, config in zip(axes.flat, CONFIGS, strict=True):
        for k, (depth, sv) in enumerate(sp["configs"][config]["sv"].items()):
            s = np.sort(np.clip(sv, floor, top))
            frac = np.arange(1, s.size + 1) / s.size
            ax.step(np.concatenate([[floor], s]), np.concatenate([[0.0], frac]), where="post",
                    lw=1.8, color=f"C{k}", label=f"depth {depth}")
        ax.axvline(1.0, color="k", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set(xlim=(floor, top), ylim=(0, 1.02), title=f"{label(config)} (critical)")
    for ax in axes[1]:
        ax.set_xlabel(r"singular value $s$ of $J$ (log; left edge: $\leq 10^{-4}$, incl. 0)")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"fraction of singular values $\leq s$")
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Input-output Jacobian spectra, width {sp['width']}, {sp['n_nets']} nets per "
                 f"depth (seed {sp['setup']['seed']}); dotted: s = 1", fontsize=10)
    fig.tight_layout()
    return fig


def plot_spread(sp: dict) -> Figure:
    """Left: ``Var(lambda) / mean(lambda)^2`` over depth (log-log) with the predictions;
    right: ``mean(lambda)`` over depth against ``chi_1^L = 1``. Points: one per net."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.4))
    d, width = sp["depths"], sp["width"]
    for i, config in enumerate(CONFIGS):
        r, col = sp["configs"][config], COLORS[config]
        x = np.repeat(d[:, None] * (1.0 + 0.03 * (i - 1.5)), sp["n_nets"], axis=1)  # jitter
        ax1.loglog(x.ravel(), r["spread"].ravel(), "o", ms=3.5, color=col, alpha=0.7)
        ax1.loglog(d, r["pred"], "-", color=col, label=f"{label(config)}: infinite width")
        if r["pred_finite"] is not None:
            ax1.loglog(d, r["pred_finite"], "--", color=col, lw=1,
                       label=f"{label(config)}: width-{width} recursion")
        ax2.semilogx(x.ravel(), r["mean_lam"].ravel(), "o", ms=3.5, color=col, alpha=0.7,
                     label=label(config))
    ax1.axhline(width - 1, color="grey", ls=":", lw=1,
                label=f"ceiling N - 1 = {width - 1} of a {width}-value sample")
    ax1.set(xlabel="depth $L$ (layers, log)",
            ylabel=r"$\mathrm{Var}(\lambda)\,/\,\mathrm{mean}(\lambda)^2$ (log)",
            title=r"spread of $\lambda = s^2$: points = nets, lines = theory")
    ax1.set_ylim(0.01, 1e5)
    ax1.legend(fontsize=7, loc="upper left", ncol=2)
    ax2.axhline(1.0, color="k", ls=":", lw=1, label=r"$\chi_1^L = 1$")
    ax2.set_yscale("log")
    ax2.set(xlabel="depth $L$ (layers, log)", ylabel=r"mean$(\lambda)$ per net (log)",
            title=r"mean squared singular value: points = nets")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_qstar(qs: dict) -> Figure:
    """Orthogonal tanh at one depth: spread over ``q*`` (log-log), measured and predicted."""
    fig, ax = plt.subplots(figsize=(7, 4))
    setup = qs["setup"]
    ax.loglog(qs["q_star"], qs["pred"], "-", label=r"$L(\mu_2/\mu_1^2 - 1)$ (infinite width)")
    ax.loglog(qs["q_star"], qs["spread"], "o",
              label=f"measured, mean of {setup['n_nets']} net(s)")
    for q, b2, p in zip(qs["q_star"], qs["sigma_b2"], qs["pred"], strict=True):
        note = " (used here)" if b2 == setup["sigma_b2"] else ""
        ax.annotate(rf"$\sigma_b^2$={b2:g}{note}", (q, p), textcoords="offset points",
                    xytext=(4, -12), fontsize=7)
    ax.axhline(1.0, color="k", ls=":", lw=1, label="spread 1 (std of $\\lambda$ = its mean)")
    ax.set(xlabel=r"fixed-point length $q^*$ (log)",
           ylabel=r"$\mathrm{Var}(\lambda)/\mathrm{mean}(\lambda)^2$ (log)",
           title=f"orthogonal tanh at criticality, depth {setup['depth']}, "
                 f"width {setup['width']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_training(tc: dict) -> Figure:
    """Train and test accuracy per epoch, mean over seeds with a min..max band, per init."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    setup = tc["setup"]
    colors = {"orthogonal": COLORS[("tanh", "orthogonal")],
              "gaussian": COLORS[("tanh", "gaussian")]}
    for ax, what in zip(axes, ("train_acc", "test_acc"), strict=True):
        for init, curves in tc[what].items():
            plotting.curves_with_band(ax, tc["epochs"], curves, label=f"{init} weights",
                                      color=colors[init])
        ax.axhline(0.1, color="k", ls=":", lw=1, label="chance")
        ax.set(xlabel="epoch", ylim=(0, 1),
               title=f"{what.split('_')[0]} accuracy, {setup['n_hidden']} tanh layers x "
                     f"{setup['width']}")
    axes[0].set_ylabel("accuracy")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"digits, critical tanh, SGD lr {setup['lr']}: mean of {setup['n_seeds']} "
                 "seeds, band = min..max", fontsize=10)
    fig.tight_layout()
    return fig
