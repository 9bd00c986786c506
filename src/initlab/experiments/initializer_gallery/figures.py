"""Chapter 8's figures: the gallery, one figure per family, and the four conventions.

What: :func:`plot_gallery` draws the initializers of one family of :data:`GROUPS`, one panel
each (two side by side), the histogram of its draws against the closed-form density (or, for a
deterministic initializer, the frequency of each value against its exact probability, log
scale). :func:`plot_truncation`, :func:`plot_pytorch_default`, :func:`plot_orthogonal` and
:func:`plot_seeds` draw one convention each: the truncation correction, PyTorch's default
against He and LeCun, orthogonal versus Gaussian singular values, and two seeded draws against
each other. They read the experiments' dicts and compute nothing. Every figure fits the text
column (``plotting.MAX_WIDTH``, fonts of at least ``plotting.MIN_FONT`` points).
Shapes: as returned by ``draw_gallery``, ``truncation_check``, ``pytorch_default``,
``orthogonal_check`` and ``seeded_reuse``.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from initlab import plotting
from initlab._checks import check_choice
from initlab.experiments.initializer_gallery.laws import GALLERY

#: The gallery's four figures: every key of GALLERY in exactly one family.
GROUPS: dict[str, tuple[str, ...]] = {
    "scaled_normal": ("lecun_normal", "glorot_normal", "he_normal", "variance_scaling"),
    "scaled_uniform": ("lecun_uniform", "glorot_uniform", "he_uniform", "glorot_standard",
                       "pytorch_linear"),
    "fixed": ("random_normal", "random_uniform", "truncated_normal", "orthogonal"),
    "deterministic": ("zeros", "ones", "constant", "identity"),
}
FILL = "#a6cde6"


def _panel(ax: plt.Axes, key: str, r: dict) -> None:
    law, h = r["law"], r["hist"]
    if "values" in h:
        values, probs = law.support()
        ax.bar(np.arange(len(h["values"])), h["freq"], width=0.5, color=FILL)
        ax.plot(np.arange(len(values)), probs, "k_", ms=22, mew=2)
        ax.set_xticks(np.arange(len(h["values"])), [f"{v:g}" for v in h["values"]])
        ax.set_yscale("log")
        ax.set_ylim(1e-4, 1e3)                        # headroom for the text
        ax.set_yticks([1e-4, 1e-2, 1.0])              # probabilities: none above 1
        ax.set_xlim(-0.8, max(len(values), 2) - 0.2)
        ax.set_ylabel("probability")
    else:
        edges = h["edges"]
        ax.stairs(h["density"], edges, fill=True, color=FILL, lw=0)
        x = np.linspace(edges[0], edges[-1], 801)
        pdf = law.pdf(x)
        ax.plot(x, pdf, "k-", lw=1.2)
        if np.isfinite(law.bound) and law.bound < edges[-1]:
            for sign in (-1, 1):
                ax.axvline(law.mean + sign * law.bound, color="C3", ls="--", lw=1)
        ax.set_ylim(0, 1.6 * max(pdf.max(), h["density"].max()))
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
        ax.set_ylabel("density")
    ax.set_xlabel("weight value")
    ax.set_title(GALLERY[key][2].replace("\n", " ") if len(GALLERY[key][2]) < 26
                 else GALLERY[key][2])
    exact = " (exact)" if not law.random else ""
    ax.text(0.03, 0.97, f"σ theory {law.std:.4g}\nσ drawn {r['std']:.4g}{exact}",
            transform=ax.transAxes, va="top", fontsize=plotting.MIN_FONT,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})


def plot_gallery(gallery: dict, group: str) -> Figure:
    """One family of :data:`GROUPS`: a panel per initializer, two side by side, and a legend
    below; the histogram of the ``fan_in * fan_out`` draws against the closed-form law."""
    keys = GROUPS[check_choice(group, "group", GROUPS)]
    nrows = math.ceil(len(keys) / 2)
    fig, axes = plt.subplots(nrows, 2, figsize=(plotting.MAX_WIDTH, 2.75 * nrows + 0.5),
                             layout="constrained")
    axes = axes.ravel()
    for ax, key in zip(axes, keys, strict=False):
        _panel(ax, key, gallery["inits"][key])
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    if group == "deterministic":
        handles = [Patch(color=FILL, label="frequency of a value (log scale)"),
                   plt.Line2D([], [], color="k", ls="", marker="_", ms=12, mew=2,
                              label="exact probability")]
    else:
        handles = [Patch(color=FILL, label="histogram of the draws"),
                   plt.Line2D([], [], color="k", label="closed-form density")]
        if any(np.isfinite(gallery["inits"][k]["law"].bound) for k in keys):
            handles.append(plt.Line2D([], [], color="C3", ls="--", label="bound ±b"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles))
    return fig


def plot_truncation(trunc: dict) -> Figure:
    """Keras' uncorrected truncated normal against the corrected one and N(0, 1)."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 3.8), layout="constrained")
    edges = np.linspace(-2.6, 2.6, 105)
    ax.hist(trunc["raw"], edges, density=True, histtype="step", lw=1.5, color="C3",
            label=f"TruncatedNormal(stddev=1): variance {trunc['var_ratio']['raw']:.3f}")
    ax.hist(trunc["fixed"], edges, density=True, histtype="step", lw=1.5, color="C0",
            label=f"÷ 0.8796 (VarianceScaling): variance {trunc['var_ratio']['fixed']:.3f}")
    x = np.linspace(-2.6, 2.6, 400)
    ax.plot(x, np.exp(-x**2 / 2) / math.sqrt(2 * math.pi), "k:", label="N(0, 1), the target")
    ax.set(xlabel="weight value", ylabel="density", ylim=(0, 0.45))
    fig.legend(loc="outside lower center")
    return fig


