"""Chapter 6, He / Kaiming initialization: the experiments behind the page.

What: He et al. (2015, "Delving deep into rectifiers") show that a ReLU keeps half of the
second moment of a symmetric pre-activation, ``E[relu(z)^2] = E[z^2] / 2``, so a layer keeps
the signal's scale when ``fan_in * Var(w) * 1/2 = 1``, i.e. ``Var(w) = 2 / fan_in``. Five
experiments:

1. :func:`relu_halving`: Monte Carlo check of ``E[relu(z)^2] / E[z^2] = 1/2``.
2. :func:`depth_profile`: 30 square ReLU layers at initialization under He
   (``Var = 2/n``), Xavier (``glorot_normal``: ``2 / (n + n) = 1/n``) and ``N(0, 0.01^2)``;
   the mean-square activation per layer, relative to the input's, against
   :func:`initlab.theory.predicted_variance`: ``1``, ``2^-l`` and ``(n 10^-4 / 2)^l``-ish.
3. :func:`train_comparison`: the same 30-layer ReLU stack on the digits, He versus Xavier.
4. :func:`fan_mode_profile`: a widening ReLU stack with He's ``fan_in`` and ``fan_out`` modes:
   ``fan_in`` keeps the forward second moment, ``fan_out`` the back-propagated gradient's.
5. :func:`leaky_profile`: leaky ReLU with slope ``a``; PyTorch's gain ``sqrt(2 / (1 + a^2))``
   (:func:`initlab.initializers.calculate_gain`) keeps it flat, the ReLU gain ``sqrt(2)``
   makes it grow by ``1 + a^2`` per layer.

Why: the chapter derives He's factor 2 and measures what it buys over Xavier's ``1/n`` in a
deep ReLU net, forward and in training, and which of the two fans it protects.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples, ``Z_l = A_{l-1} @ W_l`` (zero
biases), ``A_l = phi(Z_l)``. "Second-moment ratio" of layer ``l`` is
``v_l = mean(A_l^2) / mean(X^2)``, over all units and examples (He et al. track ``E[x^2]``,
not ``Var(x)``, because a ReLU output has a non-zero mean). Every function takes ``seed`` and
``smoke`` and returns a plain dict of floats and ndarrays; ``plot_*`` turn those into figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from initlab import activations, datasets, diagnostics, initializers, network, sweep, theory, train
from initlab._checks import check_choice, check_int, check_positive
from initlab.theory import finite_width_log_std  # sqrt(5 L / n) (Hanin & Rolnick 2018)

#: The three inits of the depth experiment, as ``initializers.get`` arguments.
SCHEMES: dict[str, tuple[str, dict]] = {
    "he": ("kaiming_normal", {"mode": "fan_in", "nonlinearity": "relu"}),
    "xavier": ("glorot_normal", {}),
    "std001": ("random_normal", {"stddev": 0.01}),
}
LABELS = {"he": "He: N(0, 2/fan_in)", "xavier": "Xavier: Var = 2/(fan_in+fan_out)",
          "std001": "N(0, 0.01²)"}
COLORS = {"he": "C2", "xavier": "C0", "std001": "C3"}


def scheme(name: str) -> Callable[..., np.ndarray]:
    """The initializer ``(shape, rng, dtype) -> W`` of scheme ``name`` (a key of SCHEMES)."""
    check_choice(name, "scheme", SCHEMES)
    init_name, params = SCHEMES[name]
    return initializers.get(init_name, **params)


def scheme_variance(name: str, shape: tuple[int, int]) -> float:
    """``Var(w)`` of scheme ``name`` for an ``(n_in, n_out)`` kernel.

    he: ``2 / fan_in``; xavier: ``2 / (fan_in + fan_out)``; std001: ``0.01^2``.
    """
    check_choice(name, "scheme", SCHEMES)
    fan_in, fan_out = shape
    if name == "he":
        return 2.0 / fan_in
    if name == "xavier":
        return 2.0 / (fan_in + fan_out)
    return 0.01**2


def second_moments(model: network.MLP, X: np.ndarray) -> np.ndarray:
    """``(n_layers,)``: ``mean(A_l^2) / mean(X^2)`` for ``l = 1..n_layers`` after one forward."""
    model.forward(X, keep=True)
    return np.array([np.mean(A**2) for A in model.A[1:]]) / np.mean(X**2)


# ------------------------------------------------------------------ 1. ReLU halves E[z^2]


def relu_halving(seed: int, n_draws: int = 1_000_000) -> dict:
    """Monte Carlo ``E[relu(z)^2] / E[z^2]`` for ``z ~ N(0, 1)`` (He et al. 2015, eq. 7).

    Half of a symmetric distribution's mass is positive and ``relu(z)^2 = z^2`` there, so the
    ratio is exactly 1/2. Returns the sample mean of ``relu(z)^2`` (``E[z^2] = 1``), its
    standard error ``std(relu(z)^2) / sqrt(N)`` and the z-score against 1/2.
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    z = np.random.default_rng(check_int(seed, "seed")).standard_normal(n_draws)
    r2 = np.maximum(z, 0.0) ** 2
    mean, se = float(r2.mean()), float(r2.std() / math.sqrt(n_draws))
    return {"n_draws": n_draws, "ratio": mean, "se": se, "z": (mean - 0.5) / se}


