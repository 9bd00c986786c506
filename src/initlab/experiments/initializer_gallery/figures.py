"""Chapter 8's figures: the gallery's small multiples and the four conventions.

What: :func:`plot_gallery` draws one panel per initializer, the histogram of its draws against
the closed-form density (or, for a deterministic initializer, the frequency of each value
against its exact probability, log scale); :func:`plot_conventions` draws, 2 x 2, the truncation
correction, PyTorch's default against He and LeCun, orthogonal versus Gaussian singular values,
and two seeded draws against each other. They read the experiments' dicts and compute nothing.
Shapes: as returned by ``draw_gallery``, ``truncation_check``, ``pytorch_default``,
``orthogonal_check`` and ``seeded_reuse``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from initlab.experiments.initializer_gallery.laws import GALLERY


def _panel(ax: plt.Axes, key: str, r: dict) -> None:
    law, h = r["law"], r["hist"]
    if "values" in h:
        values, probs = law.support()
        ax.bar(np.arange(len(h["values"])), h["freq"], width=0.5, color="#a6cde6")
        ax.plot(np.arange(len(values)), probs, "k_", ms=22, mew=2)
        ax.set_xticks(np.arange(len(h["values"])), [f"{v:g}" for v in h["values"]])
        ax.set_yscale("log")
        ax.set_ylim(1e-4, 60)                         # headroom for the text
        ax.set_xlim(-0.8, max(len(values), 2) - 0.2)
        ax.set_ylabel("probability", fontsize=8)
    else:
        edges = h["edges"]
        ax.stairs(h["density"], edges, fill=True, color="#a6cde6", lw=0)
        x = np.linspace(edges[0], edges[-1], 801)
        pdf = law.pdf(x)
        ax.plot(x, pdf, "k-", lw=1.2)
        if np.isfinite(law.bound) and law.bound < edges[-1]:
            for sign in (-1, 1):
                ax.axvline(law.mean + sign * law.bound, color="C3", ls="--", lw=1)
        ax.set_ylim(0, 1.4 * max(pdf.max(), h["density"].max()))
        ax.set_ylabel("density", fontsize=8)
    ax.set_xlabel("weight value", fontsize=8)
    ax.set_title(GALLERY[key][2], fontsize=9)
    exact = "" if law.random else ", exact"
    ax.text(0.03, 0.97, f"σ theory {law.std:.4g}\nσ measured {r['std']:.4g}{exact}",
            transform=ax.transAxes, va="top", fontsize=7.5)
    ax.tick_params(labelsize=7.5)


def plot_gallery(gallery: dict, ncols: int = 6) -> Figure:
    """Small multiples: one panel per initializer, histogram against the closed-form law."""
    keys = list(gallery["inits"])
    nrows = math.ceil((len(keys) + 1) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.45 * ncols, 2.4 * nrows), dpi=70)
    axes = axes.ravel()
    for ax, key in zip(axes, keys, strict=False):
        _panel(ax, key, gallery["inits"][key])
    for ax in axes[len(keys):]:
        ax.axis("off")
    leg = axes[len(keys)]
    leg.fill_between([], [], color="#a6cde6", label="histogram of the draws")
    leg.plot([], [], "k-", label="closed-form density")
    leg.plot([], [], "C3--", label="theoretical bound ±b")
    leg.add_patch(Rectangle((0, 0), 0, 0, color="#a6cde6",
                            label="frequency of a value\n(log scale)"))
    leg.plot([], [], "k_", ms=12, mew=2, label="exact probability")
    leg.legend(loc="center", fontsize=8.5, frameon=False)
    fan_in, fan_out = gallery["settings"]["fan_in"], gallery["settings"]["fan_out"]
    fig.suptitle(f"{fan_in * fan_out:,} draws per initializer, one rng (seed "
                 f"{gallery['settings']['seed']}): a ({fan_in}, {fan_out}) kernel, fan_in = "
                 f"{fan_in}, fan_out = {fan_out}", fontsize=11)
    fig.tight_layout()
    return fig


def plot_conventions(trunc: dict, torch: dict, orth: dict, reuse: dict) -> Figure:
    """2 x 2: truncation correction, PyTorch default vs He/LeCun, orthogonal singular values,
    seeded re-use versus a running rng."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.6), dpi=76)
    ax = axes[0, 0]
    edges = np.linspace(-2.6, 2.6, 105)
    ax.hist(trunc["raw"], edges, density=True, histtype="step", lw=1.5, color="C3",
            label=f"TruncatedNormal(stddev=1): var {trunc['var_ratio']['raw']:.3f}")
    ax.hist(trunc["fixed"], edges, density=True, histtype="step", lw=1.5, color="C0",
            label=f"÷ 0.8796 (VarianceScaling): var {trunc['var_ratio']['fixed']:.3f}")
    x = np.linspace(-2.6, 2.6, 400)
    ax.plot(x, np.exp(-x**2 / 2) / math.sqrt(2 * math.pi), "k:", label="N(0, 1), the target")
    ax.set(title=f"(a) Truncated normal, target var 1, {trunc['raw'].size:,} draws",
           xlabel="weight value", ylabel="density", ylim=(0, 0.62))
    ax.legend(fontsize=9, loc="upper right")

    ax = axes[0, 1]
    colors = {"pytorch": "C3", "lecun": "C2", "he": "C0"}
    labels = {"pytorch": "PyTorch default, a=√5", "lecun": "LeCun uniform", "he": "He uniform, a=0"}
    b_max = torch["bound"]["he"] * 1.15
    for k in ("pytorch", "lecun", "he"):
        ax.hist(torch["weights"][k].ravel(), np.linspace(-b_max, b_max, 93), density=True,
                histtype="step", lw=1.5, color=colors[k],
                label=f"{labels[k]}: bound {torch['bound'][k]:.4f}, "
                      f"fan_in·Var {torch['fan_in_var'][k]:.3f}")
    fan_in, fan_out = torch["layer"]
    ax.set(title=f"(b) nn.Linear({fan_in}, {fan_out}) weight, PyTorch layout "
                 f"({fan_out}, {fan_in})",
           xlabel="weight value", ylabel="density",
           ylim=(0, 1.5 / (2 * torch["bound"]["pytorch"])))
    ax.legend(fontsize=9, loc="upper right")

    ax = axes[1, 0]
    sv_edges = np.linspace(-0.0125, 2.0125, 82)          # 1.0 at the centre of a bin
    ax.hist(orth["sv_gaussian"], sv_edges, color="C1", alpha=0.6,
            label=f"Gaussian, Var(w) = 1/{orth['tall'][0]}")
    ax.hist(orth["sv_orthogonal"], sv_edges, color="C0", alpha=0.8,
            label=f"orthogonal: all {orth['tall'][1]} at 1")
    for e in orth["mp_edges"]:
        ax.axvline(e, color="k", ls=":", lw=1)
    ax.plot([], [], "k:", label="Marchenko-Pastur edges 1 ∓ √(cols/rows)")
    ax.set_yscale("log")
    ax.set(title=f"(c) Singular values of a {orth['tall']} kernel",
           xlabel="singular value", ylabel="count (log)")
    ax.legend(fontsize=9, loc="upper left")

    ax = axes[1, 1]
    b, width = reuse["settings"]["bound"], reuse["settings"]["width"]
    for label, c, m, text in (("same_rng", "C0", ".", "same Generator twice"),
                              ("fresh_rng", "C3", "o", "re-created Generator")):
        A, B = reuse["pairs"][label]
        max_diff = reuse["max_diff"][label]
        ax.plot(A.ravel(), B.ravel(), m, color=c, ms=2 if m == "." else 3,
                alpha=0.5, mfc=c if m == "." else "none",
                label=f"{text}: max |A − B| = {max_diff:.3g}")
    ax.set(title=f"(d) Two ({width}, {width}) GlorotUniform draws, seed "
                 f"{reuse['settings']['seed']}", xlabel="entry of the first draw A",
           ylabel="entry of the second draw B", aspect="equal",
           xlim=(-1.1 * b, 1.1 * b), ylim=(-1.1 * b, 1.9 * b))
    ax.legend(fontsize=9, loc="upper left", markerscale=3)
    fig.tight_layout()
    return fig
