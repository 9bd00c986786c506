"""Chapter 13, LSUV: the figures of the page.

What: one function per figure, each reading the dict an experiment of
:mod:`initlab.experiments.lsuv` returned (they compute nothing new): the variance profile
through depth per scheme, the scale LSUV chose per layer, the scale LSUV picks per activation,
and training curves over seeds (``plotting.curves_with_band``). Each is one panel as wide as
the text column (``plotting.MAX_WIDTH``), its legend below the axes or in a free corner.

Shapes: per-layer arrays ``(n_layers,)``; curves ``(n_seeds, epochs + 1)``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import plotting

LABELS = {"orthogonal": "orthogonal, gain 1 (LSUV's pre-init)",
          "he": "He (truncated normal, σ_w² = 2)",
          "xavier": "Glorot uniform (σ_w² = 1)", "lsuv": "LSUV"}
COLORS = {"orthogonal": "C7", "he": "C3", "xavier": "C0", "lsuv": "C2"}
GAIN_COLORS = ("C0", "C1", "C2")


def plot_variance_profile(profile: dict) -> Figure:
    """``Var(Z_l)`` against layer ``l`` (log y) per scheme, with the length map (dotted)."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 4.6), layout="constrained")
    layers, setup = profile["layers"], profile["setup"]
    tol = setup["tol"]
    ax.axhspan(1 - tol, 1 + tol, color=COLORS["lsuv"], alpha=0.15, lw=0,
               label=f"LSUV target 1 ± {tol}")
    for scheme in ("he", "orthogonal", "xavier", "lsuv"):
        ax.semilogy(layers, profile["var"][scheme], "o-", ms=3.5, color=COLORS[scheme],
                    label=LABELS[scheme])
        if scheme in profile["pred"]:
            ax.semilogy(layers, profile["pred"][scheme], ":", color=COLORS[scheme], lw=1.5)
    ax.plot([], [], "k:", lw=1.5, label="mean-field length map")
    ax.set(xlabel=f"layer l ({layers[-1]} = logits)", ylabel="Var(Z_l), log scale")
    plotting.integer_ticks(ax, "x")
    fig.legend(loc="outside lower center", ncol=2)
    return fig


def plot_lsuv_scale(profile: dict) -> Figure:
    """The ``sigma_w2 = fan_in mean(W_l^2)`` LSUV chose per layer, against He, Glorot and
    ``1 / E[phi(z)^2]``."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 4.0), layout="constrained")
    layers, setup = profile["layers"], profile["setup"]
    act, s2 = setup["activation"], profile["sigma_w2_lsuv"]
    ax.plot(layers[1:-1], s2[1:-1], "o", color=COLORS["lsuv"], ms=4,
            label=f"LSUV, hidden layers 2–{layers[-2]}")
    ax.plot(layers[[0, -1]], s2[[0, -1]], "s", color=COLORS["lsuv"], mfc="white", ms=5,
            label="LSUV, layer 1 (pixels in) and logits")
    ax.axhline(2.0, color=COLORS["he"], ls="--", label="He: 2")
    theory_s2 = setup["sigma_w2_theory"]
    ax.axhline(theory_s2, color="k", ls=":", label=f"1 / E[{act}(z)²] = {theory_s2:.3f}")
    ax.axhline(1.0, color=COLORS["xavier"], ls="--", label="Glorot (square): 1")
    ax.set(xlabel="layer l", ylabel="σ_w² = fan_in · mean(W_l²)", ylim=(0, 2.6))
    plotting.integer_ticks(ax, "x")
    fig.legend(loc="outside lower center", ncol=2)
    return fig


def plot_gain_check(check: dict) -> Figure:
    """Per-layer ``sigma_w2`` LSUV picked, per activation, against ``1 / E[phi(z)^2]``."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 4.8), layout="constrained")
    n_layers, rows = check["setup"]["n_layers"], check["per_activation"]
    layers = np.arange(1, n_layers + 1)
    textbook = {"relu": (2.0, "He: 2"), "tanh": ((5 / 3) ** 2, "PyTorch: (5/3)²")}
    for i, name in enumerate(rows):
        r, c = rows[name], GAIN_COLORS[i % len(GAIN_COLORS)]
        ax.plot(layers, r["sigma_w2"], "o", color=c, ms=4.5, mfc="white",
                label=f"{name}: LSUV, mean {r['mean']:.3f}")
        ax.axhline(r["theory"], color=c, ls=":", lw=1.5,
                   label=f"{name}: 1 / E[φ(z)²] = {r['theory']:.3f}")
        if name in textbook:
            ax.axhline(textbook[name][0], color=c, ls="--", lw=1, label=textbook[name][1])
    ax.set(xlabel="layer l (layer 1 sees the raw input)", ylabel="σ_w² = fan_in · Var(w)",
           ylim=(0.8, 3.3))
    plotting.integer_ticks(ax, "x")
    handles, labels = ax.get_legend_handles_labels()     # per activation: LSUV, theory, book
    first = [i for i, lab in enumerate(labels) if "LSUV" in lab]
    order = first + [i for i, lab in enumerate(labels) if lab.startswith("He")] + [
        i for i, lab in enumerate(labels) if "E[" in lab] + [
        i for i, lab in enumerate(labels) if lab.startswith("PyTorch")]
    fig.legend([handles[i] for i in order], [labels[i] for i in order],
               loc="outside lower center", ncol=2)            # column 1 LSUV, column 2 theory
    return fig


def plot_training(curves: dict) -> Figure:
    """Test accuracy per epoch, mean over seeds with a min..max band, per scheme."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 4.6), layout="constrained")
    for name, acc in curves["test_acc"].items():
        if len(acc):
            plotting.curves_with_band(ax, curves["epochs"], acc, color=COLORS[name],
                                      label=f"{LABELS[name]}, {len(acc)} runs")
        if curves["n_diverged"][name]:
            ax.plot([], [], "x", color=COLORS[name],
                    label=f"{LABELS[name]}: {curves['n_diverged'][name]} runs diverged")
    setup = curves["setup"]
    ax.axhline(setup["target_acc"], color="0.4", ls="--", lw=1,
               label=f"target {setup['target_acc']}")
    ax.axhline(0.1, color="0.5", ls=":", label="chance (10 classes)")
    ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1),
           xlim=(curves["epochs"][0], curves["epochs"][-1]))
    plotting.integer_ticks(ax, "x")
    fig.legend(loc="outside lower center", ncol=2)
    return fig