# ---------------------------------------------------------------- 2. 30 layers at init


def _depth_sizes(smoke: bool) -> tuple[int, int, int]:
    """``(width, batch, n_seeds)`` of the depth experiments: smaller in smoke mode."""
    return (256, 256, 8) if smoke else (512, 256, 12)


def depth_profile(seed: int, smoke: bool, n_layers: int = 30) -> dict:
    """Second-moment ratio ``v_l`` through ``n_layers`` square ReLU layers, per scheme and seed.

    Per run seed (``sweep.seeds(seed, n_seeds)``): ``X ~ N(0, 1)`` of shape ``(batch, width)``,
    then one network per scheme, drawn one after the other from the same rng (independent
    weights). Theory: ``v_l = E[A_l^2] / E[x^2] = q_l / 2`` with
    ``q_l = theory.predicted_variance(n_layers, width, Var(w), "relu")``, i.e.
    ``v_l = (width Var(w)) (width Var(w) / 2)^(l-1) / 2``: ``1`` (He), ``2^-l`` (Xavier).
    Per scheme: ``ratios`` ``(n_seeds, n_layers)``, ``theory`` ``(n_layers,)``, and for the
    last layer: the mean over seeds ``last_mean`` (theory is exact in expectation, so the
    plain mean is the unbiased comparison; a geometric mean sits ``exp(-s^2/2)`` low for a
    log-normal spread ``s``), its ratio to theory, the smallest and largest per-seed
    ``log2(v_L / theory)``, and ``last_ln_std``, the std of ``ln v_L`` over seeds (compare
    :func:`initlab.theory.finite_width_log_std`).
    """
    n_layers = check_int(n_layers, "n_layers", minimum=2)
    width, batch, n_seeds = _depth_sizes(smoke)
    out: dict = {"width": width, "batch": batch, "n_seeds": n_seeds, "n_layers": n_layers,
                 "layers": np.arange(1, n_layers + 1)}
    ratios: dict[str, list] = {name: [] for name in SCHEMES}
    for s in sweep.seeds(check_int(seed, "seed"), n_seeds):
        rng = np.random.default_rng(s)
        X = rng.standard_normal((batch, width))
        for name in SCHEMES:
            model = network.MLP((width,) * (n_layers + 1), rng, activation="relu",
                                weight_init=scheme(name), output_activation="relu")
            ratios[name].append(second_moments(model, X))
    c = theory.activation_second_moment_factor("relu")           # 1/2
    for name in SCHEMES:
        r = np.array(ratios[name])
        pred = c * theory.predicted_variance(n_layers, width,
                                             scheme_variance(name, (width, width)), "relu")
        log2_last = np.log2(r[:, -1])
        out[name] = {"ratios": r, "theory": pred,
                     "last_mean": float(r[:, -1].mean()),
                     "last_theory": float(pred[-1]),
                     "last_vs_theory": float(r[:, -1].mean() / pred[-1]),
                     "last_log2_dev_min": float((log2_last - np.log2(pred[-1])).min()),
                     "last_log2_dev_max": float((log2_last - np.log2(pred[-1])).max()),
                     "last_ln_std": float(np.log(r[:, -1]).std(ddof=1))}
    return out


# --------------------------------------------------------------------- 3. training


def _train_run(config: dict) -> dict:
    """One training run of :func:`train_comparison` (top level, so sweep workers can pickle it)."""
    data = datasets.load("digits", np.random.default_rng(config["data_seed"]))
    rng = np.random.default_rng(config["seed"])
    model = network.MLP(config["sizes"], rng, activation="relu",
                        weight_init=scheme(config["scheme"]))
    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=config["epochs"],
                       batch_size=config["batch_size"], lr=config["lr"],
                       momentum=config["momentum"], X_test=data.X_test, y_test=data.y_test,
                       track_layer_norms=False, progress=False)
    return {"test_acc": np.array(hist.test_acc), "diverged": hist.diverged,
            "chance": float(np.bincount(data.y_test).max() / len(data.y_test))}


