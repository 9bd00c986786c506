"""A multilayer perceptron with LayerNorm or BatchNorm on every hidden pre-activation.

What: the :class:`~initlab.network.MLP` with one normalization inserted between each hidden
dense layer and its activation (pre-activation normalization, the placement of Ioffe and
Szegedy 2015 and of Ba, Kiros and Hinton 2016):

    H[l] = A[l] @ W[l] + b[l]            dense output, (batch, n_{l+1})
    Z[l] = norm_l(H[l]) = gain_l * (H[l] - mu) / sqrt(var + eps) + beta_l
    A[l + 1] = phi(Z[l])                 (the output layer has no normalization: Z = H)

``norm="layer"`` takes ``mu, var`` per row (:func:`initlab.norm.layer_norm`); ``norm="batch"``
per column over the batch in training mode (:func:`initlab.norm.batch_norm`), and the running
statistics of :class:`initlab.norm.BatchNorm` in :meth:`NormalizedMLP.predict`.

Why: chapter 16 asks what the initialization still decides once the pre-activations are
normalized: the forward pass no longer depends on the scale of ``W[l]``, its gradient does.

Backward, per hidden layer from ``dZ[l] = dA[l + 1] * phi'(Z[l])``: ``(dH, dgain, dbeta)``
from :mod:`initlab.norm`, then as in the MLP ``dW[l] = A[l].T @ dH``, ``db[l] = sum_rows(dH)``,
``dA[l] = dH @ W[l].T``.

Parameters, in the order of :meth:`NormalizedMLP.parameters`: ``[W_0, b_0, ..., W_{L-1},
b_{L-1}]`` exactly as the MLP (drawn from ``rng`` in the same order, so the same seed gives the
same weights), then ``[gain_0, beta_0, ..., gain_{L-2}, beta_{L-2}]`` (gain 1, beta 0). The
first ``2 * n_layers`` entries of :meth:`backward` are therefore the dense layers' gradients.

Attributes kept by ``forward(keep=True)`` (what :mod:`initlab.diagnostics` reads): ``Z`` (the
input of each activation), ``A`` (``A[0] = X``), ``H`` (dense outputs); after ``backward``,
``dZ[l] = dL/dZ[l]``. BatchNorm's running statistics are updated by every
``forward(keep=True)`` (a training step), not by ``forward(keep=False)``.
"""

from __future__ import annotations

import copy as copy_module
from collections.abc import Sequence

import numpy as np

from initlab import norm
from initlab._checks import check_choice, check_finite_array
from initlab.network import MLP, InitSpec

NORMS = ("layer", "batch")


