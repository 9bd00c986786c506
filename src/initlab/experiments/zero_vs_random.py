"""Chapter 2, zero versus random initialization: the experiments behind the page.

What: a one-hidden-layer tanh network ``(n_in, 64, n_classes)`` trained with plain SGD from
five starting points (:data:`SCHEMES`): all zeros; every weight the constant 0.05; the sources'
two "small random" inits, ``0.01 * N(0, 1)`` and ``U[0, 0.1]`` (zero biases); and
``0.01 * N(0, 1)`` for the biases too. A sixth run, a network with a single hidden unit
(``0.01 * N(0, 1)``), is the yardstick for the constant init. Three experiments:

1. :func:`zero_init_gradients`: the full-batch gradient of every parameter array at an all-zero
   init and after one SGD step, for tanh, ReLU and sigmoid hidden units, against the closed
   forms (``||db_out|| = ||1/K - p||``; sigmoid: ``||dW_out|| = sqrt(width) / 2 * ||db_out||``).
2. :func:`compare_schemes`: test accuracy per epoch on the digits (Alpaydin and Kaynak 1998) or
   the spirals, every scheme over the same seeds; plus, per scheme, the largest ``||dW_l||`` of
   any step, the number of distinct hidden units and of distinct predicted classes at the end.
3. :func:`zero_init_trace`: what still moves under an all-zero init. On a class-imbalanced
   subset of the digits (:func:`imbalanced_digits`) only the output bias learns, and it learns
   the log class prior: ``softmax(b_out) -> p_train`` (the best constant prediction).

Why: the sources say zero init leaves the network "stuck", that small random values in
``[0, 0.1]`` or ``0.01 * randn`` fix it, and that zero biases are fine. Each statement is
measured here, with the one correction the gradient algebra forces: an all-zero network is not
exactly at ``1/K`` chance but at the accuracy of its best constant guess, the majority class.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples, ``Z_1 = X @ W_1 + b_1``,
``A_1 = tanh(Z_1)``, ``Z_2 = A_1 @ W_2 + b_2`` (logits, ``(n, K)``), softmax cross-entropy.
Every function takes an explicit ``seed`` and ``smoke`` flag and returns a plain dict of
numbers and arrays; ``plot_*`` functions turn those into figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from initlab import datasets, diagnostics, initializers, losses, network, plotting, sweep, train
from initlab._checks import check_choice, check_int, check_rng
from initlab.optim import SGD

WIDTH = 64          # hidden units (a multiple of 16: the BLAS treats every unit alike)
ACTIVATION = "tanh"  # tanh(0) = 0: an all-zero hidden layer outputs exactly 0
BATCH_SIZE = 32
CONSTANT = 0.05     # the constant init: the mean of U[0, 0.1], without its spread

#: scheme -> (weight init, bias init), as ``initializers.get`` arguments ``(name, params)``.
SCHEMES: dict[str, tuple[tuple[str, dict], tuple[str, dict]]] = {
    "zeros": (("zeros", {}), ("zeros", {})),
    "constant": (("constant", {"value": CONSTANT}), ("zeros", {})),
    "normal": (("random_normal", {"stddev": 0.01}), ("zeros", {})),
    "uniform": (("random_uniform", {"minval": 0.0, "maxval": 0.1}), ("zeros", {})),
    "normal_bias": (("random_normal", {"stddev": 0.01}), ("random_normal", {"stddev": 0.01})),
    "one_unit": (("random_normal", {"stddev": 0.01}), ("zeros", {})),
}
#: hidden width per scheme (WIDTH unless listed): "one_unit" is the one-hidden-unit yardstick.
WIDTHS = {"one_unit": 1}
#: the schemes that draw their weights at random (the ones expected to learn).
RANDOM = ("normal", "uniform", "normal_bias")
LABELS = {"zeros": "all zeros",
          "constant": f"W = {CONSTANT} (constant)",
          "normal": "W ~ 0.01·N(0,1)",
          "uniform": "W ~ U[0, 0.1]",
          "normal_bias": "W, b ~ 0.01·N(0,1)",
          "one_unit": "1 hidden unit, W ~ 0.01·N(0,1)"}
COLORS = {"zeros": "C3", "constant": "C4", "normal": "C0", "uniform": "C2",
          "normal_bias": "C9", "one_unit": "C7"}
#: dashed: the curves drawn on top of an almost identical one
DASHED = ("normal_bias",)

#: per dataset: SGD learning rate, epochs (smoke, full), seeds (smoke, full).
SETTINGS = {
    "digits": {"lr": 0.1, "epochs": (10, 20), "n_seeds": (3, 10)},
    "spirals": {"lr": 0.05, "epochs": (300, 300), "n_seeds": (3, 10)},   # smooth, not fast
    "digits_imbalanced": {"lr": 0.1, "epochs": (10, 20), "n_seeds": (3, 10)},
}
IMBALANCE_RATIO = 2.0 ** (-1 / 3)   # class k keeps IMBALANCE_RATIO**(9 - k) of its images
SPIRALS_PER_CLASS = 200


def scheme(name: str) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """``(weight_init, bias_init)`` of scheme ``name`` (a key of :data:`SCHEMES`)."""
    check_choice(name, "scheme", SCHEMES)
    (w_name, w_params), (b_name, b_params) = SCHEMES[name]
    return initializers.get(w_name, **w_params), initializers.get(b_name, **b_params)


def majority_fraction(y: np.ndarray) -> float:
    """Accuracy of the best constant guess on labels ``y`` ``(n,)``: ``max_k n_k / n``.

    This is the chance level of a network whose output does not depend on its input.
    """
    counts = np.bincount(np.asarray(y))
    return float(counts.max() / counts.sum())


# ---------------------------------------------------------------------------------- data


def imbalanced_digits(rng: np.random.Generator, ratio: float = IMBALANCE_RATIO) -> datasets.Split:
    """The digits with class ``k`` subsampled to ``round(n_k * ratio**(9 - k))`` images.

    With ``ratio = 2^(-1/3)`` each class has about 0.79 times the images of the next, so the
    class frequencies range over a factor 8 (digit 9 the majority, about 23 %). Images kept are
    drawn from ``rng``, then split (stratified, 25 % test) and z-scored with train statistics,
    as :func:`initlab.datasets.load` does.
    """
    check_rng(rng)
    if not 0 < ratio <= 1:
        raise ValueError(f"`ratio` must be in (0, 1], got {ratio!r}")
    X, y = datasets.digits(standardize=False)
    n_classes = int(y.max()) + 1
    keep = [rng.permutation(np.flatnonzero(y == k))[:round(np.sum(y == k)
                                                         * ratio ** (n_classes - 1 - k))]
            for k in range(n_classes)]
    idx = np.sort(np.concatenate(keep))
    X_train, X_test, y_train, y_test = datasets.train_test_split(X[idx], y[idx], rng)
    X_train, X_test = datasets.standardize(X_train, X_test)
    return datasets.Split(X_train, y_train, X_test, y_test, n_classes, "digits_imbalanced")


def load_data(dataset: str, data_seed: int) -> datasets.Split:
    """Load ``digits``, ``spirals`` (200 per class, noise 0.2) or ``digits_imbalanced``.

    The split (25 % test, stratified, z-scored with train statistics) is drawn from
    ``default_rng(data_seed)``.
    """
    check_choice(dataset, "dataset", SETTINGS)
    rng = np.random.default_rng(check_int(data_seed, "data_seed"))
    if dataset == "digits_imbalanced":
        return imbalanced_digits(rng)
    if dataset == "spirals":
        return datasets.load("spirals", rng, n_per_class=SPIRALS_PER_CLASS)
    return datasets.load("digits", rng)


def make_model(scheme_name: str, n_in: int, n_classes: int, rng: np.random.Generator,
               activation: str = ACTIVATION) -> network.MLP:
    """The chapter's network ``(n_in, width, n_classes)`` initialized with ``scheme_name``.

    ``width`` is ``WIDTHS.get(scheme_name, WIDTH)``: 64 hidden units, 1 for ``"one_unit"``.
    """
    w_init, b_init = scheme(scheme_name)
    width = WIDTHS.get(scheme_name, WIDTH)
    return network.MLP((n_in, width, n_classes), rng, activation=activation,
                       weight_init=w_init, bias_init=b_init)


# ------------------------------------------------------------------- 1. the gradient at zero


def gradient_norms(model: network.MLP, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Full-batch ``[||dW_1||, ||db_1||, ||dW_2||, ||db_2||, ...]`` (Frobenius), ``(2 L,)``."""
    _, dout = losses.softmax_cross_entropy(model.forward(X), y)
    return np.array([np.linalg.norm(g) for g in model.backward(dout)])


