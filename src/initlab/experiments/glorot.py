"""Chapter 5, Xavier / Glorot initialization: the experiments behind the page.

What: four experiments on Glorot and Bengio's (2010) variance argument for tanh networks.

1. :func:`source_demo`, :func:`fan_sweep`: the sources' 1000 draws from ``U(+-1/sqrt(n))``
   with ``n = 10`` inputs (Glorot's *standard* heuristic, ``Var(w) = 1 / (3 fan_in)``, which the
   sources call "Xavier"), and how that bound and the normalized one,
   ``sqrt(6 / (fan_in + fan_out))`` (their eq. 16), narrow as ``fan_in`` grows.
2. :func:`init_statistics`: their Figs. 6/7 at initialization. A 5-hidden-layer tanh net on the
   digits; per-layer histograms of the activations ``A_l`` and of the back-propagated gradients
   ``dL/dZ_l``, standard versus normalized init, with the mean-field prediction of every std.
3. :func:`train_comparison`: test accuracy per epoch of a deeper tanh net on the digits for the
   standard, normalized and normalized-times-5/3 (PyTorch's tanh gain) inits, over seeds.
4. :func:`depth_profile`, :func:`tanh_gain_candidates`: activation and gradient std through 30
   tanh layers with gain 1 and 5/3, against the length map of Poole et al. (2016).

Why: the sources quote the uniform range without its derivation and under the wrong name; the
chapter derives both conditions (``fan_in Var(w) = 1`` forward, ``fan_out Var(w) = 1`` backward),
shows what each init does to a deep tanh net, and measures where the tanh gain 5/3 lands.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples, ``Z_l = A_{l-1} @ W_l``,
``A_l = tanh(Z_l)``. Every function takes an explicit ``seed`` (or ``rng``) and ``smoke`` flag
and returns a plain dict of floats and ndarrays; ``plot_*`` functions turn those into figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import datasets, diagnostics, initializers, losses, network, sweep, theory, train
from initlab._checks import check_choice, check_int

#: The three inits the chapter compares, as ``initializers.get`` arguments.
#: "standard" = U(+-1/sqrt(fan_in)); "normalized" = U(+-sqrt(6/(fan_in+fan_out)));
#: "tanh_gain" = normalized times PyTorch's calculate_gain("tanh") = 5/3, i.e.
#: ``xavier_uniform_(gain=5/3)``: Var(w) = (5/3)^2 * 2 / (fan_in + fan_out).
TANH_GAIN = initializers.calculate_gain("tanh")
SCHEMES: dict[str, tuple[str, dict]] = {
    "standard": ("glorot_standard", {}),
    "normalized": ("glorot_uniform", {}),
    "tanh_gain": ("variance_scaling",
                  {"scale": TANH_GAIN**2, "mode": "fan_avg", "distribution": "uniform"}),
}
LABELS = {"standard": "standard U(±1/√fan_in)", "normalized": "normalized (Glorot uniform)",
          "tanh_gain": "normalized × 5/3 (PyTorch tanh gain)"}
COLORS = {"standard": "C3", "normalized": "C0", "tanh_gain": "C2"}


def scheme(name: str) -> Callable[..., np.ndarray]:
    """The initializer ``(shape, rng, dtype) -> W`` of scheme ``name`` (a key of SCHEMES)."""
    check_choice(name, "scheme", SCHEMES)
    init_name, params = SCHEMES[name]
    return initializers.get(init_name, **params)


def scheme_variance(name: str, shape: tuple[int, int]) -> float:
    """``Var(w)`` of scheme ``name`` for an ``(n_in, n_out)`` kernel.

    standard: ``bound^2 / 3 = 1 / (3 fan_in)``; normalized: ``2 / (fan_in + fan_out)``;
    tanh_gain: ``(5/3)^2 * 2 / (fan_in + fan_out)``.
    """
    check_choice(name, "scheme", SCHEMES)
    fan_in, fan_out = shape
    if name == "standard":
        return 1.0 / (3.0 * fan_in)
    gain2 = TANH_GAIN**2 if name == "tanh_gain" else 1.0
    return gain2 * 2.0 / (fan_in + fan_out)


# ----------------------------------------------------------------------- 1. the 1000 draws


def uniform_standard_errors(bound: float, n_draws: int) -> tuple[float, float]:
    """Standard errors of the sample mean and sample std of ``n_draws`` draws of ``U(+-bound)``.

    ``sigma = bound / sqrt(3)``, so ``SE(mean) = sigma / sqrt(N) = bound / sqrt(3 N)``.
    Delta method: ``Var(s) ~ (mu_4 - sigma^4) / (4 sigma^2 N)`` with ``mu_4 = bound^4 / 5``,
    ``sigma^4 = bound^4 / 9``, giving ``SE(std) = bound / sqrt(15 N)``.
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    return bound / math.sqrt(3 * n_draws), bound / math.sqrt(15 * n_draws)


