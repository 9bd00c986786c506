"""Chapter 4, vanishing and exploding gradients: the experiments behind the page.

What: one forward and one backward pass through a deep, untrained MLP whose weights are all
``N(0, sigma^2)`` with ``sigma = g / sqrt(width)``, for a grid of gains ``g`` from vanishing to
exploding and four activations (sigmoid, tanh, relu, leaky relu). Per hidden layer it keeps
the activation std, the saturated fraction, the std of the back-propagated gradient
``dL/dZ_l`` and the norms of the weight and bias gradients ``dW_l``, ``db_l``
(:func:`initlab.diagnostics.layer_stats`). Beside each it puts two predictions:

- the small-signal line of variance propagation (Glorot & Bengio 2010; He et al. 2015): each
  layer multiplies the variance by ``n sigma^2 c = g^2 c``, so the std grows by
  ``(g^2 c)^(1/2)`` per layer, ``ln(g^2 c) / 2`` in log (:func:`linear_factors`);
- the mean-field recursion (Poole et al. 2016; Schoenholz et al. 2017), which for tanh and
  sigmoid follows the variance into the saturated regime (:func:`predicted_profile`).

Last, :func:`train_comparison` trains each activation at its recommended gain (PyTorch's
``calculate_gain``) on the digits, to show what the vanishing does to learning.

Why: the chapter's question is how fast signals and gradients shrink or grow with depth, and
whether the per-layer factor gets the rate right. Sweeping ``g^2 = n sigma^2`` rather than
``sigma`` makes the grid width-free: every hidden layer has ``fan_in = fan_out = width`` (the
Gaussian input has ``width`` coordinates too), so the per-layer factor is ``g^2 c`` exactly.

Shapes: ``X`` is ``(batch, width)`` with i.i.d. ``N(0, 1)`` entries; hidden weights ``W_l``
are ``(width, width)``, the output layer ``(width, 10)``; ``Z_l = A_{l-1} @ W_l`` (zero
biases), ``A_l = phi(Z_l)``; softmax cross-entropy against random labels gives
``dL/d(output)``. Per-layer arrays have ``n_layers`` entries, entry ``l - 1`` for hidden layer
``l``. Every cell of a grid uses the same seed (common random numbers): cells differ only by
``g`` and the activation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from scipy.special import erfc

from initlab import activations, datasets, diagnostics, initializers, network, sweep, theory, train
from initlab._checks import check_choice, check_int, check_positive

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
#: Leaky ReLU slope for z < 0. TensorFlow's default; large enough that its gain
#: sqrt(2 / (1 + a^2)) differs visibly from ReLU's sqrt(2) (PyTorch's 0.01 would not).
LEAKY_ALPHA = 0.2
LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU",
          "leaky_relu": f"leaky ReLU (α = {LEAKY_ALPHA})"}
COLORS = {"sigmoid": "C4", "tanh": "C1", "relu": "C0", "leaky_relu": "C2"}
#: Line styles: ReLU and leaky ReLU often overlap, so leaky ReLU is dashed.
STYLES = {"sigmoid": "-", "tanh": "-", "relu": "-", "leaky_relu": "--"}
#: Markers: ReLU as large squares so that leaky ReLU's dots on top leave them visible.
MARKERS = {"sigmoid": ("o", 6), "tanh": ("o", 6), "relu": ("s", 9), "leaky_relu": ("o", 5)}
#: The grid: g^2 = n sigma^2 = 2^k for k = -4..6, i.e. 1/16 .. 64 in factors of 2.
G2_EXPONENTS = tuple(range(-4, 7))
#: Output classes of the softmax layer (labels are random: only the gradient's size matters).
N_CLASSES = 10
#: Per-layer statistics of :func:`depth_profile`, and the layer_stats key each comes from.
STATS = {"act_std": "act_std", "saturated_frac": "saturated_frac",
         "grad_std": "backprop_grad_std", "weight_grad_norm": "grad_W_norm",
         "bias_grad_norm": "grad_b_norm"}


def sizes(smoke: bool) -> dict[str, int]:
    """Network and batch size: full ``width 512, 50 layers, batch 128``; smoke ``128, 30, 64``."""
    if smoke:
        return {"width": 128, "n_layers": 30, "batch": 64}
    return {"width": 512, "n_layers": 50, "batch": 128}


def gains() -> np.ndarray:
    """The grid of gains ``g = 2^(k/2)``, ``k`` in :data:`G2_EXPONENTS` (``g^2`` 1/16 .. 64)."""
    return np.array([2.0 ** (k / 2) for k in G2_EXPONENTS])


def activation(name: str) -> activations.Activation:
    """The activation ``name`` (leaky relu with slope :data:`LEAKY_ALPHA`)."""
    check_choice(name, "activation", ACTIVATIONS)
    if name == "leaky_relu":
        return activations.get(name, alpha=LEAKY_ALPHA)
    return activations.get(name)


def recommended_gain(name: str) -> float:
    """PyTorch's ``calculate_gain``: sigmoid 1, tanh 5/3, relu sqrt(2), leaky sqrt(2/(1+a^2))."""
    param = LEAKY_ALPHA if check_choice(name, "activation", ACTIVATIONS) == "leaky_relu" else None
    return initializers.calculate_gain(name, param)