class NormalizedMLP:
    """MLP with ``norm`` ("layer" or "batch") after each hidden dense layer, before ``phi``.

    ``sizes``, ``rng``, ``activation``, ``weight_init``, ``bias_init``, ``output_activation``,
    ``dtype``: as for :class:`~initlab.network.MLP` (the weights are drawn by an MLP built
    with them). ``momentum`` and ``eps``: of :class:`~initlab.norm.BatchNorm` (``eps`` also
    for LayerNorm).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        rng: np.random.Generator,
        norm_kind: str = "layer",
        activation: str | Sequence = "relu",
        weight_init: InitSpec | Sequence[InitSpec] = "he_normal",
        bias_init: InitSpec | Sequence[InitSpec] = "zeros",
        output_activation: str = "identity",
        dtype: type | np.dtype = np.float64,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ) -> None:
        self.norm_kind = check_choice(norm_kind, "norm_kind", NORMS)
        base = MLP(sizes, rng, activation=activation, weight_init=weight_init,
                   bias_init=bias_init, output_activation=output_activation, dtype=dtype)
        self.sizes, self.n_layers, self.dtype = base.sizes, base.n_layers, base.dtype
        self.weights, self.biases, self.activations = base.weights, base.biases, base.activations
        self.bn = [norm.BatchNorm(n, momentum=momentum, eps=eps, dtype=self.dtype)
                   for n in self.sizes[1:-1]]  # LayerNorm uses only their gain, bias, eps
        self.eps = float(eps)
        self.Z: list[np.ndarray] = []
        self.A: list[np.ndarray] = []
        self.H: list[np.ndarray] = []
        self.dZ: list[np.ndarray] = []
        self._caches: list[dict] = []

    @property
    def gains(self) -> list[np.ndarray]:
        return [layer.gain for layer in self.bn]

    @property
    def betas(self) -> list[np.ndarray]:
        return [layer.bias for layer in self.bn]

    def parameters(self) -> list[np.ndarray]:
        """``[W_0, b_0, ..., W_{L-1}, b_{L-1}, gain_0, beta_0, ...]`` (arrays, in place)."""
        dense = [p for pair in zip(self.weights, self.biases, strict=True) for p in pair]
        return dense + [p for layer in self.bn for p in (layer.gain, layer.bias)]

    #: the dense layers as in the MLP: ``(2l, 2l + 1)``, the gains and betas left out.
    layer_groups = MLP.layer_groups
    #: ``Z[l]`` is the normalized input of ``phi`` (not ``H[l]``), ``dZ[l] = dL/dZ[l]``.
    dense_layers = MLP.dense_layers

    def n_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    def copy(self) -> NormalizedMLP:
        """A deep copy (parameters and running statistics; caches empty)."""
        new = copy_module.copy(self)
        new.weights = [W.copy() for W in self.weights]
        new.biases = [b.copy() for b in self.biases]
        new.bn = [layer.copy() for layer in self.bn]
        new.Z, new.A, new.H, new.dZ, new._caches = [], [], [], [], []
        return new

    def check_input(self, X: np.ndarray) -> np.ndarray:
        """``X`` as a 2-D array of this network's dtype, or raise naming the problem."""
        X = check_finite_array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(
                f"X must have shape (batch, {self.sizes[0]}) for this network, got {X.shape}")
        return X.astype(self.dtype, copy=False)

    def _normalize(self, l: int, H: np.ndarray, training: bool, keep: bool):
        layer = self.bn[l]
        if self.norm_kind == "layer":
            return norm.layer_norm(H, layer.gain, layer.bias, self.eps)
        if training:
            return layer.forward(H, update=keep)
        return layer.predict(H), None

    def _forward(self, X: np.ndarray, keep: bool, training: bool) -> np.ndarray:
        A, Zs, As, Hs, caches = X, [], [X], [], []
        for l, (W, b, act) in enumerate(zip(self.weights, self.biases, self.activations,
                                            strict=True)):
            H = A @ W + b  # H = A W + b
            Z, cache = (self._normalize(l, H, training, keep) if l < self.n_layers - 1
                        else (H, None))
            A = act.f(Z)   # A = phi(norm(H))
            Hs.append(H)
            Zs.append(Z)
            As.append(A)
            caches.append(cache)
        if keep:
            self.H, self.Z, self.A, self._caches = Hs, Zs, As, caches
        return A

    def forward(self, X: np.ndarray, keep: bool = True, check: bool = True) -> np.ndarray:
        """Training-mode output ``(batch, n_out)``; ``keep`` stores ``H, Z, A`` for backward."""
        if check:
            X = self.check_input(X)
        return self._forward(X, keep, training=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class per row, evaluation mode (BatchNorm: running statistics)."""
        out = self._forward(self.check_input(X), keep=False, training=False)
        return (out[:, 0] > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)

    def backward(self, dout: np.ndarray, input_grad: bool = False) -> list[np.ndarray]:
        """Gradients aligned with :meth:`parameters` given ``dout = dL/d(output)``.

        Uses the caches of the last ``forward(keep=True)``; ``input_grad`` appends ``dL/dX``.
        """
        if not self.A:
            raise RuntimeError("call forward(X, keep=True) before backward")
        if dout.shape != self.A[-1].shape:
            raise ValueError(f"dout must have shape {self.A[-1].shape}, got {dout.shape}")
        n = self.n_layers
        dense: list[np.ndarray] = [None] * (2 * n)  # type: ignore[list-item]
        norm_grads: list[np.ndarray] = [None] * (2 * (n - 1))  # type: ignore[list-item]
        self.dZ = [None] * n  # type: ignore[list-item]
        last = self.activations[-1]
        dA = None
        dZ = dout if last.name == "identity" else dout * last.df(self.Z[-1], self.A[-1])
        for l in range(n - 1, -1, -1):
            self.dZ[l] = dZ
            if l < n - 1:  # through the normalization: dH, dgain, dbeta
                backward = (norm.layer_norm_backward if self.norm_kind == "layer"
                            else norm.batch_norm_backward)
                dH, norm_grads[2 * l], norm_grads[2 * l + 1] = backward(dZ, self._caches[l])
            else:
                dH = dZ
            dense[2 * l] = self.A[l].T @ dH       # dW = A^T dH
            dense[2 * l + 1] = dH.sum(axis=0)     # db = sum_rows(dH)
            if l > 0 or input_grad:
                dA = dH @ self.weights[l].T       # dA = dH W^T
            if l > 0:
                act = self.activations[l - 1]
                dZ = dA * act.df(self.Z[l - 1], self.A[l])  # dZ = dA * phi'(Z)
        grads = dense + norm_grads
        if input_grad:
            grads.append(dA)
        return grads
