"""Chapter 11, orthogonal initialization and deep linear networks (Saxe et al. 2014).

What: deep linear networks ``y_hat = X @ W_1 @ ... @ W_D`` learn a linear teacher
``y = X @ M``, ``M = sum_i s_i v_i u_i^T`` with ``s = SINGULAR_VALUES``, by full-batch gradient
descent on the squared loss (the task, nets and training loop: :mod:`.linear`).

1. :func:`end_to_end_spectra`: the singular values of ``W_total = W_1 ... W_D`` at init, all
   exactly 1 for orthogonal layers, spread like ``exp(gamma_k D)`` for Gaussian ones
   (LeCun normal, ``Var(w) = 1 / fan_in``; Lyapunov exponents :func:`theory.lyapunov_exponents`).
2. :func:`depth_sweep`: epochs to a loss criterion versus depth for both inits, with
   ``lr = lr_times_depth / D``; :func:`lr_check`: the same at 0.5x and 2x that learning rate;
   :func:`forgetting`: orthogonal init when the inputs also span directions the teacher
   ignores, against the power law :func:`theory.saxe_forget_time`.
3. :func:`staircase`: a two-layer net from a small init learns the teacher one mode at a time;
   each mode strength ``a_i = v_i^T W_1 W_2 u_i`` against :func:`theory.saxe_mode_strength` and
   its half time ``t_half = tau / (2 s) * ln(s / a0 - 1)`` (:func:`theory.saxe_half_time`).

Why: the chapter's question is whether depth by itself must slow learning. Saxe et al. show it
need not: with an init whose end-to-end map is an isometry the learning time is independent of
depth, while a product of independent Gaussian matrices is not (its spectrum spreads with depth).
Times to criterion follow the book's one censoring rule (``stats.first_reach``: ``inf`` when a
run does not get there within ``max_epochs``); medians over seeds are ``stats.reach_summary``'s.

Shapes: weights ``(n_in, n_out)``, ``X`` ``(n, N)`` rows are examples, ``V``, ``U`` ``(N, r)``.

Layout: the notebook's settings cell holds every size, seed count and learning-rate setting;
each experiment takes them as keyword arguments and returns one dict whose scalar entries are
the numbers the page records (literal keys, ``results.record_all``) and whose other entries are
figure data for :mod:`.figures`; ``data/reference/11_orthogonal_deep_linear.json`` checks them.
The ``exercise_*`` functions are the page's "predict, then run" cells (keys prefixed ``ex_``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab import losses, network, stats, sweep, theory
from initlab._checks import check_int
from initlab.experiments.orthogonal_deep_linear.figures import (
    plot_depth_sweep,
    plot_forgetting,
    plot_spectra,
    plot_staircase,
)
from initlab.experiments.orthogonal_deep_linear.linear import (
    effective_a0,
    end_to_end,
    first_crossing,
    gd_step,
    linear_teacher,
    mode_strengths,
    product_spectrum,
    run_to_criterion,
    small_init,
    sweep_task,
    whitened_inputs,
)

#: Singular values of the teacher (three modes, learned one after the other).
SINGULAR_VALUES = (3.0, 2.0, 1.0)
#: The two inits compared, as ``initializers.get`` names.
INITS = ("lecun_normal", "orthogonal")
#: Learning rates of :func:`lr_check`, as multiples of ``lr_times_depth / D``.
LR_FACTORS = (0.5, 1.0, 2.0)


def _times_to_criterion(configs: list[dict], shape: tuple[int, ...]) -> tuple[list, np.ndarray]:
    """Run :func:`run_to_criterion` over ``configs``; the runs and their epochs ``shape``d."""
    runs = sweep.run(run_to_criterion, configs, n_jobs=1, progress=False)
    return runs, np.array([r["epochs"] for r in runs], dtype=float).reshape(shape)


def _medians(epochs: np.ndarray) -> np.ndarray:
    """Median over the last axis (seeds), censored runs counted as longest (reach_summary)."""
    rows = epochs.reshape(-1, epochs.shape[-1])
    return np.array([stats.reach_summary(t)["median"] for t in rows]).reshape(epochs.shape[:-1])


# -------------------------------------------------------------- 1. the product at init


def end_to_end_spectra(*, width: int, depths: Sequence[int], seed: int) -> dict:
    """Singular values of ``W_total`` at init, one ``width``-square net per init and depth.

    Each init's nets come from ``default_rng(sweep.seeds(seed, 1)[0])``, depth after depth.
    ``spread_decades_*`` = log10(largest / smallest) at the deepest depth;
    ``spread_mid_gauss`` = log10(largest / (N/2)-th largest) of the Gaussian product there,
    against the Lyapunov prediction ``D (gamma_1 - gamma_{N/2}) / ln 10``.
    """
    spec_seed = sweep.seeds(seed, 1)[0]
    spectra = {}
    for init in INITS:
        spec_rng = np.random.default_rng(spec_seed)
        spectra[init] = [product_spectrum(d, width, init, spec_rng) for d in depths]
    gamma = theory.lyapunov_exponents(width)     # growth rate of each singular value per layer
    mid = width // 2 - 1                         # the median singular value, far above rounding
    sv = spectra["lecun_normal"][-1]
    spread_mid = float(np.log10(sv[0] / sv[mid]))
    spread_mid_theory = float(depths[-1] * (gamma[0] - gamma[mid]) / math.log(10.0))
    orth = spectra["orthogonal"][-1]
    return {
        "depth_max": int(depths[-1]), "width": width,
        "spread_decades_orth": float(np.log10(orth[0] / orth[-1])),
        "spread_decades_gauss": float(np.log10(sv[0] / sv[-1])),
        "spread_per_layer_theory": float((gamma[0] - gamma[-1]) / math.log(10.0)),
        "spread_mid_gauss": spread_mid, "spread_mid_theory": spread_mid_theory,
        "spread_mid_ratio": spread_mid / spread_mid_theory,
        "depths": np.array(depths), "spectra": spectra, "setup": {"seed": seed},
    }


# ------------------------------------------------------------- 2. time to learn vs depth


def depth_sweep(*, width: int, n_examples: int, depths: Sequence[int], n_seeds: int,
                max_epochs: int, lr_times_depth: float, criterion: float, seed: int) -> dict:
    """Epochs to ``L <= criterion * L(0)`` versus depth, for each init in ``INITS``.

    Task :func:`sweep_task` (teacher in ``width`` dimensions, ``n_examples`` inputs whitened
    within its input directions, from ``seed``); nets of ``D`` square layers with weights from
    ``sweep.seeds(seed, n_seeds)``, ``lr = lr_times_depth / D``, at most ``max_epochs`` steps.
    Figure data: ``epochs[init]`` ``(n_depths, n_seeds)`` (``inf`` = not reached), medians, the
    loss curve of the first seed at the deepest depth. Recorded: median epochs at the shallowest
    and deepest depth, their ratio, and the number of runs that did not reach the criterion.
    """
    task = sweep_task(SINGULAR_VALUES, width=width, n_examples=n_examples,
                      criterion=criterion, seed=seed)
    configs = [{"init": init, "depth": d, "seed": s, "task": task, "max_epochs": max_epochs,
                "lr": lr_times_depth / d}
               for init in INITS for d in depths for s in sweep.seeds(seed, n_seeds)]
    runs, epochs = _times_to_criterion(configs, (len(INITS), len(depths), n_seeds))
    epochs = dict(zip(INITS, epochs, strict=True))
    median = {init: _medians(ep) for init, ep in epochs.items()}
    ratio = {init: float(m[-1] / m[0]) for init, m in median.items()}
    n_runs = len(depths) * n_seeds                # runs per init, deepest depth last
    return {
        "ratio_orth": ratio["orthogonal"], "ratio_gauss": ratio["lecun_normal"],
        "epochs_orth_shallow": float(median["orthogonal"][0]),
        "epochs_orth_deep": float(median["orthogonal"][-1]),
        "epochs_gauss_shallow": float(median["lecun_normal"][0]),
        "epochs_gauss_deep": float(median["lecun_normal"][-1]),
        "not_reached_orth": int(np.isinf(epochs["orthogonal"]).sum()),
        "not_reached_gauss": int(np.isinf(epochs["lecun_normal"]).sum()),
        "depth_min": int(depths[0]), "n_seeds": n_seeds, "max_epochs": max_epochs,
        "depths": np.array(depths), "epochs": epochs, "median": median,
        "curves": {init: runs[k * n_runs + n_runs - n_seeds]["loss"]
                   for k, init in enumerate(INITS)},
        "setup": {"target": task["target"], "lr_times_depth": lr_times_depth,
                  "criterion": criterion},
    }


def lr_check(*, width: int, n_examples: int, depth: int, n_seeds: int, max_epochs: int,
             lr_times_depth: float, criterion: float, seed: int) -> dict:
    """Is the Gaussian net slow only because ``lr = lr_times_depth / D`` suits it badly?

    Median epochs to criterion at ``depth`` for both inits and ``lr = f * lr_times_depth / D``,
    ``f`` in :data:`LR_FACTORS`, on :func:`depth_sweep`'s task with its first ``n_seeds`` seeds.
    Recorded: the medians, the best Gaussian median over the best orthogonal one, and the
    number of runs that did not reach the criterion within ``max_epochs``.
    """
    depth = check_int(depth, "depth", minimum=1)
    task = sweep_task(SINGULAR_VALUES, width=width, n_examples=n_examples,
                      criterion=criterion, seed=seed)
    configs = [{"init": init, "depth": depth, "seed": s, "task": task, "max_epochs": max_epochs,
                "lr": f * lr_times_depth / depth}
               for init in INITS for f in LR_FACTORS for s in sweep.seeds(seed, n_seeds)]
    _, epochs = _times_to_criterion(configs, (len(INITS), len(LR_FACTORS), n_seeds))
    median = {init: _medians(ep) for init, ep in zip(INITS, epochs, strict=True)}
    orth, gauss = median["orthogonal"], median["lecun_normal"]
    return {
        "lr_depth": depth,
        "lr_orth_x0.5": float(orth[0]), "lr_orth_x1": float(orth[1]),
        "lr_orth_x2": float(orth[2]),
        "lr_gauss_x0.5": float(gauss[0]), "lr_gauss_x1": float(gauss[1]),
        "lr_gauss_x2": float(gauss[2]),
        "lr_best_ratio": float(gauss.min()) / float(orth.min()),
        "lr_not_reached": int(np.isinf(epochs).sum()),
        "factors": np.array(LR_FACTORS), "median": median,
    }


def forgetting(*, width: int, n_examples: int, depths: Sequence[int], n_seeds: int,
               max_epochs: int, lr_times_depth: float, criterion: float, seed: int) -> dict:
    """Orthogonal init with inputs whitened in *all* ``width`` directions.

    Teacher and criterion of :func:`depth_sweep`, new inputs from ``default_rng(seed + 1)``:
    the net must also drive the ``N - r`` unused input directions, which an orthogonal init
    passes at strength 1, to zero. Median epochs per depth against
    ``theory.saxe_forget_time`` with ``u_star = sqrt(2 target / (N - r))`` (the loss of the
    unused part alone, ``(N - r) u^2 / 2``, at the criterion; the teacher is learned far sooner).
    """
    base = sweep_task(SINGULAR_VALUES, width=width, n_examples=n_examples,
                      criterion=criterion, seed=seed)
    X = whitened_inputs(n_examples, np.eye(width),
                        np.random.default_rng(check_int(seed, "seed") + 1))
    task = {**base, "X": X, "y": X @ ((base["V"] * base["s"]) @ base["U"].T)}
    configs = [{"init": "orthogonal", "depth": d, "seed": s, "task": task,
                "max_epochs": max_epochs, "lr": lr_times_depth / d}
               for d in depths for s in sweep.seeds(seed, n_seeds)]
    _, epochs = _times_to_criterion(configs, (len(depths), n_seeds))
    n_unused = width - len(base["s"])
    u_star = math.sqrt(2.0 * task["target"] / n_unused)
    predicted = np.array([theory.saxe_forget_time(d, u_star, lr_times_depth) for d in depths])
    median = _medians(epochs)
    return {
        "forget_epochs_shallow": float(median[0]), "forget_epochs_deep": float(median[-1]),
        "forget_ratio": float(median[-1] / median[0]),
        "forget_theory_ratio": float(predicted[-1] / predicted[0]),
        "forget_max_rel_err": float(np.max(np.abs(median / predicted - 1.0))),
        "forget_not_reached": int(np.isinf(epochs).sum()),
        "depths": np.array(depths), "epochs": epochs, "median": median, "theory": predicted,
        "setup": {"width": width, "n_unused": n_unused, "n_seeds": n_seeds,
                  "max_epochs": max_epochs},
    }


# ----------------------------------------------------------------------- 3. the staircase


def staircase(*, width: int, hidden: int, n_examples: int, lr: float, a0: float, steps: int,
              seed: int) -> dict:
    """Two-layer linear net ``width -> hidden -> width`` learning the teacher from a small init.

    Teacher and full-rank whitened inputs from ``default_rng(seed)``; ``steps`` full-batch
    steps at ``lr`` (``tau = 1 / lr`` steps) from both inits of :func:`small_init` (aligned at
    ``a0``; random with entry std ``sqrt(2 a0 / hidden)``, so ``E |w1 + w2|^2 / 4 = a0`` too).
    Per init: mode strengths and loss per step, the half times (``first_crossing`` of ``s / 2``)
    against ``theory.saxe_half_time`` from :func:`effective_a0`, and their relative errors.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    teacher = linear_teacher(width, SINGULAR_VALUES, rng)
    X = whitened_inputs(n_examples, np.eye(width), rng)
    y, s, tau = X @ teacher["M"], teacher["s"], 1.0 / lr
    out: dict = {}
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
        t_half = np.array([first_crossing(modes[:, i], s[i] / 2) for i in range(len(s))])
        predicted = np.array([theory.saxe_half_time(s[i], a0_eff[i], tau)
                              for i in range(len(s))])
        out[kind] = {"modes": modes, "loss": np.array(loss), "t_half": t_half,
                     "t_half_theory": predicted, "rel_err": np.abs(t_half / predicted - 1.0),
                     "theory_modes": np.stack([theory.saxe_mode_strength(
                         np.arange(steps + 1), s[i], a0_eff[i], tau) for i in range(len(s))],
                         axis=1),
                     "final_err": float(np.max(np.abs(modes[-1] - s) / s))}
    al, rd = out["aligned"], out["random"]
    return {
        "stair_a0": a0, "stair_steps": steps,
        "t_half_1": float(al["t_half"][0]), "t_half_2": float(al["t_half"][1]),
        "t_half_3": float(al["t_half"][2]),
        "t_half_theory_1": float(al["t_half_theory"][0]),
        "t_half_theory_2": float(al["t_half_theory"][1]),
        "t_half_theory_3": float(al["t_half_theory"][2]),
        "stair_err_aligned": float(al["rel_err"].max()),
        "stair_err_random": float(rd["rel_err"].max()),
        "stair_in_order": bool(np.all(np.diff(rd["t_half"]) > 0)
                               and np.all(np.diff(al["t_half"]) > 0)),
        "stair_final_err": max(al["final_err"], rd["final_err"]),
        "aligned": al, "random": rd, "s": s,
        "setup": {"tau": tau, "lr": lr, "steps": steps, "a0": a0, "hidden": hidden},
    }


