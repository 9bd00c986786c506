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
Every function takes an explicit ``seed`` and ``smoke`` flag and returns a plain dict of
floats and ndarrays; ``plot_*`` functions turn those into figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import initializers, losses, sweep, train
from initlab._checks import check_int, check_rng
from initlab.embedding import EmbeddingMLP

N_TOKENS, N_TOPICS, DIM, HIDDEN = 40, 4, 16, 32
TRAIN_FRAC, LR, BATCH_SIZE, K_NEIGHBOURS = 0.5, 0.1, 32, 5
HIDDEN_BIAS = 0.01   # relu'(0) = 0: a zero table with zero biases would block every gradient
#: The random table of sections 1-2: Keras' Embedding default, U(-0.05, 0.05), std 0.05/sqrt(3).
KERAS_INIT: tuple[str, dict] = ("random_uniform", {"minval": -0.05, "maxval": 0.05})
ZERO_INIT: tuple[str, dict] = ("zeros", {})
SCALES = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def _settings(smoke: bool) -> tuple[int, int]:
    """``(epochs, n_seeds)``: (60, 2) in smoke mode, (100, 10) in full mode."""
    return (60, 2) if smoke else (100, 10)


# ------------------------------------------------------------------------ task and scores


def topic_task(rng: np.random.Generator, n_tokens: int = N_TOKENS, n_topics: int = N_TOPICS,
               train_frac: float = TRAIN_FRAC) -> dict:
    """Every pair of words, labelled ``(topic[a] + topic[b]) mod n_topics``, split at random.

    ``topic``: ``(n_tokens,)``, a random permutation of ``arange(n_tokens) % n_topics`` (each
    topic has ``n_tokens / n_topics`` words). All ``n_tokens^2`` ordered pairs ``(a, b)`` are
    shuffled; the first ``train_frac`` of them are ``T_train`` ``(n_train, 2)``, the rest
    ``T_test``, with labels ``y_train``, ``y_test``.
    """
    check_rng(rng)
    n_topics = check_int(n_topics, "n_topics", minimum=2)
    n_tokens = check_int(n_tokens, "n_tokens", minimum=n_topics)
    if n_tokens % n_topics:
        raise ValueError(f"`n_tokens` must be a multiple of n_topics={n_topics}, got {n_tokens}")
    if not 0.0 < train_frac < 1.0:
        raise ValueError(f"`train_frac` must be in (0, 1), got {train_frac!r}")
    topic = rng.permutation(np.arange(n_tokens) % n_topics)
    a, b = np.divmod(np.arange(n_tokens**2), n_tokens)
    T = np.stack([a, b], axis=1)[rng.permutation(n_tokens**2)]
    y = (topic[T[:, 0]] + topic[T[:, 1]]) % n_topics
    n_train = round(train_frac * len(T))
    return {"topic": topic, "n_topics": n_topics, "T_train": T[:n_train], "y_train": y[:n_train],
            "T_test": T[n_train:], "y_test": y[n_train:]}


def _sq_distances(E: np.ndarray) -> np.ndarray:
    """``(n, n)`` squared Euclidean distances between the rows of ``E`` ``(n, dim)``."""
    diff = E[:, None, :] - E[None, :, :]
    return np.einsum("ijk,ijk->ij", diff, diff)


def knn_agreement(E: np.ndarray, labels: np.ndarray, k: int = K_NEIGHBOURS) -> float:
    """Mean over rows of the fraction of its ``k`` nearest other rows that share its label.

    ``E``: ``(n, dim)``; ``labels``: ``(n,)``. Euclidean distance; ties broken by row index.
    For rows in general position unrelated to the labels the expectation is
    :func:`knn_chance` (each neighbour is a uniformly random other row).
    """
    E = np.asarray(E, dtype=np.float64)
    labels = np.asarray(labels)
    k = check_int(k, "k", minimum=1)
    if E.ndim != 2 or labels.shape != (len(E),) or not k < len(E):
        raise ValueError(f"need E (n, dim), labels (n,) and k < n; got E {E.shape}, "
                         f"labels {labels.shape}, k={k}")
    D = _sq_distances(E)
    np.fill_diagonal(D, np.inf)
    nearest = np.argsort(D, axis=1, kind="stable")[:, :k]
    return float(np.mean(labels[nearest] == labels[:, None]))