def source_demo(seed: int, fan_in: int = 10, n_draws: int = 1000) -> dict:
    """The sources' demo: ``n_draws`` weights for a node with ``fan_in`` inputs, ``U(+-1/sqrt(n))``.

    Draws with ``random_uniform(minval=-1/sqrt(n), maxval=1/sqrt(n))`` as the sources do, and a
    ``(fan_in, n_draws // fan_in)`` kernel with ``glorot_standard`` (PyTorch's default Linear
    init, ``kaiming_uniform_(a=sqrt(5))``), whose bound ``sqrt(3) * gain / sqrt(fan_in)`` with
    ``gain = calculate_gain("leaky_relu", sqrt(5)) = 1/sqrt(3)`` must equal ``1/sqrt(n)``.
    Returns bounds, min/max/mean/std of the draws, the theoretical std ``1/sqrt(3 n)``, the
    standard errors of :func:`uniform_standard_errors` and the normalized bound for a square
    layer, ``sqrt(6 / (n + n))``.
    """
    fan_in = check_int(fan_in, "fan_in", minimum=1)
    n_draws = check_int(n_draws, "n_draws", minimum=fan_in)
    rng = np.random.default_rng(check_int(seed, "seed"))
    bound = 1.0 / math.sqrt(fan_in)
    w = initializers.get("random_uniform", minval=-bound, maxval=bound)((n_draws,), rng)
    W_std = scheme("standard")((fan_in, n_draws // fan_in), rng)
    gain = initializers.calculate_gain("leaky_relu", math.sqrt(5.0))
    bound_pytorch = math.sqrt(3.0) * gain / math.sqrt(fan_in)
    se_mean, se_std = uniform_standard_errors(bound, n_draws)
    return {
        "fan_in": fan_in, "n_draws": n_draws, "weights": w,
        "lower": -bound, "upper": bound, "bound_pytorch": bound_pytorch,
        "bound_error": abs(bound_pytorch - bound),
        "min": float(w.min()), "max": float(w.max()),
        "mean": float(w.mean()), "std": float(w.std()),
        "std_theory": bound / math.sqrt(3.0), "se_mean": se_mean, "se_std": se_std,
        "glorot_standard_max_abs": float(np.abs(W_std).max()),
        "normalized_bound": math.sqrt(6.0 / (fan_in + fan_in)),
    }


def fan_sweep(seed: int, fans: Sequence[int] = (10, 20, 50, 100, 200, 500, 1000)) -> dict:
    """Bound and measured weight std of square ``(n, n)`` layers for each ``n`` in ``fans``.

    standard: bound ``1/sqrt(n)``, std ``1/sqrt(3 n)``; normalized: bound
    ``sqrt(6 / (n + n)) = sqrt(3 / n)``, std ``1/sqrt(n)``. ``slope_*`` is the least-squares
    slope of ``log(measured std)`` on ``log n`` (theory: -1/2); ``max_z`` the largest
    ``|measured - theory| / SE(std)`` over all fans and both schemes (``n^2`` draws each).
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    fans = np.array([check_int(n, "fans entry", minimum=1) for n in fans])
    out: dict = {"fans": fans}
    z_scores = []
    for name in ("standard", "normalized"):
        init = scheme(name)
        bounds = 1.0 / np.sqrt(fans) if name == "standard" else np.sqrt(6.0 / (2 * fans))
        stds = np.array([init((int(n), int(n)), rng).std() for n in fans])
        se = np.array([uniform_standard_errors(b, int(n) ** 2)[1] for b, n in zip(bounds, fans,
                                                                                   strict=True)])
        z_scores.append(np.abs(stds - bounds / np.sqrt(3.0)) / se)
        out[f"bound_{name}"] = bounds
        out[f"std_{name}"] = stds
        out[f"slope_{name}"] = float(np.polyfit(np.log(fans), np.log(stds), 1)[0])
    out["max_z"] = float(np.max(z_scores))
    return out


# -------------------------------------------------------------- 2. per-layer statistics


def _tanh_sq(u: np.ndarray) -> np.ndarray:
    return np.tanh(u) ** 2


def _dtanh_sq(u: np.ndarray) -> np.ndarray:
    return (1.0 - np.tanh(u) ** 2) ** 2


def mean_field_stds(q1: np.ndarray, sigma_w2: Sequence[float],
                    sigma_w2_back: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Predicted std of ``A_l`` and relative std of ``dL/dZ_l`` for a tanh stack.

    ``q1`` is ``(n_examples,)``: each input's first pre-activation variance,
    ``Var(w_1) * ||x||^2`` (exact in expectation over the weights). Forward (Poole et al. 2016,
    one input at a time): ``E[A_l^2](x) = E_z[tanh(sqrt(q_l(x)) z)^2]``,
    ``q_{l+1}(x) = sigma_w2[l] * E[A_l^2](x)`` with ``sigma_w2[l] = fan_in * Var(w)`` of layer
    ``l + 1`` (``len(sigma_w2) = H - 1``). Backward (Glorot and Bengio 2010, sec. 4.2):
    ``Var(dZ_l) = d_l * sigma_w2_back[l] * Var(dZ_{l+1})`` with ``d_l = E[tanh'(Z_l)^2]`` and
    ``sigma_w2_back[l] = fan_out * Var(w)`` of layer ``l + 1``. Returns ``(act_std, grad_std)``,
    each ``(H,)``; ``grad_std`` is relative to the top hidden layer (last entry 1).
    """
    q = np.asarray(q1, dtype=np.float64)
    act_var, d = [], []
    for l in range(len(sigma_w2) + 1):
        a2 = theory.gaussian_expectation(_tanh_sq, q)
        act_var.append(float(np.mean(a2)))
        d.append(float(np.mean(theory.gaussian_expectation(_dtanh_sq, q))))
        if l < len(sigma_w2):
            q = sigma_w2[l] * a2
    grad_var = [d[-1]]
    for l in range(len(sigma_w2) - 1, -1, -1):
        grad_var.append(d[l] * sigma_w2_back[l] * grad_var[-1])
    grad_var = np.array(grad_var[::-1]) / d[-1]
    return np.sqrt(act_var), np.sqrt(grad_var)


def init_statistics(seed: int, smoke: bool, n_hidden: int = 5, n_bins: int = 81) -> dict:
    """Glorot and Bengio's Figs. 6/7 at init: per-layer activations and back-propagated grads.

    Network ``(64, width x n_hidden, 10)``, tanh, zero biases; ``width`` 100 (smoke) or 500
    (full); all 1797 standardized digits as one batch, softmax cross-entropy. Both schemes
    draw from ``default_rng(seed)`` (common random numbers: the same uniforms, scaled).
    Per scheme: ``act_std``/``grad_std`` ``(n_hidden,)`` measured over all units and examples,
    ``*_pred`` from :func:`mean_field_stds` (``grad_pred`` scaled to the measured top hidden
    layer), ratios last/first hidden layer, and density
    histograms ``act_hist``/``grad_hist`` ``(n_hidden, n_bins)`` on shared ``act_edges``
    (``[-1, 1]``) and ``grad_edges`` (``+-4`` times the largest gradient std).
    """
    seed = check_int(seed, "seed")
    n_hidden = check_int(n_hidden, "n_hidden", minimum=2)
    width = 100 if smoke else 500
    X, y = datasets.digits()
    sizes = (X.shape[1],) + (width,) * n_hidden + (10,)
    out: dict = {"width": width, "n_hidden": n_hidden, "n_examples": len(X)}
    raw = {}
    for name in ("standard", "normalized"):
        model = network.MLP(sizes, np.random.default_rng(seed), activation="tanh",
                            weight_init=scheme(name))
        _, dout = losses.softmax_cross_entropy(model.forward(X), y)
        grads = diagnostics.backprop_grads(model, dout)[:-1]   # hidden layers only
        acts = model.A[1:-1]
        raw[name] = (acts, grads)
        act_std = np.array([A.std() for A in acts])
        grad_std = np.array([g.std() for g in grads])
        # Var(w) of each layer: fan_in * Var(w) forward, fan_out * Var(w) backward
        shapes = [W.shape for W in model.weights]
        var_w = [scheme_variance(name, shape) for shape in shapes]
        sw2 = [shapes[l][0] * var_w[l] for l in range(1, n_hidden)]
        sw2_back = [shapes[l][1] * var_w[l] for l in range(1, n_hidden)]
        act_pred, grad_pred = mean_field_stds(var_w[0] * np.sum(X**2, axis=1), sw2, sw2_back)
        out[name] = {
            "act_std": act_std, "grad_std": grad_std,
            "act_pred": act_pred, "grad_pred": grad_pred * grad_std[-1],
            "act_ratio": float(act_std[-1] / act_std[0]),
            "grad_ratio": float(grad_std[-1] / grad_std[0]),
            "act_ratio_pred": float(act_pred[-1] / act_pred[0]),
            "grad_ratio_pred": float(grad_pred[-1] / grad_pred[0]),
        }
    out["act_edges"] = np.linspace(-1.0, 1.0, n_bins + 1)
    g_max = 4.0 * max(float(out[s]["grad_std"].max()) for s in raw)
    out["grad_edges"] = np.linspace(-g_max, g_max, n_bins + 1)
    for name, (acts, grads) in raw.items():
        out[name]["act_hist"] = np.array(
            [np.histogram(A, out["act_edges"], density=True)[0] for A in acts])
        out[name]["grad_hist"] = np.array(
            [np.histogram(g, out["grad_edges"], density=True)[0] for g in grads])
    return out


# --------------------------------------------------------------------- 3. training curves


def _train_run(config: dict) -> dict:
    """One training run of :func:`train_comparison` (top level, so sweep workers can pickle it)."""
    data = datasets.load("digits", np.random.default_rng(config["data_seed"]))
    rng = np.random.default_rng(config["seed"])
    model = network.MLP(config["sizes"], rng, activation="tanh",
                        weight_init=scheme(config["scheme"]))
    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=config["epochs"],
                       batch_size=config["batch_size"], lr=config["lr"], X_test=data.X_test,
                       y_test=data.y_test, track_layer_norms=False, progress=False)
    return {"test_acc": np.array(hist.test_acc), "diverged": hist.diverged}


def train_comparison(seed: int, smoke: bool, n_jobs: int = 1) -> dict:
    """Test accuracy per epoch of an 8-hidden-layer tanh net on the digits, per scheme and seed.

    Sizes ``(64, width x 8, 10)`` with width 64 (smoke) or 128 (full); plain SGD, lr 0.05,
    batch 32; 6 epochs x 2 seeds (smoke) or 20 epochs x 8 seeds (full). One digits split
    (drawn from ``seed``) for every run; run seeds from ``sweep.seeds(seed, n)``, shared by the
    schemes (so seed ``i`` of every scheme also shuffles its batches identically).
    Returns ``test_acc[scheme]`` ``(n_seeds, epochs + 1)`` (column 0 = before training) of the
    runs that finished, and ``n_diverged`` (runs whose loss became non-finite).
    """
    seed = check_int(seed, "seed")
    width, epochs, n_seeds = (64, 6, 2) if smoke else (128, 20, 8)
    sizes = (64,) + (width,) * 8 + (10,)
    run_seeds = sweep.seeds(seed, n_seeds)
    configs = [{"scheme": name, "seed": s, "data_seed": seed, "sizes": sizes, "epochs": epochs,
                "batch_size": 32, "lr": 0.05} for name in SCHEMES for s in run_seeds]
    runs = sweep.run(_train_run, configs, n_jobs=n_jobs, progress=False)
    out: dict = {"epochs": np.arange(epochs + 1), "width": width, "n_hidden": 8,
                 "n_seeds": n_seeds, "lr": 0.05, "batch_size": 32, "test_acc": {},
                 "n_diverged": sum(r["diverged"] for r in runs)}
    for name in SCHEMES:
        done = [r["test_acc"] for c, r in zip(configs, runs, strict=True)
                if c["scheme"] == name and not r["diverged"]]
        out["test_acc"][name] = np.array(done)
    return out


# ------------------------------------------------------------------- 4. gain 1 versus 5/3


def depth_profile(seed: int, smoke: bool, n_layers: int = 30,
                  gains: Sequence[float] = (1.0, TANH_GAIN)) -> dict:
    """Activation and gradient std through ``n_layers`` square tanh layers, per gain.

    Weights ``U(+-gain * sqrt(6 / (2 width)))`` (``variance_scaling(scale=gain^2,
    mode="fan_avg", distribution="uniform")``), zero biases; ``batch`` inputs
    ``X ~ N(0, 1)``, ``(batch, width)`` with ``batch = width`` = 200 (smoke) or 500 (full).
    Gradients: a random ``dout ~ N(0, 1)`` at the top, back-propagated to every ``dL/dZ_l``.
    Per gain: ``act_std`` ``(n_layers,)``, ``grad_std`` relative to the top layer, and the
    mean-field predictions (:func:`mean_field_stds` with ``sigma_w2 = gain^2``).
    """
    n_layers = check_int(n_layers, "n_layers", minimum=2)
    width = 200 if smoke else 500
    rng = np.random.default_rng(check_int(seed, "seed"))
    X = rng.standard_normal((width, width))
    out: dict = {"width": width, "n_layers": n_layers, "gains": list(gains),
                 "layers": np.arange(1, n_layers + 1)}
    for gain in gains:
        init = initializers.get("variance_scaling", scale=gain**2, mode="fan_avg",
                                distribution="uniform")
        model = network.MLP((width,) * (n_layers + 1), rng, activation="tanh",
                            weight_init=init, output_activation="tanh")
        top = model.forward(X)
        grads = diagnostics.backprop_grads(model, rng.standard_normal(top.shape))
        act_std = np.array([A.std() for A in model.A[1:]])
        grad_std = np.array([g.std() for g in grads])
        q1 = gain**2 / width * np.sum(X**2, axis=1)      # Var(w) ||x||^2, Var(w) = gain^2/width
        s2 = [gain**2] * (n_layers - 1)
        act_pred, grad_pred = mean_field_stds(q1, s2, s2)
        out[gain] = {"act_std": act_std, "grad_std": grad_std / grad_std[-1],
                     "act_pred": act_pred, "grad_pred": grad_pred}
    return out


def tanh_gain_candidates(gain: float = TANH_GAIN) -> dict:
    """Gains that different one-layer arguments give for tanh, and where ``gain`` lands.

    For ``z ~ N(0, 1)``: ``1 / sqrt(E[tanh(z)^2])`` makes ``q* = 1`` a fixed point of the
    length map (unit pre-activation variance kept); ``1 / E[tanh'(z)]`` undoes the average
    slope; ``1 / sqrt(E[tanh'(z)^2])`` keeps the gradient variance for unit-variance inputs.
    For ``gain``: the fixed point ``q*`` of ``q -> gain^2 E[tanh(sqrt(q) z)^2]``, the activation
    std there ``sqrt(q* / gain^2)``, and ``chi_1 = gain^2 E[tanh'(sqrt(q*) z)^2]``, the
    per-layer factor of the gradient variance at the fixed point (Poole et al. 2016).
    """
    q_star = theory.fixed_point_q(gain**2, 0.0, "tanh")
    return {
        "gain_unit_fixed_point": 1.0 / math.sqrt(theory.gaussian_expectation(_tanh_sq, 1.0)),
        "gain_mean_slope": 1.0 / theory.gaussian_expectation(lambda u: 1 - np.tanh(u)**2, 1.0),
        "gain_rms_slope": 1.0 / math.sqrt(theory.gaussian_expectation(_dtanh_sq, 1.0)),
        "q_star": q_star, "act_std_star": math.sqrt(q_star) / gain,
        "chi_1": theory.chi_1(gain**2, 0.0, "tanh"),
    }


# ------------------------------------------------------------------------------- figures


def plot_source_demo(demo: dict, fans: dict) -> Figure:
    """Left: histogram of the demo's draws with both bounds; right: bound and std vs fan_in."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    b, bn = demo["upper"], demo["normalized_bound"]
    ax.hist(demo["weights"], bins=40, range=(-bn, bn), density=True, color="C3", alpha=0.6,
            label=f"{demo['n_draws']} draws, U(±1/√{demo['fan_in']})")
    ax.hlines(1 / (2 * b), -b, b, color="k", lw=1.5, label="uniform density 1/(2·bound)")
    for sign in (-1, 1):
        ax.axvline(sign * b, color="C3", ls="-", lw=1.5)
        ax.axvline(sign * bn, color="C0", ls="--", lw=1.5)
    ax.plot([], [], color="C0", ls="--", label=f"normalized bound ±√(6/20) = ±{bn:.3f}")
    ax.text(0.015, 0.975, f"bounds ±{b:.3f}\nmin {demo['min']:.3f}\nmax {demo['max']:.3f}\n"
            f"mean {demo['mean']:+.4f}\nstd {demo['std']:.4f}\n(theory {demo['std_theory']:.4f})",
            transform=ax.transAxes, va="top", fontsize=8.5,
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "0.8"})
    ax.set(title=f"The sources' demo: fan_in = {demo['fan_in']} (one seed)",
           xlabel="weight value", ylabel="density", ylim=(0, 1 / (2 * b) * 2.2),
           xlim=(-1.6 * bn, 1.6 * bn))
    ax.legend(loc="upper right", fontsize=8)
    n = fans["fans"]
    for name, ls in (("standard", "-"), ("normalized", "--")):
        c = COLORS[name]
        bx.loglog(n, fans[f"bound_{name}"], color=c, ls=ls, label=f"bound, {LABELS[name]}")
        bx.loglog(n, fans[f"bound_{name}"] / math.sqrt(3.0), color=c, ls=":", lw=1,
                  label="std = bound/√3")
        bx.loglog(n, fans[f"std_{name}"], "o", color=c, mfc="white",
                  label=f"measured std (fitted slope {fans[f'slope_{name}']:.3f})")
    mid = n[len(n) // 2]
    bx.annotate("normalized std 1/√n\n= standard bound", (mid, 1 / math.sqrt(mid)),
                xytext=(n[0] * 1.1, 0.05), fontsize=8, arrowprops={"arrowstyle": "->"})
    bx.set(title="Bound and std vs fan_in (square layers, one seed)",
           xlabel="fan_in = fan_out", ylabel="weight bound or std")
    bx.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_layer_histograms(stats: dict) -> Figure:
    """2 x 2 grid: activations (top) and back-propagated gradients (bottom), per init."""
    names = ("standard", "normalized")
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), sharex="row", sharey="row")
    colors = plt.cm.viridis(np.linspace(0, 0.9, stats["n_hidden"]))
    for j, name in enumerate(names):
        s = stats[name]
        for row, (key, edges) in enumerate((("act", stats["act_edges"]),
                                            ("grad", stats["grad_edges"]))):
            ax = axes[row, j]
            mid = (edges[:-1] + edges[1:]) / 2
            for l, h in enumerate(s[f"{key}_hist"]):
                ax.plot(mid, h, color=colors[l], drawstyle="steps-mid",
                        label=f"layer {l + 1}: std {s[f'{key}_std'][l]:.3g}")
            ax.set_yscale("log")
            ax.set_ylim(np.max(stats["normalized"][f"{key}_hist"]) * 1e-4,
                        np.max([stats[n][f"{key}_hist"] for n in names]) * 60)
            ax.legend(fontsize=7.5, loc="upper right", ncol=2 if key == "grad" else 1)
        axes[0, j].set_title(f"{LABELS[name]}: activations tanh(Z_l)")
        axes[1, j].set_title(f"{LABELS[name]}: back-propagated dL/dZ_l")
        axes[0, j].set_xlabel("activation value")
        axes[1, j].set_xlabel("gradient value")
        axes[1, j].ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    axes[0, 0].set_ylabel("density (log)")
    axes[1, 0].set_ylabel("density (log)")
    fig.suptitle(f"{stats['n_hidden']} tanh layers of width {stats['width']} at init, "
                 f"all {stats['n_examples']} digits, one seed")
    fig.tight_layout()
    return fig


def plot_training(curves: dict) -> Figure:
    """Test accuracy per epoch: mean over seeds with a +-1 std band, per scheme."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    ep = curves["epochs"]
    for name, acc in curves["test_acc"].items():
        m, s = acc.mean(axis=0), acc.std(axis=0)
        ax.plot(ep, m, color=COLORS[name], marker="o", ms=3, label=LABELS[name])
        ax.fill_between(ep, m - s, m + s, color=COLORS[name], alpha=0.2)
    ax.axhline(0.1, color="0.5", ls=":", label="chance (10 classes)")
    ax.set(title=f"{curves['n_hidden']} tanh layers of width {curves['width']} on the digits "
                 f"({curves['n_seeds']} seeds, mean ± 1 std)",
           xlabel="epoch", ylabel="test accuracy", ylim=(0, 1))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=9)
    fig.tight_layout()
    return fig


