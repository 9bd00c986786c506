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
