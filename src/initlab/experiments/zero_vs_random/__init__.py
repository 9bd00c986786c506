"""Chapter 2, zero versus random initialization: the experiments behind the page.

What: a one-hidden-layer network ``(n_in, width, n_classes)`` (tanh on the page) trained with
plain SGD from five starting points (:data:`SCHEMES`): all zeros; every weight the constant
0.05; the sources' two "small random" inits, ``0.01 * N(0, 1)`` and ``U[0, 0.1]`` (zero
biases); and ``0.01 * N(0, 1)`` for the biases too. A sixth run, a network with a single
hidden unit (``0.01 * N(0, 1)``), is the yardstick for the constant init.

How the chapter is laid out (settings in the notebook, passed as arguments):

1. :func:`zero_init_gradients`: the full-batch gradient of every parameter array at an all-zero
   init and after one SGD step, for tanh, ReLU and sigmoid hidden units, against the closed
   forms (``||db_out|| = ||1/K - p||``; sigmoid: ``||dW_out|| = sqrt(width) / 2 * ||db_out||``).
2. :func:`compare_schemes`: test accuracy per epoch on the digits (Alpaydin and Kaynak 1998) or
   the spirals, every scheme over the same seeds (each run is :func:`initlab.train.run`); per
   scheme the final accuracies, the largest ``||dW_l||`` of any step, the number of distinct
   hidden units and of distinct predicted classes at the end (:func:`summary`).
3. :func:`zero_init_trace`: what still moves under an all-zero init. On a class-imbalanced
   subset of the digits (:func:`imbalanced_digits`) only the output bias learns, and it learns
   the log class prior: ``softmax(b_out) -> p_train`` (the best constant prediction).

Figures and the gradient table: :mod:`.figures`.

Why: the sources say zero init leaves the network "stuck", that small random values in
``[0, 0.1]`` or ``0.01 * randn`` fix it, and that zero biases are fine. Each statement is
measured here, with the one correction the gradient algebra forces: an all-zero network is not
exactly at ``1/K`` chance but at the accuracy of its best constant guess, the majority class.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples, ``Z_1 = X @ W_1 + b_1``,
``A_1 = phi(Z_1)``, ``Z_2 = A_1 @ W_2 + b_2`` (logits, ``(n, K)``), softmax cross-entropy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from initlab import activations, datasets, diagnostics, initializers, losses, network, sweep, train
from initlab._checks import check_choice, check_int, check_rng
from initlab.experiments.zero_vs_random.figures import (
    gradient_table,
    plot_final,
    plot_training,
    plot_zero_trace,
)
from initlab.optim import SGD

__all__ = ["GRAD_KEYS", "SCHEMES", "SUMMARY_KEYS", "compare_schemes", "gradient_norms",
           "gradient_table", "imbalanced_digits", "load_data", "majority_fraction",
           "exercise_sigmoid_width", "exercise_zero_activation", "plot_final",
           "plot_training", "plot_zero_trace", "scheme", "scheme_curves", "summary",
           "zero_init_gradients", "zero_init_trace"]

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
#: hidden width per scheme (the ``width`` setting unless listed): the one-hidden-unit yardstick.
WIDTHS = {"one_unit": 1}
#: the schemes that draw their weights at random (the ones expected to learn).
RANDOM = ("normal", "uniform", "normal_bias")
IMBALANCE_RATIO = 2.0 ** (-1 / 3)   # class k keeps IMBALANCE_RATIO**(9 - k) of its images
SPIRALS_PER_CLASS = 200

#: The names the page records, written out so that every glue key appears verbatim in the code.
#: Per activation: the norms ``[||dW_1||, ||db_1||, ||dW_2||, ||db_2||]`` at init, after one
#: step, and the number of distinct hidden units after it.
GRAD_KEYS = {
    "tanh": (("grad_tanh_step0_W_1", "grad_tanh_step0_b_1", "grad_tanh_step0_W_2",
              "grad_tanh_step0_b_2"),
             ("grad_tanh_step1_W_1", "grad_tanh_step1_b_1", "grad_tanh_step1_W_2",
              "grad_tanh_step1_b_2"), "grad_tanh_n_distinct"),
    "relu": (("grad_relu_step0_W_1", "grad_relu_step0_b_1", "grad_relu_step0_W_2",
              "grad_relu_step0_b_2"),
             ("grad_relu_step1_W_1", "grad_relu_step1_b_1", "grad_relu_step1_W_2",
              "grad_relu_step1_b_2"), "grad_relu_n_distinct"),
    "sigmoid": (("grad_sigmoid_step0_W_1", "grad_sigmoid_step0_b_1", "grad_sigmoid_step0_W_2",
                 "grad_sigmoid_step0_b_2"),
                ("grad_sigmoid_step1_W_1", "grad_sigmoid_step1_b_1", "grad_sigmoid_step1_W_2",
                 "grad_sigmoid_step1_b_2"), "grad_sigmoid_n_distinct"),
}
#: Per dataset, the recorded names of :func:`summary`'s numbers (``<dataset>_<number>``).
SUMMARY_KEYS = {
    "digits": (
        "digits_bias_gap", "digits_chance", "digits_constant_excess_max",
        "digits_constant_final_max", "digits_constant_final_mean",
        "digits_constant_final_min", "digits_constant_n_distinct", "digits_epochs",
        "digits_n_diverged", "digits_n_seeds", "digits_n_test",
        "digits_normal_bias_final_max", "digits_normal_bias_final_mean",
        "digits_normal_bias_final_min", "digits_normal_bias_n_distinct",
        "digits_normal_final_max", "digits_normal_final_mean", "digits_normal_final_min",
        "digits_normal_n_distinct", "digits_one_unit_final_max",
        "digits_one_unit_final_mean", "digits_one_unit_final_min",
        "digits_random_excess_min", "digits_random_minus_constant",
        "digits_uniform_final_max", "digits_uniform_final_mean",
        "digits_uniform_final_min", "digits_uniform_n_distinct", "digits_zeros_excess_max",
        "digits_zeros_final_max", "digits_zeros_final_mean", "digits_zeros_final_min",
        "digits_zeros_max_grad_W1", "digits_zeros_max_grad_W2", "digits_zeros_n_distinct",
        "digits_zeros_n_predicted"),
    "spirals": (
        "spirals_bias_gap", "spirals_chance", "spirals_constant_excess_max",
        "spirals_constant_final_max", "spirals_constant_final_mean",
        "spirals_constant_final_min", "spirals_constant_n_distinct", "spirals_epochs",
        "spirals_n_diverged", "spirals_n_seeds", "spirals_n_test",
        "spirals_normal_bias_final_max", "spirals_normal_bias_final_mean",
        "spirals_normal_bias_final_min", "spirals_normal_bias_n_distinct",
        "spirals_normal_final_max", "spirals_normal_final_mean",
        "spirals_normal_final_min", "spirals_normal_n_distinct",
        "spirals_one_unit_final_max", "spirals_one_unit_final_mean",
        "spirals_one_unit_final_min", "spirals_random_excess_min",
        "spirals_random_minus_constant", "spirals_uniform_final_max",
        "spirals_uniform_final_mean", "spirals_uniform_final_min",
        "spirals_uniform_n_distinct", "spirals_zeros_excess_max",
        "spirals_zeros_final_max", "spirals_zeros_final_mean", "spirals_zeros_final_min",
        "spirals_zeros_max_grad_W1", "spirals_zeros_max_grad_W2",
        "spirals_zeros_n_distinct", "spirals_zeros_n_predicted"),
}


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
    check_choice(dataset, "dataset", ("digits", "spirals", "digits_imbalanced"))
    rng = np.random.default_rng(check_int(data_seed, "data_seed"))
    if dataset == "digits_imbalanced":
        return imbalanced_digits(rng)
    if dataset == "spirals":
        return datasets.load("spirals", rng, n_per_class=SPIRALS_PER_CLASS)
    return datasets.load("digits", rng)


# ------------------------------------------------------------------- 1. the gradient at zero


def gradient_norms(model: network.MLP, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Full-batch ``[||dW_1||, ||db_1||, ||dW_2||, ||db_2||, ...]`` (Frobenius), ``(2 L,)``."""
    _, dout = losses.softmax_cross_entropy(model.forward(X), y)
    return np.array([np.linalg.norm(g) for g in model.backward(dout)])


