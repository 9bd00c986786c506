"""Tests of initlab.theory against independent references.

References used: closed forms (ReLU moments, Williams' erf kernel, the arc-cosine kernel),
seeded Monte Carlo with 5-standard-error tolerances computed from the sample, finite
differences of the maps (for the slopes chi_q, chi_c), brute-force iteration of the maps,
and seeded plain-numpy simulations of deep nets written here (not initlab.network).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import erf

from initlab import theory as th

# ---------------------------------------------------------------- variance propagation


def test_moment_factors_closed_forms() -> None:
    assert th.activation_second_moment_factor("linear") == 1.0
    assert th.activation_second_moment_factor("identity") == 1.0
    assert th.activation_second_moment_factor("relu") == 0.5
    assert th.activation_second_moment_factor("leaky_relu", alpha=0.2) == pytest.approx(0.52)
    assert th.activation_derivative_moment_factor("leaky_relu", alpha=0.2) == pytest.approx(0.52)
    assert th.activation_derivative_moment_factor("relu") == 0.5


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "erf"])
def test_moment_factor_points_to_mean_field(name: str) -> None:
    with pytest.raises(ValueError, match=rf"'{name}'.*length_map"):
        th.activation_second_moment_factor(name)


def test_predicted_variance_constant_at_he_and_lecun() -> None:
    fan_in = 300
    relu = th.predicted_variance(12, fan_in, 2.0 / fan_in, "relu", input_var=1.7)
    # layer 1 sees the raw input: q_1 = fan_in * (2 / fan_in) * 1.7; then fan_in*2/fan_in*1/2 = 1
    np.testing.assert_allclose(relu, np.full(12, 2.0 * 1.7), rtol=1e-14)
    linear = th.predicted_variance(12, fan_in, 1.0 / fan_in, "linear", input_var=0.3)
    np.testing.assert_allclose(linear, np.full(12, 0.3), rtol=1e-14)
    assert relu.dtype == np.float64 and relu.shape == (12,)


def test_predicted_variance_geometric_and_per_layer() -> None:
    # constant layers: q_l = input_var * (n s2) * (n s2 c)^(l-1), c = (1 + alpha^2) / 2
    n, s2, alpha, input_var = 64, 3.0 / 64, 0.1, 2.0
    c = (1 + alpha**2) / 2
    layers = np.arange(1, 9)
    expected = input_var * (n * s2) * (n * s2 * c) ** (layers - 1)
    got = th.predicted_variance(8, n, s2, "leaky_relu", input_var=input_var, alpha=alpha)
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    # per-layer fans and variances, checked against an explicit loop
    fans, variances = [10, 20, 5, 40], [0.3, 0.01, 0.5, 0.02]
    q, expected = 1.5, []
    for i, (f, v) in enumerate(zip(fans, variances, strict=True)):
        q = f * v * q * (1.0 if i == 0 else 0.5)
        expected.append(q)
    got = th.predicted_variance(4, fans, variances, "relu", input_var=1.5)
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_predicted_gradient_variance() -> None:
    n = 100
    np.testing.assert_allclose(th.predicted_gradient_variance(7, n, 2.0 / n, "relu"), 1.0)
    # (fan_out s2 d)^(L - l) below the top, top entry = top_grad_var
    got = th.predicted_gradient_variance(5, n, 1.3 / n, "linear", top_grad_var=2.0)
    np.testing.assert_allclose(got, 2.0 * 1.3 ** np.arange(4, -1, -1), rtol=1e-14)
    assert th.backward_factor(n, 1.3 / n, "relu") == pytest.approx(0.65)
    # per-layer: W_1's entries are unused, each W_l (l >= 2) multiplies layers below it
    got = th.predicted_gradient_variance(3, [7, 10, 20], [9.0, 0.1, 0.2], "relu")
    np.testing.assert_allclose(got, [(10 * 0.1 / 2) * (20 * 0.2 / 2), 20 * 0.2 / 2, 1.0])


def _forward_backward(activation: str, weight_var: float, width: int, batch: int,
                      n_layers: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Plain-numpy zero-bias MLP: per-layer mean(Z_l^2) forward and mean(dZ_l^2) backward.

    Backward starts from a standard-normal dL/dZ_L independent of the weights, so for a
    linear net E[dZ_l^2] is exactly the prediction (nothing below W_l depends on W_l).
    """
    phi = (lambda Z: np.maximum(Z, 0.0)) if activation == "relu" else (lambda Z: Z)
    A = rng.standard_normal((batch, width))  # E[x^2] = 1
    weights, q = [], []
    for _ in range(n_layers):
        W = rng.standard_normal((width, width)) * math.sqrt(weight_var)  # (n_in, n_out)
        Z = A @ W
        weights.append(W)
        q.append(np.mean(Z**2))
        A = phi(Z)
    grad_var = np.empty(n_layers)
    if activation == "linear":
        G = rng.standard_normal((batch, width))
        for layer in range(n_layers - 1, -1, -1):
            grad_var[layer] = np.mean(G**2)
            G = G @ weights[layer].T
    return np.array(q), grad_var