def train_comparison(seed: int, smoke: bool, n_jobs: int = 1, n_layers: int = 30) -> dict:
    """Test accuracy per epoch of a ``n_layers``-hidden-layer ReLU net on the digits.

    Sizes ``(64, width x n_layers, 10)``, width 64 (smoke) or 128 (full); SGD with momentum
    0.9, lr 0.001, batch 32; 8 epochs x 2 seeds (smoke) or 20 epochs x 5 seeds (full), He and
    Xavier. One digits split (from ``seed``) for all runs; run seeds ``sweep.seeds(seed, n)``
    shared by the schemes. Returns ``test_acc[scheme]`` ``(n_seeds, epochs + 1)`` of finished
    runs (column 0 = before training), ``n_diverged`` and ``chance`` (the largest class share
    of the test set: the accuracy of always answering one class).
    """
    seed = check_int(seed, "seed")
    n_layers = check_int(n_layers, "n_layers", minimum=1)
    width, epochs, n_seeds = (64, 8, 2) if smoke else (128, 20, 5)
    sizes = (64,) + (width,) * n_layers + (10,)
    names = ("he", "xavier")
    configs = [{"scheme": name, "seed": s, "data_seed": seed, "sizes": sizes, "epochs": epochs,
                "batch_size": 32, "lr": 0.001, "momentum": 0.9}
               for name in names for s in sweep.seeds(seed, n_seeds)]
    runs = sweep.run(_train_run, configs, n_jobs=n_jobs, progress=False)
    out: dict = {"epochs": np.arange(epochs + 1), "width": width, "n_layers": n_layers,
                 "n_seeds": n_seeds, "lr": 0.001, "momentum": 0.9, "batch_size": 32,
                 "chance": runs[0]["chance"], "test_acc": {},
                 "n_diverged": sum(r["diverged"] for r in runs)}
    for name in names:
        out["test_acc"][name] = np.array(
            [r["test_acc"] for c, r in zip(configs, runs, strict=True)
             if c["scheme"] == name and not r["diverged"]])
    return out


# ------------------------------------------------------------------ 4. fan_in vs fan_out


def fan_mode_profile(seed: int, smoke: bool,
                     sizes: tuple[int, ...] = (32, 64, 128, 256, 512, 1024)) -> dict:
    """Forward ``v_l`` and backward ``E[dZ_l^2]`` of a widening ReLU stack, per He mode.

    ``sizes = (n_0, ..., n_L)``, every layer ReLU, He normal with ``mode`` fan_in
    (``Var = 2/n_{l-1}``) or fan_out (``Var = 2/n_l``). Input ``X ~ N(0, 1)``
    ``(batch, n_0)``, batch 256; a random ``dout ~ N(0, 1)`` at the top is back-propagated
    (:func:`initlab.diagnostics.backprop_grads`). Per layer: forward factor
    ``n_{l-1} Var(w_l) / 2``, backward factor ``n_l Var(w_l) / 2`` (theory.predicted_variance /
    predicted_gradient_variance with per-layer fans). Per mode: ``fwd`` ``(n_seeds, L)``,
    ``bwd`` ``(n_seeds, L)`` = ``E[dZ_l^2] / E[dZ_L^2]``, theory lines, and the means over
    seeds of ``fwd[:, -1]`` and ``bwd[:, 0]`` (the end-to-end ratios).
    """
    sizes = tuple(check_int(n, "sizes entry", minimum=1) for n in sizes)
    n_layers = len(sizes) - 1
    n_seeds = 8 if smoke else 16
    batch = 256
    out: dict = {"sizes": sizes, "n_seeds": n_seeds, "batch": batch,
                 "layers": np.arange(1, n_layers + 1)}
    fwd: dict[str, list] = {"fan_in": [], "fan_out": []}
    bwd: dict[str, list] = {"fan_in": [], "fan_out": []}
    for s in sweep.seeds(check_int(seed, "seed"), n_seeds):
        rng = np.random.default_rng(s)
        X = rng.standard_normal((batch, sizes[0]))
        for mode in fwd:
            init = initializers.get("kaiming_normal", mode=mode, nonlinearity="relu")
            model = network.MLP(sizes, rng, activation="relu", weight_init=init,
                                output_activation="relu")
            fwd[mode].append(second_moments(model, X))
            grads = diagnostics.backprop_grads(model, rng.standard_normal((batch, sizes[-1])))
            g2 = np.array([np.mean(g**2) for g in grads])
            bwd[mode].append(g2 / g2[-1])
    fan_in, fan_out = list(sizes[:-1]), list(sizes[1:])
    for mode in fwd:
        var_w = [2.0 / (fi if mode == "fan_in" else fo) for fi, fo in zip(fan_in, fan_out,
                                                                           strict=True)]
        f_pred = 0.5 * theory.predicted_variance(n_layers, fan_in, var_w, "relu")
        b_pred = theory.predicted_gradient_variance(n_layers, fan_out, var_w, "relu")
        f, b = np.array(fwd[mode]), np.array(bwd[mode])
        out[mode] = {"fwd": f, "bwd": b, "fwd_theory": f_pred, "bwd_theory": b_pred,
                     "fwd_last_mean": float(f[:, -1].mean()),
                     "bwd_first_mean": float(b[:, 0].mean()),
                     "fwd_last_theory": float(f_pred[-1]), "bwd_first_theory": float(b_pred[0])}
    return out