def linear_factors(name: str) -> tuple[float | None, float]:
    """``(c, c')`` of the small-signal theory: ``E[phi(z)^2] = c Var(z)``, ``E[phi'(z)^2] = c'``.

    :func:`initlab.theory.small_signal_factors` of :func:`activation`: relu ``(1/2, 1/2)`` and
    leaky relu ``((1+a^2)/2, (1+a^2)/2)`` at any variance (He et al. 2015); tanh ``(1, 1)``
    only while ``tanh z ~ z``; sigmoid ``(None, 1/16)`` (mean 1/2: no ``c``).
    """
    check_choice(name, "activation", ACTIVATIONS)
    return theory.small_signal_factors(activation(name))


def linear_rate(name: str, g: float, backward: bool = False) -> float:
    """Small-signal growth of ``ln std`` per layer: ``ln(g^2 c) / 2`` (``c'`` if ``backward``).

    Forward: toward the output; backward: toward the input (positive = exploding).
    :func:`initlab.theory.small_signal_rate` at ``sigma_w2 = g^2``.
    """
    check_choice(name, "activation", ACTIVATIONS)
    return theory.small_signal_rate(activation(name), check_positive(g, "g") ** 2, backward)


def critical_g2(name: str) -> float:
    """The ``g^2 = n sigma^2`` at which the per-layer gradient factor is 1 (zero biases).

    relu / leaky relu: ``g^2 c' = 1``, i.e. ``2`` and ``2 / (1 + a^2)`` (He et al. 2015);
    tanh and sigmoid: the order-to-chaos line ``chi_1 = g^2 E[phi'(sqrt(q*) z)^2] = 1`` of mean
    field (1 for tanh; Poole et al. 2016). Both: :func:`initlab.theory.critical_sigma_w2`.
    """
    check_choice(name, "activation", ACTIVATIONS)
    return float(theory.critical_sigma_w2(0.0, activation(name)))


# ------------------------------------------------------------------------ measurement


def depth_profile(name: str, g: float, *, width: int, n_layers: int, batch: int,
                  seed: int) -> dict:
    """One forward and backward pass at init; per-hidden-layer statistics.

    Network ``width -> width (x n_layers, activation name) -> 10``, every weight
    ``N(0, sigma^2)`` with ``sigma = g / sqrt(width)``, zero biases. Input ``X ~ N(0, 1)``,
    ``(batch, width)``; labels uniform over 10 classes; softmax cross-entropy.

    Returns ``(n_layers,)`` arrays (keys of :data:`STATS`): ``act_std`` (std of ``A_l``),
    ``saturated_frac``, ``grad_std`` (std of ``dL/dZ_l``, Glorot's back-propagated gradient),
    ``weight_grad_norm`` (``||dW_l||_F``, ``dW_l = A_{l-1}^T dZ_l``), ``bias_grad_norm``
    (``||db_l||_2``, ``db_l = sum over the batch of dZ_l``). A value that is not finite in
    float64 raises ValueError (never NaN); none does on the chapter's grid.
    """
    check_choice(name, "activation", ACTIVATIONS)
    g = check_positive(g, "g")
    width = check_int(width, "width", minimum=1)
    n_layers = check_int(n_layers, "n_layers", minimum=2)
    batch = check_int(batch, "batch", minimum=2)
    rng = np.random.default_rng(check_int(seed, "seed"))
    sigma = g / math.sqrt(width)                                    # n sigma^2 = g^2
    model = network.MLP([width] * (n_layers + 1) + [N_CLASSES], rng,
                        activation=activation(name),
                        weight_init=initializers.get("random_normal", stddev=sigma))
    X = rng.standard_normal((batch, width))
    y = rng.integers(N_CLASSES, size=batch)
    with np.errstate(over="ignore", invalid="ignore"):
        stats = diagnostics.layer_stats(model, X, y)                # forward overflow raises
    out = {key: stats[src][:n_layers] for key, src in STATS.items()}  # drop the output layer
    for key, v in out.items():
        if not np.all(np.isfinite(v)):
            bad = int(np.argmin(np.isfinite(v))) + 1
            raise ValueError(f"{key} is not finite in float64 for {name}, g = {g!r}, "
                             f"{n_layers} layers: first bad layer {bad}")
    return {"activation": name, "g": g, **out}


