"""Chapter 3, symmetry breaking: the experiments behind the page.

What: a one-hidden-layer net ``(64, width, 10)`` on the digits, trained with plain SGD from

- a constant init (every weight ``value``, zero biases; ``value = 0`` is the zero init): the
  hidden units start identical and, because identical units get identical gradients, stay
  identical (:func:`symmetry_stats` after every epoch: distinct units, largest difference
  between two units, numerical and entropy effective rank of ``W_1``);
- the same constant plus a tiny perturbation ``eps * N(0, 1)`` (:func:`perturbed_constant`),
  which training amplifies exponentially until the units differ;
- the constant init trained with inverted dropout on the hidden layer (Srivastava et al. 2014),
  whose random masks give the units different gradients (:func:`dropout_activation`,
  :func:`fit`: the library's training loop has no dropout);
- a random (Glorot uniform) init, the baseline.

:data:`EXACT_DTYPE`: the constant runs with a non-zero constant use numpy's ``longdouble``, whose
matrix product is numpy's own loop (``out[m, p] = sum_n a[m, n] b[n, p]``, ``n`` in order)
instead of the BLAS. Every unit then provably goes through the same operations, so the symmetry
is exact on any machine. In float64 it is exact only if the BLAS kernel happens to treat every
output column alike, which depends on the CPU and the width. The zero init needs no such care:
every product is ``+-0`` whatever the order.

Why: "random init breaks the symmetry" is usually said, not measured. Here every statement of
the page is a number: exactly 0.0, rank 1, the growth rate of a perturbation.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples, ``Z = X @ W + b``. Hidden unit
``j`` of layer ``l`` is the column ``W_l[:, j]`` (incoming weights), ``b_l[j]`` and the row
``W_{l+1}[j, :]`` (outgoing weights): :func:`unit_matrix` stacks them into a
``(fan_in + 1 + fan_out, width)`` matrix. Every experiment takes an explicit ``seed`` and
``smoke`` flag and returns a plain dict of numbers and arrays; ``plot_*`` draw from those dicts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from scipy import integrate

from initlab import activations, datasets, diagnostics, initializers, losses, network, sweep, train
from initlab._checks import check_choice, check_int, check_rng
from initlab.optim import SGD

WIDTH = 32     # hidden units
EXACT_DTYPE = np.longdouble  # numpy's own matmul loop, no BLAS: the same operations for every unit
VALUE = 0.5    # the constant of the constant init
EPS, EPS_SMALL = 1e-6, 1e-9  # sizes of the perturbation added to it (the same draws, scaled)
LR, BATCH_SIZE = 0.1, 32
DROPOUT = 0.5  # probability of dropping a hidden unit
TOL_COARSE = 1e-3  # units closer than this in every weight are "practically" the same unit
INITS = ("constant", "perturbed", "dropout", "random")
STATS = ("n_distinct", "max_abs_diff", "n_distinct_coarse", "rank", "entropy_rank")
LABELS = {"constant": f"constant {VALUE}", "perturbed": f"constant + {EPS:g}·N(0,1)",
          "perturbed_small": f"constant + {EPS_SMALL:g}·N(0,1)",
          "dropout": f"constant, dropout p={DROPOUT}", "random": "random (Glorot uniform)"}
COLORS = {"constant": "C3", "perturbed": "C0", "perturbed_small": "C9", "dropout": "C2",
          "random": "0.3"}


# ------------------------------------------------------------------- inits and measurements


def perturbed_constant(value: float, eps: float) -> Callable[..., np.ndarray]:
    """Initializer ``(shape, rng, dtype) -> value + eps * N(0, 1)``, entry by entry.

    ``eps = 0`` gives the plain constant (and draws nothing from ``rng``).
    """
    value, eps = float(value), float(eps)
    if not (math.isfinite(value) and math.isfinite(eps) and eps >= 0):
        raise ValueError(f"`value` must be finite and `eps` finite and >= 0, got {value!r}, "
                         f"{eps!r}")

    def init(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
        W = initializers.get("constant", value=value)(shape, rng, dtype)
        if eps:
            W = W + eps * rng.standard_normal(W.shape)  # value + eps * N(0, 1)
        return W.astype(dtype, copy=False)

    return init


def unit_matrix(model: network.MLP, layer: int = 0) -> np.ndarray:
    """Hidden units of ``layer`` as columns: ``vstack([W_l, b_l, W_{l+1}.T])``.

    Shape ``(fan_in + 1 + fan_out, width)``: column ``j`` holds everything that tells unit ``j``
    apart from the others (incoming weights, bias, outgoing weights).
    """
    layer = check_int(layer, "layer")
    if layer >= model.n_layers - 1:
        raise ValueError(f"`layer` must index a hidden layer, 0..{model.n_layers - 2}, "
                         f"got {layer}")
    return np.vstack([model.weights[layer], model.biases[layer][None, :],
                      model.weights[layer + 1].T])


def symmetry_stats(model: network.MLP, layer: int = 0) -> dict[str, float | int]:
    """How alike the units of hidden ``layer`` are (all from :mod:`initlab.diagnostics`).

    On the columns ``u_j`` of :func:`unit_matrix`: ``n_distinct``, groups of exactly identical
    units (tolerance 0); ``n_distinct_coarse``, the same with tolerance :data:`TOL_COARSE`
    (units closer than 0.001 in every weight count as one); ``max_abs_diff``,
    ``max_{i,j,k} |u_i[k] - u_j[k]|`` (0.0 iff all units are identical). On ``W_l`` alone:
    ``rank``, numpy's ``matrix_rank`` (singular values above ``s_max * max(shape) * 2^-52``),
    and ``entropy_rank``, Roy and Vetterli's (2007) ``exp(-sum p_k log p_k)``, ``p = s / sum(s)``.
    """
    U = unit_matrix(model, layer)
    exact = diagnostics.hidden_unit_similarity(U, tol=0.0)
    coarse = diagnostics.hidden_unit_similarity(U, tol=TOL_COARSE)
    W = model.weights[layer]
    return {"n_distinct": exact["n_distinct"], "max_abs_diff": exact["max_abs_diff"],
            "n_distinct_coarse": coarse["n_distinct"],
            "rank": diagnostics.effective_rank(W),
            "entropy_rank": diagnostics.entropy_effective_rank(W)}


# --------------------------------------------------------------------------------- dropout


def dropout_mask(rng: np.random.Generator, shape: tuple[int, int], p: float) -> np.ndarray:
    """Inverted-dropout mask ``(batch, width)``: ``(rng.random(shape) >= p) / (1 - p)``.

    Each entry is 0 with probability ``p`` (dropped) and ``1 / (1 - p)`` otherwise, so
    ``E[mask] = 1`` and ``Var(mask) = p / (1 - p)`` (Srivastava et al. 2014, scaled at train time).
    """
    check_rng(rng)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout `p` must be in [0, 1), got {p!r}")
    return (rng.random(shape) >= p) / (1.0 - p)


def dropout_activation(base: activations.Activation, mask: np.ndarray) -> activations.Activation:
    """``base`` followed by a fixed dropout mask: ``f(Z) = phi(Z) * mask``,
    ``f'(Z) = phi'(Z) * mask``.

    ``mask`` is ``(batch, width)`` with entries ``0`` (dropped) or ``1 / (1 - p)`` (kept:
    inverted dropout, so the expected activation is unchanged and nothing is rescaled at test
    time). Put it in ``model.activations[l]`` for one step; the MLP's backward pass then
    applies the chain rule through the mask with no change to the MLP.
    """
    def f(Z: np.ndarray) -> np.ndarray:
        return base.f(Z) * mask

    def df(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
        # A is the masked output, so phi' is computed from phi(Z) itself (tanh: 1 - phi(Z)^2)
        return base.df(Z, base.f(Z)) * mask  # phi'(Z) * mask

    return activations.Activation(f"{base.name}_dropout", f, df, base.gain_name, base.param)


def fit(model: network.MLP, X: np.ndarray, y: np.ndarray, *, rng: np.random.Generator,
        epochs: int, batch_size: int, lr: float, dropout: float,
        X_test: np.ndarray | None = None, y_test: np.ndarray | None = None,
        on_epoch: Callable[[int, network.MLP], None] | None = None) -> train.History:
    """:func:`initlab.train.train` (plain SGD, softmax cross-entropy) with dropout on hidden
    layer 1.

    Same loop: each epoch ``order = rng.permutation(n)``, batches ``order[i:i + batch_size]``,
    one :func:`initlab.train.sgd_step` each; accuracies and ``on_epoch(epoch, model)`` before
    training and after every epoch. Every step then draws a :func:`dropout_mask`
    ``(batch, width)`` from ``rng``, after the permutation; evaluation runs without mask.
    ``dropout = 0`` draws no mask, so the batches, and the weights, are exactly those of
    ``train``. Stops (``diverged_at``) on a non-finite loss.
    """
    check_rng(rng)
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1), got {dropout!r}")
    X = model.check_input(X)
    loss_fn, base, hist = losses.get("softmax_cross_entropy"), model.activations[0], train.History()
    optimizer = SGD(model.parameters(), lr)

    def end_of_epoch(epoch: int, loss: float) -> None:
        hist.epoch_loss.append(loss)
        hist.train_acc.append(train.accuracy(model, X, y))
        if X_test is not None:
            hist.test_acc.append(train.accuracy(model, X_test, y_test))
        if on_epoch is not None:
            on_epoch(epoch, model)

    end_of_epoch(0, float(loss_fn(model.forward(X, keep=False), y)[0]))
    for epoch in range(1, epochs + 1):
        order, losses_epoch = rng.permutation(len(X)), []
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            if dropout:
                mask = dropout_mask(rng, (len(idx), model.sizes[1]), dropout)
                model.activations[0] = dropout_activation(base, mask)
            try:
                loss, norm, _, _ = train.sgd_step(model, optimizer, X[idx], y[idx], loss_fn)
            finally:
                model.activations[0] = base
            if not (math.isfinite(loss) and math.isfinite(norm)):
                hist.diverged_at = len(hist.loss)
                return hist
            hist.loss.append(float(loss))
            losses_epoch.append(loss)
        end_of_epoch(epoch, float(np.mean(losses_epoch)))
    return hist


# ------------------------------------------------------------------------------- one run


def run(config: dict) -> dict:
    """Train one net and measure its hidden units every epoch (top level: sweep can pickle it).

    ``config``: ``init`` (a key of :data:`INITS`), ``seed`` (init draws; batches and masks from
    ``default_rng([seed, 1])``), ``data_seed`` (the digits split), ``epochs``; optional
    ``activation`` ("tanh"), ``width`` (32), ``value`` (0.5), ``eps`` (1e-6, for "perturbed").
    Net ``(64, width, 10)``, zero biases, SGD with lr 0.1, batch 32; "dropout" trains the
    constant init with :func:`fit` and dropout 0.5, "random" uses Glorot uniform. "constant"
    with ``value != 0`` runs in :data:`EXACT_DTYPE` (no BLAS, see the module docstring), every
    other run in float64.
    Returns per-epoch arrays ``(epochs + 1,)``: ``test_acc`` and the :func:`symmetry_stats`.
    """
    init, seed = config["init"], config["seed"]
    check_choice(init, "init", INITS)
    value = config.get("value", VALUE)
    eps = config.get("eps", EPS) if init == "perturbed" else 0.0
    weight_init = "glorot_uniform" if init == "random" else perturbed_constant(value, eps)
    dtype = EXACT_DTYPE if init == "constant" and value != 0 else np.float64
    model = network.MLP((64, config.get("width", WIDTH), 10), np.random.default_rng(seed),
                        activation=config.get("activation", "tanh"), weight_init=weight_init,
                        dtype=dtype)
    data = datasets.load("digits", np.random.default_rng(config["data_seed"]))
    trace: dict[str, list] = {k: [] for k in STATS}

    def measure(epoch: int, m: network.MLP) -> None:
        for k, v in symmetry_stats(m).items():
            trace[k].append(v)

    common = {"rng": np.random.default_rng([seed, 1]), "epochs": config["epochs"],
              "batch_size": BATCH_SIZE, "lr": LR, "X_test": data.X_test, "y_test": data.y_test,
              "on_epoch": measure}
    if init == "dropout":
        hist = fit(model, data.X_train, data.y_train, dropout=DROPOUT, **common)
    else:
        hist = train.train(model, data.X_train, data.y_train, track_layer_norms=False,
                           progress=False, **common)
    if hist.diverged:
        raise RuntimeError(f"run {config} diverged at step {hist.diverged_at}")
    return {**{k: np.array(v) for k, v in trace.items()}, "test_acc": np.array(hist.test_acc)}


# ----------------------------------------------------------------------------- experiments


def sizes_for(smoke: bool) -> dict:
    """Epochs and seeds: 30 epochs, 2 seeds (smoke); 80 epochs, 8 seeds (full)."""
    return {"epochs": 30, "n_seeds": 2} if smoke else {"epochs": 80, "n_seeds": 8}


def mp_entropy_rank(n_in: int, n_out: int) -> float:
    """Entropy effective rank of a large ``(n_in, n_out)`` matrix of iid zero-mean entries.

    With ``n = min``, ``c = min / max``, the eigenvalues ``x`` of ``W^T W`` (scaled by
    ``max * Var(w)``) follow Marchenko and Pastur's density
    ``f(x) = sqrt((b - x)(x - a)) / (2 pi c x)`` on ``[a, b] = [(1 - sqrt c)^2, (1 + sqrt c)^2]``,
    and the singular values are ``s = sqrt(x)``. With ``p_k = s_k / sum(s)``,
    ``-sum p log p = ln(n E[s]) - E[s ln s] / E[s]``, so ``erank = n E[s] exp(-E[s ln s] / E[s])``
    (independent of ``Var(w)``; the large-``n`` limit).
    """
    n_in, n_out = check_int(n_in, "n_in", minimum=1), check_int(n_out, "n_out", minimum=1)
    n, c = min(n_in, n_out), min(n_in, n_out) / max(n_in, n_out)
    a, b = (1 - math.sqrt(c)) ** 2, (1 + math.sqrt(c)) ** 2

    def density(x: float) -> float:
        return math.sqrt(max((b - x) * (x - a), 0.0)) / (2 * math.pi * c * x)

    e_s = integrate.quad(lambda x: math.sqrt(x) * density(x), a, b)[0]                  # E[s]
    e_sls = integrate.quad(lambda x: math.sqrt(x) * 0.5 * math.log(x) * density(x), a, b)[0]
    return n * e_s * math.exp(-e_sls / e_s)


def symmetry_runs(seed: int, smoke: bool, n_jobs: int = 1) -> dict:
    """The chapter's main runs: tanh, width 32, one digits split (drawn from ``seed``).

    - ``constant``, ``constant_relu``, ``zero``: one run each (constant 0.5 with tanh and with
      relu, constant 0 with tanh); deterministic: the init draws nothing, the batch order
      comes from ``seed``;
    - ``perturbed``, ``dropout``, ``random``: ``n_seeds`` runs each, seeds ``sweep.seeds``;
    - ``perturbed_small``: the same draws as ``perturbed`` scaled to ``eps = 1e-9``.

    Returns ``runs[name]``: a list of :func:`run` dicts, ``epochs`` ``(epochs + 1,)`` and the
    settings.
    """
    seed = check_int(seed, "seed")
    n = sizes_for(smoke)
    run_seeds = sweep.seeds(seed, n["n_seeds"])
    base = {"data_seed": seed, "epochs": n["epochs"]}
    configs = [{**base, "name": "constant", "init": "constant", "seed": seed},
               {**base, "name": "constant_relu", "init": "constant", "seed": seed,
                "activation": "relu"},
               {**base, "name": "zero", "init": "constant", "seed": seed, "value": 0.0}]
    for name in ("perturbed", "dropout", "random"):
        configs += [{**base, "name": name, "init": name, "seed": s} for s in run_seeds]
    configs += [{**base, "name": "perturbed_small", "init": "perturbed", "seed": s,
                 "eps": EPS_SMALL} for s in run_seeds]
    outs = sweep.run(run, configs, n_jobs=n_jobs, progress=False)
    runs: dict[str, list] = {}
    for c, o in zip(configs, outs, strict=True):
        runs.setdefault(c["name"], []).append(o)
    n_test = len(datasets.load("digits", np.random.default_rng(seed)).y_test)
    return {"runs": runs, "epochs": np.arange(n["epochs"] + 1), "width": WIDTH,
            "n_seeds": n["n_seeds"], "lr": LR, "batch_size": BATCH_SIZE, "n_test": n_test}


def log_growth_rate(epochs: np.ndarray, diff: np.ndarray, lo: float = 1e-5,
                    hi: float = 1e-2) -> float:
    """Least-squares slope of ``ln(diff)`` on ``epochs`` where ``lo <= diff <= hi``.

    In the linear regime a perturbation grows as ``diff ~ eps * exp(r t)``: this is ``r`` per
    epoch. Needs at least two epochs in the window.
    """
    keep = (diff >= lo) & (diff <= hi)
    if keep.sum() < 2:
        raise ValueError(f"fewer than two epochs with {lo:g} <= diff <= {hi:g}: cannot fit a rate")
    return float(np.polyfit(epochs[keep], np.log(diff[keep]), 1)[0])


def crossing_epoch(epochs: np.ndarray, diff: np.ndarray, level: float) -> float:
    """First epoch (log-linearly interpolated) at which ``diff`` reaches ``level``; inf if never."""
    above = np.flatnonzero(diff >= level)
    if above.size == 0:
        return math.inf
    i = int(above[0])
    if i == 0:
        return float(epochs[0])
    lo, hi = math.log(diff[i - 1]), math.log(diff[i])
    return float(epochs[i - 1] + (math.log(level) - lo) / (hi - lo) * (epochs[i] - epochs[i - 1]))


# ------------------------------------------------------------------------- the page's numbers


def _stack(runs: list[dict], key: str) -> np.ndarray:
    return np.array([r[key] for r in runs], dtype=np.float64)


def summarize(res: dict, level: float = 1e-2, at_epoch: int = 10) -> dict[str, float | int]:
    """The numbers the page states, from :func:`symmetry_runs` (plain Python scalars).

    Constant runs (``const_{tanh,relu,zero}_*``): the worst epoch of each symmetry measure and
    the final test accuracy. Other inits: final test accuracy (mean over seeds), distinct units
    at the end (fewest over seeds), entropy rank at the end (mean). Random: fewest units
    differing by > 0.001 at any epoch; dropout: the same after epoch 1. Perturbation:
    ``max_abs_diff`` at the start and end (mean) and growth ``end / start`` (smallest seed);
    rate ``r`` per epoch of :func:`log_growth_rate` (mean over seeds);
    ``diff(EPS) / diff(EPS_SMALL)`` at ``at_epoch`` (linearization: exactly ``EPS / EPS_SMALL``
    while both are small); the delay between the epochs at which the two reach ``level``,
    measured and predicted as ``ln(EPS / EPS_SMALL) / r``.
    """
    runs, ep = res["runs"], res["epochs"]
    S = {name: {k: _stack(rs, k) for k in (*STATS, "test_acc")} for name, rs in runs.items()}
    out: dict[str, float | int] = {"epochs": int(ep[-1]), "width": int(res["width"]),
                                   "n_seeds": int(res["n_seeds"])}
    for name, tag in (("constant", "tanh"), ("constant_relu", "relu"), ("zero", "zero")):
        s = S[name]
        out[f"const_{tag}_max_diff"] = float(s["max_abs_diff"].max())
        out[f"const_{tag}_max_n_distinct"] = int(s["n_distinct"].max())
        out[f"const_{tag}_max_rank"] = int(s["rank"].max())
        out[f"const_{tag}_max_entropy_rank"] = float(s["entropy_rank"].max())
        out[f"const_{tag}_acc"] = float(s["test_acc"][0, -1])
    for name in ("perturbed", "perturbed_small", "dropout", "random"):
        s = S[name]
        out[f"{name}_acc"] = float(s["test_acc"][:, -1].mean())
        out[f"{name}_entropy_rank_end"] = float(s["entropy_rank"][:, -1].mean())
        if name != "random":  # random: see random_min_n_coarse below
            out[f"{name}_min_n_distinct_end"] = int(s["n_distinct"][:, -1].min())
            out[f"{name}_min_n_coarse_end"] = int(s["n_distinct_coarse"][:, -1].min())
    out["random_min_n_coarse"] = int(S["random"]["n_distinct_coarse"].min())
    r = S["random"]["entropy_rank"]
    out["random_entropy_rank_start_min"] = float(r[:, 0].min())
    out["random_entropy_rank_start_max"] = float(r[:, 0].max())
    out["random_entropy_rank_min"] = float(r.min())
    out["mp_entropy_rank"] = mp_entropy_rank(64, int(res["width"]))
    # chance level plus 5 standard errors of a label-blind classifier on n_test examples:
    # SE = sqrt(0.1 * 0.9 / n_test)
    out["n_test"] = int(res["n_test"])
    out["chance_margin"] = 0.1 + 5.0 * math.sqrt(0.1 * 0.9 / res["n_test"])
    for name in ("perturbed", "dropout", "random"):
        out[f"{name}_min_acc"] = float(S[name]["test_acc"][:, -1].min())
    out["dropout_min_n_coarse_epoch1"] = int(S["dropout"]["n_distinct_coarse"][:, 1].min())
    p, q = S["perturbed"], S["perturbed_small"]
    out["perturbed_diff_start"] = float(p["max_abs_diff"][:, 0].mean())
    out["perturbed_diff_end"] = float(p["max_abs_diff"][:, -1].mean())
    out["perturbed_growth"] = float((p["max_abs_diff"][:, -1] / p["max_abs_diff"][:, 0]).min())
    out["perturbed_min_n_distinct_start"] = int(p["n_distinct"][:, 0].min())
    out["perturbed_min_rank_start"] = int(p["rank"][:, 0].min())
    out["perturbed_max_entropy_rank_start"] = float(p["entropy_rank"][:, 0].max())
    out["perturbed_max_n_coarse_start"] = int(p["n_distinct_coarse"][:, 0].max())
    rate = float(np.mean([log_growth_rate(ep, d) for d in p["max_abs_diff"]]))
    out["perturbed_rate"] = rate
    out["perturbed_rate_factor"] = math.exp(rate)
    out["eps_ratio_at_epoch"] = int(at_epoch)
    out["eps_diff_ratio"] = float((p["max_abs_diff"][:, at_epoch]
                                   / q["max_abs_diff"][:, at_epoch]).mean())
    delays = [crossing_epoch(ep, b, level) - crossing_epoch(ep, a, level)
              for a, b in zip(p["max_abs_diff"], q["max_abs_diff"], strict=True)]
    out["eps_delay"] = float(np.mean(delays))
    out["eps_delay_pred"] = math.log(EPS / EPS_SMALL) / rate
    out["eps_delay_rel_err"] = abs(out["eps_delay"] / out["eps_delay_pred"] - 1.0)
    return out


# ------------------------------------------------------------------------------- figures


def _zero_floor(ax: plt.Axes, curves: Sequence[np.ndarray]) -> float:
    """A floor two decades below the smallest non-zero value of ``curves``, drawn and labelled:
    exact zeros are plotted on it (a log axis has no 0)."""
    positive = np.concatenate([np.ravel(c) for c in curves] + [np.ones(1)])
    floor = 10.0 ** (math.floor(math.log10(positive[positive > 0].min())) - 2)
    ax.axhline(floor, color="k", lw=0.6)
    ax.annotate(f"exactly 0.0 (drawn at {floor:g})", (0.99, floor),
                xycoords=ax.get_yaxis_transform(), xytext=(0, 5), textcoords="offset points",
                ha="right", va="bottom", fontsize=8, zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_ylim(floor / 10, 50)
    return floor


def _label(name: str, n: int) -> str:
    return f"{LABELS[name]} ({n} seeds)" if n > 1 else f"{LABELS[name]} (deterministic)"


def plot_symmetry(res: dict) -> Figure:
    """Left: largest difference between two hidden units per epoch (log y, exact zero drawn on
    a floor line); right: units that differ by more than :data:`TOL_COARSE`."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [3, 2]})
    ep, runs = res["epochs"], res["runs"]
    names = ("random", "dropout", "perturbed", "perturbed_small")
    floor = _zero_floor(ax, [_stack(runs[n], "max_abs_diff") for n in names])
    for name in names:
        for i, d in enumerate(_stack(runs[name], "max_abs_diff")):
            ax.semilogy(ep, np.where(d == 0.0, floor, d), color=COLORS[name], lw=1.2, alpha=0.85,
                        label=_label(name, len(runs[name])) if i == 0 else None)
    for name, act, ls, lw in (("constant", "tanh", "-", 5), ("constant_relu", "relu", "--", 2)):
        d = _stack(runs[name], "max_abs_diff")[0]
        ax.semilogy(ep, np.where(d == 0.0, floor, d), color=COLORS["constant"], ls=ls, lw=lw,
                    alpha=0.55 if act == "tanh" else 1.0,
                    label=f"{LABELS['constant']}, {act} (deterministic)")
    ax.set(title="Largest difference between two hidden units",
           xlabel="epoch", ylabel="max |u_i - u_j| over all weights")
    ax.legend(fontsize=8, loc="center right")
    for name in ("random", "dropout", "perturbed", "perturbed_small", "constant"):
        N = _stack(runs[name], "n_distinct_coarse")
        bx.plot(ep, N.mean(axis=0), color=COLORS[name], lw=2,
                label=LABELS[name] + (" (tanh and relu)" if name == "constant" else ""))
    bx.set(title=f"Distinct hidden units, out of {res['width']}",
           xlabel="epoch", ylabel=f"units differing by > {TOL_COARSE:g} (seed mean)",
           ylim=(0, res["width"] + 3))
    bx.legend(fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


def plot_rank(res: dict) -> Figure:
    """Numerical rank (left) and entropy effective rank (right) of ``W_1`` per epoch, with the
    Marchenko-Pastur prediction (:func:`mp_entropy_rank`) for a random ``W_1``."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13.5, 4.3), gridspec_kw={"width_ratios": [2, 3]})
    ep, runs, width = res["epochs"], res["runs"], res["width"]
    styles = {"random": ("-", 6), "dropout": ("-", 3.5), "perturbed": ("--", 2),
              "perturbed_small": (":", 2.5), "constant": ("-", 2.5)}
    for name, (ls, lw) in styles.items():
        label = _label(name, len(runs[name]))
        ax.plot(ep, _stack(runs[name], "rank").min(axis=0), color=COLORS[name], ls=ls, lw=lw,
                label=label)
        for i, e in enumerate(_stack(runs[name], "entropy_rank")):
            bx.plot(ep, e, color=COLORS[name], lw=1.5, label=label if i == 0 else None)
    mp = mp_entropy_rank(64, width)
    bx.axhline(mp, color="k", ls="--", lw=1,
               label=f"Marchenko-Pastur prediction\nfor a random W_1: {mp:.1f}")
    ax.set(title=f"Numerical rank of W_1 (64 x {width}), lowest seed",
           xlabel="epoch", ylabel="rank (numpy matrix_rank)", ylim=(0, width + 3))
    ax.legend(fontsize=8, loc="center right")
    bx.set(title="Entropy effective rank of W_1 (Roy & Vetterli), each seed",
           xlabel="epoch", ylabel="exp(entropy of normalised singular values)",
           ylim=(0, width))
    bx.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def plot_accuracy(res: dict, chance: float = 0.1) -> Figure:
    """Test accuracy per epoch: one thin line per seed, their mean in bold."""
    fig, ax = plt.subplots(figsize=(10, 4.2))
    ep, runs = res["epochs"], res["runs"]
    for name in ("random", "dropout", "perturbed", "perturbed_small", "constant"):
        A = _stack(runs[name], "test_acc")
        for a in A:
            ax.plot(ep, a, color=COLORS[name], lw=0.8, alpha=0.4)
        how = f"mean of {len(A)} seeds (thin: each seed)" if len(A) > 1 else "deterministic"
        ax.plot(ep, A.mean(axis=0), color=COLORS[name], lw=2.2, label=f"{LABELS[name]}:\n{how}")
    ax.axhline(chance, color="k", ls=":", lw=1, label="chance (10 classes)")
    ax.set(title=f"Test accuracy on the digits, tanh, width {res['width']}, lr {res['lr']}",
           xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig
