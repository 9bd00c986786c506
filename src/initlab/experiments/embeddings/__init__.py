"""Chapter 9, random initialization of embeddings: the experiments behind the page.

What: an embedding table trained by backprop on a task with hidden structure. There are
``n_tokens`` "words", each secretly in one of ``n_topics`` topics (``topic[t]``, balanced); an
example is a pair of words ``(a, b)`` and its label is ``(topic[a] + topic[b]) mod n_topics``.
The label depends on the words only through their topics, so a table that helps the network
must end up grouping words by topic; no single word says anything about the label (for every
word, the partner's topic makes every label equally likely), so the grouping has to come from
the interaction of the two words. Five experiments:

1. :func:`organisation`: a random table (Keras' default ``U(+-0.05)``) before and after
   training: PCA projections coloured by topic and the k-nearest-neighbour agreement
   :func:`knn_agreement` of each row with the topics, over seeds.
2. :func:`symmetry`: zero tables. With the first dense layer also zero, every row stays
   exactly 0 (``dE = dZ_0 @ W_0^T = 0`` and ``dW_0 = X^T dZ_0 = 0`` because ``X = 0``). With a
   random dense layer above, rows separate: row ``t`` receives ``sum_i W_0^(j) dZ_0[i]`` over
   the examples ``i`` holding ``t`` at position ``j``, and at a zero table ``dZ_0[i]`` depends
   on example ``i`` only through its label.
3. :func:`bias_table`: the zero table against the random one for hidden biases 0, 0.01, 0.1.
4. :func:`scale_sweep`: ``N(0, std^2)`` tables for stds from 0.01 to 10: loss curves over
   seeds, final kNN agreement, test accuracy and how far the table moved.
5. :func:`cooccurrence_baseline`: vectors from co-occurrence counts alone (no labels), the
   signal word2vec-style pre-training uses; here it carries no topic information.

Why: the sources argue that embeddings initialized at random and shaped by backprop specialise
to the task, unlike pre-trained word vectors (Mikolov et al. 2013); this chapter measures that
claim, what a zero table does, and what a too-large random table costs.

Shapes: token ids ``T`` ``(n, 2)``; table ``E`` ``(n_tokens, dim)``; ``X = [E[a], E[b]]``
``(n, 2 dim)``; ``Z_0 = X @ W_0 + b_0`` ``(n, hidden)``, relu; logits ``(n, n_topics)``.

Layout of the chapter: the notebook's settings (task and model sizes, epochs, seeds, SGD) go
to every experiment as keyword arguments; each run is one :func:`initlab.train.run`
(:func:`train_run`, the table measured after every epoch). Each experiment returns one dict:
its scalars are the numbers the page records, under literal keys (the per-bias and per-std
keys are listed in :data:`BIAS_KEYS` and :data:`SCALE_KEYS`), its arrays the figure data.
"Epochs to reach a level" is :func:`initlab.stats.first_reach` (never = censored), summarised
by :func:`reach`. The task and scores are in :mod:`.task`, the figures in :mod:`.figures`, the
per-row glue keys in :mod:`.keys`; the ``exercise_*`` functions are the page's "predict, then
run" cells (keys prefixed ``ex_``);
``data/reference/09_embeddings.json`` checks the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from initlab import datasets, initializers, losses, stats, sweep, train
from initlab._checks import check_int
from initlab.embedding import EmbeddingMLP
from initlab.experiments.embeddings.figures import plot_pca, plot_scales, plot_symmetry
from initlab.experiments.embeddings.keys import BIAS_COLUMNS, BIAS_KEYS, SCALE_COLUMNS, SCALE_KEYS
from initlab.experiments.embeddings.task import (
    DIM,
    N_TOKENS,
    N_TOPICS,
    cooccurrence_vectors,
    knn_agreement,
    knn_chance,
    max_pairwise_distance,
    pca_2d,
    topic_task,
)

__all__ = ["BIAS_COLUMNS", "BIAS_KEYS", "DIM", "HIDDEN", "KERAS_INIT", "N_TOKENS", "N_TOPICS",
           "SCALE_COLUMNS", "SCALE_KEYS", "ZERO_INIT", "bias_frame", "bias_table", "build_model",
           "cooccurrence_baseline", "cooccurrence_vectors", "exercise_activation",
           "exercise_scale", "knn_agreement", "knn_chance", "max_pairwise_distance",
           "organisation", "pca_2d", "plot_pca", "plot_scales", "plot_symmetry", "reach",
           "scale_frame", "scale_sweep", "symmetry", "topic_task", "train_run"]

HIDDEN = 32  # hidden units of the page's model
#: The random table of sections 1-2: Keras' Embedding default, U(-0.05, 0.05), std 0.05/sqrt(3).
KERAS_INIT: tuple[str, dict] = ("random_uniform", {"minval": -0.05, "maxval": 0.05})
ZERO_INIT: tuple[str, dict] = ("zeros", {})


# --------------------------------------------------------------------------- one run


def build_model(rng: np.random.Generator, embedding_init: tuple[str, dict], *,
                n_tokens: int = N_TOKENS, n_topics: int = N_TOPICS, dim: int = DIM,
                hidden: int = HIDDEN, hidden_bias: float = 0.01,
                zero_first_layer: bool = False, activation: str = "relu") -> EmbeddingMLP:
    """``EmbeddingMLP(n_tokens, dim, 2, [hidden], n_topics)``: table, hidden layer, logits.

    Dense weights Keras' ``he_normal``: a normal truncated at 2 std and rescaled to variance
    ``2 / fan_in`` (He et al. 2015 draw an untruncated Gaussian of that variance); hidden
    biases ``hidden_bias`` (relu'(0) = 0: with zero biases a zero table blocks every gradient),
    output biases 0. ``zero_first_layer``: set ``W_0`` (the
    layer right above the table) to zero after drawing. ``activation``: of the hidden layer.
    """
    name, params = embedding_init
    model = EmbeddingMLP(n_tokens, dim, 2, [hidden], n_topics, rng,
                         embedding_init=initializers.get(name, **params), activation=activation,
                         weight_init="he_normal",
                         bias_init=[initializers.get("constant", value=hidden_bias), "zeros"])
    if zero_first_layer:
        model.mlp.weights[0][:] = 0.0
    return model


def train_run(config: dict) -> dict:
    """One :func:`initlab.train.run` on the task of ``config["data_seed"]``, table tracked.

    ``config``: ``seed`` (init, then batch order), ``data_seed``, ``epochs``, ``lr``,
    ``batch_size``, ``n_tokens``, ``n_topics``, ``dim``, ``hidden``, ``hidden_bias``,
    ``embedding_init`` (``(name, params)`` for :func:`initlab.initializers.get`), optional
    ``zero_first_layer`` and ``activation`` (default relu). Returns per epoch (index 0 = before
    training) ``train_loss``, ``test_loss``, ``test_acc``, ``knn``, ``max_dist`` (each ``(epochs
    + 1,)``), the tables ``E0``, ``E`` ``(n_tokens, dim)`` before and after, the topics and
    ``diverged``.
    """
    c = config
    task = topic_task(np.random.default_rng(c["data_seed"]), c["n_tokens"], c["n_topics"])
    split = datasets.Split(task["T_train"], task["y_train"], task["T_test"], task["y_test"],
                           c["n_topics"], "topics")
    E0, knn, dist, test_loss = [], [], [], []

    def build(data: datasets.Split, rng: np.random.Generator) -> EmbeddingMLP:
        model = build_model(rng, c["embedding_init"], n_tokens=c["n_tokens"],
                            n_topics=c["n_topics"], dim=c["dim"], hidden=c["hidden"],
                            hidden_bias=c["hidden_bias"],
                            zero_first_layer=c.get("zero_first_layer", False),
                            activation=c.get("activation", "relu"))
        E0.append(model.E.copy())
        return model

    def on_epoch(epoch: int, m: EmbeddingMLP) -> None:
        knn.append(knn_agreement(m.E, task["topic"]))
        dist.append(max_pairwise_distance(m.E))
        test_loss.append(losses.softmax_cross_entropy(m.forward(task["T_test"], keep=False),
                                                      task["y_test"])[0])

    run = train.run(build=build, dataset=split, seed=c["seed"], epochs=c["epochs"],
                    batch_size=c["batch_size"], lr=c["lr"], on_epoch=on_epoch)
    return {"train_loss": run.epoch_loss, "test_loss": np.array(test_loss),
            "test_acc": run.test_acc, "knn": np.array(knn), "max_dist": np.array(dist),
            "E0": E0[0], "E": run.model.E.copy(), "topic": task["topic"],
            "diverged": run.diverged}


def _runs(cases: dict, *, epochs: int, n_seeds: int, lr: float, batch_size: int,
          n_tokens: int, n_topics: int, dim: int, hidden: int, hidden_bias: float,
          seed: int) -> dict[object, dict]:
    """Every case (name -> partial config) over ``n_seeds`` seeds, one task (from ``seed``).

    Returns per case the per-epoch curves stacked ``(n_seeds, epochs + 1)``, the tables of the
    runs ``E0``, ``E`` ``(n_seeds, n_tokens, dim)``, ``topic`` and ``n_diverged``.
    """
    run_seeds = sweep.seeds(check_int(seed, "seed"), n_seeds)
    base = {"data_seed": seed, "epochs": epochs, "lr": lr, "batch_size": batch_size,
            "n_tokens": n_tokens, "n_topics": n_topics, "dim": dim, "hidden": hidden,
            "hidden_bias": hidden_bias}
    configs = [{**base, "seed": s, **case} for case in cases.values() for s in run_seeds]
    out = sweep.run(train_run, configs, n_jobs=1, progress=False)
    runs = {name: out[i * n_seeds:(i + 1) * n_seeds] for i, name in enumerate(cases)}
    keys = ("train_loss", "test_loss", "test_acc", "knn", "max_dist", "E0", "E")
    return {name: {**{k: np.array([r[k] for r in rs]) for k in keys}, "topic": rs[0]["topic"],
                   "n_diverged": sum(r["diverged"] for r in rs)} for name, rs in runs.items()}


def reach(curves: np.ndarray, level: float) -> tuple[float, int]:
    """First epoch each run reaches ``level`` (:func:`initlab.stats.first_reach`, ``inf`` =
    never), summarised as ``(mean over the runs that reached it, how many did)``.

    A mean is never taken over censored runs; when no run reached the level the time recorded
    is the budget, ``n_epochs - 1`` (a lower bound, flagged by ``n_reached = 0``).
    """
    times = np.array([stats.first_reach(c, level) for c in curves])
    n_reached = stats.reach_summary(times)["n_reached"]
    reached = times[np.isfinite(times)]
    return (float(reached.mean()) if n_reached else float(curves.shape[1] - 1)), n_reached


# --------------------------------------------------------------------- 1. organisation


def organisation(*, table_init: tuple[str, dict], level: float, **settings) -> dict:
    """A random table before and after training, over seeds (``settings``: of :func:`_runs`).

    Scalars: kNN agreement with the topics and test accuracy before and after (seed means),
    the gain, the epochs to kNN agreement ``level`` (:func:`reach`), divergences, chance.
    Figure data: ``knn``, ``test_acc`` ``(n_seeds, epochs + 1)``, PCA of the first seed's
    table before and after.
    """
    r = _runs({"random": {"embedding_init": table_init}}, **settings)["random"]
    knn, acc = r["knn"], r["test_acc"]
    to_knn, n_reached = reach(knn, level)
    return {"n_seeds": len(knn), "epochs": knn.shape[1] - 1,
            "knn_chance": knn_chance(r["topic"]),
            "org_knn_before": float(knn[:, 0].mean()), "org_knn_after": float(knn[:, -1].mean()),
            "org_knn_gain": float((knn[:, -1] - knn[:, 0]).mean()),
            "org_test_acc_before": float(acc[:, 0].mean()),
            "org_test_acc_after": float(acc[:, -1].mean()),
            "org_epochs_to_knn90": to_knn, "org_n_reached_knn90": n_reached,
            "org_n_diverged": r["n_diverged"],
            "knn": knn, "test_acc": acc, "topic": r["topic"], "settings": settings,
            "pca_before": pca_2d(r["E0"][0]), "pca_after": pca_2d(r["E"][0])}


def cooccurrence_baseline(*, n_tokens: int, n_topics: int, dim: int, seed: int) -> dict:
    """kNN agreement with the topics of :func:`cooccurrence_vectors` of the training pairs."""
    task = topic_task(np.random.default_rng(check_int(seed, "seed")), n_tokens, n_topics)
    V = cooccurrence_vectors(task["T_train"], n_tokens, dim)
    return {"cooc_knn": knn_agreement(V, task["topic"])}


# ------------------------------------------------------------------------ 2. symmetry


SYMMETRY_CASES: dict[str, dict] = {
    "all_zero": {"embedding_init": ZERO_INIT, "zero_first_layer": True},
    "zero_table": {"embedding_init": ZERO_INIT},
    "random": {"embedding_init": KERAS_INIT},
}


def symmetry(*, level: float, **settings) -> dict:
    """Zero tables with a zero or a random first dense layer, and the Keras random table.

    Scalars per case: final kNN agreement and test accuracy (seed means), epochs to kNN
    agreement ``level`` and how many runs reached it (:func:`reach`), divergences; the largest
    row distance of the all-zero model at any epoch, and the smallest over seeds of the zero
    table's after one epoch and at the end. Figure data: the per-case curves of :func:`_runs`.
    """
    runs = _runs(SYMMETRY_CASES, **settings)
    z, t, r = runs["all_zero"], runs["zero_table"], runs["random"]
    (z_to, z_n), (t_to, t_n), (r_to, r_n) = (reach(x["knn"], level) for x in (z, t, r))
    return {
        "sym_all_zero_knn": float(z["knn"][:, -1].mean()),
        "sym_all_zero_test_acc": float(z["test_acc"][:, -1].mean()),
        "sym_all_zero_epochs_to_knn90": z_to, "sym_all_zero_n_reached_knn90": z_n,
        "sym_all_zero_n_diverged": z["n_diverged"],
        "sym_all_zero_max_dist": float(z["max_dist"].max()),
        "sym_zero_table_knn": float(t["knn"][:, -1].mean()),
        "sym_zero_table_test_acc": float(t["test_acc"][:, -1].mean()),
        "sym_zero_table_epochs_to_knn90": t_to, "sym_zero_table_n_reached_knn90": t_n,
        "sym_zero_table_n_diverged": t["n_diverged"],
        "sym_zero_table_min_dist_epoch1": float(t["max_dist"][:, 1].min()),
        "sym_zero_table_min_dist": float(t["max_dist"][:, -1].min()),
        "sym_random_knn": float(r["knn"][:, -1].mean()),
        "sym_random_test_acc": float(r["test_acc"][:, -1].mean()),
        "sym_random_epochs_to_knn90": r_to, "sym_random_n_reached_knn90": r_n,
        "sym_random_n_diverged": r["n_diverged"],
        "runs": runs, "pca_after": {name: pca_2d(x["E"][0]) for name, x in runs.items()},
    }


def bias_table(*, biases: Sequence[float], level: float, **settings) -> dict:
    """Zero table (random ``W_0``) against the Keras random table, per hidden bias.

    ``rows[(bias, table)]``: the :data:`BIAS_COLUMNS` (seed means of the final values, epochs
    to kNN agreement ``level`` by :func:`reach`). Every row named in :data:`BIAS_KEYS` is also
    a scalar under its glue keys; other biases are in ``rows`` only.
    """
    out: dict = {"rows": {}}
    for b in (float(b) for b in biases):
        runs = _runs({"zero_table": {"embedding_init": ZERO_INIT, "hidden_bias": b},
                      "random": {"embedding_init": KERAS_INIT, "hidden_bias": b}}, **settings)
        for table, r in runs.items():
            row = (float(r["knn"][:, -1].mean()), float(r["test_acc"][:, -1].mean()),
                   *reach(r["knn"], level), float(r["max_dist"][:, -1].mean()))
            out["rows"][b, table] = dict(zip(BIAS_COLUMNS, row, strict=True))
            out.update(zip(BIAS_KEYS.get((b, table), ()), row, strict=False))
    return out


def _formatted(frame: pd.DataFrame, formats: dict[str, str]) -> pd.DataFrame:
    """``frame`` with each column written as text by ``format(value, formats[column])``: the
    same rounding as the page's glued numbers (``DataFrame.round`` rounds half to even on the
    binary value, so 0.2805 would read 0.280 in the table and 0.281 in the text)."""
    return frame.apply(lambda col: col.map(lambda v: format(v, formats[col.name])))


def bias_frame(bias: dict) -> pd.DataFrame:
    """:func:`bias_table`'s rows as a table, written with the page's roundings."""
    frame = pd.DataFrame(bias["rows"]).T.rename_axis(["hidden bias", "table"])
    return _formatted(frame, dict(zip(BIAS_COLUMNS, (".3f", ".3f", ".1f", ".0f", ".3g"),
                                      strict=True)))


# ---------------------------------------------------------------------- 3. init scale


def scale_sweep(*, scales: Sequence[float], level: float, **settings) -> dict:
    """``N(0, std^2)`` tables for each std in ``scales``, over seeds.

    ``rows[std]``: the :data:`SCALE_COLUMNS`, seed means; the move is the RMS change of the
    table ``||E - E0||_F / sqrt(n_tokens)``, the relative move that over
    ``||E0||_F / sqrt(n_tokens)``. Scalars: each std of :data:`SCALE_KEYS` under its glue keys;
    ``scale_move_slope``, the least-squares slope of ``log mean(rel move)`` on ``log std``
    (``-1`` if the table moves by the same amount whatever its initial size);
    ``scale_loss_ratio``, final loss at the largest std over that at the smallest.
    """
    scales = [float(s) for s in scales]
    runs = _runs({s: {"embedding_init": ("random_normal", {"stddev": s})} for s in scales},
                 **settings)
    out: dict = {"rows": {}, "runs": runs,
                 "pca_after": {s: pca_2d(r["E"][0]) for s, r in runs.items()},
                 "scale_n_diverged": sum(r["n_diverged"] for r in runs.values())}
    for s, r in runs.items():
        root_n = np.sqrt(settings["n_tokens"])
        move = np.array([np.linalg.norm(E - E0) for E, E0 in zip(r["E"], r["E0"], strict=True)])
        size = np.array([np.linalg.norm(E0) for E0 in r["E0"]]) / root_n  # RMS row of E0
        move = move / root_n                                                # RMS row change
        row = (float(r["train_loss"][:, 0].mean()), float(r["train_loss"][:, -1].mean()),
               *reach(r["test_acc"], level), float(r["knn"][:, -1].mean()),
               float(r["test_acc"][:, -1].mean()), float(move.mean()), float((move / size).mean()))
        out["rows"][s] = dict(zip(SCALE_COLUMNS, row, strict=True))
        out.update(zip(SCALE_KEYS.get(s, ()), row, strict=False))
    rel = [out["rows"][s]["relative move"] for s in scales]
    out["scale_move_slope"] = stats.log_slope(np.log(scales), rel)
    out["scale_loss_ratio"] = (out["rows"][max(scales)]["final loss"]
                               / out["rows"][min(scales)]["final loss"])
    return out


def scale_frame(sweep_out: dict) -> pd.DataFrame:
    """:func:`scale_sweep`'s rows as a table (one row per std), with the page's roundings."""
    frame = pd.DataFrame(sweep_out["rows"]).T.rename_axis("std")
    return _formatted(frame, dict(zip(SCALE_COLUMNS, (".4g", ".3g", ".1f", ".0f", ".3f", ".3f",
                                                      ".2f", ".3g"), strict=True)))


# ------------------------------------------------------------------ predict, then run


def exercise_activation(*, activation: str, **settings) -> dict:
    """Exercise: a zero table under a random layer with zero hidden biases, another activation.

    With every hidden pre-activation ``Z_0 = 0``, the gradient reaching the table is
    ``dZ_0 W_0^T`` with ``dZ_0 = (dL/dh) * f'(0)``: 0 for relu (``relu'(0) = 0``, the table never
    moves), nonzero for tanh (``tanh'(0) = 1``, rows separate). First seed only.
    """
    case = {"embedding_init": ZERO_INIT, "hidden_bias": 0.0, "activation": activation}
    r = _runs({"zero": case}, **{**settings, "n_seeds": 1})["zero"]
    return {"ex_act_activation": activation, "ex_act_max_dist": float(r["max_dist"][0, -1]),
            "ex_act_max_dist_epoch1": float(r["max_dist"][0, 1]),
            "ex_act_knn": float(r["knn"][0, -1]), "ex_act_test_acc": float(r["test_acc"][0, -1])}


def exercise_scale(*, std: float, level: float, **settings) -> dict:
    """Exercise: an ``N(0, std^2)`` table against an ``N(0, 0.01^2)`` one, first seed only.

    :func:`scale_sweep` on ``[0.01, std]``. The table moves by about the same RMS amount per row
    whatever its size, so the prediction for the relative move is the small table's scaled by
    ``0.01 / std``.
    """
    small, std = 0.01, float(std)
    if not std > small:
        raise ValueError(f"`std` must be larger than {small}, got {std!r}")
    rows = scale_sweep(scales=[small, std], level=level, **{**settings, "n_seeds": 1})["rows"]
    return {"ex_scale_std": std, "ex_scale_move_small": rows[small]["move"],
            "ex_scale_move": rows[std]["move"], "ex_scale_rel_move": rows[std]["relative move"],
            "ex_scale_rel_move_theory": rows[small]["relative move"] * small / std,
            "ex_scale_knn": rows[std]["kNN agreement"],
            "ex_scale_test_acc": rows[std]["test accuracy"]}