def knn_chance(labels: np.ndarray) -> float:
    """Expected :func:`knn_agreement` of random rows: ``sum_c n_c (n_c - 1) / (n (n - 1))``."""
    counts = np.unique(np.asarray(labels), return_counts=True)[1]
    n = counts.sum()
    return float(np.sum(counts * (counts - 1)) / (n * (n - 1)))


def max_pairwise_distance(E: np.ndarray) -> float:
    """``max_{s,t} ||E[s] - E[t]||``: exactly 0 iff every row is the same vector."""
    return float(np.sqrt(_sq_distances(np.asarray(E, dtype=np.float64)).max()))


def pca_2d(E: np.ndarray) -> np.ndarray:
    """``(n, 2)``: the rows of ``E`` ``(n, dim)``, centred, on their top two principal axes.

    ``E - mean = U S V^T`` (SVD); the projection is ``(E - mean) @ V[:, :2] = U[:, :2] S[:2]``.
    Each axis' sign is fixed so that its largest-magnitude coordinate is positive.
    """
    Ec = np.asarray(E, dtype=np.float64) - np.mean(E, axis=0)
    U, S, _ = np.linalg.svd(Ec, full_matrices=False)
    P = U[:, :2] * S[:2]
    signs = np.sign(P[np.argmax(np.abs(P), axis=0), [0, 1]])
    return P * np.where(signs == 0, 1.0, signs)


# --------------------------------------------------------------------------- one run


def build_model(rng: np.random.Generator, embedding_init: tuple[str, dict],
                hidden_bias: float = HIDDEN_BIAS, zero_first_layer: bool = False) -> EmbeddingMLP:
    """``EmbeddingMLP(N_TOKENS, DIM, 2, [HIDDEN], N_TOPICS)``: table, relu layer, logits.

    Dense weights He-normal; hidden biases ``hidden_bias``, output biases 0.
    ``zero_first_layer``: set ``W_0`` (the layer right above the table) to zero after drawing.
    """
    name, params = embedding_init
    model = EmbeddingMLP(N_TOKENS, DIM, 2, [HIDDEN], N_TOPICS, rng,
                         embedding_init=initializers.get(name, **params), activation="relu",
                         weight_init="he_normal",
                         bias_init=[initializers.get("constant", value=hidden_bias), "zeros"])
    if zero_first_layer:
        model.mlp.weights[0][:] = 0.0
    return model


def train_run(config: dict) -> dict:
    """Train one model on the task of ``config["data_seed"]`` and track its table per epoch.

    ``config``: ``seed`` (init and batch order), ``data_seed``, ``epochs``, ``embedding_init``
    (``(name, params)`` for :func:`initlab.initializers.get`), optional ``hidden_bias``,
    ``zero_first_layer``. Returns per epoch (index 0 = before training) ``train_loss``,
    ``test_loss``, ``test_acc``, ``knn``, ``max_dist`` (each ``(epochs + 1,)``), the tables
    ``E0``, ``E`` ``(N_TOKENS, DIM)`` before and after, the topics and ``diverged``.
    """
    task = topic_task(np.random.default_rng(config["data_seed"]))
    rng = np.random.default_rng(config["seed"])
    model = build_model(rng, config["embedding_init"], config.get("hidden_bias", HIDDEN_BIAS),
                        config.get("zero_first_layer", False))
    E0 = model.E.copy()
    knn, dist, test_loss = [], [], []

    def on_epoch(epoch: int, m: EmbeddingMLP) -> None:
        knn.append(knn_agreement(m.E, task["topic"]))
        dist.append(max_pairwise_distance(m.E))
        test_loss.append(losses.softmax_cross_entropy(m.forward(task["T_test"], keep=False),
                                                      task["y_test"])[0])

    hist = train.train(model, task["T_train"], task["y_train"], rng=rng,
                       epochs=config["epochs"], batch_size=BATCH_SIZE, lr=LR,
                       X_test=task["T_test"], y_test=task["y_test"], track_layer_norms=False,
                       on_epoch=on_epoch, progress=False)
    return {"train_loss": np.array(hist.epoch_loss), "test_loss": np.array(test_loss),
            "test_acc": np.array(hist.test_acc), "knn": np.array(knn), "max_dist": np.array(dist),
            "E0": E0, "E": model.E.copy(), "topic": task["topic"], "diverged": hist.diverged}