# ------------------------------------------------------------------ 5. leaky ReLU gain


def leaky_profile(seed: int, smoke: bool, alpha: float = 0.2, n_layers: int = 30) -> dict:
    """``v_l`` through ``n_layers`` square leaky-ReLU layers (slope ``alpha``), two gains.

    "leaky_gain": ``kaiming_normal(a=alpha, nonlinearity="leaky_relu")``, std
    ``sqrt(2 / (1 + a^2)) / sqrt(n)``; "relu_gain": the ReLU gain ``sqrt(2)``. A leaky ReLU
    keeps ``(1 + a^2) / 2`` of the second moment, so the per-layer factor is ``1`` with the
    leaky gain and ``1 + a^2`` with the ReLU gain. Same sizes and seeds as
    :func:`depth_profile`. Per gain: ``ratios`` ``(n_seeds, n_layers)``, ``theory``,
    ``last_mean`` (mean over seeds of ``v_L``) and ``last_theory``.
    """
    check_positive(alpha, "alpha")
    n_layers = check_int(n_layers, "n_layers", minimum=2)
    width, batch, n_seeds = _depth_sizes(smoke)
    act = activations.get("leaky_relu", alpha=alpha)
    gains = {"leaky_gain": initializers.calculate_gain("leaky_relu", alpha),
             "relu_gain": initializers.calculate_gain("relu")}
    out: dict = {"alpha": float(alpha), "width": width, "n_seeds": n_seeds,
                 "n_layers": n_layers, "layers": np.arange(1, n_layers + 1), "gains": gains}
    ratios: dict[str, list] = {k: [] for k in gains}
    for s in sweep.seeds(check_int(seed, "seed"), n_seeds):
        rng = np.random.default_rng(s)
        X = rng.standard_normal((batch, width))
        for key in gains:
            a = alpha if key == "leaky_gain" else 0.0
            nonlin = "leaky_relu" if key == "leaky_gain" else "relu"
            init = initializers.get("kaiming_normal", a=a, nonlinearity=nonlin)
            model = network.MLP((width,) * (n_layers + 1), rng, activation=act,
                                weight_init=init, output_activation=act)
            ratios[key].append(second_moments(model, X))
    c = theory.activation_second_moment_factor("leaky_relu", alpha)     # (1 + a^2) / 2
    for key, gain in gains.items():
        r = np.array(ratios[key])
        pred = c * theory.predicted_variance(n_layers, width, gain**2 / width, "leaky_relu",
                                             alpha=alpha)
        out[key] = {"ratios": r, "theory": pred, "last_theory": float(pred[-1]),
                    "last_mean": float(r[:, -1].mean())}
    return out


# ------------------------------------------------------------------------------ figures


def _seed_lines(ax: plt.Axes, x: np.ndarray, rows: np.ndarray, color: str, label: str) -> None:
    """One thin line per seed (first one labelled), in a light opaque tint of ``color``.

    Opaque tints instead of transparency keep the PNG small (no blended colours).
    """
    tint = np.clip(1 - 0.55 * (1 - np.array(to_rgb(color))), 0, 1)
    for i, row in enumerate(rows):
        ax.plot(x, row, color=tint, lw=0.8, antialiased=False, label=label if i == 0 else None)