def _profile_config(config: dict) -> dict:
    """:func:`depth_profile` on one config dict (picklable, for :func:`initlab.sweep.run`)."""
    return depth_profile(**config)


# ------------------------------------------------------------------------------ theory


def gaussian_mean(f: Callable[[np.ndarray], np.ndarray], q: np.ndarray | float) -> np.ndarray:
    """``E[f(sqrt(q) z)]``, ``z ~ N(0, 1)``, for each entry of ``q``: the dense 10,000-node rule
    of :func:`initlab.theory.gaussian_expectation` (``rule="dense"``), which resolves the spike of
    ``tanh'^2`` at the ``q ~ 60`` of an exploding tanh net."""
    return theory.gaussian_expectation(f, q, rule="dense")


def _saturation_threshold(name: str) -> float:
    """``|z|`` beyond which a unit counts as saturated: atanh(0.97) or logit(0.97)."""
    if name == "tanh":
        return math.atanh(diagnostics.TANH_SATURATION)
    s = diagnostics.SIGMOID_SATURATION
    return math.log((1.0 - s) / s)


def predicted_profile(name: str, g: float, n_layers: int) -> dict:
    """Theory's per-layer curves for the network of :func:`depth_profile`, infinite width.

    :func:`initlab.theory.mean_field_profile` at ``sigma_w2 = g^2``, input variance 1, no
    bias. Pre-activation variance: ``q_1 = g^2``, then the length map
    ``q_{l+1} = g^2 E[phi(sqrt(q_l) z)^2]`` (Poole et al. 2016), which for relu / leaky relu
    is ``q_l = g^2 (g^2 c)^(l-1)``. Gradient variance, layer ``l`` relative to the last hidden
    layer ``L``: ``Var(dZ_l) = g^2 E[phi'(Z_l)^2] Var(dZ_{l+1})`` (Glorot & Bengio 2010, sec. 4.2).

    Returns ``(n_layers,)`` arrays ``q``, ``act_std`` (``sqrt(E[phi^2] - E[phi]^2)``),
    ``grad_ratio`` (``std(dZ_l) / std(dZ_L)``), ``saturated_frac``
    (``P(|z| > t) = erfc(t / sqrt(2 q))``; 0 for relu-like), and the small-signal lines of
    :func:`linear_factors`: ``grad_ratio_linear = (g^2 c')^((L - l) / 2)`` and, except for
    sigmoid, ``act_ratio_linear = (g^2 c)^((l - 1) / 2)`` (``std_l / std_1``).
    """
    check_choice(name, "activation", ACTIVATIONS)
    g2 = check_positive(g, "g") ** 2
    L = check_int(n_layers, "n_layers", minimum=2)
    prof = theory.mean_field_profile(activation(name), g2, L)    # input variance 1, no bias
    q = prof["q"]
    layers = np.arange(1, L + 1)
    c, c_back = linear_factors(name)
    out = {"q": q, "act_std": prof["act_std"],
           "grad_ratio": np.sqrt(prof["grad_var"]),
           "grad_ratio_linear": (g2 * c_back) ** ((L - layers) / 2)}
    if c is not None:
        out["act_ratio_linear"] = (g2 * c) ** ((layers - 1) / 2)
    if name in ("tanh", "sigmoid"):
        out["saturated_frac"] = erfc(_saturation_threshold(name) / np.sqrt(2.0 * q))
    else:
        out["saturated_frac"] = np.zeros(L)
    return out