@pytest.mark.parametrize(("activation", "scale"), [("relu", 2.0), ("linear", 1.2)])
def test_predicted_variance_matches_simulation(activation: str, scale: float) -> None:
    width, batch, n_layers, n_seeds = 500, 500, 10, 16
    runs = [_forward_backward(activation, scale / width, width, batch, n_layers,
                              np.random.default_rng(1000 + seed)) for seed in range(n_seeds)]
    q_hat = np.array([r[0] for r in runs])            # (n_seeds, n_layers)
    predicted = th.predicted_variance(n_layers, width, scale / width, activation)
    # Why a seed average, and why its tolerance is honest: E[mean(Z_l^2)] = q_l EXACTLY at
    # any width (E[z^2 | A] = fan_in * weight_var * E[a^2], and z is symmetric because W is,
    # so E[relu(z)^2] = E[z^2] / 2). One network, though, fluctuates: for ReLU the log of a
    # squared norm has variance ~ 5 * depth / width (Hanin 2018), and the batch barely averages
    # it because depth correlates the inputs (measured: ~30-45% spread at layer 10, width 500).
    # So we compare the mean over seeds to q_l within 5 standard errors of that mean,
    # SE_l = sd_l / sqrt(n_seeds), with sd_l the sample sd over seeds. (Unbiasedness checked
    # offline with 3000 seeds at width 100: every layer within 1.6 SE. Over 12 other seed
    # sets of 16 the largest |z| over the 10 layers was 4.5: the ReLU spread is skewed.)
    # Layer 1's SE is ~0.1%, so an off-by-one layer or a wrong factor c fails at once.
    se = q_hat.std(axis=0, ddof=1) / math.sqrt(n_seeds)
    assert np.all(np.abs(q_hat.mean(axis=0) - predicted) <= 5 * se), (
        q_hat.mean(axis=0), predicted, se)
    assert se[0] < 0.01 * predicted[0]  # the tolerance is tight where noise is small
    if activation == "linear":
        g_hat = np.array([r[1] for r in runs])
        g_pred = th.predicted_gradient_variance(n_layers, width, scale / width, "linear")
        g_se = g_hat.std(axis=0, ddof=1) / math.sqrt(n_seeds)
        # top layer: a standard-normal draw, no propagation, SE from the sample as well
        assert np.all(np.abs(g_hat.mean(axis=0) - g_pred) <= 5 * g_se + 1e-12)
        assert g_pred[0] == pytest.approx(1.2**9)


# ---------------------------------------------------------------- quadrature


