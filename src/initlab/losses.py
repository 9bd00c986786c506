"""Losses on network outputs, each returning ``(value, gradient)``.

Why: the training loop needs the mean loss over a batch and its gradient with respect to
the network's output in one call; computing both together lets softmax cross-entropy use
the stable log-sum-exp form and the famous gradient ``(softmax(Z) - onehot(y)) / batch``.

Shapes: ``logits``/``y_hat`` are ``(batch, n_out)``; class labels ``y`` are ints ``(batch,)``;
binary labels ``(batch,)`` or ``(batch, 1)`` in {0, 1}; regression targets match ``y_hat``.
Every value is the mean over the batch, so the gradient carries a ``1 / batch`` factor.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from initlab._checks import check_choice

Loss = Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]


def _check_labels(y: np.ndarray, batch: int, n_classes: int) -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (batch,):
        raise ValueError(f"labels must have shape ({batch},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if not np.issubdtype(y.dtype, np.floating) or not np.all(np.mod(y, 1) == 0):
            raise ValueError(f"labels must be integers, got dtype {y.dtype} (e.g. {y[:3]!r})")
        y = y.astype(np.int64)
    if batch and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"labels must be in [0, {n_classes - 1}], got values from {y.min()} to {y.max()}"
        )
    return y


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(logits)`` against integer labels ``y``.

    ``L = mean_i [ logsumexp(Z_i) - Z_{i, y_i} ]`` (shifted by ``max Z_i`` so exp never
    overflows); ``dL/dZ = (softmax(Z) - onehot(y)) / batch``.
    """
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D (batch, n_classes), got shape {logits.shape}")
    batch, n_classes = logits.shape
    y = _check_labels(y, batch, n_classes)
    rows = np.arange(batch)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    sum_exp = exp.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(sum_exp[:, 0]) - shifted[rows, y]))
    grad = exp / sum_exp  # softmax
    grad[rows, y] -= 1.0
    grad /= batch
    return loss, grad


def binary_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy of ``sigmoid(logits)`` against labels in {0, 1}.

    ``L = mean[ max(z, 0) - z y + log(1 + exp(-|z|)) ]`` (stable form);
    ``dL/dz = (sigmoid(z) - y) / batch``.
    """
    z = logits.reshape(len(logits), -1)
    if z.shape[1] != 1:
        raise ValueError(f"binary cross-entropy needs one logit per example, got {logits.shape}")
    z = z[:, 0]
    yb = np.asarray(y, dtype=float).reshape(-1)
    if yb.shape != z.shape:
        raise ValueError(f"labels must have {z.shape[0]} entries, got shape {np.shape(y)}")
    if not np.all((yb == 0) | (yb == 1)):
        raise ValueError(f"binary labels must be 0 or 1, got values {np.unique(yb)[:5]!r}")
    loss = float(np.mean(np.maximum(z, 0) - z * yb + np.log1p(np.exp(-np.abs(z)))))
    e = np.exp(-np.abs(z))
    sig = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return loss, ((sig - yb) / len(z)).reshape(logits.shape)


def mean_squared_error(y_hat: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """``L = mean over examples of sum_j (y_hat - y)^2 / 2``; ``dL/dy_hat = (y_hat - y) / batch``.

    The 1/2 and the sum over outputs make the gradient the plain residual (per example).
    """
    y = np.asarray(y, dtype=float)
    if y.size != y_hat.size:
        raise ValueError(f"targets must have as many entries as predictions {y_hat.shape}, "
                         f"got shape {y.shape}")
    y = y.reshape(y_hat.shape)
    diff = y_hat - y
    batch = len(y_hat)
    return float(0.5 * np.sum(diff * diff) / batch), diff / batch


_REGISTRY: dict[str, Loss] = {
    f.__name__: f for f in (softmax_cross_entropy, binary_cross_entropy, mean_squared_error)
}


def get(name: str | Loss) -> Loss:
    """Return the loss ``name``; a callable is returned unchanged."""
    if callable(name):
        return name
    check_choice(name, "loss", _REGISTRY)
    return _REGISTRY[name]
