"""Chapter 11, orthogonal initialization and deep linear networks (Saxe et al. 2014).

What: deep linear networks ``y_hat = X @ W_1 @ ... @ W_D`` (activation ``"identity"``, biases
zero and never updated, see :func:`gd_step`) learn a linear teacher ``y = X @ M`` with
``M = sum_i s_i v_i u_i^T`` (``v_i`` input, ``u_i`` output directions, ``s = SINGULAR_VALUES``)
by full-batch gradient descent on the squared loss. With inputs whitened on the span of ``V``
the loss is ``L = 1/2 ||V^T (W_total - M)||_F^2``: it depends on the weights only through the
end-to-end map ``W_total`` (Saxe et al. 2014).

1. :func:`depth_sweep`: epochs to a loss criterion versus depth for scaled Gaussian init
   (LeCun normal, ``Var(w) = 1 / fan_in``) and random orthogonal init, learning rate
   ``lr = LR_TIMES_DEPTH / D``; the singular values of ``W_total`` at init
   (:func:`product_spectrum`): all exactly 1 for orthogonal, spread like ``exp(gamma_k D)``
   for Gaussian (:func:`theory.lyapunov_exponents`). :func:`lr_check`: the same at 0.5x and 2x the
   learning rate. :func:`forgetting`: orthogonal init when the inputs also span directions the
   teacher ignores, against the power law :func:`theory.saxe_forget_time`.
2. :func:`staircase`: a two-layer net from a small init learns the teacher one mode at a time;
   each mode strength ``a_i = v_i^T W_1 W_2 u_i`` against :func:`theory.saxe_mode_strength`
   and its half time ``t_half = tau / (2 s) * ln(s / a0 - 1)`` (:func:`theory.saxe_half_time`).

Why: the chapter's question is whether depth by itself must slow learning. Saxe et al. show it
need not: with an init whose end-to-end map is an isometry the learning time is independent of
depth, while a product of independent Gaussian matrices is not (its spectrum spreads with depth).

Shapes: weights ``(n_in, n_out)``, ``X`` ``(n, N)`` rows are examples, ``V``, ``U`` ``(N, r)``
orthonormal columns, ``M`` ``(N, N)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from initlab import initializers, losses, network, sweep, theory
from initlab._checks import check_choice, check_int, check_positive, check_rng
from initlab.theory import lyapunov_exponents
from initlab.theory import saxe_forget_time as forget_time
from initlab.theory import saxe_half_time as half_time

#: Singular values of the teacher (three modes, learned one after the other).
SINGULAR_VALUES = (3.0, 2.0, 1.0)
#: ``lr * depth``: Saxe et al.'s O(1/D) learning-rate scaling. Near the solution the curvature
#: of the loss along mode ``i`` is ``D s_i^(2 - 2/D)`` times that of one layer, so gradient
#: descent is stable for ``lr D < 2 / s_max^2 = 0.22``; 0.1 leaves a factor 2.
LR_TIMES_DEPTH = 0.1
#: Criterion: training loss below this fraction of the zero map's loss ``1/2 sum_i s_i^2``.
CRITERION = 0.01
#: The two inits of the depth sweep, as ``initializers.get`` names.
INITS = ("lecun_normal", "orthogonal")


# ------------------------------------------------------------------------------- the task


def whitened_inputs(n: int, basis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``X = Z @ basis.T`` ``(n, N)`` with ``Z`` ``(n, k)`` Gaussian, centred and exactly white.

    ``basis`` ``(N, k)`` has orthonormal columns. ``Z`` is a Gaussian draw projected off the
    all-ones vector and orthonormalised (QR), times ``sqrt(n)``: ``Z.sum(0) = 0`` and
    ``Z.T @ Z / n = I_k`` exactly, so the input covariance is ``basis @ basis.T`` and the bias
    gradients of a linear net, ``sum over rows of dL/dZ``, vanish.
    """
    check_rng(rng)
    basis = np.asarray(basis, dtype=float)
    k = basis.shape[1]
    n = check_int(n, "n", minimum=k + 1)
    G = rng.standard_normal((n, k))
    G -= G.mean(axis=0)                      # centre: orthogonal to the ones vector
    Q, R = np.linalg.qr(G)
    Z = math.sqrt(n) * Q * np.sign(np.diag(R))
    return Z @ basis.T