def test_quadrature_against_closed_forms() -> None:
    q = np.array([0.0, 0.1, 1.0, 3.0, 10.0])
    relu_sq = th.gaussian_expectation(lambda u: np.maximum(u, 0.0) ** 2, q)
    np.testing.assert_allclose(relu_sq, q / 2, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(th.length_map(q, 2.0, 0.1, "relu"), q + 0.1, rtol=1e-13)
    np.testing.assert_allclose(th.length_map(q, 0.7, 0.2, "linear"), 0.7 * q + 0.2, rtol=1e-13)
    # tanh'(0) = 1: E[tanh'(sqrt(q) z)^2] -> 1 as q -> 0 (1 - 2q + O(q^2))
    d_tanh_sq = th.gaussian_expectation(lambda u: (1 - np.tanh(u) ** 2) ** 2, 1e-10)
    assert d_tanh_sq == pytest.approx(1.0, abs=1e-9)
    # erf (Williams 1998): E[erf(u1) erf(u2)] = 2/pi arcsin(2 q c / (1 + 2 q)),
    # E[erf'(u1) erf'(u2)] = (4/pi) / sqrt((1 + 2q)^2 - (2 q c)^2); this integrand narrows as
    # q grows (e^{-2 q z^2}), so the product rule is good to ~4e-8 at q = 4
    for qq in [0.2, 1.0, 4.0]:
        assert th.length_map(qq, 1.0, 0.0, "erf") == pytest.approx(
            2 / math.pi * math.asin(2 * qq / (1 + 2 * qq)), abs=1e-12)
        c = np.array([-0.9, 0.0, 0.5, 0.99, 1.0])
        got = th.gaussian_expectation_2d(erf, erf, qq, c)
        np.testing.assert_allclose(got, 2 / math.pi * np.arcsin(2 * qq * c / (1 + 2 * qq)),
                                   atol=1e-10)
        d_erf = lambda u: 2 / math.sqrt(math.pi) * np.exp(-(u**2))  # noqa: E731
        got = th.gaussian_expectation_2d(d_erf, d_erf, qq, c)
        np.testing.assert_allclose(
            got, 4 / math.pi / np.sqrt((1 + 2 * qq) ** 2 - (2 * qq * c) ** 2), rtol=1e-7)


def test_erf_chi_1_closed_form() -> None:
    # chi_1 = sigma_w2 * (4/pi) / sqrt(1 + 4 q*), q* from the closed-form length map
    sigma_w2, sigma_b2 = 2.0, 0.1
    q_star = th.fixed_point_q(sigma_w2, sigma_b2, "erf")
    assert sigma_w2 * 2 / math.pi * math.asin(2 * q_star / (1 + 2 * q_star)) + sigma_b2 == (
        pytest.approx(q_star, rel=1e-11))
    assert th.chi_1(sigma_w2, sigma_b2, "erf") == pytest.approx(
        sigma_w2 * 4 / math.pi / math.sqrt(1 + 4 * q_star), rel=1e-10)


def test_monte_carlo_agreement() -> None:
    """Quadrature vs a seeded Monte Carlo mean; tolerance 5 SE, SE = sample sd / sqrt(n)."""
    rng = np.random.default_rng(20240611)
    n = 400_000
    z1, z2 = rng.standard_normal(n), rng.standard_normal(n)

    def close(samples: np.ndarray, value: float) -> None:
        se = samples.std(ddof=1) / math.sqrt(n)
        assert abs(samples.mean() - value) <= 5 * se, (samples.mean(), value, se)

    q, c = 1.3, 0.6
    u1 = math.sqrt(q) * z1
    u2 = math.sqrt(q) * (c * z1 + math.sqrt(1 - c**2) * z2)
    close(np.tanh(u1) ** 2, th.gaussian_expectation(lambda u: np.tanh(u) ** 2, q))
    close(1 / (1 + np.exp(-u1)) ** 2, (th.length_map(q, 1.0, 0.0, "sigmoid")))
    close(np.tanh(u1) * np.tanh(u2), th.gaussian_expectation_2d(np.tanh, np.tanh, q, c))
    leaky = np.where(u1 > 0, u1, 0.1 * u1)
    close(leaky**2, q * th.activation_second_moment_factor("leaky_relu", alpha=0.1))
    # ReLU closed-form kernel inside correlation_map: numerator = c_next * q_next
    sigma_w2, sigma_b2 = 1.5, 0.2
    q_star = th.fixed_point_q(sigma_w2, sigma_b2, "relu")  # 0.2 / (1 - 0.75) = 0.8
    v1 = math.sqrt(q_star) * z1
    v2 = math.sqrt(q_star) * (c * z1 + math.sqrt(1 - c**2) * z2)
    numerator = sigma_w2 * np.maximum(v1, 0) * np.maximum(v2, 0) + sigma_b2
    close(numerator, th.correlation_map(c, q_star, sigma_w2, sigma_b2, "relu") * q_star)
    # chi_1 for tanh at its fixed point
    sigma_w2, sigma_b2 = 2.0, 0.05
    q_star = th.fixed_point_q(sigma_w2, sigma_b2, "tanh")
    d = 1 - np.tanh(math.sqrt(q_star) * z1) ** 2
    close(sigma_w2 * d**2, th.chi_1(sigma_w2, sigma_b2, "tanh"))


# ---------------------------------------------------------------- fixed points and slopes


@pytest.mark.parametrize(("sigma_w2", "sigma_b2", "activation"), [
    (1.5, 0.05, "tanh"), (3.0, 0.2, "tanh"), (0.6, 0.3, "tanh"), (4.0, 0.0, "tanh"),
    (5.0, 0.1, "sigmoid"), (2.0, 0.1, "erf")])
def test_fixed_point_q_equals_brute_force_iteration(sigma_w2: float, sigma_b2: float,
                                                    activation: str) -> None:
    q_star = th.fixed_point_q(sigma_w2, sigma_b2, activation)
    q = np.array([0.1, 1.0, 10.0])  # vectorised: three starting lengths at once
    for _ in range(400):
        q = th.length_map(q, sigma_w2, sigma_b2, activation)
    np.testing.assert_allclose(q, q_star, rtol=1e-10)
    assert th.length_map(q_star, sigma_w2, sigma_b2, activation) == pytest.approx(q_star,
                                                                                rel=1e-11)


def test_fixed_point_q_degenerate_cases() -> None:
    assert th.fixed_point_q(1.5, 0.1, "relu") == pytest.approx(0.1 / (1 - 0.75))
    assert th.fixed_point_q(1.5, 0.0, "relu") == 0.0
    assert th.fixed_point_q(2.5, 0.1, "relu") == math.inf
    assert th.fixed_point_q(2.0, 0.1, "relu") == math.inf
    assert th.fixed_point_q(2.0, 0.0, "relu", q0=3.7) == 3.7  # He without bias keeps any q
    assert th.fixed_point_q(1.2, 0.0, "linear") == math.inf
    assert th.fixed_point_q(0.8, 0.0, "tanh") == 0.0  # ordered, no bias: signal dies
    assert th.fixed_point_q(1.0, 0.0, "tanh") == 0.0
    # just above the transition q* ~ (1 - 1/sigma_w2) / 2, tiny but positive
    assert th.fixed_point_q(1.0 + 1e-6, 0.0, "tanh") == pytest.approx(5e-7, rel=1e-5)


def test_correlation_fixed_point_and_slopes_by_finite_differences() -> None:
    h = 1e-5
    for sigma_w2, sigma_b2 in [(2.5, 0.1), (2.5, 0.0), (1.5, 0.05)]:
        s = th.depth_scales(sigma_w2, sigma_b2, "tanh")
        q_star, c_star = s["q_star"], s["c_star"]
        assert th.correlation_map(1.0, q_star, sigma_w2, sigma_b2, "tanh") == 1.0
        assert th.correlation_map(c_star, q_star, sigma_w2, sigma_b2, "tanh") == (
            pytest.approx(c_star, abs=1e-11))
        c = 0.3  # the iteration from any c in (0, 1) reaches c*
        for _ in range(300):
            c = th.correlation_map(c, q_star, sigma_w2, sigma_b2, "tanh")
        assert c == pytest.approx(c_star, abs=1e-7)
        # chi_c = slope of the correlation map at c* (one-sided when c* = 1), error O(h)
        lo = max(c_star - h, -1.0)
        hi = min(c_star + h, 1.0)
        slope = (th.correlation_map(hi, q_star, sigma_w2, sigma_b2, "tanh")
                 - th.correlation_map(lo, q_star, sigma_w2, sigma_b2, "tanh")) / (hi - lo)
        assert slope == pytest.approx(s["chi_c"], abs=1e-4)
        # chi_q = slope of the length map at q* (central difference, error O(h^2))
        slope_q = (th.length_map(q_star + h, sigma_w2, sigma_b2, "tanh")
                   - th.length_map(q_star - h, sigma_w2, sigma_b2, "tanh")) / (2 * h)
        assert slope_q == pytest.approx(s["chi_q"], abs=1e-8)
    assert th.fixed_point_c(2.5, 0.0, "tanh") == 0.0  # odd phi, no bias, chaotic
    assert th.fixed_point_c(1.5, 0.05, "tanh") == 1.0  # ordered
    assert th.fixed_point_c(1.5, 0.05, "tanh") == 1.0
    assert 0.0 < th.fixed_point_c(2.5, 0.1, "tanh") < 1.0


def test_critical_line() -> None:
    assert th.critical_sigma_w2(0.0, "tanh") == pytest.approx(1.0, abs=1e-6)
    assert th.critical_sigma_w2(0.0, "erf") == pytest.approx(math.pi / 4, abs=1e-6)  # erf'(0)^2
    b = [0.0, 0.01, 0.05, 0.1, 0.2]
    crit = np.array([th.critical_sigma_w2(bb, "tanh") for bb in b])
    assert np.all(np.diff(crit) > 0), crit
    for bb, w in zip(b, crit, strict=True):
        assert th.chi_1(0.95 * w, bb, "tanh") < 1.0 < th.chi_1(1.05 * w, bb, "tanh")
        assert th.depth_scales(w, bb, "tanh")["xi_c"] > 1e3  # diverges on the line
    for bb in [0.0, 0.1, 1.0]:
        assert th.critical_sigma_w2(bb, "relu") == pytest.approx(2.0, abs=1e-9)
    assert th.chi_1(3.0, 0.3, "relu") == pytest.approx(1.5, rel=1e-14)
    assert th.chi_1(0.5, 0.3, "linear") == pytest.approx(0.5)


def test_depth_scales_values_and_grid() -> None:
    s = th.depth_scales(0.5, 0.0, "tanh")  # ordered, q* = 0: chi = sigma_w2 phi'(0)^2
    assert s["q_star"] == 0.0 and s["c_star"] == 1.0
    assert s["xi_c"] == pytest.approx(-1 / math.log(0.5))
    relu = th.depth_scales(2.5, 0.1, "relu")
    assert relu["q_star"] == math.inf and relu["xi_c"] == math.inf
    assert th.depth_scales(1.0, 0.0, "linear")["xi_q"] == math.inf
    w, b = np.array([0.8, 1.5, 3.0]), np.array([0.0, 0.1])
    grid = th.depth_scales_grid(w, b, "tanh")
    assert grid["xi_c"].shape == (2, 3)
    for i, j in [(0, 0), (1, 2), (0, 2)]:
        assert grid["xi_c"][i, j] == th.depth_scales(w[j], b[i], "tanh")["xi_c"]
    assert not any(np.isnan(v).any() for v in grid.values())


def test_mean_field_q_matches_wide_tanh_simulation() -> None:
    sigma_w2, sigma_b2 = 1.5, 0.05
    width, batch, n_layers, n_seeds = 1000, 100, 20, 5
    q_star = th.fixed_point_q(sigma_w2, sigma_b2, "tanh")
    q_depth = []
    for seed in range(n_seeds):
        rng = np.random.default_rng(7 + seed)
        A = rng.standard_normal((batch, width))
        for _ in range(n_layers):
            W = rng.standard_normal((width, width)) * math.sqrt(sigma_w2 / width)
            Z = A @ W + rng.standard_normal(width) * math.sqrt(sigma_b2)
            A = np.tanh(Z)
        q_depth.append(np.mean(Z**2))
    q_depth = np.array(q_depth)
    # Tolerance: 5 standard errors of the seed mean (sd over seeds / sqrt(n_seeds); one
    # net spreads ~4% because the inputs converge to one direction, c* = 1 here) plus 1% of
    # q* for the mean-field bias, which is O(1 / width) (below 1% at widths 1000-2000 in
    # longer runs). Depth 20 is ~12 xi_q, so the transient from q_1 = 1.55 is gone.
    tol = 5 * q_depth.std(ddof=1) / math.sqrt(n_seeds) + 0.01 * q_star
    assert abs(q_depth.mean() - q_star) <= tol, (q_depth, q_star, tol)
    assert tol < 0.1 * q_star  # "within a few percent", not a vacuous bound


# ---------------------------------------------------------------- Saxe et al. 2014


def _saxe_gd(s: np.ndarray, a0: float, lr: float, n_steps: int) -> np.ndarray:
    """Full-batch GD on L = 1/2 ||Sigma - W1 @ W2||_F^2 (whitened inputs), balanced init.

    Sigma = V diag(s) U^T with random orthogonal U, V; W1 = V diag(sqrt(a0)) O^T and
    W2 = O diag(sqrt(a0)) U^T with a random orthogonal hidden basis O. Returns the mode
    strengths diag(V^T W1 W2 U) after every step, shape (n_steps + 1, len(s)).
    """
    rng = np.random.default_rng(3)
    k = len(s)
    U, V, O = (np.linalg.qr(rng.standard_normal((k, k)))[0] for _ in range(3))
    Sigma = V @ np.diag(s) @ U.T
    W1 = V @ np.diag(np.full(k, math.sqrt(a0))) @ O.T
    W2 = O @ np.diag(np.full(k, math.sqrt(a0))) @ U.T
    out = [np.diag(V.T @ W1 @ W2 @ U)]
    for _ in range(n_steps):
        R = Sigma - W1 @ W2                       # residual; dL/dW1 = -R W2^T, dL/dW2 = -W1^T R
        W1, W2 = W1 + lr * R @ W2.T, W2 + lr * W1.T @ R
        out.append(np.diag(V.T @ W1 @ W2 @ U))
    return np.array(out)


def test_saxe_mode_strength_matches_gradient_descent() -> None:
    s, a0 = np.array([2.0, 1.0, 0.5]), 1e-3
    errors = []
    for lr in [2e-3, 1e-3]:
        n_steps = int(16 / lr)  # t / tau = 16: past the s = 0.5 plateau (~7 tau)
        a_gd = _saxe_gd(s, a0, lr, n_steps)
        t = np.arange(n_steps + 1)
        a_th = np.stack([th.saxe_mode_strength(t, si, a0, 1 / lr) for si in s], axis=1)
        errors.append(np.max(np.abs(a_gd - a_th)))
        np.testing.assert_allclose(a_gd[-1], s, rtol=1e-3)  # every mode learned
    # GD is the Euler scheme of the gradient flow: its error is O(lr), so halving lr
    # halves it; a wrong formula leaves an error that does not shrink with lr.
    assert errors[1] < 0.02
    assert 1.7 < errors[0] / errors[1] < 2.3, errors
    assert th.saxe_mode_strength(0.0, 2.0, 1e-3, 10.0) == pytest.approx(1e-3)
    assert th.saxe_mode_strength(1e6, 2.0, 1e-3, 10.0) == pytest.approx(2.0)


# ---------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(("call", "exc", "shown"), [
    (lambda: th.activation_second_moment_factor("softplus"), ValueError, "'softplus'"),
    (lambda: th.activation_second_moment_factor("leaky_relu", alpha=1.5), ValueError, "1.5"),
    (lambda: th.predicted_variance(0, 10, 0.1, "relu"), ValueError, "0"),
    (lambda: th.predicted_variance(3, [10, 10], 0.1, "relu"), ValueError, "[10, 10]"),
    (lambda: th.predicted_variance(3, 10, -0.1, "relu"), ValueError, "-0.1"),
    (lambda: th.predicted_variance(2, [10, 2.5], 0.1, "relu"), TypeError, "2.5"),
    (lambda: th.predicted_variance(2, 10, 0.1, "relu", input_var=float("nan")), ValueError, "nan"),
    (lambda: th.length_map(-1.0, 1.0, 0.0, "tanh"), ValueError, "-1.0"),
    (lambda: th.length_map(1.0, 1.0, -0.2, "tanh"), ValueError, "-0.2"),
    (lambda: th.length_map(1.0, 0.0, 0.1, "tanh"), ValueError, "0.0"),
    (lambda: th.length_map(1.0, 1.0, 0.1, "selu"), ValueError, "'selu'"),
    (lambda: th.correlation_map(1.2, 1.0, 1.0, 0.1, "tanh"), ValueError, "1.2"),
    (lambda: th.correlation_map(0.5, math.inf, 1.0, 0.1, "relu"), ValueError, "inf"),
    (lambda: th.fixed_point_q(1.0, 0.1, "tanh", q0=0.0), ValueError, "0.0"),
    (lambda: th.critical_sigma_w2(-1.0, "tanh"), ValueError, "-1.0"),
    (lambda: th.saxe_mode_strength(-1.0, 1.0, 0.01, 1.0), ValueError, "-1.0"),
    (lambda: th.saxe_mode_strength(1.0, 1.0, 0.0, 1.0), ValueError, "0.0"),
])
def test_bad_inputs_name_the_value(call, exc: type[Exception], shown: str) -> None:
    with pytest.raises(exc) as info:
        call()
    assert shown in str(info.value)
