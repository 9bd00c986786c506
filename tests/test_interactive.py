"""The offline slider widget: one PNG frame per label, nothing loaded from the network."""

import base64
import io
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from initlab import interactive, plotting

FRAME = re.compile(r'frames\[(\d+)\] = "data:image/png;base64,([^"]*)"')


def _widget(n: int = 3, width: float = 4.0) -> str:
    fig, ax = plt.subplots(figsize=(width, 3.0))
    x = np.linspace(0.0, 1.0, 20)
    (line,) = ax.plot(x, x)
    ax.set(ylim=(0, 3), xlabel="x", ylabel="y")
    return interactive.slider(fig, lambda i: line.set_ydata((i + 1) * x),
                              [f"slope {i + 1}" for i in range(n)], alt='a "line" & <slope>')


def test_one_distinct_png_frame_per_label():
    plotting.setup()
    html = _widget(3)
    frames = FRAME.findall(html)
    assert [int(i) for i, _ in frames] == [0, 1, 2]
    images = [base64.b64decode(data) for _, data in frames]
    assert len(set(images)) == 3, "each frame shows its own setting"
    im = Image.open(io.BytesIO(images[0]))
    assert im.size == (4 * plotting.DPI, 3 * plotting.DPI) and im.mode == "P"  # palette PNG
    assert "new Array(3)" in html


def test_widget_is_offline_and_accessible():
    html = _widget(2)
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", html), "a network load is left"
    assert "fa fa-" not in html and "font-awesome" not in html
    assert 'alt="a &quot;line&quot; &amp; &lt;slope>"' in html
    for title in ("Previous frame", "Next frame", "Play"):
        assert f'title="{title}"' in html


def test_offline_rejects_a_remote_load():
    with pytest.raises(ValueError, match="network"):
        interactive.offline('<script src="https://cdn.example/x.js"></script>', alt="x")


def test_bad_arguments_are_named():
    fig, _ = plt.subplots(figsize=(4.0, 3.0))
    with pytest.raises(ValueError, match="labels"):
        interactive.slider(fig, lambda i: None, [], alt="x")
    wide, _ = plt.subplots(figsize=(plotting.MAX_WIDTH + 1, 3.0))
    with pytest.raises(ValueError, match="wide"):
        interactive.slider(wide, lambda i: None, ["a"], alt="x")
    plt.close("all")


def test_figure_outside_a_kernel_glues_nothing():
    assert interactive.figure("fig_x", "<div></div>") is None
