"""Tests of initlab.experiments.sgd_randomness (chapter 1) against independent references.

References: closed-form stream-reuse counts of the ``seed + i`` scheme, NumPy's own
``SeedSequence`` spawning, bit equality of repeated runs of ``train.run``, ``np.nextafter``
for the one-ulp nudge, Monte Carlo for the seeds-per-comparison formula (tolerance in standard
errors, formula beside it), and a fake training run with a known additive structure
``acc[i, j] = a_i + b_j`` for the grid's slicing and pooling.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest

from initlab import datasets, plotting, train
from initlab.experiments import sgd_randomness as sr

RECIPE = {"width": 32, "activation": "relu", "weight_init": "he_normal"}
SGD = {"lr": 0.05, "batch_size": 32}


def _state(seq: np.random.SeedSequence) -> tuple[int, ...]:
    return tuple(int(w) for w in seq.generate_state(4, np.uint64))


def test_streams_are_spawned_children_independent_of_n() -> None:
    s5, s3 = sr.streams(7, 5), sr.streams(7, 3)
    data, init_root, shuffle_root = np.random.SeedSequence(7).spawn(3)
    assert _state(s5.data) == _state(data)
    assert [_state(q) for q in s5.init] == [_state(q) for q in init_root.spawn(5)]
    assert [_state(q) for q in s5.shuffle] == [_state(q) for q in shuffle_root.spawn(5)]
    # the first n children do not depend on how many were asked for
    assert [_state(q) for q in s5.init[:3]] == [_state(q) for q in s3.init]
    states = [_state(q) for q in [s5.data, *s5.init, *s5.shuffle]]
    assert len(set(states)) == len(states) == 11
    assert _state(sr.streams(8, 1).init[0]) != _state(s5.init[0])
    with pytest.raises(ValueError, match="`n` must be >= 1, got 0"):
        sr.streams(0, 0)
    with pytest.raises(TypeError, match="`seed`"):
        sr.streams(1.5, 2)
    table = sr.stream_table(s3)
    assert len(table) == 1 + 2 * 3 and table.loc["init stream 2", "spawn_key"] == "(1, 2)"


@pytest.mark.parametrize("n", [1, 4, 24])
def test_stream_reuse_counts_match_closed_form(n: int) -> None:
    r = sr.stream_reuse(3, n)
    # seed + i: seeds {b..b+n-1} (init) and {b+1..b+n} (shuffle) overlap in n - 1 values;
    # base b + 1 uses {b+1..b+n+1}, sharing the n distinct values b+1..b+n with base b
    assert r == {"streams_naive_within": n - 1, "streams_naive_across": n,
                 "streams_spawn_within": 0, "streams_spawn_across": 0}


def test_shared_generator_entangles_shuffle_with_architecture() -> None:
    out = sr.shuffle_order_entangled(0)
    assert out == {"order_shared_changes": True, "order_split_changes": False}
    # same width twice: even the shared generator gives the same order
    assert sr.shuffle_order_entangled(0, widths=(32, 32))["order_shared_changes"] is False
    both = sr.seeding_shortcuts(seed=0, n_runs=4, widths=(32, 33), activation="relu",
                                weight_init="he_normal")
    scalars = {k: v for k, v in both.items() if k != "reuse"}
    assert scalars == {**sr.stream_reuse(0, 4), **out}
    table = sr.reuse_table(both)
    assert table.to_numpy().tolist() == [[3, 4], [0, 0]]


@pytest.fixture(scope="module")
def data() -> datasets.Split:
    return datasets.load("digits", np.random.default_rng(0))


def _run(data: datasets.Split, init: np.random.SeedSequence,
         shuffle: np.random.SeedSequence, epochs: int = 2) -> train.Run:
    return train.run(dataset=data, seed=init, shuffle_seed=shuffle,
                     build=sr.init_builder(**RECIPE), epochs=epochs, **SGD)


def test_runs_from_streams_are_bit_identical_and_both_sources_matter(
        data: datasets.Split) -> None:
    s = sr.streams(0, 2)
    a, b = _run(data, s.init[0], s.shuffle[0]), _run(data, s.init[0], s.shuffle[0])
    theta = sr.flat_parameters(a.model)
    np.testing.assert_array_equal(theta, sr.flat_parameters(b.model))
    np.testing.assert_array_equal(a.epoch_loss, b.epoch_loss)
    assert theta.shape == (64 * 32 + 32 + 32 * 10 + 10,)
    other_shuffle = sr.flat_parameters(_run(data, s.init[0], s.shuffle[1]).model)
    other_init = sr.flat_parameters(_run(data, s.init[1], s.shuffle[0]).model)
    assert np.abs(other_shuffle - theta).max() > 1e-6
    assert np.abs(other_init - theta).max() > 0.1
    # training learns: after 2 epochs far above chance (0.1)
    assert a.test_acc[-1] > 0.8 and a.test_acc[0] < 0.3


@pytest.mark.parametrize("ulps", [1, 2])
def test_init_builder_nudges_every_weight_by_ulps(data: datasets.Split, ulps: int) -> None:
    seq = sr.streams(0, 1).init[0]
    plain = sr.init_builder(**RECIPE)(data, np.random.default_rng(seq))
    nudged = sr.init_builder(**RECIPE, nudge_ulps=ulps)(data, np.random.default_rng(seq))
    for W0, W1 in zip(plain.weights, nudged.weights, strict=True):
        expect = W0.copy()
        for _ in range(ulps):
            expect = np.nextafter(expect, np.inf)
        np.testing.assert_array_equal(W1, expect)
        assert (W1 > W0).all()
    for b0, b1 in zip(plain.biases, nudged.biases, strict=True):
        np.testing.assert_array_equal(b0, b1)   # biases are not nudged
    with pytest.raises(ValueError, match="nudge_ulps"):
        sr.init_builder(**RECIPE, nudge_ulps=-1)


def test_twin_runs() -> None:
    t = sr.twin_runs(seed=0, epochs=2, **RECIPE, **SGD)
    assert t["twin_identical"] is True and t["twin_same_max_abs"] == 0.0
    assert not t["max_abs"]["same"].any()
    assert t["max_abs"]["shuffle"][0] == 0.0  # same init stream: equal at epoch 0
    assert t["max_abs"]["shuffle"][1] > 1e-6
    assert t["max_abs"]["init"][0] > 0.1
    # the nudge of the largest |w| is its spacing; He-normal, fan_in 64: |w| < 2, ulp <= 2^-52
    assert 0 < t["twin_nudge_size"] == t["max_abs"]["ulp"][0] <= 2.0 ** -52
    assert t["twin_ulp_growth"] == t["twin_ulp_max_abs"] / t["twin_nudge_size"]
    fig = sr.plot_twins(t)
    plotting.check_fits_column(fig, "plot_twins")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    assert len(ax.get_legend().get_texts()) == 5   # 3 twins, largest |w|, machine epsilon
    plt.close(fig)


def test_relative_distance_of_independent_vectors_is_sqrt2() -> None:
    rng = np.random.default_rng(0)
    n = 10_000
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    # log ||a - b|| and log ||b|| each have sd ~ 1/sqrt(2n); their difference <= 1/sqrt(n) = 0.01
    assert sr.relative_distance(a, b) == pytest.approx(math.sqrt(2), rel=5 / math.sqrt(n))
    assert sr.relative_distance(b, b) == 0.0


def test_seeds_to_resolve_matches_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    reps = 20_000
    s, d = 0.005, 0.005
    n = sr.seeds_to_resolve(s, d)
    assert n == math.ceil(2 * (2 * s / d) ** 2) == 8
    diffs = (rng.normal(0, s, (reps, n)).mean(axis=1) - rng.normal(0, s, (reps, n)).mean(axis=1))
    # the SE of the difference of two n-run means is s sqrt(2/n) <= d / 2; relative SE of a
    # sample std from `reps` Gaussian draws is 1/sqrt(2 reps) = 0.5 %: 5 SE
    assert diffs.std() == pytest.approx(s * math.sqrt(2 / n), rel=5 / math.sqrt(2 * reps))
    assert diffs.std() <= d / 2 * (1 + 5 / math.sqrt(2 * reps))
    with pytest.raises(ValueError, match="difference"):
        sr.seeds_to_resolve(0.01, 0.0)
    table = sr.seeds_table(std=s, differences=(0.005, 0.01))
    assert table["seeds per recipe"].tolist() == [8, 2]


def test_seed_grid_slices_and_pooling_on_known_structure(monkeypatch: pytest.MonkeyPatch) -> None:
    K, epochs = 6, 3
    a = np.linspace(0.90, 0.95, K)          # effect of init stream i
    b = np.array([0.0, 0.002, -0.001, 0.003, -0.002, 0.001])  # effect of shuffle stream j
    rng = np.random.default_rng(0)
    U, V = rng.standard_normal((K, 50)), 0.1 * rng.standard_normal((K, 50))

    def fake(*, dataset, seed, shuffle_seed, epochs, **kwargs):
        i, j = seed.spawn_key[-1], shuffle_seed.spawn_key[-1]
        assert seed.spawn_key[0] == 1 and shuffle_seed.spawn_key[0] == 2
        assert callable(kwargs["build"]) and kwargs["lr"] == 0.05
        curve = np.full(epochs + 1, a[i] + b[j])
        curve[1] -= 0.1 * i                  # epoch 1 differs between the diagonal runs
        model = SimpleNamespace(parameters=lambda: [U[i] + V[j]])
        return SimpleNamespace(test_acc=curve, epoch_loss=np.ones(epochs + 1), model=model,
                               diverged=False)

    monkeypatch.setattr(train, "run", fake)
    g = sr.seed_grid(seed=0, n_seeds=K, epochs=epochs, **RECIPE, **SGD)
    acc = a[:, None] + b[None, :]
    np.testing.assert_allclose(g["acc"], acc)
    assert g["std_init"] == pytest.approx(np.std(a + b[0], ddof=1))
    assert g["std_shuffle"] == pytest.approx(np.std(a[0] + b, ddof=1))
    assert g["std_both"] == pytest.approx(np.std(a + b, ddof=1))
    # additive grid: the shuffle-only spread is the same in every row, the init-only in every
    # column, so pooling recovers std(b) and std(a) exactly
    assert g["pooled_std_shuffle"] == pytest.approx(np.std(b, ddof=1))
    assert g["pooled_std_init"] == pytest.approx(np.std(a, ddof=1))
    assert g["shuffle_to_init_ratio"] == pytest.approx(np.std(b, ddof=1) / np.std(a, ddof=1))
    assert g["min_all"] == pytest.approx(acc.min())
    assert g["spread_test_images"] == round(np.ptp(a + b) * g["n_test"])
    p = np.mean(a + b)
    assert g["binomial_se"] == pytest.approx(math.sqrt(p * (1 - p) / g["n_test"]))
    assert g["acc_epoch1_mean"] == pytest.approx(np.mean(a + b - 0.1 * np.arange(K)))
    assert g["seeds_for_one_pct"] == sr.seeds_to_resolve(g["std_both"], 0.01)
    ref = U[0] + V[0]
    assert g["dist_init"] == pytest.approx(np.mean(
        [np.linalg.norm(U[i] + V[0] - ref) / np.linalg.norm(ref) for i in range(1, K)]))
    assert g["dist_shuffle"] == pytest.approx(np.mean(
        [np.linalg.norm(U[0] + V[j] - ref) / np.linalg.norm(ref) for j in range(1, K)]))
    assert g["curves"]["test_acc"].shape == (K, epochs + 1)
    assert (g["n_seeds"], g["epochs"], g["n_params"]) == (K, epochs, 50)
    fig = sr.plot_spread(g)
    plotting.check_fits_column(fig, "plot_spread")
    assert len(fig.axes) == 1   # the three conditions
    assert fig.axes[0].get_ylabel() == f"test accuracy\n({g['n_test']} test images)"
    assert len(fig.axes[0].get_xticklabels()) == 3
    plt.close(fig)
    fig = sr.plot_grid(g)
    plotting.check_fits_column(fig, "plot_grid")
    assert len(fig.axes) == 2   # the grid, its colorbar
    bx = fig.axes[0]
    assert bx.get_xlabel() == "shuffle stream j" and bx.get_ylabel() == "init stream i"
    np.testing.assert_allclose(bx.images[0].get_array(), acc)
    frames = [p for p in bx.patches if p.get_label().startswith(("row 0", "column 0"))]
    assert len(frames) == 2 and not any(p.get_clip_on() for p in frames)  # drawn in full
    assert len(fig.legends[0].get_texts()) == 3   # row 0, column 0, diagonal
    plt.close(fig)
    fig = sr.plot_curves(g)
    plotting.check_fits_column(fig, "plot_curves")
    ax, bx = fig.axes
    assert bx.get_yscale() == "log" and ax.get_xlabel() == bx.get_xlabel() == "epoch"
    assert len(ax.lines) == K + 2   # one line per seed, the legend's proxy, the mean
    plt.close(fig)


def test_exercise_nudge_responds_linearly() -> None:
    """A stable training map: the final difference is proportional to a small nudge (doubling
    the nudge doubles it, so the growth factor does not depend on the nudge's size), and the
    nudge itself is ``k`` ulps of the largest weight (``np.spacing``)."""
    kw = {"seed": 3, "epochs": 2, **RECIPE, **SGD}
    small, large = (sr.exercise_nudge(nudge_ulps=k, **kw) for k in (1000, 2000))
    s = sr.streams(3, 1)
    data = datasets.load("digits", np.random.default_rng(s.data))
    w_max = max(np.abs(W).max() for W in sr.init_builder(32, "relu", "he_normal")(
        data, np.random.default_rng(s.init[0])).weights)
    assert small["ex_nudge_size"] == pytest.approx(1000 * np.spacing(w_max), rel=1e-3)
    assert large["ex_nudge_size"] == pytest.approx(2 * small["ex_nudge_size"], rel=1e-3)
    assert large["ex_nudge_growth"] == pytest.approx(small["ex_nudge_growth"], rel=0.05)
    assert 0 < small["ex_nudge_final"] < 1e-9 and small["ex_nudge_ulps"] == 1000


def test_exercise_order_moves_only_with_a_shared_generator() -> None:
    kw = {"seed": 5, "width": 32, "activation": "relu", "weight_init": "he_normal"}
    wider = sr.exercise_order(other_width=64, **kw)
    assert wider == {"ex_order_width": 64, "ex_order_shared_changes": True,
                     "ex_order_split_changes": False}
    same = sr.exercise_order(other_width=32, **kw)
    assert not same["ex_order_shared_changes"] and not same["ex_order_split_changes"]
