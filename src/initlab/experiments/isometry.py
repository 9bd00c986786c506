"""Chapter 14, dynamical isometry: the singular values of a deep network's input-output Jacobian.

What: for ``h_l = phi(h_{l-1} @ W_l + b_l)`` the Jacobian of the output with respect to the
input is ``J = D_L W_L^T ... D_1 W_1^T`` with ``D_l = diag(phi'(z_l))``. Its squared singular
values ``lambda`` (the eigenvalues of ``J J^T``) say how the network stretches each direction of
an input perturbation, and, transposed, each direction of the gradient on the way back.
Pennington, Schoenholz and Ganguli (2017) computed their distribution for wide random nets
with free probability. With ``mu_k = sigma_w2^k E[phi'(sqrt(q*) z)^(2k)]`` (``mu_1 = chi_1``)
and ``s_1`` the first S-transform coefficient of ``W W^T`` (``-1`` for Gaussian, ``0`` for
orthogonal weights), at criticality ``chi_1 = 1``:

    mean(lambda) = chi_1^L = 1,        Var(lambda) = L (mu_2 / mu_1^2 - 1 - s_1).

Orthogonal tanh nets with a small ``q*`` have ``mu_2 / mu_1^2 - 1 = O(q*^2)`` and stay
concentrated near ``lambda = 1`` (*dynamical isometry*); Gaussian weights add 1 per layer;
ReLU's 0/1 derivatives add ``mu_2 / mu_1^2 - 1 = 1`` per layer whatever the weights.

1. :func:`jacobian_spectra`: singular values of random critical nets, 4 configurations
   (tanh / ReLU x orthogonal / Gaussian) over depth, per-net ``Var(lambda) / mean(lambda)^2``
   and ``mean(lambda)`` against :func:`predicted_spread`.
2. :func:`qstar_sweep`: orthogonal tanh at one depth over the bias variance, i.e. over ``q*``:
   why Pennington et al. choose ``q*`` small.
3. :func:`train_comparison`: deep critical tanh nets trained on the digits, orthogonal versus
   Gaussian weights.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are inputs; a Jacobian is ``(n_out, n_in)``.
Every function takes ``seed`` and ``smoke`` and returns a plain dict; ``plot_*`` draw them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import (
    datasets,
    diagnostics,
    initializers,
    network,
    plotting,
    sweep,
    theory,
    train,
)
from initlab._checks import check_choice, check_int
from initlab.theory import jacobian_spread as predicted_spread  # L (mu_2 / mu_1^2 - 1 - s_1)

#: Bias variance of the tanh nets: small, so that ``q*`` (about 0.02) is small (see
#: :func:`critical_point`); Pennington et al. (2017) likewise work at small ``q*``.
SIGMA_B2_TANH = 1e-5
#: The weight distributions compared, with their S-transform coefficient ``s_1``.
S1 = theory.S_TRANSFORM_S1
CONFIGS = (("tanh", "orthogonal"), ("tanh", "gaussian"), ("relu", "orthogonal"),
           ("relu", "gaussian"))
COLORS = {("tanh", "orthogonal"): "C0", ("tanh", "gaussian"): "C3",
          ("relu", "orthogonal"): "C2", ("relu", "gaussian"): "C4"}
#: Depths whose spectra the histogram figure shows.
HIST_DEPTHS = (10, 30, 100)


def label(config: tuple[str, str]) -> str:
    """``"tanh, orthogonal"``: the name of a configuration in legends and record keys."""
    return f"{config[0]}, {config[1]}"


def key(config: tuple[str, str]) -> str:
    """``"tanh_orth"`` / ``"relu_gauss"``: a configuration as part of a record key."""
    return f"{config[0]}_{config[1][:5] if config[1] == 'gaussian' else config[1][:4]}"


# ------------------------------------------------------------------------------ theory


def critical_point(activation: str, sigma_b2: float | None = None) -> dict:
    """:func:`initlab.theory.critical_point` for the chapter's two activations.

    tanh at ``sigma_b2`` (default ``SIGMA_B2_TANH``); relu at He's ``sigma_w2 = 2`` without
    bias, where the maps are scale-free and ``q* = 1`` stands for any length. Returns
    ``activation``, ``sigma_w2``, ``sigma_b2``, ``q_star``, ``mu_1`` (= ``chi_1`` = 1), ``mu_2``.
    """
    check_choice(activation, "activation", ("tanh", "relu"))
    if activation == "relu":
        return theory.critical_point("relu", 0.0)
    return theory.critical_point("tanh", SIGMA_B2_TANH if sigma_b2 is None else float(sigma_b2))


# ------------------------------------------------------------------------ random networks


def weight_init(init: str, sigma_w2: float) -> Callable[..., np.ndarray]:
    """``orthogonal(gain=sqrt(sigma_w2))`` or ``variance_scaling(scale=sigma_w2)`` untruncated.

    Both have ``fan_in Var(w) = sigma_w2`` on square layers; the orthogonal one has every
    singular value equal to ``sqrt(sigma_w2)``, the Gaussian one a quarter-circle law.
    """
    check_choice(init, "init", S1)
    if init == "orthogonal":
        return initializers.get("orthogonal", gain=math.sqrt(sigma_w2))
    return initializers.get("variance_scaling", scale=sigma_w2, mode="fan_in",
                            distribution="untruncated_normal")


def bias_init(sigma_b2: float) -> Callable[..., np.ndarray] | str:
    """``N(0, sigma_b2)`` biases, or ``"zeros"`` when ``sigma_b2 = 0``."""
    if sigma_b2 == 0.0:
        return "zeros"
    return initializers.get("random_normal", stddev=math.sqrt(sigma_b2))


def random_net(point: dict, init: str, depth: int, width: int,
               rng: np.random.Generator) -> network.MLP:
    """``depth`` square layers ``h_l = phi(h_{l-1} @ W_l + b_l)``, phi on the last layer too,
    so that ``J`` has exactly ``depth`` factors ``D_l W_l^T``. ``point``: :func:`critical_point`.
    """
    depth = check_int(depth, "depth", minimum=1)
    return network.MLP([width] * (depth + 1), rng, activation=point["activation"],
                       weight_init=weight_init(init, point["sigma_w2"]),
                       bias_init=bias_init(point["sigma_b2"]),
                       output_activation=point["activation"])


def fixed_point_inputs(n: int, width: int, point: dict, rng: np.random.Generator) -> np.ndarray:
    """``X`` ``(n, width)``: random directions scaled so the first pre-activations sit at ``q*``.

    ``|x|^2 / N = (q* - sigma_b2) / sigma_w2``, so ``E |x @ W_1 + b_1|^2 / N = q*``.
    """
    X = rng.standard_normal((check_int(n, "n", minimum=1), width))
    scale = math.sqrt(width * (point["q_star"] - point["sigma_b2"]) / point["sigma_w2"])
    return scale * X / np.linalg.norm(X, axis=1, keepdims=True)


def spectrum_stats(s: np.ndarray) -> tuple[float, float]:
    """``(mean(lambda), Var(lambda) / mean(lambda)^2)`` of ``lambda = s^2`` (population var)."""
    lam = np.asarray(s, dtype=float) ** 2
    m1 = float(lam.mean())
    return m1, float(lam.var() / m1**2)


# ---------------------------------------------------------------------- 1. the spectra


def jacobian_spectra(seed: int, smoke: bool) -> dict:
    """Jacobian singular values of ``n_nets`` random critical nets per configuration and depth.

    Width 100 (smoke) or 300 (full); depths (10, 30, 100) or (10, 20, 30, 50, 70, 100);
    ``n_nets = 6`` independent nets, one input at ``q*`` each
    (:func:`initlab.diagnostics.jacobian_singular_values`). Per configuration: ``spread``
    and ``mean_lam`` ``(n_depths, n_nets)`` from :func:`spectrum_stats`, ``sv[depth]`` the pooled
    singular values (for :data:`HIST_DEPTHS`), and the predictions ``pred`` (infinite width) and,
    Gaussian only, ``pred_finite`` (width ``N``), both ``(n_depths,)``.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    width, depths = (100, (10, 30, 100)) if smoke else (300, (10, 20, 30, 50, 70, 100))
    n_nets = 6
    points = {a: critical_point(a) for a in ("tanh", "relu")}
    out: dict = {"width": width, "depths": np.array(depths), "n_nets": n_nets, "seed": seed,
                 "points": points}
    for config in CONFIGS:
        act, init = config
        pt = points[act]
        spread = np.empty((len(depths), n_nets))
        mean_lam = np.empty((len(depths), n_nets))
        sv = {}
        for i, depth in enumerate(depths):
            pooled = []
            for j in range(n_nets):
                net = random_net(pt, init, depth, width, rng)
                s = diagnostics.jacobian_singular_values(net, fixed_point_inputs(1, width, pt, rng))
                mean_lam[i, j], spread[i, j] = spectrum_stats(s)
                pooled.append(s)
            if depth in HIST_DEPTHS:
                sv[depth] = np.concatenate(pooled)
        res = {"spread": spread, "mean_lam": mean_lam, "sv": sv,
               "pred": predicted_spread(out["depths"], pt["mu_1"], pt["mu_2"], init)}
        if init == "gaussian":
            res["pred_finite"] = predicted_spread(out["depths"], pt["mu_1"], pt["mu_2"], init,
                                                  width)
        out[config] = res
    return out


# ------------------------------------------------------------------ 2. the choice of q*


def qstar_sweep(seed: int, smoke: bool, depth: int = 100) -> dict:
    """Orthogonal tanh at ``depth``: measured and predicted spread over ``sigma_b2`` (so ``q*``).

    ``sigma_b2`` in (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.05), each at its critical ``sigma_w2``;
    width 100 (smoke) or 200 (full), ``n_nets`` 1 or 3 nets each. Returns ``q_star``,
    ``spread`` (mean over nets) and ``pred`` ``= depth (mu_2 / mu_1^2 - 1)``, all ``(6,)``;
    ``rel_err_small``, the largest ``|spread / pred - 1|`` over ``q* <= 0.15`` (where the spread
    per layer is small and the estimator reliable); ``q_star_large``, ``spread_large`` and
    ``pred_large`` at ``sigma_b2 = 0.05``, Schoenholz et al.'s (2017) bias variance.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    width, n_nets = (100, 1) if smoke else (200, 3)
    b2s = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.05)
    q, spread, pred = [], [], []
    for b2 in b2s:
        pt = critical_point("tanh", b2)
        vals = []
        for _ in range(n_nets):
            net = random_net(pt, "orthogonal", depth, width, rng)
            s = diagnostics.jacobian_singular_values(net, fixed_point_inputs(1, width, pt, rng))
            vals.append(spectrum_stats(s)[1])
        q.append(pt["q_star"])
        spread.append(float(np.mean(vals)))
        pred.append(predicted_spread(depth, pt["mu_1"], pt["mu_2"], "orthogonal"))
    q, spread, pred = np.array(q), np.array(spread), np.array(pred)
    small = q <= 0.15
    return {"sigma_b2": np.array(b2s), "q_star": q, "spread": spread, "pred": pred,
            "depth": depth, "width": width, "n_nets": n_nets,
            "rel_err_small": float(np.max(np.abs(spread[small] / pred[small] - 1.0))),
            "q_star_large": float(q[-1]), "spread_large": float(spread[-1]),
            "pred_large": float(pred[-1])}


# -------------------------------------------------------------------- 3. training speed


def _train_run(config: dict) -> dict:
    """One run of :func:`train_comparison` (top level, so sweep workers can pickle it)."""
    data = datasets.load("digits", np.random.default_rng(config["data_seed"]))
    rng = np.random.default_rng(config["seed"])
    pt = critical_point("tanh")
    model = network.MLP(config["sizes"], rng, activation="tanh",
                        weight_init=weight_init(config["init"], pt["sigma_w2"]),
                        bias_init=bias_init(pt["sigma_b2"]))
    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=config["epochs"],
                       batch_size=config["batch_size"], lr=config["lr"], X_test=data.X_test,
                       y_test=data.y_test, track_layer_norms=False, progress=False)
    return {"train_acc": np.array(hist.train_acc), "test_acc": np.array(hist.test_acc),
            "diverged": hist.diverged}


def epochs_to(acc: np.ndarray, criterion: float) -> float:
    """First epoch at which ``acc`` ``(epochs + 1,)`` reaches ``criterion``; ``inf`` if never."""
    hit = np.flatnonzero(np.asarray(acc) >= criterion)
    return float(hit[0]) if hit.size else math.inf


def train_comparison(seed: int, smoke: bool, n_jobs: int = 1,
                     inits: Sequence[str] = ("orthogonal", "gaussian")) -> dict:
    """Train accuracy per epoch of a 40-hidden-layer critical tanh net on the digits.

    Sizes ``(64, 64 x 40, 10)``, ``sigma_b2 = SIGMA_B2_TANH`` at its critical ``sigma_w2``,
    orthogonal or Gaussian weights; plain SGD, lr 0.01, batch 32; 5 epochs x 2 seeds (smoke)
    or 15 epochs x 6 seeds (full). One digits split from ``seed``; run seeds
    ``sweep.seeds(seed, n)``, shared by the inits. Returns ``train_acc[init]`` and
    ``test_acc[init]`` ``(n_seeds, epochs + 1)`` (column 0 = before training) and ``n_diverged``.
    """
    seed = check_int(seed, "seed")
    width, n_hidden, lr, batch = 64, 40, 0.01, 32
    epochs, n_seeds = (5, 2) if smoke else (15, 6)
    sizes = (64,) + (width,) * n_hidden + (10,)
    run_seeds = sweep.seeds(seed, n_seeds)
    configs = [{"init": init, "seed": s, "data_seed": seed, "sizes": sizes, "epochs": epochs,
                "batch_size": batch, "lr": lr} for init in inits for s in run_seeds]
    runs = sweep.run(_train_run, configs, n_jobs=n_jobs, progress=False)
    out: dict = {"epochs": np.arange(epochs + 1), "width": width, "n_hidden": n_hidden,
                 "n_seeds": n_seeds, "lr": lr, "batch_size": batch, "train_acc": {},
                 "test_acc": {}, "n_diverged": sum(bool(r["diverged"]) for r in runs)}
    for init in inits:
        done = [r for c, r in zip(configs, runs, strict=True)
                if c["init"] == init and not r["diverged"]]
        out["train_acc"][init] = np.array([r["train_acc"] for r in done])
        out["test_acc"][init] = np.array([r["test_acc"] for r in done])
    return out


# ---------------------------------------------------------------- the numbers the text states


def spectra_summary(sp: dict) -> dict[str, float]:
    """The recorded numbers of :func:`jacobian_spectra`, at the shallowest and deepest depth.

    Per configuration ``k`` (:func:`key`): ``spread_{k}_deep`` and ``spread_{k}_shallow``
    (mean over nets), ``pred_{k}_deep``; ``spread_tanh_gauss_growth`` (deep / shallow);
    ``spread_tanh_orth_rel_err`` ``= |measured / predicted - 1|`` at the deepest depth;
    ``shallow_pred_ratio_min`` / ``_max`` (measured / infinite-width prediction over the four
    configurations at the shallowest depth); ``mean_lam_tanh_orth_deep``; and
    ``mean_lam_shallow_min`` / ``_max`` (mean over nets of ``mean(lambda)``, shallowest depth).
    """
    out: dict[str, float] = {}
    ratios, shallow_means = [], []
    for config in CONFIGS:
        r, k = sp[config], key(config)
        spread = r["spread"].mean(axis=1)
        out[f"spread_{k}_deep"] = float(spread[-1])
        out[f"spread_{k}_shallow"] = float(spread[0])
        out[f"pred_{k}_deep"] = float(r["pred"][-1])
        ratios.append(spread[0] / r["pred"][0])
        shallow_means.append(r["mean_lam"][0].mean())
    tg, to = ("tanh", "gaussian"), ("tanh", "orthogonal")
    out["spread_tanh_gauss_growth"] = float(sp[tg]["spread"][-1].mean()
                                            / sp[tg]["spread"][0].mean())
    out["spread_tanh_orth_rel_err"] = float(abs(out["spread_tanh_orth_deep"]
                                                / out["pred_tanh_orth_deep"] - 1.0))
    out["shallow_pred_ratio_min"] = float(min(ratios))
    out["shallow_pred_ratio_max"] = float(max(ratios))
    out["mean_lam_tanh_orth_deep"] = float(sp[to]["mean_lam"][-1].mean())
    out["mean_lam_shallow_min"] = float(min(shallow_means))
    out["mean_lam_shallow_max"] = float(max(shallow_means))
    return out


def training_summary(tc: dict, k: int = 5, criterion: float = 0.9) -> dict[str, float]:
    """The recorded numbers of :func:`train_comparison`.

    ``train_acc_{init}_k``: mean train accuracy after ``k`` epochs; ``train_gap_k``: orthogonal
    minus Gaussian; ``epochs_to_crit_orth``: mean over seeds of the first epoch with train
    accuracy ``>= criterion`` (all orthogonal seeds must reach it, else ValueError);
    ``gauss_crit_by_orth_frac``: fraction of Gaussian seeds that had reached it by the epoch the
    slowest orthogonal seed did; ``gauss_crit_frac``: fraction that reached it at all;
    ``test_acc_{init}_final``: mean test accuracy after the last epoch.
    """
    k = check_int(k, "k", minimum=1)
    if k >= len(tc["epochs"]):
        raise ValueError(f"k={k} is beyond the {len(tc['epochs']) - 1} epochs trained")
    orth, gauss = tc["train_acc"]["orthogonal"], tc["train_acc"]["gaussian"]
    hit_orth = np.array([epochs_to(a, criterion) for a in orth])
    hit_gauss = np.array([epochs_to(a, criterion) for a in gauss])
    if not np.all(np.isfinite(hit_orth)):
        raise ValueError(f"an orthogonal run never reached train accuracy {criterion}")
    return {
        "train_acc_orth_k": float(orth[:, k].mean()),
        "train_acc_gauss_k": float(gauss[:, k].mean()),
        "train_gap_k": float(orth[:, k].mean() - gauss[:, k].mean()),
        "epochs_to_crit_orth": float(hit_orth.mean()),
        "gauss_crit_by_orth_frac": float(np.mean(hit_gauss <= hit_orth.max())),
        "gauss_crit_frac": float(np.mean(np.isfinite(hit_gauss))),
        "test_acc_orth_final": float(tc["test_acc"]["orthogonal"][:, -1].mean()),
        "test_acc_gauss_final": float(tc["test_acc"]["gaussian"][:, -1].mean()),
    }


# ------------------------------------------------------------------------------ figures


def plot_spectra(sp: dict) -> Figure:
    """Cumulative distribution of the singular values ``s`` per configuration at
    :data:`HIST_DEPTHS` (log x); values below ``1e-4`` (including exact zeros) sit at the left
    edge, so the height there is the fraction of crushed directions. Isometry = a jump at 1."""
    floor, top = 1e-4, 1e2
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), sharex=True, sharey=True)
    for ax, config in zip(axes.flat, CONFIGS, strict=True):
        for k, depth in enumerate(HIST_DEPTHS):
            s = np.sort(np.clip(sp[config]["sv"][depth], floor, top))
            frac = np.arange(1, s.size + 1) / s.size
            ax.step(np.concatenate([[floor], s]), np.concatenate([[0.0], frac]), where="post",
                    lw=1.8, color=f"C{k}", label=f"depth {depth}")
        ax.axvline(1.0, color="k", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set(xlim=(floor, top), ylim=(0, 1.02), title=f"{label(config)} (critical)")
    for ax in axes[1]:
        ax.set_xlabel(r"singular value $s$ of $J$ (log; left edge: $\leq 10^{-4}$, incl. 0)")
    for ax in axes[:, 0]:
        ax.set_ylabel(r"fraction of singular values $\leq s$")
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Input-output Jacobian spectra, width {sp['width']}, {sp['n_nets']} nets per "
                 f"depth (seed {sp['seed']}); dotted: s = 1", fontsize=10)
    fig.tight_layout()
    return fig


def plot_spread(sp: dict) -> Figure:
    """Left: ``Var(lambda) / mean(lambda)^2`` over depth (log-log) with the predictions;
    right: ``mean(lambda)`` over depth against ``chi_1^L = 1``. Points: one per net."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.4))
    d = sp["depths"]
    jitter = {c: 1.0 + 0.03 * (i - 1.5) for i, c in enumerate(CONFIGS)}
    for config in CONFIGS:
        r, col = sp[config], COLORS[config]
        x = np.repeat(d[:, None] * jitter[config], sp["n_nets"], axis=1)
        ax1.loglog(x.ravel(), r["spread"].ravel(), "o", ms=3.5, color=col, alpha=0.7)
        ax1.loglog(d, r["pred"], "-", color=col, label=f"{label(config)}: infinite width")
        if "pred_finite" in r:
            ax1.loglog(d, r["pred_finite"], "--", color=col, lw=1,
                       label=f"{label(config)}: width-{sp['width']} recursion")
        ax2.semilogx(x.ravel(), r["mean_lam"].ravel(), "o", ms=3.5, color=col, alpha=0.7,
                     label=label(config))
    ax1.axhline(sp["width"] - 1, color="grey", ls=":", lw=1,
                label=f"ceiling N - 1 = {sp['width'] - 1} of a {sp['width']}-value sample")
    ax1.set(xlabel="depth $L$ (layers, log)",
            ylabel=r"$\mathrm{Var}(\lambda)\,/\,\mathrm{mean}(\lambda)^2$ (log)",
            title=r"spread of $\lambda = s^2$: points = nets, lines = theory")
    ax1.set_ylim(0.01, 1e5)
    ax1.legend(fontsize=7, loc="upper left", ncol=2)
    ax2.axhline(1.0, color="k", ls=":", lw=1, label=r"$\chi_1^L = 1$")
    ax2.set_yscale("log")
    ax2.set(xlabel="depth $L$ (layers, log)", ylabel=r"mean$(\lambda)$ per net (log)",
            title=r"mean squared singular value: points = nets")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_qstar(qs: dict) -> Figure:
    """Orthogonal tanh at one depth: spread over ``q*`` (log-log), measured and predicted."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.loglog(qs["q_star"], qs["pred"], "-", label=r"$L(\mu_2/\mu_1^2 - 1)$ (infinite width)")
    ax.loglog(qs["q_star"], qs["spread"], "o", label=f"measured, mean of {qs['n_nets']} net(s)")
    for q, b2, p in zip(qs["q_star"], qs["sigma_b2"], qs["pred"], strict=True):
        note = " (used here)" if b2 == SIGMA_B2_TANH else ""
        ax.annotate(rf"$\sigma_b^2$={b2:g}{note}", (q, p), textcoords="offset points",
                    xytext=(4, -12), fontsize=7)
    ax.axhline(1.0, color="k", ls=":", lw=1, label="spread 1 (std of $\\lambda$ = its mean)")
    ax.set(xlabel=r"fixed-point length $q^*$ (log)",
           ylabel=r"$\mathrm{Var}(\lambda)/\mathrm{mean}(\lambda)^2$ (log)",
           title=f"orthogonal tanh at criticality, depth {qs['depth']}, width {qs['width']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_training(tc: dict) -> Figure:
    """Train and test accuracy per epoch, mean over seeds with a min..max band, per init."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    colors = {"orthogonal": COLORS[("tanh", "orthogonal")],
              "gaussian": COLORS[("tanh", "gaussian")]}
    for ax, what in zip(axes, ("train_acc", "test_acc"), strict=True):
        for init, curves in tc[what].items():
            plotting.curves_with_band(ax, tc["epochs"], curves, label=f"{init} weights",
                                      color=colors[init])
        ax.axhline(0.1, color="k", ls=":", lw=1, label="chance")
        ax.set(xlabel="epoch", ylim=(0, 1),
               title=f"{what.split('_')[0]} accuracy, {tc['n_hidden']} tanh layers x "
                     f"{tc['width']}")
    axes[0].set_ylabel("accuracy")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"digits, critical tanh, SGD lr {tc['lr']}: mean of {tc['n_seeds']} seeds, "
                 "band = min..max", fontsize=10)
    fig.tight_layout()
    return fig
