"""Chapter 7, gradient clipping: the experiments behind the page.

What: two settings where one gradient step can be enormous, trained with and without clipping.

1. Pascanu, Mikolov and Bengio (2013), sec. 3 and Fig. 6, in one dimension: the one-unit
   recurrent net of :mod:`.recurrent`, whose loss ``L(w)`` has a cliff with a gradient wall.
   :func:`cliff_landscape` locates the cliff and checks BPTT against finite differences;
   :func:`cliff_descent` runs gradient descent on ``w`` unclipped and clipped
   (``g <- g * c / |g|`` when ``|g| > c``): a showcase start, the success rate over many starts
   and the sensitivity to the threshold ``c``.
2. An MLP on the digits whose weights are too large (He init times ``weight_scale``) trained at a
   large learning rate: :func:`mlp_sweep` trains it (``train.run``) without clipping, with
   ``clip_norm=c`` and with ``clip_value=c`` over a grid of thresholds and seeds;
   :func:`clip_cosines` measures how much each kind of clipping turns the gradient at init.

Why: clipping by the global norm rescales the whole gradient, so its direction is kept (cosine
1 with the raw gradient) and only the step length is bounded by ``lr * c``; clipping by value
clamps each entry and turns the direction. The chapter measures both, and where a threshold is
too small (slow), right, or too large (no protection).

Layout: each experiment takes its settings as keyword arguments (the notebook's settings cell)
and returns one dict whose scalar entries, under literal keys, are the numbers the page
records; its other entries are the data of the figure drawn by :mod:`.figures`.

Shapes: MLP weights are ``(n_in, n_out)``, rows of ``X`` are examples; the recurrent net is
vectorized over starts (``(steps + 1, n_starts)`` trajectories).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from initlab import datasets, initializers, losses, network, optim, sweep, train
from initlab._checks import check_int
from initlab.experiments.gradient_clipping.figures import (
    plot_descent,
    plot_direction,
    plot_landscape,
    plot_mlp_sweep,
    plot_thresholds,
)
from initlab.experiments.gradient_clipping.recurrent import (
    RNN,
    bptt_fd_error,
    descend,
    loss_landscape,
    rnn_loss_grad,
    rnn_states,
    summary,
)

__all__ = ["RNN", "bptt_fd_error", "clip_cosines", "cliff_descent", "cliff_landscape",
           "cosine", "descend", "exercise_lr", "exercise_weight_scale", "large_init",
           "loss_landscape", "mlp_sweep", "plot_descent",
           "plot_direction", "plot_landscape", "plot_mlp_sweep", "plot_thresholds",
           "rnn_loss_grad", "rnn_states", "summarize_kind"]

# ------------------------------------------------------------------ 1. one recurrent unit


def cliff_landscape(*, lr: float, n_fd_points: int, fd_range: tuple[float, float] = (4.0, 10.0)
                    ) -> dict:
    """Where the cliff of ``L(w)`` is, how high its gradient wall, and a check of BPTT.

    ``rnn_gap_over_lr``: the distance from the minimum to the cliff in steps of ``lr``, the
    threshold below which one clipped step cannot cross it. ``rnn_bptt_fd_max_rel_err``:
    :func:`bptt_fd_error` at ``n_fd_points`` in ``fd_range``. ``landscape``: the curves.
    """
    land = loss_landscape()
    return {"landscape": land,
            "rnn_w_star": land["w_star"], "rnn_w_cliff": land["w_cliff"],
            "rnn_gap": land["gap"], "rnn_grad_peak": land["grad_peak"],
            "rnn_loss_low": land["loss_low"], "rnn_gap_over_lr": land["gap"] / lr,
            "rnn_bptt_fd_max_rel_err": bptt_fd_error(np.linspace(*fd_range, n_fd_points))}


def cliff_descent(*, lr: float, steps: int, clip: float, w0: float, n_starts: int,
                  n_thresholds: int, start_range: tuple[float, float] = (6.0, 11.0),
                  threshold_decades: tuple[float, float] = (-1.5, 2.0)) -> dict:
    """Gradient descent on the cliff: one showcase start, then many starts and thresholds.

    Showcase: :func:`descend` from ``w0``, unclipped (``rnn_none_*``) and clipped at ``clip``
    (``rnn_clipped_*``). Starts: ``n_starts`` points of ``start_range``, right of the cliff;
    thresholds: ``n_thresholds`` log-spaced over ``threshold_decades``, plus ``clip``.
    ``rnn_safe_c_min/max``: the range of tested thresholds from which every start converged
    (``None``, so not recorded, if there is none).
    Deterministic (no randomness anywhere).
    """
    land = loss_landscape()
    w_star = land["w_star"]
    showcase = {name: descend([w0], lr, steps, clip=c) for name, c in (("none", None),
                                                                        ("clipped", clip))}
    showcase = {k: {**v, **summary(v, w_star)} for k, v in showcase.items()}
    starts = np.linspace(*start_range, n_starts)
    cs = sorted({*map(float, np.logspace(*threshold_decades, n_thresholds)), float(clip)})
    per = {c: summary(descend(starts, lr, steps, clip=c), w_star) for c in [None, *cs]}
    safe = [c for c in cs if per[c]["converged"].all()]
    none, clipped = ({k: v[0] for k, v in showcase[name].items()} for name in showcase)
    return {"landscape": land, "showcase": showcase, "per": per, "w0": starts,
            "thresholds": np.array(cs), "settings": {"lr": lr, "steps": steps, "clip": clip},
            "rnn_none_final_loss": float(none["final_loss"]),
            "rnn_none_final_w": float(none["final_w"]),
            "rnn_none_max_grad": float(none["max_grad"]),
            "rnn_none_diverged": bool(none["diverged"]), "rnn_none_far": bool(none["far"]),
            "rnn_none_n_throws": int(none["n_throws"]),
            "rnn_none_max_step": float(none["max_step"]),
            "rnn_none_failed": bool(none["far"] or none["diverged"]),
            "rnn_clipped_final_loss": float(clipped["final_loss"]),
            "rnn_clipped_final_w": float(clipped["final_w"]),
            "rnn_clipped_max_grad": float(clipped["max_grad"]),
            "rnn_clipped_diverged": bool(clipped["diverged"]),
            "rnn_clipped_far": bool(clipped["far"]),
            "rnn_clipped_n_throws": int(clipped["n_throws"]),
            "rnn_clipped_max_step": float(clipped["max_step"]),
            "rnn_clipped_clip_frac": float(clipped["clip_frac"]),
            "rnn_n_starts": n_starts,
            "rnn_frac_conv_none": float(per[None]["converged"].mean()),
            "rnn_frac_far_none": float(per[None]["far"].mean()),
            "rnn_n_diverged_none": int(per[None]["diverged"].sum()),
            "rnn_frac_conv_clipped": float(per[float(clip)]["converged"].mean()),
            "rnn_frac_far_clipped": float(per[float(clip)]["far"].mean()),
            "rnn_safe_c_min": min(safe, default=None), "rnn_safe_c_max": max(safe, default=None),
            "rnn_frac_conv_smallest_c": float(per[cs[0]]["converged"].mean()),
            "rnn_frac_conv_largest_c": float(per[cs[-1]]["converged"].mean())}


# ------------------------------------------------------------------------ 2. an MLP


def large_init(weight_scale: float) -> Callable[..., np.ndarray]:
    """He normal times ``weight_scale``: ``std = weight_scale * sqrt(2 / fan_in)``.

    A plain (untruncated) Gaussian, as He et al. (2015) draw it, not Keras's truncated
    ``he_normal``.

    ``Var(w) = weight_scale^2 * 2 / fan_in``, so the forward signal (and the gradient) grows
    by about ``weight_scale`` per ReLU layer.
    """
    return initializers.get("variance_scaling", scale=2.0 * weight_scale**2, mode="fan_in",
                            distribution="normal")


def outcome(run: train.Run) -> dict:
    """What the sweep keeps of one :class:`~initlab.train.Run`: divergence (and its step), the
    final test accuracy (``None`` if diverged), the largest gradient norm, the clipped share."""
    hist = run.history
    return {"diverged": hist.diverged, "diverged_at": hist.diverged_at,
            "test_acc": None if hist.diverged else hist.final_test_acc,
            "max_grad_norm": float(max(hist.grad_norm, default=0.0)),
            "clip_frac": float(np.mean(hist.clipped)) if hist.clipped else 0.0}


def summarize_kind(runs: list[dict]) -> dict:
    """Mean test accuracy of finished runs, fraction diverged, max grad norm, clipped fraction."""
    done = [r["test_acc"] for r in runs if not r["diverged"]]
    return {"test_acc": float(np.mean(done)) if done else 0.0,
            "frac_diverged": float(np.mean([r["diverged"] for r in runs])),
            "max_grad_norm_log10": float(math.log10(max(r["max_grad_norm"] for r in runs))),
            "clip_frac": float(np.mean([r["clip_frac"] for r in runs])),
            "first_diverged_step": min((r["diverged_at"] for r in runs if r["diverged"]),
                                       default=-1)}


def _over_thresholds(runs: dict, kind: str, grid: np.ndarray) -> dict:
    """Mean test accuracy per threshold: the best ``c`` and its accuracy, the accuracy at the
    smallest and largest ``c``, and how many runs diverged at any ``c``."""
    accs = {float(c): summarize_kind(runs[(kind, float(c))])["test_acc"] for c in grid}
    best = max(accs, key=accs.get)
    return {"best_c": best, "best_acc": accs[best], "smallest_c_acc": accs[min(accs)],
            "largest_c_acc": accs[max(accs)],
            "n_diverged_any_c": sum(r["diverged"] for c in accs for r in runs[(kind, c)])}


def mlp_sweep(*, seed: int, sizes: Sequence[int], weight_scale: float, lr: float,
              batch_size: int, epochs: int, n_seeds: int, per_decade: int, clip_norm: float,
              clip_value: float, norm_decades: tuple[int, int] = (-1, 3),
              value_decades: tuple[int, int] = (-3, 1), n_jobs: int = 1) -> dict:
    """Large-weight ReLU MLP on the digits: no clipping, and each threshold of both kinds.

    ``train.run`` with He init times ``weight_scale``; thresholds ``per_decade`` per decade over
    ``norm_decades`` (``clip_norm=c``) and ``value_decades`` (``clip_value=c``), which must hold
    the headline ``clip_norm`` and ``clip_value``. One digits split (from ``seed``), run seeds
    ``sweep.seeds(seed, n_seeds)`` shared by all settings. ``runs[(kind, c)]``: list over seeds
    of :func:`outcome` dicts (``kind`` in ``"none"`` (``c = None``), ``"norm"``, ``"value"``).
    """
    seed = check_int(seed, "seed")
    grid = {kind: np.logspace(lo, hi, (hi - lo) * per_decade + 1) for kind, (lo, hi)
            in (("norm", norm_decades), ("value", value_decades))}
    settings = [("none", None)] + [(k, float(c)) for k, cs in grid.items() for c in cs]
    base = {"sizes": tuple(sizes), "data_seed": seed, "epochs": epochs, "lr": lr,
            "batch_size": batch_size, "activation": "relu",
            "weight_init": large_init(weight_scale)}
    configs = [{**base, "seed": s, "clip_norm": c if k == "norm" else None,
                "clip_value": c if k == "value" else None}
               for k, c in settings for s in sweep.seeds(seed, n_seeds)]
    done = iter(outcome(r) for r in sweep.run(train.run_config, configs, n_jobs=n_jobs,
                                               progress=False))
    runs = {key: [next(done) for _ in range(n_seeds)] for key in settings}
    none, norm, value = (summarize_kind(runs[key]) for key in
                         (("none", None), ("norm", clip_norm), ("value", clip_value)))
    by_c = {kind: _over_thresholds(runs, kind, grid[kind]) for kind in ("norm", "value")}
    return {"runs": runs, "grid": grid,
            "settings": {"weight_scale": weight_scale, "lr": lr, "epochs": epochs,
                         "n_seeds": n_seeds},
            "mlp_epochs": epochs, "mlp_n_seeds": n_seeds,
            "mlp_none_frac_diverged": none["frac_diverged"],
            "mlp_none_max_grad_norm_log10": none["max_grad_norm_log10"],
            "mlp_none_first_diverged_step": none["first_diverged_step"],
            "mlp_norm_test_acc": norm["test_acc"], "mlp_norm_clip_frac": norm["clip_frac"],
            "mlp_norm_frac_diverged": norm["frac_diverged"],
            "mlp_norm_max_grad_norm_log10": norm["max_grad_norm_log10"],
            "mlp_norm_first_diverged_step": norm["first_diverged_step"],
            "mlp_value_test_acc": value["test_acc"], "mlp_value_clip_frac": value["clip_frac"],
            "mlp_value_frac_diverged": value["frac_diverged"],
            "mlp_value_max_grad_norm_log10": value["max_grad_norm_log10"],
            "mlp_value_first_diverged_step": value["first_diverged_step"],
            "mlp_norm_best_c": by_c["norm"]["best_c"],
            "mlp_norm_best_acc": by_c["norm"]["best_acc"],
            "mlp_norm_smallest_c_acc": by_c["norm"]["smallest_c_acc"],
            "mlp_norm_largest_c_acc": by_c["norm"]["largest_c_acc"],
            "mlp_norm_n_diverged_any_c": by_c["norm"]["n_diverged_any_c"],
            "mlp_value_best_c": by_c["value"]["best_c"],
            "mlp_value_best_acc": by_c["value"]["best_acc"],
            "mlp_value_smallest_c_acc": by_c["value"]["smallest_c_acc"],
            "mlp_value_largest_c_acc": by_c["value"]["largest_c_acc"],
            "mlp_value_n_diverged_any_c": by_c["value"]["n_diverged_any_c"]}


def cosine(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    """``<a, b> / (||a|| ||b||)`` of two gradient lists seen as one long vector each."""
    dot = sum(float(np.vdot(x, y)) for x, y in zip(a, b, strict=True))
    return dot / (optim.global_norm(a) * optim.global_norm(b))


def clip_cosines(*, seed: int, sizes: Sequence[int], weight_scale: float, lr: float,
                 clip_value: float, n_thresholds: int,
                 threshold_decades: tuple[float, float] = (-4.0, 2.0)) -> dict:
    """How much clipping turns the full-batch gradient of the large-weight MLP at init.

    ``g``: gradient of the softmax cross-entropy over the digits' training split (split and
    weights from ``default_rng(seed)``). For each of ``n_thresholds`` log-spaced ``c``:
    ``cos(clip_by_value(g, c), g)``, ``cos(clip_by_global_norm(g, c), g)`` and the fraction of
    entries with ``|g_i| > c``. As ``c -> 0``, ``clip_by_value(g, c) -> c sign(g)``, whose
    cosine with ``g`` is ``||g||_1 / (sqrt(n) ||g||_2)`` (``cos_value_limit``).
    """
    data = datasets.load("digits", np.random.default_rng(check_int(seed, "seed")))
    model = network.MLP(sizes, np.random.default_rng(seed), activation="relu",
                        weight_init=large_init(weight_scale))
    _, dout = losses.softmax_cross_entropy(model.forward(data.X_train), data.y_train)
    g = model.backward(dout)
    flat = np.concatenate([x.ravel() for x in g])
    cs = np.logspace(*threshold_decades, n_thresholds)
    cos_value = np.array([cosine(optim.clip_by_value(g, c), g) for c in cs])
    cos_norm = np.array([cosine(optim.clip_by_global_norm(g, c)[0], g) for c in cs])
    frac_clamped = np.array([float(np.mean(np.abs(flat) > c)) for c in cs])
    limit = float(np.abs(flat).sum() / (math.sqrt(flat.size) * np.linalg.norm(flat)))
    grad_norm, param_norm = optim.global_norm(g), optim.global_norm(model.parameters())
    i_value = int(np.argmin(np.abs(cs - clip_value)))   # the threshold nearest the headline
    return {"thresholds": cs, "cos_value": cos_value, "cos_norm": cos_norm,
            "frac_entries_clipped": frac_clamped,
            "norms": {"grad": grad_norm, "max_abs_entry": float(np.abs(flat).max())},
            "cos_grad_norm_init": grad_norm, "cos_param_norm_init": param_norm,
            "cos_step_over_params": lr * grad_norm / param_norm,
            "cos_norm_max_dev": float(np.max(np.abs(cos_norm - 1))),
            "cos_value_headline": float(cos_value[i_value]),
            "cos_value_frac_clamped_headline": float(frac_clamped[i_value]),
            "cos_value_smallest_c": float(cos_value[0]), "cos_value_limit": limit,
            "cos_value_limit_gap": abs(float(cos_value[0]) - limit),
            "cos_value_largest_c": float(cos_value[-1]),
            "cos_max_abs_entry": float(np.abs(flat).max())}


# ------------------------------------------------------------------------------ exercises


def exercise_lr(*, lr: float, clip: float, steps: int, n_starts: int,
                start_range: tuple[float, float] = (6.0, 11.0)) -> dict:
    """Exercise: :func:`cliff_descent`'s many starts at another ``lr``, unclipped and clipped.

    A clipped step is at most ``lr * clip`` long; below the gap between the minimum and the
    cliff no step from the valley can reach the wall. Fractions of the ``n_starts`` starts
    that converge (:func:`summary`), with the step cap and the gap beside them.
    """
    land = loss_landscape()
    starts = np.linspace(*start_range, n_starts)
    conv = {c: float(summary(descend(starts, lr, steps, clip=c), land["w_star"])["converged"]
                     .mean()) for c in (None, clip)}
    return {"ex_lr": float(lr), "ex_lr_step_cap": lr * clip, "ex_lr_gap": land["gap"],
            "ex_lr_c_bound": land["gap"] / lr,                 # clip below this: step < gap
            "ex_lr_frac_conv_none": conv[None], "ex_lr_frac_conv_clipped": conv[clip]}


def exercise_weight_scale(*, weight_scale: float, seed: int, sizes: Sequence[int], lr: float,
                          batch_size: int, epochs: int) -> dict:
    """Exercise: the MLP of :func:`mlp_sweep` with weights He times ``weight_scale``, no clip.

    At init (:func:`clip_cosines`): the full-batch gradient norm and the first step's length
    relative to the parameters, ``lr ||g|| / ||theta||``; then one unclipped run (the sweep's
    first seed): diverged or not, and its final test accuracy (0 if it diverged).
    """
    init = clip_cosines(seed=seed, sizes=sizes, weight_scale=weight_scale, lr=lr,
                        clip_value=1.0, n_thresholds=2)
    run = train.run(tuple(sizes), seed=sweep.seeds(check_int(seed, "seed"), 1)[0],
                    data_seed=seed, epochs=epochs, lr=lr, batch_size=batch_size,
                    activation="relu", weight_init=large_init(weight_scale))
    out = outcome(run)
    return {"ex_scale": float(weight_scale), "ex_scale_grad_norm": init["cos_grad_norm_init"],
            "ex_scale_step_over_params": init["cos_step_over_params"],
            "ex_scale_diverged": bool(out["diverged"]),
            "ex_scale_test_acc": 0.0 if out["diverged"] else float(out["test_acc"])}