def linear_teacher(n_features: int, singular_values: Sequence[float],
                   rng: np.random.Generator) -> dict:
    """Teacher ``M = V diag(s) U^T`` ``(N, N)`` with random orthonormal ``V``, ``U`` ``(N, r)``.

    ``y = x @ M`` maps input direction ``v_i`` to ``s_i u_i``; the ``s_i`` must be positive.
    """
    check_rng(rng)
    s = np.array([check_positive(v, "singular value") for v in singular_values])
    n_features = check_int(n_features, "n_features", minimum=len(s))
    V = initializers.orthogonal((n_features, len(s)), rng)
    U = initializers.orthogonal((n_features, len(s)), rng)
    return {"M": (V * s) @ U.T, "V": V, "U": U, "s": s}


def end_to_end(model: network.MLP) -> np.ndarray:
    """``W_total = W_1 @ W_2 @ ... @ W_D`` ``(n_in, n_out)``: the map of a bias-free linear net."""
    W = model.weights[0]
    for W_next in model.weights[1:]:
        W = W @ W_next
    return W


def mode_strengths(W_total: np.ndarray, V: np.ndarray, U: np.ndarray) -> np.ndarray:
    """``a_i = v_i^T W_total u_i`` ``(r,)``: how much of teacher mode ``i`` the net has learned."""
    return np.einsum("ir,ij,jr->r", V, W_total, U)


def linear_net(depth: int, width: int, init: str, rng: np.random.Generator) -> network.MLP:
    """``depth`` square ``(width, width)`` identity-activation layers, zero biases."""
    depth = check_int(depth, "depth", minimum=1)
    return network.MLP([width] * (depth + 1), rng, activation="identity",
                       weight_init=init, bias_init="zeros")


# ------------------------------------------------------------------------ 1. depth sweep


def gd_step(model: network.MLP, X: np.ndarray, y: np.ndarray, lr: float) -> float:
    """One full-batch gradient-descent step on the weights only; returns the loss before it.

    ``L = mean_rows sum_j (y_hat - y)^2 / 2`` (:func:`initlab.losses.mean_squared_error`),
    gradients from ``model.backward``, then ``W_l <- W_l - lr dL/dW_l``. The biases are not
    updated, so they stay exactly zero: the net is the bias-free linear map ``X @ W_total``.
    """
    loss, dout = losses.mean_squared_error(model.forward(X, keep=True, check=False), y)
    grads = model.backward(dout)
    for W, dW in zip(model.weights, grads[0::2], strict=True):
        W -= lr * dW
    return loss


def epochs_to_criterion(model: network.MLP, X: np.ndarray, y: np.ndarray, lr: float,
                        target: float, max_epochs: int) -> dict:
    """Full-batch gradient descent (:func:`gd_step`) until the loss is ``<= target``.

    Returns ``epochs`` (number of steps taken when the loss was first ``<= target``; 0 if it
    already was), ``reached`` (False if ``max_epochs`` steps did not get there or the loss
    became non-finite; then ``epochs = max_epochs``), ``diverged``, and ``loss``
    ``(epochs + 1,)``: the loss after 0, 1, ... steps.
    """
    lr = check_positive(lr, "lr")
    max_epochs = check_int(max_epochs, "max_epochs", minimum=1)
    X = model.check_input(X)
    history = []
    for epoch in range(max_epochs + 1):
        if epoch < max_epochs:
            loss = gd_step(model, X, y, lr)              # loss after `epoch` steps
        else:
            loss = losses.mean_squared_error(model.forward(X, keep=False), y)[0]
        if not math.isfinite(loss):
            return {"epochs": max_epochs, "reached": False, "diverged": True,
                    "loss": np.array(history)}
        history.append(loss)
        if loss <= target:
            # gd_step has taken one step past the criterion: undo nothing, the count is `epoch`
            return {"epochs": epoch, "reached": True, "diverged": False,
                    "loss": np.array(history)}
    return {"epochs": max_epochs, "reached": False, "diverged": False, "loss": np.array(history)}


def product_spectrum(depth: int, width: int, init: str, rng: np.random.Generator) -> np.ndarray:
    """Singular values ``(width,)`` of ``W_total`` of a fresh ``linear_net``, descending.

    Orthogonal layers: ``W_total`` is orthogonal, every singular value 1. Gaussian layers with
    ``Var(w) = 1 / width``: ``E |x W_total|^2 = |x|^2``, but the singular values spread like
    ``exp(gamma_i D)`` with distinct Lyapunov exponents ``gamma_1 > ... > gamma_N``.
    """
    return np.linalg.svd(end_to_end(linear_net(depth, width, init, rng)), compute_uv=False)


def _sweep_run(config: dict) -> dict:
    """One ``(init, depth, seed)`` run of :func:`depth_sweep` (a top-level function for sweep)."""
    rng = np.random.default_rng(config["seed"])
    task = config["task"]
    model = linear_net(config["depth"], task["X"].shape[1], config["init"], rng)
    lr = config.get("lr_factor", 1.0) * LR_TIMES_DEPTH / config["depth"]
    out = epochs_to_criterion(model, task["X"], task["y"], lr, task["target"],
                              config["max_epochs"])
    a = mode_strengths(end_to_end(model), task["V"], task["U"])
    return {"epochs": out["epochs"], "reached": out["reached"], "diverged": out["diverged"],
            "loss": out["loss"], "final_modes": a}


def sweep_task(seed: int, width: int = 16, n: int = 48) -> dict:
    """The depth sweep's data: teacher ``SINGULAR_VALUES`` in ``width`` dimensions and ``n``
    inputs whitened within its input directions. ``X`` ``(n, width)``, ``y = X @ M``, ``V``, ``U``,
    ``loss_zero = 1/2 sum_i s_i^2`` (the loss of ``W_total = 0``) and the criterion ``target``."""
    rng = np.random.default_rng(check_int(seed, "seed"))
    teacher = linear_teacher(width, SINGULAR_VALUES, rng)
    X = whitened_inputs(n, teacher["V"], rng)
    loss_zero = 0.5 * float(np.sum(teacher["s"] ** 2))      # L(W_total = 0) = 1/2 sum s_i^2
    return {"X": X, "y": X @ teacher["M"], "V": teacher["V"], "U": teacher["U"],
            "s": teacher["s"], "loss_zero": loss_zero, "target": CRITERION * loss_zero}


def depth_sweep(seed: int, smoke: bool) -> dict:
    """Epochs to ``L <= CRITERION * L(0)`` versus depth for each init in ``INITS``.

    Width 16; teacher ``SINGULAR_VALUES`` with inputs spanning its 3 input directions
    (:func:`whitened_inputs`, 48 examples); ``lr = LR_TIMES_DEPTH / D``. Depths
    (2, 8, 32) with 3 seeds in smoke mode, (2, 4, 8, 16, 32, 64) with 7 seeds in full; at most
    ``max_epochs`` (3000 / 20000) steps. ``epochs[init]`` is ``(n_depths, n_seeds)``.
    ``ratio[init]`` = median epochs at the deepest depth / median at the shallowest.
    Also the spectrum of ``W_total`` at init per depth for one net per init (``spectra``),
    ``spread[init]`` = log10(largest / smallest singular value) at the deepest depth, and
    ``spread_mid`` = log10(largest / 8th largest) of the Gaussian product there, against the
    Lyapunov prediction ``spread_mid_theory = D (gamma_1 - gamma_8) / ln 10``.
    """
    width = 16
    depths, n_seeds, max_epochs = ((2, 8, 32), 3, 3000) if smoke \
        else ((2, 4, 8, 16, 32, 64), 7, 20000)
    task = sweep_task(seed, width)
    loss_zero = task["loss_zero"]
    run_seeds = sweep.seeds(seed, n_seeds)
    configs = [{"init": init, "depth": d, "seed": s, "task": task, "max_epochs": max_epochs}
               for init in INITS for d in depths for s in run_seeds]
    runs = sweep.run(_sweep_run, configs, n_jobs=1, progress=False)
    out: dict = {"depths": np.array(depths), "n_seeds": n_seeds, "width": width,
                 "max_epochs": max_epochs, "loss_zero": loss_zero, "target": task["target"],
                 "epochs": {}, "reached": {}, "ratio": {}, "median": {}, "curves": {},
                 "spectra": {}, "seed": seed}
    k = 0
    for init in INITS:
        block = runs[k:k + len(depths) * n_seeds]
        k += len(block)
        ep = np.array([r["epochs"] for r in block], dtype=float).reshape(len(depths), n_seeds)
        out["epochs"][init] = ep
        out["reached"][init] = np.array([r["reached"] for r in block]).reshape(ep.shape)
        out["median"][init] = np.median(ep, axis=1)
        out["ratio"][init] = float(out["median"][init][-1] / out["median"][init][0])
        out["curves"][init] = block[-n_seeds]["loss"]            # deepest depth, first seed
        out["final_mode_err_" + init] = float(max(
            np.max(np.abs(r["final_modes"] - task["s"]) / task["s"]) for r in block))
        spec_rng = np.random.default_rng(run_seeds[0])
        out["spectra"][init] = [product_spectrum(d, width, init, spec_rng) for d in depths]
    out["n_not_reached"] = int(sum((~r).sum() for r in out["reached"].values()))
    # log10 of (largest / smallest) singular value of W_total at the deepest depth
    out["spread"] = {init: float(np.log10(s[-1][0] / s[-1][-1]))
                     for init, s in out["spectra"].items()}
    gamma = lyapunov_exponents(width)           # predicted decades of spread per layer:
    out["spread_per_layer_theory"] = float((gamma[0] - gamma[-1]) / math.log(10.0))
    # largest vs median singular value (index N/2, far above rounding) against Lyapunov
    mid = width // 2 - 1
    sv = out["spectra"]["lecun_normal"][-1]
    out["spread_mid"] = float(np.log10(sv[0] / sv[mid]))
    out["spread_mid_theory"] = float(depths[-1] * (gamma[0] - gamma[mid]) / math.log(10.0))
    return out


