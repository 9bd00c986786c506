"""Chapter 15, residual networks: the stream's variance and gradient through depth, and training.

What: residual MLPs ``x <- x + alpha F(x)`` (:class:`initlab.residual.ResidualMLP`) with a
two-layer ReLU branch, at init and after training on the digits, for the recipes of
:mod:`initlab.residual_init` and for pre-/post-LayerNorm.

Prediction: branch and skip are uncorrelated at init, so second moments add. With a branch of
own gain ``g`` (He then LeCun: ``g = 1``; He on both: ``g = 2``):

- unscaled (``alpha = 1``): ``q_l = q_0 (1 + g)^l``, ``2^l`` (and ``3^l``, which overflows
  float64 near ``l = ln(1.8e308 / q_0) / ln 3 ~ 646``: recorded as overflowed, never as a number);
- ``alpha = 1/sqrt(L)`` (GPT-2's ``1/sqrt(2N)``): ``q_l = q_0 (1 + g/L)^l``, ``q_L -> q_0 e^g``;
- Fixup, ReZero, SkipInit: every branch outputs 0, ``q_l = q_0`` exactly (identity at init);
- pre-LN: each branch sees a unit-variance input and adds ``g``: ``q_l = q_0 + g l``;
- post-LN: ``q_l = 1`` after every block.

Backward, for a gradient ``G`` arriving at the top: ``E|dx_l|^2`` is multiplied by the same
``1 + alpha^2 g`` per block going down (unscaled: ``2^(L-l)``), stays ``|G|^2`` for the
identity inits, grows like ``q_L / q_l`` in pre-LN and shrinks by ``1 - 2/n`` per block in
post-LN (each LayerNorm projects out the mean and the stream's own direction: 2 of ``n``
dimensions, to first order; the repeated projections overlap, so the measured decay is
slower). Xiong et al. 2020: post-LN's weight gradients are largest near the output,
independent of ``L``; pre-LN's shrink like ``1/sqrt(L)`` there.

Shapes: digits rows ``(batch, 64)``, stream width ``width``, ``L = n_blocks``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab import datasets, residual_init, stats, sweep, train
from initlab.experiments.residual_networks.figures import (
    plot_forward_variance,
    plot_gradients,
    plot_training,
)
from initlab.residual import ResidualMLP

#: The variants, as ``ResidualMLP`` keyword arguments for ``L`` blocks.
VARIANTS = {
    "plain": lambda L: residual_init.plain(),
    "plain_he": lambda L: residual_init.plain(he_last=True),
    "scaled": lambda L: residual_init.scaled(L),
    "fixup": lambda L: residual_init.fixup(L),
    "rezero": lambda L: residual_init.rezero(),
    "skipinit": lambda L: residual_init.skipinit(),
    "pre_ln": lambda L: {**residual_init.plain(), "norm": "pre"},
    "post_ln": lambda L: {**residual_init.plain(), "norm": "post"},
}
#: The six variants of the gradient and training sections.
SIX = ("plain", "scaled", "fixup", "rezero", "pre_ln", "post_ln")
FLOAT64_MAX = float(np.finfo(np.float64).max)


def build(variant: str, n_blocks: int, width: int, rng: np.random.Generator, n_in: int = 64,
          n_out: int = 10, **overrides) -> ResidualMLP:
    """``ResidualMLP(n_in, width, n_out, n_blocks, rng, **VARIANTS[variant](n_blocks))``."""
    return ResidualMLP(n_in, width, n_out, n_blocks, rng,
                       **{**VARIANTS[variant](n_blocks), **overrides})


def digits_batch(batch: int, seed: int) -> np.ndarray:
    """The first ``batch`` training digits of the split drawn from ``seed``, ``(batch, 64)``."""
    return datasets.load("digits", np.random.default_rng(seed)).X_train[:batch]


def _second_moments(config: dict) -> np.ndarray:
    """One net's ``q_l`` (``(L + 1,)``, ``inf`` past an overflow), for :func:`sweep.run`."""
    model = build(config["variant"], config["n_blocks"], config["width"],
                  np.random.default_rng(config["seed"]))
    return model.stream_second_moments(digits_batch(config["batch"], config["data_seed"]))