def zero_init_gradients(*, seed: int, width: int, lr: float) -> dict:
    """Gradients of an all-zero ``(64, width, 10)`` net on the digits' train split.

    Backprop with ``W_1 = W_2 = 0`` and zero biases: ``A_1 = phi(0)`` for every example, so
    ``dL/dZ_2 = (softmax(b_2) - onehot(y)) / n`` has ``db_2 = 1/K - p`` (``p``: class
    frequencies), ``dW_2 = A_1^T dZ_2`` and ``dA_1 = dZ_2 W_2^T = 0``, hence
    ``dW_1 = db_1 = 0``. With ``phi(0) = 0`` (tanh, ReLU) also ``dW_2 = 0``, so only ``b_2``
    moves, ever. With sigmoid, ``phi(0) = 1/2`` gives ``dW_2 = 1/2 * 1 db_2^T`` (every row
    alike, ``||dW_2|| = sqrt(width)/2 ||db_2||``): after one step ``W_2 != 0`` and ``W_1``
    starts to move, but every hidden unit identically.

    Per activation of :data:`GRAD_KEYS`: the norms at init and after one full-batch SGD step
    with ``lr``, and the distinct hidden units after it. ``grad_db2_pred = ||1/K - p||``,
    ``grad_db2_rel_err`` (tanh's measured ``||db_2||`` against it) and
    ``grad_sigmoid_dW2_ratio`` (sigmoid's ``||dW_2||`` over ``sqrt(width)/2 ||db_2||``).
    Table data: ``norms[activation]`` ``(2, 4)``.
    """
    data = load_data("digits", seed)
    X, y, K = data.X_train, data.y_train, data.n_classes
    p = np.bincount(y, minlength=K) / len(y)
    out: dict = {"grad_db2_pred": float(np.linalg.norm(1.0 / K - p)), "norms": {}}
    for act, (names0, names1, name_distinct) in GRAD_KEYS.items():
        model = network.MLP((data.n_features, width, K), np.random.default_rng(seed),
                            activation=act, weight_init="zeros", bias_init="zeros")
        step0 = gradient_norms(model, X, y)
        SGD(model.parameters(), lr=lr).step(model.backward(
            losses.softmax_cross_entropy(model.forward(X), y)[1]))
        step1 = gradient_norms(model, X, y)
        out.update(zip(names0 + names1, map(float, np.concatenate([step0, step1])),
                       strict=True))
        out[name_distinct] = diagnostics.hidden_unit_similarity(
            model.weights[0], model.biases[0])["n_distinct"]
        out["norms"][act] = np.array([step0, step1])
    out["grad_db2_rel_err"] = abs(out["grad_tanh_step0_b_2"] / out["grad_db2_pred"] - 1)
    sig = out["norms"]["sigmoid"][0]   # dW_2 = 1/2 * 1 db_2^T: ||dW_2|| = sqrt(width)/2 ||db_2||
    out["grad_sigmoid_dW2_ratio"] = float(sig[2] / (np.sqrt(width) / 2 * sig[3]))
    return out


