"""Interactive figures that work offline: precomputed frames behind a slider, no server, no CDN.

What: :func:`slider` draws one frame per setting of a precomputed grid (a weight gain, a bias
variance, an initializer) into one matplotlib figure and returns self-contained HTML: every
frame embedded as a PNG, a range slider and step buttons, and matplotlib's own few lines of
JavaScript (``Animation.to_jshtml``). :func:`figure` glues that HTML into the page for a
numbered, captioned ``{glue:figure}``, as :func:`initlab.plotting.figure` does for a PNG.

Why: a static site cannot run the experiments, but it can show a grid of them; a reader who
moves a slider sees what the chapter's theory predicts for each setting. The frames come from
the same experiment results as the static figures, so nothing shown is computed twice.

Offline: matplotlib's template loads Font Awesome from a CDN for its button icons; the HTML
returned here drops that stylesheet and labels the buttons with plain Unicode symbols, so the
page loads nothing from the network. Size: ``n_frames`` PNGs at ``plotting.DPI``, base64
(4/3 of the bytes); keep frames simple and their count small (a widget under ~1 MB).

Shapes: ``labels[i]`` names frame ``i``; ``draw(i)`` redraws the figure's artists for it.
"""

from __future__ import annotations

import base64
import io
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.animation import HTMLWriter
from PIL import Image

from initlab import plotting, results

#: matplotlib's Font Awesome icon -> a Unicode symbol (the template's buttons, in its order).
ICONS = {"fa fa-minus": "\u2212", "fa fa-fast-backward": "\u23ee",
         "fa fa-step-backward": "\u25c0\ufe0e|", "fa fa-play fa-flip-horizontal": "\u25c0\ufe0e",
         "fa fa-pause": "\u23f8\ufe0e", "fa fa-play": "\u25b6\ufe0e",
         "fa fa-step-forward": "|\u25b6\ufe0e", "fa fa-fast-forward": "\u23ed", "fa fa-plus": "+"}
_CDN_LINK = re.compile(r"<link[^>]*href=\"https?://[^\"]*\"[^>]*>\s*", re.S)
_FRAME = re.compile(r"(frames\[\d+\] = \"data:image/png;base64,)(.*?)(\")", re.S)
#: Colours per frame after quantization: line plots use a handful, anti-aliasing the rest.
COLORS = 32


def slider(fig: plt.Figure, draw: Callable[[int], object], labels: Sequence[str], *,
           alt: str, interval: int = 800) -> str:
    """One frame per entry of ``labels``, drawn by ``draw(i)``, as offline HTML; closes ``fig``.

    ``draw(i)`` updates ``fig`` for frame ``i`` (set line data, texts, ...); the title above
    the axes shows ``labels[i]`` (so the reader sees which setting a frame is). ``alt``: what
    the image shows, for a screen reader. ``interval``: milliseconds per frame when played.
    Raises ValueError if ``labels`` is empty or ``fig`` does not fit the text column.
    """
    labels = [str(label) for label in labels]
    if not labels:
        raise ValueError("`labels` is empty: give one label per frame")
    plotting.check_fits_column(fig, "interactive figure")
    title = fig.suptitle(labels[0])
    fig.canvas.draw()                          # lay out once (constrained layout), then freeze:
    fig.set_layout_engine("none")              # every frame has the same axes, drawn once
    writer = HTMLWriter(fps=1000.0 / interval, embed_frames=True, default_mode="once")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "widget.html"
            with writer.saving(fig, path, dpi=plotting.DPI):
                for i, label in enumerate(labels):
                    draw(i)
                    title.set_text(label)
                    writer.grab_frame()
            html = path.read_text()
    finally:
        plt.close(fig)
    return offline(shrink(html), alt)


def shrink(html: str, colors: int = COLORS) -> str:
    """Re-encode every embedded PNG frame with a palette of ``colors`` colours (about a quarter
    of the bytes of matplotlib's RGBA frames for a line plot, and no visible change)."""
    def palette(match: re.Match) -> str:
        raw = base64.b64decode(match.group(2).replace("\\\n", ""))
        out = io.BytesIO()
        Image.open(io.BytesIO(raw)).convert("RGB").quantize(colors=colors).save(
            out, format="PNG", optimize=True)
        return match.group(1) + base64.b64encode(out.getvalue()).decode("ascii") + match.group(3)

    return _FRAME.sub(palette, html)


def offline(html: str, alt: str) -> str:
    """``to_jshtml`` output with no network load: no CDN stylesheet, Unicode button labels,
    ``alt`` on the frame image. Raises ValueError if any ``http(s)://`` load is left."""
    html = _CDN_LINK.sub("", html)
    for icon, symbol in ICONS.items():
        html = html.replace(f'<i class="{icon}"></i>', symbol)
    escaped = alt.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    html = re.sub(r"<img id=\"(_anim_img\w+)\">", rf'<img id="\1" alt="{escaped}">', html)
    left = re.findall(r"(?:src|href)=\"(?:https?:)?//[^\"]*\"", html)
    if left or "fa fa-" in html:
        raise ValueError(f"the widget still loads from the network or needs Font Awesome: "
                         f"{left or 'fa fa- icons'}")
    return html


def figure(key: str, html: str) -> None:
    """Glue ``html`` under ``key`` for a numbered ``{glue:figure}`` (as text/html), like
    :func:`initlab.plotting.figure` for a PNG. Outside the book (a reader's Jupyter) the widget
    is also shown under the cell; in plain Python nothing is glued."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
        from myst_nb import glue
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "kernel"):
        glue(key, HTML(html), display=False)
        if not os.environ.get(results.MODE_ENV):
            display(HTML(html))