def zero_init_gradients(seed: int, activations: Sequence[str] = ("tanh", "relu", "sigmoid"),
                        lr: float = 0.1) -> dict:
    """Gradients of an all-zero ``(64, WIDTH, 10)`` net on the digits' train split, per activation.

    Backprop with ``W_1 = W_2 = 0`` and zero biases: ``A_1 = phi(0)`` for every example, so
    ``dL/dZ_2 = (softmax(b_2) - onehot(y)) / n`` has ``db_2 = 1/K - p`` (``p``: class
    frequencies), ``dW_2 = A_1^T dZ_2`` and ``dA_1 = dZ_2 W_2^T = 0``, hence
    ``dW_1 = db_1 = 0``. With ``phi(0) = 0`` (tanh, ReLU) also ``dW_2 = 0``, so only ``b_2``
    moves, ever. With sigmoid, ``phi(0) = 1/2`` gives ``dW_2 = 1/2 * 1 db_2^T`` (every row
    alike, ``||dW_2|| = sqrt(width)/2 ||db_2||``): after one step ``W_2 != 0`` and ``W_1``
    starts to move, but every hidden unit identically.

    Returns ``names`` and, per activation, ``step0`` / ``step1`` (``(4,)`` norms of
    ``dW_1, db_1, dW_2, db_2`` before and after one full-batch SGD step with ``lr``) and
    ``n_distinct`` (distinct hidden units after the step); ``db2_pred`` = ``||1/K - p||``.
    """
    data = load_data("digits", seed)
    X, y, K = data.X_train, data.y_train, data.n_classes
    p = np.bincount(y, minlength=K) / len(y)
    out: dict = {"names": ["dW_1", "db_1", "dW_2", "db_2"], "activations": list(activations),
                 "db2_pred": float(np.linalg.norm(1.0 / K - p)), "width": WIDTH, "lr": lr}
    for act in activations:
        model = make_model("zeros", data.n_features, K, np.random.default_rng(seed), act)
        step0 = gradient_norms(model, X, y)
        SGD(model.parameters(), lr=lr).step(model.backward(
            losses.softmax_cross_entropy(model.forward(X), y)[1]))
        step1 = gradient_norms(model, X, y)
        sim = diagnostics.hidden_unit_similarity(model.weights[0], model.biases[0])
        out[act] = {"step0": step0, "step1": step1, "n_distinct": sim["n_distinct"]}
    return out


