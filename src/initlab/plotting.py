"""One look for every figure of the book, and the figures that recur across chapters.

Why: chapters compare the same kinds of pictures (per-layer distributions, a quantity over depth
and weight scale, training curves over seeds); drawing them one way keeps the chapters
comparable and the notebooks short. Functions take an ``ax`` and data, draw, and return the
``ax``: they compute nothing (experiments save numbers, plots read them).

Shapes: ``curves`` is ``(n_seeds, n_points)``, one row per seed; ``values`` of a heatmap is
``(n_rows, n_cols)``; per-layer samples are a sequence of 1-D arrays, one per layer.

Call :func:`setup` once per notebook. Never set ``MPLBACKEND=Agg`` for a kernel that makes the
book: the figures would silently vanish from the pages (see STYLE.md).

Figures for the text column: the page's column is about 690 px wide, which at :data:`DPI` is
:data:`MAX_WIDTH` inches, so a figure drawn at most that wide is shown at its own size and its
fonts at their own size (at least :data:`MIN_FONT` points). At most two panels side by side;
stack more, or split the figure. :func:`figure` checks both and glues the figure for a numbered,
captioned ``{glue:figure}`` on the page.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.axes import Axes

from initlab import results
from initlab._checks import check_finite_array

DPI = 110  # inline PNGs: sharp on the page, small in the repository-free HTML
MAX_WIDTH = 6.3  # inches: 693 px at DPI, the width of the text column
MIN_FONT = 10.0  # points, at the size the figure is shown
MAX_PANELS_PER_ROW = 2


def setup() -> None:
    """Apply the book's theme: seaborn ``whitegrid``, colour-blind palette, PNG figures at DPI,
    column-wide figures (``MAX_WIDTH`` x 3.6 in) with fonts of at least ``MIN_FONT`` points."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    mpl.rcParams.update({"figure.dpi": DPI, "savefig.dpi": DPI,
                         "figure.figsize": (MAX_WIDTH, 3.6), "font.size": 11,
                         "axes.titlesize": 11, "axes.labelsize": 11, "xtick.labelsize": 10,
                         "ytick.labelsize": 10, "legend.fontsize": 10,
                         "legend.title_fontsize": 10, "figure.titlesize": 11,
                         "legend.frameon": False})


def check_fits_column(fig: plt.Figure, name: str = "figure") -> None:
    """Raise ValueError naming ``name`` if ``fig`` is wider than ``MAX_WIDTH``, has more than
    ``MAX_PANELS_PER_ROW`` panels side by side, or any visible text below ``MIN_FONT`` points."""
    width = float(fig.get_size_inches()[0])
    if width > MAX_WIDTH + 1e-9:
        raise ValueError(f"{name} is {width:.2f} in wide; the text column takes at most "
                         f"{MAX_WIDTH} in at {DPI} dpi (stack the panels or split the figure)")
    columns: dict[float, int] = {}
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not ax.get_visible():
            continue
        box = ax.get_position()
        row = round(box.y0, 2)
        columns[row] = columns.get(row, 0) + 1
    if columns and max(columns.values()) > MAX_PANELS_PER_ROW:
        raise ValueError(f"{name} has {max(columns.values())} panels side by side; the column "
                         f"holds at most {MAX_PANELS_PER_ROW}")
    for text in fig.findobj(mpl.text.Text):
        if text.get_visible() and text.get_text().strip() and text.get_fontsize() < MIN_FONT:
            raise ValueError(f"{name}: text {text.get_text()[:40]!r} is "
                             f"{text.get_fontsize():.1f} pt, below {MIN_FONT} pt")


def figure(key: str, fig: plt.Figure, save: str | os.PathLike | None = None) -> None:
    """Glue ``fig`` under ``key`` for a numbered, captioned figure on the page, then close it.

    The page places it with ``{glue:figure} key`` (with ``:name:`` for ``{numref}`` links, an
    ``:alt:`` text and a caption that says what to look at). Run outside the book pipeline (a
    reader's own Jupyter), the figure is also shown under the cell. ``save``: also write it as a
    PNG there (for a page that shows another page's figure, e.g. the intro). Raises if it does
    not fit the text column (:func:`check_fits_column`).
    """
    check_fits_column(fig, key)
    if save is not None:
        os.makedirs(os.path.dirname(os.fspath(save)) or ".", exist_ok=True)
        fig.savefig(save, dpi=DPI, bbox_inches="tight")
    try:
        from IPython import get_ipython
        from myst_nb import glue
    except ImportError:  # plain python: nothing to glue into
        plt.close(fig)
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "kernel"):
        glue(key, fig, display=False)
        if not os.environ.get(results.MODE_ENV):  # a reader's Jupyter, not the book: show it too
            from IPython.display import display
            display(fig)
    plt.close(fig)


def integer_ticks(ax: Axes, axis: str = "x") -> Axes:
    """Ticks at whole numbers only on ``axis`` ("x", "y" or "both"): layers, epochs, counts."""
    from matplotlib.ticker import MaxNLocator

    if axis not in ("x", "y", "both"):
        raise ValueError(f"`axis` must be 'x', 'y' or 'both', got {axis!r}")
    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"{name}axis").set_major_locator(MaxNLocator(integer=True))
    return ax


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
