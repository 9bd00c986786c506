"""Chapter 11 experiments: the loss reduction, exact recursions and closed forms behind them."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest

from initlab import initializers, losses, network, plotting, theory
from initlab.experiments import orthogonal_deep_linear as odl
from initlab.experiments.orthogonal_deep_linear import linear


def test_whitened_inputs_are_centred_and_exactly_white():
    basis = linear.linear_teacher(10, (3.0, 2.0, 1.0), np.random.default_rng(0))["V"]
    X = linear.whitened_inputs(40, basis, np.random.default_rng(1))
    assert X.shape == (40, 10)
    np.testing.assert_allclose(X.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.T @ X / 40, basis @ basis.T, atol=1e-12)
    with pytest.raises(ValueError, match="3"):
        linear.whitened_inputs(3, basis, np.random.default_rng(1))


def test_teacher_has_the_requested_singular_values():
    t = linear.linear_teacher(12, (3.0, 2.0, 1.0), np.random.default_rng(2))
    sv = np.linalg.svd(t["M"], compute_uv=False)
    np.testing.assert_allclose(sv[:3], [3.0, 2.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(sv[3:], 0.0, atol=1e-12)
    np.testing.assert_allclose(linear.mode_strengths(t["M"], t["V"], t["U"]), [3, 2, 1],
                               atol=1e-12)


def test_squared_loss_reduces_to_the_end_to_end_map():
    # whitened inputs spanning V: mean_rows sum_j (x W - x M)^2 / 2 = 1/2 ||V^T (W - M)||_F^2
    rng = np.random.default_rng(3)
    t = linear.linear_teacher(8, (3.0, 2.0, 1.0), rng)
    X = linear.whitened_inputs(30, t["V"], rng)
    W = rng.standard_normal((8, 8))
    loss = losses.mean_squared_error(X @ W, X @ t["M"])[0]
    assert loss == pytest.approx(0.5 * np.sum((t["V"].T @ (W - t["M"])) ** 2), rel=1e-12)


def test_gd_step_follows_the_finite_difference_gradient_and_keeps_biases_zero():
    rng = np.random.default_rng(4)
    t = linear.linear_teacher(6, (2.0, 1.0), rng)
    X = linear.whitened_inputs(20, np.eye(6), rng)
    y = X @ t["M"]
    model = linear.linear_net(3, 6, "lecun_normal", rng)
    before = [W.copy() for W in model.weights]
    lr = 1e-3
    linear.gd_step(model, X, y, lr)
    for l, i, j in ((0, 1, 2), (1, 0, 5), (2, 4, 3)):
        step_grad = (before[l][i, j] - model.weights[l][i, j]) / lr
        h, fd = 1e-6, []
        for sign in (1, -1):
            Ws = [W.copy() for W in before]
            Ws[l][i, j] += sign * h
            fd.append(losses.mean_squared_error(X @ np.linalg.multi_dot(Ws), y)[0])
        # central difference: error O(h^2) ~ 1e-12, rounding ~ 1e-16 / h = 1e-10
        assert step_grad == pytest.approx((fd[0] - fd[1]) / (2 * h), abs=1e-7)
    assert all(np.all(b == 0.0) for b in model.biases)


def _one_layer_task():
    return linear.sweep_task((3.0, 2.0, 1.0), width=8, n_examples=20, criterion=0.01, seed=0)


def test_one_layer_epochs_to_criterion_match_the_closed_form():
    # one layer: V^T (W_k - M) = (1 - lr)^k V^T (W_0 - M), so L_k = (1 - lr)^(2k) L_0
    task = _one_layer_task()
    model = linear.linear_net(1, 8, "orthogonal", np.random.default_rng(5))
    lr = 0.1
    L0 = losses.mean_squared_error(task["X"] @ model.weights[0], task["y"])[0]
    out = linear.train_to_criterion(model, task["X"], task["y"], lr, task["target"], 500)
    expected = math.ceil(math.log(task["target"] / L0) / (2 * math.log(1 - lr)))
    assert out["epochs"] == expected and not out["diverged"]
    np.testing.assert_allclose(out["loss"], L0 * (1 - lr) ** (2 * np.arange(expected + 1)),
                               rtol=1e-9)


def test_censored_and_diverged_runs_are_inf():
    # the book's censoring rule: a run that does not get there has time inf, never the cap
    task = _one_layer_task()
    model = linear.linear_net(1, 8, "orthogonal", np.random.default_rng(5))
    out = linear.train_to_criterion(model, task["X"], task["y"], 0.1, task["target"], 3)
    assert out["epochs"] == math.inf and len(out["loss"]) == 4 and not out["diverged"]
    # lr = 3: one layer multiplies the error by (1 - lr) = -2 per step, so the loss grows
    # 4x per step and overflows to inf after ~500 steps
    model = linear.linear_net(1, 8, "orthogonal", np.random.default_rng(5))
    with np.errstate(over="ignore"):
        out = linear.train_to_criterion(model, task["X"], task["y"], 3.0, task["target"], 2000)
    assert out["diverged"] and out["epochs"] == math.inf
    assert np.all(np.isfinite(out["loss"])) and np.all(np.diff(out["loss"]) > 0)


def test_bad_arguments_name_the_value():
    task = linear.sweep_task((1.0,), width=4, n_examples=10, criterion=0.01, seed=0)
    model = linear.linear_net(2, 4, "orthogonal", np.random.default_rng(0))
    with pytest.raises(ValueError, match="-0.5"):
        linear.train_to_criterion(model, task["X"], task["y"], -0.5, 0.1, 10)
    with pytest.raises(ValueError, match="depth"):
        linear.linear_net(0, 4, "orthogonal", np.random.default_rng(0))
    with pytest.raises(ValueError, match="diagonal"):
        linear.small_init("diagonal", 4, 4, linear.linear_teacher(
            4, (1.0,), np.random.default_rng(0)), 0.1, np.random.default_rng(0))


def test_orthogonal_product_is_an_isometry():
    sv = linear.product_spectrum(40, 10, "orthogonal", np.random.default_rng(6))
    np.testing.assert_allclose(sv, 1.0, atol=1e-12)


def test_first_crossing_interpolates_linearly():
    assert linear.first_crossing(np.array([0.0, 1.0, 2.0, 3.0]), 2.5) == pytest.approx(2.5)
    assert linear.first_crossing(np.array([5.0, 6.0]), 1.0) == 0.0
    assert linear.first_crossing(np.array([0.0, 1.0]), 2.0) == math.inf   # censored


def test_aligned_two_layer_modes_follow_the_exact_scalar_recursion():
    # aligned balanced init, exactly white inputs: each mode's per-layer strength c obeys
    # c <- c + lr c (s - c^2), a = c^2, with no interaction (Saxe et al. 2014)
    rng = np.random.default_rng(8)
    t = linear.linear_teacher(6, (3.0, 1.5), rng)
    X = linear.whitened_inputs(30, np.eye(6), rng)
    W1, W2 = linear.small_init("aligned", 6, 5, t, 1e-3, rng)
    np.testing.assert_allclose(linear.effective_a0(W1, W2, t), 1e-3, rtol=1e-12)
    model = network.MLP([6, 5, 6], rng, activation="identity", weight_init="zeros")
    model.weights[0][:], model.weights[1][:] = W1, W2
    lr, c = 0.02, np.sqrt(1e-3) * np.ones(2)
    for _ in range(400):
        linear.gd_step(model, X, X @ t["M"], lr)
        c = c + lr * c * (t["s"] - c**2)
    W = linear.end_to_end(model)
    np.testing.assert_allclose(linear.mode_strengths(W, t["V"], t["U"]), c**2, rtol=1e-8)
    off = t["V"].T @ W @ t["U"]
    assert abs(off[0, 1]) < 1e-10 and abs(off[1, 0]) < 1e-10


def test_end_to_end_spectra_follow_the_lyapunov_exponents():
    spec = odl.end_to_end_spectra(width=16, depths=(4, 32), seed=0)
    assert spec["spread_decades_orth"] < 1e-12          # orthogonal product: exactly isometric
    # D = 32: the claim of the reference file, [0.7, 1.6] (> 3 sd over 40 nets, see its why)
    assert 0.7 < spec["spread_mid_ratio"] < 1.6
    assert spec["spread_decades_gauss"] > 10.0
    ax = odl.plot_spectra(spec).axes[0]
    plotting.check_fits_column(ax.figure, "plot_spectra")
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert "singular values" in ax.get_ylabel()
    plt.close("all")


def test_staircase_matches_theory():
    st = odl.staircase(width=8, hidden=16, n_examples=64, lr=0.01, a0=1e-8, steps=1300, seed=0)
    assert st["stair_err_aligned"] < 0.02    # discretization: lr s / 2 = 1.5% (reference why)
    assert st["stair_in_order"]              # strongest mode first
    assert st["stair_final_err"] < 0.005
    fig = odl.plot_staircase(st)
    plotting.check_fits_column(fig, "plot_staircase")
    assert [t.get_text() for t in fig.axes[0].texts] == [
        f"mode {i}, $s_{i}$ = {s:g}" for i, s in enumerate(st["s"], start=1)]
    assert all(float(x).is_integer() for x in fig.axes[1].get_xticks())
    assert [ax.get_xlabel() for ax in fig.axes] == ["gradient-descent step $t$"] * 2
    assert len(fig.axes[0].lines) == 3 * 3            # per mode: aligned, random, theory
    plt.close(fig)


def test_depth_sweep_separates_the_inits_and_records_the_censored_runs():
    kw = {"width": 16, "n_examples": 48, "lr_times_depth": 0.1, "criterion": 0.01, "seed": 0}
    sw = odl.depth_sweep(depths=(2, 32), n_seeds=3, max_epochs=3000, **kw)
    assert sw["ratio_orth"] < 2.0 < 5.0 < sw["ratio_gauss"]
    assert sw["not_reached_orth"] == 0
    fig = odl.plot_depth_sweep(sw)
    plotting.check_fits_column(fig, "plot_depth_sweep")
    assert fig.axes[0].get_yscale() == "log" and fig.axes[1].get_yscale() == "log"
    plt.close(fig)
    # a cap of 100 steps censors the deep Gaussian runs: inf, counted, drawn at the cap
    short = odl.depth_sweep(depths=(2, 32), n_seeds=3, max_epochs=100, **kw)
    assert short["not_reached_gauss"] == int(np.isinf(short["epochs"]["lecun_normal"]).sum()) > 0
    assert np.all(short["epochs"]["lecun_normal"][np.isfinite(short["epochs"]["lecun_normal"])]
                  <= 100)
    fig = odl.plot_depth_sweep(short)
    assert any("not reached in 100 epochs" in t.get_text()
               for t in fig.axes[0].get_legend().get_texts())
    plt.close(fig)


def test_forgetting_follows_the_power_law():
    fg = odl.forgetting(width=16, n_examples=48, depths=(2, 8), n_seeds=2, max_epochs=5000,
                        lr_times_depth=0.1, criterion=0.01, seed=0)
    assert fg["forget_not_reached"] == 0
    assert fg["forget_max_rel_err"] < 0.1           # the reference claim and its why
    ax = odl.plot_forgetting(fg).axes[0]
    plotting.check_fits_column(ax.figure, "plot_forgetting")
    assert ax.get_xscale() == "log" and len(ax.lines) == 2    # median and theory
    plt.close("all")
    # predicted forgetting times are >= 80 epochs: a cap of 50 censors every run
    with np.errstate(invalid="ignore"):                     # ratio of two censored medians
        short = odl.forgetting(width=16, n_examples=48, depths=(2, 8), n_seeds=2,
                               max_epochs=50, lr_times_depth=0.1, criterion=0.01, seed=0)
    assert short["forget_not_reached"] == 4 and np.all(np.isinf(short["epochs"]))
    ax = odl.plot_forgetting(short).axes[0]
    assert any("not reached in 50 epochs" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close("all")


def test_truncated_lecun_normal_keeps_newmans_exponent_gaps_and_shifts_them_up():
    """The chapter's claim about ``lecun_normal`` (a normal truncated at 2 sd, rescaled): the
    gaps between Lyapunov exponents of 16 x 16 products agree with Newman's Gaussian formula,
    while every exponent is larger (lighter tails: ``ln |x W|`` fluctuates less). Exponents by
    the QR method; standard errors from 20 block means of the per-layer increments."""
    n, n_blocks, block = 16, 20, 400
    rng = np.random.default_rng(11)
    Q = np.eye(n)
    logs = np.empty((n_blocks * block, n))
    for t in range(n_blocks * block):
        Q, R = np.linalg.qr(Q @ initializers.get("lecun_normal")((n, n), rng))
        logs[t] = np.log(np.abs(np.diag(R)))        # k-th entry: k-th exponent
    means = logs.reshape(n_blocks, block, n).mean(axis=1)      # (n_blocks, n) block means
    gamma = theory.lyapunov_exponents(n)
    gap = means[:, 0] - means[:, 7]
    se_gap = gap.std(ddof=1) / math.sqrt(n_blocks)
    assert abs(gap.mean() - (gamma[0] - gamma[7])) < 4 * se_gap
    shift = means[:, 0] - gamma[0]
    se_shift = shift.std(ddof=1) / math.sqrt(n_blocks)
    assert shift.mean() > 3 * se_shift                        # measured ~0.009 per layer
    assert abs(shift.mean() - 0.009) < 4 * se_shift


def test_exercise_spectrum_gap_grows_at_newmans_rate_orthogonal_stays_flat() -> None:
    # the finite-depth prefactor cancels in the difference of two depths: the per-layer growth
    # of the mean gap matches (gamma_1 - gamma_8) / ln 10 within the seed scatter (~10%)
    shallow, deep = (odl.exercise_spectrum(depth=d, width=16, seed=0, n_nets=40)
                     for d in (12, 36))
    gamma = theory.lyapunov_exponents(16)
    rate = (deep["ex_spec_mid_gauss"] - shallow["ex_spec_mid_gauss"]) / 24
    assert rate == pytest.approx((gamma[0] - gamma[7]) / math.log(10), rel=0.15)
    assert deep["ex_spec_mid_theory"] == pytest.approx(3 * shallow["ex_spec_mid_theory"])
    assert deep["ex_spec_orth_max"] < 1e-13


def test_exercise_plateau_half_times_follow_log_of_a0() -> None:
    out = odl.exercise_plateau(a0=1e-6, width=8, hidden=16, n_examples=64, lr=0.01, seed=0)
    assert out["ex_plateau_theory_3"] == pytest.approx(50 * math.log(1e6 - 1))
    assert out["ex_plateau_t_half_1"] == pytest.approx(out["ex_plateau_theory_1"], rel=0.03)
    assert out["ex_plateau_t_half_3"] == pytest.approx(out["ex_plateau_theory_3"], rel=0.03)
    with pytest.raises(ValueError, match="0.7"):
        odl.exercise_plateau(a0=0.7, width=8, hidden=16, n_examples=64, lr=0.01, seed=0)
