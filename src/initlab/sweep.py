"""Run one experiment over many configs in parallel processes, with the same results always.

Why: a chapter's figures come from many independent runs (seeds x scales x depths). They
are embarrassingly parallel, so :func:`run` hands them to worker processes (joblib's loky
backend) and returns the results in input order. Each run uses one BLAS thread: at the book's
sizes OpenBLAS with several threads per process is erratic and slower than one process per
core, and one thread also makes a run's floating-point result independent of the number of
workers (a multithreaded dot product may sum in a different order).

Reproducibility contract: ``fn(config)`` must derive all its randomness from ``config``
(typically ``rng = np.random.default_rng(config["seed"])``), never from global state or the
worker it lands on. Then ``run(fn, configs, n_jobs=1) == run(fn, configs, n_jobs=k)`` for
every ``k``. :func:`seeds` gives each run its own independent seed from one base seed
(``numpy.random.SeedSequence(base_seed).spawn(n)``), so runs never share random streams.

Shapes: ``configs`` is a sequence of ``n`` picklable objects (usually dicts); the result is
a list of ``n`` return values of ``fn``, ``result[i] = fn(configs[i])``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import joblib
import numpy as np
from joblib import Parallel, delayed, parallel_config
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from initlab._checks import check_int


class SweepError(RuntimeError):
    """``fn`` raised on one config; the message names the config and the original error."""


def seeds(base_seed: int, n: int) -> list[int]:
    """``n`` independent seeds derived from ``base_seed``, as plain ints.

    ``SeedSequence(base_seed).spawn(n)``, each child's first 64-bit word of state: child
    ``i`` is a fixed function of ``(base_seed, i)``, so seed lists for ``n`` and ``n + 1``
    runs share their first ``n`` entries. Pass each to ``np.random.default_rng(seed)``.
    """
    base_seed = check_int(base_seed, "base_seed", minimum=0)
    n = check_int(n, "n", minimum=0)
    children = np.random.SeedSequence(base_seed).spawn(n)
    return [int(child.generate_state(1, np.uint64)[0]) for child in children]


def _check_n_jobs(n_jobs: object) -> int:
    """``n_jobs`` as a positive int; ``-1`` means every core joblib sees."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or not (
            n_jobs >= 1 or n_jobs == -1):
        raise ValueError(f"`n_jobs` must be an int >= 1, or -1 for all cores, got {n_jobs!r}")
    return joblib.cpu_count() if n_jobs == -1 else int(n_jobs)


def _call(fn: Callable[[Any], Any], index: int, config: Any) -> Any:
    """``fn(config)`` on one BLAS thread; an error is re-raised naming the config."""
    with threadpool_limits(1):
        try:
            return fn(config)
        except Exception as err:
            raise SweepError(
                f"{getattr(fn, '__name__', fn)!s} failed on config #{index} {config!r}: "
                f"{type(err).__name__}: {err}") from err


def run(
    fn: Callable[[Any], Any],
    configs: Sequence[Any],
    n_jobs: int = 1,
    progress: bool | None = None,
    desc: str | None = None,
) -> list:
    """``[fn(c) for c in configs]``, computed by ``n_jobs`` worker processes, in input order.

    ``fn`` must be picklable (a top-level function of a module, not a lambda or a notebook
    closure) and must take all its randomness from its config (see the module docstring).
    ``n_jobs=1`` runs in this process; ``-1`` uses every core. Workers are loky processes
    with ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=... =1`` in their environment, and every
    call runs under ``threadpool_limits(1)``. ``progress``: a tqdm bar on stderr labelled
    ``desc`` (``None``: only when stderr is a terminal, so executed notebooks stay clean).
    An exception in ``fn`` stops the sweep and is raised as :class:`SweepError` naming
    the config.
    """
    if not callable(fn):
        raise TypeError(f"`fn` must be callable, got {fn!r}")
    configs = list(configs)
    n_jobs = min(_check_n_jobs(n_jobs), max(len(configs), 1))
    show = sys.stderr.isatty() if progress is None else bool(progress)
    tasks = (delayed(_call)(fn, i, config) for i, config in enumerate(configs))
    with parallel_config(backend="loky", inner_max_num_threads=1):
        results = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
        return list(tqdm(results, total=len(configs), desc=desc, disable=not show,
                         leave=False))