def lr_check(seed: int, smoke: bool, depth: int = 32,
             factors: Sequence[float] = (0.5, 1.0, 2.0)) -> dict:
    """Is the Gaussian net slow only because ``lr = LR_TIMES_DEPTH / D`` suits it badly?

    Median epochs to criterion at ``depth`` for both inits and ``lr = f * LR_TIMES_DEPTH / D``,
    ``f`` in ``factors``, on :func:`sweep_task` with the first 3 seeds of :func:`depth_sweep`
    (cap 6000 epochs). ``median[init]`` ``(len(factors),)``; ``best[init]`` the smallest.
    """
    depth = check_int(depth, "depth", minimum=1)
    task = sweep_task(seed)
    run_seeds = sweep.seeds(seed, 3)
    configs = [{"init": init, "depth": depth, "seed": s, "task": task, "max_epochs": 6000,
                "lr_factor": f} for init in INITS for f in factors for s in run_seeds]
    runs = sweep.run(_sweep_run, configs, n_jobs=1, progress=False)
    ep = np.array([r["epochs"] for r in runs], dtype=float).reshape(len(INITS), len(factors), 3)
    median = {init: np.median(ep[k], axis=1) for k, init in enumerate(INITS)}
    return {"depth": depth, "factors": np.array(factors), "median": median,
            "best": {init: float(m.min()) for init, m in median.items()},
            "n_not_reached": int(sum(not r["reached"] for r in runs))}


def forgetting(seed: int, smoke: bool) -> dict:
    """Orthogonal init with inputs whitened in *all* ``width = 16`` directions.

    Same teacher and criterion as :func:`depth_sweep` (``sweep_task(seed)``'s teacher), but the
    net must also drive the ``N - r = 13`` unused input directions, which an orthogonal init
    passes at strength 1, to zero. Depths and seeds as :func:`depth_sweep` (smoke: 3 seeds;
    full: 5). ``median`` epochs per depth against ``theory`` = :func:`theory.saxe_forget_time` with
    ``u_star = sqrt(2 target / (N - r))`` (the loss of the unused part alone,
    ``(N - r) u^2 / 2``, at the criterion; the teacher part is learned far sooner).
    """
    width, n = 16, 48
    depths, n_seeds = ((2, 8, 32), 3) if smoke else ((2, 4, 8, 16, 32, 64), 5)
    base = sweep_task(seed, width, n)
    rng = np.random.default_rng(check_int(seed, "seed") + 1)
    X = whitened_inputs(n, np.eye(width), rng)
    M = (base["V"] * base["s"]) @ base["U"].T
    task = {**base, "X": X, "y": X @ M}
    run_seeds = sweep.seeds(seed, n_seeds)
    configs = [{"init": "orthogonal", "depth": d, "seed": s, "task": task, "max_epochs": 5000}
               for d in depths for s in run_seeds]
    runs = sweep.run(_sweep_run, configs, n_jobs=1, progress=False)
    ep = np.array([r["epochs"] for r in runs], dtype=float).reshape(len(depths), n_seeds)
    n_unused = width - len(base["s"])
    u_star = math.sqrt(2.0 * task["target"] / n_unused)
    theory_t = np.array([forget_time(d, u_star, LR_TIMES_DEPTH) for d in depths])
    median = np.median(ep, axis=1)
    return {"depths": np.array(depths), "epochs": ep, "median": median, "theory": theory_t,
            "ratio": float(median[-1] / median[0]),
            "theory_ratio": float(theory_t[-1] / theory_t[0]),
            "max_rel_err": float(np.max(np.abs(median / theory_t - 1.0))),
            "n_not_reached": int(sum(not r["reached"] for r in runs)), "n_seeds": n_seeds}