# ------------------------------------------------------------------ 2. training, per scheme


def compare_schemes(*, dataset: str, seed: int, n_seeds: int, epochs: int, lr: float,
                    width: int, activation: str, batch_size: int,
                    schemes: Sequence[str] = tuple(SCHEMES), n_jobs: int = 1) -> dict:
    """Test accuracy per epoch of every scheme on ``dataset``, over seeds.

    One split (drawn from ``seed``, :func:`load_data`) for every run; run seeds
    ``sweep.seeds(seed, n_seeds)`` shared by the schemes (seed ``i`` of every scheme also
    shuffles its batches identically); each run is ``train.run`` (plain SGD). Returns the
    numbers of :func:`summary` under the names of :data:`SUMMARY_KEYS` and, as figure data,
    ``curves`` (:func:`scheme_curves`).
    """
    curves = scheme_curves(dataset=dataset, seed=seed, n_seeds=n_seeds, epochs=epochs, lr=lr,
                           width=width, activation=activation, batch_size=batch_size,
                           schemes=schemes, n_jobs=n_jobs)
    flat, prefix = summary(curves), f"{dataset}_"
    return {**{key: flat[key.removeprefix(prefix)] for key in SUMMARY_KEYS[dataset]},
            "curves": curves}


def scheme_curves(*, dataset: str, seed: int, n_seeds: int, epochs: int, lr: float,
                  width: int, activation: str, batch_size: int,
                  schemes: Sequence[str] = tuple(SCHEMES), n_jobs: int = 1) -> dict:
    """The runs of :func:`compare_schemes` (any subset of ``schemes``), as figure data:
    ``test_acc[scheme]`` ``(n_seeds, epochs + 1)`` (column 0: before training),
    ``final[scheme]``, ``max_grad[scheme]`` (largest ``||dW_1||``, ``||dW_2||`` of any step of
    any seed), ``n_distinct[scheme]`` (most distinct hidden units at the end over seeds),
    ``n_predicted[scheme]`` (most distinct predicted test classes), ``chance``, ...
    """
    data = load_data(dataset, seed)
    run_seeds = sweep.seeds(check_int(seed, "seed"), n_seeds)
    configs = [{"sizes": (data.n_features, WIDTHS.get(name, width), data.n_classes),
                "weight_init": scheme(name)[0], "bias_init": scheme(name)[1], "seed": r,
                "dataset": data, "activation": activation, "epochs": epochs, "lr": lr,
                "batch_size": batch_size, "track_layer_norms": True}
               for name in schemes for r in run_seeds]
    runs = sweep.run(train.run_config, configs, n_jobs=n_jobs, progress=False)
    curves: dict = {"dataset": dataset, "epochs": np.arange(epochs + 1), "n_seeds": n_seeds,
                    "n_test": len(data.y_test), "chance": majority_fraction(data.y_test),
                    "n_diverged": sum(r.diverged for r in runs), "test_acc": {}, "final": {},
                    "max_grad": {}, "n_distinct": {}, "n_predicted": {}}
    for i, name in enumerate(schemes):
        mine = [r for r in runs[i * n_seeds:(i + 1) * n_seeds] if not r.diverged]
        curves["test_acc"][name] = train.curves(mine, "test_acc")
        curves["final"][name] = curves["test_acc"][name][:, -1]
        curves["max_grad"][name] = np.max(   # (n_layers,): largest ||dW_l|| of any step
            [np.max(r.history.layer_grad_norms, axis=0) for r in mine], axis=0)
        curves["n_distinct"][name] = max(diagnostics.hidden_unit_similarity(
            r.model.weights[0], r.model.biases[0])["n_distinct"]
            if r.model.weights[0].shape[1] > 1 else 1 for r in mine)
        curves["n_predicted"][name] = max(
            int(np.unique(r.model.predict(data.X_test)).size) for r in mine)
    return curves


