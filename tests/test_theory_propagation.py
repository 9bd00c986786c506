"""Tests of initlab.theory.mean_field_layers: the per-layer, per-example mean-field recursion.

References: closed forms (identity: products of the sigma_w2; relu: the affine length map
``q' = sigma_w2 q / 2 + sigma_b2`` and ``E[relu(u)] = sqrt(q / (2 pi))`` per example), the
linear regime of tanh, and a Monte Carlo of wide random ELU nets (an activation with no closed
form) with non-square layers and inputs of different lengths, within tolerances derived from
the number of nets and the width.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import activations
from initlab import theory as th


def test_identity_layers_multiply_their_sigma_w2() -> None:
    input_var = np.array([0.5, 1.0, 3.0])               # |x|^2 / n_in of three examples
    s2, back = [0.5, 2.0, 3.0], [9.0, 1.5, 0.25]
    mf = th.mean_field_layers("identity", s2, input_var, sigma_w2_back=back)
    q = input_var.mean() * np.cumprod(s2)               # q_l = prod_{k <= l} sigma_w2[k] E|x|^2/n
    np.testing.assert_allclose(mf["q"], q, rtol=1e-14)
    np.testing.assert_allclose(mf["act_second"], q, rtol=1e-12)
    # Var(dZ_l) / Var(dZ_L) = prod_{k > l} sigma_w2_back[k]; back[0] does not enter
    np.testing.assert_allclose(mf["grad_var"], [1.5 * 0.25, 0.25, 1.0], rtol=1e-14)
    np.testing.assert_allclose(th.mean_field_layers("identity", [0.5], 2.5)["q"], [1.25])


def test_relu_per_example_closed_forms() -> None:
    # each example its own affine map; the means of a concave sqrt over examples differ from
    # sqrt of the mean, so this checks that the layer means are taken after the per-example map
    input_var = np.array([0.2, 1.0, 4.0, 9.0])
    s2, sb2 = np.array([2.0, 2.6, 1.4, 2.0]), 0.3
    q = [s2[0] * input_var + sb2]
    for s in s2[1:]:
        q.append(s * q[-1] / 2 + sb2)
    q = np.array(q)                                      # (L, n_examples)
    mf = th.mean_field_layers("relu", s2, input_var, sigma_b2=sb2)
    np.testing.assert_allclose(mf["q"], q.mean(axis=1), rtol=1e-14)
    np.testing.assert_allclose(mf["act_second"], q.mean(axis=1) / 2, rtol=1e-12)
    # dense rule: the kink at 0 sits between two nodes, error ~h^2/12 phi(0) (see gaussian.py)
    np.testing.assert_allclose(mf["act_mean"], np.sqrt(q / (2 * math.pi)).mean(axis=1),
                               rtol=1e-6)
    np.testing.assert_allclose(mf["grad_var"], [2.6 * 1.4 * 2 / 8, 1.4 * 2 / 4, 2 / 2, 1.0],
                               rtol=1e-14)


def test_tanh_linear_regime_and_profile_case() -> None:
    # tiny q: tanh is the identity, so Var multiplies by sigma_w2 forward, sigma_w2_back back
    mf = th.mean_field_layers("tanh", [1 / 3] * 5, np.full(4, 1e-10 / (1 / 3)),
                              sigma_w2_back=[0.5] * 5, rule="hermite")
    np.testing.assert_allclose(mf["act_std"] / mf["act_std"][0],
                               np.sqrt((1 / 3) ** np.arange(5)), rtol=1e-6)
    np.testing.assert_allclose(mf["grad_var"], 0.5 ** np.arange(4, -1, -1), rtol=1e-6)
    # equal sigma_w2 and one input: mean_field_profile is this function's special case
    prof = th.mean_field_profile("tanh", 2.5, 6, input_var=0.7, sigma_b2=0.1)
    layers = th.mean_field_layers("tanh", [2.5] * 6, 0.7, sigma_b2=0.1)
    for key in prof:
        np.testing.assert_array_equal(prof[key], layers[key])


def test_elu_layers_match_wide_random_nets() -> None:
    # ELU nets of widths 600..900, Var(w_l) = sigma_w2[l] / fan_in, inputs of four lengths
    # |x|^2 / n_in = 0.25..4; a random top gradient dout ~ N(0, 1) back-propagated.
    sizes, s2 = (400, 800, 600, 900, 700), np.array([1.5, 2.5, 1.0, 2.0])
    fan_out = np.array(sizes[1:])
    back = fan_out * s2 / np.array(sizes[:-1])          # fan_out * Var(w)
    lengths = np.repeat([0.25, 1.0, 2.0, 4.0], 8)       # 32 examples
    elu = activations.get("elu")
    n_nets = 6
    q_hat, g_hat = [], []
    for seed in range(n_nets):
        rng = np.random.default_rng(100 + seed)
        X = rng.standard_normal((len(lengths), sizes[0]))
        X *= np.sqrt(lengths / np.mean(X**2, axis=1))[:, None]  # exact lengths
        Ws = [rng.standard_normal((i, o)) * math.sqrt(s / i)
              for i, o, s in zip(sizes[:-1], sizes[1:], s2, strict=True)]
        A, Zs = X, []
        for W in Ws:
            Zs.append(A @ W)
            A = elu.f(Zs[-1])
        dZ, g = rng.standard_normal(Zs[-1].shape), []
        for l in range(len(Ws) - 1, -1, -1):
            g.append(np.mean(dZ**2))
            if l > 0:
                dZ = (dZ @ Ws[l].T) * elu.df(Zs[l - 1], elu.f(Zs[l - 1]))
        q_hat.append([np.mean(Z**2) for Z in Zs])
        g_hat.append(np.array(g[::-1]) / g[0])
    q_hat, g_hat = np.array(q_hat), np.array(g_hat)
    mf = th.mean_field_layers("elu", s2, np.mean(X**2, axis=1), sigma_w2_back=back)
    # Tolerance: 5 standard errors of the mean over nets (sd over nets / sqrt(n_nets)) plus
    # the mean-field bias: each layer's length is a mean over >= 600 units, relative sd
    # ~ sqrt(2 / 600), and the smooth map turns that noise into a bias ~ Var / 2, i.e.
    # O(1 / width) per layer; allow L / 600 relative for the L layers.
    for est, pred in ((q_hat, mf["q"]), (g_hat, mf["grad_var"])):
        tol = 5 * est.std(axis=0, ddof=1) / math.sqrt(n_nets) + len(s2) / 600 * pred
        assert np.all(np.abs(est.mean(axis=0) - pred) <= tol), (est.mean(axis=0), pred, tol)
    assert np.ptp(mf["q"]) > 0.5 * mf["q"].min()           # the profile really moves
    assert abs(mf["grad_var"][0] - 1) > 0.1


@pytest.mark.parametrize("call, error, match", [
    (lambda: th.mean_field_layers("tanh", []), ValueError, r"\[\]"),
    (lambda: th.mean_field_layers("tanh", [1.0, 0.0]), ValueError, "0.0"),
    (lambda: th.mean_field_layers("tanh", [1.0, 2.0], sigma_w2_back=[1.0]), ValueError, "1.0"),
    (lambda: th.mean_field_layers("tanh", [1.0], input_var=np.zeros(2)), ValueError, "0."),
    (lambda: th.mean_field_layers("tanh", [1.0], sigma_b2=-1.0), ValueError, "-1.0"),
    (lambda: th.mean_field_layers("nope", [1.0]), ValueError, "'nope'"),
])
def test_bad_arguments_are_named(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
