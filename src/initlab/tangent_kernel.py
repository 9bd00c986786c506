"""The empirical (neural) tangent kernel of an MLP on a probe set.

What: for a network output ``f(x; theta)`` (one output unit), the per-example parameter
gradients ``J[i] = d f(x_i) / d theta`` stacked into the Jacobian ``J`` of shape
``(n_probe, n_params)``, and the kernel ``K = J J^T``, ``(n_probe, n_probe)``:
``K[i, j] = <grad_theta f(x_i), grad_theta f(x_j)>``.

Why: gradient descent on the squared loss moves the outputs by ``df/dt = -K (f - y)``, so as
long as ``K`` stays at its initial value the network trains like kernel regression with that
kernel (Jacot, Gabriel and Hongler 2018, "Neural Tangent Kernel"). How much ``K`` changes during
training is the cleanest measure of whether a network learned features ("rich") or stayed near
its linearization ("lazy", Chizat, Oyallon and Bach 2019): chapter 18 tracks
``||K_t - K_0||_F / ||K_0||_F``.

How: one ``forward``/``backward`` with ``dout = 1`` for every row. With an identity output the
rows of ``dL/dZ_l`` that :meth:`~initlab.network.MLP.backward` leaves in ``model.dZ`` are then the
per-example ``d f(x_i) / d Z_l[i]`` (example ``i`` only touches row ``i``), and the per-example
gradients are ``dW_l[i] = outer(A_l[i], dZ_l[i])``, ``db_l[i] = dZ_l[i]``. The kernel needs no
Jacobian: ``<outer(a_i, g_i), outer(a_j, g_j)> = (a_i . a_j)(g_i . g_j)``, so
``K = sum_l (A_l A_l^T + 1) * (dZ_l dZ_l^T)`` (elementwise product; the ``+ 1`` is the bias).

Shapes: ``X`` is ``(n_probe, n_in)``; ``model.A[l]`` is ``(n_probe, sizes[l])``,
``model.dZ[l]`` is ``(n_probe, sizes[l+1])``. Parameters in the order of
:meth:`~initlab.network.MLP.parameters` (``W_0, b_0, W_1, b_1, ...``, each flattened row-major).
"""

from __future__ import annotations

import numpy as np

from initlab._checks import check_int
from initlab.network import MLP


def _backward_unit(model: MLP, X: np.ndarray, output: int) -> None:
    """Forward ``X`` and back-propagate ``dout = e_output`` for every row (fills A, dZ)."""
    output = check_int(output, "output", minimum=0)
    if output >= model.sizes[-1]:
        raise ValueError(f"`output` must be < {model.sizes[-1]} (the output units), got {output}")
    if model.activations[-1].name != "identity":
        raise ValueError("the tangent kernel here needs an identity output activation, got "
                         f"{model.activations[-1].name!r}")
    out = model.forward(X, keep=True)
    dout = np.zeros_like(out)
    dout[:, output] = 1.0                       # d f_output(x_i) / d out[i]
    model.backward(dout)


def jacobian(model: MLP, X: np.ndarray, output: int = 0) -> np.ndarray:
    """``(n_probe, n_params)``: row ``i`` is ``d f_output(x_i) / d theta``, flattened."""
    _backward_unit(model, X, output)
    blocks = []
    for A, dZ in zip(model.A[:-1], model.dZ, strict=True):
        blocks.append((A[:, :, None] * dZ[:, None, :]).reshape(len(A), -1))  # outer(a_i, g_i)
        blocks.append(dZ)                                                     # bias: g_i
    return np.concatenate(blocks, axis=1)


def kernel(model: MLP, X: np.ndarray, output: int = 0) -> np.ndarray:
    """``(n_probe, n_probe)`` empirical tangent kernel ``K = J J^T`` of output unit ``output``.

    ``K = sum_l (A_l A_l^T + 1) * (dZ_l dZ_l^T)``: the weight part ``(a_i . a_j)(g_i . g_j)``
    plus the bias part ``g_i . g_j``, never forming ``J``.
    """
    _backward_unit(model, X, output)
    K = np.zeros((len(X), len(X)))
    for A, dZ in zip(model.A[:-1], model.dZ, strict=True):
        K += (A @ A.T + 1.0) * (dZ @ dZ.T)
    return K


def relative_change(K: np.ndarray, K0: np.ndarray) -> float:
    """``||K - K0||_F / ||K0||_F``: how far the kernel moved from its initial value."""
    if K.shape != K0.shape:
        raise ValueError(f"kernels differ in shape: {K.shape} vs {K0.shape}")
    return float(np.linalg.norm(K - K0) / np.linalg.norm(K0))