def fit_rate(values: np.ndarray) -> float:
    """Least-squares slope of ``ln(values[l])`` against the layer index; ``values`` > 0."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size < 2 or not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"values must be a 1-D array of >= 2 finite positive numbers, got "
                         f"{values!r}")
    return float(np.polyfit(np.arange(1, values.size + 1), np.log(values), 1)[0])


def rate_standard_error(width: int, n_layers: int) -> float:
    """Finite-width standard error of :func:`fit_rate` on one ReLU-like profile.

    Given layer ``l - 1``, ``||a_l||^2`` is a sum of ``width`` independent terms
    ``relu(z)^2``, ``z ~ N(0, q)``, with mean ``q/2`` and variance ``E[relu^4] - (q/2)^2 =
    5 q^2 / 4``: relative variance ``5 / width``, so ``ln std`` takes i.i.d. steps of
    variance ``s^2 = 5 / (4 width)`` (one example; the batch average only lowers it, leaky
    relu's ``6(1+a^4)/(1+a^2)^2 - 1 < 5`` too). The OLS slope of a random walk over ``L``
    points has variance ``s^2 * 6 (L^2 + 1) / (5 L (L^2 - 1))`` (~ ``1.2 s^2 / L``).
    """
    width = check_int(width, "width", minimum=1)
    L = check_int(n_layers, "n_layers", minimum=2)
    s2 = (theory.finite_width_log_std(1, width) / 2.0) ** 2     # ln std = ln v / 2: 5/(4 width)
    return math.sqrt(s2 * 6.0 * (L**2 + 1) / (5.0 * L * (L**2 - 1)))


# ------------------------------------------------------------------------- experiments


def run_grid(seed: int, smoke: bool, n_jobs: int = 1) -> dict:
    """:func:`depth_profile` for every activation and every gain of :func:`gains`.

    Returns ``g`` ``(n_g,)``, the sizes, and arrays ``(4, n_g, n_layers)``: each key of
    :data:`STATS`, and from :func:`predicted_profile` ``pred_act_std``, ``pred_grad_ratio``,
    ``pred_saturated_frac``. Rates ``(4, n_g)``: ``act_rate`` (slope of ``ln act_std``),
    ``grad_rate`` (minus the slope of ``ln grad_std``: growth per layer toward the input,
    positive = exploding), and ``pred_act_rate``, ``pred_grad_rate`` (same fits on theory).
    """
    dims = sizes(smoke)
    g = gains()
    configs = [{"name": a, "g": float(gi), "seed": seed, **dims}
               for a in ACTIVATIONS for gi in g]
    runs = sweep.run(_profile_config, configs, n_jobs=n_jobs, progress=False)
    shape = (len(ACTIVATIONS), g.size, dims["n_layers"])
    out: dict = {"g": g, **dims}
    for key in STATS:
        out[key] = np.array([r[key] for r in runs]).reshape(shape)
    preds = [predicted_profile(c["name"], c["g"], dims["n_layers"]) for c in configs]
    for key in ("act_std", "grad_ratio", "saturated_frac"):
        out[f"pred_{key}"] = np.array([p[key] for p in preds]).reshape(shape)
    for key, rate_key, sign in (("act_std", "act_rate", 1.0), ("grad_std", "grad_rate", -1.0),
                                ("pred_act_std", "pred_act_rate", 1.0),
                                ("pred_grad_ratio", "pred_grad_rate", -1.0)):
        out[rate_key] = np.array([[sign * fit_rate(v) for v in row] for row in out[key]])
    return out


def run_recommended(seed: int, smoke: bool) -> dict:
    """:func:`depth_profile` of each activation at its :func:`recommended_gain`.

    Returns ``{name: profile}``, ``"gain": {name: g}``, ``"pred_grad_ratio": {name: (L,)}``
    (mean field) and the sizes; same seed and sizes as :func:`run_grid`.
    """
    dims = sizes(smoke)
    out: dict = {"gain": {a: recommended_gain(a) for a in ACTIVATIONS}, **dims}
    out["pred_grad_ratio"] = {}
    for a in ACTIVATIONS:
        out[a] = depth_profile(a, out["gain"][a], seed=seed, **dims)
        out["pred_grad_ratio"][a] = predicted_profile(a, out["gain"][a],
                                                      dims["n_layers"])["grad_ratio"]
    return out


#: Training comparison: digits (64 pixels), 20 hidden layers of width 64 (every layer square,
#: so ``g`` means the same everywhere), SGD with momentum, 15 epochs (smoke 4).
TRAIN = {"n_layers": 20, "width": 64, "batch_size": 32, "lr": 0.005, "momentum": 0.9}


def train_comparison(seed: int, smoke: bool) -> dict:
    """Train each activation at its :func:`recommended_gain` on the digits.

    Network ``64 -> 64 (x 20, activation) -> 10``, weights ``N(0, g^2 / 64)``, zero biases,
    SGD with momentum 0.9, lr 0.005, batch 32, for 15 epochs (smoke: 4), softmax
    cross-entropy. One stratified split (75/25) drawn from ``seed``; every network starts
    from ``seed + 1``. Returns ``epochs`` and ``{name: test accuracy per epoch}`` under
    ``"test_acc"`` (entry 0 = before training), ``(epochs + 1,)`` arrays.
    """
    split = datasets.load("digits", np.random.default_rng(check_int(seed, "seed")))
    epochs = 4 if smoke else 15
    out: dict = {"epochs": epochs, "test_acc": {}, **TRAIN}
    width, L = TRAIN["width"], TRAIN["n_layers"]
    for name in ACTIVATIONS:
        rng = np.random.default_rng(seed + 1)
        sigma = recommended_gain(name) / math.sqrt(width)               # n sigma^2 = g^2
        model = network.MLP([split.X_train.shape[1]] + [width] * L + [split.n_classes], rng,
                            activation=activation(name),
                            weight_init=initializers.get("random_normal", stddev=sigma))
        hist = train.train(model, split.X_train, split.y_train, rng=rng, epochs=epochs,
                           batch_size=TRAIN["batch_size"], lr=TRAIN["lr"],
                           momentum=TRAIN["momentum"], X_test=split.X_test,
                           y_test=split.y_test, track_layer_norms=False, progress=False)
        if hist.diverged_at is not None:
            raise ValueError(f"{name} diverged at step {hist.diverged_at}")
        out["test_acc"][name] = np.array(hist.test_acc)
    return out


def plot_training(trained: dict) -> Figure:
    """Test accuracy per epoch, one line per activation at its recommended gain."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for name in ACTIVATIONS:
        acc = trained["test_acc"][name]
        ax.plot(np.arange(acc.size), acc, marker="o", ms=4, color=COLORS[name],
                ls=STYLES[name], label=f"{LABELS[name]}, g = {recommended_gain(name):.3g}")
    ax.axhline(0.1, color="k", ls=":", lw=1, label="chance (10 classes)")
    ax.set(xlabel="epoch", ylabel="test accuracy", ylim=(0, 1),
           title=f"Digits, {trained['n_layers']} hidden layers of width {trained['width']}, "
                 "SGD + momentum, one seed")
    ax.legend(fontsize="small", loc="center right")
    fig.tight_layout()
    return fig


def _index(grid: dict, g2: float) -> int:
    """Column of ``g^2`` in the grid (ValueError if absent)."""
    match = np.nonzero(np.isclose(grid["g"] ** 2, g2, rtol=1e-9))[0]
    if match.size != 1:
        raise ValueError(f"g^2 = {g2!r} is not on the grid {list(grid['g'] ** 2)}")
    return int(match[0])


def first_over_last(values: np.ndarray) -> float:
    """``values[0] / values[-1]``: layer 1 relative to layer L (gradients)."""
    return float(values[0] / values[-1])


def last_over_first(values: np.ndarray) -> float:
    """``values[-1] / values[0]``: layer L relative to layer 1 (activations)."""
    return float(values[-1] / values[0])


def summary(grid: dict, recommended: dict) -> dict[str, float | int]:
    """The numbers the chapter records, as plain Python scalars (see the notebook's text)."""
    L, width = grid["n_layers"], grid["width"]
    s: dict = {"width": width, "n_layers": L, "batch": grid["batch"],
               "n_gains": int(grid["g"].size)}
    # rates: relu-like against (g^2 c)^(1/2) per layer, everything against mean field
    s["rate_se"] = rate_standard_error(width, L)
    errs = [abs(grid[rate][ACTIVATIONS.index(a), j] - linear_rate(a, g, backward=back))
            for a in ("relu", "leaky_relu") for j, g in enumerate(grid["g"])
            for rate, back in (("act_rate", False), ("grad_rate", True))]
    s["relu_rate_max_z"] = float(max(errs) / s["rate_se"])
    s["meanfield_rate_max_err"] = float(np.max(np.abs(grid["grad_rate"] - grid["pred_grad_rate"])))
    isg = ACTIVATIONS.index("sigmoid")
    s["sigmoid_max_grad_rate"] = float(np.max(grid["grad_rate"][isg]))
    s["sigmoid_max_grad_rate_pred"] = float(np.max(grid["pred_grad_rate"][isg]))
    s["sigmoid_max_chi"] = float(max(theory.chi_1(float(g**2), 0.0, "sigmoid")
                                     for g in grid["g"]))
    # Var(w) = 1/n (g^2 = 1): activations, back-propagated, weight and bias gradients
    j = _index(grid, 1.0)
    for i, a in enumerate(ACTIVATIONS):
        s[f"act_ratio_{a}"] = last_over_first(grid["act_std"][i, j])
        s[f"backprop_grad_ratio_{a}"] = first_over_last(grid["grad_std"][i, j])
        s[f"backprop_grad_ratio_{a}_pred"] = first_over_last(grid["pred_grad_ratio"][i, j])
        s[f"weight_grad_ratio_{a}"] = first_over_last(grid["weight_grad_norm"][i, j])
        s[f"bias_grad_ratio_{a}"] = first_over_last(grid["bias_grad_norm"][i, j])
    # the recommended gains
    for a, short in (("relu", "relu_he"), ("leaky_relu", "leaky_gain"), ("tanh", "tanh_gain")):
        prof = recommended[a]
        s[f"{short}_act_ratio"] = last_over_first(prof["act_std"])
        s[f"{short}_grad_ratio"] = first_over_last(prof["grad_std"])
        s[f"{short}_grad_ratio_pred"] = first_over_last(recommended["pred_grad_ratio"][a])
    s["leaky_gain"] = recommended["gain"]["leaky_relu"]
    # leaky relu at its gain: ln(grad ratio) in finite-width standard errors of a random walk
    # of L - 1 steps, each of variance 5 / (4 width) (theory.finite_width_log_std: ln v / 2)
    s["leaky_gain_grad_z"] = math.log(s["leaky_gain_grad_ratio"]) / (
        theory.finite_width_log_std(L - 1, width) / 2.0)
    # relu at He scale (g^2 = 2): fitted per-layer growth factors, theory (g^2 c)^(1/2) = 1
    i, j = ACTIVATIONS.index("relu"), _index(grid, 2.0)
    s["relu_he_act_factor"] = float(math.exp(grid["act_rate"][i, j]))
    s["relu_he_grad_factor"] = float(math.exp(grid["grad_rate"][i, j]))
    # sigmoid at g^2 = 1: per-layer gradient rate, bounded by ln(g / 4) (sigmoid' <= 1/4)
    j = _index(grid, 1.0)
    s["sigmoid_grad_rate_g1"] = float(grid["grad_rate"][isg, j])
    s["sigmoid_grad_rate_g1_pred"] = float(grid["pred_grad_rate"][isg, j])
    # where the per-layer gradient factor is 1 (theory): g^2 c' = 1, mean field for the others
    for a in ACTIVATIONS:
        s[f"critical_g2_{a}"] = critical_g2(a)
    # saturation, mean over hidden layers, at the smallest and largest gain
    for a in ("tanh", "sigmoid"):
        i = ACTIVATIONS.index(a)
        for j, tag in ((0, "small"), (-1, "large")):
            s[f"{a}_sat_{tag}"] = float(grid["saturated_frac"][i, j].mean())
            s[f"{a}_sat_{tag}_pred"] = float(grid["pred_saturated_frac"][i, j].mean())
    # largest gap of the layer-mean saturated fraction, over activations and gains
    s["sat_max_err"] = float(np.max(np.abs(grid["saturated_frac"].mean(axis=2)
                                           - grid["pred_saturated_frac"].mean(axis=2))))
    return s


def g1_table(summary: dict) -> dict[str, list[float]]:
    """Columns of the chapter's ``g^2 = 1`` table (one row per activation) from :func:`summary`."""
    keys = {"act. std L / 1": "act_ratio_{}", "dL/dZ 1 / L": "backprop_grad_ratio_{}",
            "dL/dZ 1 / L, mean field": "backprop_grad_ratio_{}_pred",
            "‖dW‖ 1 / L": "weight_grad_ratio_{}", "‖db‖ 1 / L": "bias_grad_ratio_{}"}
    return {col: [summary[k.format(a)] for a in ACTIVATIONS] for col, k in keys.items()}


# ------------------------------------------------------------------------------ figures


def _g2_edges(g: np.ndarray) -> np.ndarray:
    """Cell edges in ``log2(g^2)`` for a grid evenly spaced in ``log2(g^2)``."""
    k = np.log2(g**2)
    step = k[1] - k[0]
    return np.r_[k - step / 2, k[-1] + step / 2]


def _g2_ticks(ax: plt.Axes, g: np.ndarray, every: int = 2, fontsize: str = "medium") -> None:
    """x ticks at every ``every``-th ``g^2`` of the grid, labelled 1/16 .. 64."""
    ticks = np.log2(g**2)[::every]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{2.0**t:g}" if t >= 0 else f"1/{2.0**-t:g}" for t in ticks],
                       fontsize=fontsize)