# ------------------------------------------------------------------ 2. training, per scheme


def _train_run(config: dict) -> dict:
    """One run of :func:`compare_schemes` (top level, so sweep workers can pickle it)."""
    data = load_data(config["dataset"], config["data_seed"])
    rng = np.random.default_rng(config["seed"])
    model = make_model(config["scheme"], data.n_features, data.n_classes, rng)
    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=config["epochs"],
                       batch_size=BATCH_SIZE, lr=config["lr"], X_test=data.X_test,
                       y_test=data.y_test, progress=False)
    n_distinct = 1   # a one-unit layer has one distinct unit
    if model.weights[0].shape[1] > 1:
        n_distinct = diagnostics.hidden_unit_similarity(model.weights[0],
                                                        model.biases[0])["n_distinct"]
    return {"test_acc": np.array(hist.test_acc), "diverged": hist.diverged,
            "max_grad": np.max(hist.layer_grad_norms, axis=0),   # (n_layers,) over steps
            "n_distinct": n_distinct,
            "n_predicted": int(np.unique(model.predict(data.X_test)).size)}


def compare_schemes(seed: int, smoke: bool, dataset: str = "digits",
                    schemes: Sequence[str] = tuple(SCHEMES), n_jobs: int = 1) -> dict:
    """Test accuracy per epoch of every scheme on ``dataset``, over seeds.

    One split (drawn from ``seed``) for every run; run seeds ``sweep.seeds(seed, n_seeds)``
    shared by the schemes (seed ``i`` of every scheme also shuffles its batches identically).
    Epochs, seeds and learning rate from :data:`SETTINGS`; plain SGD, batch 32.
    Returns ``test_acc[scheme]`` ``(n_seeds, epochs + 1)`` (column 0: before training),
    ``final[scheme]`` ``(n_seeds,)``, ``max_grad[scheme]`` ``(2,)`` (largest ``||dW_1||`` and
    ``||dW_2||`` of any step of any seed), ``n_distinct[scheme]`` (most distinct hidden units
    at the end over seeds), ``n_predicted[scheme]`` (most distinct predicted test classes),
    ``chance`` (majority fraction of the test set), ``n_diverged``.
    """
    seed = check_int(seed, "seed")
    check_choice(dataset, "dataset", SETTINGS)
    for name in schemes:
        check_choice(name, "scheme", SCHEMES)
    s = SETTINGS[dataset]
    epochs, n_seeds = s["epochs"][not smoke], s["n_seeds"][not smoke]
    run_seeds = sweep.seeds(seed, n_seeds)
    configs = [{"dataset": dataset, "scheme": name, "seed": r, "data_seed": seed,
                "epochs": epochs, "lr": s["lr"]} for name in schemes for r in run_seeds]
    runs = sweep.run(_train_run, configs, n_jobs=n_jobs, progress=False)
    data = load_data(dataset, seed)
    out: dict = {"dataset": dataset, "epochs": np.arange(epochs + 1), "n_seeds": n_seeds,
                 "lr": s["lr"], "width": WIDTH, "n_train": len(data.y_train),
                 "n_test": len(data.y_test), "chance": majority_fraction(data.y_test),
                 "n_diverged": sum(r["diverged"] for r in runs)}
    for key in ("test_acc", "final", "max_grad", "n_distinct", "n_predicted"):
        out[key] = {}
    for name in schemes:
        mine = [r for c, r in zip(configs, runs, strict=True)
                if c["scheme"] == name and not r["diverged"]]
        out["test_acc"][name] = np.array([r["test_acc"] for r in mine])
        out["final"][name] = out["test_acc"][name][:, -1]
        out["max_grad"][name] = np.max([r["max_grad"] for r in mine], axis=0)
        out["n_distinct"][name] = max(r["n_distinct"] for r in mine)
        out["n_predicted"][name] = max(r["n_predicted"] for r in mine)
    return out


