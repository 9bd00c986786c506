"""Tests of initlab.experiments.clipping (chapter 7) against independent references.

References: central finite differences of the one-unit recurrent net's loss (for the BPTT
gradient), a direct scalar loop for its states, closed-form properties of clipping (norm
clipping is a positive rescaling, value clipping tends to ``c sign(g)``), and the step-length
bound ``|step| <= lr * c`` of clipped gradient descent.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # tests only: figures are never shown here

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from initlab import optim  # noqa: E402
from initlab.experiments import clipping  # noqa: E402

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
    right = land["w"] > land["w_star"] + 0.05
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


def test_cliff_experiment_headline() -> None:
    cliff = clipping.cliff_experiment(smoke=True, thresholds=[0.03, 100.0])
    none, clipped = cliff["showcase"]["none"], cliff["showcase"]["clipped"]
    assert none["far"][0] and none["n_throws"][0] >= 1 and none["max_grad"][0] > 100
    assert clipped["converged"][0] and clipped["max_step"][0] <= 0.06 + 1e-12
    per = cliff["per"]
    assert per[cliff["clip"]]["converged"].mean() >= 0.9
    assert per[None]["converged"].mean() <= 0.5
    # c = 0.03: 200 steps of <= 0.006 reach only starts within 1.2 of w*
    assert per[0.03]["converged"].mean() <= 0.25
    np.testing.assert_array_equal(cliff["thresholds"], [0.03, 0.3, 100.0])


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
    cos = clipping.clip_cosines(0, [1e-4, 0.1, 100.0])
    np.testing.assert_allclose(cos["cos_norm"], 1.0, atol=1e-12)
    assert cos["cos_value"][1] < 0.9                     # most entries clamped at c = 0.1
    assert cos["cos_value"][0] == pytest.approx(cos["cos_value_limit"], abs=0.02)
    assert cos["max_abs_entry"] < 100 and cos["cos_value"][2] == pytest.approx(1.0, abs=1e-12)
    assert cos["grad_norm"] > 50                         # He x 3: gradients start large


def test_mlp_run_diverges_unclipped_and_not_clipped() -> None:
    base = {"seed": 3, "data_seed": 0, "epochs": 1, "clip_value": None}
    none = clipping._mlp_run({**base, "clip_norm": None})
    clipped = clipping._mlp_run({**base, "clip_norm": 10.0})
    assert none["diverged"] and none["diverged_at"] < 43 and none["test_acc"] is None
    assert not clipped["diverged"] and clipped["test_acc"] > 0.5 and clipped["clip_frac"] > 0.5
    again = clipping._mlp_run({**base, "clip_norm": 10.0})
    assert again["test_acc"] == clipped["test_acc"]
    s = clipping.summarize_kind([none, clipped])
    assert s["frac_diverged"] == 0.5 and s["test_acc"] == clipped["test_acc"]


def test_plots_return_figures() -> None:
    cliff = clipping.cliff_experiment(smoke=True, thresholds=[1.0])
    run = {"diverged": False, "diverged_at": None, "test_acc": 0.5, "max_grad_norm": 1.0,
           "clip_frac": 0.5, "epoch_loss": np.ones(2), "steps_done": 1}
    bad = {**run, "diverged": True, "diverged_at": 3, "test_acc": None}
    sw = {"grid": {"norm": np.array([1.0, 10.0]), "value": np.array([0.1])}, "epochs": 1,
          "n_seeds": 1, "scale": 3.0, "lr": 0.2,
          "runs": {("none", None): [bad], ("norm", 1.0): [run], ("norm", 10.0): [bad],
                   ("value", 0.1): [run]}}
    figs = [clipping.plot_landscape(cliff["landscape"], clip=0.3), clipping.plot_descent(cliff),
            clipping.plot_mlp_sweep(sw, clipping.clip_cosines(0, [0.1, 1.0]))]
    for fig in figs:
        assert isinstance(fig, matplotlib.figure.Figure)
        plt.close(fig)
