"""Tests of initlab.experiments.gradient_clipping (chapter 7) against independent references.

References: central finite differences of the one-unit recurrent net's loss (for the BPTT
gradient), a direct scalar loop for its states, closed-form properties of clipping (norm
clipping is a positive rescaling, value clipping tends to ``c sign(g)``), and the step-length
bound ``|step| <= lr * c`` of clipped gradient descent.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from initlab import optim, plotting, sweep, train
from initlab.experiments import gradient_clipping as clipping

P = clipping.RNN


def _loss(w: float, sigma: str = "sigmoid", b: float = P["b"]) -> float:
    """Loss of the recurrent unit by a plain scalar loop (independent of rnn_states)."""
    f = (lambda u: 1.0 / (1.0 + math.exp(-u))) if sigma == "sigmoid" else math.tanh
    x = P["x0"]
    for _ in range(P["T"]):
        x = w * f(x) + b
    return (x - P["target"]) ** 2


@pytest.mark.parametrize("sigma", ["sigmoid", "tanh"])
def test_bptt_matches_finite_differences(sigma: str) -> None:
    w = np.array([0.5, 2.0, 4.0, 5.0, 5.62, 5.7, 8.0, 10.0])
    b = P["b"] if sigma == "sigmoid" else 0.3
    loss, g_w, g_b = clipping.rnn_loss_grad(w, b, P["x0"], P["T"], P["target"], sigma)
    h = 1e-6
    for i, wi in enumerate(w):
        assert loss[i] == pytest.approx(_loss(wi, sigma, b), rel=1e-12, abs=1e-14)
        # central difference: truncation O(h^2 L''') ~ 1e-12 |L'''|, rounding O(eps L / h);
        # on the wall |L'''| is large, so the tolerance is relative to max(|g|, 1)
        fd_w = (_loss(wi + h, sigma, b) - _loss(wi - h, sigma, b)) / (2 * h)
        fd_b = (_loss(wi, sigma, b + h) - _loss(wi, sigma, b - h)) / (2 * h)
        assert g_w[i] == pytest.approx(fd_w, abs=1e-5 * max(abs(fd_w), 1.0))
        assert g_b[i] == pytest.approx(fd_b, abs=1e-5 * max(abs(fd_b), 1.0))
    assert clipping.bptt_fd_error(w) < 1e-6


def test_bptt_gradient_is_wrong_if_a_factor_is_dropped() -> None:
    # guards the test above: a gradient without the chain through time (only the last
    # step's dx_T/dw = sigma(x_{T-1})) must fail the same comparison on the slope
    w = 8.0
    xs = clipping.rnn_states(np.array(w), P["b"], P["x0"], P["T"])
    naive = 2 * (xs[-1] - P["target"]) / (1 + np.exp(-xs[-2]))
    fd = (_loss(w + 1e-6) - _loss(w - 1e-6)) / 2e-6
    assert abs(float(naive) - fd) > 1e-3 * abs(fd)


def test_landscape_has_a_cliff_next_to_the_minimum() -> None:
    land = clipping.loss_landscape()
    assert land["loss_star"] < 1e-3
    assert 0 < land["gap"] < 0.1                      # minimum just right of the cliff
    assert land["grad_peak"] > 100 * land["abs_grad"][land["w"] > 6].max()
    assert land["loss_low"] > 16                     # low branch: x_T < -2
    # Right of the minimum x_T sits at the upper fixed point x* = w sigma(x*) + b (T = 20 steps
    # converge like (w sigma'(x*))^T, 0.0037^20 at w = 11), so in closed form
    # dL/dw = 2 (x* - y) dx*/dw with dx*/dw = sigma(x*) / (1 - w sigma'(x*)) (implicit
    # function theorem). It grows with w: the largest slope gradient is at the grid's end,
    # w = 11, where x* = 7.996 and |dL/dw| = 2 * 5.996 * 1.0034 = 12.03 < 15. The grid value
    # must match the closed form to the fixed point's convergence error (<< 1e-6 relative).
    right = land["w"] > land["w_star"] + 0.05
    x = 5.0
    for _ in range(200):
        x = 11.0 / (1.0 + math.exp(-x)) + P["b"]
    s = 1.0 / (1.0 + math.exp(-x))
    closed_form = 2 * (x - P["target"]) * s / (1 - 11.0 * s * (1 - s))
    assert land["abs_grad"][right].max() == pytest.approx(closed_form, rel=1e-6)
    assert land["abs_grad"][right].max() < 15


def test_clipped_descent_bounds_every_step() -> None:
    w0 = np.linspace(6.0, 11.0, 11)
    lr, c = 0.2, 0.3
    run = clipping.descend(w0, lr, 60, clip=c)
    steps = np.abs(np.diff(run["w"], axis=0))
    assert steps.max() <= lr * c * (1 + 1e-12)
    # unclipped steps are exactly lr * |g|
    free = clipping.descend(w0, lr, 3)
    np.testing.assert_allclose(np.abs(np.diff(free["w"], axis=0)),
                               lr * free["abs_grad"][:-1], rtol=1e-12)
    assert run["clipped"][:-1].mean() > 0.5 and not run["diverged"].any()


def test_descend_flags_overflow_without_warnings() -> None:
    # a huge learning rate on the tanh unit sends w to inf: flagged, frozen, no warning
    with np.errstate(all="raise"):
        run = clipping.descend([3.0], 1e300, 5, sigma="tanh", b=0.0, target=50.0)
    assert run["diverged"][0]


def test_cliff_descent_headline() -> None:
    # thresholds: logspace(-1.5, 2, 2) = [0.0316, 100] plus the showcase clip 0.3
    cliff = clipping.cliff_descent(lr=0.2, steps=200, clip=0.3, w0=9.25, n_starts=19,
                                   n_thresholds=2)
    none, clipped = cliff["showcase"]["none"], cliff["showcase"]["clipped"]
    assert none["far"][0] and none["n_throws"][0] >= 1 and none["max_grad"][0] > 100
    assert clipped["converged"][0] and clipped["max_step"][0] <= 0.06 + 1e-12
    assert cliff["rnn_none_failed"] and not cliff["rnn_clipped_far"]
    assert cliff["rnn_clipped_max_step"] == clipped["max_step"][0]
    per = cliff["per"]
    assert per[0.3]["converged"].mean() == cliff["rnn_frac_conv_clipped"] >= 0.9
    assert per[None]["converged"].mean() == cliff["rnn_frac_conv_none"] <= 0.5
    # c = 10^-1.5: 200 steps of <= 0.2 * 0.0316 = 0.0063 cover 1.26 in w, so only starts
    # within 1.26 of w* = 5.68 (w0 <= 6.94: 4 of the 19 grid points in [6, 11]) can converge
    assert cliff["rnn_frac_conv_smallest_c"] <= 4 / 19
    np.testing.assert_allclose(cliff["thresholds"], [10**-1.5, 0.3, 100.0])
    assert cliff["rnn_n_starts"] == 19 and cliff["rnn_safe_c_min"] == 0.3


def test_clip_cosines_norm_keeps_direction_value_turns_it() -> None:
    rng = np.random.default_rng(4)
    g = [rng.standard_normal((5, 3)) * 10, rng.standard_normal(3)]
    clipped, norm = optim.clip_by_global_norm(g, 1.0)
    assert clipping.cosine(clipped, g) == pytest.approx(1.0, abs=1e-14)
    assert norm == pytest.approx(math.sqrt(sum(float((x**2).sum()) for x in g)))
    flat = np.concatenate([x.ravel() for x in g])
    limit = np.abs(flat).sum() / (math.sqrt(flat.size) * np.linalg.norm(flat))
    tiny = min(float(np.abs(flat).min()), 1.0) / 2      # below every entry: c sign(g) exactly
    assert clipping.cosine(optim.clip_by_value(g, tiny), g) == pytest.approx(limit, rel=1e-12)
    assert clipping.cosine(optim.clip_by_value(g, 1e3), g) == pytest.approx(1.0, abs=1e-14)


def test_clip_cosines_on_the_large_init_mlp() -> None:
    # thresholds logspace(-4, 2, 3) = [1e-4, 0.1, 100]
    cos = clipping.clip_cosines(seed=0, sizes=LARGE["sizes"], weight_scale=3.0, lr=0.2,
                                clip_value=0.1, n_thresholds=3)
    np.testing.assert_allclose(cos["thresholds"], [1e-4, 0.1, 100.0])
    np.testing.assert_allclose(cos["cos_norm"], 1.0, atol=1e-12)
    assert cos["cos_value_headline"] == cos["cos_value"][1] < 0.9   # most entries clamped
    # c = 1e-4: every entry above c becomes c sign(g_i), the sign-vector limit; the few below
    # c keep their value, so the gap is at most their share of the n entries (~2 %)
    assert cos["cos_value_limit_gap"] <= 0.02
    assert cos["cos_max_abs_entry"] < 100 and cos["cos_value_largest_c"] == pytest.approx(1.0)
    assert cos["cos_grad_norm_init"] > 50                 # He x 3: gradients start large
    assert cos["cos_step_over_params"] == pytest.approx(
        0.2 * cos["cos_grad_norm_init"] / cos["cos_param_norm_init"], rel=1e-15)


LARGE = {"sizes": (64, 128, 128, 128, 10), "data_seed": 0, "epochs": 1, "batch_size": 32,
         "lr": 0.2, "weight_init": clipping.large_init(3.0)}


def test_large_init_mlp_diverges_unclipped_and_not_clipped() -> None:
    none = clipping.outcome(train.run(seed=3, **LARGE))
    clipped = clipping.outcome(train.run(seed=3, clip_norm=10.0, **LARGE))
    # one epoch of 1347 training digits in batches of 32 is 43 steps
    assert none["diverged"] and none["diverged_at"] < 43 and none["test_acc"] is None
    # 450 test digits: a net that has learned nothing scores about chance 0.1, with binomial
    # SE sqrt(0.1 * 0.9 / 450) = 0.014; 0.5 is 28 SE above it, so passing is not luck
    assert not clipped["diverged"] and clipped["test_acc"] > 0.5
    # not a statistic: the first gradient has norm ~200 = 20 c, and steps of length lr c = 2
    # leave most of this epoch's 43 steps above the threshold
    assert clipped["clip_frac"] > 0.5
    again = clipping.outcome(train.run(seed=3, clip_norm=10.0, **LARGE))
    assert again["test_acc"] == clipped["test_acc"]
    s = clipping.summarize_kind([none, clipped])
    assert s["frac_diverged"] == 0.5 and s["test_acc"] == clipped["test_acc"]


def test_mlp_sweep_pairs_each_run_with_its_setting() -> None:
    sw = clipping.mlp_sweep(seed=0, sizes=(64, 16, 10), weight_scale=3.0, lr=0.2,
                            batch_size=64, epochs=1, n_seeds=2, per_decade=1, clip_norm=10.0,
                            clip_value=0.1, norm_decades=(0, 1), value_decades=(-1, 0))
    assert set(sw["runs"]) == {("none", None), ("norm", 1.0), ("norm", 10.0), ("value", 0.1),
                               ("value", 1.0)}
    seeds = [int(s) for s in sweep.seeds(0, 2)]
    for (kind, c), runs in sw["runs"].items():
        for s, got in zip(seeds, runs, strict=True):   # rerun one configuration directly
            run = train.run((64, 16, 10), seed=s, data_seed=0, epochs=1, batch_size=64,
                            lr=0.2, weight_init=clipping.large_init(3.0),
                            clip_norm=c if kind == "norm" else None,
                            clip_value=c if kind == "value" else None)
            assert clipping.outcome(run) == got
    assert sw["mlp_n_seeds"] == 2 and sw["mlp_epochs"] == 1
    norm = clipping.summarize_kind(sw["runs"][("norm", 10.0)])
    assert sw["mlp_norm_test_acc"] == norm["test_acc"]
    assert sw["mlp_norm_best_c"] in (1.0, 10.0)


def test_figures_show_what_the_captions_say() -> None:
    plotting.setup()
    cliff = clipping.cliff_descent(lr=0.2, steps=50, clip=0.3, w0=9.25, n_starts=5,
                                   n_thresholds=1)
    run = {"diverged": False, "diverged_at": None, "test_acc": 0.5, "max_grad_norm": 1.0,
           "clip_frac": 0.5}
    bad = {**run, "diverged": True, "diverged_at": 3, "test_acc": None}
    sw = {"grid": {"norm": np.array([1.0, 10.0]), "value": np.array([0.1])},
          "settings": {"weight_scale": 3.0, "lr": 0.2, "epochs": 1, "n_seeds": 1},
          "runs": {("none", None): [bad], ("norm", 1.0): [run], ("norm", 10.0): [bad],
                   ("value", 0.1): [run]}}
    cos = clipping.clip_cosines(seed=0, sizes=(64, 16, 10), weight_scale=3.0, lr=0.2,
                                clip_value=0.1, n_thresholds=2)
    land = clipping.plot_landscape(cliff["landscape"], clip=0.3)
    loss_ax, grad_ax = land.axes[:2]
    assert loss_ax.get_yscale() == grad_ax.get_yscale() == "log"
    assert grad_ax.get_xlabel() == "recurrent weight w"
    descent = clipping.plot_descent(cliff)
    assert len(descent.axes) == 2
    assert len(descent.axes[0].get_lines()) == 3            # unclipped, clipped, w*
    thresholds = clipping.plot_thresholds(cliff)
    assert thresholds.axes[0].get_xscale() == "log"
    assert len(thresholds.axes[0].get_lines()) == 5   # 2 clipped curves, 2 unclipped, the gap
    sweep_fig = clipping.plot_mlp_sweep(sw)
    norm_ax, value_ax = sweep_fig.axes
    assert [ax.get_xscale() for ax in sweep_fig.axes] == ["log", "log"]
    assert norm_ax.get_ylabel() == value_ax.get_ylabel() == "final test accuracy"
    # one kind of threshold per axis: norm thresholds on the top, value thresholds below
    assert norm_ax.get_xlabel().startswith("global-norm") and value_ax.get_xlabel().startswith(
        "per-entry")
    assert set(norm_ax.get_lines()[0].get_xdata()) <= set(sw["grid"]["norm"])
    assert set(value_ax.get_lines()[0].get_xdata()) <= set(sw["grid"]["value"])
    direction = clipping.plot_direction(cos)
    assert direction.axes[0].get_xlabel().startswith("global-norm")
    assert direction.axes[1].get_xlabel().startswith("per-entry")
    figures = (land, descent, thresholds, sweep_fig, direction)
    for fig in figures:
        plotting.check_fits_column(fig)
    for fig in figures:
        plt.close(fig)


def test_exercise_lr_step_cap_below_the_gap_converges_from_every_start():
    """``lr * clip`` below the gap: no clipped step from the valley reaches the wall, and 200
    steps of at most 0.03 cover the 5.3 from the farthest start to the minimum."""
    out = clipping.exercise_lr(lr=0.1, clip=0.3, steps=200, n_starts=11)
    assert out["ex_lr_step_cap"] == pytest.approx(0.03)
    assert out["ex_lr_step_cap"] < out["ex_lr_gap"]
    assert out["ex_lr_c_bound"] == pytest.approx(out["ex_lr_gap"] / 0.1)
    assert out["ex_lr_frac_conv_clipped"] == 1.0


def test_exercise_weight_scale_he_init_trains_where_three_times_he_explodes():
    kw = {"seed": 0, "sizes": (64, 32, 32, 32, 10), "lr": 0.2, "batch_size": 32, "epochs": 1}
    he, big = (clipping.exercise_weight_scale(weight_scale=s, **kw) for s in (1.0, 3.0))
    assert not he["ex_scale_diverged"] and he["ex_scale_test_acc"] > 0.5
    assert he["ex_scale_step_over_params"] < big["ex_scale_step_over_params"]
    assert he["ex_scale_grad_norm"] < big["ex_scale_grad_norm"]
