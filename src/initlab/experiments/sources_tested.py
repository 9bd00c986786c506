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
    network weights". From all-zero weights, how far each parameter array actually moves.

Why: a reader who trusts the sources on these points builds worse networks; each verdict is a
measured number. Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import datasets, diagnostics, initializers, losses, network, sweep, train
from initlab._checks import check_int

POSITIVE = ("random_uniform", {"minval": 0.0, "maxval": 0.1})     # the sources' [0.0, 0.1]
SYMMETRIC = ("random_uniform", {"minval": -0.05, "maxval": 0.05})  # same variance, mean 0
#: Var(U[a, b]) = (b - a)^2 / 12: both ranges have width 0.1.
UNIFORM_VAR = 0.1**2 / 12.0


def _digits(seed: int) -> datasets.Split:
    return datasets.load("digits", np.random.default_rng(seed))


# ------------------------------------------------------------------------- (a) bias gradients


def bias_gradients(seed: int, smoke: bool) -> dict:
    """Per-layer ``||db_l||`` and ``||dW_l||`` at init, 20 hidden layers of width 64 (smoke 32).

    Three nets on a batch of 256 digits (softmax cross-entropy): sigmoid with Glorot uniform,
    tanh with Glorot's standard ``U(+-1/sqrt(n))``, tanh with Glorot uniform. Per net:
    ``db``, ``dW`` ``(L,)`` arrays (output layer last), ``bias_ratio`` and ``weight_ratio``
    (first hidden layer over last hidden layer) and ``log_gap`` =
    ``|log10 bias_ratio - log10 weight_ratio|``. Also ``sigmoid_bound``: ``4^-(H-1)``, the
    mean-field upper bound on the sigmoid ratio (``sigma' <= 1/4`` and
    ``fan_out Var(w) <= 1`` for Glorot on square layers, so ``std(delta)`` shrinks by at
    least 4 per layer).
    """
    split = _digits(check_int(seed, "seed"))
    X, y = split.X_train[:256], split.y_train[:256]
    width, n_hidden = (32, 20) if smoke else (64, 20)
    sizes = (X.shape[1],) + (width,) * n_hidden + (10,)
    nets = {"sigmoid_glorot": ("sigmoid", "glorot_uniform"),
            "tanh_standard": ("tanh", "glorot_standard"),
            "tanh_glorot": ("tanh", "glorot_uniform")}
    out: dict = {"n_hidden": n_hidden, "width": width, "sigmoid_bound": 4.0 ** -(n_hidden - 1)}
    for name, (act, init) in nets.items():
        model = network.MLP(sizes, np.random.default_rng(seed), activation=act, weight_init=init)
        _, dout = losses.softmax_cross_entropy(model.forward(X), y)
        grads = model.backward(dout)
        dW = np.array([np.linalg.norm(g) for g in grads[0::2]])
        db = np.array([np.linalg.norm(g) for g in grads[1::2]])
        bias_ratio, weight_ratio = db[0] / db[-2], dW[0] / dW[-2]
        out[name] = {"dW": dW, "db": db, "bias_ratio": float(bias_ratio),
                     "weight_ratio": float(weight_ratio),
                     "log_gap": float(abs(math.log10(bias_ratio) - math.log10(weight_ratio)))}
    return out


# ---------------------------------------------------------------- (b) the "Xavier" range


def standard_variance(seed: int, smoke: bool) -> dict:
    """Activation variance per layer, 10 tanh layers of width 256 (smoke 128), all digits.

    ``standard``: ``U(+-1/sqrt(n))``, ``n Var(w) = 1/3``; ``normalized``: Glorot uniform,
    ``n Var(w) = 1`` on square layers. ``factor_*`` is the geometric mean of
    ``Var(A_l) / Var(A_{l-1})`` over hidden layers 2..10 (theory in tanh's linear regime: 1/3
    and 1; tanh's contraction ``|tanh z| < |z|`` can only lower them). Also ``var_*`` ``(10,)``.
    """
    seed = check_int(seed, "seed")
    X = datasets.digits()[0]
    width = 128 if smoke else 256
    sizes = (X.shape[1],) + (width,) * 10 + (10,)
    out: dict = {"width": width, "layers": np.arange(1, 11)}
    for name, init in (("standard", "glorot_standard"), ("normalized", "glorot_uniform")):
        model = network.MLP(sizes, np.random.default_rng(seed), activation="tanh",
                            weight_init=init)
        model.forward(X)
        var = np.array([float(A.var()) for A in model.A[1:-1]])
        out[f"var_{name}"] = var
        out[f"factor_{name}"] = float(np.exp(np.mean(np.log(var[1:] / var[:-1]))))
    return out


# ------------------------------------------------------------------ (c) U[0, 0.1] vs U(+-0.05)


