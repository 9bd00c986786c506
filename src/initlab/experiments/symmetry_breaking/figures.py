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
                ha="right", va="bottom", fontsize=8, zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_ylim(floor / 10, 50)
    return floor


def _label(res: dict, name: str) -> str:
    n = len(res["runs"][name]["test_acc"])
    text = labels(res["settings"])[name]
    return f"{text} ({n} seeds)" if n > 1 else f"{text} (deterministic)"


def plot_symmetry(res: dict) -> Figure:
    """Left: largest difference between two hidden units per epoch (log y, exact zero drawn on
    a floor line); right: units that differ by more than ``TOL_COARSE``."""
    from initlab.experiments.symmetry_breaking import TOL_COARSE

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [3, 2]})
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
           xlabel="epoch", ylabel="max |u_i - u_j| over all weights")
    ax.legend(fontsize=8, loc="center right")
    label["constant"] += f" ({res['settings']['activation']} and relu)"
    for name in ("random", "dropout", "perturbed", "perturbed_small", "constant"):
        bx.plot(ep, runs[name]["n_distinct_coarse"].mean(axis=0), color=COLORS[name], lw=2,
                label=label[name])
    width = res["settings"]["width"]
    bx.set(title=f"Distinct hidden units, out of {width}", xlabel="epoch",
           ylabel=f"units differing by > {TOL_COARSE:g} (seed mean)", ylim=(0, width + 3))
    bx.legend(fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


def plot_rank(res: dict) -> Figure:
    """Numerical rank (left) and entropy effective rank (right) of ``W_1`` per epoch, with the
    Marchenko-Pastur prediction (``mp_entropy_rank``) for a random ``W_1``."""
    from initlab.experiments.symmetry_breaking import mp_entropy_rank

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13.5, 4.3), gridspec_kw={"width_ratios": [2, 3]})
    ep, runs, width = res["epoch"], res["runs"], res["settings"]["width"]
    styles = {"random": ("-", 6), "dropout": ("-", 3.5), "perturbed": ("--", 2),
              "perturbed_small": (":", 2.5), "constant": ("-", 2.5)}
    for name, (ls, lw) in styles.items():
        label = _label(res, name)
        ax.plot(ep, runs[name]["rank"].min(axis=0), color=COLORS[name], ls=ls, lw=lw,
                label=label)
        for i, e in enumerate(runs[name]["entropy_rank"]):
            bx.plot(ep, e, color=COLORS[name], lw=1.5, label=label if i == 0 else None)
    mp = mp_entropy_rank(64, width)
    bx.axhline(mp, color="k", ls="--", lw=1,
               label=f"Marchenko-Pastur prediction\nfor a random W_1: {mp:.1f}")
    ax.set(title=f"Numerical rank of W_1 (64 x {width}), lowest seed",
           xlabel="epoch", ylabel="rank (numpy matrix_rank)", ylim=(0, width + 3))
    ax.legend(fontsize=8, loc="center right")
    bx.set(title="Entropy effective rank of W_1 (Roy & Vetterli), each seed",
           xlabel="epoch", ylabel="exp(entropy of normalised singular values)",
           ylim=(0, width))
    bx.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def plot_accuracy(res: dict, chance: float = 0.1) -> Figure:
    """Test accuracy per epoch: one thin line per seed, their mean in bold."""
    fig, ax = plt.subplots(figsize=(10, 4.2))
    ep, runs, label, s = res["epoch"], res["runs"], labels(res["settings"]), res["settings"]
    for name in ("random", "dropout", "perturbed", "perturbed_small", "constant"):
        A = runs[name]["test_acc"]
        for a in A:
            ax.plot(ep, a, color=COLORS[name], lw=0.8, alpha=0.4)
        how = f"mean of {len(A)} seeds (thin: each seed)" if len(A) > 1 else "deterministic"
        ax.plot(ep, A.mean(axis=0), color=COLORS[name], lw=2.2, label=f"{label[name]}:\n{how}")
    ax.axhline(chance, color="k", ls=":", lw=1, label="chance (10 classes)")
    ax.set(title=f"Test accuracy on the digits, {s['activation']}, width {s['width']}, "
                 f"lr {s['lr']}",
           xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig
