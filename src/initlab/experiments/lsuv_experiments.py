"""Chapter 13, LSUV and data-dependent initialization: the experiments behind the page.

What: three experiments on Mishkin and Matas' (2016) layer-sequential unit-variance init
(:func:`initlab.lsuv.lsuv`: orthogonal weights, then each layer ``W_l <- W_l / sqrt(Var(Z_l))``
on one batch until ``|Var(Z_l) - 1| <= tol``), on a deep ELU network, an activation with no
textbook gain.

1. :func:`variance_profile`: ``Var(Z_l)`` through the 26 layers of a ``(64, 64 x 25, 10)`` ELU
   net on held-out digits, for the orthogonal pre-init (gain 1), He, Glorot and LSUV, with the
   mean-field length map ``q_{l+1} = sigma_w2 E[elu(sqrt(q_l) z)^2]`` for the fixed schemes;
   LSUV's iterations per layer, its variances on its own batch and the scale it chose.
2. :func:`gain_check`: the scale LSUV picks on square layers fed unit-variance Gaussians.
   With ``Var(Z_{l-1}) = 1`` and a square orthogonal ``W_l = s_l Q`` (``|x Q| = |x|``),
   ``Var(Z_l) = s_l^2 E[phi(Z_{l-1})^2]``, so LSUV lands on
   ``sigma_w2 = fan_in Var(w) = s_l^2 = 1 / E_{z~N(0,1)}[phi(z)^2]``: 2 for ReLU (He's value),
   ``1 / E[tanh(z)^2] = 2.54`` (gain 1.59) for tanh, 1.55 for ELU.
3. :func:`training`: test accuracy per epoch of the ELU net on the digits with He, Glorot and
   LSUV, over seeds; final accuracies and the epochs to reach ``TARGET_ACC``.

Why: LSUV replaces the derivation of a gain by a measurement; the chapter checks that the
measurement recovers the derivations where they exist and what it buys where they do not.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples, ``Z_l = A_{l-1} @ W_l`` (zero
biases), ``A_l = elu(Z_l)``. Every function takes an explicit ``seed`` (and ``smoke`` where
the work differs) and returns a plain dict of floats and ndarrays; ``plot_*`` draw them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from initlab import activations, datasets, network, plotting, sweep, theory, train
from initlab._checks import check_choice, check_int
from initlab.lsuv import lsuv

#: The chapter's network: ELU hidden layers, identity output (logits), zero biases.
ACTIVATION = "elu"
N_HIDDEN = 25
WIDTH = 64
SIZES = (64,) + (WIDTH,) * N_HIDDEN + (10,)
#: LSUV's settings, the paper's defaults: Tol_var = 0.1, T_max = 10, one mini-batch.
TOL = 0.1
MAX_ITER = 10
LSUV_BATCH = 256
#: Training: plain SGD (lr 0.05 makes He diverge at this depth), test-accuracy target.
LR = 0.02
BATCH_SIZE = 32
TARGET_ACC = 0.9

#: Weight initializer of each scheme; "lsuv" starts from "orthogonal" and rescales.
SCHEMES = {"orthogonal": "orthogonal", "he": "he_normal", "xavier": "glorot_uniform",
           "lsuv": "orthogonal"}
LABELS = {"orthogonal": "orthogonal, gain 1 (LSUV's pre-init)", "he": "He normal (σ_w² = 2)",
          "xavier": "Glorot uniform (σ_w² = 1)", "lsuv": "LSUV"}
COLORS = {"orthogonal": "C7", "he": "C3", "xavier": "C0", "lsuv": "C2"}
GAIN_COLORS = ("C0", "C1", "C2")


# ------------------------------------------------------------------------------ helpers


def build(scheme: str, sizes: Sequence[int], rng: np.random.Generator,
          X_batch: np.ndarray | None = None, activation: str = ACTIVATION
          ) -> tuple[network.MLP, dict | None]:
    """An MLP initialized by ``scheme`` (a key of SCHEMES), and LSUV's report (else None).

    ``lsuv`` draws the orthogonal pre-init from ``rng`` exactly as ``orthogonal`` does (same
    ``rng`` state, same matrices), then rescales it on ``X_batch`` ``(batch, sizes[0])`` with
    ``lsuv(..., tol=TOL, max_iter=MAX_ITER, orthogonal_init=False)``.
    """
    check_choice(scheme, "scheme", SCHEMES)
    model = network.MLP(sizes, rng, activation=activation, weight_init=SCHEMES[scheme])
    if scheme != "lsuv":
        return model, None
    if X_batch is None:
        raise ValueError("scheme 'lsuv' needs an `X_batch` to measure variances on, got None")
    return model, lsuv(model, X_batch, tol=TOL, max_iter=MAX_ITER, orthogonal_init=False)


def output_variances(model: network.MLP, X: np.ndarray) -> np.ndarray:
    """``Var(Z_l)`` over all examples and units of each layer, ``(n_layers,)``."""
    model.forward(X, keep=True)
    return np.array([float(np.var(Z)) for Z in model.Z])


def implied_sigma_w2(model: network.MLP) -> np.ndarray:
    """``sigma_w2 = fan_in * mean(W_l^2)`` per layer, ``(n_layers,)``.

    For a rescaled orthogonal ``W = s Q`` with ``fan_in >= fan_out`` every column has norm ``s``,
    so this is ``s^2`` exactly; for He it is 2 and for Glorot on square layers 1 (in expectation).
    """
    return np.array([W.shape[0] * float(np.mean(W**2)) for W in model.weights])


def second_moment(activation: str, q: float | np.ndarray = 1.0) -> float | np.ndarray:
    """``E_z[phi(sqrt(q) z)^2]``, ``z ~ N(0, 1)``, by Gauss-Hermite quadrature."""
    phi = activations.get(activation).f
    return theory.gaussian_expectation(lambda u: phi(u) ** 2, q)


def unit_variance_sigma_w2(activation: str) -> float:
    """The ``sigma_w2`` LSUV should find on square layers: ``1 / E[phi(z)^2]``, ``z ~ N(0, 1)``.

    ``Var(Z_l) = sigma_w2 E[phi(Z_{l-1})^2] = 1`` when ``Z_{l-1} ~ N(0, 1)``.
    """
    return 1.0 / float(second_moment(activation))


def worst_case_rel_se(activation: str, width: int, n_layers: int) -> float:
    """Relative SE of the mean of ``n_layers`` per-layer scales if each layer's examples were
    fully correlated (only ``width`` independent units): ``CV(phi(z)^2) / sqrt(width n_layers)``.

    ``CV(phi^2) = sqrt(E[phi^4] - E[phi^2]^2) / E[phi^2]``; correlated examples are the worst
    case (deep ReLU nets approach it, chaotic tanh nets are far better), so this bounds the SE.
    """
    phi = activations.get(activation).f
    m2 = theory.gaussian_expectation(lambda u: phi(u) ** 2, 1.0)
    m4 = theory.gaussian_expectation(lambda u: phi(u) ** 4, 1.0)
    return math.sqrt(m4 - m2**2) / m2 / math.sqrt(width * n_layers)


def mean_field_variances(X: np.ndarray, sigma_w2: Sequence[float],
                         activation: str = ACTIVATION) -> np.ndarray:
    """Predicted ``Var(Z_l)``, ``(len(sigma_w2),)``, from the length map of each input row.

    ``q_1(x) = sigma_w2[0] |x|^2 / n_in``, ``q_{l+1}(x) = sigma_w2[l] E[phi(sqrt(q_l(x)) z)^2]``
    (Poole et al. 2016, zero biases); the prediction is the mean of ``q_l(x)`` over the rows.
    """
    q = sigma_w2[0] * np.mean(np.asarray(X, dtype=np.float64) ** 2, axis=1)
    out = [float(q.mean())]
    for s2 in sigma_w2[1:]:
        q = s2 * second_moment(activation, q)
        out.append(float(np.mean(q)))
    return np.array(out)


def epochs_to(acc: np.ndarray, target: float = TARGET_ACC) -> int:
    """First epoch at which the seed-mean test accuracy ``acc`` ``(n_seeds, epochs + 1)`` reaches
    ``target``; ``epochs + 1`` if it never does (censored)."""
    curve = np.asarray(acc).mean(axis=0)
    hits = np.flatnonzero(curve >= target)
    return int(hits[0]) if hits.size else len(curve)


# --------------------------------------------------------------- 1. the variance profile


def variance_profile(seed: int) -> dict:
    """``Var(Z_l)`` per layer of the chapter's ELU net on the held-out digits, per scheme.

    One digits split and one LSUV batch (``LSUV_BATCH`` training rows) drawn from
    ``default_rng(seed)``; every scheme's weights from a fresh ``default_rng(seed)`` (so the
    orthogonal and LSUV nets share their pre-init). Returns ``layers`` ``(n_layers,)``,
    ``var[scheme]`` on the test set, ``pred[scheme]`` (mean field, fixed schemes) and for LSUV:
    ``iterations``, ``var_before``/``var_after`` on its batch, ``sigma_w2`` per layer,
    ``max_dev_batch`` and ``max_dev_heldout`` (``max_l |Var(Z_l) - 1|``).
    """
    seed = check_int(seed, "seed")
    rng = np.random.default_rng(seed)
    data = datasets.load("digits", rng)
    X_batch = data.X_train[rng.choice(len(data.X_train), LSUV_BATCH, replace=False)]
    out: dict = {"layers": np.arange(1, len(SIZES)), "var": {}, "pred": {}, "width": WIDTH,
                 "n_hidden": N_HIDDEN, "n_heldout": len(data.X_test), "batch": LSUV_BATCH}
    for scheme in SCHEMES:
        model, report = build(scheme, SIZES, np.random.default_rng(seed), X_batch)
        out["var"][scheme] = output_variances(model, data.X_test)
        s2 = implied_sigma_w2(model)
        if report is None:
            out["pred"][scheme] = mean_field_variances(data.X_test, s2)
            out["sigma_w2_" + scheme] = s2
            continue
        out["iterations"] = np.array(report["iterations"])
        out["var_before"] = np.array(report["var_before"])
        out["var_after"] = np.array(report["var_after"])
        out["sigma_w2_lsuv"] = s2
        out["max_dev_batch"] = float(np.max(np.abs(out["var_after"] - 1.0)))
        out["max_dev_heldout"] = float(np.max(np.abs(out["var"]["lsuv"] - 1.0)))
        # independent check of the report: a fresh forward pass on the same batch
        out["report_mismatch"] = float(np.max(np.abs(output_variances(model, X_batch)
                                                     - out["var_after"])))
    out["sigma_w2_theory"] = unit_variance_sigma_w2(ACTIVATION)
    return out


# ----------------------------------------------------------------- 2. the gains LSUV finds


def gain_check(seed: int, smoke: bool, names: Sequence[str] = ("relu", "tanh", "elu")) -> dict:
    """The per-layer ``sigma_w2 = s_l^2`` LSUV picks on ``n_layers`` square layers, per activation.

    Width 256, ``n_layers`` 12 (smoke) or 20 (full), a batch of 256 rows ``X ~ N(0, 1)``, all
    drawn from ``default_rng(seed)`` per activation. Per activation: ``sigma_w2`` ``(n_layers,)``,
    ``mean`` over layers 2..n_layers (layer 1 sees the Gaussian input, not ``phi``), ``theory``
    from :func:`unit_variance_sigma_w2`, and ``rel_se`` from :func:`worst_case_rel_se`.
    """
    seed = check_int(seed, "seed")
    width, n_layers = (256, 12) if smoke else (256, 20)
    out: dict = {"width": width, "n_layers": n_layers, "names": list(names)}
    for name in names:
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((width, width))
        model = network.MLP((width,) * (n_layers + 1), rng, activation=name,
                            weight_init="orthogonal")
        report = lsuv(model, X, tol=TOL, max_iter=MAX_ITER, orthogonal_init=False)
        s2 = implied_sigma_w2(model)
        out[name] = {"sigma_w2": s2, "mean": float(s2[1:].mean()),
                     "theory": unit_variance_sigma_w2(name),
                     "rel_se": worst_case_rel_se(name, width, n_layers - 1),
                     "iterations": np.array(report["iterations"])}
    return out


# ------------------------------------------------------------------------ 3. training


def _train_run(config: dict) -> dict:
    """One run of :func:`training` (top level, so sweep workers can pickle it)."""
    data = datasets.load("digits", np.random.default_rng(config["data_seed"]))
    rng = np.random.default_rng(config["seed"])
    X_batch = data.X_train[rng.choice(len(data.X_train), LSUV_BATCH, replace=False)]
    model, _ = build(config["scheme"], config["sizes"], rng, X_batch)
    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=config["epochs"],
                       batch_size=BATCH_SIZE, lr=config["lr"], X_test=data.X_test,
                       y_test=data.y_test, track_layer_norms=False, progress=False)
    return {"test_acc": np.array(hist.test_acc), "diverged": hist.diverged}


def training(seed: int, smoke: bool, n_jobs: int = 1) -> dict:
    """Test accuracy per epoch of the chapter's ELU net on the digits: He, Glorot, LSUV.

    Plain SGD, lr ``LR``, batch ``BATCH_SIZE``; 4 epochs x 2 seeds (smoke) or 20 epochs x 8
    seeds (full). One digits split (from ``seed``) for all runs; run seeds from
    ``sweep.seeds(seed, n)``, shared by the schemes (the same LSUV batch and shuffles).
    Returns ``test_acc[scheme]`` ``(n_finished, epochs + 1)`` (column 0 = at init) and
    ``n_diverged[scheme]`` (runs whose loss became non-finite; left out of ``test_acc``).
    """
    seed = check_int(seed, "seed")
    epochs, n_seeds = (4, 2) if smoke else (20, 8)
    names = ("he", "xavier", "lsuv")
    configs = [{"scheme": name, "seed": s, "data_seed": seed, "sizes": SIZES,
                "epochs": epochs, "lr": LR} for name in names for s in sweep.seeds(seed, n_seeds)]
    runs = sweep.run(_train_run, configs, n_jobs=n_jobs, progress=False)
    out: dict = {"epochs": np.arange(epochs + 1), "n_seeds": n_seeds, "n_hidden": N_HIDDEN,
                 "width": WIDTH, "lr": LR, "test_acc": {}, "n_diverged": {}}
    for name in names:
        mine = [r for c, r in zip(configs, runs, strict=True) if c["scheme"] == name]
        out["test_acc"][name] = np.array([r["test_acc"] for r in mine if not r["diverged"]])
        out["n_diverged"][name] = sum(r["diverged"] for r in mine)
    return out


# ------------------------------------------------------------------------------ figures


def plot_variance_profile(profile: dict) -> Figure:
    """Left: ``Var(Z_l)`` vs layer (log y) per scheme; right: LSUV's per-layer ``sigma_w2``."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [3, 2]})
    layers = profile["layers"]
    ax.axhspan(1 - TOL, 1 + TOL, color=COLORS["lsuv"], alpha=0.15, lw=0,
               label=f"LSUV target 1 ± {TOL}")
    for scheme in ("he", "orthogonal", "xavier", "lsuv"):
        ax.semilogy(layers, profile["var"][scheme], "o-", ms=3.5, color=COLORS[scheme],
                    label=LABELS[scheme])
        if scheme in profile["pred"]:
            ax.semilogy(layers, profile["pred"][scheme], ":", color=COLORS[scheme], lw=1.5)
    ax.plot([], [], "k:", lw=1.5, label="mean-field length map")
    ax.set(title=f"ELU net (64, {profile['width']}×{profile['n_hidden']}, 10): output variance "
                 f"on {profile['n_heldout']} held-out digits, one seed",
           xlabel="layer l (26 = logits)", ylabel="Var(Z_l) (log scale)")
    ax.legend(fontsize=8, loc="center right", bbox_to_anchor=(1.0, 0.42))
    s2 = profile["sigma_w2_lsuv"]
    bx.plot(layers[1:-1], s2[1:-1], "o", color=COLORS["lsuv"], ms=4,
            label="LSUV, hidden layers 2–25: s_l² = fan_in·mean(W_l²)")
    bx.plot(layers[[0, -1]], s2[[0, -1]], "s", color=COLORS["lsuv"], mfc="white", ms=5,
            label="LSUV, layer 1 (raw pixels in) and logits")
    bx.axhline(2.0, color=COLORS["he"], ls="--", label="He: 2")
    bx.axhline(profile["sigma_w2_theory"], color="k", ls=":",
               label=f"1 / E[elu(z)²] = {profile['sigma_w2_theory']:.3f}")
    bx.axhline(1.0, color=COLORS["xavier"], ls="--", label="Glorot (square): 1")
    bx.set(title="The scale LSUV chose per layer", xlabel="layer l",
           ylabel="σ_w² = fan_in · Var(w)", ylim=(0, 2.6))
    bx.legend(fontsize=8, loc="lower right")
    for a in (ax, bx):
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def plot_gain_check(check: dict) -> Figure:
    """Per-layer ``sigma_w2`` LSUV picked, per activation, against ``1 / E[phi(z)^2]``."""
    fig, ax = plt.subplots(figsize=(8, 4.4))
    layers = np.arange(1, check["n_layers"] + 1)
    textbook = {"relu": (2.0, "He: 2"), "tanh": ((5 / 3) ** 2, "PyTorch tanh gain²: (5/3)²")}
    for i, name in enumerate(check["names"]):
        r, c = check[name], GAIN_COLORS[i % len(GAIN_COLORS)]
        ax.plot(layers, r["sigma_w2"], "o", color=c, ms=4.5, mfc="white",
                label=f"{name}: LSUV (mean of layers 2–{check['n_layers']}: {r['mean']:.3f})")
        ax.axhline(r["theory"], color=c, ls=":", lw=1.5,
                   label=f"{name}: 1 / E[{name}(z)²] = {r['theory']:.3f}")
        if name in textbook:
            ax.axhline(textbook[name][0], color=c, ls="--", lw=1, label=textbook[name][1])
    ax.set(title=f"σ_w² LSUV chooses: {check['n_layers']} square layers of width "
                 f"{check['width']}, Gaussian input, one seed",
           xlabel="layer l (layer 1 sees the raw input)", ylabel="σ_w² = fan_in · Var(w)",
           ylim=(0.8, 3.3))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7.5, ncol=2, loc="upper left")
    fig.tight_layout()
    return fig


def plot_training(curves: dict) -> Figure:
    """Test accuracy per epoch, mean over seeds with a min..max band, per scheme."""
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for name, acc in curves["test_acc"].items():
        if len(acc):
            plotting.curves_with_band(ax, curves["epochs"], acc, color=COLORS[name],
                                      label=f"{LABELS[name]} ({len(acc)} runs)")
        if curves["n_diverged"][name]:
            ax.plot([], [], "x", color=COLORS[name],
                    label=f"{LABELS[name]}: {curves['n_diverged'][name]} runs diverged")
    ax.axhline(TARGET_ACC, color="0.4", ls="--", lw=1, label=f"target {TARGET_ACC}")
    ax.axhline(0.1, color="0.5", ls=":", label="chance (10 classes)")
    ax.set(title=f"{curves['n_hidden']} ELU layers of width {curves['width']} on the digits "
                 f"({curves['n_seeds']} seeds, mean and min–max band)",
           xlabel="epoch", ylabel="test accuracy", ylim=(0, 1),
           xlim=(curves["epochs"][0], curves["epochs"][-1]))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
