"""An embedding table in front of an MLP: token ids in, class scores out.

Why: the sources' case for random initialization includes embedding layers: a table of
vectors, one row per token, initialized at random and shaped by backprop into whatever
structure the task needs. Zero (or constant) init gives every token the same vector and the
same gradient, so the table never separates them: symmetry breaking again.

Shapes: token ids ``T`` are ints ``(batch, context)`` in ``[0, n_tokens)``; the table ``E`` is
``(n_tokens, dim)``. Forward: ``X = concat_j E[T[:, j]]`` of shape ``(batch, context * dim)``,
then the MLP. Backward: the MLP's input gradient ``dX`` is cut back into ``context`` blocks of
``dim`` and scatter-added into the rows that were looked up:
``dE[T[i, j]] += dX[i, j*dim:(j+1)*dim]`` (``np.add.at``, so repeated tokens accumulate).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from initlab import initializers
from initlab._checks import check_int, check_rng
from initlab.network import MLP, InitSpec


class EmbeddingMLP:
    """``n_tokens x dim`` embedding table, concatenated over ``context`` tokens, then an MLP.

    ``hidden`` are the MLP's hidden widths and ``n_out`` its output size; the remaining
    keyword arguments go to :class:`~initlab.network.MLP`. Exposes the same interface as
    ``MLP`` (``forward``, ``backward``, ``parameters``, ``predict``, ``check_input``), so
    :func:`initlab.train.train` trains it unchanged. ``parameters()`` lists the MLP's
    ``[W_0, b_0, ...]`` first and the table ``E`` last, so ``History.layer_grad_norms``
    holds the dense layers' weight-gradient norms followed by the table's.
    """

    def __init__(
        self,
        n_tokens: int,
        dim: int,
        context: int,
        hidden: Sequence[int],
        n_out: int,
        rng: np.random.Generator,
        embedding_init: InitSpec = "random_normal",
        **mlp_kwargs: object,
    ) -> None:
        check_rng(rng)
        self.n_tokens = check_int(n_tokens, "n_tokens", minimum=1)
        self.dim = check_int(dim, "dim", minimum=1)
        self.context = check_int(context, "context", minimum=1)
        # the table is drawn first, then the MLP, both from the same running rng
        self.E = np.ascontiguousarray(
            initializers.get(embedding_init)((self.n_tokens, self.dim), rng))
        self.mlp = MLP([self.context * self.dim, *hidden, n_out], rng, **mlp_kwargs)
        self.E = self.E.astype(self.mlp.dtype, copy=False)
        self.sizes = (self.context,) + self.mlp.sizes[1:]
        self._T: np.ndarray | None = None

    def parameters(self) -> list[np.ndarray]:
        """``[W_0, b_0, ..., E]`` (the arrays themselves; updates are in place)."""
        return [*self.mlp.parameters(), self.E]

    def check_input(self, T: np.ndarray) -> np.ndarray:
        """Return ``T`` as int64 ``(batch, context)`` ids, or raise naming the problem."""
        T = np.asarray(T)
        if T.ndim != 2 or T.shape[1] != self.context:
            raise ValueError(f"token ids must have shape (batch, {self.context}), got {T.shape}")
        if not np.issubdtype(T.dtype, np.integer):
            raise TypeError(f"token ids must be integers, got dtype {T.dtype}")
        if T.size and (T.min() < 0 or T.max() >= self.n_tokens):
            raise ValueError(
                f"token ids must be in [0, {self.n_tokens - 1}], got {T.min()} to {T.max()}")
        return T.astype(np.int64, copy=False)

    def embed(self, T: np.ndarray) -> np.ndarray:
        """``(batch, context * dim)``: the looked-up rows of ``E``, concatenated per example."""
        return self.E[T].reshape(len(T), self.context * self.dim)

    def forward(self, T: np.ndarray, keep: bool = True, check: bool = True) -> np.ndarray:
        """Class scores ``(batch, n_out)`` for token ids ``T``."""
        if check:
            T = self.check_input(T)
        if keep:
            self._T = T
        return self.mlp.forward(self.embed(T), keep=keep, check=False)

    def backward(self, dout: np.ndarray) -> list[np.ndarray]:
        """``[dW_0, db_0, ..., dE]`` for ``dout = dL/d(output)``; ``dE`` by scatter-add."""
        if self._T is None:
            raise RuntimeError("call forward(T, keep=True) before backward")
        *grads, dX = self.mlp.backward(dout, input_grad=True)
        dE = np.zeros_like(self.E)
        np.add.at(dE, self._T.reshape(-1), dX.reshape(-1, self.dim))  # dE[t] += dX block
        return [*grads, dE]

    def predict(self, T: np.ndarray) -> np.ndarray:
        """Predicted class per row (argmax of the scores)."""
        return self.forward(T, keep=False).argmax(axis=1)