def positive_uniform_drift(seed: int, smoke: bool) -> dict:
    """Mean pre-activation per layer, 5 hidden layers, widths 32/128/512, relu and sigmoid.

    Inputs: all standardized digits (mean 0 per pixel, so layer 1 has mean ~0 for any init).
    From layer 2 on, ``E[z] = n * 0.05 * E[a]`` under ``U[0, 0.1]``. ``mean[act][init]`` is
    ``(len(widths), 5)``. ``width_ratio_sigmoid``: layer-2 mean at width 512 over width 32
    (theory 16: layer 1 does not depend on the width, so ``E[a_1]`` is the same);
    ``relu_growth``: layer-5 over layer-2 mean of relu at width 512 (compounds with depth;
    ``relu_growth_theory = (512 * 0.05)^3`` once ``E[relu(z)] ~ E[z]``).
    """
    seed = check_int(seed, "seed")
    X = datasets.digits()[0]
    widths = (32, 128, 512)
    out: dict = {"widths": widths, "layers": np.arange(1, 6), "mean": {}}
    for act in ("relu", "sigmoid"):
        out["mean"][act] = {}
        for label, (name, kw) in (("positive", POSITIVE), ("symmetric", SYMMETRIC)):
            rows = []
            for n in widths:
                model = network.MLP((X.shape[1],) + (n,) * 5 + (10,), np.random.default_rng(seed),
                                    activation=act, weight_init=initializers.get(name, **kw))
                model.forward(X)
                rows.append([float(Z.mean()) for Z in model.Z[:-1]])
            out["mean"][act][label] = np.array(rows)
    m = out["mean"]
    pos_sigmoid = m["sigmoid"]["positive"]
    out["width_ratio_sigmoid"] = float(pos_sigmoid[2, 1] / pos_sigmoid[0, 1])
    out["relu_growth"] = float(m["relu"]["positive"][2, 4] / m["relu"]["positive"][2, 1])
    # once the mean dominates the spread, E[relu(z)] ~ E[z]: a factor n * 0.05 per layer
    out["relu_growth_theory"] = (widths[2] * 0.05) ** 3
    out["sym_max_abs_mean"] = float(max(np.abs(m[a]["symmetric"]).max() for a in m))
    out["pos_layer5_relu_512"] = float(m["relu"]["positive"][2, 4])
    return out


def _train_run(config: dict) -> dict:
    """One run of :func:`positive_uniform_training` (top level for the sweep workers)."""
    split = _digits(config["data_seed"])
    rng = np.random.default_rng(config["seed"])
    name, kw = POSITIVE if config["init"] == "positive" else SYMMETRIC
    model = network.MLP((64, 256, 256, 10), rng, activation=config["act"],
                        weight_init=initializers.get(name, **kw))
    hist = train.train(model, split.X_train, split.y_train, rng=rng, epochs=config["epochs"],
                       batch_size=32, lr=0.05, X_test=split.X_test, y_test=split.y_test,
                       track_layer_norms=False, progress=False)
    return {"test_acc": np.array(hist.test_acc), "diverged": hist.diverged}


def positive_uniform_training(seed: int, smoke: bool) -> dict:
    """Test accuracy per epoch, ``(64, 256, 256, 10)`` relu and tanh nets, lr 0.05, batch 32.

    ``U[0, 0.1]`` versus ``U(-0.05, 0.05)``; 2 seeds x 6 epochs (smoke) or 5 x 15 (full),
    seeds shared between the two inits. ``acc[act][init]`` is ``(n_seeds, epochs + 1)``;
    ``gap_<act>`` the mean final accuracy of symmetric minus positive.
    """
    seed = check_int(seed, "seed")
    n_seeds, epochs = (2, 6) if smoke else (5, 15)
    configs = [{"act": a, "init": i, "seed": s, "data_seed": seed, "epochs": epochs}
               for a in ("relu", "tanh") for i in ("positive", "symmetric")
               for s in sweep.seeds(seed, n_seeds)]
    runs = sweep.run(_train_run, configs, n_jobs=1, progress=False)
    out: dict = {"epochs": np.arange(epochs + 1), "n_seeds": n_seeds, "acc": {},
                 "n_diverged": sum(r["diverged"] for r in runs)}
    for a in ("relu", "tanh"):
        out["acc"][a] = {i: np.array([r["test_acc"] for c, r in zip(configs, runs, strict=True)
                                      if c["act"] == a and c["init"] == i])
                         for i in ("positive", "symmetric")}
        final = {i: float(out["acc"][a][i][:, -1].mean()) for i in ("positive", "symmetric")}
        out[f"final_{a}_positive"] = final["positive"]
        out[f"final_{a}_symmetric"] = final["symmetric"]
        out[f"gap_{a}"] = final["symmetric"] - final["positive"]
    return out


# ---------------------------------------------------------------- (d) zero init: what moves


