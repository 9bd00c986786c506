"""Chapter 12 experiments: exact input construction, simulations against closed forms, and the
mean-field correlation trajectories against independent adaptive quadrature."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import integrate, optimize

from initlab import plotting, theory
from initlab.experiments import edge_of_chaos as eoc


def test_correlated_inputs_are_exact():
    H = eoc.correlated_inputs((0.2, -0.5, 0.9), 0.7, 50, np.random.default_rng(0))
    assert H.shape == (4, 50)
    np.testing.assert_allclose(np.sum(H**2, axis=1) / 50, 0.7, rtol=1e-12)
    c = H[1:] @ H[0] / (np.linalg.norm(H[1:], axis=1) * np.linalg.norm(H[0]))
    np.testing.assert_allclose(c, [0.2, -0.5, 0.9], atol=1e-12)


def test_grouped_inputs_blocks_and_orthogonality():
    H = eoc.grouped_inputs((0.2, 0.8), 4, 1.0, 60, np.random.default_rng(1))
    G = H.reshape(4, 3, 60)
    for g in G:
        c = g[1:] @ g[0] / 60.0
        np.testing.assert_allclose(c, [0.2, 0.8], atol=1e-12)
    # references of different groups are orthogonal
    refs = G[:, 0]
    off = refs @ refs.T - np.diag(np.diag(refs @ refs.T))
    assert np.max(np.abs(off)) < 1e-10


def test_bad_correlation_is_rejected():
    with pytest.raises(ValueError, match="1.5"):
        eoc.correlated_inputs((1.5,), 1.0, 10, np.random.default_rng(0))


def test_relu_correlation_trajectory_matches_2d_quadrature():
    # An independent map, not the arc-cosine formula the theory uses: ReLU at He's sigma_w2 = 2
    # without bias is scale-free, so take q = 1 and c' = E[relu(u1) relu(u2)] / E[relu(u)^2]
    # with the numerator by adaptive 2-D quadrature (scipy dblquad) of u1 u2 times the
    # bivariate normal density on the positive quadrant, the denominator by 1-D quad.
    # dblquad's own error estimate is < 1e-11 per step and the map's slope is <= 1, so ten
    # iterated steps agree to 1e-9.
    def step(c: float) -> tuple[float, float]:
        s2 = 1 - c * c

        def integrand(u2: float, u1: float) -> float:   # u1 u2 times the bivariate density
            quad_form = (u1 * u1 - 2 * c * u1 * u2 + u2 * u2) / (2 * s2)
            return u1 * u2 * math.exp(-quad_form) / (2 * math.pi * math.sqrt(s2))

        num, err = integrate.dblquad(integrand, 0, 12, 0, 12, epsabs=1e-13, epsrel=1e-11)
        den = integrate.quad(lambda u: u * u * math.exp(-u * u / 2) / math.sqrt(2 * math.pi),
                             0, 12, epsabs=1e-14)[0]
        return num / den, err

    c, expected = 0.2, [0.2]
    for _ in range(10):
        c, err = step(c)
        assert err < 1e-11
        expected.append(c)
    got = theory.correlation_trajectory(0.2, 10, 2.0, 0.0, "relu")
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    assert got[-1] > 0.85     # c* = 1: the trajectory has moved a long way from c_0 = 0.2


def test_tanh_correlation_trajectory_matches_2d_quadrature():
    # Chaotic tanh (sigma_w2 = 2.5, sigma_b2 = 0.1): q* by scipy quad + brentq on the length
    # map, then c' = (sigma_w2 E[tanh(u1) tanh(u2)] + sigma_b2) / q* with the expectation by
    # dblquad over independent standard normals z1, z2 on [-9, 9]^2 (tails < 1e-18).
    # Theory's 150 x 150 Gauss-Hermite rule is good to ~1e-10 at q ~ 1; 1e-9 over six steps.
    sw2, sb2 = 2.5, 0.1

    def second_moment(q: float) -> float:
        return integrate.quad(lambda z: math.tanh(math.sqrt(q) * z) ** 2 * math.exp(-z * z / 2)
                              / math.sqrt(2 * math.pi), -12, 12, epsabs=1e-14, epsrel=1e-13)[0]

    q_star = optimize.brentq(lambda q: sw2 * second_moment(q) + sb2 - q, 1e-3, sw2 + sb2,
                             xtol=1e-15, rtol=1e-14)
    assert theory.fixed_point_q(sw2, sb2, "tanh") == pytest.approx(q_star, rel=1e-12)
    r = math.sqrt(q_star)
    c, expected = 0.2, [0.2]
    for _ in range(6):
        s = math.sqrt(1 - c * c)
        num, err = integrate.dblquad(
            lambda z2, z1, c=c, s=s: math.tanh(r * z1) * math.tanh(r * (c * z1 + s * z2))
            * math.exp(-(z1 * z1 + z2 * z2) / 2) / (2 * math.pi),
            -9, 9, -9, 9, epsabs=1e-12, epsrel=1e-11)
        assert err < 1e-10
        c = (sw2 * num + sb2) / q_star
        expected.append(c)
    got = theory.correlation_trajectory(0.2, 6, sw2, sb2, "tanh")
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_linear_net_preserves_correlation_up_to_finite_width_noise():
    # identity activation, sigma_b2 = 0, sigma_w2 = 1: c_l = c_0 in expectation; the sampling sd
    # of a correlation over N units is <= 1/sqrt(N) per layer, so 5 layers -> <= sqrt(5/N); 4 sd
    width = 2000
    H = eoc.correlated_inputs((0.5,), 1.0, width, np.random.default_rng(2))
    q, corr = eoc.propagate(H, 5, 1.0, 0.0, "identity", np.random.default_rng(3))
    assert abs(corr[-1, 1] - 0.5) < 4 * math.sqrt(5 / width)
    # lengths: E q_l = q_0; Var of the log ~ 2l/N
    assert abs(math.log(q[-1, 0])) < 4 * math.sqrt(2 * 5 / width)


def test_relu_growth_rate_matches_theory():
    r = eoc.relu_propagation(width=200, n_nets=2, depth=40, seed=0)
    for sw2, rate in r["rate"].items():
        # slope SE ~ 0.02 at N = 200 with 2 nets (Var log q_L ~ 5L/N); 4 SE
        assert abs(rate - math.log(sw2 / 2.0)) < 0.08
    assert r["relu_rate_err"] == max(abs(v - math.log(s / 2)) for s, v in r["rate"].items())
    # q_L / q_0 at He's scale: Var log q_L ~ 5 L / N = 1 per net, 2 nets: sd 0.7; 4 sd
    assert abs(math.log(r["relu_q_ratio_he"])) < 4 * math.sqrt(5 * 40 / 200 / 2)
    with pytest.raises(ValueError, match="3.0"):
        eoc.relu_propagation(width=20, n_nets=1, depth=2, seed=0, scales=(1.0, 3.0))


def test_ordered_phase_forgets_inputs_within_six_depth_scales():
    d = eoc.distinguishability(width=150, n_sigma_w2=12, depth=60, n_groups=4, seed=0)
    assert d["delta"][0] == pytest.approx(0.6)
    assert d["dist_delta_deep_max_ordered"] < 0.01       # mean field: 0.6 e^-6 = 0.0015
    assert d["dist_delta_shallow_min"] > 0.1
    assert d["dist_delta_deep_chaotic_sqrt_n"] == pytest.approx(
        d["dist_delta_deep_median_chaotic"] * math.sqrt(150 * 4), rel=1e-12)


def test_trajectories_follow_the_map_within_finite_width_noise():
    tr = eoc.correlation_trajectories(width=200, n_nets=2, depth=10, seed=1)
    assert set(tr["phases"]) == {"ordered", "critical", "chaotic"}
    assert tr["measured"]["critical"].shape == (11, 2)
    np.testing.assert_allclose(tr["measured"]["chaotic"][0], eoc.C_PAIR, atol=1e-12)  # exact
    # sd of a correlation over N units <= 1/sqrt(N) per layer; the max over 3 x 2 x 11 cells
    # of a 2-net mean stays below 4.5 of that unit (the reference's claim)
    assert tr["traj_max_err_sqrt_n"] < 4.5


def test_phase_diagram_values_and_shapes():
    pd_ = eoc.phase_diagram(n_sigma_w2=5, n_sigma_b2=3, n_line=4, n_slice=6)
    assert pd_["chi_1"].shape == (3, 5) and pd_["critical"].shape == (4,)
    assert pd_["chi_1_at_critical"] == pytest.approx(1.0, abs=1e-9)
    assert pd_["critical_tanh_b0"] == pytest.approx(1.0, abs=1e-6)     # q* = 0, tanh'(0) = 1
    assert pd_["critical_relu_b0"] == pytest.approx(2.0) == pd_["critical_relu_b005"]
    assert pd_["critical"][0] == pytest.approx(pd_["critical_tanh_b0"])
    assert np.all(np.diff(pd_["critical"]) > 0)           # the line bends right with sigma_b2


def test_figures_label_their_axes():
    pd_ = eoc.phase_diagram(n_sigma_w2=5, n_sigma_b2=3, n_line=4, n_slice=6)
    fig = eoc.plot_phase_diagram(pd_)
    plotting.check_fits_column(fig)
    ax1, ax2 = fig.axes[:2]
    assert "sigma_b" in ax1.get_ylabel() and ax2.get_yscale() == "log"
    assert ax1.get_position().y0 > ax2.get_position().y0          # stacked, not side by side
    tr = eoc.correlation_trajectories(width=40, n_nets=1, depth=3, seed=0)
    fig = eoc.plot_trajectories(tr)
    plotting.check_fits_column(fig)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 3 and len(shown[0].lines) == 4      # 2 pairs x (theory, measured)
    assert all(t == int(t) for t in shown[2].get_xticks())  # whole layers
    d = eoc.distinguishability(width=40, n_sigma_w2=3, depth=45, n_groups=2, seed=0)
    fig = eoc.plot_distinguishability(d)
    plotting.check_fits_column(fig)
    assert fig.axes[0].get_ylabel().startswith("depth") and len(fig.axes[0].lines) == 1
    r = eoc.relu_propagation(width=40, n_nets=1, depth=3, seed=0)
    fig = eoc.plot_relu(r)
    plotting.check_fits_column(fig)
    assert fig.axes[0].get_yscale() == "log" and len(fig.axes[0].lines) == 6
    plt.close("all")


def test_mean_field_explorer_moves_the_critical_point_right():
    """One frame per bias variance of the phase grid; the line starts at sigma_w2 = 1 with
    q* = 0 (Poole et al. 2016) and moves right as sigma_b2 grows; chi_1 = 1 on it."""
    phase = eoc.phase_diagram(n_sigma_w2=8, n_sigma_b2=4, n_line=3, n_slice=5)
    ex = eoc.mean_field_explorer(phase)
    assert ex["explore_n_frames"] == 4 and ex["q_star"].shape == (4, 8)
    assert ex["explore_critical_b2_min"] == pytest.approx(1.0, abs=1e-6)
    assert ex["explore_q_star_critical_b2_min"] == pytest.approx(0.0, abs=1e-6)
    assert np.all(np.diff(ex["critical"]) > 0)
    for b, w in zip(ex["sigma_b2"], ex["critical"], strict=True):
        assert theory.chi_1(float(w), float(b), "tanh") == pytest.approx(1.0, abs=1e-8)
    html = eoc.plot_mean_field_slider(ex)
    assert html.count("data:image/png;base64,") == 4 and "https://" not in html


def test_exercise_bias_length_converges_to_q_star():
    """A net at the critical point carries an input of length 1 to q*: the length per unit
    is an average over N = 1000 units, relative sd about sqrt(2 / N) = 0.045 per layer, and
    the map contracts it; 0.2 relative is over 4 sd."""
    ex = eoc.exercise_bias(sigma_b2=0.2, width=1000, depth=30, seed=5)
    assert ex["ex_bias_critical"] == pytest.approx(theory.critical_sigma_w2(0.2, "tanh"))
    assert ex["ex_bias_critical"] > theory.critical_sigma_w2(eoc.SIGMA_B2, "tanh")
    assert ex["ex_bias_q_measured"] == pytest.approx(ex["ex_bias_q_star"], rel=0.2)


def test_exercise_depth_scale_forgets_within_six_depth_scales():
    """Ordered phase: after 6 xi_c layers the gap is e^-6 of 0.6 = 0.0015 in mean field; the
    finite-width fluctuations die out with 1 - c there, so the measurement is below 0.005."""
    ex = eoc.exercise_depth_scale(sigma_w2=1.3, width=200, depth=80, n_groups=8, seed=6)
    assert ex["ex_xi_layer"] == round(6 * ex["ex_xi_c"])
    assert ex["ex_xi_delta_pred"] == pytest.approx(0.6 * math.exp(-6), rel=0.5)
    assert ex["ex_xi_delta"] < 0.005 < 0.3 < ex["ex_xi_delta_first"]
