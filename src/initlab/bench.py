"""Step throughput against the matmul-only bound: ``python -m initlab.bench``.

Why: the book's sweeps run thousands of small training runs, so the library's SGD step has
to be close to what the hardware allows. The honest yardstick is measured in the same run:
the **matmul-only bound**, the time of just the matrix products a step cannot avoid, on
preallocated arrays. Per layer ``l`` with input ``A_l`` ``(batch, n_in)``, weight ``W_l``
``(n_in, n_out)`` and output gradient ``dZ_l`` ``(batch, n_out)``:
``Z_l = A_l @ W_l`` (forward), ``dW_l = A_l.T @ dZ_l`` and ``dA_l = dZ_l @ W_l.T``
(backward; not for the first layer, whose input gradient a step never needs). A library
step (:func:`initlab.train.sgd_step`: forward, softmax cross-entropy, backward, update)
can only be slower; ``ratio = step rate / bound rate`` says how much slower.

Figures printed (all on one BLAS thread, the setting :mod:`initlab.sweep` runs workers in):
steps/s of three library steps at W256 D10 B128 (width 256, 10 hidden ReLU layers, batch
128, 256 inputs, 10 classes), in float64 and float32, each next to the bound and their ratio:
``plain`` SGD, ``momentum`` 0.9, and ``clipped`` (plain SGD with global-norm clipping at 1%
of the initial gradient norm: the clipped updates are so short that the norm stays far above
the threshold and every step clips; the run checks that the last one did).
Then steps/s of a tiny net (W32 D3 B32: 32 inputs, 3 hidden layers of 32, batch 32, float64,
plain SGD), where Python and numpy call overhead dominate; and the speed-up of a 2-worker
:func:`initlab.sweep.run` over 1 worker on identical jobs (and whether both return the same
results).

Timing: each figure is a rate over a block of calls lasting ``block`` seconds, after a
warm-up; the best of ``repeats`` blocks is kept (the least disturbed by other processes),
and step and bound blocks alternate so both see the same machine state.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable, Sequence

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from initlab import losses, sweep
from initlab.network import MLP
from initlab.optim import SGD, global_norm
from initlab.train import sgd_step

N_CLASSES = 10
STEPS = {"plain": {}, "momentum": {"momentum": 0.9}, "clipped": {"clip_fraction": 0.01}}


def _calibrate(fn: Callable[[], object], block: float) -> int:
    """Number of calls of ``fn`` that take about ``block`` seconds (after a warm-up)."""
    n, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= block / 4:
            return max(1, int(n * block / elapsed))
        n *= 4


def _rate(fn: Callable[[], object], n_calls: int) -> float:
    """Calls per second over one block of ``n_calls`` calls."""
    start = time.perf_counter()
    for _ in range(n_calls):
        fn()
    return n_calls / (time.perf_counter() - start)


def best_rates(fns: Sequence[Callable[[], object]], block: float, repeats: int) -> list[float]:
    """Best calls/s of each ``fn`` over ``repeats`` blocks, the fns' blocks interleaved."""
    n_calls = [_calibrate(fn, block) for fn in fns]  # also the warm-up
    best = [0.0] * len(fns)
    for _ in range(repeats):
        for k, fn in enumerate(fns):
            best[k] = max(best[k], _rate(fn, n_calls[k]))
    return best


def make_step(width: int, n_hidden: int, batch: int, dtype: type, n_in: int | None = None,
              momentum: float = 0.0, clip_fraction: float | None = None
              ) -> Callable[[], tuple]:
    """One library step on a fixed batch: ``sgd_step(model, SGD(lr=1e-3, momentum), X, y,
    CE, clip_norm)``.

    ``clip_fraction``: clip the global gradient norm at this fraction of its initial value.
    """
    rng = np.random.default_rng(0)
    n_in = width if n_in is None else n_in
    model = MLP([n_in] + [width] * n_hidden + [N_CLASSES], rng, activation="relu",
                weight_init="he_normal", dtype=dtype)
    X = rng.standard_normal((batch, n_in)).astype(dtype)
    y = rng.integers(0, N_CLASSES, batch)
    optimizer = SGD(model.parameters(), lr=1e-3, momentum=momentum)
    loss_fn = losses.softmax_cross_entropy
    clip_norm = None
    if clip_fraction is not None:
        initial = global_norm(model.backward(loss_fn(model.forward(X), y)[1]))
        clip_norm = clip_fraction * initial

    def step() -> tuple:
        return sgd_step(model, optimizer, X, y, loss_fn, clip_norm=clip_norm)

    return step


def make_matmuls(width: int, n_hidden: int, batch: int, dtype: type,
                 n_in: int | None = None) -> Callable[[], None]:
    """The matmuls of one step on preallocated arrays: the matmul-only bound."""
    rng = np.random.default_rng(0)
    n_in = width if n_in is None else n_in
    sizes = [n_in] + [width] * n_hidden + [N_CLASSES]
    pairs = zip(sizes[:-1], sizes[1:], strict=True)
    Ws = [rng.standard_normal((a, b)).astype(dtype) for a, b in pairs]
    As = [rng.standard_normal((batch, a)).astype(dtype) for a in sizes[:-1]]
    Zs = [np.empty((batch, b), dtype) for b in sizes[1:]]
    dZs = [rng.standard_normal((batch, b)).astype(dtype) for b in sizes[1:]]
    dWs = [np.empty_like(W) for W in Ws]
    dAs = [np.empty_like(A) for A in As]

    def matmuls() -> None:
        for A, W, Z in zip(As, Ws, Zs, strict=True):
            np.matmul(A, W, out=Z)                       # Z = A W
        for l in range(len(Ws) - 1, -1, -1):
            np.matmul(As[l].T, dZs[l], out=dWs[l])       # dW = A^T dZ
            if l > 0:
                np.matmul(dZs[l], Ws[l].T, out=dAs[l])   # dA = dZ W^T

    return matmuls