def zero_init_movement(seed: int, smoke: bool) -> dict:
    """``||theta_end - theta_0||`` per parameter array after training from all-zero weights.

    ``(64, 32, 10)`` nets, zero weights and biases, tanh and sigmoid hidden layer, digits,
    lr 0.1, batch 32, 5 (smoke) or 20 epochs. tanh(0) = 0 makes the hidden output 0, so
    ``dW_2 = A_1^T delta = 0`` and ``dA_1 = delta W_2^T = 0``: only ``b_2`` can move.
    sigmoid(0) = 1/2 gives ``dW_2 != 0``, after which ``W_1`` moves too, but every hidden unit
    the same way (``n_distinct`` = 1). ``moved[act]`` maps ``W1, b1, W2, b2`` to the distance.
    """
    split = _digits(check_int(seed, "seed"))
    epochs = 5 if smoke else 20
    out: dict = {"epochs": epochs, "moved": {}, "n_distinct": {}, "test_acc": {}}
    for act in ("tanh", "sigmoid"):
        rng = np.random.default_rng(seed)
        model = network.MLP((64, 32, 10), rng, activation=act, weight_init="zeros")
        start = [p.copy() for p in model.parameters()]
        hist = train.train(model, split.X_train, split.y_train, rng=rng, epochs=epochs,
                           batch_size=32, lr=0.1, X_test=split.X_test, y_test=split.y_test,
                           track_layer_norms=False, progress=False)
        out["moved"][act] = {k: float(np.linalg.norm(p - p0)) for k, p, p0 in
                             zip(("W1", "b1", "W2", "b2"), model.parameters(), start, strict=True)}
        sim = diagnostics.hidden_unit_similarity(model.weights[0], model.biases[0])
        out["n_distinct"][act] = int(sim["n_distinct"])
        out["test_acc"][act] = float(hist.test_acc[-1])
    out["chance"] = float(np.bincount(split.y_test).max() / len(split.y_test))
    return out


# ------------------------------------------------------------------------------ figures


def plot_bias_gradients(bg: dict) -> Figure:
    """``||db_l||`` (solid) and ``||dW_l||`` (dashed) per layer, log y, one colour per net."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    labels = {"sigmoid_glorot": "sigmoid, Glorot uniform",
              "tanh_standard": "tanh, standard U(±1/√n)", "tanh_glorot": "tanh, Glorot uniform"}
    layers = np.arange(1, bg["n_hidden"] + 2)
    for k, (name, label) in enumerate(labels.items()):
        ax.semilogy(layers, bg[name]["db"], "-o", ms=3, color=f"C{k}", label=f"{label}: bias")
        ax.semilogy(layers, bg[name]["dW"], "--", color=f"C{k}", label=f"{label}: weights")
    ax.set(xlabel="layer (1 = first hidden, last = output)",
           ylabel="gradient norm at init (log)",
           title=f"{bg['n_hidden']} hidden layers of width {bg['width']}, 256 digits")
    ax.legend(fontsize=7, ncol=1, loc="lower right")
    fig.tight_layout()
    return fig


def plot_positive_uniform(drift: dict, tr: dict) -> Figure:
    """Left: mean pre-activation per layer (symlog), by width; right: test accuracy curves."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
    for k, n in enumerate(drift["widths"]):
        ax1.plot(drift["layers"], drift["mean"]["relu"]["positive"][k], "-o", ms=3,
                 color=f"C{k}", label=f"U[0, 0.1], width {n}")
        ax1.plot(drift["layers"], drift["mean"]["relu"]["symmetric"][k], ":", color=f"C{k}",
                 label=f"U(±0.05), width {n}")
    ax1.set_yscale("symlog", linthresh=0.1)
    ax1.set(xlabel="hidden layer", ylabel="mean pre-activation (symlog)",
            title="ReLU, all 1797 digits: all-positive weights drift")
    ax1.legend(fontsize=7)
    for k, a in enumerate(("relu", "tanh")):
        for init, ls in (("positive", "-"), ("symmetric", "--")):
            acc = tr["acc"][a][init]
            ax2.plot(tr["epochs"], acc.mean(axis=0), ls, color=f"C{k}",
                     label=f"{a}, {'U[0, 0.1]' if init == 'positive' else 'U(±0.05)'}")
            ax2.fill_between(tr["epochs"], acc.min(axis=0), acc.max(axis=0), color=f"C{k}",
                             alpha=0.15)
    ax2.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1),
            title=f"(64, 256, 256, 10), {tr['n_seeds']} seeds: mean, band = min..max")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_zero_movement(zm: dict) -> Figure:
    """Bar chart of how far each parameter array moved from zero, per activation (log y)."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    keys = ("W1", "b1", "W2", "b2")
    floor = 1e-6
    for k, act in enumerate(("tanh", "sigmoid")):
        vals = [max(zm["moved"][act][key], floor) for key in keys]
        ax.bar(np.arange(4) + 0.2 * (2 * k - 1), vals, width=0.4, color=f"C{k}",
               label=f"{act} hidden layer")
    ax.axhline(floor, color="k", lw=0.8, ls=":")
    ax.text(3.6, floor * 1.5, "exactly 0", fontsize=8, ha="right")
    ax.set_yscale("log")
    ax.set_xticks(np.arange(4), ["$W_1$ (hidden)", "$b_1$ (hidden)", "$W_2$ (output)",
                                 "$b_2$ (output)"])
    ax.set(ylabel=r"$\|\theta_{end} - \theta_0\|$ (log)",
           title=f"All-zero init, {zm['epochs']} epochs of SGD on the digits")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
