"""Tests of initlab.theory's variance propagation, small-signal factors and argument checks.

References used: closed forms (ReLU moments), seeded Monte Carlo with 5-standard-error
tolerances computed from the sample, adaptive quadrature (scipy.integrate.quad) for the
small-signal limits, and seeded plain-numpy simulations of deep nets written here (not
initlab.network). The mean field, random-matrix and deep-linear predictions are tested in
tests/test_theory_mean_field.py, test_theory_random_matrices.py, test_theory_deep_linear.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from initlab import activations
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


def test_moment_factors_of_an_activation_object_match_monte_carlo() -> None:
    # leaky relu with alpha = 0.3 passed as an Activation: E[phi(z)^2] / E[z^2] and
    # E[phi'(z)^2] for z ~ N(0, 1.7^2), 5 SE (sample sd / sqrt(n))
    leaky = activations.get("leaky_relu", alpha=0.3)
    z = 1.7 * np.random.default_rng(11).standard_normal(400_000)
    for samples, value in ((leaky.f(z) ** 2 / 1.7**2, th.activation_second_moment_factor(leaky)),
                           (leaky.df(z, leaky.f(z)) ** 2,
                            th.activation_derivative_moment_factor(leaky))):
        se = samples.std(ddof=1) / math.sqrt(z.size)
        assert abs(samples.mean() - value) <= 5 * se, (samples.mean(), value, se)
    assert th.activation_second_moment_factor(leaky) == pytest.approx((1 + 0.09) / 2, rel=1e-15)
    # the alpha argument applies to the name only; an Activation carries its own slope
    assert th.backward_factor(10, 0.2, leaky, alpha=0.9) == pytest.approx(2 * 1.09 / 2)


def _small_q_ratio(f, q: float) -> float:
    """E[f(sqrt(q) z)] by adaptive quadrature over z ~ N(0, 1)."""
    return integrate.quad(lambda z: f(math.sqrt(q) * z) * math.exp(-z * z / 2)
                          / math.sqrt(2 * math.pi), -12, 12, epsabs=1e-16, epsrel=1e-12)[0]


@pytest.mark.parametrize("name", ["tanh", "erf", "sigmoid", "relu", "identity"])
def test_small_signal_factors_are_the_small_variance_limits(name: str) -> None:
    # c = lim E[phi(sqrt(q) z)^2] / q and c' = lim E[phi'(sqrt(q) z)^2] as q -> 0, computed
    # at q = 1e-8 by scipy quad (the limits are approached with an O(q) error)
    act = activations.get(name)
    phi = lambda u: float(act.f(np.array([u]))[0])                          # noqa: E731
    dphi = lambda u: float(act.df(np.array([u]), np.array([phi(u)]))[0])    # noqa: E731
    q = 1e-8
    c, c_back = th.small_signal_factors(name)
    assert c_back == pytest.approx(_small_q_ratio(lambda u: dphi(u) ** 2, q), rel=1e-6)
    if c is None:  # sigmoid: E[phi^2] / q diverges as q -> 0 (phi(0) = 1/2)
        assert name == "sigmoid" and _small_q_ratio(lambda u: phi(u) ** 2, q) / q > 1e6
    else:
        assert c == pytest.approx(_small_q_ratio(lambda u: phi(u) ** 2, q) / q, rel=1e-6)
    assert th.small_signal_factors("sigmoid") == (None, 1 / 16)
    assert th.small_signal_factors("erf") == (pytest.approx(4 / math.pi),) * 2  # erf'(0)^2


def test_small_signal_rate() -> None:
    assert th.small_signal_rate("relu", 2.0) == pytest.approx(0.0, abs=1e-15)
    assert th.small_signal_rate("tanh", 4.0, backward=True) == pytest.approx(math.log(2.0))
    assert th.small_signal_rate("leaky_relu", 3.0, alpha=0.5) == pytest.approx(
        0.5 * math.log(3.0 * 1.25 / 2))
    assert th.small_signal_rate("sigmoid", 16.0, backward=True) == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="sigmoid"):
        th.small_signal_rate("sigmoid", 1.0)


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
    (lambda: th.saxe_half_time(1.0, 0.6, 10.0), ValueError, "a0=0.6"),
    (lambda: th.saxe_forget_time(1, 0.1, 0.1), ValueError, "1"),
    (lambda: th.gaussian_expectation(np.tanh, 1.0, rule="simpson"), ValueError, "'simpson'"),
    (lambda: th.mean_field_profile("tanh", 1.0, 0), ValueError, "0"),
    (lambda: th.mean_field_profile("elu", 1.0, 3), ValueError, "'elu'"),
    (lambda: th.correlation_trajectory(1.5, 3, 1.0, 0.1, "tanh"), ValueError, "1.5"),
    (lambda: th.correlation_trajectory(0.5, 3, 0.5, 0.0, "tanh"), ValueError, "q* = 0.0"),
    (lambda: th.jacobian_spread(3, 1.0, 1.0, "uniform"), ValueError, "'uniform'"),
    (lambda: th.jacobian_spread(3, 1.0, 1.0, "orthogonal", 10), ValueError, "'orthogonal'"),
    (lambda: th.lyapunov_exponents(0), ValueError, "0"),
    (lambda: th.finite_width_log_std(3, 0), ValueError, "0"),
    (lambda: th.critical_point("sine"), ValueError, "'sine'"),
    (lambda: th.small_signal_factors("softplus"), ValueError, "'softplus'"),
])
def test_bad_inputs_name_the_value(call, exc: type[Exception], shown: str) -> None:
    with pytest.raises(exc) as info:
        call()
    assert shown in str(info.value)