def _runs(seed: int, smoke: bool, cases: dict[str, dict]) -> dict[str, list[dict]]:
    """Every case of ``cases`` (name -> partial config) over the mode's seeds, one task."""
    seed = check_int(seed, "seed")
    epochs, n_seeds = _settings(smoke)
    run_seeds = sweep.seeds(seed, n_seeds)
    configs = [{"seed": s, "data_seed": seed, "epochs": epochs, **case}
               for case in cases.values() for s in run_seeds]
    out = sweep.run(train_run, configs, n_jobs=1, progress=False)
    return {name: out[i * n_seeds:(i + 1) * n_seeds] for i, name in enumerate(cases)}


def _stack(runs: list[dict], key: str) -> np.ndarray:
    """``(n_seeds, epochs + 1)`` array of per-epoch ``key`` over runs."""
    return np.array([r[key] for r in runs])


def first_epoch_reaching(curves: np.ndarray, level: float) -> np.ndarray:
    """Per row of ``curves`` ``(n_seeds, n_epochs)``: first epoch index with value >= ``level``.

    Rows that never reach it get ``n_epochs`` (one past the last index).
    """
    hit = np.asarray(curves) >= level
    return np.where(hit.any(axis=1), hit.argmax(axis=1), hit.shape[1])


# --------------------------------------------------------------------- 1. organisation


def organisation(seed: int, smoke: bool) -> dict:
    """A Keras-default random table before and after training, over the mode's seeds.

    Returns ``knn`` ``(n_seeds, epochs + 1)``, ``test_acc`` likewise, ``knn_chance``, and for
    the first seed ``pca_before``/``pca_after`` ``(N_TOKENS, 2)`` with its ``topic``.
    """
    runs = _runs(seed, smoke, {"random": {"embedding_init": KERAS_INIT}})["random"]
    first = runs[0]
    return {"knn": _stack(runs, "knn"), "test_acc": _stack(runs, "test_acc"),
            "train_loss": _stack(runs, "train_loss"), "topic": first["topic"],
            "knn_chance": knn_chance(first["topic"]), "pca_before": pca_2d(first["E0"]),
            "pca_after": pca_2d(first["E"]), "n_seeds": len(runs),
            "epochs": np.arange(len(first["knn"])),
            "n_diverged": sum(r["diverged"] for r in runs)}


def cooccurrence_vectors(T: np.ndarray, n_tokens: int = N_TOKENS, dim: int = DIM) -> np.ndarray:
    """``(n_tokens, dim)`` word vectors from co-occurrence counts alone, without the labels.

    ``C[s, t]`` counts the pairs of ``T`` ``(n, 2)`` holding ``s`` and ``t`` (either order);
    ``C = U S U^T`` (symmetric eigendecomposition, largest ``|S|`` first) and the vectors are
    ``U[:, :dim] * sqrt(|S[:dim]|)``: the count-based cousin of word2vec's objective
    (Levy and Goldberg 2014 show skip-gram factorises a shifted PMI matrix).
    """
    T = np.asarray(T)
    C = np.zeros((n_tokens, n_tokens))
    np.add.at(C, (T[:, 0], T[:, 1]), 1.0)
    C = C + C.T
    S, U = np.linalg.eigh(C)
    top = np.argsort(-np.abs(S), kind="stable")[:dim]
    return U[:, top] * np.sqrt(np.abs(S[top]))


def cooccurrence_baseline(seed: int) -> dict:
    """kNN agreement with the topics of :func:`cooccurrence_vectors` of the training pairs."""
    task = topic_task(np.random.default_rng(check_int(seed, "seed")))
    V = cooccurrence_vectors(task["T_train"])
    return {"knn": knn_agreement(V, task["topic"]), "knn_chance": knn_chance(task["topic"])}


# ------------------------------------------------------------------------ 2. symmetry


SYMMETRY_CASES: dict[str, dict] = {
    "all_zero": {"embedding_init": ZERO_INIT, "zero_first_layer": True},
    "zero_table": {"embedding_init": ZERO_INIT},
    "random": {"embedding_init": KERAS_INIT},
}
SYMMETRY_LABELS = {"all_zero": "zero table, zero W_0 above",
                   "zero_table": "zero table, random W_0 above",
                   "random": "random table U(±0.05), random W_0"}
SYMMETRY_COLORS = {"all_zero": "C2", "zero_table": "C1", "random": "C0"}


def symmetry(seed: int, smoke: bool) -> dict:
    """Zero tables with a zero or a random first dense layer, and the random table.

    Per case: ``knn``, ``max_dist``, ``test_acc``, ``train_loss`` ``(n_seeds, epochs + 1)``;
    ``pca_after`` of the first seed; ``epochs_to_knn90`` ``(n_seeds,)``
    (:func:`first_epoch_reaching` 0.9).
    """
    runs = _runs(seed, smoke, SYMMETRY_CASES)
    out: dict = {"topic": runs["random"][0]["topic"],
                 "epochs": np.arange(len(runs["random"][0]["knn"])),
                 "n_seeds": len(runs["random"])}
    for name, rs in runs.items():
        out[name] = {key: _stack(rs, key) for key in ("knn", "max_dist", "test_acc",
                                                       "train_loss")}
        out[name]["pca_after"] = pca_2d(rs[0]["E"])
        out[name]["epochs_to_knn90"] = first_epoch_reaching(out[name]["knn"], 0.9)
        out[name]["n_diverged"] = sum(r["diverged"] for r in rs)
    return out


def bias_table(seed: int, smoke: bool, biases: Sequence[float] = (0.0, 0.01, 0.1)) -> dict:
    """Zero table (random ``W_0``) against the Keras random table, per hidden bias.

    ``rows[(bias, init)]`` with init in ``("zero_table", "random")``: mean over seeds of the
    final ``knn`` and ``test_acc``, of ``epochs_to_knn90`` and of the final ``max_dist``.
    """
    cases = {(float(b), name): {"embedding_init": init, "hidden_bias": float(b)}
             for b in biases for name, init in (("zero_table", ZERO_INIT),
                                                ("random", KERAS_INIT))}
    runs = _runs(seed, smoke, cases)
    rows = {}
    for key, rs in runs.items():
        knn = _stack(rs, "knn")
        rows[key] = {"knn": float(knn[:, -1].mean()),
                     "test_acc": float(_stack(rs, "test_acc")[:, -1].mean()),
                     "epochs_to_knn90": float(first_epoch_reaching(knn, 0.9).mean()),
                     "max_dist": float(_stack(rs, "max_dist")[:, -1].mean())}
    return {"biases": [float(b) for b in biases], "rows": rows, "epochs": _settings(smoke)[0]}


# ---------------------------------------------------------------------- 3. init scale


