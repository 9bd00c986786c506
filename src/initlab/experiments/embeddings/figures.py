"""Chapter 9, random initialization of embeddings: the figures.

Drawn from the results of :func:`organisation`, :func:`symmetry` and :func:`scale_sweep`:
their ``runs[case]`` hold per-epoch curves ``(n_seeds, epochs + 1)``; ``pca_*`` the top-two
principal projections ``(n_tokens, 2)`` of the first seed's table.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

from initlab import plotting

K_NEIGHBOURS = 5
SYMMETRY_LABELS = {"all_zero": "zero table, zero W_0 above",
                   "zero_table": "zero table, random W_0 above",
                   "random": "random table U(±0.05), random W_0"}
SYMMETRY_COLORS = {"all_zero": "C2", "zero_table": "C1", "random": "C0"}


def _scatter_topics(ax: plt.Axes, P: np.ndarray, topic: np.ndarray, title: str) -> None:
    for c in range(int(topic.max()) + 1):
        ax.scatter(*P[topic == c].T, s=28, color=f"C{c}", label=f"topic {c}",
                   edgecolor="white", linewidth=0.5)
    ax.set(title=title, xlabel="principal axis 1", ylabel="principal axis 2")


def plot_pca(org: dict, sym: dict, scales_out: dict) -> Figure:
    """Top-two PCA projections of tables, coloured by topic, 2 x 2 panels, one legend below.

    Random U(+-0.05) table before and after training, zero table (random ``W_0`` above) after,
    and the largest-std table of ``scales_out`` after training; first seed of each.
    """
    fig, axes = plt.subplots(2, 2, figsize=(6.3, 6.9), layout="constrained")
    knn, topic = org["knn"][0], org["topic"]
    n_epochs = len(knn) - 1
    big = max(scales_out["runs"])
    _scatter_topics(axes[0, 0], org["pca_before"], topic,
                    f"U(±0.05) table, before\nkNN agreement {knn[0]:.2f}")
    _scatter_topics(axes[0, 1], org["pca_after"], topic,
                    f"Same, after {n_epochs} epochs\nkNN agreement {knn[-1]:.2f}")
    zk = sym["runs"]["zero_table"]["knn"][0, -1]
    _scatter_topics(axes[1, 0], sym["pca_after"]["zero_table"], topic,
                    f"Zero table, after {n_epochs} epochs\nkNN agreement {zk:.2f}")
    bk = scales_out["runs"][big]["knn"][0, -1]
    _scatter_topics(axes[1, 1], scales_out["pca_after"][big], topic,
                    f"N(0, {big:g}²) table, after {n_epochs}\nepochs, kNN agreement {bk:.2f}")
    handles, texts = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside lower center", ncol=len(texts))
    return fig


def plot_symmetry(sym: dict, chance: float, floor: float = 1e-18) -> Figure:
    """Top: kNN agreement per epoch; bottom: max row distance (log, exact 0 on a floor line).

    Mean over seeds, min-max band (:func:`initlab.plotting.curves_with_band`); two stacked
    panels sharing the epoch axis and one legend below.
    """
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(6.3, 7.2), sharex=True, layout="constrained")
    runs = sym["runs"]
    n_seeds, n_points = runs["random"]["knn"].shape
    ep = np.arange(n_points)
    for name in SYMMETRY_LABELS:
        c, lab = SYMMETRY_COLORS[name], SYMMETRY_LABELS[name]
        plotting.curves_with_band(ax, ep, runs[name]["knn"], lab, c)
        plotting.curves_with_band(bx, ep, np.maximum(runs[name]["max_dist"], floor), lab, c)
    ax.axhline(chance, color="0.5", ls=":", label=f"chance {chance:.2f}")
    ax.set(title=f"Rows grouped by topic ({n_seeds} seeds: mean, min-max band)",
           ylabel=f"kNN agreement (k={K_NEIGHBOURS})", ylim=(0, 1.02))
    bx.set_yscale("log")
    bx.axhline(floor, color=SYMMETRY_COLORS["all_zero"], ls=":", lw=1)
    bx.text(ep[-1], floor * 8, f"exactly 0 (drawn at {floor:g})", ha="right", va="bottom",
            color=SYMMETRY_COLORS["all_zero"])
    bx.set(title="Largest distance between two rows of the table", xlabel="epoch",
           ylabel="max ||E[s] - E[t]||", ylim=(floor / 10, None))
    plotting.integer_ticks(bx, "x")
    handles, texts = ax.get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside lower center", ncol=2)
    return fig


def plot_scales(sweep_out: dict, chance: float) -> Figure:
    """Two stacked panels. Top: training loss per epoch, one distinct colour per std (seed
    bands), legend beside the panel; bottom: final kNN agreement and test accuracy against the
    std (seed dots, seed-mean line), legend below the panel, clear of the dots."""
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(6.3, 8.0), layout="constrained")
    runs = sweep_out["runs"]
    scales = list(runs)
    n_seeds, n_points = runs[scales[0]]["train_loss"].shape
    n_topics = int(runs[scales[0]]["topic"].max()) + 1
    colors = sns.color_palette("colorblind", len(scales))   # seven hues, not seven shades
    x = np.arange(n_points) + 1
    for s, c in zip(scales, colors, strict=True):
        plotting.curves_with_band(ax, x, runs[s]["train_loss"], f"{s:g}", c)
    ax.axhline(np.log(n_topics), color="0.5", ls=":", label=f"ln {n_topics}")
    ax.set(xscale="log", yscale="log", xlabel="epoch + 1", ylabel="training loss",
           title=f"Training loss ({n_seeds} seeds: mean, min-max band)")
    ax.legend(title="std", loc="center left", bbox_to_anchor=(1.01, 0.5))
    for key, marker, lab in (("knn", "o", "kNN agreement"),
                             ("test_acc", "s", "test accuracy, unseen pairs")):
        vals = np.array([runs[s][key][:, -1] for s in scales])      # (n_scales, n_seeds)
        color = "C0" if key == "knn" else "C2"
        for j in range(vals.shape[1]):
            bx.scatter(scales, vals[:, j], marker=marker, color=color, alpha=0.35, s=16)
        bx.plot(scales, vals.mean(axis=1), marker=marker, color=color,
                label=f"{lab} (mean; dots: seeds)")
    bx.axhline(chance, color="0.5", ls=":", label="chance kNN agreement")
    keras = 0.05 / np.sqrt(3)
    for std, name in ((keras, "Keras default"), (1.0, "PyTorch default")):
        bx.axvline(std, color="0.3", ls="--", lw=1)
        bx.annotate(name, (std, 0.0), xycoords=("data", "axes fraction"), xytext=(3, 4),
                    textcoords="offset points", ha="left", va="bottom")  # below the data
    bx.set(xscale="log", ylim=(0, 1.02), xlabel="std of the initial table",
           ylabel="after the last epoch", title=f"After {n_points - 1} epochs")
    bx.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1)
    return fig