def plot_heatmaps(grid: dict, clip: float = 1e12) -> Figure:
    """2 x 4 heatmaps, layer x ``g^2``, log colour scale: activation std relative to layer 1
    (top), back-propagated gradient std relative to the last hidden layer (bottom). Dashed
    contours: the small-signal line ``(g^2 c)^(l/2)`` at 1e-8, 1e-4, 1e4, 1e8; dotted
    vertical: ``g^2 c = 1``. sigmoid has no forward line (mean 1/2)."""
    fig, axes = plt.subplots(2, 4, figsize=(9.5, 5.8), sharex=True, sharey=True,
                             layout="constrained")
    L = grid["n_layers"]
    layers = np.arange(1, L + 1)
    k = np.log2(grid["g"] ** 2)
    norm = LogNorm(vmin=1 / clip, vmax=clip)
    levels = [1e-8, 1e-4, 1e4, 1e8]
    rows = (("act_std", 0, "act_ratio_linear", False, "activation std\nlayer l / layer 1"),
            ("grad_std", -1, "grad_ratio_linear", True, f"std ∂L/∂Z_l\nlayer l / layer {L}"))
    for r, (key, ref, line_key, back, what) in enumerate(rows):
        for c, name in enumerate(ACTIVATIONS):
            ax = axes[r, c]
            V = grid[key][c]                                        # (n_g, L)
            ratio = np.clip(V / V[:, [ref]], 1 / clip, clip)
            mesh = ax.pcolormesh(_g2_edges(grid["g"]), np.r_[layers - 0.5, L + 0.5], ratio.T,
                                 cmap=plt.get_cmap("RdBu_r", 24), norm=norm)  # 1 decade per colour
            lines = [predicted_profile(name, gi, L).get(line_key) for gi in grid["g"]]
            if lines[0] is not None:
                cs = ax.contour(k, layers, np.array(lines).T, levels=levels, colors="k",
                                linestyles="--", linewidths=0.9)
                ax.clabel(cs, fmt=lambda v: f"{v:.0e}", fontsize=7)
                ax.axvline(math.log2(1 / linear_factors(name)[int(back)]), color="k", ls=":",
                           lw=1.2)
            if r == 0:
                ax.set_title(LABELS[name])
            else:
                ax.set_xlabel("g² = n·σ²")
            if c == 0:
                ax.set_ylabel(f"hidden layer l\n({what})", fontsize="small")
            _g2_ticks(ax, grid["g"], fontsize="x-small")
    cbar = fig.colorbar(mesh, ax=axes, shrink=0.85, extend="both")
    cbar.set_label("ratio (log scale; red: grows, blue: shrinks)")
    fig.suptitle(f"Measured at init: {L} layers of width n = {grid['width']}, weights "
                 f"N(0, g²/n), one batch of {grid['batch']} Gaussian inputs, one seed.\n"
                 "Dashed contours: theory (g²c)^(l/2); dotted: g²c = 1 (no forward line for "
                 "sigmoid: its mean is 1/2)", fontsize="small")
    return fig