def scale_sweep(seed: int, smoke: bool, scales: Sequence[float] = SCALES) -> dict:
    """``N(0, std^2)`` tables for each std in ``scales``, over the mode's seeds.

    Per std: ``train_loss``, ``test_loss``, ``test_acc``, ``knn`` ``(n_seeds, epochs + 1)``;
    ``move`` ``(n_seeds,)`` the RMS change of the table ``||E - E0||_F / sqrt(N_TOKENS)`` and
    ``rel_move`` ``(n_seeds,)`` that change over ``||E0||_F / sqrt(N_TOKENS)``; ``pca_after``
    of the first seed. ``move_slope``: least-squares slope of ``log mean(rel_move)`` against
    ``log std`` (``-1`` if the table moves by the same amount whatever its initial size).
    """
    scales = [float(s) for s in scales]
    cases = {s: {"embedding_init": ("random_normal", {"stddev": s})} for s in scales}
    runs = _runs(seed, smoke, cases)
    out: dict = {"scales": scales, "epochs": np.arange(len(runs[scales[0]][0]["knn"])),
                 "n_seeds": len(runs[scales[0]])}
    for s, rs in runs.items():
        r = {key: _stack(rs, key) for key in ("train_loss", "test_loss", "test_acc", "knn")}
        move = np.array([np.linalg.norm(x["E"] - x["E0"]) for x in rs]) / np.sqrt(N_TOKENS)
        size = np.array([np.linalg.norm(x["E0"]) for x in rs]) / np.sqrt(N_TOKENS)
        r["move"], r["rel_move"] = move, move / size
        r["n_diverged"] = sum(x["diverged"] for x in rs)
        r["pca_after"] = pca_2d(rs[0]["E"])
        out[s] = r
    # relative move ~ std^slope: the update of E does not contain E, so expect slope ~ -1
    mean_rel = [out[s]["rel_move"].mean() for s in scales]
    out["move_slope"] = float(np.polyfit(np.log(scales), np.log(mean_rel), 1)[0])
    return out


# ---------------------------------------------------------------------------- figures


def _scatter_topics(ax: plt.Axes, P: np.ndarray, topic: np.ndarray, title: str) -> None:
    for c in range(int(topic.max()) + 1):
        ax.scatter(*P[topic == c].T, s=28, color=f"C{c}", label=f"topic {c}",
                   edgecolor="white", linewidth=0.5)
    ax.set(title=title, xlabel="principal axis 1", ylabel="principal axis 2")


def plot_pca(org: dict, sym: dict, scales_out: dict) -> Figure:
    """Top-two PCA projections of tables, coloured by topic, 2 x 2 panels.

    Random U(+-0.05) table before and after training, zero table (random ``W_0`` above) after,
    and the largest-std table of ``scales_out`` after training; first seed of each.
    """
    fig, axes = plt.subplots(2, 2, figsize=(10, 8.4))
    knn = org["knn"][0]
    n_epochs = len(knn) - 1
    big = max(scales_out["scales"])
    _scatter_topics(axes[0, 0], org["pca_before"], org["topic"],
                    f"Random U(±0.05) table, before training\nkNN agreement {knn[0]:.2f}")
    _scatter_topics(axes[0, 1], org["pca_after"], org["topic"],
                    f"Same table after {n_epochs} epochs\nkNN agreement {knn[-1]:.2f}")
    zk = sym["zero_table"]["knn"][0, -1]
    _scatter_topics(axes[1, 0], sym["zero_table"]["pca_after"], sym["topic"],
                    f"Zero table (random W_0 above), after {n_epochs} epochs\n"
                    f"kNN agreement {zk:.2f}")
    bk = scales_out[big]["knn"][0, -1]
    _scatter_topics(axes[1, 1], scales_out[big]["pca_after"], sym["topic"],
                    f"N(0, {big:g}²) table, after {n_epochs} epochs\nkNN agreement {bk:.2f}")
    axes[0, 0].legend(fontsize=8, loc="best")
    fig.suptitle(f"{N_TOKENS} words in {N_TOPICS} hidden topics, {DIM}-d table, first seed "
                 f"(chance kNN agreement {org['knn_chance']:.2f})")
    fig.tight_layout()
    return fig


