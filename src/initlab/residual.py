"""A residual MLP with hand-written backpropagation: ``x <- x + alpha * F(x)``, block after block.

What: an input dense layer to width ``n``, ``L`` residual blocks and an output dense layer.
Block ``l`` maps the stream ``x`` (``(batch, n)``) to ``x + alpha_l * F_l(u)``, where the branch
``F_l`` is ``m`` dense layers with the activation between them (none after the last) and ``u`` is
``x`` itself or, with ``norm="pre"``, ``LayerNorm(x)`` (then one more LayerNorm before the output
layer, as in GPT-2). With ``norm="post"`` the LayerNorm comes after the addition,
``x <- LayerNorm(x + alpha_l F_l(x))`` (the original Transformer's order). ``alpha_l`` is a fixed
scalar, or learned (ReZero, SkipInit and Fixup's multiplier).

Why: residual networks are what people train now; their initialization questions (why GPT-2
scales residual projections by ``1/sqrt(2N)``, how Fixup, SkipInit and ReZero train 1,000 layers
without normalization) are about this stream. Branch and skip are uncorrelated at init, so the
second moments add: ``q_{l+1} = q_l (1 + alpha^2 g)`` with ``g`` the branch's own gain (He et
al. 2016, "Identity mappings in deep residual networks"; recipes in :mod:`initlab.residual_init`).

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples. ``self.stream[l]`` is the stream
after ``l`` blocks (``stream[0]`` after the input layer), ``(batch, n)``; after ``backward`` the
stream gradients ``dL/dx_l`` are in ``self.dstream`` with the same indexing. ``dense_layers()``
lists the dense layers of the last pass (input, branch layers block by block, output: what
:mod:`initlab.diagnostics` reads) and ``layer_groups()`` their places in ``parameters()``.
Backward of one block, ``y = x + alpha h_m``: ``dx = dy + (dF/du)^T (alpha dy)`` (plus the
LayerNorm chain rule), ``dalpha = sum(dy * h_m)``, and inside the branch as in
:class:`initlab.network.MLP`: ``dW = a^T dz``, ``db = sum_rows(dz)``, ``da = dz W^T``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from initlab import activations, initializers
from initlab._checks import check_choice, check_finite_array, check_int, check_rng
from initlab.network import DenseLayer
from initlab.norm import layer_norm, layer_norm_backward

InitSpec = str | Callable[..., np.ndarray]
NORMS = ("none", "pre", "post")


class ResidualMLP:
    """``X -> x_0 = X W_in + b_in -> L blocks x + alpha F(x) -> x_L W_out + b_out``.

    Parameters
    ----------
    n_in, width, n_out : input features, stream width ``n``, outputs.
    n_blocks : ``L`` (>= 1); branch_depth : ``m`` dense layers per branch (>= 1).
    rng : the Generator every layer draws from, in order (input, blocks, output).
    activation : between the branch's layers (name or :class:`~initlab.activations.Activation`).
    input_init, output_init : initializer specs (:func:`initlab.initializers.get`).
    branch_init : one spec for every branch layer, or a list of ``m`` (layer ``j`` of each branch).
    alpha : the branch multiplier at init (same for every block); learn_alpha : whether it trains.
    norm : ``"none"``, ``"pre"`` or ``"post"`` LayerNorm (gain 1, bias 0 at init, learned).

    ``parameters()`` order: ``W_in, b_in``, then per block ``[ln_gain, ln_bias]`` (pre/post),
    ``W_0, b_0, ..., W_{m-1}, b_{m-1}``, ``[alpha]`` (if learned); ``[lnf_gain, lnf_bias]``
    (pre), ``W_out, b_out``. ``alpha[l]`` is a ``(1,)`` array, updated in place like the rest.
    """

    def __init__(
        self, n_in: int, width: int, n_out: int, n_blocks: int, rng: np.random.Generator, *,
        branch_depth: int = 2, activation: str | activations.Activation = "relu",
        input_init: InitSpec = "lecun_normal", output_init: InitSpec = "lecun_normal",
        branch_init: InitSpec | Sequence[InitSpec] = "he_normal", alpha: float = 1.0,
        learn_alpha: bool = False, norm: str = "none", dtype: type | np.dtype = np.float64,
    ) -> None:
        check_rng(rng)
        self.n_in = check_int(n_in, "n_in", minimum=1)
        self.width = check_int(width, "width", minimum=1)
        self.n_out = check_int(n_out, "n_out", minimum=1)
        self.n_blocks = check_int(n_blocks, "n_blocks", minimum=1)
        self.branch_depth = m = check_int(branch_depth, "branch_depth", minimum=1)
        self.norm = check_choice(norm, "norm", NORMS)
        if not np.isfinite(alpha):
            raise ValueError(f"`alpha` must be a finite number, got {alpha!r}")
        self.learn_alpha = bool(learn_alpha)
        self.dtype = np.dtype(dtype)
        self.activation = activations.get(activation)
        inits = list(branch_init) if isinstance(branch_init, list | tuple) else [branch_init] * m
        if len(inits) != m:
            raise ValueError(f"branch_init list must have {m} entries (branch_depth), "
                             f"got {len(inits)}")
        n, dt = self.width, self.dtype
        zeros = initializers.zeros

        def draw(spec: InitSpec, shape: tuple[int, ...]) -> np.ndarray:
            return np.ascontiguousarray(initializers.get(spec)(shape, rng, dt))

        self.W_in, self.b_in = draw(input_init, (self.n_in, n)), zeros((n,), rng, dt)
        self.W = [[draw(inits[j], (n, n)) for j in range(m)] for _ in range(self.n_blocks)]
        self.b = [[zeros((n,), rng, dt) for _ in range(m)] for _ in range(self.n_blocks)]
        self.alpha = [np.full(1, alpha, dt) for _ in range(self.n_blocks)]
        n_ln = self.n_blocks + (self.norm == "pre") if self.norm != "none" else 0
        self.ln_gain = [np.ones(n, dt) for _ in range(n_ln)]   # last one: final LN (pre)
        self.ln_bias = [np.zeros(n, dt) for _ in range(n_ln)]
        self.W_out, self.b_out = draw(output_init, (n, self.n_out)), zeros((self.n_out,), rng, dt)
        self.stream: list[np.ndarray] = []   # x_0 .. x_L of the last forward(keep=True)
        self.dstream: list[np.ndarray] = []  # dL/dx_0 .. dL/dx_L of the last backward
        self._cache: list = []
        self._out: np.ndarray | None = None  # output of the last forward(keep=True)
        self._dZ: list[np.ndarray] = []      # dL/dZ of every dense layer, last backward

    # ------------------------------------------------------------------ parameters
    def parameters(self) -> list[np.ndarray]:
        """The arrays themselves, in the order of the class docstring (updates are in place)."""
        params = [self.W_in, self.b_in]
        for l in range(self.n_blocks):
            if self.norm != "none":
                params += [self.ln_gain[l], self.ln_bias[l]]
            for W, b in zip(self.W[l], self.b[l], strict=True):
                params += [W, b]
            if self.learn_alpha:
                params.append(self.alpha[l])
        if self.norm == "pre":
            params += [self.ln_gain[-1], self.ln_bias[-1]]
        return params + [self.W_out, self.b_out]

    def block_slices(self) -> list[slice]:
        """``parameters()[block_slices()[l]]`` are block ``l``'s parameters (LN, branch, alpha)."""
        per = 2 * self.branch_depth + 2 * (self.norm != "none") + self.learn_alpha
        return [slice(2 + l * per, 2 + (l + 1) * per) for l in range(self.n_blocks)]

    def layer_groups(self) -> list[tuple[int, int]]:
        """``(i_W, i_b)`` in ``parameters()`` per dense layer, in :meth:`dense_layers` order."""
        skip = 2 * (self.norm != "none")  # a block's LayerNorm gain and bias come first
        branch = [(s.start + skip + 2 * j, s.start + skip + 2 * j + 1)
                  for s in self.block_slices() for j in range(self.branch_depth)]
        n = len(self.parameters())
        return [(0, 1), *branch, (n - 2, n - 1)]

    def dense_layers(self) -> list[DenseLayer]:
        """The ``L m + 2`` dense layers of the last pass, in forward order (no copies).

        Input layer: ``Z = A = x_0`` (no activation); then block by block, branch layer ``j``:
        ``Z = z_j = a_j W_j + b_j`` and ``A = phi(z_j)``, or ``z_j`` itself for ``j = m - 1``
        (``alpha A`` is what the block adds to the stream); output layer: ``Z = A`` = the
        output. ``dZ``: ``dL/dx_0``, ``dL/dz_j``, ``dL/d(output)`` of the last ``backward``.
        The LayerNorm gains and biases and ``alpha`` belong to no dense layer.
        """
        if not self.stream:
            raise RuntimeError("call forward(X, keep=True) before dense_layers")
        ident, m = activations.get("identity"), self.branch_depth
        Ws = [self.W_in, *(W for Ws in self.W for W in Ws), self.W_out]
        bs = [self.b_in, *(b for bs in self.b for b in bs), self.b_out]
        Zs = [self.stream[0], *(z for zs, *_ in self._cache for z in zs), self._out]
        As = [self.stream[0], *(a for _, As, *_ in self._cache for a in As[1:]), self._out]
        acts = [ident, *([self.activation] * (m - 1) + [ident]) * self.n_blocks, ident]
        dZ = self._dZ or [None] * len(Ws)
        return [DenseLayer(*v) for v in zip(Ws, bs, Zs, As, acts, dZ, strict=True)]

    def n_parameters(self) -> int:
        """Total number of scalars in every parameter array."""
        return sum(p.size for p in self.parameters())

    def copy(self) -> ResidualMLP:
        """A deep copy (every parameter copied, caches empty)."""
        new = object.__new__(ResidualMLP)
        new.__dict__.update(self.__dict__)
        new.W_in, new.b_in = self.W_in.copy(), self.b_in.copy()
        new.W = [[W.copy() for W in Ws] for Ws in self.W]
        new.b = [[b.copy() for b in bs] for bs in self.b]
        new.alpha = [a.copy() for a in self.alpha]
        new.ln_gain = [g.copy() for g in self.ln_gain]
        new.ln_bias = [b.copy() for b in self.ln_bias]
        new.W_out, new.b_out = self.W_out.copy(), self.b_out.copy()
        new.stream, new.dstream, new._cache, new._out, new._dZ = [], [], [], None, []
        return new

    def __getstate__(self) -> dict:
        """Pickle without the caches of the last pass (scratch space, possibly large)."""
        state = {**self.__dict__, "stream": [], "dstream": [], "_cache": [], "_out": None,
                 "_dZ": []}
        for key in ("_X", "_top", "_final_cache"):
            state.pop(key, None)
        return state

    # ------------------------------------------------------------------ forward
    def check_input(self, X: np.ndarray) -> np.ndarray:
        """Return ``X`` as a 2-D array of this network's dtype, or raise naming the problem."""
        X = check_finite_array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.n_in:
            raise ValueError(f"X must have shape (batch, {self.n_in}) for this network, "
                             f"got {X.shape}")
        return X.astype(self.dtype, copy=False)

    def _layer_norm(self, x: np.ndarray, i: int) -> tuple[np.ndarray, object]:
        return layer_norm(x, self.ln_gain[i], self.ln_bias[i])

    def _block(self, x: np.ndarray, l: int, keep: bool) -> np.ndarray:
        """One block: ``y = x + alpha F(u)``, ``u = LN(x)`` (pre) or ``x``; post: ``LN(y)``."""
        act = self.activation
        u, ln_cache = self._layer_norm(x, l) if self.norm == "pre" else (x, None)
        a, zs, As = u, [], [u]
        for j, (W, b) in enumerate(zip(self.W[l], self.b[l], strict=True)):
            z = a @ W + b                                   # z_j = a_j W_j + b_j
            a = act.f(z) if j < self.branch_depth - 1 else z  # no activation after the last
            zs.append(z)
            As.append(a)
        y = x + self.alpha[l][0] * a                        # y = x + alpha h_m
        post_cache = None
        if self.norm == "post":
            y, post_cache = self._layer_norm(y, l)
        if keep:
            self._cache.append((zs, As, ln_cache, post_cache))
        return y

    def forward(self, X: np.ndarray, keep: bool = True, check: bool = True) -> np.ndarray:
        """Return the output ``(batch, n_out)``; with ``keep`` store what ``backward`` needs."""
        if check:
            X = self.check_input(X)
        x = X @ self.W_in + self.b_in                       # x_0 = X W_in + b_in
        stream = [x]
        if keep:
            self._cache = []
        for l in range(self.n_blocks):
            x = self._block(x, l, keep)
            if keep:
                stream.append(x)
        final_cache = None
        if self.norm == "pre":
            x, final_cache = self._layer_norm(x, -1)
        out = x @ self.W_out + self.b_out                   # output = x W_out + b_out
        if keep:
            self.stream, self._X, self._top, self._final_cache = stream, X, x, final_cache
            self._out = out
        return out

    def stream_second_moments(self, X: np.ndarray) -> np.ndarray:
        """``(L + 1,)``: ``mean(x_l^2)`` of the stream after ``l`` blocks, no caches kept.

        An entry that is not finite (the stream overflowed float64) is ``inf``, and so are all
        after it: the caller records them as overflowed, never as a number.
        """
        X = self.check_input(X)
        q = np.full(self.n_blocks + 1, np.inf)
        with np.errstate(over="ignore", invalid="ignore"):
            x = X @ self.W_in + self.b_in
            for l in range(self.n_blocks + 1):
                if l:
                    x = self._block(x, l - 1, keep=False)
                ms = float(np.mean(x * x))                  # q_l = mean over batch and units
                if not np.isfinite(ms):
                    break
                q[l] = ms
        return q

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class per row: ``argmax`` of the output (or ``output > 0`` if one unit)."""
        out = self.forward(X, keep=False)
        return (out[:, 0] > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)

    # ------------------------------------------------------------------ backward
    def backward(self, dout: np.ndarray) -> list[np.ndarray]:
        """Gradients aligned with :meth:`parameters`, given ``dout = dL/d(output)``.

        Uses the caches of the last ``forward(keep=True)``; leaves ``dL/dx_l`` in
        ``self.dstream`` (``(L + 1)`` arrays ``(batch, n)``).
        """
        if not self.stream:
            raise RuntimeError("call forward(X, keep=True) before backward")
        if dout.shape != (len(self._X), self.n_out):
            raise ValueError(f"dout must have shape {(len(self._X), self.n_out)}, "
                             f"got {dout.shape}")
        act = self.activation
        tail = [self._top.T @ dout, dout.sum(axis=0)]       # dW_out, db_out
        dx = dout @ self.W_out.T
        if self.norm == "pre":
            dx, dg, db = layer_norm_backward(dx, self._final_cache)
            tail = [dg, db] + tail
        dstream = [dx]
        blocks: list[list[np.ndarray]] = []
        dzs: list[list[np.ndarray]] = []                     # dL/dz_j per block, for dense_layers
        for l in range(self.n_blocks - 1, -1, -1):
            zs, As, ln_cache, post_cache = self._cache[l]
            g: list[np.ndarray] = []
            if self.norm == "post":                          # y = LN(x + alpha h)
                dx, dg, db = layer_norm_backward(dx, post_cache)
                g_ln = [dg, db]
            alpha = self.alpha[l][0]
            d_alpha = np.array([np.vdot(dx, As[-1])])       # dalpha = sum(dy * h_m)
            dz = alpha * dx                                  # dh_m = alpha dy
            dzs.append([None] * self.branch_depth)
            for j in range(self.branch_depth - 1, -1, -1):
                dzs[-1][j] = dz                              # dL/dz_j
                g[:0] = [As[j].T @ dz, dz.sum(axis=0)]       # dW_j = a_j^T dz_j, db_j
                da = dz @ self.W[l][j].T                     # da_j = dz_j W_j^T
                dz = da * act.df(zs[j - 1], As[j]) if j > 0 else da
            if self.norm == "pre":                           # u = LN(x)
                du, dg, db = layer_norm_backward(dz, ln_cache)
                g_ln = [dg, db]
                dx = dx + du
            else:
                dx = dx + dz                                 # skip + branch
            if self.norm != "none":
                g = g_ln + g
            if self.learn_alpha:
                g.append(d_alpha)
            blocks.append(g)
            dstream.append(dx)
        self.dstream = dstream[::-1]
        self._dZ = [dx, *(dz for block in dzs[::-1] for dz in block), dout]
        head = [self._X.T @ dx, dx.sum(axis=0)]             # dW_in, db_in
        return head + [p for g in blocks[::-1] for p in g] + tail