def plot_pytorch_default(torch: dict) -> Figure:
    """Histograms of PyTorch's default ``nn.Linear`` weight, LeCun uniform and He uniform."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 3.8), layout="constrained")
    colors = {"pytorch": "C3", "lecun": "C2", "he": "C0"}
    labels = {"pytorch": "PyTorch default, a = √5", "lecun": "LeCun uniform",
              "he": "He uniform, a = 0"}
    b_max = torch["bound"]["he"] * 1.15
    for k in ("pytorch", "lecun", "he"):
        ax.hist(torch["weights"][k].ravel(), np.linspace(-b_max, b_max, 93), density=True,
                histtype="step", lw=1.5, color=colors[k],
                label=f"{labels[k]}: bound {torch['bound'][k]:.3f}, "
                      f"fan_in·Var(w) = {torch['fan_in_var'][k]:.3f}")
    ax.set(xlabel="weight value", ylabel="density",
           ylim=(0, 1.15 / (2 * torch["bound"]["pytorch"])))
    fig.legend(loc="outside lower center")
    return fig


def plot_orthogonal(orth: dict) -> Figure:
    """Singular values of an orthogonal and of a Gaussian tall kernel, log counts."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 3.8), layout="constrained")
    sv_edges = np.linspace(-0.0125, 2.0125, 82)          # 1.0 at the centre of a bin
    ax.hist(orth["sv_gaussian"], sv_edges, color="C1", alpha=0.6,
            label=f"Gaussian, Var(w) = 1/{orth['tall'][0]}")
    ax.hist(orth["sv_orthogonal"], sv_edges, color="C0", alpha=0.8,
            label=f"orthogonal: all {orth['tall'][1]} at 1")
    for e in orth["mp_edges"]:
        ax.axvline(e, color="k", ls=":", lw=1)
    ax.plot([], [], "k:", label="Marchenko-Pastur edges 1 ∓ √(cols/rows)")
    ax.set_yscale("log")
    ax.set(xlabel="singular value", ylabel="count (log scale)")
    fig.legend(loc="outside lower center")
    return fig


def plot_seeds(reuse: dict) -> Figure:
    """Entries of two GlorotUniform draws against each other: same Generator, re-created one."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 4.6), layout="constrained")
    b = reuse["settings"]["bound"]
    for label, c, m, text in (("same_rng", "C0", ".", "same Generator twice"),
                              ("fresh_rng", "C3", "o", "re-created Generator")):
        A, B = reuse["pairs"][label]
        ax.plot(A.ravel(), B.ravel(), m, color=c, ms=2 if m == "." else 3,
                alpha=0.5, mfc=c if m == "." else "none",
                label=f"{text}: max |A − B| = {reuse['max_diff'][label]:.3g}")
    ax.set(xlabel="entry of the first draw A", ylabel="entry of the second draw B",
           aspect="equal", xlim=(-1.1 * b, 1.1 * b), ylim=(-1.1 * b, 1.1 * b))
    fig.legend(loc="outside lower center", markerscale=3)
    return fig