def plot_depth_profile(profile: dict) -> Figure:
    """Activation std and relative gradient std per layer, gain 1 versus 5/3, with mean field."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    layers = profile["layers"]
    for gain, c in zip(profile["gains"], ("C0", "C2"), strict=False):
        p = profile[gain]
        lab = "gain 1 (Glorot uniform)" if gain == 1.0 else f"gain {gain:.3f} = 5/3"
        ax.plot(layers, p["act_std"], "o", color=c, mfc="white", label=f"{lab}, measured")
        ax.plot(layers, p["act_pred"], "-", color=c, label=f"{lab}, mean field")
        bx.semilogy(layers, p["grad_std"], "o", color=c, mfc="white", label=f"{lab}, measured")
        bx.semilogy(layers, p["grad_pred"], "-", color=c, label=f"{lab}, mean field")
    ax.set(title=f"Activation std, {profile['n_layers']} tanh layers of width "
                 f"{profile['width']} (one seed)",
           xlabel="layer l", ylabel="std of tanh(Z_l)", ylim=(0, None))
    bx.set(title="Back-propagated gradient std (relative to the top layer)", xlabel="layer l",
           ylabel="std(dL/dZ_l) / std(dL/dZ_top)")
    ax.legend(fontsize=8)
    bx.legend(fontsize=8)
    fig.tight_layout()
    return fig
