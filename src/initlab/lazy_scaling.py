"""An output-scaled, centered model: ``f_alpha(x) = alpha * (f(x) - f_0(x))``.

What: :class:`CenteredScaled` wraps an :class:`~initlab.network.MLP` ``f`` (its parameters
``theta`` are trained) and a frozen copy of it at initialization ``f_0``; its output is
``alpha * (f(x; theta) - f(x; theta_0))``, which is exactly 0 at initialization for every
``alpha``.

Why: Chizat, Oyallon and Bach (2019, "On Lazy Training in Differentiable Programming") show
that lazy training is a matter of scale, not of width: train ``alpha h(w)`` on the objective
``R(alpha h(w)) / alpha^2`` (equivalently, the loss ``R`` with learning rate ``lr / alpha^2``) and
as ``alpha`` grows the outputs follow the same function-space dynamics while the weights move
only ``O(1/alpha)``: the model stays on its linearization around ``w_0`` and trains like kernel
regression with the tangent kernel at init (:mod:`initlab.tangent_kernel`). Centering
(subtracting ``f_0``) is their device to keep the initial output at 0 as ``alpha`` grows
(otherwise ``alpha f_0`` would blow up). Geiger et al. (2020, "Disentangling feature and lazy
training in deep neural networks") train the same ``alpha (f - f_0)`` with a ``1/alpha^2`` loss
prefactor. Pass ``lr = lr_0 * model.lr_scale`` (``lr_scale = 1 / alpha^2``) to
:func:`initlab.train.train`.

Shapes: as the wrapped MLP; ``X`` is ``(batch, n_in)``, the output ``(batch, n_out)``.
Backward: ``d f_alpha / d theta = alpha * d f / d theta``, so ``backward(dout)`` is the MLP's
``backward(alpha * dout)``; ``f_0`` has no parameters.
"""

from __future__ import annotations

import numpy as np

from initlab._checks import check_positive
from initlab.network import MLP


class CenteredScaled:
    """``alpha * (model(x) - model_at_init(x))``, trainable by :func:`initlab.train.train`.

    ``model`` is the network to train (kept, not copied: its arrays are updated in place);
    ``alpha > 0`` the output scale. The initial network is a copy taken here.
    """

    def __init__(self, model: MLP, alpha: float) -> None:
        self.alpha = check_positive(alpha, "alpha")
        self.model = model
        self.initial = model.copy()  # f_0: frozen, never in parameters()

    @property
    def lr_scale(self) -> float:
        """``1 / alpha^2``: Chizat et al.'s learning-rate factor for the scaled objective."""
        return 1.0 / self.alpha**2

    @property
    def sizes(self) -> tuple[int, ...]:
        return self.model.sizes

    def parameters(self) -> list[np.ndarray]:
        """The trained network's ``[W_0, b_0, ...]`` (the arrays themselves)."""
        return self.model.parameters()

    def check_input(self, X: np.ndarray) -> np.ndarray:
        return self.model.check_input(X)

    def forward(self, X: np.ndarray, keep: bool = True, check: bool = True) -> np.ndarray:
        """``alpha * (f(X) - f_0(X))``, ``(batch, n_out)``; ``keep`` as for the MLP."""
        out = self.model.forward(X, keep=keep, check=check)
        out0 = self.initial.forward(X, keep=False, check=check)
        return self.alpha * (out - out0)

    def backward(self, dout: np.ndarray) -> list[np.ndarray]:
        """Gradients ``[dW_0, db_0, ...]``: the MLP's backward of ``alpha * dout``."""
        return self.model.backward(self.alpha * dout)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class: ``argmax`` of the output (or ``output > 0`` if one unit)."""
        out = self.forward(X, keep=False)
        return (out[:, 0] > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)

    def copy(self) -> CenteredScaled:
        """A deep copy that shares nothing with this one (same ``f_0`` values)."""
        new = object.__new__(CenteredScaled)
        new.alpha, new.model, new.initial = self.alpha, self.model.copy(), self.initial.copy()
        return new

    def relative_weight_change(self) -> float:
        """``||theta - theta_0|| / ||theta_0||`` over all weights and biases as one vector."""
        now, init = self.model.parameters(), self.initial.parameters()
        diff = sum(float(np.sum((p - p0) ** 2)) for p, p0 in zip(now, init, strict=True))
        return float(np.sqrt(diff / sum(float(np.sum(p0**2)) for p0 in init)))
