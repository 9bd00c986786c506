"""Chapter 10, what the sources get wrong, tested: four claims from the commissioning documents.

What: one experiment per claim, each returning the number that settles it.

(a) :func:`bias_gradients`: "the gradients with respect to bias depend only on the linear
    activation of that layer ... so they do not vanish or explode". Backprop gives
    ``db_l = sum_batch delta_l`` and ``dW_l = A_{l-1}^T delta_l`` with the same
    ``delta_l = dL/dZ_l``, so the bias gradient shrinks through depth exactly as ``delta`` does
    (Glorot and Bengio 2010, sec. 4.2). Measured per layer in 20-hidden-layer sigmoid and tanh
    nets on the digits.
(b) :func:`standard_variance`: the range ``U(+-1/sqrt(n))`` the sources call "Xavier" is
    Glorot and Bengio's *standard* heuristic; ``Var(w) = 1/(3n)`` makes each layer multiply the
    activation variance by ``n Var(w) = 1/3`` in tanh's linear regime. Measured per layer
    against Glorot's normalized init.
(c) :func:`positive_uniform_drift`, :func:`positive_uniform_training`: "small random values
    ... such as in [0.0, 0.1]". All-positive weights have mean 0.05, so a pre-activation
    ``z_j = sum_i w_ij a_i`` has mean ``n * 0.05 * E[a]``: it grows with the width ``n`` and,
    for ReLU (``E[a] > 0``), compounds with depth. Compared with ``U(-0.05, 0.05)``, which has
    the same variance ``0.1^2 / 12`` but mean 0.
(d) :func:`zero_init_movement`: "the learning algorithm's equations would be unable to alter the
    network weights". From all-zero weights, how far each parameter array actually moves: with
    tanh (or ReLU) hidden units only the output biases, with sigmoid every array.

Why: a reader who trusts the sources on these points builds worse networks; each verdict is a
measured number.

Layout: each experiment takes its settings as keyword arguments (the notebook's settings cell)
and returns one dict whose scalar entries, under literal keys, are the numbers the page
records; its other entries are the data of the figure drawn by :mod:`.figures`. The
``exercise_*`` functions are the page's "predict, then run" cells (keys prefixed ``ex_``).

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab import datasets, diagnostics, initializers, losses, network, sweep, train
from initlab._checks import check_int
from initlab.experiments.sources_tested.figures import (
    plot_bias_gradients,
    plot_positive_drift,
    plot_positive_training,
    plot_standard_variance,
    plot_zero_movement,
)

__all__ = ["bias_gradients", "exercise_depth", "exercise_standard_activation",
           "exercise_zero_activation", "plot_bias_gradients", "plot_positive_drift",
           "plot_positive_training", "plot_standard_variance", "plot_zero_movement",
           "positive_uniform_drift", "positive_uniform_training", "standard_variance",
           "uniform_init", "zero_init_movement"]

POSITIVE = ("random_uniform", {"minval": 0.0, "maxval": 0.1})     # the sources' [0.0, 0.1]
SYMMETRIC = ("random_uniform", {"minval": -0.05, "maxval": 0.05})  # same variance, mean 0
#: Var(U[a, b]) = (b - a)^2 / 12: both ranges have width 0.1.
UNIFORM_VAR = 0.1**2 / 12.0


def uniform_init(label: str) -> object:
    """The initializer of ``label``: ``"positive"`` (``U[0, 0.1]``) or ``"symmetric"``."""
    name, kw = {"positive": POSITIVE, "symmetric": SYMMETRIC}[label]
    return initializers.get(name, **kw)


# ------------------------------------------------------------------------- (a) bias gradients


def bias_gradients(*, seed: int, width: int, n_hidden: int, batch_size: int) -> dict:
    """Per-layer ``||db_l||`` and ``||dW_l||`` at init, ``n_hidden`` layers of ``width`` units.

    Three nets on ``batch_size`` digits (softmax cross-entropy; split and weights from
    ``seed``): sigmoid with Glorot uniform, tanh with Glorot's standard ``U(+-1/sqrt(n))``,
    tanh with Glorot uniform. Per net: ``db``, ``dW`` ``(L,)`` (output layer last) and the
    first-over-last-hidden-layer ratios, with ``log_gap = |log10 bias - log10 weight ratio|``.
    ``bias_sigmoid_bound = 4^-(H-1)``: the mean-field upper bound on the sigmoid ratio
    (``sigma' <= 1/4`` and ``fan_out Var(w) <= 1`` for Glorot on square layers, so
    ``std(delta)`` shrinks by at least 4 per layer).
    """
    split = datasets.load("digits", np.random.default_rng(check_int(seed, "seed")))
    X, y = split.X_train[:batch_size], split.y_train[:batch_size]
    sizes = (X.shape[1],) + (width,) * n_hidden + (10,)
    nets = {"sigmoid_glorot": ("sigmoid", "glorot_uniform"),
            "tanh_standard": ("tanh", "glorot_standard"),
            "tanh_glorot": ("tanh", "glorot_uniform")}
    out: dict = {"settings": {"n_hidden": n_hidden, "width": width, "n_rows": len(X)}}
    for name, (act, init) in nets.items():
        model = network.MLP(sizes, np.random.default_rng(seed), activation=act, weight_init=init)
        _, dout = losses.softmax_cross_entropy(model.forward(X), y)
        grads = model.backward(dout)               # dW_l = A_{l-1}^T delta_l, db_l = sum delta_l
        dW = np.array([np.linalg.norm(g) for g in grads[0::2]])
        db = np.array([np.linalg.norm(g) for g in grads[1::2]])
        bias_ratio, weight_ratio = db[0] / db[-2], dW[0] / dW[-2]
        out[name] = {"dW": dW, "db": db, "bias_ratio": float(bias_ratio),
                     "weight_ratio": float(weight_ratio),
                     "log_gap": float(abs(math.log10(bias_ratio) - math.log10(weight_ratio)))}
    s, t, g = out["sigmoid_glorot"], out["tanh_standard"], out["tanh_glorot"]
    return {**out, "bias_sigmoid_bound": 4.0 ** -(n_hidden - 1),
            "sigmoid_glorot_bias_ratio": s["bias_ratio"],
            "sigmoid_glorot_weight_ratio": s["weight_ratio"],
            "sigmoid_glorot_log_gap": s["log_gap"],
            "tanh_standard_bias_ratio": t["bias_ratio"],
            "tanh_standard_weight_ratio": t["weight_ratio"], "tanh_standard_log_gap": t["log_gap"],
            "tanh_glorot_bias_ratio": g["bias_ratio"],
            "tanh_glorot_weight_ratio": g["weight_ratio"],
            "tanh_glorot_log_gap": g["log_gap"]}


# ---------------------------------------------------------------- (b) the "Xavier" range


def standard_variance(*, seed: int, width: int, n_layers: int,
                      activation: str = "tanh") -> dict:
    """Activation variance per layer, ``n_layers`` layers of ``width`` units, all digits.

    ``standard``: ``U(+-1/sqrt(n))``, ``n Var(w) = 1/3``; ``normalized``: Glorot uniform,
    ``n Var(w) = 1`` on square layers. ``standard_factor``, ``normalized_factor``: geometric
    mean of ``Var(A_l) / Var(A_{l-1})`` over hidden layers ``2..n_layers`` (theory in tanh's
    linear regime: 1/3 and 1; tanh's contraction ``|tanh z| < |z|`` can only lower them).
    ``var``: per init, the ``(n_layers,)`` variances. ``activation``: of every hidden layer.
    """
    seed = check_int(seed, "seed")
    X = datasets.digits()[0]
    sizes = (X.shape[1],) + (width,) * n_layers + (10,)
    var, factor = {}, {}
    for name, init in (("standard", "glorot_standard"), ("normalized", "glorot_uniform")):
        model = network.MLP(sizes, np.random.default_rng(seed), activation=activation,
                            weight_init=init)
        model.forward(X)
        var[name] = np.array([float(A.var()) for A in model.A[1:-1]])
        factor[name] = float(np.exp(np.mean(np.log(var[name][1:] / var[name][:-1]))))
    return {"layers": np.arange(1, n_layers + 1), "var": var, "settings": {"width": width},
            "standard_width": width,
            "standard_factor": factor["standard"], "normalized_factor": factor["normalized"]}


# ------------------------------------------------------------------ (c) U[0, 0.1] vs U(+-0.05)


def positive_uniform_drift(*, seed: int, widths: Sequence[int], n_hidden: int) -> dict:
    """Mean pre-activation per layer, ``n_hidden`` layers of each width, relu and sigmoid.

    Inputs: all standardized digits (mean 0 per pixel, so layer 1 has mean 0 for any init).
    From layer 2 on, ``E[z] = n * 0.05 * E[a]`` under ``U[0, 0.1]``. ``mean[act][init]`` is
    ``(len(widths), n_hidden)``. ``drift_width_ratio_sigmoid``: layer-2 mean at the largest
    width over the smallest (theory: their ratio, 16 for 512 / 32: layer 1 does not depend on
    the width, so ``E[a_1]`` is the same); ``drift_relu_growth``: layer-5 over layer-2 mean of
    relu at the largest width (compounds with depth: ``(n * 0.05)^3`` once
    ``E[relu(z)] ~ E[z]``).
    """
    seed = check_int(seed, "seed")
    X = datasets.digits()[0]
    mean: dict = {}
    for act in ("relu", "sigmoid"):
        mean[act] = {}
        for label in ("positive", "symmetric"):
            rows = []
            for n in widths:
                model = network.MLP((X.shape[1],) + (n,) * n_hidden + (10,),
                                    np.random.default_rng(seed), activation=act,
                                    weight_init=uniform_init(label))
                model.forward(X)
                rows.append([float(Z.mean()) for Z in model.Z[:-1]])
            mean[act][label] = np.array(rows)
    sigmoid, relu = mean["sigmoid"]["positive"], mean["relu"]["positive"]
    return {"widths": tuple(widths), "layers": np.arange(1, n_hidden + 1), "mean": mean,
            "drift_width_ratio_sigmoid": float(sigmoid[-1, 1] / sigmoid[0, 1]),
            "drift_relu_growth": float(relu[-1, 4] / relu[-1, 1]),
            # once the mean dominates the spread, E[relu(z)] ~ E[z]: a factor n * 0.05 per layer
            "drift_relu_growth_theory": (widths[-1] * 0.05) ** 3,
            "drift_sym_max_abs_mean": float(max(np.abs(mean[a]["symmetric"]).max()
                                                for a in mean)),
            "drift_pos_layer5_relu_512": float(relu[-1, 4])}


def positive_uniform_training(*, seed: int, sizes: Sequence[int], n_seeds: int, epochs: int,
                              lr: float, batch_size: int, n_jobs: int = 1) -> dict:
    """Test accuracy per epoch of relu and tanh nets, ``U[0, 0.1]`` versus ``U(-0.05, 0.05)``.

    ``train.run`` on the digits (split from ``seed``), run seeds ``sweep.seeds(seed, n_seeds)``
    shared between the two inits. ``acc[act][init]``: ``(n_seeds, epochs + 1)`` curves;
    ``pos_gap_<act>``: mean final accuracy of symmetric minus positive.
    """
    seed = check_int(seed, "seed")
    settings = [(a, i) for a in ("relu", "tanh") for i in ("positive", "symmetric")]
    configs = [{"sizes": tuple(sizes), "seed": s, "data_seed": seed, "epochs": epochs,
                "batch_size": batch_size, "lr": lr, "activation": a,
                "weight_init": uniform_init(i)}
               for a, i in settings for s in sweep.seeds(seed, n_seeds)]
    runs = sweep.run(train.run_config, configs, n_jobs=n_jobs, progress=False)
    acc: dict = {"relu": {}, "tanh": {}}
    for k, (a, i) in enumerate(settings):
        acc[a][i] = train.curves(runs[k * n_seeds:(k + 1) * n_seeds], "test_acc")
    final = {a: {i: float(acc[a][i][:, -1].mean()) for i in acc[a]} for a in acc}
    return {"epochs": np.arange(epochs + 1), "acc": acc,
            "settings": {"sizes": tuple(sizes), "n_seeds": n_seeds}, "pos_n_seeds": n_seeds,
            "pos_n_diverged": sum(r.diverged for r in runs),
            "pos_final_relu_positive": final["relu"]["positive"],
            "pos_final_relu_symmetric": final["relu"]["symmetric"],
            "pos_gap_relu": final["relu"]["symmetric"] - final["relu"]["positive"],
            "pos_final_tanh_positive": final["tanh"]["positive"],
            "pos_final_tanh_symmetric": final["tanh"]["symmetric"],
            "pos_gap_tanh": final["tanh"]["symmetric"] - final["tanh"]["positive"]}


# ---------------------------------------------------------------- (d) zero init: what moves


def _zero_run(activation: str, *, seed: int, sizes: Sequence[int], epochs: int, lr: float,
              batch_size: int) -> tuple[dict, int, float, train.Run]:
    """One ``train.run`` from all-zero weights and biases: distance moved per array
    (``W1, b1, W2, b2``), distinct hidden units, final test accuracy, and the run."""
    run = train.run(sizes, seed=seed, data_seed=seed, epochs=epochs, batch_size=batch_size,
                    lr=lr, activation=activation, weight_init="zeros", bias_init="zeros")
    # theta_0 = 0, so the distance moved is the norm of the final parameters
    moved = {k: float(np.linalg.norm(p))
             for k, p in zip(("W1", "b1", "W2", "b2"), run.model.parameters(), strict=True)}
    sim = diagnostics.hidden_unit_similarity(run.model.weights[0], run.model.biases[0])
    return moved, int(sim["n_distinct"]), float(run.test_acc[-1]), run



def zero_init_movement(*, seed: int, sizes: Sequence[int], epochs: int, lr: float,
                       batch_size: int) -> dict:
    """``||theta_end - theta_0||`` per parameter array after training from all-zero weights.

    One hidden layer (``sizes``), zero weights and biases, tanh and sigmoid, ``train.run`` on
    the digits (split and shuffles from ``seed``). tanh(0) = 0 makes the hidden output 0, so
    ``dW_2 = A_1^T delta = 0`` and ``dA_1 = delta W_2^T = 0``: only ``b_2`` can move.
    sigmoid(0) = 1/2 gives ``dW_2 != 0``, after which ``W_1`` moves too, but every hidden unit
    the same way (``n_distinct`` = 1). ``moved[act]`` maps ``W1, b1, W2, b2`` to the distance.
    """
    seed = check_int(seed, "seed")
    moved, n_distinct, test_acc = {}, {}, {}
    for act in ("tanh", "sigmoid"):
        moved[act], n_distinct[act], test_acc[act], run = _zero_run(
            act, seed=seed, sizes=sizes, epochs=epochs, lr=lr, batch_size=batch_size)
    t, s = moved["tanh"], moved["sigmoid"]
    return {"settings": {"epochs": epochs}, "moved": moved, "zero_chance": run.chance,
            "zero_tanh_moved_W1": t["W1"], "zero_tanh_moved_b1": t["b1"],
            "zero_tanh_moved_W2": t["W2"], "zero_tanh_moved_b2": t["b2"],
            "zero_sigmoid_moved_W1": s["W1"], "zero_sigmoid_moved_b1": s["b1"],
            "zero_sigmoid_moved_W2": s["W2"], "zero_sigmoid_moved_b2": s["b2"],
            "zero_tanh_n_distinct": n_distinct["tanh"], "zero_tanh_test_acc": test_acc["tanh"],
            "zero_sigmoid_n_distinct": n_distinct["sigmoid"],
            "zero_sigmoid_test_acc": test_acc["sigmoid"]}


# ------------------------------------------------------------------ predict, then run

#: ``E[phi(z)^2] / Var(z)`` for small zero-mean ``z``: the factor an activation adds to the
#: layer-to-layer variance ratio ``n Var(w)`` (tanh: its linear regime, an upper bound).
VARIANCE_GAIN = {"identity": 1.0, "linear": 1.0, "tanh": 1.0, "relu": 0.5}


def exercise_depth(*, n_hidden: int, seed: int, width: int, batch_size: int) -> dict:
    """Exercise: :func:`bias_gradients` at another depth, against the per-layer rates.

    Sigmoid with Glorot: ratio ``<= 4^-(H-1)``; tanh with the standard range: ``std(delta)``
    shrinks by ``sqrt(n Var(w)) = 1/sqrt(3)`` per layer in tanh's linear regime, ``3^-((H-1)/2)``.
    """
    n_hidden = check_int(n_hidden, "n_hidden", minimum=2)
    g = bias_gradients(seed=seed, width=width, n_hidden=n_hidden, batch_size=batch_size)
    return {"ex_bias_depth_n_hidden": n_hidden,
            "ex_bias_depth_sigmoid_bound": g["bias_sigmoid_bound"],
            "ex_bias_depth_sigmoid_bias_ratio": g["sigmoid_glorot_bias_ratio"],
            "ex_bias_depth_tanh_standard_theory": 3.0 ** (-(n_hidden - 1) / 2),
            "ex_bias_depth_tanh_standard_bias_ratio": g["tanh_standard_bias_ratio"],
            "ex_bias_depth_tanh_glorot_bias_ratio": g["tanh_glorot_bias_ratio"]}


def exercise_standard_activation(*, activation: str, seed: int, width: int,
                                 n_layers: int) -> dict:
    """Exercise: :func:`standard_variance` with another activation.

    Zero-mean weights give ``Var(z_l) = n Var(w) E[a_{l-1}^2]``, so the per-layer factor is
    ``n Var(w) * VARIANCE_GAIN[activation]``: ``1/3`` for tanh's linear regime, ``1/6`` for relu.
    """
    if activation not in VARIANCE_GAIN:
        raise ValueError(f"`activation` must be one of {sorted(VARIANCE_GAIN)} (a closed form "
                         f"of E[phi(z)^2] / Var(z)), got {activation!r}")
    v = standard_variance(seed=seed, width=width, n_layers=n_layers, activation=activation)
    return {"ex_standard_activation": activation, "ex_standard_factor": v["standard_factor"],
            "ex_standard_factor_theory": VARIANCE_GAIN[activation] / 3.0,
            "ex_standard_normalized_factor": v["normalized_factor"],
            "ex_standard_normalized_theory": VARIANCE_GAIN[activation]}


def exercise_zero_activation(*, activation: str, seed: int, sizes: Sequence[int], epochs: int,
                             lr: float, batch_size: int) -> dict:
    """Exercise: :func:`zero_init_movement` for one other hidden activation.

    Only ``b2`` can move if ``phi(0) = 0`` (``A_1 = 0``: ``dW_2 = 0``, ``dA_1 = delta W_2^T =
    0``); if ``phi(0) != 0``, ``W_2`` moves at once and ``W_1`` after it, every unit alike.
    """
    moved, n_distinct, test_acc, run = _zero_run(activation, seed=check_int(seed, "seed"),
                                                 sizes=sizes, epochs=epochs, lr=lr,
                                                 batch_size=batch_size)
    return {"ex_zero_act_activation": activation, "ex_zero_act_moved_W1": moved["W1"],
            "ex_zero_act_moved_b1": moved["b1"], "ex_zero_act_moved_W2": moved["W2"],
            "ex_zero_act_moved_b2": moved["b2"], "ex_zero_act_n_distinct": n_distinct,
            "ex_zero_act_test_acc": test_acc}
