"""initlab.plotting: the recurring figures draw what they are given, and refuse bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from initlab import plotting


@pytest.fixture
def ax():
    plotting.setup()
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def test_curves_with_band_draws_mean_and_min_max(ax):
    x = np.arange(4)
    Y = np.array([[0.0, 1, 2, 3], [2, 3, 4, 9]])
    plotting.curves_with_band(ax, x, Y, label="seeds")
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1, 2, 3, 6])
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == 0.0 and band[:, 1].max() == 9.0


def test_curves_with_band_refuses_nan_and_shape_mismatch(ax):
    with pytest.raises(ValueError, match="curves"):
        plotting.curves_with_band(ax, [0, 1], np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="3 points per seed but `x` has 2"):
        plotting.curves_with_band(ax, [0, 1], np.zeros((2, 3)))


def test_layer_histograms_are_densities_on_shared_bins(ax):
    rng = np.random.default_rng(0)
    samples = [rng.normal(0, s, 500) for s in (1.0, 0.5, 0.25)]
    plotting.layer_histograms(ax, samples, bins=20)
    assert len(ax.patches) == 3
    for patch in ax.patches:  # step outline: x steps across the shared edges
        xy = patch.get_xy()
        heights, edges = xy[1:-1:2, 1], np.unique(xy[:, 0])
        assert np.sum(heights * np.diff(edges)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="empty"):
        plotting.layer_histograms(ax, [])


def test_heatmap_annotates_values_and_checks_labels(ax):
    V = np.array([[1.0, 10.0], [100.0, 1000.0]])
    plotting.heatmap(ax, V, ["d=2", "d=4"], ["0.5", "1"], cbar_label="std", log=True)
    assert [t.get_text() for t in ax.texts] == ["1", "10", "1e+02", "1e+03"]
    np.testing.assert_allclose(ax.collections[0].get_array().ravel(), [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"shape \(2, 2\), labels give \(1, 2\)"):
        plotting.heatmap(ax, V, ["d=2"], ["0.5", "1"])
    with pytest.raises(ValueError, match="positive"):
        plotting.heatmap(ax, -V, ["a", "b"], ["c", "d"], log=True)


def test_check_fits_column_names_what_is_too_wide_or_too_small():
    plotting.setup()
    fig, axes = plt.subplots(1, 2)                      # the default size fits
    plotting.check_fits_column(fig, "fig_ok")
    fig.set_size_inches(8.5, 4)
    with pytest.raises(ValueError, match=r"fig_wide is 8\.50 in wide"):
        plotting.check_fits_column(fig, "fig_wide")
    fig.set_size_inches(plotting.MAX_WIDTH, 4)
    axes[0].set_title("tiny", fontsize=7)
    with pytest.raises(ValueError, match=r"'tiny' is 7\.0 pt"):
        plotting.check_fits_column(fig, "fig_small")
    plt.close(fig)
    fig, _ = plt.subplots(1, 3, figsize=(plotting.MAX_WIDTH, 3))
    with pytest.raises(ValueError, match="3 panels side by side"):
        plotting.check_fits_column(fig, "fig_three")
    plt.close(fig)
    fig, _ = plt.subplots(2, 2, figsize=(plotting.MAX_WIDTH, 5))   # stacked: two per row is fine
    plotting.check_fits_column(fig, "fig_grid")
    plt.close(fig)


def test_figure_outside_a_kernel_checks_and_closes():
    plotting.setup()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    plotting.figure("fig_line", fig)
    assert not plt.fignum_exists(fig.number)
    fig, _ = plt.subplots(figsize=(9, 3))
    with pytest.raises(ValueError, match="fig_too_wide"):
        plotting.figure("fig_too_wide", fig)
    plt.close(fig)


def test_integer_ticks(ax):
    ax.plot([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    plotting.integer_ticks(ax, "both")
    ax.figure.canvas.draw()
    assert all(float(t).is_integer() for t in ax.get_xticks())
    with pytest.raises(ValueError, match="'z'"):
        plotting.integer_ticks(ax, "z")


def test_figure_can_save_a_png_for_another_page(tmp_path):
    plotting.setup()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    plotting.figure("fig_saved", fig, save=tmp_path / "figures" / "fig_saved.png")
    assert (tmp_path / "figures" / "fig_saved.png").read_bytes()[:4] == b"\x89PNG"
