"""Chapter 18, lazy versus rich: the experiments behind the page.

What: two measurements of how the scale at initialization decides whether a network learns
features.

1. :func:`output_scale`: a one-hidden-layer ELU net (``activation``) trained as Chizat, Oyallon
   and Bach's (2019) centered, output-scaled model ``f_alpha = alpha (f - f_0)``
   (:class:`initlab.lazy_scaling.CenteredScaled`) with learning rate ``lr / alpha^2``, full-batch
   gradient descent on the squared loss, on a two-feature parity task (``y = sign(x_1 x_2)``,
   ``x ~ N(0, I_d)``: the label lives in 2 of ``d`` directions, a feature the net must find).
   Per ``alpha``: the relative weight change ``||theta - theta_0|| / ||theta_0||``, the relative
   change of the empirical tangent kernel on a probe set (:mod:`initlab.tangent_kernel`), the test
   accuracy. Prediction: both changes ``~ C / alpha`` once the model is lazy (slope -1 on log-log
   axes), and the accuracy falls to that of kernel regression with the initial tangent kernel.
2. :func:`diagonal_network`: Woodworth et al.'s (2020) diagonal linear network
   ``beta = u * u - v * v``, ``u = v = alpha`` at init (:mod:`initlab.diagonal_linear`), on sparse
   regression with fewer examples than dimensions, ``alpha`` from 1e-3 to 10: the recovery error
   of gradient descent against the l1 (basis pursuit) and min-l2 interpolants and against the
   predicted ``argmin Q_alpha`` interpolant.

Why: "initialization scale" is also a choice of regime; these are the two cleanest settings where
theory says exactly what the scale changes.

Shapes: ``X`` rows are examples; per-seed results are ``(n_seeds, n_alphas)`` arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab import diagonal_linear, network, sweep, tangent_kernel, train
from initlab.lazy_scaling import CenteredScaled

from .figures import plot_diagonal, plot_output_scale  # noqa: F401  (the page's figures)


def parity_task(n: int, n_in: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``X ~ N(0, I_{n_in})``, ``(n, n_in)``, and targets ``y = sign(x_1 x_2)``, ``(n, 1)``."""
    X = rng.standard_normal((n, n_in))
    return X, np.sign(X[:, :1] * X[:, 1:2])


def _one_scale(config: dict) -> dict:
    """Train one ``alpha (f - f_0)`` net; measure weight and kernel change, accuracy."""
    rng = np.random.default_rng(config["seed"])
    X, y = parity_task(config["n_train"], config["n_in"], rng)
    X_test, y_test = parity_task(config["n_test"], config["n_in"], rng)
    probe = X_test[:config["n_probe"]]
    model = CenteredScaled(network.MLP((config["n_in"], config["width"], 1), rng,
                                       activation=config["activation"],
                                       weight_init="he_normal"), config["alpha"])
    K0 = tangent_kernel.kernel(model.model, probe)
    hist = train.train(model, X, y, rng=rng, epochs=config["steps"], batch_size=len(X),
                       lr=config["lr"] * model.lr_scale, loss="mean_squared_error",
                       track_layer_norms=False, progress=False)
    if hist.diverged:
        return {"diverged": True}
    return {"diverged": False, "weight_change": model.relative_weight_change(),
            "kernel_change": tangent_kernel.relative_change(
                tangent_kernel.kernel(model.model, probe), K0),
            "test_acc": float(np.mean(np.sign(model.forward(X_test, keep=False)) == y_test)),
            "train_loss": hist.epoch_loss[-1]}


def _loglog_fit(alphas: np.ndarray, values: np.ndarray) -> tuple[float, float]:
    """Slope of ``ln(value)`` on ``ln(alpha)`` over every seed's points, and its standard error.

    Least squares ``b = sum((x - x_bar) ln v) / sum((x - x_bar)^2)``; SE from the residuals,
    ``sqrt(sum(res^2) / (m - 2) / sum((x - x_bar)^2))`` with ``m >= 3`` points.
    """
    x = np.tile(np.log(alphas), len(values))
    y = np.log(values).ravel()
    if x.size < 3:
        raise ValueError(f"the slope fit needs >= 3 points (alphas x seeds), got {x.size}")
    dx = x - x.mean()
    slope = float(dx @ y / (dx @ dx))
    res = y - y.mean() - slope * dx
    return slope, math.sqrt(float(res @ res) / (x.size - 2) / float(dx @ dx))