def summary(curves: dict) -> dict[str, float | int]:
    """The numbers of one :func:`compare_schemes` result the chapter records, flat.

    Always: ``chance``, ``n_seeds``, ``epochs``, ``n_test``, ``n_diverged``; per scheme
    ``<scheme>_final_mean`` / ``_final_min`` / ``_final_max`` (final test accuracy over seeds),
    ``_n_distinct`` (if its width is > 1). For ``zeros`` and ``constant``: ``_excess_max``
    (largest ``accuracy - chance`` over seeds; a constant predictor gives ``<= 0``). For
    ``zeros``: ``n_predicted`` (distinct predicted test classes) and ``max_grad_W1`` /
    ``_W2`` (largest ``||dW_l||`` of any SGD step of any seed). With all of
    :data:`RANDOM`: ``random_excess_min`` (worst random seed minus chance) and with ``constant``
    also ``random_minus_constant`` (worst random seed minus best constant seed). With
    ``normal`` and ``normal_bias``: ``bias_gap``, the difference of their final means.
    """
    final, chance = curves["final"], curves["chance"]
    out: dict[str, float | int] = {
        "chance": chance, "n_seeds": curves["n_seeds"], "epochs": int(curves["epochs"][-1]),
        "n_test": curves["n_test"], "n_diverged": curves["n_diverged"]}
    for name, acc in final.items():
        out[f"{name}_final_mean"] = float(acc.mean())
        out[f"{name}_final_min"] = float(acc.min())
        out[f"{name}_final_max"] = float(acc.max())
        if WIDTHS.get(name, WIDTH) > 1:
            out[f"{name}_n_distinct"] = curves["n_distinct"][name]
    for name in ("zeros", "constant"):
        if name in final:
            out[f"{name}_excess_max"] = float(final[name].max() - chance)
    if "zeros" in final:
        out["zeros_n_predicted"] = curves["n_predicted"]["zeros"]
        out["zeros_max_grad_W1"] = float(curves["max_grad"]["zeros"][0])
        out["zeros_max_grad_W2"] = float(curves["max_grad"]["zeros"][1])
    if all(name in final for name in RANDOM):
        worst = min(float(final[name].min()) for name in RANDOM)
        out["random_excess_min"] = worst - chance
        if "constant" in final:
            out["random_minus_constant"] = worst - float(final["constant"].max())
    if "normal" in final and "normal_bias" in final:
        out["bias_gap"] = float(final["normal"].mean() - final["normal_bias"].mean())
    return out


