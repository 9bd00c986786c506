"""Chapter 3, symmetry breaking: the experiments behind the page.

What: a one-hidden-layer net ``(64, width, 10)`` on the digits, trained with plain SGD from

- a constant init (every weight ``value``, zero biases; ``value = 0`` is the zero init): the
  hidden units start identical and, because identical units get identical gradients, stay
  identical (:func:`symmetry_stats` after every epoch: distinct units, largest difference
  between two units, numerical and entropy effective rank of ``W_1``);
- the same constant plus a tiny perturbation ``eps * N(0, 1)`` (:func:`perturbed_constant`),
  which training amplifies exponentially until the units differ;
- the constant init trained with inverted dropout on the hidden layer (Srivastava et al. 2014),
  whose random masks give the units different gradients (:func:`initlab.dropout.hook`);
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
``(fan_in + 1 + fan_out, width)`` matrix.

Layout of the chapter: the notebook's settings go to :func:`train_all`, which makes every run of
the page (one :func:`initlab.train.run` each, :func:`symmetry_stats` measured after every
epoch). Each section then calls one function on those runs that returns the numbers its text
cites, under literal keys: :func:`unit_summary` (the units never separate, or do),
:func:`perturbation_growth` (how fast noise is amplified), :func:`rank_summary` (the rank of
``W_1``) and :func:`accuracy_summary` (what the symmetry costs). The figures are in
:mod:`.figures`; ``data/reference/03_symmetry_breaking.json`` checks the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import integrate

from initlab import datasets, diagnostics, dropout, initializers, network, stats, sweep, train
from initlab._checks import check_int
from initlab.experiments.symmetry_breaking.figures import plot_accuracy, plot_rank, plot_symmetry

__all__ = ["EXACT_DTYPE", "TOL_COARSE", "accuracy_summary", "mp_entropy_rank",
           "exercise_entropy_rank", "exercise_eps", "perturbation_growth",
           "perturbed_constant", "plot_accuracy", "plot_rank", "plot_symmetry", "rank_summary",
           "run_config", "symmetry_stats", "train_all", "unit_matrix",
           "unit_summary"]

EXACT_DTYPE = np.longdouble  # numpy's own matmul loop, no BLAS: the same operations for every unit
TOL_COARSE = 1e-3  # units closer than this in every weight are "practically" the same unit
STATS = ("n_distinct", "max_abs_diff", "n_distinct_coarse", "rank", "entropy_rank")


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


# ------------------------------------------------------------------------------- the runs


def measured_run(config: dict) -> dict[str, np.ndarray]:
    """One :func:`initlab.train.run` of ``config``, :func:`symmetry_stats` after every epoch.

    ``config`` holds ``train.run``'s arguments plus ``dropout`` (the probability, 0 for none).
    Top level so that :func:`initlab.sweep.run` can send it to a worker. Returns the per-epoch
    arrays ``(epochs + 1,)`` of :data:`STATS` and ``test_acc``.
    """
    config = dict(config)
    p = config.pop("dropout")
    trace: dict[str, list] = {k: [] for k in STATS}

    def measure(epoch: int, model: network.MLP) -> None:
        for k, v in symmetry_stats(model).items():
            trace[k].append(v)

    run = train.run(**config, on_epoch=measure, step_hook=dropout.hook(p) if p else None)
    if run.diverged:
        raise RuntimeError(f"run {config} diverged at step {run.history.diverged_at}")
    return {**{k: np.array(v) for k, v in trace.items()}, "test_acc": run.test_acc}


def train_all(*, width: int, epochs: int, n_seeds: int, value: float, eps: float,
              eps_small: float, dropout: float, lr: float, batch_size: int, activation: str,
              random_init: str, seed: int, n_jobs: int = 1) -> dict:
    """Every run of the page: the digits split and the batch order of run ``s`` come from
    ``seed``, ``[s, 1]``; net ``(64, width, 10)``, zero biases, plain SGD.

    - ``constant``, ``constant_relu``, ``zero``: constant ``value`` with ``activation`` and with
      relu, constant 0; one run each (deterministic: the init draws nothing), in
      :data:`EXACT_DTYPE` when the constant is not 0;
    - ``perturbed``, ``dropout``, ``random``: ``n_seeds`` runs each (seeds ``sweep.seeds``):
      ``value + eps N(0, 1)``, the constant with ``dropout``, ``random_init``;
    - ``perturbed_small``: the same draws as ``perturbed`` scaled to ``eps_small``.

    Returns ``runs[name][stat]`` ``(n_runs, epochs + 1)`` for every measure of
    :func:`symmetry_stats` and ``test_acc``, ``epoch`` ``(epochs + 1,)`` and the ``settings``.
    """
    seed = check_int(seed, "seed")
    run_seeds = sweep.seeds(seed, n_seeds)
    cases = {"constant": ([seed], activation, value, 0.0, 0.0),
             "constant_relu": ([seed], "relu", value, 0.0, 0.0),
             "zero": ([seed], activation, 0.0, 0.0, 0.0),
             "perturbed": (run_seeds, activation, value, eps, 0.0),
             "dropout": (run_seeds, activation, value, 0.0, dropout),
             "random": (run_seeds, activation, None, 0.0, 0.0),
             "perturbed_small": (run_seeds, activation, value, eps_small, 0.0)}
    settings = {"width": int(width), "epochs": int(epochs), "n_seeds": int(n_seeds),
                "value": value, "eps": eps, "eps_small": eps_small, "lr": lr,
                "batch_size": batch_size, "dropout": dropout, "activation": activation,
                "random_init": random_init, "seed": seed}
    configs = [(name, run_config(settings, s, act, v, e, p))
               for name, (seeds, act, v, e, p) in cases.items() for s in seeds]
    outs = sweep.run(measured_run, [c for _, c in configs], n_jobs=n_jobs, progress=False)
    runs: dict[str, list] = {}
    for (name, _), out in zip(configs, outs, strict=True):
        runs.setdefault(name, []).append(out)
    return {"runs": {name: {k: np.array([r[k] for r in rs], dtype=np.float64)
                            for k in (*STATS, "test_acc")} for name, rs in runs.items()},
            "epoch": np.arange(epochs + 1), "settings": settings}


def run_config(settings: dict, seed: int, activation: str, value: float | None, eps: float,
               dropout: float) -> dict:
    """The :func:`measured_run` config of one run of :func:`train_all` (its ``settings``):
    init ``value + eps N(0, 1)`` (``random_init`` if ``value`` is None), drawn from ``seed``,
    which also orders the batches (``[seed, 1]``); :data:`EXACT_DTYPE` for a pure constant."""
    return {"sizes": (64, settings["width"], 10), "seed": seed, "shuffle_seed": [seed, 1],
            "data_seed": settings["seed"], "epochs": settings["epochs"],
            "batch_size": settings["batch_size"], "lr": settings["lr"],
            "activation": activation, "dropout": dropout,
            "weight_init": (settings["random_init"] if value is None
                            else perturbed_constant(value, eps)),
            "dtype": EXACT_DTYPE if value and not eps and not dropout else np.float64}


# ------------------------------------------------------------------------- the page's numbers


def _worst(S: dict[str, np.ndarray]) -> dict[str, float | int]:
    """A deterministic constant run: the worst epoch of each symmetry measure, final accuracy."""
    return {"diff": float(S["max_abs_diff"].max()), "n": int(S["n_distinct"].max()),
            "rank": int(S["rank"].max()), "erank": float(S["entropy_rank"].max()),
            "acc": float(S["test_acc"][0, -1])}


def unit_summary(res: dict) -> dict[str, float | int]:
    """Do the units separate? From :func:`train_all` (and its size: epochs, width, seeds).

    Constant runs (``const_{tanh,relu,zero}_*``): the worst epoch of each symmetry measure and
    the final test accuracy. Other inits: distinct units at the end (fewest over seeds, exact
    and to :data:`TOL_COARSE`); random: fewest coarse-distinct units at any epoch; dropout: the
    same after epoch 1. Perturbation: ``max_abs_diff`` at the start and end (seed mean), growth
    ``end / start`` (smallest seed), and the units it makes at the start.
    """
    S = res["runs"]
    tanh, relu, zero = (_worst(S[n]) for n in ("constant", "constant_relu", "zero"))
    p, q, d = S["perturbed"], S["perturbed_small"], S["dropout"]
    return {
        "epochs": res["settings"]["epochs"], "width": res["settings"]["width"],
        "n_seeds": res["settings"]["n_seeds"],
        "const_tanh_max_diff": tanh["diff"], "const_tanh_max_n_distinct": tanh["n"],
        "const_tanh_max_rank": tanh["rank"], "const_tanh_max_entropy_rank": tanh["erank"],
        "const_tanh_acc": tanh["acc"],
        "const_relu_max_diff": relu["diff"], "const_relu_max_n_distinct": relu["n"],
        "const_relu_max_rank": relu["rank"], "const_relu_max_entropy_rank": relu["erank"],
        "const_relu_acc": relu["acc"],
        "const_zero_max_diff": zero["diff"], "const_zero_max_n_distinct": zero["n"],
        "const_zero_max_rank": zero["rank"], "const_zero_max_entropy_rank": zero["erank"],
        "const_zero_acc": zero["acc"],
        "perturbed_min_n_distinct_end": int(p["n_distinct"][:, -1].min()),
        "perturbed_min_n_coarse_end": int(p["n_distinct_coarse"][:, -1].min()),
        "perturbed_small_min_n_distinct_end": int(q["n_distinct"][:, -1].min()),
        "perturbed_small_min_n_coarse_end": int(q["n_distinct_coarse"][:, -1].min()),
        "dropout_min_n_distinct_end": int(d["n_distinct"][:, -1].min()),
        "dropout_min_n_coarse_end": int(d["n_distinct_coarse"][:, -1].min()),
        "dropout_min_n_coarse_epoch1": int(d["n_distinct_coarse"][:, 1].min()),
        "random_min_n_coarse": int(S["random"]["n_distinct_coarse"].min()),
        "perturbed_diff_start": float(p["max_abs_diff"][:, 0].mean()),
        "perturbed_diff_end": float(p["max_abs_diff"][:, -1].mean()),
        "perturbed_growth": float((p["max_abs_diff"][:, -1] / p["max_abs_diff"][:, 0]).min()),
        "perturbed_min_n_distinct_start": int(p["n_distinct"][:, 0].min()),
        "perturbed_max_n_coarse_start": int(p["n_distinct_coarse"][:, 0].max()),
    }


def log_growth_rate(epochs: np.ndarray, diff: np.ndarray, lo: float = 1e-5,
                    hi: float = 1e-2) -> float:
    """Least-squares slope of ``ln(diff)`` on ``epochs`` where ``lo <= diff <= hi``.

    In the linear regime a perturbation grows as ``diff ~ eps * exp(r t)``: this is ``r`` per
    epoch (:func:`initlab.stats.log_slope`). Needs at least two epochs in the window.
    """
    keep = (diff >= lo) & (diff <= hi)
    if keep.sum() < 2:
        raise ValueError(f"fewer than two epochs with {lo:g} <= diff <= {hi:g}: cannot fit a rate")
    return stats.log_slope(epochs[keep], diff[keep])


def crossing_epoch(epochs: np.ndarray, diff: np.ndarray, level: float) -> float:
    """Epoch at which ``diff`` reaches ``level``, log-linearly interpolated between epochs.

    The epoch index is :func:`initlab.stats.first_reach` (``inf``: never, censored); between
    epochs ``i - 1`` and ``i`` the crossing of ``ln(level)`` is interpolated linearly.
    """
    first = stats.first_reach(diff, level)
    if math.isinf(first):
        return math.inf
    if first == 0:
        return float(epochs[0])
    i = int(first)
    lo, hi = math.log(diff[i - 1]), math.log(diff[i])
    return float(epochs[i - 1] + (math.log(level) - lo) / (hi - lo) * (epochs[i] - epochs[i - 1]))


def perturbation_growth(res: dict, *, level: float, at_epoch: int) -> dict[str, float | int]:
    """How fast training amplifies ``eps`` noise, from :func:`train_all`.

    Rate ``r`` per epoch of :func:`log_growth_rate` (seed mean) and ``exp(r)``;
    ``diff(eps) / diff(eps_small)`` at ``at_epoch`` (linearization: exactly ``eps / eps_small``
    while both are small); the delay between the epochs at which the two reach ``level``
    (:func:`crossing_epoch`, seed mean), against the prediction ``ln(eps / eps_small) / r``.
    """
    p, q = res["runs"]["perturbed"]["max_abs_diff"], res["runs"]["perturbed_small"]["max_abs_diff"]
    ep, eps = res["epoch"], res["settings"]["eps"] / res["settings"]["eps_small"]
    rate = float(np.mean([log_growth_rate(ep, d) for d in p]))
    delay = float(np.mean([crossing_epoch(ep, b, level) - crossing_epoch(ep, a, level)
                           for a, b in zip(p, q, strict=True)]))
    delay_pred = math.log(eps) / rate
    return {"perturbed_rate": rate, "perturbed_rate_factor": math.exp(rate),
            "eps_ratio_at_epoch": int(at_epoch),
            "eps_diff_ratio": float((p[:, at_epoch] / q[:, at_epoch]).mean()),
            "eps_delay": delay, "eps_delay_pred": delay_pred,
            "eps_delay_rel_err": abs(delay / delay_pred - 1.0)}


def rank_summary(res: dict) -> dict[str, float | int]:
    """The rank of ``W_1``, from :func:`train_all`: entropy rank at the end (seed mean) per
    init; the random init's at the start (range over seeds) and lowest ever, against
    :func:`mp_entropy_rank`; the perturbed init's at the start (both ranks)."""
    S = res["runs"]
    r, p = S["random"]["entropy_rank"], S["perturbed"]
    return {"perturbed_entropy_rank_end": float(p["entropy_rank"][:, -1].mean()),
            "perturbed_small_entropy_rank_end":
                float(S["perturbed_small"]["entropy_rank"][:, -1].mean()),
            "dropout_entropy_rank_end": float(S["dropout"]["entropy_rank"][:, -1].mean()),
            "random_entropy_rank_end": float(r[:, -1].mean()),
            "random_entropy_rank_start_min": float(r[:, 0].min()),
            "random_entropy_rank_start_max": float(r[:, 0].max()),
            "random_entropy_rank_min": float(r.min()),
            "mp_entropy_rank": mp_entropy_rank(64, res["settings"]["width"]),
            "perturbed_min_rank_start": int(p["rank"][:, 0].min()),
            "perturbed_max_entropy_rank_start": float(p["entropy_rank"][:, 0].max())}