# ---------------------------------------------------------------- predict, then run


def exercise_spectrum(*, depth: int, width: int, seed: int, n_nets: int = 20) -> dict:
    """Exercise: the product's spectrum at another depth, mean over ``n_nets`` nets per init.

    Gaussian: ``log10(sigma_1 / sigma_{N/2})`` against Newman's ``D (gamma_1 - gamma_{N/2}) /
    ln 10`` (asymptotic in ``D``); orthogonal: ``log10(sigma_1 / sigma_N)``, 0 up to rounding.
    Nets from ``default_rng(sweep.seeds(seed, 1)[0])``, as :func:`end_to_end_spectra`.
    """
    depth = check_int(depth, "depth", minimum=1)
    n_nets = check_int(n_nets, "n_nets", minimum=1)
    rng = np.random.default_rng(sweep.seeds(seed, 1)[0])
    mid = width // 2 - 1
    gauss = [product_spectrum(depth, width, "lecun_normal", rng) for _ in range(n_nets)]
    orth = [product_spectrum(depth, width, "orthogonal", rng) for _ in range(n_nets)]
    gamma = theory.lyapunov_exponents(width)
    spread = float(np.mean([np.log10(sv[0] / sv[mid]) for sv in gauss]))
    predicted = depth * (gamma[0] - gamma[mid]) / math.log(10.0)
    return {"ex_spec_depth": depth, "ex_spec_n_nets": n_nets, "ex_spec_mid_gauss": spread,
            "ex_spec_mid_theory": float(predicted), "ex_spec_mid_ratio": float(spread / predicted),
            "ex_spec_orth_max": float(max(np.log10(sv[0] / sv[-1]) for sv in orth))}