def plot_depth_profile(profile: dict) -> Figure:
    """Left: ``v_l`` on a log axis, mean over seeds (solid) and theory (dashed), per scheme.

    Right: every seed's ``log2(v_l / theory)`` with the finite-width band
    ``+-2 sqrt(5 l / n) / ln 2`` (:func:`initlab.theory.finite_width_log_std`).
    """
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.4), width_ratios=(1.2, 1))
    x = profile["layers"]
    for name in SCHEMES:
        p = profile[name]
        ax.plot(x, p["ratios"].mean(axis=0), color=COLORS[name], lw=2,
                label=f"{LABELS[name]}, mean of seeds")
        ax.plot(x, p["theory"], "--", color="k", lw=1.2,
                label="theory (predicted_variance / 2)" if name == "std001" else None)
        _seed_lines(bx, x, np.log2(p["ratios"] / p["theory"]), COLORS[name], LABELS[name])
    ax.annotate("2^-30", (x[-1], profile["xavier"]["theory"][-1]), xytext=(-38, 12),
                textcoords="offset points", fontsize=9, color=COLORS["xavier"])
    ax.set_yscale("log")
    ax.set(title=f"{profile['n_layers']} ReLU layers of width {profile['width']} at init "
                 f"({profile['n_seeds']} seeds)",
           xlabel="layer l", ylabel="variance ratio mean(A_l²) / mean(x²)  (log)")
    ax.legend(fontsize=8, loc="lower left")
    band = 2 * np.array([finite_width_log_std(int(l), profile["width"]) for l in x]) / math.log(2)
    bx.fill_between(x, -band, band, color="0.85", label="±2 sd, √(5 l / n) in ln")
    bx.axhline(0, color="k", lw=1)
    bx.set(title="Each seed relative to theory", xlabel="layer l",
           ylabel="log2(measured / theory)")
    bx.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def plot_training(curves: dict) -> Figure:
    """Test accuracy per epoch: mean over seeds with a min..max band, He versus Xavier."""
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    ep = curves["epochs"]
    for name, acc in curves["test_acc"].items():
        ax.plot(ep, acc.mean(axis=0), color=COLORS[name], marker="o", ms=3, label=LABELS[name])
        ax.fill_between(ep, acc.min(axis=0), acc.max(axis=0), color=COLORS[name], alpha=0.2)
    ax.axhline(curves["chance"], color="0.5", ls=":", label="largest class share (chance)")
    ax.set(title=f"{curves['n_layers']} ReLU layers of width {curves['width']} on the digits "
                 f"({curves['n_seeds']} seeds, mean and min..max)",
           xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def plot_fan_modes(fans: dict) -> Figure:
    """Left: forward ``v_l``; right: back-propagated ``E[dZ_l^2]`` (relative to the top)."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.3), sharey=True)
    x = fans["layers"]
    for mode, c in (("fan_in", "C2"), ("fan_out", "C4")):
        p = fans[mode]
        _seed_lines(ax, x, p["fwd"], c, f"mode={mode}, each seed")
        ax.plot(x, p["fwd_theory"], "--", color=c, lw=2, label="  theory")
        _seed_lines(bx, x, p["bwd"], c, f"mode={mode}, each seed")
        bx.plot(x, p["bwd_theory"], "--", color=c, lw=2, label="  theory")
    widths = " → ".join(str(n) for n in fans["sizes"])
    ax.set(yscale="log", title="Forward: mean(A_l²) / mean(x²)", xlabel="layer l",
           ylabel="ratio (log scale)")
    bx.set(title="Backward: mean((dL/dZ_l)²) / top layer's", xlabel="layer l")
    fig.suptitle(f"He init, ReLU, widths {widths} ({fans['n_seeds']} seeds)")
    ax.set_xticks(x)
    bx.set_xticks(x)
    ax.legend(fontsize=8)
    bx.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_leaky(leaky: dict) -> Figure:
    """``v_l`` through leaky-ReLU layers with the leaky gain and with the ReLU gain."""
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    x = leaky["layers"]
    a = leaky["alpha"]
    labels = {"leaky_gain": f"gain √(2/(1+a²)) = {leaky['gains']['leaky_gain']:.3f}",
              "relu_gain": f"ReLU gain √2 = {leaky['gains']['relu_gain']:.3f}"}
    for key, c in (("leaky_gain", "C2"), ("relu_gain", "C1")):
        p = leaky[key]
        _seed_lines(ax, x, p["ratios"], c, f"{labels[key]}, each seed")
        ax.plot(x, p["theory"], "--", color=c, lw=2, label="  theory")
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(ticker.FixedLocator([0.25, 0.5, 1, 2, 4, 8]))
    ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set(title=f"Leaky ReLU (a = {a}), {leaky['n_layers']} layers of width {leaky['width']} "
                 f"({leaky['n_seeds']} seeds)",
           xlabel="layer l", ylabel="mean(A_l²) / mean(x²)  (log scale)")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
