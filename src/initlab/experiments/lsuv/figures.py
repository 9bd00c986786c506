"""Chapter 13, LSUV: the figures of the page.

What: one function per figure, each reading the dict an experiment of
:mod:`initlab.experiments.lsuv` returned (they compute nothing new): the variance profile
through depth per scheme with LSUV's per-layer scale, the scale LSUV picks per activation,
and training curves over seeds (``plotting.curves_with_band``).

Shapes: per-layer arrays ``(n_layers,)``; curves ``(n_seeds, epochs + 1)``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from initlab import plotting

LABELS = {"orthogonal": "orthogonal, gain 1 (LSUV's pre-init)", "he": "He normal (σ_w² = 2)",
          "xavier": "Glorot uniform (σ_w² = 1)", "lsuv": "LSUV"}
COLORS = {"orthogonal": "C7", "he": "C3", "xavier": "C0", "lsuv": "C2"}
GAIN_COLORS = ("C0", "C1", "C2")


def plot_variance_profile(profile: dict) -> Figure:
    """Left: ``Var(Z_l)`` vs layer (log y) per scheme; right: LSUV's per-layer ``sigma_w2``."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [3, 2]})
    layers, setup = profile["layers"], profile["setup"]
    act, tol = setup["activation"], setup["tol"]
    ax.axhspan(1 - tol, 1 + tol, color=COLORS["lsuv"], alpha=0.15, lw=0,
               label=f"LSUV target 1 ± {tol}")
    for scheme in ("he", "orthogonal", "xavier", "lsuv"):
        ax.semilogy(layers, profile["var"][scheme], "o-", ms=3.5, color=COLORS[scheme],
                    label=LABELS[scheme])
        if scheme in profile["pred"]:
            ax.semilogy(layers, profile["pred"][scheme], ":", color=COLORS[scheme], lw=1.5)
    ax.plot([], [], "k:", lw=1.5, label="mean-field length map")
    ax.set(title=f"{act} net (64, {setup['width']}×{setup['n_hidden']}, 10): output variance "
                 f"on {setup['n_heldout']} held-out digits, one seed",
           xlabel=f"layer l ({layers[-1]} = logits)", ylabel="Var(Z_l) (log scale)")
    ax.legend(fontsize=8, loc="center right", bbox_to_anchor=(1.0, 0.42))
    s2 = profile["sigma_w2_lsuv"]
    bx.plot(layers[1:-1], s2[1:-1], "o", color=COLORS["lsuv"], ms=4,
            label=f"LSUV, hidden layers 2–{layers[-2]}: s_l² = fan_in·mean(W_l²)")
    bx.plot(layers[[0, -1]], s2[[0, -1]], "s", color=COLORS["lsuv"], mfc="white", ms=5,
            label="LSUV, layer 1 (raw pixels in) and logits")
    bx.axhline(2.0, color=COLORS["he"], ls="--", label="He: 2")
    theory_s2 = setup["sigma_w2_theory"]
    bx.axhline(theory_s2, color="k", ls=":", label=f"1 / E[{act}(z)²] = {theory_s2:.3f}")
    bx.axhline(1.0, color=COLORS["xavier"], ls="--", label="Glorot (square): 1")
    bx.set(title="The scale LSUV chose per layer", xlabel="layer l",
           ylabel="σ_w² = fan_in · Var(w)", ylim=(0, 2.6))
    bx.legend(fontsize=8, loc="lower right")
    for a in (ax, bx):
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def plot_gain_check(check: dict) -> Figure:
    """Per-layer ``sigma_w2`` LSUV picked, per activation, against ``1 / E[phi(z)^2]``."""
    fig, ax = plt.subplots(figsize=(8, 4.4))
    n_layers, rows = check["setup"]["n_layers"], check["per_activation"]
    layers = np.arange(1, n_layers + 1)
    textbook = {"relu": (2.0, "He: 2"), "tanh": ((5 / 3) ** 2, "PyTorch tanh gain²: (5/3)²")}
    for i, name in enumerate(rows):
        r, c = rows[name], GAIN_COLORS[i % len(GAIN_COLORS)]
        ax.plot(layers, r["sigma_w2"], "o", color=c, ms=4.5, mfc="white",
                label=f"{name}: LSUV (mean of layers 2–{n_layers}: {r['mean']:.3f})")
        ax.axhline(r["theory"], color=c, ls=":", lw=1.5,
                   label=f"{name}: 1 / E[{name}(z)²] = {r['theory']:.3f}")
        if name in textbook:
            ax.axhline(textbook[name][0], color=c, ls="--", lw=1, label=textbook[name][1])
    ax.set(title=f"σ_w² LSUV chooses: {n_layers} square layers of width "
                 f"{check['setup']['width']}, Gaussian input, one seed",
           xlabel="layer l (layer 1 sees the raw input)", ylabel="σ_w² = fan_in · Var(w)",
           ylim=(0.8, 3.3))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7.5, ncol=2, loc="upper left")
    fig.tight_layout()
    return fig


def plot_training(curves: dict) -> Figure:
    """Test accuracy per epoch, mean over seeds with a min..max band, per scheme."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for name, acc in curves["test_acc"].items():
        if len(acc):
            plotting.curves_with_band(ax, curves["epochs"], acc, color=COLORS[name],
                                      label=f"{LABELS[name]} ({len(acc)} runs)")
        if curves["n_diverged"][name]:
            ax.plot([], [], "x", color=COLORS[name],
                    label=f"{LABELS[name]}: {curves['n_diverged'][name]} runs diverged")
    setup = curves["setup"]
    ax.axhline(setup["target_acc"], color="0.4", ls="--", lw=1,
               label=f"target {setup['target_acc']}")
    ax.axhline(0.1, color="0.5", ls=":", label="chance (10 classes)")
    ax.set(title=f"{setup['n_hidden']} {setup['activation']} layers of width {setup['width']} "
                 f"on the digits ({setup['n_seeds']} seeds, mean and min–max band)",
           xlabel="epoch", ylabel="test accuracy", ylim=(0, 1),
           xlim=(curves["epochs"][0], curves["epochs"][-1]))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
