"""Per-layer statistics of a network at one moment: what the initialization chapters plot.

What: one forward (and backward) pass through an :class:`~initlab.network.MLP`, a
:class:`~initlab.normalized.NormalizedMLP` or a :class:`~initlab.residual.ResidualMLP`
(the Jacobians: MLP only) summarised dense layer by dense layer (means, stds, saturated and
dead units, gradient norms, the update:data ratio), the raw per-layer values for histograms,
how similar the hidden units are (symmetry breaking), effective ranks, and the input-output
Jacobian whose singular values measure dynamical isometry.

Why: vanishing and exploding signals (Glorot and Bengio 2010, Figs. 6-7: activations and
back-propagated gradients ``dL/dZ_l`` per layer), the ReLU variance argument (He et al. 2015),
symmetric units under constant init, and the Jacobian spectrum of Saxe et al. 2014 and
Pennington et al. 2017 are all read off these numbers.

Shapes and indexing: weights ``W[l]`` are ``(n_in, n_out)``, rows of ``X`` are examples,
``Z[l] = A[l] @ W[l] + b[l]`` and ``A[l + 1] = phi_l(Z[l])`` with ``A[0] = X``. Every per-layer
array has one entry per dense layer, in forward order: entry ``l`` describes the layer with
weights ``W[l]`` (its pre-activations ``Z[l]`` and outputs ``A[l + 1]``); the last entry is
the output layer. A "layer" is what the model's ``dense_layers()`` lists
(:class:`~initlab.network.DenseLayer`): for a NormalizedMLP ``Z[l]`` is the normalized input
of ``phi`` and the gains and betas are left out; for a ResidualMLP the layers are the input
layer (``Z = A =`` the stream ``x_0``), then each block's branch layers (``Z = z_j``,
``A = phi(z_j)``, no activation after the last), then the output layer, so ``n_blocks *
branch_depth + 2`` entries; the stream itself is ``model.stream`` and its LayerNorms and
``alpha`` are left out. Stds are over all entries of a layer (units and examples together,
``ddof=0``). No result is ever a silent NaN: undefined cases are fixed conventions, stated
where they occur.

Side effect: :func:`layer_stats`, :func:`layer_values` and the Jacobian functions call
``model.forward(X, keep=True)``, which replaces the model's caches (``Z``, ``A``, ...).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial.distance import cdist

from initlab import losses
from initlab._checks import check_choice, check_finite_array, check_int, check_positive
from initlab.network import MLP, DenseLayer
from initlab.normalized import NormalizedMLP
from initlab.residual import ResidualMLP

#: ``tanh`` unit is saturated when ``|a| > TANH_SATURATION`` (``tanh'(z) < 0.06``).
TANH_SATURATION = 0.97
#: ``sigmoid`` unit is saturated when ``a < SIGMOID_SATURATION`` or ``a > 1 - SIGMOID_SATURATION``.
SIGMOID_SATURATION = 0.03
#: activations whose "dead" / "inactive" state (``Z <= 0``, so ``phi'(Z)`` is 0 or ``alpha``)
#: is defined; for every other activation ``dead_frac`` and ``inactive_frac`` are 0.0.
RELU_LIKE = ("relu", "leaky_relu")
VALUE_KINDS = ("act", "preact", "grad")


# ---------------------------------------------------------------- one pass through the network


def _check_model(model: object, any_kind: bool = True) -> MLP:
    """An MLP, or (``any_kind``) a NormalizedMLP or ResidualMLP, or raise."""
    kinds = (MLP, NormalizedMLP, ResidualMLP) if any_kind else (MLP,)
    if not isinstance(model, kinds):
        names = " or ".join(f"initlab.{k.__module__.split('.')[-1]}.{k.__name__}" for k in kinds)
        raise TypeError(f"`model` must be an {names}, got {type(model).__name__}")
    return model


def _forward(model: MLP, X: np.ndarray) -> np.ndarray:
    """``model.forward(X, keep=True)``; raise naming the first layer that overflowed."""
    X = model.check_input(X)
    if len(X) == 0:
        raise ValueError(f"X must have at least one row, got shape {X.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = model.forward(X, keep=True, check=False)
    for l, layer in enumerate(model.dense_layers()):
        if not np.all(np.isfinite(layer.Z)):
            raise ValueError(f"the forward pass overflowed: pre-activations Z[{l}] of layer {l} "
                             "are not finite in float64 (weights too large for this depth)")
    return out


def _backward(model: MLP, dout: np.ndarray) -> tuple[list[np.ndarray], list[DenseLayer]]:
    """``model.backward(dout)`` after a forward: its gradients and the dense layers."""
    try:
        layers = model.dense_layers()
    except RuntimeError:
        raise RuntimeError("call model.forward(X, keep=True) before backprop_grads") from None
    if np.shape(dout) != layers[-1].A.shape:
        raise ValueError(f"dout must have shape {layers[-1].A.shape}, got {np.shape(dout)}")
    grads = model.backward(np.asarray(dout))
    return grads, model.dense_layers()


def backprop_grads(model: MLP, dout: np.ndarray) -> list[np.ndarray]:
    """``[dL/dZ_0, ..., dL/dZ_{L-1}]`` after ``model.forward(X, keep=True)``, each ``(batch, n_l)``.

    Glorot and Bengio's back-propagated gradients: ``dZ_{L-1} = dout * phi_{L-1}'(Z_{L-1})``,
    then ``dZ_{l-1} = (dZ_l @ W_l.T) * phi_{l-1}'(Z_{l-1})`` down to the first layer, i.e. the
    ``dZ`` that :meth:`initlab.network.MLP.backward` computes on its way (copies, so they
    survive the next pass); one per dense layer (module docstring). ``dout = dL/d(output)``
    is ``(batch, n_out)``.
    """
    _check_model(model)
    return [layer.dZ.copy() for layer in _backward(model, dout)[1]]


def _loss_grad(model: MLP, out: np.ndarray, y: np.ndarray,
               loss: str | losses.Loss) -> np.ndarray:
    _, dout = losses.get(loss)(out, y)
    if not np.all(np.isfinite(dout)):
        raise ValueError("the loss gradient dL/d(output) is not finite")
    return dout


def _log10_ratio(num: float, den: float) -> float:
    """``log10(num / den)`` for ``num, den >= 0`` with the two 0 cases fixed (see layer_stats)."""
    if num == 0.0:
        return -np.inf  # no update at all (also when den == 0)
    if den == 0.0:
        return np.inf   # an update on weights with no spread
    return float(np.log10(num / den))


def layer_stats(
    model: MLP,
    X: np.ndarray,
    y: np.ndarray | None = None,
    loss: str | losses.Loss = "softmax_cross_entropy",
    lr: float = 0.01,
) -> dict[str, np.ndarray]:
    """Per-layer statistics of one forward pass (and one backward pass if ``y`` is given).

    ``X`` is ``(batch, n_in)``; each value is an ``(n_layers,)`` float array (module docstring
    for the indexing). Always:

    - ``preact_mean``, ``preact_std``: mean and std of ``Z[l]``; ``act_mean``, ``act_std``: of
      ``A[l + 1] = phi(Z[l])``; ``weight_std``: std of the entries of ``W[l]``.
    - ``saturated_frac``: fraction of entries of ``A[l + 1]`` with ``|a| > 0.97`` (tanh) or
      ``a < 0.03 or a > 0.97`` (sigmoid); 0.0 for every other activation (undefined there).
    - ``dead_frac``: fraction of units with ``Z <= 0`` for *every* example of the batch;
      ``inactive_frac``: fraction of entries with ``Z <= 0``. Both relu / leaky_relu only
      (``phi'`` is 0 or ``alpha`` there); 0.0 for every other activation.

    With ``y`` (labels or targets for ``loss``), from ``dL/dZ`` (:func:`backprop_grads`) and
    ``[dW_l, db_l]`` (``model.backward``):

    - ``grad_W_norm = ||dW_l||_F``, ``grad_b_norm = ||db_l||_2``, ``grad_W_std = std(dW_l)``;
    - ``backprop_grad_std = std(dL/dZ_l)``, Glorot and Bengio's back-propagated gradient;
    - ``update_ratio = log10(std(lr * dW_l) / std(W_l))``, the size of one plain SGD step
      relative to the weights (Karpathy's rule of thumb: about -3). Conventions, never NaN:
      ``-inf`` when ``std(dW_l) = 0`` (nothing moves), ``+inf`` when ``std(dW_l) > 0`` but
      ``std(W_l) = 0`` (e.g. a constant init).
    """
    _check_model(model)
    lr = check_positive(lr, "lr")
    out = _forward(model, X)
    stats: dict[str, list[float]] = {k: [] for k in (
        "preact_mean", "preact_std", "act_mean", "act_std", "weight_std", "saturated_frac",
        "dead_frac", "inactive_frac")}
    for W, _, Z, A, act, _ in model.dense_layers():
        stats["preact_mean"].append(float(Z.mean()))
        stats["preact_std"].append(float(Z.std()))
        stats["act_mean"].append(float(A.mean()))
        stats["act_std"].append(float(A.std()))
        stats["weight_std"].append(float(W.std()))
        if act.name == "tanh":
            saturated = np.abs(A) > TANH_SATURATION
        elif act.name == "sigmoid":
            saturated = (A < SIGMOID_SATURATION) | (A > 1.0 - SIGMOID_SATURATION)
        else:
            saturated = np.zeros(1, dtype=bool)  # undefined: 0.0 by convention
        stats["saturated_frac"].append(float(saturated.mean()))
        inactive = Z <= 0.0 if act.name in RELU_LIKE else np.zeros((1, 1), dtype=bool)
        stats["dead_frac"].append(float(inactive.all(axis=0).mean()))  # dead for every row
        stats["inactive_frac"].append(float(inactive.mean()))
    if y is not None:
        dout = _loss_grad(model, out, y, loss)
        grads, layers = _backward(model, dout)  # gains, betas, alpha: in no dense layer
        dWs, dbs = ([grads[i] for i in ij] for ij in zip(*model.layer_groups(), strict=True))
        stats["grad_W_norm"] = [float(np.linalg.norm(dW)) for dW in dWs]  # Frobenius
        stats["grad_b_norm"] = [float(np.linalg.norm(db)) for db in dbs]
        stats["grad_W_std"] = [float(dW.std()) for dW in dWs]
        stats["backprop_grad_std"] = [float(layer.dZ.std()) for layer in layers]
        stats["update_ratio"] = [_log10_ratio(float((lr * dW).std()), w_std)  # log10 std ratio
                                 for dW, w_std in zip(dWs, stats["weight_std"], strict=True)]
    return {k: np.array(v, dtype=np.float64) for k, v in stats.items()}


def layer_values(
    model: MLP,
    X: np.ndarray,
    which: str = "act",
    y: np.ndarray | None = None,
    loss: str | losses.Loss = "softmax_cross_entropy",
) -> list[np.ndarray]:
    """The raw per-layer arrays for histograms: one ``(batch, n_l)`` array per layer.

    ``which="act"``: ``A[l + 1] = phi(Z[l])``; ``"preact"``: ``Z[l]``; ``"grad"``: the
    back-propagated ``dL/dZ_l`` (needs ``y``). The last entry is the output layer; take
    ``[:-1]`` for the hidden layers (Glorot and Bengio 2010, Figs. 6-7).
    """
    _check_model(model)
    check_choice(which, "which", VALUE_KINDS)
    if which == "grad" and y is None:
        raise ValueError("which='grad' needs the labels `y` (and `loss`) for the backward pass")
    out = _forward(model, X)
    if which in ("act", "preact"):
        return [layer.A if which == "act" else layer.Z for layer in model.dense_layers()]
    return backprop_grads(model, _loss_grad(model, out, y, loss))


def histograms_by_layer(
    values: list[np.ndarray],
    bins: int = 50,
    value_range: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Density histograms of several layers on shared bins: ``(density, edges)``.

    ``values`` is a list of arrays (e.g. from :func:`layer_values`); ``edges`` is
    ``(bins + 1,)``, spanning ``value_range`` or, if None, the smallest to the largest value
    of all layers; ``density`` is ``(len(values), bins)``,
    ``density[l, k] = count[l, k] / (values[l].size * (edges[k + 1] - edges[k]))``, so row
    ``l`` integrates to the fraction of layer ``l``'s values inside the range (not
    renormalised: values outside a given ``value_range`` are visibly missing, never NaN).
    """
    bins = check_int(bins, "bins", minimum=1)
    if len(values) == 0:
        raise ValueError("`values` is empty: give one array per layer")
    arrays = [check_finite_array(v, f"values[{i}]").ravel() for i, v in enumerate(values)]
    for i, a in enumerate(arrays):
        if a.size == 0:
            raise ValueError(f"values[{i}] is empty")
    if value_range is None:
        lo = min(float(a.min()) for a in arrays)
        hi = max(float(a.max()) for a in arrays)
        if hi == lo:  # all values equal: a unit-wide range around them
            lo, hi = lo - 0.5, hi + 0.5
    else:
        lo, hi = (float(v) for v in value_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"`value_range` must be finite (low, high) with low < high, "
                             f"got {value_range!r}")
    edges = np.linspace(lo, hi, bins + 1)
    counts = np.array([np.histogram(a, edges)[0] for a in arrays], dtype=np.float64)
    sizes = np.array([a.size for a in arrays], dtype=np.float64)[:, None]
    return counts / (sizes * np.diff(edges)), edges


# ---------------------------------------------------------------- weights: symmetry and rank


def _check_matrix(W: object, name: str = "W") -> np.ndarray:
    W = check_finite_array(W, name)
    if W.ndim != 2 or W.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 2-D matrix (n_in, n_out), got shape "
                         f"{W.shape}")
    return W.astype(np.float64, copy=False)


def hidden_unit_similarity(W: np.ndarray, b: np.ndarray | None = None,
                           tol: float = 1e-12) -> dict[str, float | int]:
    """How alike the units of a layer are: the symmetry a constant init never breaks.

    Unit ``j`` is column ``W[:, j]`` of ``W`` ``(n_in, n_out)``, with ``b[j]`` appended when
    ``b`` ``(n_out,)`` is given. With ``d(i, j) = max_k |u_i[k] - u_j[k]|``:

    - ``n_distinct``: number of groups of identical units, found greedily (each unit not yet
      grouped starts a group and takes every ungrouped unit with ``d <= tol``);
    - ``max_cosine``: ``max_{i != j} u_i . u_j / (||u_i|| ||u_j||)``, 1.0 as soon as two units
      coincide; convention: two zero vectors have cosine 1.0 (identical units), a zero and a
      non-zero vector 0.0;
    - ``max_abs_diff``: ``max_{i, j} d(i, j)``, 0.0 exactly when all units are identical.

    Needs ``n_out >= 2`` (one unit has no pair).
    """
    U = _check_matrix(W)
    tol = float(tol)
    if not tol >= 0:
        raise ValueError(f"`tol` must be >= 0, got {tol!r}")
    if b is not None:
        b = check_finite_array(b, "b")
        if b.shape != (U.shape[1],):
            raise ValueError(f"`b` must have shape ({U.shape[1]},) to match W, got {b.shape}")
        U = np.vstack([U, b[None, :]])
    n = U.shape[1]
    if n < 2:
        raise ValueError(f"hidden_unit_similarity needs at least 2 units (columns), got W of "
                         f"shape {np.shape(W)}")
    D = cdist(U.T, U.T, metric="chebyshev")  # d(i, j) = max_k |u_i[k] - u_j[k]|
    group = np.full(n, -1)
    for i in range(n):
        if group[i] < 0:
            group[(group < 0) & (D[i] <= tol)] = i
    norms = np.linalg.norm(U, axis=0)
    zero = norms == 0.0
    cos = (U.T @ U) / np.where(zero, 1.0, norms)[:, None] / np.where(zero, 1.0, norms)[None, :]
    cos[zero[:, None] & zero[None, :]] = 1.0  # two zero units: identical
    np.fill_diagonal(cos, -np.inf)
    return {"n_distinct": int(np.unique(group).size),
            "max_cosine": float(min(cos.max(), 1.0)),  # clip rounding above 1
            "max_abs_diff": float(D.max())}


def effective_rank(W: np.ndarray, tol: float | None = None) -> int:
    """Numerical rank of ``W``: singular values ``> tol`` (default ``S.max() * max(shape) * eps``,
    numpy's ``matrix_rank``). Rank 1 for a constant init, full for a generic random draw.
    """
    W = _check_matrix(W)
    if tol is not None:
        tol = float(tol)
        if not tol >= 0:
            raise ValueError(f"`tol` must be >= 0, got {tol!r}")
    return int(np.linalg.matrix_rank(W, tol=tol))


def entropy_effective_rank(W: np.ndarray) -> float:
    """Roy and Vetterli (2007): ``exp(-sum_k p_k log p_k)`` with ``p_k = s_k / sum(s)``.

    ``s`` are the singular values of ``W``; ``0 log 0 = 0``. Between 1 (rank one) and
    ``min(shape)`` (all singular values equal, e.g. orthogonal); 0.0 for the zero matrix.
    """
    s = np.linalg.svd(_check_matrix(W), compute_uv=False)
    total = s.sum()
    if total == 0.0:
        return 0.0
    p = s[s > 0] / total
    return float(np.exp(-np.sum(p * np.log(p))))


# ---------------------------------------------------------------- Jacobian: dynamical isometry


def _jacobian_from_cache(model: MLP, i: int) -> np.ndarray:
    """``d out / d x`` of row ``i`` of the last forward pass, ``(n_out, n_in)``."""
    J = np.eye(model.sizes[0])
    for l, (W, act) in enumerate(zip(model.weights, model.activations, strict=True)):
        Z, A = model.Z[l][i:i + 1], model.A[l + 1][i:i + 1]
        dphi = act.df(Z, A)[0]               # phi'(z_l), (n_{l+1},)
        J = dphi[:, None] * (W.T @ J)        # J_{l+1} = diag(phi'(z_l)) W_l^T J_l
    return J


def input_output_jacobian(model: MLP, x: np.ndarray) -> np.ndarray:
    """Jacobian ``d(output)/dx`` of the whole network at one input, ``(n_out, n_in)``.

    ``x`` is ``(n_in,)`` or ``(1, n_in)``. ``J = D_{L-1} W_{L-1}^T ... D_0 W_0^T`` with
    ``D_l = diag(phi_l'(z_l))``, the output activation included (identity for logits).
    Plain MLP only (a normalized layer couples the rows of a batch or the units of a row).
    """
    _check_model(model, any_kind=False)
    x = check_finite_array(x, "x")
    if x.shape not in ((model.sizes[0],), (1, model.sizes[0])):
        raise ValueError(f"x must be one input of shape ({model.sizes[0]},) or "
                         f"(1, {model.sizes[0]}), got {x.shape}")
    _forward(model, x.reshape(1, -1))
    return _jacobian_from_cache(model, 0)


def jacobian_singular_values(model: MLP, X: np.ndarray, n_samples: int | None = None
                             ) -> np.ndarray:
    """Singular values of the input-output Jacobian at the first ``n_samples`` rows of ``X``.

    Pooled into one array of shape ``(n_samples * min(n_in, n_out),)``, ordered by input and
    descending within an input (all rows if ``n_samples`` is None; shuffle ``X`` with your rng
    to sample). Dynamical isometry (Saxe et al. 2014, Pennington et al. 2017) means they all
    sit near 1; a deep linear net with orthogonal ``W_l = gain * Q_l`` has all equal to
    ``gain ** n_layers``. Plain MLP only.
    """
    _check_model(model, any_kind=False)
    X = model.check_input(X)
    n = len(X) if n_samples is None else check_int(n_samples, "n_samples", minimum=1)
    if n > len(X) or n == 0:
        raise ValueError(f"n_samples={n} needs at least that many rows in X, got {len(X)}")
    _forward(model, X[:n])
    return np.concatenate([np.linalg.svd(_jacobian_from_cache(model, i), compute_uv=False)
                           for i in range(n)])


# ---------------------------------------------------------------- training history


def gradient_norms_by_layer(history: object) -> np.ndarray:
    """``History.layer_grad_norms`` as an ``(n_steps, n_layers)`` array of ``||dW_l||_F``.

    ``history`` is a :class:`~initlab.train.History` or its ``to_dict()``.
    """
    get: Callable[[str], object] = (history.get if isinstance(history, dict)
                                    else lambda k: getattr(history, k, None))
    norms = get("layer_grad_norms")
    if norms is None:
        raise TypeError(f"`history` must be a train.History or its to_dict(), got "
                        f"{type(history).__name__}")
    if len(norms) == 0:
        raise ValueError("history has no per-layer gradient norms: train with "
                         f"track_layer_norms=True (diverged_at={get('diverged_at')!r})")
    lengths = {len(row) for row in norms}
    if len(lengths) != 1:
        raise ValueError(f"history.layer_grad_norms rows have different lengths {lengths}")
    return np.array(norms, dtype=np.float64)
