"""Tests of initlab.theory's deep-linear dynamics (Saxe et al. 2014).

References: plain-numpy gradient descent on a balanced two-layer linear net (the mode
strength, with an error that must halve with the step size), and numerical integration of
the mode ODEs with scipy's solve_ivp and its event location (half-times, forgetting times).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from initlab import theory as th


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


@pytest.mark.parametrize(("s", "a0", "tau"),
                         [(3.0, 1e-4, 100.0), (1.0, 0.2, 7.0), (0.5, 1e-3, 1.0)])
def test_mode_strength_and_half_time_solve_the_mode_ode(s: float, a0: float, tau: float) -> None:
    # tau da/dt = 2 a (s - a) from a(0) = a0, by an adaptive Runge-Kutta (rtol 1e-11), with
    # the crossing a = s / 2 located as an event
    def rhs(t: float, a: np.ndarray) -> np.ndarray:
        return 2 * a * (s - a) / tau

    def half(t: float, a: np.ndarray) -> float:
        return a[0] - s / 2

    half.terminal = False
    t_end = 3 * tau / (2 * s) * math.log(s / a0)            # well past the rise
    t_eval = np.linspace(0, t_end, 50)
    sol = solve_ivp(rhs, (0, t_end), [a0], method="DOP853", rtol=1e-11, atol=1e-14,
                    t_eval=t_eval, events=half)
    np.testing.assert_allclose(th.saxe_mode_strength(t_eval, s, a0, tau), sol.y[0], rtol=1e-8)
    assert th.saxe_half_time(s, a0, tau) == pytest.approx(sol.t_events[0][0], rel=1e-8)
    assert th.saxe_mode_strength(th.saxe_half_time(s, a0, tau), s, a0, tau) == pytest.approx(
        s / 2, rel=1e-12)


@pytest.mark.parametrize("depth", [2, 3, 16])
def test_forget_time_solves_the_decay_ode(depth: int) -> None:
    # du/dt = -lr D u^(3 - 2/D) per step with lr = lr_times_depth / D, from u = 1, until the
    # event u = u_star
    lr_times_depth, u_star = 0.1, 0.2

    def rhs(t: float, u: np.ndarray) -> np.ndarray:
        return -lr_times_depth * np.abs(u) ** (3 - 2 / depth)

    def reached(t: float, u: np.ndarray) -> float:
        return u[0] - u_star

    reached.terminal = True
    sol = solve_ivp(rhs, (0, 1e4), [1.0], method="DOP853", rtol=1e-11, atol=1e-14,
                    events=reached)
    assert th.saxe_forget_time(depth, u_star, lr_times_depth) == pytest.approx(
        sol.t_events[0][0], rel=1e-8)
