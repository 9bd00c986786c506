"""Chapter 14, dynamical isometry: the singular values of a deep network's input-output Jacobian.

What: for ``h_l = phi(h_{l-1} @ W_l + b_l)`` the Jacobian of the output with respect to the
input is ``J = D_L W_L^T ... D_1 W_1^T`` with ``D_l = diag(phi'(z_l))``. Its squared singular
values ``lambda`` (the eigenvalues of ``J J^T``) say how the network stretches each direction of
an input perturbation, and, transposed, each direction of the gradient on the way back.
Pennington, Schoenholz and Ganguli (2017) computed their distribution for wide random nets
with free probability (``theory.critical_point``, ``theory.jacobian_spread``): with
``mu_k = sigma_w2^k E[phi'(sqrt(q*) z)^(2k)]`` and ``s_1`` the first S-transform
coefficient of ``W W^T`` (``-1`` Gaussian, ``0`` orthogonal), at criticality ``chi_1 = mu_1 = 1``:

    mean(lambda) = chi_1^L = 1,        Var(lambda) = L (mu_2 / mu_1^2 - 1 - s_1).

1. :func:`critical_points`: tanh at a small bias variance and ReLU at He's point, the
   per-layer spread of each and the prediction for orthogonal tanh at depth 100.
2. :func:`jacobian_spectra`: singular values of random critical nets, 4 configurations
   (tanh / ReLU x orthogonal / Gaussian) over depth, per-net ``Var(lambda) / mean(lambda)^2``
   and ``mean(lambda)`` against the prediction.
3. :func:`qstar_sweep`: orthogonal tanh at one depth over the bias variance, i.e. over ``q*``:
   why Pennington et al. choose ``q*`` small.
4. :func:`train_comparison`: deep critical tanh nets trained on the digits (``train.run``),
   orthogonal versus Gaussian weights.

Why: criticality fixes the mean of the Jacobian spectrum; whether training is fast depends on
its spread too, which the weight distribution and the nonlinearity set.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are inputs; a Jacobian is ``(n_out, n_in)``.

Layout: the notebook's settings cell holds every width, depth, count and training setting;
each experiment takes them as keyword arguments and returns one dict whose scalar entries are
the numbers the page records (literal keys, ``results.record_all``) and whose other entries are
figure data for :mod:`.figures`; ``data/reference/14_dynamical_isometry.json`` checks them.
The ``exercise_*`` functions are the page's "predict, then run" cells (keys prefixed ``ex_``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from initlab import diagnostics, stats, sweep, theory, train
from initlab._checks import check_int
from initlab.experiments.dynamical_isometry.figures import (
    plot_qstar,
    plot_spectra,
    plot_spread,
    plot_training,
)
from initlab.experiments.dynamical_isometry.nets import (
    CONFIGS,
    bias_init,
    fixed_point_inputs,
    random_net,
    spectrum_stats,
    weight_init,
)

#: ``q*`` up to which :func:`qstar_sweep` compares the measured spread with the prediction
#: (beyond it the spread per layer is large and one net's estimate unreliable).
Q_STAR_SMALL = 0.15


def critical_points(*, sigma_b2: float, depth: int = 100) -> dict:
    """``theory.critical_point`` of tanh at ``sigma_b2`` and of ReLU without bias.

    Recorded: tanh's ``sigma_w2``, ``q*``, ``chi_1 = mu_1``, the per-layer spread
    ``mu_2 / mu_1^2 - 1`` of both, and ``jacobian_spread`` of orthogonal tanh at ``depth``
    (the page's 100, the deepest net of :func:`jacobian_spectra`).
    """
    tanh, relu = theory.critical_point("tanh", sigma_b2), theory.critical_point("relu")
    return {
        "sigma_b2_tanh": tanh["sigma_b2"], "sigma_w2_tanh": tanh["sigma_w2"],
        "q_star_tanh": tanh["q_star"], "chi_1_tanh": tanh["mu_1"],
        "tanh_per_layer": tanh["mu_2"] / tanh["mu_1"] ** 2 - 1,
        "relu_per_layer": relu["mu_2"] / relu["mu_1"] ** 2 - 1,
        "pred_tanh_orth_100": theory.jacobian_spread(depth, tanh["mu_1"], tanh["mu_2"],
                                                     "orthogonal"),
        "points": {"tanh": tanh, "relu": relu},
    }


def jacobian_spectra(*, width: int, depths: Sequence[int], n_nets: int, sigma_b2: float,
                     hist_depths: Sequence[int], seed: int) -> dict:
    """Jacobian singular values of ``n_nets`` random critical nets per configuration and depth.

    For each of :data:`CONFIGS`, depth and net: a :func:`random_net` of width ``width`` at the
    critical point (tanh at ``sigma_b2``, ReLU at He's), one input at ``q*``, all from
    ``default_rng(seed)`` in that order (``diagnostics.jacobian_singular_values``). Per
    configuration: ``spread`` and ``mean_lam`` ``(n_depths, n_nets)`` (:func:`spectrum_stats`),
    the pooled singular values ``sv[depth]`` for ``hist_depths``, and the predictions ``pred``
    (infinite width) and, Gaussian only, ``pred_finite`` (width ``N``). Recorded:
    :func:`spectra_summary`.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    points = {"tanh": theory.critical_point("tanh", sigma_b2),
              "relu": theory.critical_point("relu")}
    per_config = {}
    for act, init in CONFIGS:
        pt = points[act]
        spread, mean_lam = np.empty((len(depths), n_nets)), np.empty((len(depths), n_nets))
        sv = {}
        for i, depth in enumerate(depths):
            pooled = []
            for j in range(n_nets):
                net = random_net(pt, init, depth, width, rng)
                s = diagnostics.jacobian_singular_values(net, fixed_point_inputs(1, width, pt, rng))
                mean_lam[i, j], spread[i, j] = spectrum_stats(s)
                pooled.append(s)
            if depth in hist_depths:
                sv[depth] = np.concatenate(pooled)
        d = np.array(depths)
        per_config[act, init] = {
            "spread": spread, "mean_lam": mean_lam, "sv": sv,
            "pred": theory.jacobian_spread(d, pt["mu_1"], pt["mu_2"], init),
            "pred_finite": theory.jacobian_spread(d, pt["mu_1"], pt["mu_2"], init, width)
            if init == "gaussian" else None}
    return {"width": width, "n_nets": n_nets, "depth_max": int(depths[-1]),
            "depth_min": int(depths[0]), **spectra_summary(per_config),
            "depths": np.array(depths), "configs": per_config, "setup": {"seed": seed}}


def spectra_summary(per_config: dict) -> dict[str, float]:
    """The recorded numbers of :func:`jacobian_spectra`, at the shallowest and deepest depth.

    Per configuration: the spread (mean over nets) at both ends and the prediction at the
    deepest depth; the Gaussian tanh growth (deep / shallow); the orthogonal tanh relative error
    ``|measured / predicted - 1|`` at the deepest depth; measured / infinite-width prediction at
    the shallowest depth, min and max over the configurations; ``mean(lambda)`` (mean over
    nets) of orthogonal tanh at the deepest depth and its min and max at the shallowest.
    """
    spread = {c: r["spread"].mean(axis=1) for c, r in per_config.items()}
    pred = {c: r["pred"] for c, r in per_config.items()}
    ratios = [spread[c][0] / pred[c][0] for c in CONFIGS]
    shallow_means = [per_config[c]["mean_lam"][0].mean() for c in CONFIGS]
    to, tg = ("tanh", "orthogonal"), ("tanh", "gaussian")
    ro, rg = ("relu", "orthogonal"), ("relu", "gaussian")
    return {
        "spread_tanh_orth_deep": float(spread[to][-1]),
        "spread_tanh_orth_shallow": float(spread[to][0]),
        "spread_tanh_gauss_deep": float(spread[tg][-1]),
        "spread_tanh_gauss_shallow": float(spread[tg][0]),
        "spread_relu_orth_deep": float(spread[ro][-1]),
        "spread_relu_orth_shallow": float(spread[ro][0]),
        "spread_relu_gauss_deep": float(spread[rg][-1]),
        "spread_relu_gauss_shallow": float(spread[rg][0]),
        "pred_tanh_orth_deep": float(pred[to][-1]), "pred_tanh_gauss_deep": float(pred[tg][-1]),
        "pred_relu_orth_deep": float(pred[ro][-1]), "pred_relu_gauss_deep": float(pred[rg][-1]),
        "spread_tanh_gauss_growth": float(per_config[tg]["spread"][-1].mean()
                                          / per_config[tg]["spread"][0].mean()),
        "spread_tanh_orth_rel_err": float(abs(float(spread[to][-1]) / float(pred[to][-1])
                                              - 1.0)),
        "shallow_pred_ratio_min": float(min(ratios)),
        "shallow_pred_ratio_max": float(max(ratios)),
        "mean_lam_tanh_orth_deep": float(per_config[to]["mean_lam"][-1].mean()),
        "mean_lam_shallow_min": float(min(shallow_means)),
        "mean_lam_shallow_max": float(max(shallow_means)),
    }


def qstar_sweep(*, depth: int, width: int, n_nets: int, sigma_b2s: Sequence[float],
                sigma_b2: float, seed: int) -> dict:
    """Orthogonal tanh at ``depth``: measured and predicted spread over ``sigma_b2s`` (so ``q*``).

    Each bias variance at its critical ``sigma_w2``; ``n_nets`` nets of width ``width`` each,
    all from ``default_rng(seed)``. Figure data: ``q_star``, ``spread`` (mean over nets) and
    ``pred = depth (mu_2 / mu_1^2 - 1)`` per bias variance. Recorded: the largest
    ``|spread / pred - 1|`` over ``q* <= Q_STAR_SMALL``, and ``q*``, spread and prediction at the
    last (largest) bias variance. ``sigma_b2``: the chapter's value, marked in the figure.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    q, spread, pred = [], [], []
    for b2 in sigma_b2s:
        pt = theory.critical_point("tanh", b2)
        vals = []
        for _ in range(n_nets):
            net = random_net(pt, "orthogonal", depth, width, rng)
            s = diagnostics.jacobian_singular_values(net, fixed_point_inputs(1, width, pt, rng))
            vals.append(spectrum_stats(s)[1])
        q.append(pt["q_star"])
        spread.append(float(np.mean(vals)))
        pred.append(theory.jacobian_spread(depth, pt["mu_1"], pt["mu_2"], "orthogonal"))
    q, spread, pred = np.array(q), np.array(spread), np.array(pred)
    small = q <= Q_STAR_SMALL
    return {
        "qstar_rel_err_small": float(np.max(np.abs(spread[small] / pred[small] - 1.0))),
        "qstar_large": float(q[-1]), "qstar_spread_large": float(spread[-1]),
        "qstar_pred_large": float(pred[-1]),
        "sigma_b2": np.array(sigma_b2s), "q_star": q, "spread": spread, "pred": pred,
        "setup": {"depth": depth, "width": width, "n_nets": n_nets, "sigma_b2": sigma_b2},
    }


def train_comparison(*, width: int, n_hidden: int, sigma_b2: float, epochs: int, n_seeds: int,
                     lr: float, batch_size: int, k: int, target_acc: float, seed: int,
                     n_jobs: int = 1) -> dict:
    """Train accuracy per epoch of a ``(64, width x n_hidden, 10)`` critical tanh net, digits.

    ``train.run`` per init (orthogonal, Gaussian) and run seed ``sweep.seeds(seed, n_seeds)``
    (shared by the inits), one digits split from ``seed``, plain SGD; weights from
    :func:`weight_init` and ``N(0, sigma_b2)`` biases at tanh's critical ``sigma_w2``. Figure
    data: ``train_acc[init]``, ``test_acc[init]`` ``(n_finished, epochs + 1)`` (column 0 = at
    init). Recorded: the run counts and :func:`training_summary`.
    """
    sigma_w2 = theory.critical_point("tanh", sigma_b2)["sigma_w2"]
    sizes = (64,) + (width,) * n_hidden + (10,)
    inits = ("orthogonal", "gaussian")
    configs = [{"sizes": sizes, "seed": s, "data_seed": seed, "epochs": epochs, "lr": lr,
                "batch_size": batch_size, "activation": "tanh",
                "weight_init": weight_init(init, sigma_w2), "bias_init": bias_init(sigma_b2)}
               for init in inits for s in sweep.seeds(seed, n_seeds)]
    runs = sweep.run(train.run_config, configs, n_jobs=n_jobs, progress=False)
    by_init = {init: runs[i * n_seeds:(i + 1) * n_seeds] for i, init in enumerate(inits)}
    train_acc = {init: train.curves(r, "train_acc") for init, r in by_init.items()}
    test_acc = {init: train.curves(r, "test_acc") for init, r in by_init.items()}
    return {"train_n_seeds": n_seeds, "train_epochs": epochs,
            "train_n_diverged": sum(r.diverged for r in runs),
            **training_summary(train_acc, test_acc, k=k, target_acc=target_acc),
            "epochs": np.arange(epochs + 1), "train_acc": train_acc, "test_acc": test_acc,
            "setup": {"width": width, "n_hidden": n_hidden, "lr": lr, "n_seeds": n_seeds}}


def training_summary(train_acc: dict, test_acc: dict, *, k: int,
                     target_acc: float) -> dict[str, float]:
    """The recorded numbers of :func:`train_comparison`, from curves ``(n_runs, epochs + 1)``.

    Mean train accuracy after ``k`` epochs per init and the orthogonal minus Gaussian gap; the
    first epoch with train accuracy ``>= target_acc`` per run (``stats.first_reach``, ``inf`` if
    never): its mean over the orthogonal runs (all must reach it, else ValueError: a mean is
    never taken over censored runs), the fraction of Gaussian runs that had reached it by the
    epoch the slowest orthogonal run did, and the fraction that reached it at all
    (``stats.reach_summary``); the mean final test accuracy per init.
    """
    orth, gauss = train_acc["orthogonal"], train_acc["gaussian"]
    k = check_int(k, "k", minimum=1)
    if k >= orth.shape[1]:
        raise ValueError(f"k={k} is beyond the {orth.shape[1] - 1} epochs trained")
    hit_orth = np.array([stats.first_reach(a, target_acc) for a in orth])
    hit_gauss = np.array([stats.first_reach(a, target_acc) for a in gauss])
    if not np.all(np.isfinite(hit_orth)):
        raise ValueError(f"an orthogonal run never reached train accuracy {target_acc}: "
                         f"first epochs {hit_orth.tolist()}")
    gauss_reach = stats.reach_summary(hit_gauss)
    return {
        "train_acc_orth_k": float(orth[:, k].mean()),
        "train_acc_gauss_k": float(gauss[:, k].mean()),
        "train_gap_k": float(orth[:, k].mean() - gauss[:, k].mean()),
        "epochs_to_crit_orth": float(hit_orth.mean()),
        "gauss_crit_by_orth_frac": float(np.mean(hit_gauss <= hit_orth.max())),
        "gauss_crit_frac": gauss_reach["n_reached"] / gauss_reach["n_runs"],
        "test_acc_orth_final": float(test_acc["orthogonal"][:, -1].mean()),
        "test_acc_gauss_final": float(test_acc["gaussian"][:, -1].mean()),
    }


# ------------------------------------------------------------------ predict, then run


def exercise_deeper(*, depth: int, width: int, n_nets: int, sigma_b2: float, seed: int) -> dict:
    """Exercise: orthogonal tanh at ``depth`` (:func:`qstar_sweep` at the chapter's ``sigma_b2``).

    The spread ``L (mu_2 / mu_1^2 - 1)`` grows linearly even for orthogonal weights; it reaches
    1 at ``L = 1 / (mu_2 / mu_1^2 - 1)``.
    """
    out = qstar_sweep(depth=check_int(depth, "depth", minimum=1), width=width, n_nets=n_nets,
                      sigma_b2s=[sigma_b2], sigma_b2=sigma_b2, seed=seed)
    pt = theory.critical_point("tanh", sigma_b2)
    return {"ex_deep_depth": depth, "ex_deep_spread": float(out["spread"][0]),
            "ex_deep_pred": float(out["pred"][0]),
            "ex_deep_depth_at_one": 1.0 / (pt["mu_2"] / pt["mu_1"] ** 2 - 1.0)}


def exercise_off_critical(*, factor: float, depth: int, width: int, n_nets: int,
                          sigma_b2: float, seed: int) -> dict:
    """Exercise: orthogonal tanh nets with ``sigma_w2 = factor`` times the critical value.

    The fixed point moves (``theory.fixed_point_q``), and with it ``chi_1 = sigma_w2
    E[tanh'(sqrt(q*) z)^2]`` (``theory.chi_1``): ``mean(lambda) = chi_1^L``, not ``factor^L``.
    Nets from ``default_rng(seed)``, one input at the new ``q*`` each.
    """
    if not factor > 0:
        raise ValueError(f"`factor` must be positive, got {factor!r}")
    crit = theory.critical_point("tanh", sigma_b2)
    sigma_w2 = factor * crit["sigma_w2"]
    pt = {**crit, "sigma_w2": sigma_w2, "q_star": theory.fixed_point_q(sigma_w2, sigma_b2, "tanh")}
    chi = theory.chi_1(sigma_w2, sigma_b2, "tanh")
    rng = np.random.default_rng(check_int(seed, "seed"))
    stats_ = [spectrum_stats(diagnostics.jacobian_singular_values(
        random_net(pt, "orthogonal", depth, width, rng), fixed_point_inputs(1, width, pt, rng)))
        for _ in range(check_int(n_nets, "n_nets", minimum=1))]
    return {"ex_off_factor": float(factor), "ex_off_depth": depth,
            "ex_off_q_star": float(pt["q_star"]), "ex_off_chi_1": float(chi),
            "ex_off_naive": float(factor) ** depth, "ex_off_pred_mean": float(chi**depth),
            "ex_off_mean_lam": float(np.mean([m for m, _ in stats_])),
            "ex_off_spread": float(np.mean([v for _, v in stats_]))}


__all__ = ["CONFIGS", "Q_STAR_SMALL", "critical_points", "exercise_deeper",
           "exercise_off_critical", "jacobian_spectra", "plot_qstar",
           "plot_spectra", "plot_spread", "plot_training", "qstar_sweep", "spectra_summary",
           "train_comparison", "training_summary"]