def forward_variance(*, n_blocks: int, width: int, batch: int, n_seeds: int, seed: int,
                     n_jobs: int = 1) -> dict:
    """``q_l / q_0`` block by block at init for every variant, ``n_seeds`` nets each.

    The same digits batch for every net; the prediction per variant uses the measured ``q_0``
    of that net. Overflowed entries (``inf``) are counted and cut, never averaged.
    """
    keys = [(v, s) for v in VARIANTS for s in sweep.seeds(seed, n_seeds)]
    configs = [{"variant": v, "n_blocks": n_blocks, "width": width, "batch": batch,
                "seed": s, "data_seed": seed} for v, s in keys]
    q = dict(zip(keys, sweep.run(_second_moments, configs, n_jobs=n_jobs), strict=True))
    q = {v: np.array([q[v, s] for s in sweep.seeds(seed, n_seeds)]) for v in VARIANTS}
    L, blocks = n_blocks, np.arange(n_blocks + 1)
    ratio = {v: q[v] / q[v][:, :1] for v in VARIANTS}           # q_l / q_0, inf past overflow
    q0 = float(q["pre_ln"][:, 0].mean())
    with np.errstate(over="ignore"):  # 3^l beyond float64 is inf: the figure cuts it
        three = 3.0**blocks
    theory = {"plain": 2.0**blocks, "plain_he": three, "scaled": (1 + 1 / L) ** blocks,
              "identity": np.ones(L + 1), "pre_ln": (q0 + blocks) / q0, "post_ln": np.ones(L + 1)}
    overflowed = ~np.isfinite(q["plain_he"])
    first_block = int(np.flatnonzero(overflowed.any(axis=0))[0]) if overflowed.any() else -1

    def rate(v: str) -> float:  # ln(q_l / q_0) / l over the finite blocks, mean over seeds
        return float(np.mean([math.log(r[np.isfinite(r)][-1]) / (np.isfinite(r).sum() - 1)
                              for r in ratio[v]]))

    return {
        "fwd_n_blocks": L, "fwd_width": width, "fwd_n_seeds": n_seeds, "fwd_q0": q0,
        "plain_rate": rate("plain"), "plain_rate_theory": math.log(2.0),
        "plain_he_rate": rate("plain_he"), "plain_he_rate_theory": math.log(3.0),
        "plain_he_n_overflowed": int(overflowed.any(axis=1).sum()),  # nets (seeds)
        "plain_he_first_overflow": first_block,                       # -1: none
        "plain_he_overflow_theory": (math.log(FLOAT64_MAX) - math.log(10 * q0)) / math.log(3.0),
        "scaled_ratio": float(ratio["scaled"][:, -1].mean()),
        "scaled_ratio_theory": (1 + 1 / L) ** L, "e": math.e,
        "identity_max_dev": float(max(np.abs(ratio[v] - 1).max()
                                      for v in ("fixup", "rezero", "skipinit"))),
        "pre_ln_slope": float(np.mean((q["pre_ln"][:, -1] - q["pre_ln"][:, 0]) / L)),
        "pre_ln_slope_theory": 1.0,
        "post_ln_max_dev": float(np.abs(q["post_ln"][:, 1:] - 1).max()),
        "blocks": blocks, "ratio": ratio, "q": q, "theory": theory,
    }


def scaled_limit(*, depths: Sequence[int], width: int, batch: int, seed: int) -> dict:
    """``q_L / q_0`` of one ``alpha = 1/sqrt(L)`` net per depth: ``(1 + 1/L)^L -> e``."""
    X = digits_batch(batch, seed)
    measured = [float(np.divide(*build("scaled", L, width, np.random.default_rng(
        [seed, L])).stream_second_moments(X)[[-1, 0]])) for L in depths]
    return {"limit_depths": np.array(depths), "limit_measured": np.array(measured),
            "limit_theory": np.array([(1 + 1 / L) ** L for L in depths]),
            "limit_deepest": measured[-1],
            "limit_deepest_theory": (1 + 1 / depths[-1]) ** depths[-1]}