def output_scale(*, alphas: Sequence[float], fit_alpha_min: float, n_in: int, width: int,
                 activation: str,
                 n_train: int, n_test: int, n_probe: int, steps: int, lr: float, n_seeds: int,
                 seed: int, n_jobs: int = 1) -> dict:
    """Weight change, tangent-kernel change and test accuracy against the output scale alpha.

    One net per (seed, alpha), seeds ``sweep.seeds(seed, n_seeds)`` (each draws its data, then
    the weights: every alpha sees the same data and the same initial net). ``steps`` full-batch
    steps of ``lr / alpha^2`` each. Slopes: least squares of ``ln(change)`` on ``ln(alpha)`` over
    ``alpha >= fit_alpha_min``, all seeds pooled (theory: -1).
    """
    keys = [(s, a) for s in sweep.seeds(seed, n_seeds) for a in alphas]
    configs = [{"seed": s, "alpha": float(a), "n_in": n_in, "width": width,
                "activation": activation, "n_train": n_train, "n_test": n_test,
                "n_probe": n_probe, "steps": steps, "lr": lr} for s, a in keys]
    runs = sweep.run(_one_scale, configs, n_jobs=n_jobs)
    n_diverged = sum(r["diverged"] for r in runs)
    if n_diverged:
        raise RuntimeError(f"{n_diverged} of {len(runs)} runs diverged: lower `lr` ({lr})")
    shape = (n_seeds, len(alphas))
    table = {k: np.array([r[k] for r in runs]).reshape(shape)
             for k in ("weight_change", "kernel_change", "test_acc", "train_loss")}
    alphas = np.asarray(alphas, dtype=np.float64)
    fit = alphas >= fit_alpha_min
    w_slope, w_se = _loglog_fit(alphas[fit], table["weight_change"][:, fit])
    k_slope, k_se = _loglog_fit(alphas[fit], table["kernel_change"][:, fit])
    acc = table["test_acc"].mean(axis=0)
    return {
        "scale_alpha_min": float(alphas[0]), "scale_alpha_max": float(alphas[-1]),
        "scale_fit_alpha_min": float(fit_alpha_min), "scale_n_seeds": n_seeds,
        "scale_steps": steps, "scale_n_in": n_in, "scale_width": width,
        "weight_slope": w_slope, "weight_slope_se": w_se,
        "kernel_slope": k_slope, "kernel_slope_se": k_se, "slope_theory": -1.0,
        "weight_change_small": float(table["weight_change"][:, 0].mean()),
        "weight_change_large": float(table["weight_change"][:, -1].mean()),
        "kernel_change_small": float(table["kernel_change"][:, 0].mean()),
        "kernel_change_large": float(table["kernel_change"][:, -1].mean()),
        "acc_rich": float(acc[0]), "acc_lazy": float(acc[-1]),
        "acc_lost": float(acc[0] - acc[-1]),
        "loss_rich": float(table["train_loss"][:, 0].mean()),
        "loss_lazy": float(table["train_loss"][:, -1].mean()),
        "alphas": alphas, **table,
    }


