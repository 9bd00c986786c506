"""Tests of initlab.sweep: same results for any number of workers, input order, one BLAS
thread per worker, errors that name the config, and independent per-run seeds.

References: a training run repeated in-process with a hand-made rng (n_jobs=1 and 2 must both
equal it bit for bit); ``numpy.random.SeedSequence(base).spawn(n)`` written out directly for
:func:`seeds`. The workers are real loky processes (the first test pays their start-up, ~1 s).
"""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from initlab import datasets, sweep
from initlab.network import MLP
from initlab.train import train


def train_run(config: dict) -> np.ndarray:
    """A small seeded training run; returns every parameter and the loss curve, flattened."""
    rng = np.random.default_rng(config["seed"])
    X, y = datasets.spirals(40, rng)
    model = MLP([2, 16, 16, 3], rng, activation=config["activation"], weight_init="he_normal")
    hist = train(model, X, y, rng=rng, epochs=3, batch_size=16, lr=0.1, momentum=0.9,
                 progress=False)
    return np.concatenate([*(p.ravel() for p in model.parameters()), hist.loss])


def slow_identity(config: dict) -> dict:
    """Returns its config after a delay that shrinks with the index: later configs finish first."""
    time.sleep(0.02 * (4 - config["i"]))
    return {"i": config["i"], "pid": os.getpid()}


def blas_threads(config: dict) -> tuple:
    """What a worker sees: BLAS threads per threadpoolctl and the env var the backend set."""
    blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return blas, os.environ.get("OPENBLAS_NUM_THREADS"), os.getpid()


def fail_on_boom(config: dict) -> int:
    if config.get("boom"):
        raise ValueError("exploded on purpose")
    return config["seed"]


CONFIGS = [{"seed": s, "activation": a} for s in sweep.seeds(7, 3) for a in ("relu", "tanh")]


def test_one_and_two_workers_give_identical_results():
    reference = [train_run(c) for c in CONFIGS]  # plain loop in this process
    one = sweep.run(train_run, CONFIGS, n_jobs=1, progress=False)
    two = sweep.run(train_run, CONFIGS, n_jobs=2, progress=False)
    assert len(one) == len(two) == len(CONFIGS)
    for ref, a, b in zip(reference, one, two, strict=True):
        assert np.array_equal(a, ref)
        assert np.array_equal(b, ref)
    # the runs really differ from each other (else equality would prove nothing)
    assert not np.array_equal(one[0], one[2])  # same activation, different seed
    assert not np.array_equal(one[0], one[1])  # same seed, different activation


def test_results_come_back_in_input_order():
    configs = [{"i": i} for i in range(5)]
    results = sweep.run(slow_identity, configs, n_jobs=2, progress=False)
    assert [r["i"] for r in results] == list(range(5))
    assert len({r["pid"] for r in results} | {os.getpid()}) >= 2  # ran in worker processes


def test_workers_use_one_blas_thread():
    results = sweep.run(blas_threads, [{}] * 4, n_jobs=2, progress=False)
    for blas, env, pid in results:
        assert pid != os.getpid()
        assert env == "1"
        assert all(n == 1 for n in blas)
    blas, _, pid = sweep.run(blas_threads, [{}], n_jobs=1, progress=False)[0]
    assert pid == os.getpid() and all(n == 1 for n in blas)  # in-process too


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_an_error_names_the_config(n_jobs):
    configs = [{"seed": 1}, {"seed": 2, "boom": True}, {"seed": 3}]
    with pytest.raises(sweep.SweepError, match=r"config #1 \{'seed': 2, 'boom': True\}") as info:
        sweep.run(fail_on_boom, configs, n_jobs=n_jobs, progress=False)
    assert "ValueError: exploded on purpose" in str(info.value)
    assert "fail_on_boom" in str(info.value)


@pytest.mark.parametrize("n_jobs", [0, -2, 1.5, -1.0, True, "2", None])
def test_bad_n_jobs(n_jobs):
    with pytest.raises(ValueError, match="n_jobs"):
        sweep.run(fail_on_boom, [{"seed": 1}], n_jobs=n_jobs)


def test_all_cores_empty_and_not_callable():
    assert sweep.run(fail_on_boom, [{"seed": 4}, {"seed": 5}], n_jobs=-1, progress=False) == [4, 5]
    assert sweep.run(fail_on_boom, [], n_jobs=2) == []
    with pytest.raises(TypeError, match="callable"):
        sweep.run("train_run", [{}])


def test_progress_bar_only_when_asked(capfd):
    # pytest's stderr is not a terminal, so progress=None stays silent
    sweep.run(fail_on_boom, [{"seed": 1}, {"seed": 2}], desc="quiet run")
    assert "quiet run" not in capfd.readouterr().err
    sweep.run(fail_on_boom, [{"seed": 1}, {"seed": 2}], progress=True, desc="loud run")
    err = capfd.readouterr().err
    assert "loud run" in err and "0/2" in err


def test_seeds_are_the_spawned_seed_sequences():
    got = sweep.seeds(2024, 5)
    children = np.random.SeedSequence(2024).spawn(5)
    assert got == [int(c.generate_state(1, np.uint64)[0]) for c in children]
    assert all(type(s) is int for s in got)
    assert len(set(got)) == 5
    assert sweep.seeds(2024, 8)[:5] == got          # child i depends on (base, i) only
    assert sweep.seeds(2025, 5) != got
    assert sweep.seeds(0, 0) == []
    # the seeds give different streams
    draws = [np.random.default_rng(s).standard_normal(3) for s in got]
    assert not np.array_equal(draws[0], draws[1])


@pytest.mark.parametrize(("base", "n"), [(-1, 3), (1.5, 3), (1, -1), (True, 2), (1, 2.0)])
def test_seeds_bad_arguments(base, n):
    with pytest.raises((TypeError, ValueError), match="base_seed|`n`"):
        sweep.seeds(base, n)


# ----------------------------------------------------------------------- the dask backend


def _train_acc(config):
    from initlab import train
    return train.run(**config).test_acc


def test_dask_backend_on_a_two_worker_local_cluster_equals_one_job():
    from dask.distributed import Client, LocalCluster

    configs = [{"sizes": (64, 16, 10), "seed": s, "epochs": 1, "batch_size": 64, "lr": 0.05}
               for s in sweep.seeds(0, 4)]
    here = sweep.run(_train_acc, configs, n_jobs=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        there = sweep.run(_train_acc, configs, backend="dask")
        with pytest.raises(sweep.SweepError, match="config #1"):
            sweep.run(_fails_on_one, [0, 1, 2], backend="dask")
    assert len(there) == 4
    for a, b in zip(here, there, strict=True):
        np.testing.assert_array_equal(a, b)           # same bits, whichever worker ran it


def _fails_on_one(x):
    if x == 1:
        raise ValueError("boom")
    return x


def test_dask_backend_without_a_client_says_how_to_start_one():
    with pytest.raises(RuntimeError, match="LocalCluster"):
        sweep.run(_fails_on_one, [0], backend="dask")
    with pytest.raises(ValueError, match="'ray'"):
        sweep.run(_fails_on_one, [0], backend="ray")
