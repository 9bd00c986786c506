"""One look for every figure of the book, and the figures that recur across chapters.

Why: chapters compare the same kinds of pictures (per-layer distributions, a quantity over depth
and weight scale, training curves over seeds); drawing them one way keeps the chapters
comparable and the notebooks short. Functions take an ``ax`` and data, draw, and return the
``ax``: they compute nothing (experiments save numbers, plots read them).

Shapes: ``curves`` is ``(n_seeds, n_points)``, one row per seed; ``values`` of a heatmap is
``(n_rows, n_cols)``; per-layer samples are a sequence of 1-D arrays, one per layer.

Call :func:`setup` once per notebook. Never set ``MPLBACKEND=Agg`` for a kernel that makes the
book: the figures would silently vanish from the pages (see STYLE.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.axes import Axes

from initlab._checks import check_finite_array

DPI = 110  # inline PNGs: sharp on the page, small in the repository-free HTML


def setup() -> None:
    """Apply the book's theme: seaborn ``whitegrid``, colour-blind palette, PNG figures at DPI."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update({"figure.dpi": DPI, "savefig.dpi": DPI, "figure.figsize": (7.0, 4.0),
                         "axes.titlesize": "medium", "legend.frameon": False})


def curves_with_band(ax: Axes, x: Sequence[float] | np.ndarray, curves: np.ndarray,
                     label: str | None = None, color: str | None = None) -> Axes:
    """Mean over seeds as a line, min..max over seeds as a shaded band.

    ``x``: ``(n_points,)``; ``curves``: ``(n_seeds, n_points)``, finite (a diverged run must be
    cut or recorded, never drawn as NaN).
    """
    Y = np.atleast_2d(check_finite_array(curves, "curves"))
    x = np.asarray(x)
    if Y.shape[1] != x.shape[0]:
        raise ValueError(f"`curves` has {Y.shape[1]} points per seed but `x` has {x.shape[0]}")
    (line,) = ax.plot(x, Y.mean(axis=0), label=label, color=color)
    if Y.shape[0] > 1:
        ax.fill_between(x, Y.min(axis=0), Y.max(axis=0), color=line.get_color(), alpha=0.2,
                        linewidth=0)
    return ax


def layer_histograms(ax: Axes, samples: Sequence[np.ndarray], bins: int = 60,
                     label_prefix: str = "layer") -> Axes:
    """One step-histogram (density) per layer on shared bins, lighter to darker with depth.

    ``samples[l]``: the 1-D values of layer ``l + 1`` (activations or gradients).
    """
    arrays = [check_finite_array(np.ravel(s), f"samples[{i}]") for i, s in enumerate(samples)]
    if not arrays:
        raise ValueError("`samples` is empty: give one array per layer")
    lo = min(float(a.min()) for a in arrays)
    hi = max(float(a.max()) for a in arrays)
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    colors = sns.color_palette("viridis", len(arrays))
    for i, (a, c) in enumerate(zip(arrays, colors, strict=True)):
        ax.hist(a, bins=edges, density=True, histtype="step", color=c,
                label=f"{label_prefix} {i + 1}")
    ax.legend(fontsize="small")
    return ax


def heatmap(ax: Axes, values: np.ndarray, row_labels: Sequence, col_labels: Sequence,
            cbar_label: str = "", fmt: str = ".2g", log: bool = False) -> Axes:
    """A ``(n_rows, n_cols)`` grid, e.g. depth x weight scale, annotated with its values.

    ``log``: colour by log10 of the (positive) values, for quantities spanning decades.
    """
    V = check_finite_array(values, "values")
    if V.shape != (len(row_labels), len(col_labels)):
        raise ValueError(f"`values` has shape {V.shape}, labels give "
                         f"{(len(row_labels), len(col_labels))}")
    if log and (V <= 0).any():
        raise ValueError("`log=True` needs positive values")
    colour = np.log10(V) if log else V
    sns.heatmap(colour, ax=ax, annot=V, fmt=fmt, cmap="viridis", xticklabels=col_labels,
                yticklabels=row_labels, cbar_kws={"label": f"log10 {cbar_label}" if log
                                                  else cbar_label})
    return ax


def show(fig: plt.Figure | None = None) -> None:
    """Display the figure(s) inline and close them (no figure is shown twice)."""
    plt.show()
    plt.close(fig if fig is not None else "all")
