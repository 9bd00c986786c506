"""Chapter 1, SGD and randomness: the experiments behind the page.

What: minibatch SGD draws random numbers in two places, the initial weights and the order in
which each epoch visits the training examples (Goodfellow et al. 2016, sec. 8.1.3 and 8.4).
The same network, trained on the same digits with the same hyperparameters, therefore ends
at a different set of weights with a different test accuracy every time it is run.

1. :func:`streams`, :func:`stream_reuse`, :func:`shuffle_order_entangled`: one integer seed
   becomes independent random streams for the data split, the init and the shuffle via
   ``numpy.random.SeedSequence(seed).spawn(...)``; what goes wrong with ``seed + i`` schemes
   and with one generator shared by init and shuffle.
2. :func:`seed_grid`: a ``K x K`` grid of runs, init stream ``i`` times shuffle stream ``j``.
   Its diagonal is what ``K`` ordinary seeds give (both sources vary), row 0 varies only the
   shuffle (init fixed), column 0 only the init (shuffle fixed); all rows and columns give the
   same two spreads averaged over the fixed seed.
3. :func:`twin_runs`: bit-for-bit reproducibility (same seeds twice: ``max |dtheta| = 0``) and
   how far a run moves from its twin when every initial weight moves by one unit in the last place,
   the shuffle differs, or the init differs.

Why: run-to-run spread is the yardstick for every comparison in this book; the chapter
measures it, splits it by source, and shows that fixing the seeds makes a run exactly
repeatable (on one BLAS thread).

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples; a run's parameters are flattened
into one vector ``theta`` of ``n_params`` entries (W0, b0, W1, b1). Every function takes an
explicit ``seed`` and (where it trains) ``smoke`` flag and returns a plain dict of numbers and
ndarrays; ``plot_*`` functions turn those into figures.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from initlab import datasets, network, train
from initlab._checks import check_int, check_positive

#: The network and optimizer every run of the chapter uses: one hidden ReLU layer of 32 units,
#: He-normal weights, zero biases, plain SGD (no momentum), 30 epochs.
SIZES = (64, 32, 10)
ACTIVATION = "relu"
WEIGHT_INIT = "he_normal"
LR = 0.05
BATCH_SIZE = 32
EPOCHS = 30

#: Condition name -> (plot label, colour); "both" = the grid's diagonal, "shuffle" = row 0
#: (init fixed), "init" = column 0 (shuffle fixed).
CONDITIONS = {
    "both": ("init and shuffle\nboth vary", "C0"),
    "init": ("only the init varies\n(shuffle seed fixed)", "C1"),
    "shuffle": ("only the shuffle varies\n(init seed fixed)", "C2"),
}


def n_seeds(smoke: bool) -> int:
    """Seeds per condition: 6 in smoke mode, 24 in full mode (the grid has ``n^2`` runs)."""
    return 6 if smoke else 24


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
    the generator's state, so no two streams coincide, and the first ``n`` children do not
    depend on ``n``. Pass each to ``np.random.default_rng``.
    """
    seed = check_int(seed, "seed")
    n = check_int(n, "n", minimum=1)
    data, init_root, shuffle_root = np.random.SeedSequence(seed).spawn(3)
    return Streams(data, init_root.spawn(n), shuffle_root.spawn(n))


def _state(seq: np.random.SeedSequence) -> tuple[int, ...]:
    """The first 256 bits a stream's generator is seeded with: equal tuples = the same stream."""
    return tuple(int(w) for w in seq.generate_state(4, np.uint64))


