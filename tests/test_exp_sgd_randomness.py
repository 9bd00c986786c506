"""Tests of initlab.experiments.sgd_randomness (chapter 1) against independent references.

References: closed-form stream-reuse counts of the ``seed + i`` scheme, NumPy's own
``SeedSequence`` spawning, bit equality of repeated runs, Monte Carlo for the standard-error
formulas (tolerances in standard errors, formula beside each), and a fake training run with a
known additive structure ``acc[i, j] = a_i + b_j`` for the grid's slicing and pooling.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")  # tests only: figures are never shown here

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from initlab import datasets  # noqa: E402
from initlab.experiments import sgd_randomness as sr  # noqa: E402


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


@pytest.mark.parametrize("n", [1, 4, 24])
def test_stream_reuse_counts_match_closed_form(n: int) -> None:
    r = sr.stream_reuse(3, n)
    # seed + i: seeds {b..b+n-1} (init) and {b+1..b+n} (shuffle) overlap in n - 1 values;
    # base b + 1 uses {b+1..b+n+1}, sharing the n distinct values b+1..b+n with base b
    assert r["naive_within"] == n - 1
    assert r["naive_across"] == n
    assert r["spawn_within"] == 0 and r["spawn_across"] == 0


def test_shared_generator_entangles_shuffle_with_architecture() -> None:
    out = sr.shuffle_order_entangled(0)
    assert out == {"shared_changes": True, "split_changes": False}
    # same width twice: even the shared generator gives the same order
    assert sr.shuffle_order_entangled(0, widths=(32, 32))["shared_changes"] is False


@pytest.fixture(scope="module")
def data() -> datasets.Split:
    return datasets.load("digits", np.random.default_rng(0))


def test_train_run_same_seeds_bit_identical_and_sources_matter(data: datasets.Split) -> None:
    s = sr.streams(0, 2)
    a = sr.train_run(data, s.init[0], s.shuffle[0], epochs=2)
    b = sr.train_run(data, s.init[0], s.shuffle[0], epochs=2)
    np.testing.assert_array_equal(a["theta"], b["theta"])
    np.testing.assert_array_equal(a["epoch_loss"], b["epoch_loss"])
    assert a["theta"].shape == (64 * 32 + 32 + 32 * 10 + 10,)
    assert a["test_acc"].shape == (3,) and a["nudge_size"] == 0.0
    other_shuffle = sr.train_run(data, s.init[0], s.shuffle[1], epochs=2)
    other_init = sr.train_run(data, s.init[1], s.shuffle[0], epochs=2)
    assert np.abs(other_shuffle["theta"] - a["theta"]).max() > 1e-6
    assert np.abs(other_init["theta"] - a["theta"]).max() > 0.1
    # training learns: after 2 epochs far above chance (0.1)
    assert a["test_acc"][-1] > 0.8 and a["test_acc"][0] < 0.3


def test_train_run_nudge_is_one_ulp(data: datasets.Split) -> None:
    s = sr.streams(0, 1)
    run = sr.train_run(data, s.init[0], s.shuffle[0], epochs=1, nudge_ulps=1, snapshots=True)
    W0 = sr.network.MLP(sr.SIZES, np.random.default_rng(s.init[0]), activation=sr.ACTIVATION,
                        weight_init=sr.WEIGHT_INIT).weights
    # the largest ulp among the initial weights: spacing(max |w|)
    assert run["nudge_size"] == max(float(np.spacing(np.abs(W).max())) for W in W0)
    assert run["thetas"].shape == (2, run["theta"].size)


def test_twin_runs(data: datasets.Split) -> None:
    t = sr.twin_runs(0, smoke=True)
    assert t["identical"] is True
    assert not t["max_abs"]["same"].any()
    assert t["max_abs"]["shuffle"][0] == 0.0  # same init stream: equal at epoch 0
    assert t["max_abs"]["shuffle"][1] > 1e-6
    assert t["max_abs"]["init"][0] > 0.1
    assert t["max_abs"]["ulp"][0] == t["nudge_size"] > 0
    assert t["final_max_abs"]["same"] == 0.0
    plt.close(sr.plot_twins(t))


def test_relative_distance_of_independent_vectors_is_sqrt2() -> None:
    rng = np.random.default_rng(0)
    n = 10_000
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    # log ||a - b|| and log ||b|| each have sd ~ 1/sqrt(2n); their difference <= 1/sqrt(n) = 0.01
    assert sr.relative_distance(a, b) == pytest.approx(math.sqrt(2), rel=5 / math.sqrt(n))
    assert sr.relative_distance(b, b) == 0.0


def test_standard_error_formulas_match_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    p, n_test, reps = 0.95, 450, 20_000
    acc = rng.binomial(n_test, p, size=reps) / n_test
    # relative SE of a sample std from `reps` draws ~ 1/sqrt(2 reps) = 0.5 %; 5 SE
    assert acc.std() == pytest.approx(sr.binomial_se(p, n_test), rel=5 / math.sqrt(2 * reps))
    with pytest.raises(ValueError, match="1.5"):
        sr.binomial_se(1.5, 10)
    s, d = 0.005, 0.005
    n = sr.seeds_to_resolve(s, d)
    assert n == math.ceil(2 * (2 * s / d) ** 2) == 8
    diffs = (rng.normal(0, s, (reps, n)).mean(axis=1) - rng.normal(0, s, (reps, n)).mean(axis=1))
    # the SE of the difference of two n-run means is s sqrt(2/n) <= d / 2
    assert diffs.std() == pytest.approx(s * math.sqrt(2 / n), rel=5 / math.sqrt(2 * reps))
    assert diffs.std() <= d / 2 * (1 + 5 / math.sqrt(2 * reps))
    with pytest.raises(ValueError, match="difference"):
        sr.seeds_to_resolve(0.01, 0.0)


def test_seed_grid_slices_and_pooling_on_known_structure(monkeypatch: pytest.MonkeyPatch) -> None:
    K = sr.n_seeds(True)
    a = np.linspace(0.90, 0.95, K)          # effect of init stream i
    b = np.array([0.0, 0.002, -0.001, 0.003, -0.002, 0.001])[:K]  # effect of shuffle stream j
    rng = np.random.default_rng(0)
    U, V = rng.standard_normal((K, 50)), 0.1 * rng.standard_normal((K, 50))

    def fake(data, init_seq, shuffle_seq, **kwargs):
        i, j = init_seq.spawn_key[-1], shuffle_seq.spawn_key[-1]
        assert init_seq.spawn_key[0] == 1 and shuffle_seq.spawn_key[0] == 2
        curve = np.full(sr.EPOCHS + 1, a[i] + b[j])
        return {"test_acc": curve, "epoch_loss": np.ones(sr.EPOCHS + 1),
                "theta": U[i] + V[j]}

    monkeypatch.setattr(sr, "train_run", fake)
    g = sr.seed_grid(0, smoke=True)
    acc = a[:, None] + b[None, :]
    np.testing.assert_allclose(g["acc"], acc)
    assert g["std_init"] == pytest.approx(np.std(a + b[0], ddof=1))
    assert g["std_shuffle"] == pytest.approx(np.std(a[0] + b, ddof=1))
    assert g["std_both"] == pytest.approx(np.std(a + b, ddof=1))
    # additive grid: the shuffle-only spread is the same in every row, the init-only in every
    # column, so pooling recovers std(b) and std(a) exactly
    assert g["pooled_std_shuffle"] == pytest.approx(np.std(b, ddof=1))
    assert g["pooled_std_init"] == pytest.approx(np.std(a, ddof=1))
    assert g["min_all"] == pytest.approx(acc.min())
    ref = U[0] + V[0]
    assert g["dist_init"] == pytest.approx(np.mean(
        [np.linalg.norm(U[i] + V[0] - ref) / np.linalg.norm(ref) for i in range(1, K)]))
    assert g["dist_shuffle"] == pytest.approx(np.mean(
        [np.linalg.norm(U[0] + V[j] - ref) / np.linalg.norm(ref) for j in range(1, K)]))
    assert g["curves"]["test_acc"].shape == (K, sr.EPOCHS + 1)
    plt.close(sr.plot_spread(g))
    plt.close(sr.plot_curves(g))