def plot_profiles(grid: dict, g2_values: Sequence[float] = (0.25, 1.0, 2.0, 4.0)) -> Figure:
    """2 x 4 log10 curves over depth for a few ``g^2``: measured (dots), mean field (dashed),
    small-signal line ``(g^2 c)^(l/2)`` (dotted); activation std / layer 1 (top), gradient
    std / layer L (bottom)."""
    fig, axes = plt.subplots(2, 4, figsize=(11, 5.8), sharex=True, sharey="row")
    L = grid["n_layers"]
    layers = np.arange(1, L + 1)
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(g2_values)))
    for c, name in enumerate(ACTIVATIONS):
        for g2, col in zip(g2_values, colors, strict=True):
            j = _index(grid, g2)
            act, grad = grid["act_std"][c, j], grid["grad_std"][c, j]
            pa, pg = grid["pred_act_std"][c, j], grid["pred_grad_ratio"][c, j]
            lin = predicted_profile(name, math.sqrt(g2), L)
            axes[0, c].plot(layers, np.log10(act / act[0]), "o", ms=2.5, color=col)
            axes[0, c].plot(layers, np.log10(pa / pa[0]), "--", lw=1.5, color=col)
            axes[1, c].plot(layers, np.log10(grad / grad[-1]), "o", ms=2.5, color=col)
            axes[1, c].plot(layers, np.log10(pg / pg[-1]), "--", lw=1.5, color=col)
            if "act_ratio_linear" in lin:
                axes[0, c].plot(layers, np.log10(lin["act_ratio_linear"]), ":", lw=1.2,
                                color=col)
            axes[1, c].plot(layers, np.log10(lin["grad_ratio_linear"]), ":", lw=1.2, color=col)
        axes[0, c].set_title(LABELS[name])
        axes[1, c].set_xlabel("hidden layer l")
    axes[0, 0].set_ylabel("log10 activation std\nlayer l / layer 1")
    axes[1, 0].set_ylabel(f"log10 std ∂L/∂Z_l\nlayer l / layer {L}")
    for ax in axes.flat:
        ax.set_ylim(-12, 12)
    handles = [plt.Line2D([], [], color=col, marker="o", ls="none") for col in colors]
    handles += [plt.Line2D([], [], color="gray", ls="--"), plt.Line2D([], [], color="gray",
                                                                       ls=":")]
    labels = [f"g² = {g2:g} (measured)" for g2 in g2_values] + [
        "mean field", "small-signal line (g²c)^(l/2)"]
    fig.legend(handles, labels, loc="lower center", ncol=6, fontsize="small")
    fig.suptitle(f"{L} layers of width {grid['width']}, one seed; y clipped at ±12 decades",
                 fontsize="medium")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_rates(grid: dict) -> Figure:
    """Left: per-layer growth of ``ln std(dL/dZ)`` toward the input vs ``g^2`` (dots measured,
    solid mean field, dotted ``ln(g^2 c')/2``). Right: mean saturated fraction, tanh/sigmoid."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.5))
    k = np.log2(grid["g"] ** 2)
    for i, name in enumerate(ACTIVATIONS):
        col = COLORS[name]
        ax.plot(k, grid["pred_grad_rate"][i], "-", color=col, lw=1.5, alpha=0.7)
        marker, size = MARKERS[name]
        ax.plot(k, grid["grad_rate"][i], marker, ms=size, color=col, label=LABELS[name])
        ax.plot(k, [linear_rate(name, g, backward=True) for g in grid["g"]], ":", color=col,
                lw=1.2)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.plot([], [], "k-", alpha=0.7, label="mean field")
    ax.plot([], [], "k:", label="small signal ln(g²c′)/2")
    ax.set(xlabel="g² = n·σ²", ylabel="growth of ln std(∂L/∂Z_l) per layer\n"
           "toward the input (> 0: explodes)", ylim=(-1.8, 1.8),
           title="Gradient rate per layer: dots measured (fitted over all layers)")
    ax.legend(fontsize="small", loc="upper left")
    _g2_ticks(ax, grid["g"])
    for name in ("tanh", "sigmoid"):
        i = ACTIVATIONS.index(name)
        col = COLORS[name]
        bx.plot(k, grid["pred_saturated_frac"][i].mean(axis=1), "-", color=col, lw=1.5,
                alpha=0.7)
        bx.plot(k, grid["saturated_frac"][i].mean(axis=1), "o", color=col, label=LABELS[name])
    bx.plot([], [], "k-", alpha=0.7, label="mean field")
    bx.set(xlabel="g² = n·σ²", ylabel="saturated fraction (mean over layers)", ylim=(-0.02, 1),
           title="Saturation: |tanh| > 0.97; sigmoid < 0.03 or > 0.97")
    bx.legend(fontsize="small", loc="upper left")
    _g2_ticks(bx, grid["g"])
    fig.suptitle(f"{grid['n_layers']} layers of width {grid['width']}, one seed",
                 fontsize="medium")
    fig.tight_layout()
    return fig


def _depth_panels(axes: Sequence[plt.Axes], profiles: dict, panels: Sequence[tuple],
                  labels: dict) -> None:
    """log10 of each profile's ``key`` relative to layer ``ref``, one panel per entry."""
    for ax, (key, ref, ylabel, title) in zip(axes, panels, strict=True):
        for name in ACTIVATIONS:
            v = profiles[name][key]
            layers = np.arange(1, v.size + 1)
            ax.plot(layers, np.log10(v / v[ref]), lw=2, color=COLORS[name], ls=STYLES[name],
                    label=labels[name])
        ax.set(xlabel="hidden layer l", ylabel=ylabel, title=title)


