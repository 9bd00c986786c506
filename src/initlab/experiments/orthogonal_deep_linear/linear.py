"""Chapter 11, deep linear networks: the task, the nets and their full-batch training.

What: a linear teacher ``y = X @ M`` with ``M = sum_i s_i v_i u_i^T`` (``v_i`` input, ``u_i``
output directions), inputs whitened within a given basis, bias-free linear nets
``y_hat = X @ W_1 @ ... @ W_D`` (activation ``"identity"``, biases zero and never updated) and
full-batch gradient descent on the squared loss until a criterion. With inputs whitened on the
span of ``V`` the loss is ``L = 1/2 ||V^T (W_total - M)||_F^2``: it depends on the weights only
through the end-to-end map ``W_total`` (Saxe et al. 2014). The experiments of
:mod:`initlab.experiments.orthogonal_deep_linear` are built from these pieces.

Why: a deep linear net computes one linear map, so every effect of depth on its training is an
effect of the product ``W_1 ... W_D``, which we can measure exactly (mode strengths, spectra).

Shapes: weights ``(n_in, n_out)``, ``X`` ``(n, N)`` rows are examples, ``V``, ``U`` ``(N, r)``
orthonormal columns, ``M`` ``(N, N)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab import initializers, losses, network, stats
from initlab._checks import check_choice, check_int, check_positive, check_rng


def whitened_inputs(n: int, basis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``X = Z @ basis.T`` ``(n, N)`` with ``Z`` ``(n, k)`` Gaussian, centred and exactly white.

    ``basis`` ``(N, k)`` has orthonormal columns. ``Z`` is a Gaussian draw projected off the
    all-ones vector and orthonormalised (QR), times ``sqrt(n)``: ``Z.sum(0) = 0`` and
    ``Z.T @ Z / n = I_k`` exactly, so the input covariance is ``basis @ basis.T`` and the bias
    gradients of a linear net, ``sum over rows of dL/dZ``, vanish.
    """
    check_rng(rng)
    basis = np.asarray(basis, dtype=float)
    k = basis.shape[1]
    n = check_int(n, "n", minimum=k + 1)
    G = rng.standard_normal((n, k))
    G -= G.mean(axis=0)                      # centre: orthogonal to the ones vector
    Q, R = np.linalg.qr(G)
    Z = math.sqrt(n) * Q * np.sign(np.diag(R))
    return Z @ basis.T


def linear_teacher(n_features: int, singular_values: Sequence[float],
                   rng: np.random.Generator) -> dict:
    """Teacher ``M = V diag(s) U^T`` ``(N, N)`` with random orthonormal ``V``, ``U`` ``(N, r)``.

    ``y = x @ M`` maps input direction ``v_i`` to ``s_i u_i``; the ``s_i`` must be positive.
    """
    check_rng(rng)
    s = np.array([check_positive(v, "singular value") for v in singular_values])
    n_features = check_int(n_features, "n_features", minimum=len(s))
    V = initializers.orthogonal((n_features, len(s)), rng)
    U = initializers.orthogonal((n_features, len(s)), rng)
    return {"M": (V * s) @ U.T, "V": V, "U": U, "s": s}


def sweep_task(singular_values: Sequence[float], *, width: int, n_examples: int,
               criterion: float, seed: int) -> dict:
    """The teacher in ``width`` dimensions and ``n_examples`` inputs whitened within its input
    directions, both from ``default_rng(seed)``. ``X`` ``(n, width)``, ``y = X @ M``, ``V``,
    ``U``, ``s``, ``loss_zero = 1/2 sum_i s_i^2`` (the loss of ``W_total = 0``) and the loss
    ``target = criterion * loss_zero``."""
    rng = np.random.default_rng(check_int(seed, "seed"))
    teacher = linear_teacher(width, singular_values, rng)
    X = whitened_inputs(n_examples, teacher["V"], rng)
    loss_zero = 0.5 * float(np.sum(teacher["s"] ** 2))      # L(W_total = 0) = 1/2 sum s_i^2
    return {"X": X, "y": X @ teacher["M"], "V": teacher["V"], "U": teacher["U"],
            "s": teacher["s"], "loss_zero": loss_zero, "target": criterion * loss_zero}


def end_to_end(model: network.MLP) -> np.ndarray:
    """``W_total = W_1 @ W_2 @ ... @ W_D`` ``(n_in, n_out)``: the map of a bias-free linear net."""
    W = model.weights[0]
    for W_next in model.weights[1:]:
        W = W @ W_next
    return W


def mode_strengths(W_total: np.ndarray, V: np.ndarray, U: np.ndarray) -> np.ndarray:
    """``a_i = v_i^T W_total u_i`` ``(r,)``: how much of teacher mode ``i`` the net has learned."""
    return np.einsum("ir,ij,jr->r", V, W_total, U)


def linear_net(depth: int, width: int, init: str, rng: np.random.Generator) -> network.MLP:
    """``depth`` square ``(width, width)`` identity-activation layers, zero biases."""
    depth = check_int(depth, "depth", minimum=1)
    return network.MLP([width] * (depth + 1), rng, activation="identity",
                       weight_init=init, bias_init="zeros")


def product_spectrum(depth: int, width: int, init: str, rng: np.random.Generator) -> np.ndarray:
    """Singular values ``(width,)`` of ``W_total`` of a fresh :func:`linear_net`, descending.

    Orthogonal layers: ``W_total`` is orthogonal, every singular value 1. Gaussian layers with
    ``Var(w) = 1 / width``: ``E |x W_total|^2 = |x|^2``, but the singular values spread like
    ``exp(gamma_i D)`` with distinct Lyapunov exponents ``gamma_1 > ... > gamma_N``.
    """
    return np.linalg.svd(end_to_end(linear_net(depth, width, init, rng)), compute_uv=False)


