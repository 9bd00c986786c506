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

Backends: ``"loky"`` (default) runs on this machine's cores; ``"dask"`` hands the configs to the
active ``dask.distributed`` Client, so the full sweeps can run on a cluster (a ``LocalCluster``,
or a SLURM / Kubernetes cluster from ``dask-jobqueue`` / ``dask-kubernetes``): install the extra
with ``pip install initlab[dask]``. Each task still runs on one BLAS thread, and the results are
the same as with ``n_jobs=1``.
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


BACKENDS = ("loky", "dask")


def _dask_client() -> Any:
    """The active ``dask.distributed`` Client, or an error saying how to start one."""
    try:
        from distributed import get_client
    except ImportError:
        raise ImportError("backend='dask' needs dask.distributed: pip install initlab[dask]"
                          ) from None
    try:
        return get_client()
    except ValueError:
        raise RuntimeError(
            "backend='dask' needs an active dask.distributed Client, and there is none: start "
            "one first, e.g. `from dask.distributed import Client, LocalCluster; "
            "client = Client(LocalCluster(n_workers=2, threads_per_worker=1))`") from None


def _run_dask(fn: Callable[[Any], Any], configs: list, show: bool, desc: str | None) -> list:
    """``[fn(c) for c in configs]`` as tasks of the active Client, gathered in input order."""
    client = _dask_client()
    futures = client.map(_call, [fn] * len(configs), range(len(configs)), configs, pure=False)
    bar = tqdm(total=len(configs), desc=desc, disable=not show, leave=False)
    try:
        from distributed import as_completed

        for _ in as_completed(futures):
            bar.update()
        return client.gather(futures)
    finally:
        bar.close()


def run(
    fn: Callable[[Any], Any],
    configs: Sequence[Any],
    n_jobs: int = 1,
    progress: bool | None = None,
    desc: str | None = None,
    backend: str = "loky",
) -> list:
    """``[fn(c) for c in configs]``, computed by ``n_jobs`` worker processes, in input order.

    ``fn`` must be picklable (a top-level function of a module, not a lambda or a notebook
    closure) and must take all its randomness from its config (see the module docstring).
    ``n_jobs=1`` runs in this process; ``-1`` uses every core. Workers are loky processes
    with ``OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=... =1`` in their environment, and every
    call runs under ``threadpool_limits(1)``. ``progress``: a tqdm bar on stderr labelled
    ``desc`` (``None``: only when stderr is a terminal, so executed notebooks stay clean).
    An exception in ``fn`` stops the sweep and is raised as :class:`SweepError` naming
    the config. ``backend="dask"``: run on the active ``dask.distributed`` Client instead
    (``n_jobs`` is then the cluster's business and ignored).
    """
    if not callable(fn):
        raise TypeError(f"`fn` must be callable, got {fn!r}")
    if backend not in BACKENDS:
        raise ValueError(f"Invalid `backend` argument: {backend!r}. Please use one of {BACKENDS}")
    configs = list(configs)
    if backend == "dask":
        return _run_dask(fn, configs, sys.stderr.isatty() if progress is None else bool(progress),
                         desc)
    n_jobs = min(_check_n_jobs(n_jobs), max(len(configs), 1))
    show = sys.stderr.isatty() if progress is None else bool(progress)
    tasks = (delayed(_call)(fn, i, config) for i, config in enumerate(configs))
    with parallel_config(backend="loky", inner_max_num_threads=1):
        results = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
        return list(tqdm(results, total=len(configs), desc=desc, disable=not show,
                         leave=False))