def plot_recommended(recommended: dict) -> Figure:
    """Each activation at its recommended gain: activation std / layer 1 and gradient std /
    layer L over depth, log10; mean-field gradient prediction dashed."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.3), sharey=True)
    L = recommended["n_layers"]
    labels = {a: f"{LABELS[a]}, g = {recommended['gain'][a]:.3g}" for a in ACTIVATIONS}
    _depth_panels(axes, recommended, (
        ("act_std", 0, "log10 ratio", "Activation std, layer l / layer 1"),
        ("grad_std", -1, None, f"std ∂L/∂Z_l, layer l / layer {L}")), labels)
    layers = np.arange(1, L + 1)
    for a in ACTIVATIONS:
        axes[1].plot(layers, np.log10(recommended["pred_grad_ratio"][a]), ":", color="k",
                     lw=0.8)
    axes[1].plot([], [], "k:", lw=0.8, label="mean field")
    for ax in axes:
        ax.axhspan(math.log10(0.5), math.log10(2), color="0.85", zorder=0)
        ax.set_ylim(-20, 3)
    axes[1].legend(fontsize="small", loc="lower right")
    fig.suptitle(f"Each activation at PyTorch's calculate_gain: weights N(0, g²/n), {L} layers "
                 f"of width n = {recommended['width']}, one seed; grey band: ratio in [0.5, 2]",
                 fontsize="medium")
    fig.tight_layout()
    return fig


def plot_weight_vs_bias(grid: dict) -> Figure:
    """At ``g^2 = 1`` (``Var(w) = 1/n``): back-propagated, weight and bias gradient norms over
    depth, relative to the last hidden layer, log10, one line per activation."""
    j = _index(grid, 1.0)
    L = grid["n_layers"]
    profiles = {a: {key: grid[key][i, j] for key in STATS} for i, a in enumerate(ACTIVATIONS)}
    fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharey=True)
    _depth_panels(axes, profiles, (
        ("grad_std", -1, f"log10 (layer l / layer {L})", "Back-propagated std ∂L/∂Z_l"),
        ("weight_grad_norm", -1, None, "Weight gradients ‖dW_l‖ = ‖A_{l-1}ᵀ dZ_l‖"),
        ("bias_grad_norm", -1, None, "Bias gradients ‖db_l‖ = ‖Σ_batch dZ_l‖")), LABELS)
    for ax in axes:
        ax.set_ylim(-20, 2)
    axes[0].legend(fontsize="small", loc="lower right")
    fig.suptitle(f"Var(w) = 1/n (g² = 1): {L} layers of width n = {grid['width']}, one seed",
                 fontsize="medium")
    fig.tight_layout()
    return fig
