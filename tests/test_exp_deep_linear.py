"""Chapter 11 experiments: the loss reduction, exact recursions and closed forms behind them."""

import math

import numpy as np
import pytest
from scipy import special

from initlab import losses, network, theory
from initlab.experiments import deep_linear as dl


def test_whitened_inputs_are_centred_and_exactly_white():
    basis = dl.linear_teacher(10, (3.0, 2.0, 1.0), np.random.default_rng(0))["V"]
    X = dl.whitened_inputs(40, basis, np.random.default_rng(1))
    assert X.shape == (40, 10)
    np.testing.assert_allclose(X.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.T @ X / 40, basis @ basis.T, atol=1e-12)
    with pytest.raises(ValueError, match="3"):
        dl.whitened_inputs(3, basis, np.random.default_rng(1))


def test_teacher_has_the_requested_singular_values():
    t = dl.linear_teacher(12, (3.0, 2.0, 1.0), np.random.default_rng(2))
    sv = np.linalg.svd(t["M"], compute_uv=False)
    np.testing.assert_allclose(sv[:3], [3.0, 2.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(sv[3:], 0.0, atol=1e-12)
    np.testing.assert_allclose(dl.mode_strengths(t["M"], t["V"], t["U"]), [3, 2, 1], atol=1e-12)


def test_squared_loss_reduces_to_the_end_to_end_map():
    # whitened inputs spanning V: mean_rows sum_j (x W - x M)^2 / 2 = 1/2 ||V^T (W - M)||_F^2
    rng = np.random.default_rng(3)
    t = dl.linear_teacher(8, (3.0, 2.0, 1.0), rng)
    X = dl.whitened_inputs(30, t["V"], rng)
    W = rng.standard_normal((8, 8))
    loss = losses.mean_squared_error(X @ W, X @ t["M"])[0]
    assert loss == pytest.approx(0.5 * np.sum((t["V"].T @ (W - t["M"])) ** 2), rel=1e-12)


def test_gd_step_follows_the_finite_difference_gradient_and_keeps_biases_zero():
    rng = np.random.default_rng(4)
    t = dl.linear_teacher(6, (2.0, 1.0), rng)
    X = dl.whitened_inputs(20, np.eye(6), rng)
    y = X @ t["M"]
    model = dl.linear_net(3, 6, "lecun_normal", rng)
    before = [W.copy() for W in model.weights]
    lr = 1e-3
    dl.gd_step(model, X, y, lr)
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


def test_one_layer_epochs_to_criterion_match_the_closed_form():
    # one layer: V^T (W_k - M) = (1 - lr)^k V^T (W_0 - M), so L_k = (1 - lr)^(2k) L_0
    rng = np.random.default_rng(5)
    task = dl.sweep_task(0, width=8, n=20)
    model = dl.linear_net(1, 8, "orthogonal", rng)
    lr = 0.1
    L0 = losses.mean_squared_error(task["X"] @ model.weights[0], task["y"])[0]
    out = dl.epochs_to_criterion(model, task["X"], task["y"], lr, task["target"], 500)
    expected = math.ceil(math.log(task["target"] / L0) / (2 * math.log(1 - lr)))
    assert out["reached"] and out["epochs"] == expected
    np.testing.assert_allclose(out["loss"], L0 * (1 - lr) ** (2 * np.arange(expected + 1)),
                               rtol=1e-9)


def test_bad_arguments_name_the_value():
    task = dl.sweep_task(0, width=4, n=10)
    model = dl.linear_net(2, 4, "orthogonal", np.random.default_rng(0))
    with pytest.raises(ValueError, match="-0.5"):
        dl.epochs_to_criterion(model, task["X"], task["y"], -0.5, 0.1, 10)
    with pytest.raises(ValueError, match="depth"):
        dl.linear_net(0, 4, "orthogonal", np.random.default_rng(0))
    with pytest.raises(ValueError, match="diagonal"):
        dl.small_init("diagonal", 4, 4, dl.linear_teacher(4, (1.0,), np.random.default_rng(0)),
                      0.1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="a0"):
        dl.half_time(1.0, 0.6, 10.0)


def test_orthogonal_product_is_an_isometry():
    sv = dl.product_spectrum(40, 10, "orthogonal", np.random.default_rng(6))
    np.testing.assert_allclose(sv, 1.0, atol=1e-12)


def test_lyapunov_exponents_match_simulated_products():
    # growth rates of QR-accumulated products of N(0, 1/N) matrices; per layer the k-th log
    # increment is 1/2 log(chi2_{N-k+1} / N), Var = psi'((N-k+1)/2) / 4; mean over D * reps
    # increments -> SE_k; 4 SE plus 0.02 for the transient of the first layers
    N, D, reps = 8, 40, 30
    rng = np.random.default_rng(7)
    gamma = dl.lyapunov_exponents(N)
    rates = []
    for _ in range(reps):
        Q, logs = np.eye(N), np.zeros(N)
        for _ in range(D):
            Q, R = np.linalg.qr(rng.standard_normal((N, N)) / math.sqrt(N) @ Q)
            logs += np.log(np.abs(np.diag(R)))
        rates.append(np.sort(logs)[::-1] / D)
    se = np.sqrt(special.polygamma(1, (N - np.arange(1, N + 1) + 1) / 2) / 4 / (D * reps))
    assert np.all(np.abs(np.mean(rates, axis=0) - gamma) < 4 * se + 0.02)
    assert gamma[0] == pytest.approx(-1 / (2 * N), abs=0.01)   # E ln(chi2_N / N) ~ -1/N


def test_half_time_is_where_the_analytic_curve_crosses_half():
    for s, a0, tau in ((3.0, 1e-4, 100.0), (1.0, 0.2, 7.0)):
        t = dl.half_time(s, a0, tau)
        assert theory.saxe_mode_strength(t, s, a0, tau) == pytest.approx(s / 2, rel=1e-12)


def test_first_crossing_interpolates_linearly():
    assert dl.first_crossing(np.array([0.0, 1.0, 2.0, 3.0]), 2.5) == pytest.approx(2.5)
    assert dl.first_crossing(np.array([5.0, 6.0]), 1.0) == 0.0
    assert math.isnan(dl.first_crossing(np.array([0.0, 1.0]), 2.0))


def test_aligned_two_layer_modes_follow_the_exact_scalar_recursion():
    # aligned balanced init, exactly white inputs: each mode's per-layer strength c obeys
    # c <- c + lr c (s - c^2), a = c^2, with no interaction (Saxe et al. 2014)
    rng = np.random.default_rng(8)
    t = dl.linear_teacher(6, (3.0, 1.5), rng)
    X = dl.whitened_inputs(30, np.eye(6), rng)
    W1, W2 = dl.small_init("aligned", 6, 5, t, 1e-3, rng)
    np.testing.assert_allclose(dl.effective_a0(W1, W2, t), 1e-3, rtol=1e-12)
    model = network.MLP([6, 5, 6], rng, activation="identity", weight_init="zeros")
    model.weights[0][:], model.weights[1][:] = W1, W2
    lr, c = 0.02, np.sqrt(1e-3) * np.ones(2)
    for _ in range(400):
        dl.gd_step(model, X, X @ t["M"], lr)
        c = c + lr * c * (t["s"] - c**2)
    W = dl.end_to_end(model)
    np.testing.assert_allclose(dl.mode_strengths(W, t["V"], t["U"]), c**2, rtol=1e-8)
    off = t["V"].T @ W @ t["U"]
    assert abs(off[0, 1]) < 1e-10 and abs(off[1, 0]) < 1e-10


def test_staircase_matches_theory_and_depth_sweep_separates_inits():
    st = dl.staircase(0, smoke=True)
    assert np.max(st["aligned"]["rel_err"]) < 0.02      # discretization: lr s / 2 = 1.5%
    assert np.all(np.diff(st["aligned"]["t_half"]) > 0)  # strongest mode first
    sw = dl.depth_sweep(0, smoke=True)
    assert sw["ratio"]["orthogonal"] < 2.0 < 5.0 < sw["ratio"]["lecun_normal"]


def test_forget_time_solves_the_decay_equation():
    assert dl.forget_time(2, 0.1, 0.1) == pytest.approx((1 / 0.1 - 1) / 0.1)   # p = 1
    # integrate du/dt = -c u^(3 - 2/D) with small Euler steps (error O(dt)) from u = 1
    for depth in (3, 16):
        c, dt, u, t = 0.1, 0.01, 1.0, 0.0
        while u > 0.2:
            u -= dt * c * u ** (3 - 2 / depth)
            t += dt
        assert t == pytest.approx(dl.forget_time(depth, 0.2, c), rel=1e-3)
