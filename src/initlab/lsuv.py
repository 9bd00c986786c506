"""Layer-sequential unit-variance (LSUV) initialization (Mishkin and Matas 2016).

Why: the textbook gains (1 for linear, 5/3 for tanh, sqrt(2) for ReLU) exist only for
activations whose second moment has a closed form. LSUV needs none: start from orthogonal
weights, then, layer by layer from the input, push a batch through and rescale the layer's
weights until the variance of its output (the pre-activation ``Z_l``) is 1:
``W_l <- W_l / sqrt(Var(Z_l))``, repeated while ``|Var(Z_l) - 1| > tol`` (at most
``max_iter`` times). With zero biases one pass is exact: ``Z_l`` is linear in ``W_l``, so
``Var(c Z_l) = c^2 Var(Z_l)``; non-zero biases, which are not rescaled, make it inexact.

Shapes: ``X_batch`` is ``(batch, n_in)``; layer ``l``'s output ``Z_l`` is ``(batch, n_out)``.
Biases are left as they are (zero in the paper). The output layer is included, as in the paper.
"""

from __future__ import annotations

import numpy as np

from initlab._checks import check_int, check_positive, check_rng
from initlab.initializers import orthogonal
from initlab.network import MLP


def lsuv(
    model: MLP,
    X_batch: np.ndarray,
    rng: np.random.Generator | None = None,
    tol: float = 0.1,
    max_iter: int = 10,
    orthogonal_init: bool = True,
) -> dict[str, list]:
    """Rescale ``model``'s weights in place so every layer's output variance is ``1 +- tol``.

    With ``orthogonal_init`` (the paper's recipe) each weight is first redrawn as an
    orthogonal matrix from ``rng`` (required then). Returns per layer: ``var_before`` (after
    the orthogonal pre-init, before rescaling), ``var_after`` and ``iterations``.
    """
    check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    X = model.check_input(X_batch)
    if len(X) < 2:
        raise ValueError(f"X_batch needs at least 2 rows to estimate a variance, got {len(X)}")
    if orthogonal_init:
        check_rng(rng)
        for W in model.weights:
            W[...] = orthogonal(W.shape, rng, W.dtype)
    report: dict[str, list] = {"var_before": [], "var_after": [], "iterations": []}
    for l, W in enumerate(model.weights):
        var = _output_variance(model, X, l)
        report["var_before"].append(var)
        iterations = 0
        while abs(var - 1.0) > tol and iterations < max_iter:
            if not np.isfinite(var) or var == 0.0:
                raise ValueError(
                    f"layer {l}: output variance is {var!r}; LSUV cannot rescale it "
                    "(dead or overflowing layer: check the input batch and the activation)")
            W /= np.sqrt(var)  # Var(Z) scales with the square of W: one step hits 1 if linear
            var = _output_variance(model, X, l)
            iterations += 1
        report["var_after"].append(var)
        report["iterations"].append(iterations)
    return report


def _output_variance(model: MLP, X: np.ndarray, layer: int) -> float:
    """``Var(Z_layer)`` over the batch and units, from a forward pass up to ``layer``."""
    A = X
    for l in range(layer + 1):
        Z = A @ model.weights[l] + model.biases[l]
        A = model.activations[l].f(Z)
    with np.errstate(all="ignore"):
        return float(np.var(Z))