def summary(curves: dict) -> dict[str, float | int]:
    """The numbers of one :func:`compare_schemes` run, under generic names (no dataset).

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
        if name not in WIDTHS:
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


def zero_init_trace(*, seed: int, width: int, activation: str, epochs: int, lr: float,
                    batch_size: int) -> dict:
    """One all-zero run on :func:`imbalanced_digits`, watched every epoch.

    Per epoch (index 0 = at init), figure data: full-batch gradient norms ``grad_norms``
    ``(epochs + 1, 4)`` of ``dW_1, db_1, dW_2, db_2`` (:func:`gradient_norms`) and the output
    bias' class distribution ``prior = softmax(b_2)`` ``(epochs + 1, K)``; the train class
    frequencies ``p_train`` ``(K,)``. Recorded: their extremes ``trace_p_train_min`` / ``_max``,
    ``trace_max_grad_frozen`` (largest ``dW_1, db_1, dW_2`` norm of any epoch),
    ``trace_prior_max_err = max_k |softmax(b_2)_k - p_train_k|`` at the end, the majority
    fraction of the test set ``trace_chance``, the final test accuracy and its excess over
    chance, how many classes the network predicts and which (the first).
    """
    data = load_data("digits_imbalanced", seed)
    norms, prior = [], []

    def watch(epoch: int, m: network.MLP) -> None:
        norms.append(gradient_norms(m, data.X_train, data.y_train))
        e = np.exp(m.biases[-1] - m.biases[-1].max())
        prior.append(e / e.sum())                      # softmax(b_2)

    run = train.run((data.n_features, width, data.n_classes), seed=sweep.seeds(seed, 1)[0],
                    dataset=data, activation=activation, weight_init="zeros",
                    bias_init="zeros", epochs=epochs, batch_size=batch_size, lr=lr,
                    on_epoch=watch)
    p_train = np.bincount(data.y_train, minlength=data.n_classes) / len(data.y_train)
    prior, grad_norms = np.array(prior), np.array(norms)
    predicted = np.unique(run.model.predict(data.X_test))
    chance = majority_fraction(data.y_test)
    return {"trace_p_train_min": float(p_train.min()), "trace_p_train_max": float(p_train.max()),
            "trace_max_grad_frozen": float(grad_norms[:, :3].max()),
            "trace_prior_max_err": float(np.abs(prior[-1] - p_train).max()),
            "trace_chance": chance, "trace_final_acc": float(run.test_acc[-1]),
            "trace_excess": float(run.test_acc[-1] - chance),
            "trace_n_predicted": int(predicted.size), "trace_predicted": int(predicted[0]),
            "epochs": np.arange(epochs + 1), "grad_norms": grad_norms, "prior": prior,
            "p_train": p_train, "names": ["dW_1", "db_1", "dW_2", "db_2"]}


# ------------------------------------------------------------------------------ exercises


def exercise_sigmoid_width(*, width: int, seed: int, lr: float) -> dict:
    """Exercise: the all-zero sigmoid net of :func:`zero_init_gradients` at another ``width``.
    ``A_1 = 1/2`` everywhere, so ``dW_2 = 1/2 * 1 db_2^T`` has ``width`` equal rows and
    ``||dW_2|| / ||db_2|| = sqrt(width) / 2``; one step later all units are still alike."""
    g = zero_init_gradients(seed=seed, width=width, lr=lr)
    return {"ex_sig_width": check_int(width, "width", minimum=1),
            "ex_sig_ratio_theory": float(np.sqrt(width) / 2),   # sqrt(width) / 2
            "ex_sig_ratio": g["grad_sigmoid_step0_W_2"] / g["grad_sigmoid_step0_b_2"],
            "ex_sig_n_distinct": g["grad_sigmoid_n_distinct"]}


def exercise_zero_activation(*, activation: str, seed: int, width: int, epochs: int, lr: float,
                             batch_size: int) -> dict:
    """Exercise: the all-zero init, one seed on the digits, another hidden ``activation``.

    :func:`scheme_curves` for ``zeros``. ``phi(0) = 0`` freezes every weight (the algebra of
    :func:`zero_init_gradients`: ``ex_zero_max_grad_W1 = 0``); ``phi(0) != 0`` (sigmoid: 1/2)
    moves ``W_2``, then ``W_1``, but every unit alike (``ex_zero_n_distinct = 1``).
    """
    flat = summary(scheme_curves(dataset="digits", seed=seed, n_seeds=1, epochs=epochs, lr=lr,
                                 width=width, activation=activation, batch_size=batch_size,
                                 schemes=("zeros",)))
    return {"ex_zero_activation": activation,
            "ex_zero_phi0": float(activations.get(activation)(np.zeros(1))[0]),
            "ex_zero_max_grad_W1": flat["zeros_max_grad_W1"],
            "ex_zero_n_distinct": flat["zeros_n_distinct"],
            "ex_zero_final_acc": flat["zeros_final_mean"]}
