"""Layer normalization and batch normalization, forward and hand-written backward.

What: both layers standardize a pre-activation, then rescale it with a learnable gain and bias:

    x_hat = (x - mu) / sqrt(var + eps),      y = gain * x_hat + bias

LayerNorm (Ba, Kiros and Hinton 2016, "Layer Normalization") takes ``mu`` and ``var`` over the
``n`` features of each ROW (one example), so it does the same thing at training and test time.
BatchNorm (Ioffe and Szegedy 2015, "Batch Normalization: Accelerating Deep Network Training by
Reducing Internal Covariate Shift") takes them over the ``batch`` rows, per feature (COLUMN), in
training mode, and uses running averages of them in evaluation mode (:class:`BatchNorm`).

Why here: a normalized layer's output does not change when the weights feeding it are scaled
by ``c > 0`` (``x -> c x`` gives the same ``x_hat`` up to ``eps``), yet its gradient is divided
by ``c``: the initial scale no longer sets the forward pass but still sets the effective
learning rate (chapter 16). And a batch-normalized deep plain network explodes its gradients
at init (Yang et al. 2019), whatever the weight scale.

Backward: with ``g = dy * gain`` the gradient through the standardization along the normalized
axis (``m`` entries: ``n`` for LayerNorm, ``batch`` for BatchNorm) is

    dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)

and ``dgain = sum_rows(dy * x_hat)``, ``dbias = sum_rows(dy)`` (both layers keep one gain and
bias per feature, shape ``(n,)``).

Shapes: ``x`` and ``y`` are ``(batch, n)``, rows are examples; ``gain`` and ``bias`` ``(n,)``.
Variances are the biased ones (divide by ``m``), as in both papers' training-mode formulas.
"""

from __future__ import annotations

import numpy as np

from initlab._checks import check_finite_array, check_int, check_positive


def _check(x: object, gain: object, bias: object, eps: float) -> tuple[np.ndarray, ...]:
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"`x` must have shape (batch, n), got shape {x.shape}")
    gain, bias = np.asarray(gain), np.asarray(bias)
    for name, p in (("gain", gain), ("bias", bias)):
        if p.shape != (x.shape[1],):
            raise ValueError(f"`{name}` must have shape ({x.shape[1]},), got shape {p.shape}")
    check_positive(eps, "eps")
    return x, gain, bias


def _normalize(x: np.ndarray, gain: np.ndarray, bias: np.ndarray, eps: float, axis: int):
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, keepdims=True)  # biased: mean((x - mu)^2)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    y = gain * x_hat + bias
    return y, {"x_hat": x_hat, "inv_std": inv_std, "gain": gain, "axis": axis,
               "mean": mu, "var": var}


def _normalize_backward(dy: np.ndarray, cache: dict) -> tuple[np.ndarray, ...]:
    x_hat, inv_std, axis = cache["x_hat"], cache["inv_std"], cache["axis"]
    dy = np.asarray(dy)
    if dy.shape != x_hat.shape:
        raise ValueError(f"`dy` must have shape {x_hat.shape}, got shape {dy.shape}")
    g = dy * cache["gain"]  # gradient w.r.t. x_hat
    # dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps), means along `axis`
    dx = (g - g.mean(axis=axis, keepdims=True)
          - x_hat * (g * x_hat).mean(axis=axis, keepdims=True)) * inv_std
    dgain = (dy * x_hat).sum(axis=0)
    dbias = dy.sum(axis=0)
    return dx, dgain, dbias


def layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray,
               eps: float = 1e-5) -> tuple[np.ndarray, dict]:
    """LayerNorm of each row: ``y = gain * (x - mean_row) / sqrt(var_row + eps) + bias``.

    ``x`` ``(batch, n)``, ``gain`` and ``bias`` ``(n,)``; returns ``(y, cache)`` for
    :func:`layer_norm_backward`.
    """
    x, gain, bias = _check(x, gain, bias, eps)
    return _normalize(x, gain, bias, eps, axis=1)


def layer_norm_backward(dy: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dgain, dbias)`` of :func:`layer_norm` given ``dy = dL/dy``."""
    return _normalize_backward(dy, cache)


def batch_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray,
               eps: float = 1e-5) -> tuple[np.ndarray, dict]:
    """Training-mode BatchNorm: each column standardized with its batch mean and variance.

    ``y = gain * (x - mean_col) / sqrt(var_col + eps) + bias``; ``x`` ``(batch, n)`` with
    ``batch >= 2``; the cache also holds the batch ``mean`` and (biased) ``var``, ``(1, n)``.
    """
    x, gain, bias = _check(x, gain, bias, eps)
    if x.shape[0] < 2:
        raise ValueError(f"batch_norm needs a batch of at least 2 rows, got shape {x.shape}")
    return _normalize(x, gain, bias, eps, axis=0)


def batch_norm_backward(dy: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dx, dgain, dbias)`` of :func:`batch_norm` (through the batch statistics)."""
    return _normalize_backward(dy, cache)


class BatchNorm:
    """A BatchNorm layer of ``n`` features: gain, bias and running statistics.

    Training mode (:meth:`forward`) uses the batch statistics (:func:`batch_norm`) and updates

        running_mean <- (1 - momentum) * running_mean + momentum * batch_mean
        running_var  <- (1 - momentum) * running_var  + momentum * batch_var * B / (B - 1)

    (unbiased batch variance, the convention of PyTorch's ``BatchNorm1d``, ``momentum=0.1``);
    evaluation mode (:meth:`predict`) is the fixed affine map
    ``gain * (x - running_mean) / sqrt(running_var + eps) + bias``, as in Ioffe and Szegedy
    2015 (Alg. 2). Gain starts at 1, bias at 0, running mean at 0 and running var at 1.
    """

    def __init__(self, n: int, momentum: float = 0.1, eps: float = 1e-5,
                 dtype: type = np.float64) -> None:
        self.n = check_int(n, "n", minimum=1)
        if isinstance(momentum, bool) or not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"`momentum` must be in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.eps = check_positive(eps, "eps")
        self.gain = np.ones(n, dtype=dtype)
        self.bias = np.zeros(n, dtype=dtype)
        self.running_mean = np.zeros(n, dtype=dtype)
        self.running_var = np.ones(n, dtype=dtype)

    def forward(self, x: np.ndarray, update: bool = True) -> tuple[np.ndarray, dict]:
        """Training-mode output and cache; updates the running statistics if ``update``."""
        y, cache = batch_norm(x, self.gain, self.bias, self.eps)
        if update:
            m, b = self.momentum, x.shape[0]
            self.running_mean = (1 - m) * self.running_mean + m * cache["mean"][0]
            self.running_var = (1 - m) * self.running_var + m * cache["var"][0] * b / (b - 1)
        return y, cache

    def backward(self, dy: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(dx, dgain, dbias)`` of the training-mode forward."""
        return batch_norm_backward(dy, cache)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Evaluation mode: ``gain * (x - running_mean) / sqrt(running_var + eps) + bias``."""
        x = check_finite_array(x, "x")
        if x.ndim != 2 or x.shape[1] != self.n:
            raise ValueError(f"`x` must have shape (batch, {self.n}), got shape {x.shape}")
        x_hat = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
        return self.gain * x_hat + self.bias

    def copy(self) -> BatchNorm:
        """An independent copy (parameters and running statistics)."""
        new = BatchNorm(self.n, self.momentum, self.eps, self.gain.dtype.type)
        for name in ("gain", "bias", "running_mean", "running_var"):
            setattr(new, name, getattr(self, name).copy())
        return new