# --------------------------------------------------------------------------- 2. staircase


def first_crossing(values: np.ndarray, level: float) -> float:
    """First (fractional) index where ``values`` ``(T,)`` reaches ``level`` from below, by
    linear interpolation between the two steps around it; ``nan`` if it never does."""
    values = np.asarray(values, dtype=float)
    above = np.nonzero(values >= level)[0]
    if len(above) == 0:
        return math.nan
    k = int(above[0])
    if k == 0:
        return 0.0
    return (k - 1) + (level - values[k - 1]) / (values[k] - values[k - 1])


def small_init(kind: str, n_features: int, hidden: int, teacher: dict, scale: float,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(W_1, W_2)`` of shapes ``(N, H)``, ``(H, N)`` for the two-layer staircase.

    ``"aligned"`` (Saxe et al.'s decoupled, balanced init): ``W_1 = sqrt(a0) V R^T``,
    ``W_2 = sqrt(a0) R U^T`` with ``R`` ``(H, r)`` orthonormal and ``a0 = scale``: every teacher
    mode starts at strength ``a0`` and evolves exactly by the one-mode equation.
    ``"random"``: independent ``N(0, scale^2)`` entries.
    """
    check_choice(kind, "kind", ("aligned", "random"))
    scale = check_positive(scale, "scale")
    if kind == "random":
        return (scale * rng.standard_normal((n_features, hidden)),
                scale * rng.standard_normal((hidden, n_features)))
    R = initializers.orthogonal((hidden, len(teacher["s"])), rng)
    return math.sqrt(scale) * teacher["V"] @ R.T, math.sqrt(scale) * R @ teacher["U"].T


def effective_a0(W1: np.ndarray, W2: np.ndarray, teacher: dict) -> np.ndarray:
    """Initial strength ``(r,)`` that the one-mode theory should start from, per mode.

    Mode ``i`` lives in ``w1 = W_1^T v_i`` and ``w2 = W_2 u_i`` (both in R^H). While small,
    ``tau d(w1 + w2)/dt = s (w1 + w2)`` and ``tau d(w1 - w2)/dt = -s (w1 - w2)``: the difference
    dies out and the strength ``w1 . w2`` tends to ``|w1 + w2|^2 / 4 * e^{2 s t / tau}``, i.e. a
    balanced mode of ``a0 = |w1 + w2|^2 / 4``. (For the aligned init this is ``a0`` itself.)
    """
    w_sum = W1.T @ teacher["V"] + W2 @ teacher["U"]          # (H, r), column i = w1 + w2
    return np.sum(w_sum ** 2, axis=0) / 4.0


def staircase(seed: int, smoke: bool) -> dict:
    """Two-layer linear net ``N = 8 -> H = 16 -> 8`` learning the teacher from a small init.

    Full-rank whitened inputs (64 examples), ``lr = 0.01`` (``tau = 1 / lr = 100`` steps),
    1300 steps, both inits of :func:`small_init` (aligned ``a0 = 1e-8``; random with entry std
    ``sqrt(2 a0 / H)``, so that ``E |w1 + w2|^2 / 4 = a0`` too). Per init: ``modes``
    ``(steps + 1, r)`` mode strengths, ``loss`` ``(steps + 1,)``, ``a0`` ``(r,)`` from
    :func:`effective_a0`, ``t_half`` measured and ``t_half_theory`` ``(r,)``, ``rel_err``
    ``|measured / theory - 1|`` ``(r,)``. Cheap, so identical in smoke and full mode.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    width, hidden, n, lr, a0, steps = 8, 16, 64, 0.01, 1e-8, 1300
    teacher = linear_teacher(width, SINGULAR_VALUES, rng)
    X = whitened_inputs(n, np.eye(width), rng)
    y = X @ teacher["M"]
    tau = 1.0 / lr
    out: dict = {"tau": tau, "lr": lr, "steps": steps, "s": teacher["s"], "hidden": hidden,
                 "a0_target": a0, "seed": seed}
    for kind, scale in (("aligned", a0), ("random", math.sqrt(2.0 * a0 / hidden))):
        W1, W2 = small_init(kind, width, hidden, teacher, scale, rng)
        a0_eff = effective_a0(W1, W2, teacher)
        model = network.MLP([width, hidden, width], rng, activation="identity",
                            weight_init="zeros", bias_init="zeros")
        model.weights[0][:], model.weights[1][:] = W1, W2
        modes, loss = [], []
        for _ in range(steps):
            modes.append(mode_strengths(end_to_end(model), teacher["V"], teacher["U"]))
            loss.append(gd_step(model, X, y, lr))
        modes.append(mode_strengths(end_to_end(model), teacher["V"], teacher["U"]))
        loss.append(losses.mean_squared_error(model.forward(X, keep=False), y)[0])
        modes = np.array(modes)
        s = teacher["s"]
        measured = np.array([first_crossing(modes[:, i], s[i] / 2) for i in range(len(s))])
        theory_t = np.array([half_time(s[i], a0_eff[i], tau) for i in range(len(s))])
        out[kind] = {"modes": modes, "loss": np.array(loss), "a0": a0_eff,
                     "t_half": measured, "t_half_theory": theory_t,
                     "rel_err": np.abs(measured / theory_t - 1.0),
                     "theory_modes": np.stack([theory.saxe_mode_strength(
                         np.arange(steps + 1), s[i], a0_eff[i], tau) for i in range(len(s))],
                         axis=1),
                     "final_err": float(np.max(np.abs(modes[-1] - s) / s))}
    return out


# ------------------------------------------------------------------------------ figures

_LABELS = {"lecun_normal": r"Gaussian, Var(w) = 1/fan_in", "orthogonal": "orthogonal"}


def plot_spectra(sw: dict) -> Figure:
    """Singular values of ``W_total`` at init (log) versus depth, one net per init and depth."""
    fig, ax = plt.subplots(figsize=(8, 4.6))
    for k, init in enumerate(INITS):
        for j, (d, sv) in enumerate(zip(sw["depths"], sw["spectra"][init], strict=True)):
            x = d * (1.0 + 0.06 * (2 * k - 1)) * np.ones_like(sv)   # side by side per depth
            ax.scatter(x, sv, s=12, color=f"C{k}", alpha=0.7,
                       label=_LABELS[init] if j == 0 else None)
    ax.axhspan(1e-20, 1e-15, color="0.85", zorder=0,
               label="below double precision (rounding noise)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_ylim(1e-18, 30)
    ax.set_xticks(sw["depths"], [str(d) for d in sw["depths"]])
    ax.set(xlabel="depth $D$ (layers)", ylabel=r"singular values of $W_1 W_2 \cdots W_D$ (log)",
           title=f"End-to-end map at initialization: all {sw['width']} singular values, "
                 f"one net per depth (seed {sw['seed']})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize=9)
    fig.tight_layout()
    return fig


def plot_depth_sweep(sw: dict) -> Figure:
    """Left: epochs to criterion versus depth (log-log), seeds as points, median line; runs that
    did not reach it are drawn at the cap as open triangles. Right: loss curves at the deepest
    depth for the first seed, with the criterion."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.3))
    depths = sw["depths"]
    for k, init in enumerate(INITS):
        ep, ok = sw["epochs"][init], sw["reached"][init]
        n_seeds = ep.shape[1]
        jitter = 1.0 + 0.04 * (np.arange(n_seeds) - (n_seeds - 1) / 2) / n_seeds
        X = depths[:, None] * jitter[None, :] * (1.0 + 0.05 * (2 * k - 1))
        ax1.scatter(X[ok], ep[ok], s=14, color=f"C{k}", alpha=0.6)
        if (~ok).any():
            ax1.scatter(X[~ok], ep[~ok], s=40, marker="^", facecolors="none",
                        edgecolors=f"C{k}", label=f"{_LABELS[init]}: not reached in "
                                                  f"{sw['max_epochs']} epochs")
        ax1.plot(depths, sw["median"][init], "-o", color=f"C{k}", ms=4,
                 label=f"{_LABELS[init]} (median of {n_seeds} seeds)")
    ax1.set_xscale("log", base=2)
    ax1.set_yscale("log")
    ax1.set_xticks(depths, [str(d) for d in depths])
    ax1.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax1.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax1.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax1.set(xlabel="depth $D$ (layers)", ylabel="epochs to loss criterion (log)",
            title=rf"Time to learn the teacher, lr = {LR_TIMES_DEPTH}/D, dots = seeds")
    ax1.legend(fontsize=8)
    for k, init in enumerate(INITS):
        curve = sw["curves"][init]
        ax2.plot(np.arange(len(curve)), curve, color=f"C{k}", label=_LABELS[init])
    ax2.axhline(sw["target"], color="k", ls=":", lw=1,
                label=f"criterion: {CRITERION:g} x loss of the zero map")
    ax2.set_xscale("symlog", linthresh=10)
    ax2.set_xlim(left=0)
    ax2.set_yscale("log")
    ax2.set_ylim(bottom=0.01)
    ax2.set(xlabel="epoch (full-batch step; log beyond 10)", ylabel="training loss (log)",
            title=f"Loss curves at depth {depths[-1]} (first seed)")
    ax2.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def plot_staircase(st: dict) -> Figure:
    """Left: mode strengths over steps (aligned init: thick; random: thin; theory: dashed).
    Right: the training loss (linear scale), one step per mode, with the predicted plateau
    levels ``1/2 sum_{j > i} s_j^2`` and half times."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.3))
    t = np.arange(st["steps"] + 1)
    s_all = st["s"]
    for i, s in enumerate(s_all):
        ax1.plot(t, st["aligned"]["modes"][:, i], lw=2.5, color=f"C{i}",
                 label=f"mode {i + 1}, $s_{i + 1}$ = {s:g}: aligned init")
        ax1.plot(t, st["random"]["modes"][:, i], lw=1.0, color=f"C{i}",
                 label="random init (thin)" if i == 0 else None)
        ax1.plot(t, st["aligned"]["theory_modes"][:, i], "k--", lw=1,
                 label="theory, saxe_mode_strength" if i == 0 else None)
        ax2.axvline(st["aligned"]["t_half_theory"][i], color=f"C{i}", ls=":", lw=1.5,
                    label=f"predicted $t_{{1/2}}$, mode {i + 1}")
    ax1.set(xlabel="gradient-descent step $t$", ylabel=r"mode strength $a_i = v_i^T W_1 W_2 u_i$",
            title=rf"Two-layer linear net, small init ($a_0$ = {st['a0_target']:g}), "
                  rf"lr = {st['lr']:g} ($\tau$ = {st['tau']:g} steps)")
    ax1.legend(fontsize=8, loc="center right")
    for kind, lw in (("aligned", 2.5), ("random", 1.0)):
        ax2.plot(t, st[kind]["loss"], lw=lw, color="C4", label=f"loss, {kind} init")
    for i in range(len(s_all) + 1):
        ax2.axhline(0.5 * float(np.sum(s_all[i:] ** 2)), color="0.5", lw=0.8, ls="--",
                    label=r"plateaus $\frac{1}{2}\sum_{j>i} s_j^2$" if i == 0 else None)
    ax2.set(xlabel="gradient-descent step $t$", ylabel="training loss",
            title="The loss falls in steps, one per singular value")
    ax2.legend(fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


def plot_forgetting(fg: dict) -> Figure:
    """Epochs to criterion versus depth for orthogonal init with full-rank inputs (seeds as
    points, median line) and the power-law forgetting time :func:`theory.saxe_forget_time`."""
    fig, ax = plt.subplots(figsize=(7, 4))
    d = fg["depths"]
    for j in range(fg["epochs"].shape[1]):
        ax.scatter(d, fg["epochs"][:, j], s=14, color="C1", alpha=0.6,
                   label=f"orthogonal, {fg['n_seeds']} seeds" if j == 0 else None)
    ax.plot(d, fg["median"], "-o", ms=4, color="C1", label="median")
    ax.plot(d, fg["theory"], "k--", label=r"theory: $(u_*^{-p} - 1)/(p\,\eta D)$, $p = 2 - 2/D$")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(d, [str(x) for x in d])
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set(xlabel="depth $D$ (layers)", ylabel="epochs to loss criterion (log)",
           title="Inputs white in all 16 directions: the unused 13 must be switched off")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
