"""Chapter 3, symmetry breaking: the figures, drawn from :func:`train_all`'s result.

``res["runs"][name][stat]`` is ``(n_runs, epochs + 1)`` for each init ``name`` (``constant``,
``constant_relu``, ``zero``, ``perturbed``, ``perturbed_small``, ``dropout``, ``random``) and
each measure of :func:`symmetry_stats` plus ``test_acc``; ``res["epoch"]`` the epochs 0..E;
the legends name the settings of ``res["settings"]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import plotting

COLORS = {"constant": "C3", "perturbed": "C0", "perturbed_small": "C9", "dropout": "C2",
          "random": "0.3"}
_INIT_NAMES = {"glorot_uniform": "Glorot uniform"}


def labels(settings: dict) -> dict[str, str]:
    """Legend label of each init, from the settings of the run."""
    s = settings
    return {"constant": f"constant {s['value']}",
            "perturbed": f"constant + {s['eps']:g}·N(0,1)",
            "perturbed_small": f"constant + {s['eps_small']:g}·N(0,1)",
            "dropout": f"constant, dropout p={s['dropout']}",
            "random": f"random ({_INIT_NAMES.get(s['random_init'], s['random_init'])})"}


def _zero_floor(ax: plt.Axes, curves: Sequence[np.ndarray]) -> float:
    """A floor two decades below the smallest non-zero value of ``curves``, drawn and labelled:
    exact zeros are plotted on it (a log axis has no 0)."""
    positive = np.concatenate([np.ravel(c) for c in curves] + [np.ones(1)])
    floor = 10.0 ** (math.floor(math.log10(positive[positive > 0].min())) - 2)
    ax.axhline(floor, color="k", lw=0.6)
    ax.annotate(f"exactly 0.0 (drawn at {floor:g})", (0.99, floor),
                xycoords=ax.get_yaxis_transform(), xytext=(0, 5), textcoords="offset points",
                ha="right", va="bottom", zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_ylim(floor / 10, 50)
    return floor


def _label(res: dict, name: str) -> str:
    n = len(res["runs"][name]["test_acc"])
    text = labels(res["settings"])[name]
    return f"{text} ({n} seeds)" if n > 1 else f"{text} (deterministic)"


def _legend_below(fig: Figure, ax: plt.Axes) -> None:
    """One legend for the whole figure, under its panels, two columns (the panels share it)."""
    handles, texts = ax.get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside lower center", ncol=2)


def plot_symmetry(res: dict) -> Figure:
    """Two stacked panels sharing the epoch axis and one legend. Top: largest difference
    between two hidden units per epoch (log y, exact zero drawn on a floor line); bottom: units
    that differ by more than ``TOL_COARSE`` (seed mean)."""
    from initlab.experiments.symmetry_breaking import TOL_COARSE

    fig, (ax, bx) = plt.subplots(2, 1, figsize=(6.3, 7.6), sharex=True,
                                 layout="constrained")
    ep, runs, label = res["epoch"], res["runs"], labels(res["settings"])
    names = ("random", "dropout", "perturbed", "perturbed_small")
    floor = _zero_floor(ax, [runs[n]["max_abs_diff"] for n in names])
    for name in names:
        for i, d in enumerate(runs[name]["max_abs_diff"]):
            ax.semilogy(ep, np.where(d == 0.0, floor, d), color=COLORS[name], lw=1.2, alpha=0.85,
                        label=_label(res, name) if i == 0 else None)
    for name, act, ls, lw in (("constant", res["settings"]["activation"], "-", 5),
                              ("constant_relu", "relu", "--", 2)):
        d = runs[name]["max_abs_diff"][0]
        ax.semilogy(ep, np.where(d == 0.0, floor, d), color=COLORS["constant"], ls=ls, lw=lw,
                    alpha=0.55 if ls == "-" else 1.0,
                    label=f"{label['constant']}, {act} (deterministic)")
    ax.set(title="Largest difference between two hidden units",
           ylabel="max |u_i - u_j|, all weights")
    for name in ("random", "dropout", "perturbed", "perturbed_small", "constant"):
        bx.plot(ep, runs[name]["n_distinct_coarse"].mean(axis=0), color=COLORS[name], lw=2)
    width = res["settings"]["width"]
    bx.set(title=f"Distinct hidden units, out of {width}", xlabel="epoch",
           ylabel=f"units differing by > {TOL_COARSE:g}", ylim=(0, width + 3))
    plotting.integer_ticks(bx, "x")
    _legend_below(fig, ax)
    return fig


def plot_rank(res: dict) -> Figure:
    """Numerical rank (top, lowest seed) and entropy effective rank (bottom, each seed) of
    ``W_1`` per epoch, with the Marchenko-Pastur prediction (``mp_entropy_rank``) for a random
    ``W_1``; two stacked panels sharing the epoch axis and one legend."""
    from initlab.experiments.symmetry_breaking import mp_entropy_rank

    fig, (ax, bx) = plt.subplots(2, 1, figsize=(6.3, 7.6), sharex=True,
                                 layout="constrained")
    ep, runs, width = res["epoch"], res["runs"], res["settings"]["width"]
    styles = {"random": ("-", 6), "dropout": ("-", 3.5), "perturbed": ("--", 2),
              "perturbed_small": (":", 2.5), "constant": ("-", 2.5)}
    for name, (ls, lw) in styles.items():
        label = _label(res, name)
        ax.plot(ep, runs[name]["rank"].min(axis=0), color=COLORS[name], ls=ls, lw=lw,
                label=label)
        for e in runs[name]["entropy_rank"]:
            bx.plot(ep, e, color=COLORS[name], lw=1.5)
    mp = mp_entropy_rank(64, width)
    bx.axhline(mp, color="k", ls="--", lw=1)
    bx.annotate(f"Marchenko-Pastur prediction for a random W_1: {mp:.1f}", (0.99, mp),
                xycoords=bx.get_yaxis_transform(), xytext=(0, 3), textcoords="offset points",
                ha="right", va="bottom")
    ax.set(title=f"Numerical rank of W_1 (64 x {width}), lowest seed",
           ylabel="rank (matrix_rank)", ylim=(0, width + 3))
    bx.set(title="Entropy effective rank of W_1, each seed", xlabel="epoch",
           ylabel="exp(entropy of p_k)", ylim=(0, width + 3))
    plotting.integer_ticks(bx, "x")
    _legend_below(fig, ax)
    return fig


def plot_accuracy(res: dict, chance: float = 0.1) -> Figure:
    """Test accuracy per epoch: one thin line per seed, their mean in bold; legend below."""
    fig, ax = plt.subplots(figsize=(6.3, 5.0), layout="constrained")
    ep, runs, s = res["epoch"], res["runs"], res["settings"]
    for name in ("random", "dropout", "perturbed", "perturbed_small", "constant"):
        A = runs[name]["test_acc"]
        for a in A:
            ax.plot(ep, a, color=COLORS[name], lw=0.8, alpha=0.4)
        ax.plot(ep, A.mean(axis=0), color=COLORS[name], lw=2.2, label=_label(res, name))
    ax.axhline(chance, color="k", ls=":", lw=1, label="chance (10 classes)")
    ax.set(title=f"Test accuracy on the digits, {s['activation']}, width {s['width']}, "
                 f"lr {s['lr']}",
           xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    plotting.integer_ticks(ax, "x")
    _legend_below(fig, ax)
    return fig
