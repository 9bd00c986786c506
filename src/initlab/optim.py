"""Stochastic gradient descent and gradient clipping.

Why: the book's claims about initialization are claims about what plain SGD does from a
starting point, so the optimizer is the textbook one: ``v <- mu v + g``, ``p <- p - lr v``.
Clipping (Pascanu, Mikolov and Bengio 2013) rescales an exploding gradient:
``g <- g * max_norm / ||g||`` when ``||g|| > max_norm``, so the direction is kept and only
the step length is bounded; clipping by value instead clamps each entry to ``[-c, c]``
(which can change the direction).

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

from initlab._checks import check_positive


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


def _pairs(grads: Sequence[np.ndarray], out: Sequence[np.ndarray]) -> zip:
    """``zip(grads, out)`` once ``out`` is checked to hold one buffer per gradient."""
    if len(out) != len(grads):
        raise ValueError(f"`out` must hold {len(grads)} arrays, got {len(out)}")
    return zip(grads, out, strict=True)


class SGD:
    """Minibatch SGD with optional (heavy-ball) momentum, updating ``params`` in place.

    ``v <- momentum * v + g``; ``p <- p - lr * v`` (with ``momentum = 0``: ``p <- p - lr g``).
    ``scratch``: one array per parameter that every :meth:`step` overwrites (it holds the
    clipped ``g``, then ``lr * g`` or ``lr * v``, on the way to ``p``). The step uses them one
    parameter at a time, so they all share one block of memory (the size of the largest
    parameter, per dtype): it stays in cache from one parameter to the next.
    """

    def __init__(self, params: Sequence[np.ndarray], lr: float, momentum: float = 0.0) -> None:
        self.params = list(params)
        self.lr = check_positive(lr, "lr")
        if isinstance(momentum, bool) or not 0.0 <= momentum < 1.0:
            raise ValueError(f"`momentum` must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)
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
        lr, mu = self.lr, self.momentum
        velocity = self.velocity if mu else [None] * len(self.params)
        for p, g, v, s in zip(self.params, grads, velocity, self.scratch, strict=True):
            if grad_scale is not None:
                g = np.multiply(g, grad_scale, out=s)           # g <- g * scale
            if clip_value is not None:
                g = np.clip(g, -clip_value, clip_value, out=s)  # g <- clamp(g, -c, c)
            if mu:
                v *= mu
                v += g                            # g is read before s (maybe g) is written
                g = v
            p -= np.multiply(lr, g, out=s)        # p <- p - lr v  (p <- p - lr g if mu = 0)