def stream_reuse(seed: int, n: int) -> dict:
    """Count streams used twice: ``seed + i`` arithmetic versus ``SeedSequence.spawn``.

    Naive scheme: run ``i`` of an experiment with base seed ``b`` draws its init from
    ``default_rng(b + i)`` and its shuffle from ``default_rng(b + i + 1)``. Within one
    experiment the shuffle of run ``i`` then *is* the init of run ``i + 1`` (``n - 1`` streams
    used twice); a second experiment with base ``b + 1`` shares ``n`` streams with the first.
    Spawn scheme: :func:`streams` of ``seed`` and of ``seed + 1``. A stream is identified by
    the state its generator is seeded with (:func:`_state`), so the counts are measured, not
    asserted. Returns ``naive_within``, ``naive_across``, ``spawn_within``, ``spawn_across``.
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

    out = {}
    for name, scheme in (("naive", naive), ("spawn", spawned)):
        a, b = scheme(seed), scheme(seed + 1)
        out[f"{name}_within"] = len(a) - len(set(a))
        out[f"{name}_across"] = len(set(a) & set(b))
    return out


def shuffle_order_entangled(seed: int, n_train: int = 1347, widths: tuple = (32, 33)) -> dict:
    """Does the first epoch's data order change when only the hidden width changes?

    Shared: one ``default_rng(seed)`` draws the weights of a ``(64, width, 10)`` MLP and then
    the permutation, so the order depends on how many numbers the init consumed. Split: init
    and shuffle draw from the two streams of :func:`streams`, so the order cannot depend on
    the architecture. Returns ``shared_changes`` and ``split_changes`` (bools).
    """
    seed = check_int(seed, "seed")
    n_train = check_int(n_train, "n_train", minimum=2)
    s = streams(seed, 1)
    orders: dict[str, list[np.ndarray]] = {"shared": [], "split": []}
    for width in widths:
        rng = np.random.default_rng(seed)
        network.MLP((64, width, 10), rng, activation=ACTIVATION, weight_init=WEIGHT_INIT)
        orders["shared"].append(rng.permutation(n_train))
        network.MLP((64, width, 10), np.random.default_rng(s.init[0]), activation=ACTIVATION,
                    weight_init=WEIGHT_INIT)
        orders["split"].append(np.random.default_rng(s.shuffle[0]).permutation(n_train))
    return {f"{k}_changes": not all(np.array_equal(v[0], o) for o in v[1:])
            for k, v in orders.items()}


# ----------------------------------------------------------------------------- one run


def flat_parameters(model: network.MLP) -> np.ndarray:
    """``theta``: every weight and bias of ``model`` in one ``(n_params,)`` vector (a copy)."""
    return np.concatenate([p.ravel() for p in model.parameters()])


def train_run(data: datasets.Split, init_seq: np.random.SeedSequence,
              shuffle_seq: np.random.SeedSequence, epochs: int = EPOCHS,
              nudge_ulps: int = 0, snapshots: bool = False) -> dict:
    """Train the chapter's MLP once: init from ``init_seq``, epoch orders from ``shuffle_seq``.

    ``nudge_ulps``: after the init, move every weight that many units in the last place up
    (``np.nextafter``): the smallest change float64 allows, the size of the rounding
    difference another summation order (another BLAS, another thread count) would make.
    Returns per epoch (index 0 = before training) ``test_acc``, ``train_acc``,
    ``epoch_loss`` (each ``(epochs + 1,)``), the final ``theta`` ``(n_params,)``, the largest
    weight change of the nudge ``nudge_size`` and, with ``snapshots``, ``thetas``
    ``(epochs + 1, n_params)``. A run whose loss stops being finite raises RuntimeError
    (at lr 0.05 none does).
    """
    epochs = check_int(epochs, "epochs", minimum=1)
    nudge_ulps = check_int(nudge_ulps, "nudge_ulps")
    model = network.MLP(SIZES, np.random.default_rng(init_seq), activation=ACTIVATION,
                        weight_init=WEIGHT_INIT)
    before = [W.copy() for W in model.weights]
    for W in model.weights:
        for _ in range(nudge_ulps):
            W[...] = np.nextafter(W, np.inf)
    nudge_size = max(float(np.abs(W - W0).max()) for W, W0 in zip(model.weights, before,
                                                                   strict=True))
    thetas: list[np.ndarray] = []
    hist = train.train(model, data.X_train, data.y_train, rng=np.random.default_rng(shuffle_seq),
                       epochs=epochs, batch_size=BATCH_SIZE, lr=LR, X_test=data.X_test,
                       y_test=data.y_test, track_layer_norms=False, progress=False,
                       on_epoch=(lambda e, m: thetas.append(flat_parameters(m)))
                       if snapshots else None)
    if hist.diverged:
        raise RuntimeError(f"run with init {init_seq.spawn_key} and shuffle "
                           f"{shuffle_seq.spawn_key} diverged at step {hist.diverged_at}")
    out = {"test_acc": np.array(hist.test_acc), "train_acc": np.array(hist.train_acc),
           "epoch_loss": np.array(hist.epoch_loss), "theta": flat_parameters(model),
           "nudge_size": nudge_size}
    if snapshots:
        out["thetas"] = np.array(thetas)
    return out


def relative_distance(theta: np.ndarray, ref: np.ndarray) -> float:
    """``||theta - ref|| / ||ref||`` (Euclidean). Two independent vectors of equal norm with
    uncorrelated entries are ``sqrt(2)`` apart in these units."""
    return float(np.linalg.norm(theta - ref) / np.linalg.norm(ref))


# --------------------------------------------------------------------- 2. the seed grid


def seed_grid(seed: int, smoke: bool) -> dict:
    """Final test accuracy of ``K x K`` runs: init stream ``i`` (row) x shuffle stream ``j``.

    ``K`` = :func:`n_seeds`; one digits split (75 % train, stratified) drawn from the data
    stream of :func:`streams`. Conditions: ``both`` = diagonal ``acc[i, i]``, ``init`` =
    column 0 ``acc[:, 0]``, ``shuffle`` = row 0 ``acc[0, :]``; ``std_*`` are sample stds
    (ddof 1), ``mean_*`` means and ``min_*`` minima of each; ``min_all`` is the worst of all
    ``K^2`` runs. Pooled over the grid:
    ``pooled_std_shuffle = sqrt(mean_i Var_j acc[i, j])`` (shuffle-only spread averaged over
    the ``K`` fixed inits), ``pooled_std_init = sqrt(mean_j Var_i acc[i, j])``, ``std_total``
    over all ``K^2`` cells. Distances (:func:`relative_distance`) of the final parameters
    from run ``(0, 0)``: ``dist_shuffle`` (mean over row 0), ``dist_init`` (column 0).
    ``curves``: ``test_acc`` and ``epoch_loss`` of the diagonal runs, ``(K, EPOCHS + 1)``.
    """
    K = n_seeds(smoke)
    s = streams(seed, K)
    data = datasets.load("digits", np.random.default_rng(s.data))
    acc = np.empty((K, K))
    test_curves, loss_curves, row0, col0 = [], [], [], []
    for i in range(K):
        for j in range(K):
            run = train_run(data, s.init[i], s.shuffle[j])
            acc[i, j] = run["test_acc"][-1]
            if i == j:
                test_curves.append(run["test_acc"])
                loss_curves.append(run["epoch_loss"])
            if i == 0:
                row0.append(run["theta"])
            if j == 0:
                col0.append(run["theta"])
    cond = {"both": np.diag(acc).copy(), "init": acc[:, 0].copy(), "shuffle": acc[0, :].copy()}
    out: dict = {"acc": acc, "conditions": cond, "n_seeds": K, "n_test": len(data.y_test),
                 "n_train": len(data.y_train), "epochs": np.arange(EPOCHS + 1),
                 "n_params": int(row0[0].size),
                 "curves": {"test_acc": np.array(test_curves),
                            "epoch_loss": np.array(loss_curves)}}
    for name, a in cond.items():
        out[f"mean_{name}"] = float(a.mean())
        out[f"std_{name}"] = float(a.std(ddof=1))
        out[f"min_{name}"] = float(a.min())
    out["min_all"] = float(acc.min())
    out["pooled_std_shuffle"] = float(np.sqrt(acc.var(axis=1, ddof=1).mean()))
    out["pooled_std_init"] = float(np.sqrt(acc.var(axis=0, ddof=1).mean()))
    out["std_total"] = float(acc.std(ddof=1))
    out["dist_shuffle"] = float(np.mean([relative_distance(t, row0[0]) for t in row0[1:]]))
    out["dist_init"] = float(np.mean([relative_distance(t, col0[0]) for t in col0[1:]]))
    return out


def seeds_to_resolve(std: float, difference: float, z: float = 2.0) -> int:
    """Seeds per method so that a true ``difference`` of mean accuracy is ``z`` standard errors.

    Two means of ``n`` runs each, run-to-run std ``std``: ``SE(diff) = std * sqrt(2 / n)``;
    ``difference >= z * SE`` gives ``n >= 2 (z std / difference)^2``, rounded up.
    """
    check_positive(std, "std")
    check_positive(difference, "difference")
    check_positive(z, "z")
    return math.ceil(2.0 * (z * std / difference) ** 2)


def binomial_se(acc: float, n_test: int) -> float:
    """``sqrt(p (1 - p) / n_test)``: the std of one fixed network's accuracy over test sets of
    ``n_test`` examples drawn from the same distribution (each example right with prob. ``p``)."""
    n_test = check_int(n_test, "n_test", minimum=1)
    if not 0.0 <= acc <= 1.0:
        raise ValueError(f"`acc` must be an accuracy in [0, 1], got {acc!r}")
    return math.sqrt(acc * (1.0 - acc) / n_test)


# --------------------------------------------------------------------- 3. the twin runs


def twin_runs(seed: int, smoke: bool) -> dict:
    """A reference run (init 0, shuffle 0) and four twins, with ``max |theta - theta_ref|``.

    Twins: ``same`` (the same two seeds again), ``ulp`` (every weight one ulp larger at init,
    see :func:`train_run`), ``shuffle`` (shuffle stream 1), ``init`` (init stream 1).
    Returns ``max_abs[twin]`` ``(EPOCHS + 1,)``, per epoch (index 0 = at init), the final
    values ``final_max_abs[twin]``, ``identical`` (final parameters and every recorded
    accuracy and loss equal bit for bit for ``same``), ``nudge_size`` and the reference's
    ``theta_max_abs`` (largest ``|theta|``, the scale of the weights). ``smoke`` is
    accepted for symmetry; the five runs are the same in both modes.
    """
    del smoke
    s = streams(seed, 2)
    data = datasets.load("digits", np.random.default_rng(s.data))
    ref = train_run(data, s.init[0], s.shuffle[0], snapshots=True)
    twins = {"same": train_run(data, s.init[0], s.shuffle[0], snapshots=True),
             "ulp": train_run(data, s.init[0], s.shuffle[0], nudge_ulps=1, snapshots=True),
             "shuffle": train_run(data, s.init[0], s.shuffle[1], snapshots=True),
             "init": train_run(data, s.init[1], s.shuffle[0], snapshots=True)}
    max_abs = {k: np.abs(t["thetas"] - ref["thetas"]).max(axis=1) for k, t in twins.items()}
    same = twins["same"]
    identical = bool(np.array_equal(same["theta"], ref["theta"]) and all(
        np.array_equal(same[k], ref[k]) for k in ("test_acc", "train_acc", "epoch_loss")))
    return {"epochs": np.arange(EPOCHS + 1), "max_abs": max_abs,
            "final_max_abs": {k: float(v[-1]) for k, v in max_abs.items()},
            "identical": identical, "nudge_size": twins["ulp"]["nudge_size"],
            "theta_max_abs": float(np.abs(ref["theta"]).max()),
            "final_test_acc": {k: float(t["test_acc"][-1]) for k, t in
                               {"ref": ref, **twins}.items()}}


# ------------------------------------------------------------------------------- figures


def plot_spread(grid: dict) -> Figure:
    """Left: violin + strip plot of final test accuracy per condition; right: the grid."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.8), width_ratios=(1.15, 1))
    K = grid["n_seeds"]
    rows = [{"condition": f"{CONDITIONS[n][0]}\nstd {grid[f'std_{n}']:.4f}", "acc": a}
            for n, accs in grid["conditions"].items() for a in accs]
    df = pd.DataFrame(rows)
    palette = [CONDITIONS[n][1] for n in grid["conditions"]]
    sns.violinplot(df, x="condition", y="acc", hue="condition", palette=palette, cut=0,
                   inner=None, linewidth=1, ax=ax, legend=False, density_norm="width")
    for c in ax.collections:
        c.set_alpha(0.35)
    sns.stripplot(df, x="condition", y="acc", hue="condition", palette=palette, size=5,
                  jitter=0.18, edgecolor="k", linewidth=0.4, ax=ax, legend=False)
    for x, name in enumerate(grid["conditions"]):
        ax.hlines(grid[f"mean_{name}"], x - 0.35, x + 0.35, color="k", lw=1.5,
                  label="mean" if x == 0 else None)
    ax.set(title=f"Final test accuracy, {K} runs per condition (after {EPOCHS} epochs)",
           xlabel="", ylabel=f"test accuracy ({grid['n_test']} test images)")
    ax.legend(loc="lower left", fontsize=9)
    acc = grid["acc"]
    im = bx.imshow(acc, cmap="viridis", origin="upper", interpolation="nearest")
    fig.colorbar(im, ax=bx, label="final test accuracy")
    kw = {"fill": False, "lw": 3.0}
    bx.add_patch(Rectangle((-0.5, -0.5), K, 1, ec=CONDITIONS["shuffle"][1], **kw,
                           label="row 0: init fixed"))
    bx.add_patch(Rectangle((-0.5, -0.5), 1, K, ec=CONDITIONS["init"][1], **kw,
                           label="column 0: shuffle fixed"))
    bx.plot(np.arange(K), np.arange(K), "o", ms=5, mfc=CONDITIONS["both"][1], mec="w", mew=1,
            label="diagonal: both vary")
    bx.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=8,
              frameon=False, handlelength=1.2)
    step = max(1, K // 6)
    bx.set_xticks(np.arange(0, K, step))
    bx.set_yticks(np.arange(0, K, step))
    bx.grid(False)
    bx.set(title=f"All {K}x{K} pairs: rows = init seed, columns = shuffle seed",
           xlabel="shuffle stream j", ylabel="init stream i")
    fig.tight_layout()
    return fig


def plot_curves(grid: dict) -> Figure:
    """Test accuracy and training loss per epoch of the diagonal runs: seeds and a +-1 std band."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.2))
    ep = grid["epochs"]
    K = grid["n_seeds"]
    for axis, key, ylabel in ((ax, "test_acc", "test accuracy"),
                              (bx, "epoch_loss", "training loss (mean over the epoch)")):
        Y = grid["curves"][key][:, 1:] if key == "epoch_loss" else grid["curves"][key]
        x = ep[1:] if key == "epoch_loss" else ep
        for row in Y:
            axis.plot(x, row, color="C0", lw=0.6, alpha=0.35)
        m, sd = Y.mean(axis=0), Y.std(axis=0, ddof=1)
        axis.plot(x, m, color="k", lw=1.8, label=f"mean of {K} seeds")
        axis.fill_between(x, m - sd, m + sd, color="C1", alpha=0.35, lw=0, label="mean ± 1 std")
        axis.plot([], [], color="C0", lw=0.6, label="one run per seed")
        axis.set(xlabel="epoch", ylabel=ylabel)
    ax.set_ylim(0.6, 1.0)  # epoch 0 (chance, ~0.1) is below the axis
    ax.set_title(f"Test accuracy per epoch, {K} seeds (init and shuffle both vary)")
    ax.set_ylabel("test accuracy (epoch 0: chance, off the axis)")
    bx.set_yscale("log")
    bx.set_title("Training loss (log scale), same runs")
    ax.legend(loc="lower right", fontsize=9)
    bx.legend(loc="upper right", fontsize=9)
    fig.tight_layout()
    return fig


def plot_twins(twins: dict) -> Figure:
    """``max |theta - theta_ref|`` per epoch for each twin run, log scale."""
    fig, ax = plt.subplots(figsize=(8, 4.4))
    ep = twins["epochs"]
    style = {"init": ("another init stream", "C1"), "shuffle": ("another shuffle stream", "C2"),
             "ulp": ("same seeds, every weight moved by 1 ulp", "C4")}
    for key, (label, color) in style.items():
        y = twins["max_abs"][key]
        keep = y > 0
        ax.semilogy(ep[keep], y[keep], "o-", ms=3, color=color, label=label)
    same = float(twins["max_abs"]["same"].max())
    ax.axhline(twins["theta_max_abs"], color="0.4", ls=":", label="largest |weight| of the run")
    ax.axhline(np.finfo(float).eps, color="0.6", ls="--", label="float64 machine epsilon")
    ax.set(title=f"Distance from the reference run (same seeds again: exactly {same:g} "
                 "at every epoch)",
           xlabel="epoch", ylabel="max |θ − θ_ref| over all parameters")
    ax.legend(loc="center right", fontsize=9)
    fig.tight_layout()
    return fig
