"""Chapter 1, SGD and randomness: the experiments behind the page.

What: minibatch SGD draws random numbers in two places, the initial weights and the order in
which each epoch visits the training examples (Goodfellow et al. 2016, sec. 8.1.3 and 8.4).
The same network, trained on the same digits with the same hyperparameters, therefore ends
at a different set of weights with a different test accuracy every time it is run.

How the chapter is laid out (settings in the notebook, passed as arguments):

1. :func:`streams`, :func:`seeding_shortcuts`: one integer seed becomes independent random
   streams for the data split, the inits and the shuffles via
   ``numpy.random.SeedSequence(seed).spawn(...)``; what goes wrong with ``seed + i`` schemes
   (:func:`stream_reuse`) and with one generator shared by init and shuffle
   (:func:`shuffle_order_entangled`).
2. :func:`seed_grid`: a ``K x K`` grid of runs, init stream ``i`` times shuffle stream ``j``.
   Its diagonal is what ``K`` ordinary seeds give (both sources vary), row 0 varies only the
   shuffle (init fixed), column 0 only the init (shuffle fixed); all rows and columns give the
   same two spreads averaged over the fixed seed, and how many seeds a comparison needs
   (:func:`seeds_to_resolve`, :func:`seeds_table`).
3. :func:`twin_runs`: bit-for-bit reproducibility (same seeds twice: ``max |dtheta| = 0``) and
   how far a run moves from its twin when every initial weight moves by one unit in the last
   place, the shuffle differs, or the init differs.

Every run is :func:`initlab.train.run` with ``seed=`` an init stream, ``shuffle_seed=`` a
shuffle stream and ``build=`` :func:`init_builder` (which can nudge the initial weights).
Figures and tables: :mod:`.figures`.

Why: run-to-run spread is the yardstick for every comparison in this book; the chapter
measures it, splits it by source, and shows that fixing the seeds makes a run exactly
repeatable (on one BLAS thread).

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples; a run's parameters are flattened
into one vector ``theta`` of ``n_params`` entries (W0, b0, W1, b1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from initlab import datasets, network, stats, train
from initlab._checks import check_int, check_positive
from initlab.experiments.sgd_randomness.figures import (
    plot_curves,
    plot_grid,
    plot_spread,
    plot_twins,
    reuse_table,
    stream_table,
)

__all__ = ["Streams", "exercise_nudge", "exercise_order", "flat_parameters", "init_builder",
           "plot_curves", "plot_grid", "plot_spread", "plot_twins", "relative_distance",
           "reuse_table", "seed_grid",
           "seeding_shortcuts", "seeds_table", "seeds_to_resolve", "shuffle_order_entangled",
           "stream_reuse", "stream_table", "streams", "twin_runs"]


# --------------------------------------------------------------------------- 1. the streams


class Streams(NamedTuple):
    """Independent seed sequences derived from one integer: split, ``n`` inits, ``n`` shuffles."""

    data: np.random.SeedSequence
    init: list[np.random.SeedSequence]
    shuffle: list[np.random.SeedSequence]


def streams(seed: int, n: int) -> Streams:
    """Split ``seed`` into a data-split stream and ``n`` init and ``n`` shuffle streams.

    ``root = SeedSequence(seed)``; ``data, init_root, shuffle_root = root.spawn(3)``;
    ``init = init_root.spawn(n)``, ``shuffle = shuffle_root.spawn(n)``. Each child is the
    root's entropy plus a distinct ``spawn_key`` (e.g. ``(1, i)`` for init ``i``), hashed into
    256 bits of seed material for the generator (PCG64: a 128-bit state and a 128-bit
    increment), so no two streams coincide, and the first ``n`` children do not
    depend on ``n``. Pass each to ``np.random.default_rng``.
    """
    seed = check_int(seed, "seed")
    n = check_int(n, "n", minimum=1)
    data, init_root, shuffle_root = np.random.SeedSequence(seed).spawn(3)
    return Streams(data, init_root.spawn(n), shuffle_root.spawn(n))


def _state(seq: np.random.SeedSequence) -> tuple[int, ...]:
    """The 256 bits of seed material a stream hands to PCG64: equal tuples = the same stream."""
    return tuple(int(w) for w in seq.generate_state(4, np.uint64))


def stream_reuse(seed: int, n: int) -> dict[str, int]:
    """Count streams used twice: ``seed + i`` arithmetic versus ``SeedSequence.spawn``.

    Naive scheme: run ``i`` of an experiment with base seed ``b`` draws its init from
    ``default_rng(b + i)`` and its shuffle from ``default_rng(b + i + 1)``. Within one
    experiment the shuffle of run ``i`` then *is* the init of run ``i + 1`` (``n - 1`` streams
    used twice); a second experiment with base ``b + 1`` shares ``n`` streams with the first.
    Spawn scheme: :func:`streams` of ``seed`` and of ``seed + 1``. A stream is identified by
    the state its generator is seeded with (:func:`_state`), so the counts are measured, not
    asserted.
    """
    seed = check_int(seed, "seed")
    n = check_int(n, "n", minimum=1)

    def naive(base: int) -> list[tuple[int, ...]]:
        init = [np.random.SeedSequence(base + i) for i in range(n)]
        shuffle = [np.random.SeedSequence(base + i + 1) for i in range(n)]
        return [_state(s) for s in init + shuffle]

    def spawned(base: int) -> list[tuple[int, ...]]:
        s = streams(base, n)
        return [_state(q) for q in [s.data, *s.init, *s.shuffle]]

    naive_a, naive_b = naive(seed), naive(seed + 1)
    spawn_a, spawn_b = spawned(seed), spawned(seed + 1)
    return {"streams_naive_within": len(naive_a) - len(set(naive_a)),   # used twice in one
            "streams_naive_across": len(set(naive_a) & set(naive_b)),  # shared with seed + 1
            "streams_spawn_within": len(spawn_a) - len(set(spawn_a)),
            "streams_spawn_across": len(set(spawn_a) & set(spawn_b))}


def shuffle_order_entangled(seed: int, *, widths: tuple[int, ...] = (32, 33),
                            n_train: int = 1347, activation: Any = "relu",
                            weight_init: Any = "he_normal") -> dict[str, bool]:
    """Does the first epoch's data order change when only the hidden width changes?

    Shared: one ``default_rng(seed)`` draws the weights of a ``(64, width, 10)`` MLP and then
    the permutation of the ``n_train`` rows, so the order depends on how many numbers the init
    consumed. Split: init and shuffle draw from the two streams of :func:`streams`, so the
    order cannot depend on the architecture.
    """
    seed = check_int(seed, "seed")
    n_train = check_int(n_train, "n_train", minimum=2)
    s = streams(seed, 1)
    shared, split = [], []
    for width in widths:
        rng = np.random.default_rng(seed)
        network.MLP((64, width, 10), rng, activation=activation, weight_init=weight_init)
        shared.append(rng.permutation(n_train))
        network.MLP((64, width, 10), np.random.default_rng(s.init[0]), activation=activation,
                    weight_init=weight_init)
        split.append(np.random.default_rng(s.shuffle[0]).permutation(n_train))
    return {"order_shared_changes": not all(np.array_equal(shared[0], o) for o in shared[1:]),
            "order_split_changes": not all(np.array_equal(split[0], o) for o in split[1:])}


def seeding_shortcuts(*, seed: int, n_runs: int, widths: tuple[int, ...],
                      activation: Any, weight_init: Any) -> dict:
    """Both shortcuts measured: :func:`stream_reuse` over ``n_runs`` runs, and
    :func:`shuffle_order_entangled` over the hidden ``widths``. Table data: ``reuse``
    ``(2, 2)``, rows naive and spawn, columns within and across experiments."""
    reuse = stream_reuse(seed, n_runs)
    return {**reuse, **shuffle_order_entangled(seed, widths=widths, activation=activation,
                                               weight_init=weight_init),
            "reuse": np.array(list(reuse.values())).reshape(2, 2)}  # rows: naive, spawn


# ----------------------------------------------------------------------------- one run


def init_builder(width: int, activation: Any, weight_init: Any, nudge_ulps: int = 0
                 ) -> Callable[[datasets.Split, np.random.Generator], network.MLP]:
    """``build(data, rng)`` for :func:`initlab.train.run`: the ``(n_features, width, n_classes)``
    MLP, weights from ``rng``, zero biases, then every weight moved ``nudge_ulps`` units in the
    last place up (``np.nextafter``): the smallest change float64 allows, the size of the
    rounding difference another summation order (another BLAS, thread count) would make."""
    width = check_int(width, "width", minimum=1)
    nudge_ulps = check_int(nudge_ulps, "nudge_ulps", minimum=0)

    def build(data: datasets.Split, rng: np.random.Generator) -> network.MLP:
        model = network.MLP((data.n_features, width, data.n_classes), rng,
                            activation=activation, weight_init=weight_init)
        for W in model.weights:
            for _ in range(nudge_ulps):
                W[...] = np.nextafter(W, np.inf)   # w -> the next float64 above w
        return model

    return build


def flat_parameters(model: network.MLP) -> np.ndarray:
    """``theta``: every weight and bias of ``model`` in one ``(n_params,)`` vector (a copy)."""
    return np.concatenate([p.ravel() for p in model.parameters()])


def relative_distance(theta: np.ndarray, ref: np.ndarray) -> float:
    """``||theta - ref|| / ||ref||`` (Euclidean). Two independent vectors of equal norm with
    uncorrelated entries are ``sqrt(2)`` apart in these units."""
    return float(np.linalg.norm(theta - ref) / np.linalg.norm(ref))


def _trained(data: datasets.Split, init_seq: np.random.SeedSequence,
             shuffle_seq: np.random.SeedSequence, **settings: Any) -> train.Run:
    """``train.run`` on ``data``, init from ``init_seq``, epoch orders from ``shuffle_seq``;
    raises if it diverged (at lr 0.05 none does: a diverged run is a bug here, not a result)."""
    run = train.run(dataset=data, seed=init_seq, shuffle_seed=shuffle_seq, **settings)
    if run.diverged:
        raise RuntimeError(f"run with init {init_seq.spawn_key} and shuffle "
                           f"{shuffle_seq.spawn_key} diverged at step {run.history.diverged_at}")
    return run


# --------------------------------------------------------------------- 2. the seed grid


def seed_grid(*, seed: int, n_seeds: int, width: int, activation: Any, weight_init: Any,
              lr: float, batch_size: int, epochs: int) -> dict:
    """Final test accuracy of ``K x K`` runs (``K = n_seeds``): init ``i`` (row) x shuffle ``j``.

    One digits split (75 % train, stratified) from the data stream of :func:`streams`.
    Conditions: ``both`` = diagonal ``acc[i, i]``, ``init`` = column 0, ``shuffle`` = row 0:
    their mean, sample std (ddof 1) and minimum. Pooled over the grid:
    ``pooled_std_shuffle = sqrt(mean_i Var_j acc[i, j])`` (shuffle-only spread averaged over
    the fixed inits), ``pooled_std_init = sqrt(mean_j Var_i acc[i, j])``. ``dist_shuffle`` /
    ``dist_init``: mean :func:`relative_distance` of row 0's / column 0's final parameters
    from run ``(0, 0)``. ``binomial_se = sqrt(p (1 - p) / n_test)`` at the mean accuracy: the
    spread of one fixed network over test sets. ``seeds_for_half_pct`` / ``_one_pct``:
    :func:`seeds_to_resolve` at ``std_both``. Figure data: ``acc`` ``(K, K)``,
    ``conditions``, the diagonal's ``curves`` ``(K, epochs + 1)`` and ``epoch``.
    """
    K = check_int(n_seeds, "n_seeds", minimum=2)
    s = streams(seed, K)
    data = datasets.load("digits", np.random.default_rng(s.data))
    settings = {"build": init_builder(width, activation, weight_init), "lr": lr,
                "batch_size": batch_size, "epochs": epochs}
    acc, curves, row0, col0 = np.empty((K, K)), {"test_acc": [], "epoch_loss": []}, [], []
    for i in range(K):
        for j in range(K):
            run = _trained(data, s.init[i], s.shuffle[j], **settings)
            acc[i, j] = run.test_acc[-1]
            if i == j:
                curves["test_acc"].append(run.test_acc)
                curves["epoch_loss"].append(run.epoch_loss)
            if i == 0:
                row0.append(flat_parameters(run.model))
            if j == 0:
                col0.append(flat_parameters(run.model))
    both, init, shuffle = np.diag(acc).copy(), acc[:, 0].copy(), acc[0, :].copy()
    std_both = float(both.std(ddof=1))
    pooled_shuffle = float(np.sqrt(acc.var(axis=1, ddof=1).mean()))
    pooled_init = float(np.sqrt(acc.var(axis=0, ddof=1).mean()))
    test_acc, n_test = np.array(curves["test_acc"]), len(data.y_test)
    return {
        "n_seeds": K, "n_test": n_test, "n_train": len(data.y_train),
        "n_params": int(row0[0].size), "epochs": int(epochs),
        "mean_both": float(both.mean()), "std_both": std_both,
        "min_both": float(both.min()),
        "mean_init": float(init.mean()), "std_init": float(init.std(ddof=1)),
        "min_init": float(init.min()),
        "mean_shuffle": float(shuffle.mean()), "std_shuffle": float(shuffle.std(ddof=1)),
        "min_shuffle": float(shuffle.min()),
        "min_all": float(acc.min()), "std_total": float(acc.std(ddof=1)),
        "pooled_std_shuffle": pooled_shuffle, "pooled_std_init": pooled_init,
        "shuffle_to_init_ratio": pooled_shuffle / pooled_init,
        "spread_test_images": round((both.max() - both.min()) * n_test),
        "binomial_se": stats.se_proportion(float(both.mean()), n_test),
        "dist_shuffle": float(np.mean([relative_distance(t, row0[0]) for t in row0[1:]])),
        "dist_init": float(np.mean([relative_distance(t, col0[0]) for t in col0[1:]])),
        "acc_epoch1_mean": float(test_acc[:, 1].mean()),
        "acc_epoch1_std": float(test_acc[:, 1].std(ddof=1)),
        "seeds_for_half_pct": seeds_to_resolve(std_both, 0.005),
        "seeds_for_one_pct": seeds_to_resolve(std_both, 0.01),
        "acc": acc, "conditions": {"both": both, "init": init, "shuffle": shuffle},
        "epoch": np.arange(epochs + 1),
        "curves": {"test_acc": test_acc, "epoch_loss": np.array(curves["epoch_loss"])}}


def seeds_to_resolve(std: float, difference: float, z: float = 2.0) -> int:
    """Seeds per method so that a true ``difference`` of mean accuracy is ``z`` standard errors.

    Two means of ``n`` runs each, run-to-run std ``std``: ``SE(diff) = std * sqrt(2 / n)``;
    ``difference >= z * SE`` gives ``n >= 2 (z std / difference)^2``, rounded up.
    """
    check_positive(std, "std")
    check_positive(difference, "difference")
    check_positive(z, "z")
    return math.ceil(2.0 * (z * std / difference) ** 2)


def seeds_table(*, std: float, differences: tuple[float, ...] = (0.0025, 0.005, 0.01, 0.02),
                z: float = 2.0) -> pd.DataFrame:
    """Seeds per recipe (:func:`seeds_to_resolve`) for each difference of mean accuracy."""
    return pd.DataFrame({"seeds per recipe": [seeds_to_resolve(std, d, z) for d in differences]},
                        index=pd.Index([f"{100 * d:g} points" for d in differences],
                                       name=f"difference to resolve at {z:g} SE"))


# --------------------------------------------------------------------- 3. the twin runs


def twin_runs(*, seed: int, width: int, activation: Any, weight_init: Any, lr: float,
              batch_size: int, epochs: int) -> dict:
    """A reference run (init 0, shuffle 0) and four twins, with ``max |theta - theta_ref|``.

    Twins: ``same`` (the same two streams again), ``ulp`` (every initial weight one ulp larger,
    :func:`init_builder`), ``shuffle`` (shuffle stream 1), ``init`` (init stream 1). Scalars:
    ``twin_<twin>_max_abs`` after the last epoch; ``twin_identical`` (``same``: final
    parameters and every epoch's accuracy and loss equal bit for bit); ``twin_nudge_size``
    (largest change of the nudge, the ``ulp`` distance at epoch 0) and how much it grew,
    ``twin_ulp_growth``; ``twin_theta_max_abs``, the reference's largest ``|theta|``.
    Figure data: ``max_abs[twin]`` ``(epochs + 1,)`` per epoch (index 0 = at init) and the
    reference's final ``theta_ref`` ``(n_params,)``.
    """
    s = streams(seed, 2)
    data = datasets.load("digits", np.random.default_rng(s.data))
    sgd = {"lr": lr, "batch_size": batch_size, "epochs": epochs}

    def twin(init: int, shuffle: int, nudge_ulps: int = 0) -> tuple[train.Run, np.ndarray]:
        thetas: list[np.ndarray] = []      # theta after every epoch, index 0 = at init
        run = _trained(data, s.init[init], s.shuffle[shuffle],
                       build=init_builder(width, activation, weight_init, nudge_ulps),
                       on_epoch=lambda e, m: thetas.append(flat_parameters(m)), **sgd)
        return run, np.array(thetas)

    ref, ref_thetas = twin(0, 0)
    runs = {"same": twin(0, 0), "ulp": twin(0, 0, nudge_ulps=1), "shuffle": twin(0, 1),
            "init": twin(1, 0)}
    max_abs = {k: np.abs(thetas - ref_thetas).max(axis=1) for k, (_, thetas) in runs.items()}
    same = runs["same"][0]
    identical = bool(np.array_equal(runs["same"][1][-1], ref_thetas[-1]) and all(
        np.array_equal(getattr(same, k), getattr(ref, k))
        for k in ("test_acc", "train_acc", "epoch_loss")))
    nudge = float(max_abs["ulp"][0])
    return {"twin_same_max_abs": float(max_abs["same"][-1]),
            "twin_ulp_max_abs": float(max_abs["ulp"][-1]),
            "twin_shuffle_max_abs": float(max_abs["shuffle"][-1]),
            "twin_init_max_abs": float(max_abs["init"][-1]),
            "twin_identical": identical, "twin_nudge_size": nudge,
            "twin_ulp_growth": float(max_abs["ulp"][-1]) / nudge,
            "twin_theta_max_abs": float(np.abs(ref_thetas[-1]).max()),
            "max_abs": max_abs, "theta_ref": ref_thetas[-1], "epoch": np.arange(epochs + 1)}


# ------------------------------------------------------------------------ 4. exercises


def exercise_nudge(*, seed: int, nudge_ulps: int, width: int, activation: Any,
                   weight_init: Any, lr: float, batch_size: int, epochs: int) -> dict:
    """Exercise: nudge every initial weight ``nudge_ulps`` ulps up; how far does training end?

    Two runs on the split of :func:`twin_runs` (init 0, shuffle 0), without and with the nudge
    (:func:`init_builder`). A stable training map responds linearly to a small change of
    ``theta_0``: ``max |dtheta_T| ~ growth * max |dtheta_0|``, the growth factor independent of
    the nudge's size. ``ex_nudge_size`` = ``max |dtheta_0|``, ``ex_nudge_final`` =
    ``max |dtheta_T|``, ``ex_nudge_growth`` their ratio.
    """
    nudge_ulps = check_int(nudge_ulps, "nudge_ulps", minimum=1)
    s = streams(seed, 1)
    data = datasets.load("digits", np.random.default_rng(s.data))

    def ends(k: int) -> tuple[np.ndarray, np.ndarray]:    # (theta_0, theta_T), nudged k ulps
        thetas: list[np.ndarray] = []
        _trained(data, s.init[0], s.shuffle[0], lr=lr, batch_size=batch_size, epochs=epochs,
                 build=init_builder(width, activation, weight_init, k),
                 on_epoch=lambda e, m: thetas.append(flat_parameters(m)))
        return thetas[0], thetas[-1]

    (ref_0, ref_T), (nudged_0, nudged_T) = ends(0), ends(nudge_ulps)
    size = float(np.abs(nudged_0 - ref_0).max())        # max |dtheta_0|
    final = float(np.abs(nudged_T - ref_T).max())       # max |dtheta_T|
    return {"ex_nudge_ulps": nudge_ulps, "ex_nudge_size": size, "ex_nudge_final": final,
            "ex_nudge_growth": final / size}


def exercise_order(*, seed: int, width: int, other_width: int, activation: Any,
                   weight_init: Any) -> dict:
    """Exercise: widen the hidden layer from ``width`` to ``other_width``; does the first
    epoch's order change? :func:`shuffle_order_entangled` for the two widths, with one shared
    generator and with the split streams of :func:`streams`."""
    order = shuffle_order_entangled(seed, widths=(width, other_width), activation=activation,
                                    weight_init=weight_init)
    return {"ex_order_width": check_int(other_width, "other_width", minimum=1),
            "ex_order_shared_changes": order["order_shared_changes"],
            "ex_order_split_changes": order["order_split_changes"]}
