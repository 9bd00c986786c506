"""The practitioner's checks on a network's initialization, before and during training.

What: three numbers a practitioner reads off a new network (Karpathy's "makemore" part 3,
2022, makes them a routine; the per-layer statistics themselves are
:func:`initlab.diagnostics.layer_stats`):

- :func:`initial_loss`: the loss before any step against ``ln K``, the cross-entropy of the
  uniform prediction over ``K`` classes. Logits near 0 give ``ln K``; a large excess means
  confident wrong logits (output weights too large), and the first steps of training are then
  spent shrinking them: the "hockey stick" of the loss curve.
- :class:`UpdateRatios`: per step and per dense layer, the update:data ratio
  ``log10(std(W_after - W_before) / std(W_before))`` of the step actually taken (momentum and
  clipping included), recorded by a ``step_hook`` of :func:`initlab.train.train`; the rule of
  thumb wants about ``-3``.
- :class:`EpochStats`: :func:`initlab.diagnostics.layer_stats` on a fixed probe batch at every
  epoch (``on_epoch`` of :func:`initlab.train.train`): saturation, activation and gradient
  spreads over training.

Why: the three checks need no theory to run and each one points at one part of the init (the
output layer's scale, the hidden layers' scale, the learning rate against the weights' scale).

Shapes: ``X`` ``(batch, n_in)``, rows are examples; ratios ``(n_steps, n_layers)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from initlab import diagnostics, losses
from initlab._checks import check_finite_array


def initial_loss(model, X: np.ndarray, y: np.ndarray,
                 loss: str | losses.Loss = "softmax_cross_entropy") -> dict[str, float]:
    """The loss of ``model`` on ``(X, y)`` before training, next to ``ln K``.

    Returns ``initial_loss``, ``ln_k = ln(n_out)`` (the loss of the uniform prediction over the
    ``K = n_out`` classes) and ``excess = initial_loss - ln_k``. A non-finite loss (logits
    that overflow) raises, naming it.
    """
    X = model.check_input(X)
    with np.errstate(over="ignore", invalid="ignore"):
        value = float(losses.get(loss)(model.forward(X, keep=False, check=False), y)[0])
    if not math.isfinite(value):
        raise ValueError(f"the initial loss is not finite ({value!r}): the logits overflow")
    ln_k = math.log(model.sizes[-1])  # -ln(1/K)
    return {"initial_loss": value, "ln_k": ln_k, "excess": value - ln_k}


class UpdateRatios:
    """Records ``log10(std(dW_l) / std(W_l))`` of every step, per dense layer.

    ``dW_l`` is the change the step made to ``W_l`` and ``std(W_l)`` is taken before it.
    Use it as ``train.run(..., step_hook=recorder.factory)`` or
    ``train.train(..., step_hook=recorder.hook)``; afterwards :attr:`ratios` is
    ``(n_steps, n_layers)``. A step that did not move a layer records ``-inf``.
    """

    def __init__(self) -> None:
        self.rows: list[list[float]] = []

    def factory(self, rng: np.random.Generator):
        """``step_hook`` factory for :func:`initlab.train.run` (no draw from ``rng``)."""
        return self.hook

    @contextmanager
    def hook(self, model, idx: np.ndarray) -> Iterator[None]:
        """Copy the weights before the step, compare after it."""
        before = [W.copy() for W in model.weights]
        yield
        row = []
        for W_old, W in zip(before, model.weights, strict=True):
            step, data = float((W - W_old).std()), float(W_old.std())
            # update:data ratio, log10(std(delta W) / std(W)); -inf if nothing moved
            row.append(-math.inf if step == 0.0 else
                       math.inf if data == 0.0 else math.log10(step / data))
        self.rows.append(row)

    @property
    def ratios(self) -> np.ndarray:
        """``(n_steps, n_layers)`` array of the recorded log10 ratios."""
        if not self.rows:
            raise ValueError("no step recorded: pass UpdateRatios.factory as step_hook")
        return np.array(self.rows, dtype=np.float64)


class EpochStats:
    """``layer_stats`` on a fixed probe batch at every epoch (``on_epoch`` callback).

    ``X`` (and ``y``, for the gradient statistics) is the probe batch; after training,
    ``stats[key]`` is ``(n_epochs + 1, n_layers)`` for each key of
    :func:`initlab.diagnostics.layer_stats` (row 0: at init).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray | None = None,
                 loss: str | losses.Loss = "softmax_cross_entropy") -> None:
        self.X = check_finite_array(X, "X")
        self.y, self.loss = y, loss
        self.rows: list[dict[str, np.ndarray]] = []

    def __call__(self, epoch: int, model) -> None:
        self.rows.append(diagnostics.layer_stats(model, self.X, self.y, loss=self.loss))

    @property
    def stats(self) -> dict[str, np.ndarray]:
        if not self.rows:
            raise ValueError("no epoch recorded: pass the EpochStats object as on_epoch")
        return {k: np.stack([row[k] for row in self.rows]) for k in self.rows[0]}
