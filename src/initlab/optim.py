"""Stochastic gradient descent, Adam and gradient clipping.

Why: the book's claims about initialization are claims about what plain SGD does from a
starting point, so the optimizer is the textbook one: ``v <- mu v + g``, ``p <- p - lr v``.
Clipping (Pascanu, Mikolov and Bengio 2013) rescales an exploding gradient:
``g <- g * max_norm / ||g||`` when ``||g|| > max_norm``, so the direction is kept and only
the step length is bounded; clipping by value instead clamps each entry to ``[-c, c]``
(which can change the direction).

Adam (Kingma and Ba 2015, Algorithm 1) normalizes each coordinate by a running RMS of its
gradient: ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``, bias-corrected
``m_hat = m / (1 - b1^t)``, ``v_hat = v / (1 - b2^t)``, ``p <- p - lr m_hat / (sqrt(v_hat) + eps)``.
Its step is about ``lr`` per coordinate whatever the gradient's scale, which is why its
width scalings differ from SGD's (Yang et al. 2022, Tensor Programs V, Table 3; see
:mod:`initlab.parametrization`). Both optimizers take ``lr_mult``: one learning-rate
multiplier per parameter array (the "parameter groups" of other libraries), so parameter
``k`` moves with ``lr * lr_mult[k]``.

Shapes: ``params`` and ``grads`` are lists of arrays in the same order (see
:meth:`initlab.network.MLP.parameters`); ``||g||`` is the norm of all of them concatenated.

Speed: a training step must not allocate arrays (a new 256 x 256 float64 array costs more
than the arithmetic on it). Both clipping functions take ``out=`` buffers; a training step
does better still: :meth:`SGD.step` takes the factor ``max_norm / ||g||`` (:func:`clip_scale`)
and the value bound, and clips each gradient into a scratch array just before the update
reads it, one parameter at a time, so the scratch is still in cache: same arithmetic as the
functions here, no new array.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab._checks import check_choice, check_positive


def global_norm(grads: Sequence[np.ndarray]) -> float:
    """``sqrt(sum_k ||g_k||^2)``: the L2 norm of all gradients as one vector."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads))


def clip_by_global_norm(
    grads: Sequence[np.ndarray], max_norm: float, out: Sequence[np.ndarray] | None = None
) -> tuple[list[np.ndarray], float]:
    """Return ``(clipped_grads, norm_before)``.

    If ``norm = ||g|| > max_norm`` every gradient is multiplied by ``max_norm / norm``
    (the clipped norm is exactly ``max_norm``, the direction unchanged); otherwise the
    gradients are returned untouched. A non-finite norm is returned as is, unclipped, so
    the caller can report divergence. ``out``: arrays shaped like ``grads`` that receive the
    clipped gradients (and are returned) instead of new arrays; ``out=grads`` clips in place.
    Unclipped gradients are returned as they are, never copied into ``out``.
    """
    check_positive(max_norm, "max_norm")
    norm = global_norm(grads)
    scale = clip_scale(norm, max_norm)
    if scale is not None:
        if out is None:
            return [g * scale for g in grads], norm
        return [np.multiply(g, scale, out=o) for g, o in _pairs(grads, out)], norm  # g * scale
    return list(grads), norm


def clip_scale(norm: float, max_norm: float) -> float | None:
    """The factor ``max_norm / norm`` that clips a gradient of norm ``norm``, or None when
    nothing is clipped (``norm <= max_norm``, or ``norm`` not finite: left to the caller)."""
    return max_norm / norm if math.isfinite(norm) and norm > max_norm else None


def clip_by_value(
    grads: Sequence[np.ndarray], clip_value: float, out: Sequence[np.ndarray] | None = None
) -> list[np.ndarray]:
    """Clamp every gradient entry to ``[-clip_value, clip_value]`` (into ``out`` if given)."""
    check_positive(clip_value, "clip_value")
    if out is None:
        return [np.clip(g, -clip_value, clip_value) for g in grads]
    return [np.clip(g, -clip_value, clip_value, out=o) for g, o in _pairs(grads, out)]


