"""A multilayer perceptron with hand-written backpropagation.

Why: every chapter needs a network whose every weight, pre-activation and gradient can be
inspected; a ~150-line numpy MLP keeps all of that visible (Nielsen's ``network2.py`` in
spirit: readable first, fast enough second).

Shapes: ``sizes = (n_in, h_1, ..., n_out)``; layer ``l`` has ``W[l]`` of shape
``(sizes[l], sizes[l+1])`` and ``b[l]`` of shape ``(sizes[l+1],)``. Rows of ``X`` are
examples. Forward: ``Z[l] = A[l] @ W[l] + b[l]``, ``A[l+1] = phi_l(Z[l])`` with ``A[0] = X``.
Backward, from ``dZ`` of the last layer: ``dW[l] = A[l].T @ dZ``, ``db[l] = sum_rows(dZ)``,
``dA[l] = dZ @ W[l].T``, ``dZ[l-1] = dA[l] * phi'(Z[l-1])``.

Speed: with ``reuse_buffers`` on (:func:`initlab.train.sgd_step` turns it on for the length
of one step) the same formulas write into arrays the model keeps, one set per batch size, via
``np.matmul(..., out=)`` and in-place ufuncs: allocating and freeing ~100 large arrays per
step costs about a third of a float64 step at width 256 (glibc returns them to the system).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from initlab import activations, initializers
from initlab._checks import check_finite_array, check_int, check_rng

InitSpec = str | Callable[..., np.ndarray]


class DenseLayer(NamedTuple):
    """One dense layer of the last pass, as :mod:`initlab.diagnostics` reads it (no copies).

    ``Z = input @ W + b`` (or, in a normalized net, what enters ``phi``), ``A = phi(Z)`` with
    ``phi = activation`` (identity where no activation follows), both ``(batch, n_out)``;
    ``dZ = dL/dZ`` of the last ``backward`` (``None`` before any).
    """

    W: np.ndarray
    b: np.ndarray
    Z: np.ndarray
    A: np.ndarray
    activation: activations.Activation
    dZ: np.ndarray | None  # noqa: N815  (the MLP's name for dL/dZ)


def _per_layer(spec: object, n: int, what: str) -> list:
    """Broadcast one spec to ``n`` layers, or check a per-layer list has length ``n``."""
    if isinstance(spec, list | tuple):
        if len(spec) != n:
            raise ValueError(f"{what} list must have {n} entries (one per layer), got {len(spec)}")
        return list(spec)
    return [spec] * n


class MLP:
    """Fully connected network: hidden layers share ``activation`` unless a list is given.

    Parameters
    ----------
    sizes : ``(n_in, h_1, ..., n_out)``, at least two positive ints.
    rng : the Generator every layer draws from, in order (so two layers never share bits).
    activation : name or :class:`~initlab.activations.Activation` for the hidden layers, or a
        list with one per hidden layer.
    weight_init, bias_init : initializer name, callable ``(shape, rng, dtype)`` (see
        :func:`initlab.initializers.get`), or a list with one per layer.
    output_activation : applied to the last layer (``"identity"``: logits for the losses).

    ``reuse_buffers`` (default False): when True, ``forward(keep=True)`` and ``backward``
    write into arrays the model keeps per batch size, so ``model.Z``, ``model.A``, the
    output and the returned gradients are overwritten by the next such call with the same
    batch size (copy what you keep). :func:`initlab.train.sgd_step` uses it during a step.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        rng: np.random.Generator,
        activation: str | activations.Activation | Sequence = "relu",
        weight_init: InitSpec | Sequence[InitSpec] = "he_normal",
        bias_init: InitSpec | Sequence[InitSpec] = "zeros",
        output_activation: str | activations.Activation = "identity",
        dtype: type | np.dtype = np.float64,
    ) -> None:
        check_rng(rng)
        if isinstance(sizes, int) or len(sizes) < 2:
            raise ValueError(f"`sizes` needs at least (n_in, n_out), got {sizes!r}")
        self.sizes = tuple(check_int(s, "sizes entry", minimum=1) for s in sizes)
        self.n_layers = len(self.sizes) - 1
        self.dtype = np.dtype(dtype)
        hidden = _per_layer(activation, self.n_layers - 1, "activation")
        self.activations = [activations.get(a) for a in hidden]
        self.activations.append(activations.get(output_activation))
        n = self.n_layers
        w_inits = [initializers.get(w) for w in _per_layer(weight_init, n, "weight_init")]
        b_inits = [initializers.get(b) for b in _per_layer(bias_init, n, "bias_init")]
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for l, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:], strict=True)):
            self.weights.append(np.ascontiguousarray(w_inits[l]((n_in, n_out), rng, self.dtype)))
            self.biases.append(np.ascontiguousarray(b_inits[l]((n_out,), rng, self.dtype)))
        self.Z: list[np.ndarray] = []  # pre-activations of the last forward(keep=True)
        self.A: list[np.ndarray] = []  # A[0] = X, A[l+1] = phi(Z[l])
        self.dZ: list[np.ndarray] = []  # dL/dZ[l] of the last backward
        # When True, forward(keep=True) and backward write Z, A, phi', dA and the gradients
        # into the arrays of self._buffers(batch) instead of new ones: what they return (and
        # model.Z, model.A) is then overwritten by the next such call with the same batch size.
        self.reuse_buffers = False
        self._buffer_cache: dict[int, dict[str, list[np.ndarray]]] = {}

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> list[np.ndarray]:
        """``[W_0, b_0, W_1, b_1, ...]``: the arrays themselves (updates are in place)."""
        return [p for pair in zip(self.weights, self.biases, strict=True) for p in pair]

    def layer_groups(self) -> list[tuple[int, int]]:
        """``(i_W, i_b)`` per dense layer, forward order: where ``parameters()`` holds them."""
        return [(2 * l, 2 * l + 1) for l in range(self.n_layers)]

    def dense_layers(self) -> list[DenseLayer]:
        """Layer ``l``: ``W[l]``, ``b[l]``, ``Z[l]``, ``A[l + 1]``, ``phi_l``, ``dZ[l]``."""
        if not self.A:
            raise RuntimeError("call forward(X, keep=True) before dense_layers")
        dZ = self.dZ or [None] * self.n_layers
        return [DenseLayer(*v) for v in zip(self.weights, self.biases, self.Z, self.A[1:],
                                            self.activations, dZ, strict=True)]

    def n_parameters(self) -> int:
        """Total number of scalars in weights and biases."""
        return sum(p.size for p in self.parameters())

    def copy(self) -> MLP:
        """A deep copy (weights and biases copied, caches empty)."""
        new = object.__new__(MLP)
        new.__dict__.update(self.__dict__)
        new.weights = [W.copy() for W in self.weights]
        new.biases = [b.copy() for b in self.biases]
        new.Z, new.A, new.dZ = [], [], []
        new.reuse_buffers, new._buffer_cache = False, {}
        return new

    def __getstate__(self) -> dict:
        """Pickle and deep-copy without the reusable buffers (they are scratch space)."""
        return {**self.__dict__, "_buffer_cache": {}}

    def _buffers(self, batch: int) -> dict[str, list[np.ndarray]]:
        """This batch size's arrays for Z, A, phi'(Z), dA and the gradients, made once."""
        buffers = self._buffer_cache.get(batch)
        if buffers is None:
            if len(self._buffer_cache) >= 4:  # a run needs two sizes (full and last batch)
                self._buffer_cache.clear()
            outs = [np.empty((batch, n), self.dtype) for n in self.sizes[1:]]
            # phi'(Z[l]) is used once, right away: every layer's shares one array (in cache)
            dphi = np.empty(batch * max(self.sizes[1:]), self.dtype)
            buffers = {
                "Z": outs,
                "A": [np.empty_like(Z) for Z in outs],      # A[l + 1] = phi(Z[l])
                "dphi": [dphi[:Z.size].reshape(Z.shape) for Z in outs],  # phi'(Z[l])
                "dA": [np.empty((batch, n), self.dtype) for n in self.sizes[:-1]],
                "dW": [np.empty_like(W) for W in self.weights],
                "db": [np.empty_like(b) for b in self.biases],
            }
            self._buffer_cache[batch] = buffers
        return buffers

    # ------------------------------------------------------------------ forward
    def check_input(self, X: np.ndarray) -> np.ndarray:
        """Return ``X`` as a 2-D array of this network's dtype, or raise naming the problem."""
        X = check_finite_array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(
                f"X must have shape (batch, {self.sizes[0]}) for this network, got {X.shape}"
            )
        return X.astype(self.dtype, copy=False)

    def forward(self, X: np.ndarray, keep: bool = True, check: bool = True) -> np.ndarray:
        """Return the output ``(batch, n_out)``; with ``keep`` store ``Z`` and ``A`` for backward.

        ``check=False`` skips the input validation (the training loop validates once).
        """
        if check:
            X = self.check_input(X)
        n = self.n_layers
        buffers = self._buffers(len(X)) if keep and self.reuse_buffers else None
        Z_out, A_out = (buffers["Z"], buffers["A"]) if buffers else ([None] * n, [None] * n)
        A = X
        Zs, As = [], [X]
        for W, b, act, Z_buf, A_buf in zip(self.weights, self.biases, self.activations, Z_out,
                                           A_out, strict=True):
            Z = np.matmul(A, W, out=Z_buf)  # Z = A W + b
            Z += b
            A = act.f(Z, out=A_buf) if act.accepts_out else act.f(Z)
            if keep:
                Zs.append(Z)
                As.append(A)
        if keep:
            self.Z, self.A = Zs, As
        return A

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class per row: ``argmax`` of the output (or ``output > 0`` if one unit)."""
        out = self.forward(X, keep=False)
        return (out[:, 0] > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)

    # ------------------------------------------------------------------ backward
    def backward(self, dout: np.ndarray, input_grad: bool = False) -> list[np.ndarray]:
        """Gradients ``[dW_0, db_0, dW_1, db_1, ...]`` given ``dout = dL/d(output)``.

        Uses the ``Z``/``A`` of the last ``forward(keep=True)``. With ``input_grad`` the
        gradient with respect to ``X``, ``(batch, n_in)``, is appended at the end. The
        back-propagated ``dL/dZ_l`` of every layer, ``(batch, n_{l+1})``, are left in
        ``self.dZ`` (Glorot and Bengio's per-layer gradients; buffers under ``reuse_buffers``).
        """
        if not self.A:
            raise RuntimeError("call forward(X, keep=True) before backward")
        if dout.shape != self.A[-1].shape:
            raise ValueError(f"dout must have shape {self.A[-1].shape}, got {dout.shape}")
        n = self.n_layers
        grads: list[np.ndarray] = [None] * (2 * n)  # type: ignore[list-item]
        buf = (self._buffers(len(dout)) if self.reuse_buffers
               else dict.fromkeys(("dW", "db", "dA", "dphi"), [None] * n))  # None: allocate
        last = self.activations[-1]
        dZ = dout if last.name == "identity" else dout * last.df(self.Z[-1], self.A[-1])
        self.dZ = [None] * n  # type: ignore[list-item]
        for l in range(n - 1, -1, -1):
            self.dZ[l] = dZ
            grads[2 * l] = np.matmul(self.A[l].T, dZ, out=buf["dW"][l])  # dW = A_prev^T dZ
            grads[2 * l + 1] = dZ.sum(axis=0, out=buf["db"][l])          # db = sum_rows(dZ)
            if l > 0 or input_grad:
                dA = np.matmul(dZ, self.weights[l].T, out=buf["dA"][l])  # dA_prev = dZ W^T
                if l > 0:
                    act = self.activations[l - 1]
                    if act.name == "identity":  # phi' = 1
                        dZ = dA
                    else:                       # dZ_prev = dA_prev * phi'(Z_prev)
                        dphi = (act.df(self.Z[l - 1], self.A[l], out=buf["dphi"][l - 1])
                                if act.accepts_out else act.df(self.Z[l - 1], self.A[l]))
                        dZ = np.multiply(dA, dphi, out=buf["dA"][l])
        if input_grad:
            grads.append(dA)
        return grads
