"""The diagonal linear network and its implicit bias: from the l1 to the l2 interpolant.

What: the model ``f(x) = <beta, x>`` with ``beta = u * u - v * v`` (elementwise), both ``u``
and ``v`` initialized to ``alpha * 1``, so ``beta = 0`` at init for every scale ``alpha``
(Woodworth et al. 2020, "Kernel and Rich Regimes in Overparametrized Models", the depth-2
model of their section 4). :func:`gradient_descent` trains it on the squared loss
``L = ||X beta - y||^2 / (2 n)``; with fewer examples than dimensions (``n < d``) the loss has
a whole affine space of zeros, and the init scale decides which one it reaches.

Woodworth et al.'s theorem: the gradient flow that reaches ``X beta = y`` reaches

    beta_alpha = argmin Q_alpha(beta)  subject to  X beta = y,
    Q_alpha(beta) = alpha^2 sum_i q(beta_i / alpha^2),
    q(z) = 2 - sqrt(4 + z^2) + z arcsinh(z / 2),

(:func:`potential`, :func:`implicit_bias_solution`). Why: under the flow ``du/dt = -2 u * g``,
``dv/dt = +2 v * g`` with ``g = X^T r / n``, so ``u = alpha exp(-2 s)``, ``v = alpha exp(2 s)``
with ``s = X^T int r / n``, hence ``beta = -2 alpha^2 sinh(4 s) = 2 alpha^2 sinh(X^T nu)`` for
some ``nu``; that is the stationarity condition ``q'(beta_i / alpha^2) = arcsinh(beta_i /
(2 alpha^2)) = (X^T nu)_i`` of the convex problem above. Limits: ``q(z) ~ z^2 / 4`` near 0,
so for large ``alpha`` ``Q_alpha ~ ||beta||_2^2 / (4 alpha^2)`` (the kernel regime: the
minimum-l2 interpolant, :func:`min_norm`); ``q(z) ~ |z| ln|z|`` for large ``|z|``, so for small
``alpha`` ``Q_alpha / ln(1 / alpha^2) -> ||beta||_1`` (the rich regime: basis pursuit,
:func:`basis_pursuit`, which recovers a sparse vector from few measurements).

Shapes: ``X`` is ``(n, d)`` (rows are examples), ``y`` is ``(n,)``, ``beta`` is ``(d,)``;
:func:`gradient_descent` trains one network per entry of ``alphas`` at once and returns
``(d, n_alphas)``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from initlab._checks import check_finite_array, check_int, check_positive


def _check_problem(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    X = check_finite_array(X, "X").astype(np.float64)
    y = check_finite_array(y, "y").astype(np.float64)
    if X.ndim != 2 or y.shape != (len(X),):
        raise ValueError(f"X must be (n, d) and y (n,), got {X.shape} and {y.shape}")
    return X, y


def q(z: np.ndarray) -> np.ndarray:
    """Woodworth et al.'s ``q(z) = 2 - sqrt(4 + z^2) + z arcsinh(z / 2)``.

    ``q(0) = 0``, ``q'(z) = arcsinh(z / 2)``, ``q''(z) = 1 / sqrt(4 + z^2) > 0``: convex.
    """
    z = np.asarray(z, dtype=np.float64)
    # 2 - sqrt(4 + z^2) = -z^2 / (2 + sqrt(4 + z^2)): the same value without cancellation
    return z * np.arcsinh(z / 2.0) - z**2 / (2.0 + np.sqrt(4.0 + z**2))


def potential(beta: np.ndarray, alpha: float) -> float:
    """``Q_alpha(beta) = alpha^2 sum_i q(beta_i / alpha^2)``: the potential the flow minimizes."""
    alpha = check_positive(alpha, "alpha")
    return float(alpha**2 * np.sum(q(np.asarray(beta) / alpha**2)))


def stable_lr(X: np.ndarray, alphas: np.ndarray, beta_max: float = 2.0) -> np.ndarray:
    """Per-``alpha`` step ``1 / (4 lambda_max(X^T X / n) (beta_max + 2 alpha^2))``.

    The loss' curvature in ``(u, v)`` is ``4 (u^2 + v^2) X^T X / n`` and ``u v = alpha^2`` is
    conserved by the flow, so ``u^2 + v^2 = sqrt(beta^2 + 4 alpha^4) <= |beta| + 2 alpha^2``;
    the step is half the gradient-descent stability limit while ``|beta_i| <= beta_max``.
    """
    X = check_finite_array(X, "X")
    lam = float(np.linalg.eigvalsh(X.T @ X / len(X))[-1])
    return 1.0 / (4.0 * lam * (check_positive(beta_max, "beta_max")
                               + 2.0 * np.asarray(alphas, dtype=np.float64) ** 2))


def gradient_descent(X: np.ndarray, y: np.ndarray, alphas: np.ndarray, lr: np.ndarray, *,
                     max_steps: int, tol: float = 1e-6) -> dict:
    """Full-batch gradient descent on ``||X beta - y||^2 / (2 n)``, one network per ``alpha``.

    ``u = v = alpha`` at init; per step ``g = X^T (X beta - y) / n``, ``u <- u - lr 2 u g``,
    ``v <- v + lr 2 v g`` (``lr`` one value per ``alpha``). Stops when every network's largest
    residual ``|X beta - y|`` is below ``tol`` (checked every 100 steps) or at ``max_steps``.
    Returns ``beta`` ``(d, n_alphas)``, ``max_residual`` ``(n_alphas,)`` and ``steps``.
    """
    X, y = _check_problem(X, y)
    alphas = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    lr = np.broadcast_to(np.asarray(lr, dtype=np.float64), alphas.shape)
    if (alphas <= 0).any() or (lr <= 0).any():
        raise ValueError(f"alphas and lr must be > 0, got {alphas} and {lr}")
    max_steps = check_int(max_steps, "max_steps", minimum=1)
    n, d = X.shape
    u = np.tile(alphas, (d, 1))                       # (d, n_alphas)
    v = u.copy()
    c = 2.0 * lr / n
    step = 0
    while step < max_steps:
        beta = u * u
        beta -= v * v                                 # beta = u^2 - v^2
        R = X @ beta
        R -= y[:, None]                               # residuals (n, n_alphas)
        if step % 100 == 0 and np.abs(R).max() < tol:
            break
        G = X.T @ R
        G *= c                                        # 2 lr g, g = X^T r / n = dL/dbeta
        u *= 1.0 - G                                  # u <- u - lr dL/du,  dL/du = 2 u g
        v *= 1.0 + G                                  # v <- v - lr dL/dv,  dL/dv = -2 v g
        step += 1
    beta = u * u - v * v
    return {"beta": beta, "max_residual": np.abs(X @ beta - y[:, None]).max(axis=0),
            "steps": step}


def implicit_bias_solution(X: np.ndarray, y: np.ndarray, alpha: float, *, tol: float = 1e-9,
                           max_iter: int = 500) -> np.ndarray:
    """``argmin Q_alpha(beta)`` subject to ``X beta = y``, by Newton's method on the dual.

    The minimizer is ``beta(nu) = 2 alpha^2 sinh(X^T nu)`` where ``nu`` minimizes the smooth
    convex dual ``phi(nu) = 2 alpha^2 sum_i cosh((X^T nu)_i) - nu . y`` (its gradient
    ``X beta(nu) - y`` vanishes exactly on the constraint; Hessian
    ``2 alpha^2 X diag(cosh(X^T nu)) X^T``). Damped Newton with backtracking on ``phi``, until
    ``max |X beta - y| <= tol * (1 + max |y|)``.
    """
    X, y = _check_problem(X, y)
    a2 = 2.0 * check_positive(alpha, "alpha") ** 2

    def phi(nu: np.ndarray) -> float:
        with np.errstate(over="ignore"):              # a far trial step: inf, backtracked
            return float(a2 * np.sum(np.cosh(X.T @ nu)) - nu @ y)

    nu = np.zeros(len(X))
    for _ in range(max_iter):
        z = X.T @ nu
        grad = X @ (a2 * np.sinh(z)) - y              # = X beta(nu) - y
        if np.abs(grad).max() <= tol * (1.0 + np.abs(y).max()):
            return a2 * np.sinh(z)
        H = (X * (a2 * np.cosh(z))) @ X.T
        step = np.linalg.solve(H, grad)
        t, f0, slope = 1.0, phi(nu), float(grad @ step)
        slack = 1e-13 * abs(f0)                       # phi's rounding: near the end, no test
        while phi(nu - t * step) > f0 - 0.25 * t * slope + slack and t > 1e-12:
            t /= 2.0                                  # Armijo backtracking
        nu = nu - t * step
    raise RuntimeError(f"Newton did not converge in {max_iter} iterations at alpha={alpha!r} "
                       f"(max residual {np.abs(grad).max():.3g})")


def basis_pursuit(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``argmin ||beta||_1`` subject to ``X beta = y`` (Chen, Donoho and Saunders 1998).

    As a linear program over ``beta = p - m`` with ``p, m >= 0``: minimize ``sum(p + m)``
    subject to ``X (p - m) = y`` (scipy's HiGHS solver).
    """
    X, y = _check_problem(X, y)
    d = X.shape[1]
    res = linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=(0, None),
                  method="highs")
    if not res.success:
        raise RuntimeError(f"basis pursuit failed: {res.message}")
    return res.x[:d] - res.x[d:]


def min_norm(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``argmin ||beta||_2`` subject to ``X beta = y``: ``X^+ y`` (the pseudo-inverse)."""
    X, y = _check_problem(X, y)
    return np.linalg.pinv(X) @ y