# ------------------------------------------------------------- 3. what moves under zero init


def zero_init_trace(seed: int, smoke: bool) -> dict:
    """One all-zero run on :func:`imbalanced_digits`, watched every epoch.

    Per epoch (index 0 = at init): full-batch gradient norms ``(epochs + 1, 4)`` of
    ``dW_1, db_1, dW_2, db_2`` (:func:`gradient_norms`) and the output bias' class
    distribution ``softmax(b_2)`` ``(epochs + 1, K)``. Also the train and test class
    frequencies ``p_train``, ``p_test`` ``(K,)``, the test accuracy per epoch, the class the
    network predicts at the end, ``prior_max_err = max_k |softmax(b_2)_k - p_train_k|`` at
    the end, and ``chance`` (majority fraction of the test set).
    """
    seed = check_int(seed, "seed")
    data = load_data("digits_imbalanced", seed)
    s = SETTINGS["digits_imbalanced"]
    epochs = s["epochs"][not smoke]
    rng = np.random.default_rng(sweep.seeds(seed, 1)[0])
    model = make_model("zeros", data.n_features, data.n_classes, rng)
    norms, prior = [], []

    def watch(epoch: int, m: network.MLP) -> None:
        norms.append(gradient_norms(m, data.X_train, data.y_train))
        e = np.exp(m.biases[-1] - m.biases[-1].max())
        prior.append(e / e.sum())                      # softmax(b_2)

    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=epochs,
                       batch_size=BATCH_SIZE, lr=s["lr"], X_test=data.X_test,
                       y_test=data.y_test, on_epoch=watch, progress=False)
    K = data.n_classes
    p_train = np.bincount(data.y_train, minlength=K) / len(data.y_train)
    prior = np.array(prior)
    return {"epochs": np.arange(epochs + 1), "grad_norms": np.array(norms),
            "names": ["dW_1", "db_1", "dW_2", "db_2"], "prior": prior, "p_train": p_train,
            "p_test": np.bincount(data.y_test, minlength=K) / len(data.y_test),
            "test_acc": np.array(hist.test_acc),
            "predicted": np.unique(model.predict(data.X_test)),
            "prior_max_err": float(np.abs(prior[-1] - p_train).max()),
            "chance": majority_fraction(data.y_test), "n_train": len(data.y_train),
            "n_test": len(data.y_test)}


# ------------------------------------------------------------------------------- figures