def gd_step(model: network.MLP, X: np.ndarray, y: np.ndarray, lr: float) -> float:
    """One full-batch gradient-descent step on the weights only; returns the loss before it.

    ``L = mean_rows sum_j (y_hat - y)^2 / 2`` (:func:`initlab.losses.mean_squared_error`),
    gradients from ``model.backward``, then ``W_l <- W_l - lr dL/dW_l``. The biases are not
    updated, so they stay exactly zero: the net is the bias-free linear map ``X @ W_total``.
    """
    loss, dout = losses.mean_squared_error(model.forward(X, keep=True, check=False), y)
    grads = model.backward(dout)
    for W, dW in zip(model.weights, grads[0::2], strict=True):
        W -= lr * dW
    return loss


def train_to_criterion(model: network.MLP, X: np.ndarray, y: np.ndarray, lr: float,
                       target: float, max_epochs: int) -> dict:
    """Full-batch gradient descent (:func:`gd_step`) until the loss is ``<= target``.

    Returns ``loss`` ``(k,)``, the finite losses after 0, 1, ... steps (it stops at the first
    one ``<= target``, after ``max_epochs`` steps, or before a non-finite loss); ``epochs`` =
    ``stats.first_reach(loss, target, above=False)``: the number of steps it took, ``inf`` if
    the criterion was not reached (the book's censoring rule); and ``diverged``.
    """
    lr = check_positive(lr, "lr")
    max_epochs = check_int(max_epochs, "max_epochs", minimum=1)
    X = model.check_input(X)
    history, diverged = [], False
    for epoch in range(max_epochs + 1):
        if epoch < max_epochs:
            loss = gd_step(model, X, y, lr)              # loss after `epoch` steps
        else:
            loss = losses.mean_squared_error(model.forward(X, keep=False), y)[0]
        if not math.isfinite(loss):
            diverged = True
            break
        history.append(loss)
        if loss <= target:       # gd_step has already taken one more step: the count is `epoch`
            break
    loss = np.array(history)
    epochs = stats.first_reach(loss, target, above=False) if loss.size else math.inf
    return {"epochs": epochs, "diverged": diverged, "loss": loss}


def run_to_criterion(config: dict) -> dict:
    """One net of a sweep (top level, so ``sweep.run`` can pickle it): ``config`` holds
    ``init``, ``depth``, ``seed`` (weights), ``lr``, ``max_epochs`` and the ``task``
    (:func:`sweep_task`). Returns :func:`train_to_criterion`'s dict and ``final_modes``
    ``(r,)``, the mode strengths of ``W_total`` at the end."""
    task = config["task"]
    model = linear_net(config["depth"], task["X"].shape[1], config["init"],
                       np.random.default_rng(config["seed"]))
    out = train_to_criterion(model, task["X"], task["y"], config["lr"], task["target"],
                             config["max_epochs"])
    return {**out, "final_modes": mode_strengths(end_to_end(model), task["V"], task["U"])}


# ------------------------------------------------------------- the two-layer staircase


def small_init(kind: str, n_features: int, hidden: int, teacher: dict, scale: float,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(W_1, W_2)`` of shapes ``(N, H)``, ``(H, N)`` for the two-layer staircase.

    ``"aligned"`` (Saxe et al.'s decoupled, balanced init): ``W_1 = sqrt(a0) V R^T``,
    ``W_2 = sqrt(a0) R U^T`` with ``R`` ``(H, r)`` orthonormal and ``a0 = scale``: every teacher
    mode starts at strength ``a0`` and evolves exactly by the one-mode equation.
    ``"random"``: independent ``N(0, scale^2)`` entries.
    """
    check_choice(kind, "kind", ("aligned", "random"))
    scale = check_positive(scale, "scale")
    if kind == "random":
        return (scale * rng.standard_normal((n_features, hidden)),
                scale * rng.standard_normal((hidden, n_features)))
    R = initializers.orthogonal((hidden, len(teacher["s"])), rng)
    return math.sqrt(scale) * teacher["V"] @ R.T, math.sqrt(scale) * R @ teacher["U"].T


def effective_a0(W1: np.ndarray, W2: np.ndarray, teacher: dict) -> np.ndarray:
    """Initial strength ``(r,)`` that the one-mode theory should start from, per mode.

    Mode ``i`` lives in ``w1 = W_1^T v_i`` and ``w2 = W_2 u_i`` (both in R^H). While small,
    ``tau d(w1 + w2)/dt = s (w1 + w2)`` and ``tau d(w1 - w2)/dt = -s (w1 - w2)``: the difference
    dies out and the strength ``w1 . w2`` tends to ``|w1 + w2|^2 / 4 * e^{2 s t / tau}``, i.e. a
    balanced mode of ``a0 = |w1 + w2|^2 / 4``. (For the aligned init this is ``a0`` itself.)
    """
    w_sum = W1.T @ teacher["V"] + W2 @ teacher["U"]          # (H, r), column i = w1 + w2
    return np.sum(w_sum ** 2, axis=0) / 4.0


def first_crossing(values: np.ndarray, level: float) -> float:
    """First (fractional) step at which ``values`` ``(T,)`` reaches ``level`` from below.

    ``k = stats.first_reach(values, level)`` (``inf``: never, the book's censoring rule), then
    linear interpolation between steps ``k - 1`` and ``k``; 0 if ``values[0] >= level``.
    """
    values = np.asarray(values, dtype=float)
    k = stats.first_reach(values, level)
    if not math.isfinite(k) or k == 0:
        return k
    k = int(k)
    return (k - 1) + (level - values[k - 1]) / (values[k] - values[k - 1])