def accuracy_summary(res: dict) -> dict[str, float | int]:
    """What the symmetry costs, from :func:`train_all`: final test accuracy per init (seed
    mean, and the worst seed), and chance plus five standard errors of a label-blind
    classifier on the ``n_test`` test images, ``0.1 + 5 sqrt(0.1 * 0.9 / n_test)``."""
    S = res["runs"]
    n_test = len(datasets.load("digits", np.random.default_rng(res["settings"]["seed"])).y_test)
    final = {name: S[name]["test_acc"][:, -1] for name in S}
    return {"perturbed_acc": float(final["perturbed"].mean()),
            "perturbed_small_acc": float(final["perturbed_small"].mean()),
            "dropout_acc": float(final["dropout"].mean()),
            "random_acc": float(final["random"].mean()),
            "perturbed_min_acc": float(final["perturbed"].min()),
            "dropout_min_acc": float(final["dropout"].min()),
            "random_min_acc": float(final["random"].min()),
            "n_test": n_test, "chance_margin": 0.1 + 5.0 * stats.se_proportion(0.1, n_test)}


# ------------------------------------------------------------------------------ exercises


def exercise_eps(res: dict, *, eps: float, level: float) -> dict[str, float | None]:
    """Exercise: the first perturbed run of :func:`train_all` again, its noise scaled to ``eps``.

    The same draws, so while the differences are small they are ``eps / eps_0`` times the
    chapter's (``eps_0`` its ``eps``) and reach ``level`` ``ln(eps / eps_0) / r`` epochs
    earlier, ``r`` the chapter run's rate (:func:`log_growth_rate`):
    ``ex_eps_cross_pred = t_0 - ln(eps / eps_0) / r`` against the measured ``ex_eps_cross``
    (``None``, not recorded, if ``level`` is not reached in the epochs run).
    """
    S, ep = res["settings"], res["epoch"]
    ref = res["runs"]["perturbed"]["max_abs_diff"][0]       # the chapter's first seed
    config = run_config(S, sweep.seeds(S["seed"], 1)[0], S["activation"], S["value"], eps, 0.0)
    new = measured_run(config)["max_abs_diff"]
    t_0 = crossing_epoch(ep, ref, level)
    t = {"ex_eps_cross_ref": t_0, "ex_eps_cross": crossing_epoch(ep, new, level),
         "ex_eps_cross_pred": t_0 - math.log(eps / S["eps"]) / log_growth_rate(ep, ref)}
    return {"ex_eps": float(eps), **{k: v if math.isfinite(v) else None for k, v in t.items()}}


def exercise_entropy_rank(*, width: int, random_init: str, seed: int,
                          n_draws: int = 20) -> dict[str, float | int]:
    """Exercise: entropy rank of a random ``(64, width)`` ``W_1`` against Marchenko-Pastur.

    ``n_draws`` draws of ``random_init`` from ``default_rng(seed)``; their mean entropy rank
    ``ex_erank_mean`` (standard error ``ex_erank_se``) against :func:`mp_entropy_rank`, and
    the prediction as a fraction of the largest possible rank, ``min(64, width)``.
    """
    rng, init = np.random.default_rng(seed), initializers.get(random_init)
    ranks = [diagnostics.entropy_effective_rank(init((64, width), rng)) for _ in range(n_draws)]
    theory = mp_entropy_rank(64, width)
    return {"ex_erank_width": int(width), "ex_erank_theory": theory,
            "ex_erank_fraction": theory / min(64, width), "ex_erank_mean": float(np.mean(ranks)),
            "ex_erank_se": float(np.std(ranks, ddof=1) / math.sqrt(n_draws))}
