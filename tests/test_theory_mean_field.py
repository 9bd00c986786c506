"""Tests of initlab.theory's mean field: quadrature, maps, fixed points, slopes, critical line,
and the layer-by-layer recursions (mean_field_profile, correlation_trajectory).

References used: closed forms (ReLU moments, Williams' erf kernel), seeded Monte Carlo with
5-standard-error tolerances computed from the sample, finite differences of the maps (for the
slopes chi_q, chi_c), brute-force iteration of the maps, independent root finding and
recursions with adaptive quadrature (scipy.integrate.quad, scipy.optimize.brentq), and a
seeded plain-numpy simulation of a wide tanh net. The correlation trajectories are also
checked against 2-D adaptive quadrature in tests/test_exp_edge_of_chaos.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize
from scipy.special import erf

from initlab import activations
from initlab import theory as th

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


def test_mean_field_functions_accept_activation_objects() -> None:
    tanh = activations.get("tanh")
    assert th.chi_1(2.0, 0.05, tanh) == th.chi_1(2.0, 0.05, "tanh")
    assert th.depth_scales(2.0, 0.05, tanh) == th.depth_scales(2.0, 0.05, "tanh")
    assert th.fixed_point_q(1.5, 0.1, "linear") == th.fixed_point_q(1.5, 0.1, "identity")


def test_leaky_relu_kernel_matches_monte_carlo() -> None:
    """Leaky relu's closed-form kernel inside correlation_map, against a seeded Monte Carlo."""
    leaky = activations.get("leaky_relu", alpha=0.3)
    rng = np.random.default_rng(5)
    n = 400_000
    z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
    sigma_w2, sigma_b2, q, c = 1.2, 0.1, 0.9, -0.4
    u1 = math.sqrt(q) * z1
    u2 = math.sqrt(q) * (c * z1 + math.sqrt(1 - c**2) * z2)
    numerator = sigma_w2 * leaky.f(u1) * leaky.f(u2) + sigma_b2
    q_next = th.length_map(q, sigma_w2, sigma_b2, leaky)
    se = numerator.std(ddof=1) / math.sqrt(n)
    assert abs(numerator.mean() - th.correlation_map(c, q, sigma_w2, sigma_b2, leaky) * q_next) \
        <= 5 * se
    # homogeneous: q* = sigma_b2 / (1 - sigma_w2 (1 + a^2) / 2), chi_1 = sigma_w2 (1 + a^2) / 2
    assert th.fixed_point_q(sigma_w2, sigma_b2, leaky) == pytest.approx(0.1 / (1 - 1.2 * 0.545))
    assert th.chi_1(sigma_w2, sigma_b2, leaky) == pytest.approx(1.2 * 0.545, rel=1e-14)
    # identity: the kernel is q c, so the map keeps c when there is no bias
    assert th.correlation_map(-0.4, 2.0, 1.3, 0.0, "linear") == pytest.approx(-0.4, rel=1e-14)


def _moment(f, q: float) -> float:
    """E[f(sqrt(q) z)], z ~ N(0, 1), by adaptive quadrature (independent of theory's rules)."""
    return integrate.quad(lambda z: f(math.sqrt(q) * z) * math.exp(-z * z / 2)
                          / math.sqrt(2 * math.pi), -14, 14, epsabs=1e-14, epsrel=1e-12,
                          limit=200)[0]


@pytest.mark.parametrize(("name", "sigma_b2"), [("tanh", 0.05), ("tanh", 0.2), ("sigmoid", 0.0)])
def test_critical_sigma_w2_by_direct_root_find(name: str, sigma_b2: float) -> None:
    # chi_1(sigma_w2) = sigma_w2 E[phi'(sqrt(q*) z)^2] - 1 = 0 with q* the root of
    # q = sigma_w2 E[phi^2] + sigma_b2, both solved here with brentq over scipy quad
    phi = {"tanh": math.tanh, "sigmoid": lambda u: 1 / (1 + math.exp(-u))}[name]
    dphi = {"tanh": lambda u: 1 - math.tanh(u) ** 2,
            "sigmoid": lambda u: phi(u) * (1 - phi(u))}[name]

    def q_star(sw2: float) -> float:
        return optimize.brentq(lambda q: sw2 * _moment(lambda u: phi(u) ** 2, q) + sigma_b2 - q,
                               1e-9, sw2 + sigma_b2 + 1, xtol=1e-14, rtol=1e-13)

    def f(sw2: float) -> float:
        return sw2 * _moment(lambda u: dphi(u) ** 2, q_star(sw2)) - 1

    bracket = (1.0, 3.0) if name == "tanh" else (50.0, 200.0)   # sigmoid: ~103
    expected = optimize.brentq(f, *bracket, xtol=1e-12, rtol=1e-12)
    # sigmoid's critical point sits at q* ~ 46, where 300 Gauss-Hermite nodes under-resolve
    # sigmoid'^2 (a spike of width ~1/sqrt(q*) in z): chi_1 comes out 2e-4 low there, and the
    # critical sigma_w2 4e-4 high (measured against the dense rule and this quad reference).
    rel = 1e-8 if name == "tanh" else 1e-3
    assert th.critical_sigma_w2(sigma_b2, name) == pytest.approx(expected, rel=rel)


