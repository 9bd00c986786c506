"""Chapter 1, SGD and randomness: the figures and tables of the page.

They read what the experiments of :mod:`initlab.experiments.sgd_randomness` return and compute
nothing new: :func:`stream_table` (the spawned streams), :func:`reuse_table` (the seeding
shortcuts), :func:`plot_spread` (final accuracy per condition), :func:`plot_grid` (the
``K x K`` grid), :func:`plot_curves` (accuracy and loss per epoch over seeds) and
:func:`plot_twins` (distance of each twin run from the reference, per epoch). Every figure is
at most :data:`initlab.plotting.MAX_WIDTH` wide, for the text column.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from initlab import plotting

#: Condition name -> (plot label, colour); "both" = the grid's diagonal, "shuffle" = row 0
#: (init fixed), "init" = column 0 (shuffle fixed).
CONDITIONS = {
    "both": ("init and shuffle\nboth vary", "C0"),
    "init": ("only the init varies\n(shuffle seed fixed)", "C1"),
    "shuffle": ("only the shuffle varies\n(init seed fixed)", "C2"),
}


def stream_table(s: Any) -> pd.DataFrame:
    """One row per stream of ``s`` (a :class:`~initlab.experiments.sgd_randomness.Streams`):
    its ``spawn_key`` and the first 64 of the 256 bits of seed material it hands to PCG64
    (``generate_state``: 128 bits become the generator's state, 128 its increment, after
    mixing; the column is seed material, not the generator state)."""
    named = ([("data split", s.data)] + [(f"init stream {i}", q) for i, q in enumerate(s.init)]
             + [(f"shuffle stream {j}", q) for j, q in enumerate(s.shuffle)])
    return pd.DataFrame({"spawn_key": [str(q.spawn_key) for _, q in named],
                         "first 64 bits of seed material":
                             [f"{int(q.generate_state(1, np.uint64)[0]):#018x}"
                              for _, q in named]},
                        index=[name for name, _ in named])


def reuse_table(shortcuts: dict) -> pd.DataFrame:
    """Streams used twice, per seeding scheme, from :func:`seeding_shortcuts`'s result."""
    within, across = shortcuts["reuse"].T      # rows: seed + i arithmetic, spawn
    return pd.DataFrame({"streams used twice within one experiment": within,
                         "streams shared with the experiment seeded seed + 1": across},
                        index=["seed + i arithmetic", "SeedSequence.spawn"])