def _per_parameter_lr(lr: float, lr_mult: Sequence[float] | None, n: int) -> list[float]:
    """``[lr * lr_mult[k]]`` (``[lr] * n`` without multipliers), each checked positive."""
    if lr_mult is None:
        return [lr] * n
    if len(lr_mult) != n:
        raise ValueError(f"`lr_mult` must hold {n} multipliers (one per parameter), "
                         f"got {len(lr_mult)}")
    return [lr * check_positive(m, "lr_mult entry") for m in lr_mult]


def _pairs(grads: Sequence[np.ndarray], out: Sequence[np.ndarray]) -> zip:
    """``zip(grads, out)`` once ``out`` is checked to hold one buffer per gradient."""
    if len(out) != len(grads):
        raise ValueError(f"`out` must hold {len(grads)} arrays, got {len(out)}")
    return zip(grads, out, strict=True)


class SGD:
    """Minibatch SGD with optional (heavy-ball) momentum, updating ``params`` in place.

    ``v <- momentum * v + g``; ``p <- p - lr * v`` (with ``momentum = 0``: ``p <- p - lr g``).
    ``lr_mult``: one multiplier per parameter (default all 1): parameter ``k`` uses
    ``lr * lr_mult[k]``, so ``SGD(params, lr)`` is exactly ``lr_mult = [1, ..., 1]``.
    ``scratch``: one array per parameter that every :meth:`step` overwrites (it holds the
    clipped ``g``, then ``lr * g`` or ``lr * v``, on the way to ``p``). The step uses them one
    parameter at a time, so they all share one block of memory (the size of the largest
    parameter, per dtype): it stays in cache from one parameter to the next.
    """

    def __init__(self, params: Sequence[np.ndarray], lr: float, momentum: float = 0.0,
                 lr_mult: Sequence[float] | None = None) -> None:
        self.params = list(params)
        self.lr = check_positive(lr, "lr")
        if isinstance(momentum, bool) or not 0.0 <= momentum < 1.0:
            raise ValueError(f"`momentum` must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.lrs = _per_parameter_lr(self.lr, lr_mult, len(self.params))  # lr * lr_mult[k]
        self.velocity = [np.zeros_like(p) for p in self.params] if self.momentum else []
        largest: dict[np.dtype, int] = {}
        for p in self.params:
            largest[p.dtype] = max(largest.get(p.dtype, 0), p.size)
        blocks = {dtype: np.empty(size, dtype) for dtype, size in largest.items()}
        self.scratch = [blocks[p.dtype][:p.size].reshape(p.shape) for p in self.params]

    def step(self, grads: Sequence[np.ndarray], grad_scale: float | None = None,
             clip_value: float | None = None) -> None:
        """Apply one update with ``grads`` (same order and shapes as ``params``).

        Clipping, one parameter at a time into :attr:`scratch` (the same arithmetic as the
        allocating functions): ``grad_scale`` uses ``g * grad_scale`` (the global-norm clip,
        see :func:`clip_scale`), then ``clip_value`` clamps to ``[-clip_value, clip_value]``
        (:func:`clip_by_value`). Allocates no array.
        """
        if len(grads) != len(self.params):
            raise ValueError(f"expected {len(self.params)} gradients, got {len(grads)}")
        if clip_value is not None:
            check_positive(clip_value, "clip_value")
        mu = self.momentum
        velocity = self.velocity if mu else [None] * len(self.params)
        for p, g, v, s, lr in zip(self.params, grads, velocity, self.scratch, self.lrs,
                                  strict=True):
            g = _clip_into(g, s, grad_scale, clip_value)
            if mu:
                v *= mu
                v += g                            # g is read before s (maybe g) is written
                g = v
            p -= np.multiply(lr, g, out=s)        # p <- p - lr v  (p <- p - lr g if mu = 0)


def _clip_into(g: np.ndarray, s: np.ndarray, grad_scale: float | None,
               clip_value: float | None) -> np.ndarray:
    """``g * grad_scale`` then clamped to ``[-clip_value, clip_value]``, written into ``s``
    (``g`` itself when neither is given): the arithmetic of :func:`clip_by_global_norm` and
    :func:`clip_by_value`, one parameter at a time."""
    if grad_scale is not None:
        g = np.multiply(g, grad_scale, out=s)           # g <- g * scale
    if clip_value is not None:
        g = np.clip(g, -clip_value, clip_value, out=s)  # g <- clamp(g, -c, c)
    return g


class Adam:
    """Adam with bias correction (Kingma and Ba 2015), updating ``params`` in place.

    Per parameter ``p`` with gradient ``g``, at step ``t = 1, 2, ...``::

        m <- b1 m + (1 - b1) g            v <- b2 v + (1 - b2) g^2
        p <- p - lr_k * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

    with ``lr_k = lr * lr_mult[k]``. ``scratch`` holds the clipped gradient as in :class:`SGD`
    (one array per parameter; ``_tmp`` is a second buffer).
    """

    def __init__(self, params: Sequence[np.ndarray], lr: float,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 lr_mult: Sequence[float] | None = None) -> None:
        self.params = list(params)
        self.lr = check_positive(lr, "lr")
        for name, beta in zip(("betas[0]", "betas[1]"), betas, strict=True):
            if isinstance(beta, bool) or not 0.0 <= beta < 1.0:
                raise ValueError(f"`{name}` must be in [0, 1), got {beta!r}")
        self.beta1, self.beta2 = float(betas[0]), float(betas[1])
        self.eps = check_positive(eps, "eps")
        self.lrs = _per_parameter_lr(self.lr, lr_mult, len(self.params))
        self.t = 0
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]
        self._tmp = [np.empty_like(p) for p in self.params]

    def step(self, grads: Sequence[np.ndarray], grad_scale: float | None = None,
             clip_value: float | None = None) -> None:
        """Apply one update with ``grads`` (same order and shapes as ``params``), clipped as in
        :meth:`SGD.step` (into :attr:`scratch`, one parameter at a time)."""
        if len(grads) != len(self.params):
            raise ValueError(f"expected {len(self.params)} gradients, got {len(grads)}")
        if clip_value is not None:
            check_positive(clip_value, "clip_value")
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        correct1 = 1.0 - b1 ** self.t            # 1 - b1^t
        root_correct2 = math.sqrt(1.0 - b2 ** self.t)  # sqrt(1 - b2^t)
        for p, g, m, v, s, tmp, lr in zip(self.params, grads, self.m, self.v, self.scratch,
                                          self._tmp, self.lrs, strict=True):
            g = _clip_into(g, s, grad_scale, clip_value)
            m *= b1
            m += np.multiply(1.0 - b1, g, out=tmp)   # m <- b1 m + (1 - b1) g
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v += tmp                                 # v <- b2 v + (1 - b2) g^2
            np.sqrt(v, out=tmp)
            tmp /= root_correct2                     # sqrt(v_hat)
            tmp += self.eps
            np.divide(m, tmp, out=tmp)               # m / (sqrt(v_hat) + eps)
            tmp *= lr / correct1                     # lr m_hat / (sqrt(v_hat) + eps)
            p -= tmp


#: The optimizers :func:`make` knows, by name.
OPTIMIZERS = ("sgd", "adam")


def make(name: str, params: Sequence[np.ndarray], lr: float, momentum: float = 0.0,
         lr_mult: Sequence[float] | None = None) -> SGD | Adam:
    """``SGD(params, lr, momentum, lr_mult)`` or ``Adam(params, lr, lr_mult=lr_mult)``.

    Adam has its own momentum (``betas``): a nonzero ``momentum`` with ``"adam"`` is an error.
    """
    check_choice(name, "optimizer", OPTIMIZERS)
    if name == "sgd":
        return SGD(params, lr=lr, momentum=momentum, lr_mult=lr_mult)
    if momentum:
        raise ValueError(f"`momentum` is for SGD; Adam uses betas: got momentum={momentum!r}")
    return Adam(params, lr=lr, lr_mult=lr_mult)