def sweep_job(config: dict) -> float:
    """``config["steps"]`` SGD steps of a small net (32-64-64-64-10, batch 64); final loss."""
    rng = np.random.default_rng(config["seed"])
    model = MLP([32, 64, 64, 64, N_CLASSES], rng, weight_init="he_normal")
    X = rng.standard_normal((64, 32))
    y = rng.integers(0, N_CLASSES, 64)
    optimizer = SGD(model.parameters(), lr=1e-2)
    loss = float("nan")
    for _ in range(config["steps"]):
        loss = sgd_step(model, optimizer, X, y, losses.softmax_cross_entropy)[0]
    return float(loss)


def sweep_speedup(n_runs: int, steps: int, repeats: int) -> dict:
    """Best wall time of ``sweep.run(sweep_job, ...)`` on 1 and 2 workers, and the speed-up."""
    configs = [{"seed": 0, "steps": steps}] * n_runs  # identical jobs: equal work
    sweep.run(sweep_job, configs[:2], n_jobs=2, progress=False)  # start the workers once
    times: dict[int, float] = {}
    results: dict[int, list] = {}
    for _ in range(repeats):
        for n_jobs in (1, 2):
            start = time.perf_counter()
            results[n_jobs] = sweep.run(sweep_job, configs, n_jobs=n_jobs, progress=False)
            elapsed = time.perf_counter() - start
            times[n_jobs] = min(times.get(n_jobs, np.inf), elapsed)
    return {"jobs": n_runs, "steps_per_job": steps, "seconds_1_worker": times[1],
            "seconds_2_workers": times[2], "speedup": times[1] / times[2],
            "identical": results[1] == results[2]}


def run_bench(quick: bool = False) -> dict:
    """Measure every figure (see the module docstring) and return them as plain floats."""
    block, repeats = (0.02, 2) if quick else (0.3, 7)
    figures: dict[str, object] = {}
    with threadpool_limits(1):
        for dtype in (np.float64, np.float32):
            args = (256, 10, 128, dtype)
            steps = {name: make_step(*args, **kwargs) for name, kwargs in STEPS.items()}
            *step_rates, bound_rate = best_rates([*steps.values(), make_matmuls(*args)],
                                                 block, repeats)
            for (name, step), step_rate in zip(steps.items(), step_rates, strict=True):
                key = f"W256_D10_B128_{np.dtype(dtype).name}_{name}"
                loss, _, _, clipped = step()
                if not math.isfinite(loss):  # a diverged step skips the update: too fast
                    raise RuntimeError(f"the benchmark's training diverged ({key})")
                if clipped != (name == "clipped"):  # the clipped step must clip, no other
                    raise RuntimeError(f"the benchmark's step {key} has clipped={clipped}")
                figures[key] = {
                    "steps_per_s": step_rate, "matmul_bound_steps_per_s": bound_rate,
                    "ratio": step_rate / bound_rate, **STEPS[name]}
        (tiny,) = best_rates([make_step(32, 3, 32, np.float64)], block, repeats)
        figures["W32_D3_B32_float64"] = {"steps_per_s": tiny}
    figures["sweep"] = sweep_speedup(4 if quick else 8, 20 if quick else 1500,
                                     1 if quick else 3)
    return figures


def _blas_name() -> str:
    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return f"{info[0]['internal_api']} {info[0]['version']}" if info else "unknown BLAS"


def report(figures: dict) -> str:
    """The figures as printed lines."""
    lines = [f"initlab.bench: numpy {np.__version__}, {_blas_name()}, 1 BLAS thread"]
    for dtype in ("float64", "float32"):
        for name in STEPS:
            f = figures[f"W256_D10_B128_{dtype}_{name}"]
            label = f"step W256 D10 B128 {dtype} {name}:"
            lines.append(
                f"{label:37s}{f['steps_per_s']:7.1f} steps/s | matmul-only bound "
                f"{f['matmul_bound_steps_per_s']:7.1f} steps/s | ratio {f['ratio']:.3f}")
    label = "step W32 D3 B32 float64 plain:"
    lines.append(f"{label:37s}{figures['W32_D3_B32_float64']['steps_per_s']:7.1f} steps/s")
    s = figures["sweep"]
    lines.append(
        f"sweep {s['jobs']} identical jobs: 1 worker {s['seconds_1_worker']:.2f} s, "
        f"2 workers {s['seconds_2_workers']:.2f} s, speed-up {s['speedup']:.2f}x "
        f"(results identical: {s['identical']})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict:
    """Command line: ``python -m initlab.bench [--quick] [--json PATH]``; returns the figures."""
    parser = argparse.ArgumentParser(prog="python -m initlab.bench", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="short blocks, few repeats: a smoke run of a few seconds")
    parser.add_argument("--json", metavar="PATH", help="also write the figures to PATH")
    args = parser.parse_args(argv)
    figures = run_bench(quick=args.quick)
    figures["quick"] = args.quick
    print(report(figures))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(figures, fh, indent=2)
    return figures


if __name__ == "__main__":
    main()