def sparse_problem(n_train: int, dim: int, sparsity: int, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``X ~ N(0, 1)`` ``(n_train, dim)``; ``beta*``: ``sparsity`` entries +-1; ``y = X beta*``."""
    X = rng.standard_normal((n_train, dim))
    beta = np.zeros(dim)
    beta[rng.choice(dim, sparsity, replace=False)] = rng.choice([-1.0, 1.0], sparsity)
    return X, X @ beta, beta


def _one_problem(config: dict) -> dict:
    """Gradient descent at every alpha, Woodworth et al.'s prediction, l1 and l2 interpolants."""
    X, y, beta = sparse_problem(config["n_train"], config["dim"], config["sparsity"],
                                np.random.default_rng(config["seed"]))
    alphas = np.asarray(config["alphas"])
    gd = diagonal_linear.gradient_descent(X, y, alphas, diagonal_linear.stable_lr(X, alphas),
                                          max_steps=config["max_steps"])
    grid = np.asarray(config["grid"])
    pred = np.stack([diagonal_linear.implicit_bias_solution(X, y, a) for a in grid], axis=1)

    def err(b: np.ndarray) -> np.ndarray:
        return np.linalg.norm(b - beta[:, None], axis=0) / np.linalg.norm(beta)

    at = [int(np.argmin(np.abs(np.log(grid / a)))) for a in alphas]  # alphas lie on the grid
    gap = np.linalg.norm(gd["beta"] - pred[:, at], axis=0) / np.linalg.norm(pred[:, at], axis=0)
    return {"gd_error": err(gd["beta"]), "pred_error": err(pred), "gap": gap,
            "residual": gd["max_residual"],
            "l1_error": float(err(diagonal_linear.basis_pursuit(X, y)[:, None])[0]),
            "l2_error": float(err(diagonal_linear.min_norm(X, y)[:, None])[0])}


def _crossing(alphas: np.ndarray, error: np.ndarray, level: float) -> float:
    """First ``alpha`` at which ``error`` (increasing in alpha) reaches ``level``, log-linear."""
    above = np.flatnonzero(error >= level)
    if above.size == 0 or above[0] == 0:
        raise ValueError(f"the error never crosses {level:.3g} inside the alpha range")
    i = above[0]
    t = (level - error[i - 1]) / (error[i] - error[i - 1])
    return float(np.exp(np.log(alphas[i - 1]) + t * np.log(alphas[i] / alphas[i - 1])))


def diagonal_network(*, alphas: Sequence[float], grid_per_decade: int, n_train: int, dim: int,
                     sparsity: int, max_steps: int, n_seeds: int, seed: int,
                     n_jobs: int = 1) -> dict:
    """Recovery error ``||beta - beta*|| / ||beta*||`` of gradient descent against alpha.

    One sparse problem per seed (``sweep.seeds(seed, n_seeds)``): gradient descent from
    ``u = v = alpha`` at every ``alpha`` (``max_steps`` steps at most, step
    ``diagonal_linear.stable_lr``), Woodworth et al.'s predicted interpolant on a grid of
    ``grid_per_decade`` points per decade, basis pursuit (l1) and min-l2. The transition:
    the ``alpha`` where the predicted (and the measured) mean error reaches half the min-l2
    interpolant's.
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    lo, hi = np.log10(alphas[0]), np.log10(alphas[-1])
    grid = np.unique(np.concatenate([alphas, np.logspace(
        lo, hi, int(round((hi - lo) * grid_per_decade)) + 1)]))
    configs = [{"seed": s, "alphas": alphas, "grid": grid, "n_train": n_train, "dim": dim,
                "sparsity": sparsity, "max_steps": max_steps}
               for s in sweep.seeds(seed, n_seeds)]
    runs = sweep.run(_one_problem, configs, n_jobs=n_jobs)
    gd = np.stack([r["gd_error"] for r in runs])                   # (n_seeds, n_alphas)
    pred = np.stack([r["pred_error"] for r in runs])               # (n_seeds, n_grid)
    l1 = np.array([r["l1_error"] for r in runs])
    l2 = np.array([r["l2_error"] for r in runs])
    half = 0.5 * float(l2.mean())
    transition_pred = _crossing(grid, pred.mean(axis=0), half)
    transition_gd = _crossing(alphas, gd.mean(axis=0), half)
    return {
        "dln_alpha_min": float(alphas[0]), "dln_alpha_max": float(alphas[-1]),
        "dln_n_train": n_train, "dln_dim": dim, "dln_sparsity": sparsity,
        "dln_n_seeds": n_seeds, "dln_max_steps": max_steps,
        "dln_error_small": float(gd[:, 0].mean()), "dln_error_large": float(gd[:, -1].mean()),
        "dln_pred_error_small": float(pred[:, 0].mean()),
        "dln_pred_error_large": float(pred[:, -1].mean()),
        "dln_l1_error": float(l1.mean()), "dln_l2_error": float(l2.mean()),
        "dln_max_gap": float(max(r["gap"].max() for r in runs)),
        "dln_max_residual": float(max(r["residual"].max() for r in runs)),
        "dln_small_over_l2": float(gd[:, 0].mean() / l2.mean()),
        "dln_large_over_l2": float(gd[:, -1].mean() / l2.mean()),
        "dln_transition_pred": transition_pred, "dln_transition_gd": transition_gd,
        "dln_transition_ratio": transition_gd / transition_pred,
        "alphas": alphas, "grid": grid, "gd_error": gd, "pred_error": pred, "l1": l1, "l2": l2,
    }


# ------------------------------------------------------------------------------ exercises


def exercise_alpha(*, alpha: float, reference: dict, n_in: int, width: int, activation: str,
                   n_train: int, n_test: int, n_probe: int, steps: int, lr: float,
                   seed: int) -> dict:
    """One more output scale: weight change measured against ``C / alpha`` extrapolated from
    the largest alpha of :func:`output_scale` (``reference``, same settings, first seed)."""
    config = {"seed": sweep.seeds(seed, 1)[0], "alpha": float(alpha), "n_in": n_in,
              "width": width, "activation": activation, "n_train": n_train, "n_test": n_test,
              "n_probe": n_probe, "steps": steps, "lr": lr}
    run = _one_scale(config)
    if run["diverged"]:
        raise RuntimeError(f"the run at alpha={alpha} diverged: lower `lr` ({lr})")
    a_ref = float(reference["alphas"][-1])
    return {"ex_alpha": float(alpha), "ex_alpha_weight_change": run["weight_change"],
            "ex_alpha_weight_change_theory":
                float(reference["weight_change"][0, -1]) * a_ref / float(alpha),
            "ex_alpha_test_acc": run["test_acc"]}


def exercise_measurements(*, n_train: int, alpha: float, dim: int, sparsity: int,
                          max_steps: int, seed: int) -> dict:
    """Fewer (or more) measurements: recovery error at one small alpha, with the l1 and min-l2
    interpolants of the same problem (one seed)."""
    config = {"seed": sweep.seeds(seed, 1)[0], "alphas": np.array([float(alpha)]),
              "grid": np.array([float(alpha)]), "n_train": n_train, "dim": dim,
              "sparsity": sparsity, "max_steps": max_steps}
    run = _one_problem(config)
    return {"ex_meas_n_train": n_train, "ex_meas_alpha": float(alpha),
            "ex_meas_gd_error": float(run["gd_error"][0]),
            "ex_meas_pred_error": float(run["pred_error"][0]),
            "ex_meas_l1_error": run["l1_error"], "ex_meas_l2_error": run["l2_error"]}