def _stream_gradients(config: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One net: RMS of ``dL/dx_l`` (``(L + 1,)``), ``||dW||`` of each block's first branch
    layer (``(L,)``) and the stream's ``q_l`` (``(L + 1,)``), for a standard normal
    ``G = dL/d(output)`` on an identity output layer (``G`` arrives at the top of the stack)."""
    rng = np.random.default_rng(config["seed"])
    model = build(config["variant"], config["n_blocks"], config["width"], rng,
                  n_out=config["width"], output_init="identity")
    X = digits_batch(config["batch"], config["data_seed"])
    model.forward(X)
    grads = model.backward(rng.standard_normal((len(X), config["width"])))
    offset = 2 if model.norm != "none" else 0           # LayerNorm gain, bias come first
    dW = [float(np.linalg.norm(grads[s][offset])) for s in model.block_slices()]
    rms = [math.sqrt(float(np.mean(d * d))) for d in model.dstream]
    q = [float(np.mean(x * x)) for x in model.stream]
    return np.array(rms), np.array(dW), np.array(q)


def gradients_per_block(*, n_blocks: int, width: int, batch: int, n_seeds: int, seed: int,
                        n_jobs: int = 1) -> dict:
    """Gradient at init, block by block, for the six variants: the stream gradient's RMS over
    its value at the top, and the first branch layer's weight-gradient norm (Xiong et al.)."""
    keys = [(v, s) for v in SIX for s in sweep.seeds(seed, n_seeds)]
    configs = [{"variant": v, "n_blocks": n_blocks, "width": width, "batch": batch,
                "seed": s, "data_seed": seed} for v, s in keys]
    out = dict(zip(keys, sweep.run(_stream_gradients, configs, n_jobs=n_jobs), strict=True))
    rms = {v: np.array([out[v, s][0] for s in sweep.seeds(seed, n_seeds)]) for v in SIX}
    ratio = {v: r / r[:, -1:] for v, r in rms.items()}      # RMS(dx_l) / RMS(dx_L)
    dW = {v: np.array([out[v, s][1] for s in sweep.seeds(seed, n_seeds)]) for v in SIX}
    L, blocks = n_blocks, np.arange(n_blocks + 1)
    q = np.mean([out["pre_ln", s][2] for s in sweep.seeds(seed, n_seeds)], axis=0)  # q_l
    theory = {"plain": 2.0 ** ((L - blocks) / 2), "scaled": (1 + 1 / L) ** ((L - blocks) / 2),
              "identity": np.ones(L + 1), "pre_ln": np.sqrt(q[-1] / q)}  # pre-LN: sqrt(q_L/q_l)
    return {
        "grad_n_blocks": L, "grad_width": width,
        "plain_grad_bottom": float(ratio["plain"][:, 0].mean()),
        "plain_grad_bottom_theory": float(theory["plain"][0]),
        "scaled_grad_bottom": float(ratio["scaled"][:, 0].mean()),
        "scaled_grad_bottom_theory": float(theory["scaled"][0]),
        "identity_grad_max_dev": float(max(np.abs(ratio[v] - 1).max()
                                           for v in ("fixup", "rezero"))),
        "pre_ln_grad_bottom": float(ratio["pre_ln"][:, 0].mean()),
        "pre_ln_grad_bottom_theory": float(theory["pre_ln"][0]),
        "post_ln_grad_bottom": float(ratio["post_ln"][:, 0].mean()),
        "post_over_pre_last": float((dW["post_ln"][:, -1] / dW["pre_ln"][:, -1]).mean()),
        "post_over_pre_last_theory": math.sqrt(q[-1] / 2),  # sqrt(q_L / (1 + g)), Xiong
        "blocks": blocks, "ratio": ratio, "dW": dW, "theory": theory,
    }


def _build_run(data: datasets.Split, rng: np.random.Generator, *, variant: str, n_blocks: int,
               width: int) -> ResidualMLP:
    """``build(data, rng)`` for :func:`initlab.train.run` (a picklable top-level function)."""
    return build(variant, n_blocks, width, rng, n_in=data.n_features)


def _train_one(config: dict) -> tuple[bool, np.ndarray, float]:
    """One :func:`initlab.train.run`: ``(diverged, test accuracy per epoch, chance)`` only (the
    trained model is dropped in the worker)."""
    run = train.run(**config)
    return run.diverged, run.test_acc, run.chance


def training(*, depths: Sequence[int], width: int, n_seeds: int, epochs: int, lr: float,
             momentum: float, batch_size: int, reach: float, seed: int, n_jobs: int = 1) -> dict:
    """Test accuracy on the digits after ``epochs`` of SGD, per variant, depth and seed.

    Same budget and data for all; a diverged run (non-finite loss) is counted per variant and
    scored as chance. ``*_reach_deep``: median epochs to ``reach`` test accuracy at the deepest
    depth, a run that never got there (or diverged) counting as ``epochs + 1``: a median of
    ``epochs + 1`` means fewer than half of the runs reached it within the budget.
    """
    from functools import partial

    keys = [(v, d, s) for v in SIX for d in depths for s in sweep.seeds(seed, n_seeds)]
    configs = [{"build": partial(_build_run, variant=v, n_blocks=d, width=width), "seed": s,
                "data_seed": seed, "epochs": epochs, "lr": lr, "momentum": momentum,
                "batch_size": batch_size} for v, d, s in keys]
    runs = dict(zip(keys, sweep.run(_train_one, configs, n_jobs=n_jobs), strict=True))
    chance = next(iter(runs.values()))[2]
    acc = {v: np.array([[chance if runs[v, d, s][0] else runs[v, d, s][1][-1] for d in depths]
                        for s in sweep.seeds(seed, n_seeds)]) for v in SIX}
    deep = depths[-1]
    curves = {v: [runs[v, deep, s][1] for s in sweep.seeds(seed, n_seeds)
                  if not runs[v, deep, s][0]] for v in SIX}
    diverged = {v: sum(runs[v, d, s][0] for d in depths for s in sweep.seeds(seed, n_seeds))
                for v in SIX}

    def median_reach(v: str) -> float:  # censored runs (and diverged ones) count as epochs + 1
        times = [stats.first_reach(c, reach) for c in curves[v]]
        times += [math.inf] * (n_seeds - len(times))
        return float(np.median(np.minimum(times, epochs + 1)))

    return {
        "train_depth_shallow": int(depths[0]), "train_depth_deep": int(deep),
        "train_epochs": epochs, "train_n_seeds": n_seeds,
        "train_chance": chance, "train_reach": reach,
        "plain_acc_deep": float(acc["plain"][:, -1].mean()),
        "scaled_acc_deep": float(acc["scaled"][:, -1].mean()),
        "fixup_acc_deep": float(acc["fixup"][:, -1].mean()),
        "rezero_acc_deep": float(acc["rezero"][:, -1].mean()),
        "pre_ln_acc_deep": float(acc["pre_ln"][:, -1].mean()),
        "post_ln_acc_deep": float(acc["post_ln"][:, -1].mean()),
        "post_ln_acc_shallow": float(acc["post_ln"][:, 0].mean()),
        "plain_n_diverged": diverged["plain"], "scaled_n_diverged": diverged["scaled"],
        "fixup_n_diverged": diverged["fixup"], "rezero_n_diverged": diverged["rezero"],
        "pre_ln_n_diverged": diverged["pre_ln"], "post_ln_n_diverged": diverged["post_ln"],
        "train_n_runs_per_variant": len(depths) * n_seeds,
        "rezero_reach_deep": median_reach("rezero"), "fixup_reach_deep": median_reach("fixup"),
        "pre_ln_reach_deep": median_reach("pre_ln"),
        "depths": np.array(depths), "acc": acc, "curves": curves,
    }


def exercise_alpha(*, alpha: float, n_blocks: int, width: int, batch: int, seed: int) -> dict:
    """Exercise: one unscaled-branch net (``g = 1``) with a fixed ``alpha``; the per-block
    growth of ``q_l`` against ``ln(1 + alpha^2 g)``."""
    model = ResidualMLP(64, width, 10, n_blocks, np.random.default_rng(seed),
                        **{**residual_init.plain(), "alpha": alpha})
    q = model.stream_second_moments(digits_batch(batch, seed))
    finite = np.isfinite(q)
    return {"ex_alpha": float(alpha), "ex_alpha_blocks": int(n_blocks),
            "ex_alpha_rate": float(math.log(q[finite][-1] / q[0]) / (finite.sum() - 1)),
            "ex_alpha_rate_theory": math.log(1 + alpha**2),
            "ex_alpha_overflowed": int((~finite).sum())}


def exercise_xiong(*, n_blocks: int, width: int, batch: int, seed: int) -> dict:
    """Exercise: the last block's weight gradient, post-LN over pre-LN, at ``n_blocks``:
    ``sqrt(q_L / (1 + g))`` with pre-LN's ``q_L = q_0 + g L`` (Xiong et al. 2020: ``sqrt(L)``)."""
    config = {"n_blocks": n_blocks, "width": width, "batch": batch, "seed": seed,
              "data_seed": seed}
    _, dW_pre, q_pre = _stream_gradients({**config, "variant": "pre_ln"})
    _, dW_post, _ = _stream_gradients({**config, "variant": "post_ln"})
    return {"ex_xiong_blocks": int(n_blocks), "ex_xiong_ratio": float(dW_post[-1] / dW_pre[-1]),
            "ex_xiong_ratio_theory": math.sqrt((q_pre[0] + n_blocks) / 2)}


__all__ = ["SIX", "VARIANTS", "build", "digits_batch", "exercise_alpha", "exercise_xiong",
           "forward_variance", "gradients_per_block", "plot_forward_variance", "plot_gradients",
           "plot_training", "scaled_limit", "training"]
