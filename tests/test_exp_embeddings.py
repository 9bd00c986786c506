"""Tests of initlab.experiments.embeddings (chapter 9) against independent references.

References: the task's definition checked pair by pair, hand-computable kNN scores, the closed
form of chance agreement against Monte Carlo (tolerance in standard errors), PCA against the
eigendecomposition of the covariance, and the zero-table gradient against its closed form
``dE[t] = sum_j sum_c N_tjc g_c W_0^(j)T`` (derived in the chapter) computed by counting.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from initlab import losses, plotting, train
from initlab.experiments import embeddings as em

TINY = {"n_tokens": 8, "n_topics": 2, "dim": 4, "hidden": 8, "hidden_bias": 0.01, "epochs": 2,
        "n_seeds": 2, "lr": 0.1, "batch_size": 16, "seed": 1}
PAGE = {"n_tokens": 40, "n_topics": 4, "dim": 16, "hidden": 32, "hidden_bias": 0.01,
        "lr": 0.1, "batch_size": 32}


def test_topic_task_definition() -> None:
    t = em.topic_task(np.random.default_rng(3), n_tokens=12, n_topics=3, train_frac=0.25)
    topic = t["topic"]
    assert np.array_equal(np.bincount(topic), [4, 4, 4])
    T = np.concatenate([t["T_train"], t["T_test"]])
    y = np.concatenate([t["y_train"], t["y_test"]])
    assert len(t["T_train"]) == 36 and len(T) == 144
    assert len({(int(a), int(b)) for a, b in T}) == 144  # every ordered pair exactly once
    for (a, b), label in zip(T, y, strict=True):
        assert label == (topic[a] + topic[b]) % 3
    again = em.topic_task(np.random.default_rng(3), n_tokens=12, n_topics=3, train_frac=0.25)
    assert np.array_equal(again["T_train"], t["T_train"])
    with pytest.raises(ValueError, match="multiple of n_topics=3"):
        em.topic_task(np.random.default_rng(0), n_tokens=10, n_topics=3)
    with pytest.raises(ValueError, match="1.5"):
        em.topic_task(np.random.default_rng(0), train_frac=1.5)
    with pytest.raises(TypeError, match="default_rng"):
        em.topic_task(0)


def test_knn_agreement_by_hand() -> None:
    # two tight clusters far apart: every neighbour shares the label
    E = np.array([[0.0, 0], [0, 0.1], [0.1, 0], [5, 5], [5, 5.1], [5.1, 5]])
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert em.knn_agreement(E, labels, k=2) == 1.0
    # k = 3: each row's third neighbour is in the other cluster -> 2/3
    assert em.knn_agreement(E, labels, k=3) == pytest.approx(2 / 3)
    assert em.knn_chance(labels) == pytest.approx(2 * 3 * 2 / (6 * 5))
    with pytest.raises(ValueError, match="k=6"):
        em.knn_agreement(E, labels, k=6)


def test_knn_chance_matches_random_tables() -> None:
    rng = np.random.default_rng(0)
    labels = np.arange(40) % 4
    reps = 400
    scores = np.array([em.knn_agreement(rng.standard_normal((40, 16)), labels)
                       for _ in range(reps)])
    # SE of the mean of `reps` scores = sample std / sqrt(reps); 4 SE
    se = scores.std(ddof=1) / math.sqrt(reps)
    assert abs(scores.mean() - em.knn_chance(labels)) < 4 * se
    assert em.knn_chance(labels) == pytest.approx(90 / 390)


def test_pca_matches_covariance_eigendecomposition() -> None:
    E = np.random.default_rng(1).standard_normal((30, 5)) * [3, 2, 1, 0.5, 0.1]
    P = em.pca_2d(E)
    Ec = E - E.mean(axis=0)
    evals, evecs = np.linalg.eigh(Ec.T @ Ec)
    ref = Ec @ evecs[:, ::-1][:, :2]
    np.testing.assert_allclose(np.abs(P), np.abs(ref), atol=1e-10)
    np.testing.assert_allclose((P**2).sum(axis=0), evals[::-1][:2], rtol=1e-10)
    assert em.max_pairwise_distance(np.ones((4, 3))) == 0.0
    assert em.max_pairwise_distance(np.array([[0.0, 0], [3, 4]])) == pytest.approx(5.0)


def test_zero_table_gradient_is_the_label_count_formula() -> None:
    task = em.topic_task(np.random.default_rng(0))
    model = em.build_model(np.random.default_rng(1), em.ZERO_INIT)
    T, y = task["T_train"], task["y_train"]
    _, dlogits = losses.softmax_cross_entropy(model.forward(T), y)
    dE = model.backward(dlogits)[-1]
    # closed form: every example has the same hidden activations, so dZ_0[i] = g[y_i]
    W0, W1 = model.mlp.weights[0], model.mlp.weights[1]
    h = np.maximum(model.mlp.biases[0], 0.0)
    logits = h @ W1 + model.mlp.biases[1]
    p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    g = ((p - np.eye(em.N_TOPICS)) @ W1.T) * (model.mlp.biases[0] > 0) / len(T)  # (c, hidden)
    ref = np.zeros_like(dE)
    for j in range(2):
        N = np.zeros((em.N_TOKENS, em.N_TOPICS))
        np.add.at(N, (T[:, j], y), 1.0)  # N[t, c] = pairs with t at position j and label c
        ref += N @ g @ W0[j * em.DIM:(j + 1) * em.DIM].T
    np.testing.assert_allclose(dE, ref, rtol=1e-10, atol=1e-14)
    assert em.max_pairwise_distance(dE) > 1e-3  # the rows do get different gradients


def test_symmetry_cases_exact() -> None:
    base = {**PAGE, "seed": 2, "data_seed": 0, "epochs": 3, "embedding_init": em.ZERO_INIT}
    all_zero = em.train_run({**base, "zero_first_layer": True})
    assert np.all(all_zero["max_dist"] == 0.0) and np.all(all_zero["E"] == 0.0)
    no_bias = em.train_run({**base, "hidden_bias": 0.0})  # relu'(0) = 0 blocks every gradient
    assert np.all(no_bias["E"] == 0.0)
    zero_table = em.train_run(base)
    assert zero_table["max_dist"][0] == 0.0 and zero_table["max_dist"][1] > 1e-3
    again = em.train_run(base)
    np.testing.assert_array_equal(again["E"], zero_table["E"])


def test_train_run_is_the_library_loop_with_init_then_batches_from_one_rng() -> None:
    config = {**PAGE, "seed": 4, "data_seed": 0, "epochs": 2, "embedding_init": em.KERAS_INIT}
    out = em.train_run(config)
    task = em.topic_task(np.random.default_rng(0))
    rng = np.random.default_rng(4)
    model = em.build_model(rng, em.KERAS_INIT)
    hist = train.train(model, task["T_train"], task["y_train"], rng=rng, epochs=2,
                       batch_size=32, lr=0.1, X_test=task["T_test"], y_test=task["y_test"],
                       progress=False)
    np.testing.assert_array_equal(out["test_acc"], hist.test_acc)
    np.testing.assert_array_equal(out["E"], model.E)
    assert out["knn"].shape == out["test_loss"].shape == (3,)
def test_cooccurrence_vectors_find_planted_blocks() -> None:
    topic = np.arange(12) % 3
    pairs = np.array([(a, b) for a in range(12) for b in range(12) if topic[a] == topic[b]])
    V = em.cooccurrence_vectors(pairs, n_tokens=12, dim=3)
    assert em.knn_agreement(V, topic, k=3) == 1.0
    # complete pairs: C is 2 * ones, rank one; every row gets the same vector
    allpairs = np.array([(a, b) for a in range(12) for b in range(12)])
    V = em.cooccurrence_vectors(allpairs, n_tokens=12, dim=1)
    assert em.max_pairwise_distance(V) < 1e-12


def test_reach_is_first_reach_with_censored_runs_left_out_of_the_mean() -> None:
    curves = np.array([[0.1, 0.5, 0.95, 0.99], [0.1, 0.2, 0.3, 0.4], [0.1, 0.9, 0.9, 0.9]])
    assert em.reach(curves, 0.9) == (1.5, 2)  # epochs 2 and 1; the second run never: censored
    assert em.reach(curves[1:2], 0.9) == (3.0, 0)  # none reached: the budget, 3 epochs


@pytest.fixture(scope="module")
def tiny() -> dict:
    return {"org": em.organisation(table_init=em.KERAS_INIT, level=0.9, **TINY),
            "sym": em.symmetry(level=0.9, **TINY),
            "bias": em.bias_table(biases=(0.0, 0.01, 0.1), level=0.9, **TINY),
            "scale": em.scale_sweep(scales=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0), level=0.9,
                                    **TINY),
            "cooc": em.cooccurrence_baseline(n_tokens=8, n_topics=2, dim=4, seed=1)}


def test_experiments_record_the_reference_keys(tiny) -> None:
    recorded = {}
    for out in tiny.values():
        recorded.update({k: v for k, v in out.items() if isinstance(v, int | float)})
    ref = json.loads((Path(__file__).parents[1] / "data" / "reference"
                      / "09_embeddings.json").read_text())
    expected = {k for k in set(ref["claims"]) | set(ref["snapshots"]["full"])
                if not k.startswith("ex_")}  # the exercises' keys: their own tests
    new = {k for k in recorded if "_n_reached_" in k}  # runs that reached the level
    assert len(new) == 17 and set(recorded) == expected
    assert recorded["sym_all_zero_max_dist"] == 0.0 and recorded["bias_0_zero_table_max_dist"] == 0
    assert recorded["epochs"] == 2 and recorded["n_seeds"] == 2
    assert 0 <= recorded["scale_10_n_reached_acc90"] <= 2
    frame = em.scale_frame(tiny["scale"])
    assert frame.shape == (7, 8) and frame.index.name == "std"
    assert em.bias_frame(tiny["bias"]).shape == (6, 5)


def test_figures(tiny) -> None:
    chance = tiny["org"]["knn_chance"]
    fig = em.plot_symmetry(tiny["sym"], chance)
    plotting.check_fits_column(fig, "plot_symmetry")
    ax, bx = fig.axes
    assert bx.get_yscale() == "log" and ax.get_ylabel().startswith("kNN agreement")
    assert len(ax.get_lines()) == 3 + 1  # three cases and the chance line
    fig = em.plot_scales(tiny["scale"], chance)
    plotting.check_fits_column(fig, "plot_scales")
    assert all(a.get_xscale() == "log" for a in fig.axes)
    assert len(fig.axes[0].get_lines()) == 7 + 1  # one band per std and ln(n_topics)
    # seven stds, seven different hues (not shades of one colour map)
    colours = {ln.get_color() if isinstance(ln.get_color(), str) else tuple(ln.get_color())
               for ln in fig.axes[0].get_lines()[:7]}
    assert len(colours) == 7
    # the bottom legend sits below its panel, off the seed dots
    legend = fig.axes[1].get_legend()
    fig.canvas.draw()
    assert legend.get_window_extent().y1 <= fig.axes[1].get_window_extent().y0
    fig = em.plot_pca(tiny["org"], tiny["sym"], tiny["scale"])
    plotting.check_fits_column(fig, "plot_pca")
    assert len(fig.axes) == 4 and "N(0, 10²)" in fig.axes[3].get_title()


def test_tables_round_like_the_text() -> None:
    # 0.2805 is 0.28050000000000002 in binary: format(.3f) gives 0.281 (as the glued text does),
    # DataFrame.round(3) gives 0.28. The tables must read like the text.
    row = dict(zip(em.SCALE_COLUMNS, (1.3866, 0.0042489, 30.3, 10, 0.2805, 0.877, 1.1956, 29.93),
                   strict=True))
    frame = em.scale_frame({"rows": {3.0: row}})
    assert frame.loc[3.0, "kNN agreement"] == format(0.2805, ".3f") == "0.281"
    assert frame.loc[3.0, "final loss"] == "0.00425" and frame.loc[3.0, "runs reaching 0.9"] == "10"
    bias = {"rows": {(0.0, "zero_table"): dict(zip(em.BIAS_COLUMNS, (0.2805, 0.24325, 101.0, 0,
                                                                   0.0), strict=True))}}
    out = em.bias_frame(bias)
    assert out.iloc[0].tolist() == ["0.281", "0.243", "101.0", "0", "0"]


SMALL = dict(n_tokens=16, n_topics=4, dim=8, hidden=16, hidden_bias=0.01, epochs=3, n_seeds=2,
             lr=0.1, batch_size=32, seed=0)


def test_exercise_activation_zero_table_moves_only_if_f_prime_at_zero_is_nonzero() -> None:
    # relu'(0) = 0: no gradient reaches a zero table (zero biases); tanh'(0) = 1: rows separate
    relu = em.exercise_activation(activation="relu", **SMALL)
    tanh = em.exercise_activation(activation="tanh", **SMALL)
    assert relu["ex_act_max_dist_epoch1"] == 0.0 and relu["ex_act_max_dist"] == 0.0
    assert tanh["ex_act_max_dist_epoch1"] > 1e-3 and tanh["ex_act_activation"] == "tanh"


def test_exercise_scale_large_table_moves_little_relative_to_its_size() -> None:
    out = em.exercise_scale(std=10.0, level=0.9, **SMALL)
    # the move does not scale with the table: a 1000x larger table moves < 10x as far
    assert out["ex_scale_move"] < 10 * out["ex_scale_move_small"]
    assert out["ex_scale_rel_move"] < 0.05 and out["ex_scale_rel_move_theory"] > 0
    with pytest.raises(ValueError, match="0.005"):
        em.exercise_scale(std=0.005, level=0.9, **SMALL)