def plot_training(curves: Sequence[dict]) -> Figure:
    """Test accuracy per epoch, one panel per dataset: mean over seeds, min..max band."""
    fig, axes = plt.subplots(1, len(curves), figsize=(5.5 * len(curves), 4.2), squeeze=False)
    for ax, c in zip(axes[0], curves, strict=True):
        for name, acc in c["test_acc"].items():
            plotting.curves_with_band(ax, c["epochs"], acc, label=LABELS[name],
                                      color=COLORS[name])
            if name in DASHED:
                ax.lines[-1].set_linestyle("--")
        ax.axhline(c["chance"], color="k", ls=":", lw=1.2, zorder=0)
        ax.text(c["epochs"][-1], c["chance"] - 0.05, "majority class", ha="right", fontsize=8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(title=f"{c['dataset']}: {c['n_seeds']} seeds, mean, band = min..max",
               xlabel="epoch", ylabel="test accuracy", ylim=(0, 1.02))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return fig


def plot_final(curves: Sequence[dict]) -> Figure:
    """Final test accuracy of every seed (points) and the mean (bar), per scheme and dataset."""
    fig, axes = plt.subplots(1, len(curves), figsize=(5.5 * len(curves), 3.8), squeeze=False,
                             sharey=True)
    for ax, c in zip(axes[0], curves, strict=True):
        names = list(c["final"])
        for i, name in enumerate(names):
            acc = c["final"][name]
            jitter = np.linspace(-0.18, 0.18, len(acc))   # deterministic, no overlap in y
            ax.plot(acc, i + jitter, "o", color=COLORS[name], mfc="none", ms=6)
            ax.plot([acc.mean()] * 2, [i - 0.3, i + 0.3], color="k", lw=2)
        ax.axvline(c["chance"], color="k", ls=":", lw=1.2)
        ax.text(c["chance"], -0.45, " majority class", fontsize=8, va="top")
        ax.set_yticks(range(len(names)), [LABELS[n] for n in names])
        ax.set(title=f"{c['dataset']}, after {c['epochs'][-1]} epochs "
                     f"({c['n_seeds']} seeds; bar = mean)",
               xlabel="final test accuracy", xlim=(0, 1.02), ylim=(len(names) - 0.5, -0.5))
    fig.tight_layout()
    return fig


def plot_zero_trace(trace: dict) -> Figure:
    """Left: full-batch gradient norms per epoch under zero init; right: learned prior."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    g, ep = trace["grad_norms"], trace["epochs"]
    moving = g[:, 3]
    ax.plot(ep, moving, "o-", color="C0", ms=4, label="‖dL/db_2‖ (output bias)")
    zero = np.all(g[:, :3] == 0, axis=0)
    frozen = ", ".join(n.replace("d", "dL/d", 1) for n, z in zip(trace["names"][:3], zero,
                                                                  strict=True) if z)
    ax.plot(ep, np.zeros_like(ep, dtype=float), "s-", color="C3", ms=4,
            label=f"‖{frozen}‖: exactly 0")
    ax.set_yscale("symlog", linthresh=1e-4)
    ax.set_ylim(-1e-5, 2 * moving.max())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(title="All-zero init: full-batch gradient norms (one seed)", xlabel="epoch",
           ylabel="gradient norm (symlog; 0 is exact)")
    ax.legend(fontsize=9, loc="center right")
    p, q = trace["p_train"], trace["prior"][-1]
    lim = (0, 1.1 * max(p.max(), q.max()))
    bx.plot(lim, lim, color="0.6", lw=1, label="softmax(b_2) = train frequency")
    bx.plot(p, q, "o", color="C0", ms=7, label=f"digit classes, after {ep[-1]} epochs")
    for k, (pk, qk) in enumerate(zip(p, q, strict=True)):
        bx.annotate(str(k), (pk, qk), xytext=(4, -10), textcoords="offset points", fontsize=8)
    bx.axhline(1 / len(p), color="k", ls=":", lw=1, label=f"1/K = {1 / len(p):.2f}")
    bx.set(title="The output bias learns the class prior", xlabel="class frequency in train set",
           ylabel="softmax(b_2) of the trained network", xlim=lim, ylim=lim)
    bx.legend(fontsize=9, loc="upper left")
    fig.tight_layout()
    return fig
