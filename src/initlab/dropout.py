"""Inverted dropout as a per-step hook of the training loop.

What: during a training step each unit of one hidden layer is dropped (set to 0) with
probability ``p`` and the kept ones are scaled by ``1 / (1 - p)``, so the expected activation is
unchanged and nothing is rescaled at test time (Srivastava et al. 2014, "Dropout: a simple way
to prevent neural networks from overfitting", with the scaling moved to training time).

Why here: dropout breaks the symmetry of identical hidden units (chapter 3) without a second
training loop. :func:`hook` makes the ``step_hook`` that :func:`initlab.train.train` calls before
every step: it swaps ``model.activations[layer]`` for a masked one for that step, then restores
it; the MLP's backward pass applies the chain rule through the mask unchanged.

Shapes: the mask is ``(batch, width)`` of hidden layer ``layer`` (``model.sizes[layer + 1]``
units), one fresh mask per step, drawn from the training generator after the epoch's
permutation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from initlab import activations
from initlab._checks import check_int, check_rng
from initlab.network import MLP


def _check_p(p: float) -> float:
    if isinstance(p, bool) or not 0.0 <= p < 1.0:
        raise ValueError(f"dropout `p` must be in [0, 1), got {p!r}")
    return float(p)


def mask(rng: np.random.Generator, shape: tuple[int, int], p: float) -> np.ndarray:
    """Inverted-dropout mask ``(batch, width)``: ``(rng.random(shape) >= p) / (1 - p)``.

    Each entry is 0 with probability ``p`` (dropped) and ``1 / (1 - p)`` otherwise, so
    ``E[mask] = 1`` and ``Var(mask) = p / (1 - p)``.
    """
    check_rng(rng)
    p = _check_p(p)
    return (rng.random(shape) >= p) / (1.0 - p)


def masked(base: activations.Activation, m: np.ndarray) -> activations.Activation:
    """``base`` followed by a fixed mask: ``f(Z) = phi(Z) * m``, ``f'(Z) = phi'(Z) * m``."""
    def f(Z: np.ndarray) -> np.ndarray:
        return base.f(Z) * m

    def df(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        # A is the masked output, so phi' is computed from phi(Z) itself (tanh: 1 - phi(Z)^2)
        return base.df(Z, base.f(Z)) * m  # phi'(Z) * m

    return activations.Activation(f"{base.name}_dropout", f, df, base.gain_name, base.param)


def hook(p: float, layer: int = 0):
    """A ``step_hook`` factory for :func:`initlab.train.run`: ``hook(p)(rng)(model, idx)``.

    ``p = 0`` draws nothing and changes nothing, so the run is bit-identical to one without
    dropout.
    """
    p = _check_p(p)
    layer = check_int(layer, "layer", minimum=0)

    def make(rng: np.random.Generator):
        check_rng(rng)

        @contextmanager
        def step(model: MLP, idx: np.ndarray) -> Iterator[None]:
            if not p:
                yield
                return
            if layer >= model.n_layers - 1:
                raise ValueError(f"dropout `layer` {layer} is not a hidden layer of a "
                                 f"{model.n_layers}-layer MLP")
            base = model.activations[layer]
            model.activations[layer] = masked(base, mask(rng, (len(idx), model.sizes[layer + 1]),
                                                      p))
            try:
                yield
            finally:
                model.activations[layer] = base

        return step

    return make