def plot_spread(grid: dict) -> Figure:
    """Violin + strip plot of the final test accuracy per condition (one point per run), the
    mean of each condition as a black bar."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 3.9))
    K = grid["n_seeds"]
    rows = [{"condition": f"{CONDITIONS[n][0]}\nstd {grid[f'std_{n}']:.4f}", "acc": a}
            for n, accs in grid["conditions"].items() for a in accs]
    df = pd.DataFrame(rows)
    palette = [CONDITIONS[n][1] for n in grid["conditions"]]
    sns.violinplot(df, x="condition", y="acc", hue="condition", palette=palette, cut=0,
                   inner=None, linewidth=1, ax=ax, legend=False, density_norm="width")
    for c in ax.collections:
        c.set_alpha(0.35)
    sns.stripplot(df, x="condition", y="acc", hue="condition", palette=palette, size=5,
                  jitter=0.18, edgecolor="k", linewidth=0.4, ax=ax, legend=False)
    for x, name in enumerate(grid["conditions"]):
        ax.hlines(grid[f"mean_{name}"], x - 0.35, x + 0.35, color="k", lw=1.5)
    ax.set(title=f"Final test accuracy, {K} runs per condition (black bar: mean)",
           xlabel="", ylabel=f"test accuracy\n({grid['n_test']} test images)")
    fig.tight_layout()
    return fig


def plot_grid(grid: dict) -> Figure:
    """The ``K x K`` grid of final test accuracies (row ``i`` = init stream, column ``j`` =
    shuffle stream) in grey levels, with row 0, column 0 and the diagonal marked in the
    colours of :func:`plot_spread`."""
    K = grid["n_seeds"]
    fig, bx = plt.subplots(figsize=(plotting.MAX_WIDTH, 5.2))
    im = bx.imshow(grid["acc"], cmap="Greys", origin="upper", interpolation="nearest")
    fig.colorbar(im, ax=bx, label="final test accuracy", shrink=0.85)
    # frames drawn half a cell inside the image edge (not clipped by the axes), dashed where
    # the two cross so that both stay visible at cell (0, 0)
    kw = {"fill": False, "lw": 2.5, "clip_on": False, "zorder": 3}
    bx.add_patch(Rectangle((-0.45, -0.45), K - 0.1, 0.9, ec=CONDITIONS["shuffle"][1], **kw,
                           label="row 0: init fixed, shuffle varies"))
    bx.add_patch(Rectangle((-0.45, -0.45), 0.9, K - 0.1, ec=CONDITIONS["init"][1], ls="--",
                           **kw, label="column 0: shuffle fixed, init varies"))
    bx.plot(np.arange(K), np.arange(K), "o", ms=5, mfc=CONDITIONS["both"][1], mec="w", mew=1,
            label="diagonal: both vary")
    step = max(1, K // 6)
    bx.set_xticks(np.arange(0, K, step))
    bx.set_yticks(np.arange(0, K, step))
    bx.grid(False)
    bx.set(title=f"All {K} x {K} pairs of streams", xlabel="shuffle stream j",
           ylabel="init stream i")
    fig.legend(loc="lower center", ncol=2, handlelength=1.6, columnspacing=1.0)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def plot_curves(grid: dict) -> Figure:
    """Test accuracy and training loss per epoch of the diagonal runs: one line per seed, the
    mean over seeds and its min..max band (:func:`initlab.plotting.curves_with_band`)."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(plotting.MAX_WIDTH, 3.8))
    ep, K = grid["epoch"], grid["n_seeds"]
    panels = ((ax, grid["curves"]["test_acc"], ep),
              (bx, grid["curves"]["epoch_loss"][:, 1:], ep[1:]))  # loss: from epoch 1
    for axis, Y, x in panels:
        for row in Y:
            axis.plot(x, row, color="C0", lw=0.6, alpha=0.35)
        axis.plot([], [], color="C0", lw=0.6, label="one run per seed")
        plotting.curves_with_band(axis, x, Y, label=f"mean of {K} seeds, band min..max",
                                  color="k")
        axis.set_xlabel("epoch")
        plotting.integer_ticks(axis, "x")
    ax.set_ylim(0.6, 1.0)  # epoch 0 (chance, ~0.1) is below the axis
    ax.set(title="Test accuracy", ylabel="test accuracy")
    bx.set_yscale("log")
    bx.set(title="Training loss (log scale)", ylabel="mean training loss of the epoch")
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def plot_twins(twins: dict) -> Figure:
    """``max |theta - theta_ref|`` per epoch for each twin run, log scale."""
    fig, ax = plt.subplots(figsize=(plotting.MAX_WIDTH, 4.6))
    ep = twins["epoch"]
    style = {"init": ("another init stream", "C1"), "shuffle": ("another shuffle stream", "C2"),
             "ulp": ("same seeds, every weight +1 ulp", "C4")}
    for key, (label, color) in style.items():
        y = twins["max_abs"][key]
        keep = y > 0
        ax.semilogy(ep[keep], y[keep], "o-", ms=3, color=color, label=label)
    ax.axhline(np.abs(twins["theta_ref"]).max(), color="0.4", ls=":",
               label="largest |weight| of the run")
    ax.axhline(np.finfo(float).eps, color="0.6", ls="--", label="float64 machine epsilon")
    ax.set(title="Distance from the reference run (init 0, shuffle 0)",
           xlabel="epoch", ylabel="max |θ − θ_ref|\nover all parameters")
    plotting.integer_ticks(ax, "x")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.tight_layout()
    return fig