def exercise_plateau(*, a0: float, width: int, hidden: int, n_examples: int, lr: float,
                     seed: int) -> dict:
    """Exercise: :func:`staircase` from another initial strength ``a0``.

    ``t_half = tau / (2 s) ln(s / a0 - 1)``: dividing ``a0`` by ``k`` adds ``tau ln(k) / (2 s)``
    steps, most for the weakest mode. Runs 1.5 times the weakest mode's predicted half time.
    """
    s_min = min(SINGULAR_VALUES)
    if not 0.0 < a0 < s_min / 2:                # the weakest mode must start below half-way
        raise ValueError(f"`a0` must lie in (0, {s_min / 2}), got {a0!r}")
    steps = math.ceil(1.5 * theory.saxe_half_time(s_min, a0, 1.0 / lr))
    st = staircase(width=width, hidden=hidden, n_examples=n_examples, lr=lr, a0=a0,
                   steps=steps, seed=seed)
    return {"ex_plateau_a0": a0, "ex_plateau_steps": steps,
            "ex_plateau_t_half_1": st["t_half_1"], "ex_plateau_t_half_3": st["t_half_3"],
            "ex_plateau_theory_1": st["t_half_theory_1"],
            "ex_plateau_theory_3": st["t_half_theory_3"],
            "ex_plateau_err": st["stair_err_aligned"]}


__all__ = ["INITS", "LR_FACTORS", "SINGULAR_VALUES", "depth_sweep", "end_to_end_spectra",
           "exercise_plateau", "exercise_spectrum", "forgetting", "lr_check", "plot_depth_sweep",
           "plot_forgetting", "plot_spectra", "plot_staircase", "staircase"]