def _band(ax: plt.Axes, x: np.ndarray, Y: np.ndarray, color: str, label: str,
          ls: str = "-") -> None:
    m = Y.mean(axis=0)
    ax.plot(x, m, color=color, ls=ls, label=label)
    if len(Y) > 1:
        ax.fill_between(x, Y.min(axis=0), Y.max(axis=0), color=color, alpha=0.2, lw=0)


def plot_symmetry(sym: dict, chance: float, floor: float = 1e-18) -> Figure:
    """Left: kNN agreement per epoch; right: max row distance (log, exact 0 on a floor line)."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    ep = sym["epochs"]
    for name in SYMMETRY_CASES:
        c, lab = SYMMETRY_COLORS[name], SYMMETRY_LABELS[name]
        _band(ax, ep, sym[name]["knn"], c, lab)
        _band(bx, ep, np.maximum(sym[name]["max_dist"], floor), c, lab)
    ax.axhline(chance, color="0.5", ls=":", label=f"chance {chance:.2f}")
    ax.set(title=f"Rows grouped by topic ({sym['n_seeds']} seeds, mean, min-max band)",
           xlabel="epoch", ylabel=f"kNN agreement with topics (k={K_NEIGHBOURS})", ylim=(0, 1.02))
    bx.set_yscale("log")
    bx.axhline(floor, color=SYMMETRY_COLORS["all_zero"], ls=":", lw=1)
    bx.text(ep[-1], floor * 8, "exactly 0 (drawn at 1e-18)", ha="right", va="bottom",
            color=SYMMETRY_COLORS["all_zero"], fontsize=8)
    bx.set(title="Largest distance between two rows of the table", xlabel="epoch",
           ylabel="max ||E[s] - E[t]|| (log)", ylim=(floor / 10, None))
    ax.legend(fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


def plot_scales(sweep_out: dict, chance: float) -> Figure:
    """Left: training loss per epoch per std (seed bands); right: final kNN, test acc vs std."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.3))
    scales = sweep_out["scales"]
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(scales)))
    x = sweep_out["epochs"] + 1
    for s, c in zip(scales, colors, strict=True):
        _band(ax, x, sweep_out[s]["train_loss"], c, f"std {s:g}")
    ax.axhline(np.log(N_TOPICS), color="0.5", ls=":", label=f"ln {N_TOPICS} (uniform guess)")
    ax.set(xscale="log", yscale="log", xlabel="epoch + 1 (log)", ylabel="training loss (log)",
           title=f"Training loss, N(0, std²) tables ({sweep_out['n_seeds']} seeds, min-max)")
    ax.legend(fontsize=8, ncol=2, loc="lower left")
    for key, marker, lab in (("knn", "o", "kNN agreement"),
                             ("test_acc", "s", "test accuracy, unseen pairs")):
        vals = np.array([sweep_out[s][key][:, -1] for s in scales])      # (n_scales, n_seeds)
        for j in range(vals.shape[1]):
            bx.scatter(scales, vals[:, j], marker=marker, color="C0" if key == "knn" else "C2",
                       alpha=0.35, s=16)
        bx.plot(scales, vals.mean(axis=1), marker=marker, color="C0" if key == "knn" else "C2",
                label=f"{lab} (mean; dots: seeds)")
    bx.axhline(chance, color="0.5", ls=":", label="chance")
    bx.axvline(0.05 / np.sqrt(3), color="0.3", ls="--", lw=1)
    bx.axvline(1.0, color="0.3", ls="--", lw=1)
    bx.text(0.05 / np.sqrt(3), 0.04, " Keras", fontsize=8)
    bx.text(1.0, 0.04, " PyTorch", fontsize=8)
    bx.set(xscale="log", ylim=(0, 1.02), xlabel="std of the initial table (log)",
           ylabel="after the last epoch",
           title=f"After {int(sweep_out['epochs'][-1])} epochs")
    bx.legend(fontsize=8, loc="center left", bbox_to_anchor=(0.0, 0.62))
    fig.tight_layout()
    return fig
