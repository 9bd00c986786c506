"""Chapter 17, width and muP: the experiments behind the page.

What: one ReLU MLP ``(64, n, n, 10)`` on the digits, drawn and trained in the standard
parametrization (SP: He init, one learning rate) or in muP (Yang et al. 2022, Tensor Programs
V, Table 3: :mod:`initlab.parametrization`), at widths ``n`` from 64 to a few thousand. The
base width is the narrowest one, where SP and muP are the same network.

1. :func:`coordinate_check`: the RMS change of every layer's pre-activations on a fixed probe
   batch after a few Adam steps, against width. Prediction (Tensor Programs V, Sec. 5):
   under SP the logits move by ``~ lr * n`` (each of ``n`` inputs to an output unit moves its
   weight by ``~ lr`` in a correlated direction), log-log slope 1; under muP every layer's
   change is Theta(1), slope 0.
2. :func:`lr_transfer`: training loss after a fixed number of steps against ``log2(lr)``, one
   curve per width, SP beside muP, Adam and SGD (Tensor Programs V, Figure 1 analogue). The
   optimum per width, refined by a parabola through the best grid point and its neighbours,
   and its shift per doubling of width (slope of ``log2 lr*`` against ``log2 n``):
   SP predicts ``-1`` (the largest useful update is ``lr * n ~ 1``), muP ``0``.
3. Exercises: :func:`exercise_coordinate_check` (the check with SGD) and
   :func:`exercise_transfer` (the narrow net's best lr used on the widest net).

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples. Arithmetic in float32 (twice
as fast as float64 at width 2048; every number recorded here is a loss or a ratio of
activations far above float32's resolution).

Layout: each experiment takes its settings as keyword arguments and returns one dict whose
scalar entries are the numbers the page records (literal keys) and whose other entries are
figure data for :mod:`.figures`; ``data/reference/17_width_mup.json`` checks them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab import datasets, losses, optim, parametrization, stats, sweep, train
from initlab.experiments.width_mup.figures import plot_coordinate_check, plot_lr_transfer

__all__ = ["coordinate_check", "exercise_coordinate_check", "exercise_transfer", "lr_transfer",
           "plot_coordinate_check", "plot_lr_transfer"]

DTYPE = np.float32
LAYERS = ("input", "hidden", "output")  # Z_0 (first hidden), Z_1 (second hidden), logits


def _train_steps(model, opt, X: np.ndarray, y: np.ndarray, *, steps: int, batch_size: int,
                 rng: np.random.Generator) -> bool:
    """``steps`` Adam/SGD steps on batches drawn without replacement per step from ``rng``.

    Returns False if a loss or gradient stopped being finite (the run diverged).
    """
    for _ in range(steps):
        idx = rng.choice(len(X), size=batch_size, replace=False)
        loss, norm, _, _ = train.sgd_step(model, opt, X[idx], y[idx],
                                          losses.softmax_cross_entropy)
        if not (math.isfinite(loss) and math.isfinite(norm)):
            return False
    return True


def _coord_run(config: dict) -> list[float]:
    """One net: RMS of ``Z_l(after) - Z_l(init)`` on the probe batch, per layer."""
    data = datasets.load("digits", np.random.default_rng(config["data_seed"]))
    X, y = data.X_train.astype(DTYPE), data.y_train
    probe = X[:config["n_probe"]]
    rng = np.random.default_rng(config["seed"])
    sizes = (64, config["width"], config["width"], 10)
    model, mult = parametrization.build(config["param"], sizes, rng, dtype=DTYPE,
                                        base_width=config["base_width"],
                                        optimizer=config["optimizer"])
    model.forward(probe)
    before = [Z.copy() for Z in model.Z]
    opt = optim.make(config["optimizer"], model.parameters(), lr=config["lr"], lr_mult=mult)
    _train_steps(model, opt, X, y, steps=config["steps"], batch_size=config["batch_size"],
                 rng=rng)
    model.forward(probe)
    return [float(np.sqrt(np.mean((Z.astype(np.float64) - Z0) ** 2)))
            for Z, Z0 in zip(model.Z, before, strict=True)]


def coordinate_check(*, widths: Sequence[int], steps: int, lr: float, batch_size: int,
                     n_probe: int, n_seeds: int, seed: int, n_jobs: int = 1) -> dict:
    """Per-layer RMS change of the pre-activations after ``steps`` Adam steps, per width.

    SP and muP share seeds, data and learning rate; base width ``widths[0]``. The slope of
    ``log(change)`` against ``log(width)`` per layer (on the mean over seeds) is recorded.
    """
    keys = [(p, w, s) for p in ("sp", "mup") for w in widths for s in sweep.seeds(seed, n_seeds)]
    configs = [{"param": p, "width": w, "seed": s, "data_seed": seed, "steps": steps, "lr": lr,
                "batch_size": batch_size, "n_probe": n_probe, "base_width": widths[0],
                "optimizer": "adam"} for p, w, s in keys]
    runs = dict(zip(keys, sweep.run(_coord_run, configs, n_jobs=n_jobs), strict=True))
    change = {p: np.array([[runs[p, w, s] for w in widths] for s in sweep.seeds(seed, n_seeds)])
              for p in ("sp", "mup")}                        # (n_seeds, n_widths, 3 layers)

    def slope(p: str, layer: int) -> float:
        return stats.log_slope(np.log(widths), change[p][:, :, layer].mean(axis=0))

    return {
        "coord_width_min": int(widths[0]), "coord_width_max": int(widths[-1]),
        "coord_steps": steps, "coord_lr": lr, "coord_n_seeds": n_seeds,
        "coord_sp_input_slope": slope("sp", 0), "coord_sp_hidden_slope": slope("sp", 1),
        "coord_sp_output_slope": slope("sp", 2), "coord_mup_input_slope": slope("mup", 0),
        "coord_mup_hidden_slope": slope("mup", 1), "coord_mup_output_slope": slope("mup", 2),
        "coord_sp_output_slope_theory": 1.0, "coord_mup_slope_theory": 0.0,
        "coord_sp_output_ratio": float(change["sp"][:, -1, 2].mean()
                                       / change["sp"][:, 0, 2].mean()),
        "coord_mup_output_ratio": float(change["mup"][:, -1, 2].mean()
                                        / change["mup"][:, 0, 2].mean()),
        "widths": np.array(widths), "change": change,
    }


def _final_loss(config: dict) -> float:
    """Training loss (whole training set) after ``steps`` steps; ``inf`` if it diverged."""
    data = datasets.load("digits", np.random.default_rng(config["data_seed"]))
    X, y = data.X_train.astype(DTYPE), data.y_train
    rng = np.random.default_rng(config["seed"])
    sizes = (64, config["width"], config["width"], 10)
    model, mult = parametrization.build(config["param"], sizes, rng, dtype=DTYPE,
                                        base_width=config["base_width"],
                                        optimizer=config["optimizer"])
    opt = optim.make(config["optimizer"], model.parameters(), lr=2.0 ** config["log2_lr"],
                     lr_mult=mult)
    with np.errstate(all="ignore"):
        ok = _train_steps(model, opt, X, y, steps=config["steps"],
                          batch_size=config["batch_size"], rng=rng)
        loss = losses.softmax_cross_entropy(model.forward(X, keep=False, check=False), y)[0]
    return float(loss) if ok and math.isfinite(loss) else math.inf


def _optimum(log2_lrs: np.ndarray, loss: np.ndarray) -> tuple[float, bool]:
    """``(log2 lr*, inside)``: vertex of the parabola through the best point and neighbours.

    ``inside`` is False when the best grid point is an end of the grid (then it is returned).
    """
    k = int(np.argmin(loss))
    if k in (0, len(loss) - 1) or not np.isfinite(loss[k - 1:k + 2]).all():
        return float(log2_lrs[k]), False
    a, b, _ = np.polyfit(log2_lrs[k - 1:k + 2], loss[k - 1:k + 2], 2)  # a x^2 + b x + c
    return float(-b / (2 * a)), True


def _by_width(widths: Sequence[int], best: np.ndarray) -> str:
    """``"64: -6.6, 128: -7.9, ..."``: the optimum ``log2 lr*`` per width, for the text."""
    return ", ".join(f"{w}: {b:.1f}" for w, b in zip(widths, best, strict=True))


def lr_transfer(*, widths: Sequence[int], adam_log2_lrs: Sequence[float],
                sgd_log2_lrs: Sequence[float], steps: int, batch_size: int, n_seeds: int,
                seed: int, n_jobs: int = 1, base_width: int | None = None) -> dict:
    """Training loss after ``steps`` steps per (optimizer, SP/muP, width, lr, seed).

    Base width ``widths[0]`` unless given. A run that diverged counts as infinite loss (it is
    counted, never averaged or drawn). Per width the optimum ``log2 lr*`` of the seed-mean
    loss (:func:`_optimum`); the shift per doubling is the least-squares slope of ``log2 lr*``
    against ``log2 width``.
    """
    base = widths[0] if base_width is None else base_width
    grids = {"adam": np.asarray(adam_log2_lrs, float), "sgd": np.asarray(sgd_log2_lrs, float)}
    keys = [(o, p, w, x, s) for o in grids for p in ("sp", "mup") for w in widths
            for x in grids[o] for s in sweep.seeds(seed, n_seeds)]
    configs = [{"optimizer": o, "param": p, "width": w, "log2_lr": float(x), "seed": s,
                "data_seed": seed, "steps": steps, "batch_size": batch_size,
                "base_width": base} for o, p, w, x, s in keys]
    final = dict(zip(keys, sweep.run(_final_loss, configs, n_jobs=n_jobs), strict=True))
    loss, best, inside = {}, {}, []
    for o in grids:
        for p in ("sp", "mup"):
            loss[o, p] = np.array([[[final[o, p, w, x, s] for s in sweep.seeds(seed, n_seeds)]
                                    for x in grids[o]] for w in widths])  # (widths, lrs, seeds)
            found = [_optimum(grids[o], row.mean(axis=1)) for row in loss[o, p]]
            best[o, p] = np.array([b for b, _ in found])
            inside += [ok for _, ok in found]

    def shift(o: str, p: str) -> float:
        return float(np.polyfit(np.log2(widths), best[o, p], 1)[0])

    def lowest(o: str, p: str, column: int) -> float:
        return float(loss[o, p][column].mean(axis=1).min())

    return {
        "lr_width_min": int(widths[0]), "lr_width_max": int(widths[-1]), "lr_steps": steps,
        "lr_batch_size": batch_size, "lr_n_seeds": n_seeds,
        "adam_sp_shift": shift("adam", "sp"), "adam_mup_shift": shift("adam", "mup"),
        "sgd_sp_shift": shift("sgd", "sp"), "sgd_mup_shift": shift("sgd", "mup"),
        "sp_shift_theory": -1.0, "mup_shift_theory": 0.0,
        "adam_sp_opt_narrow": float(best["adam", "sp"][0]),
        "adam_sp_opt_wide": float(best["adam", "sp"][-1]),
        "adam_mup_opt_narrow": float(best["adam", "mup"][0]),
        "adam_mup_opt_wide": float(best["adam", "mup"][-1]),
        "sgd_sp_opt_narrow": float(best["sgd", "sp"][0]),
        "sgd_sp_opt_wide": float(best["sgd", "sp"][-1]),
        "sgd_mup_opt_narrow": float(best["sgd", "mup"][0]),
        "sgd_mup_opt_wide": float(best["sgd", "mup"][-1]),
        "adam_mup_loss_narrow": lowest("adam", "mup", 0),
        "adam_mup_loss_wide": lowest("adam", "mup", -1),
        "sgd_mup_loss_narrow": lowest("sgd", "mup", 0),
        "sgd_mup_loss_wide": lowest("sgd", "mup", -1),
        "adam_sp_opt_by_width": _by_width(widths, best["adam", "sp"]),
        "adam_mup_opt_by_width": _by_width(widths, best["adam", "mup"]),
        "sgd_sp_opt_by_width": _by_width(widths, best["sgd", "sp"]),
        "sgd_mup_opt_by_width": _by_width(widths, best["sgd", "mup"]),
        "lr_n_diverged": int(sum(not math.isfinite(v) for v in final.values())),
        "lr_n_opt_at_edge": int(sum(not ok for ok in inside)),
        "widths": np.array(widths), "grids": grids, "loss": loss, "best": best,
    }


def exercise_coordinate_check(*, optimizer: str, widths: Sequence[int], steps: int, lr: float,
                               batch_size: int, n_probe: int, seed: int, n_jobs: int = 1) -> dict:
    """The coordinate check's output-logit slope with ``optimizer``, one seed, SP and muP.

    With SGD the SP output layer's update is ``lr * h^T dlogits``, so the logits move by
    ``lr * |h|^2 ~ lr * n``: the same slope 1 as Adam's, from a different mechanism.
    """
    keys = [(p, w) for p in ("sp", "mup") for w in widths]
    configs = [{"param": p, "width": w, "seed": seed, "data_seed": seed, "steps": steps,
                "lr": lr, "batch_size": batch_size, "n_probe": n_probe,
                "base_width": widths[0], "optimizer": optimizer} for p, w in keys]
    runs = dict(zip(keys, sweep.run(_coord_run, configs, n_jobs=n_jobs), strict=True))

    def slope(p: str) -> float:
        return stats.log_slope(np.log(widths), [runs[p, w][2] for w in widths])

    return {"ex_coord_optimizer": optimizer, "ex_coord_sp_slope": slope("sp"),
            "ex_coord_mup_slope": slope("mup"), "ex_coord_sp_slope_theory": 1.0}


def exercise_transfer(*, optimizer: str, transfer: dict, steps: int, batch_size: int,
                      seed: int, n_jobs: int = 1) -> dict:
    """Train the widest net at the narrowest net's best ``log2 lr`` (from :func:`lr_transfer`).

    Loss there, SP and muP, against the best loss the sweep found for that width (seed
    ``sweep.seeds(seed, 1)[0]``, the sweep's first). muP predicts the transferred lr is
    (near) the wide net's best; SP predicts it is ``log2(width ratio)`` too large.
    """
    widths, grid = transfer["widths"], transfer["grids"][optimizer]
    lr0 = {p: _optimum(grid, transfer["loss"][optimizer, p][0].mean(axis=1))[0]
           for p in ("sp", "mup")}
    configs = [{"optimizer": optimizer, "param": p, "width": int(widths[-1]),
                "log2_lr": lr0[p], "seed": sweep.seeds(seed, 1)[0], "data_seed": seed,
                "steps": steps, "batch_size": batch_size, "base_width": int(widths[0])}
               for p in ("sp", "mup")]
    sp, mup = sweep.run(_final_loss, configs, n_jobs=n_jobs)
    best = {p: float(transfer["loss"][optimizer, p][-1].mean(axis=1).min()) for p in ("sp", "mup")}
    return {"ex_transfer_optimizer": optimizer, "ex_transfer_width": int(widths[-1]),
            "ex_transfer_sp_diverged": not math.isfinite(sp),
            "ex_transfer_sp_ratio": sp / best["sp"] if math.isfinite(sp) else -1.0,
            "ex_transfer_mup_ratio": mup / best["mup"] if math.isfinite(mup) else -1.0}