def test_critical_sigma_w2_homogeneous_closed_forms() -> None:
    assert th.critical_sigma_w2(0.0, "relu") == 2.0          # He: Var(w) = 2 / fan_in
    assert th.critical_sigma_w2(0.3, "relu") == 2.0
    assert th.critical_sigma_w2(0.0, "identity") == 1.0
    leaky = activations.get("leaky_relu", alpha=0.2)
    assert th.critical_sigma_w2(0.1, leaky) == pytest.approx(2 / 1.04, rel=1e-15)
    assert th.chi_1(2 / 1.04, 0.0, leaky) == pytest.approx(1.0, rel=1e-15)


# ---------------------------------------------------------------- layer by layer


def test_mean_field_profile_tanh_against_an_independent_recursion() -> None:
    # an exploding tanh stack with a bias and a small input: q_1 = sw2 * 0.5 + sb2, then the
    # length map by scipy quad; moments and gradient factors at each q_l by scipy quad too
    sw2, sb2, L, input_var = 4.0, 0.1, 8, 0.5
    q = [sw2 * input_var + sb2]
    for _ in range(L - 1):
        q.append(sw2 * _moment(lambda u: math.tanh(u) ** 2, q[-1]) + sb2)
    mean = [_moment(math.tanh, qq) for qq in q]
    second = [_moment(lambda u: math.tanh(u) ** 2, qq) for qq in q]
    d2 = [_moment(lambda u: (1 - math.tanh(u) ** 2) ** 2, qq) for qq in q]
    grad_var = [math.prod(sw2 * d for d in d2[l:L - 1]) for l in range(L)]
    for rule in ("dense", "hermite"):
        p = th.mean_field_profile("tanh", sw2, L, input_var=input_var, sigma_b2=sb2, rule=rule)
        np.testing.assert_allclose(p["q"], q, rtol=1e-10)
        np.testing.assert_allclose(p["act_mean"], mean, atol=1e-12)    # odd phi: 0
        np.testing.assert_allclose(p["act_second"], second, rtol=1e-10)
        np.testing.assert_allclose(p["act_std"], np.sqrt(second), rtol=1e-10)
        np.testing.assert_allclose(p["deriv_second"], d2, rtol=1e-9)
        np.testing.assert_allclose(p["grad_var"], grad_var, rtol=1e-9)
    assert q[-1] > 2 and grad_var[0] > 5       # the profile really grows


def test_mean_field_profile_sigmoid_has_a_mean() -> None:
    sw2, L = 9.0, 5
    p = th.mean_field_profile("sigmoid", sw2, L)
    sig = lambda u: 1 / (1 + math.exp(-u))                                     # noqa: E731
    np.testing.assert_allclose(p["act_mean"], 0.5, rtol=1e-12)   # sigmoid(u) - 1/2 is odd
    np.testing.assert_allclose(p["q"][1:], sw2 * np.array(
        [_moment(lambda u: sig(u) ** 2, qq) for qq in p["q"][:-1]]), rtol=1e-10)
    np.testing.assert_allclose(p["act_std"] ** 2, p["act_second"] - 0.25, rtol=1e-12)


def test_mean_field_profile_relu_closed_forms() -> None:
    # q_1 = sw2 * input_var + sb2, q_{l+1} = sw2 q_l / 2 + sb2; E[relu] = sqrt(q / (2 pi)),
    # E[relu^2] = q / 2; Var(dZ_l) / Var(dZ_L) = (sw2 / 2)^(L - l)
    sw2, sb2, L, input_var = 2.6, 0.3, 6, 1.4
    q = [sw2 * input_var + sb2]
    for _ in range(L - 1):
        q.append(sw2 * q[-1] / 2 + sb2)
    q = np.array(q)
    p = th.mean_field_profile("relu", sw2, L, input_var=input_var, sigma_b2=sb2)
    np.testing.assert_allclose(p["q"], q, rtol=1e-14)
    # the dense rule splits the kink at 0 between two nodes: E[relu] errs by ~h^2/12 phi(0)
    np.testing.assert_allclose(p["act_mean"], np.sqrt(q / (2 * math.pi)), rtol=1e-6)
    np.testing.assert_allclose(p["act_second"], q / 2, rtol=1e-12)
    np.testing.assert_allclose(p["grad_var"], (sw2 / 2) ** np.arange(L - 1, -1, -1), rtol=1e-14)
    np.testing.assert_allclose(p["deriv_second"], 0.5)
    # without bias it is predicted_variance's closed form
    np.testing.assert_allclose(th.mean_field_profile("relu", sw2, L)["q"],
                               th.predicted_variance(L, 1, sw2, "relu"), rtol=1e-14)


def test_correlation_trajectory_iterates_the_map() -> None:
    sw2, sb2 = 2.5, 0.1
    traj = th.correlation_trajectory(0.3, 300, sw2, sb2, "tanh")    # xi_c = 13.5 here
    assert traj.shape == (301,) and traj[0] == 0.3
    q_star = th.fixed_point_q(sw2, sb2, "tanh")
    np.testing.assert_allclose(traj[1:], th.correlation_map(traj[:-1], q_star, sw2, sb2, "tanh"),
                               rtol=1e-13)
    assert traj[-1] == pytest.approx(th.fixed_point_c(sw2, sb2, "tanh"), abs=1e-8)
    # relu with a bias above He's point: q* = inf, the scale-free map at q = 1, no bias
    np.testing.assert_allclose(th.correlation_trajectory(0.2, 5, 2.5, 0.1, "relu"),
                               th.correlation_trajectory(0.2, 5, 2.5, 0.0, "relu"), rtol=1e-15)
