"""Chapter 7, gradient clipping: the experiments behind the page.

What: two settings where one gradient step can be enormous, trained with and without clipping.

1. Pascanu, Mikolov and Bengio (2013), sec. 3 and Fig. 6, in one dimension: a recurrent net with
   one unit, ``x_t = w * sigma(x_{t-1}) + b`` for ``t = 1..T`` from ``x_0``, loss
   ``L(w) = (x_T - target)^2``. For fixed ``b`` the map has two stable fixed points over a range
   of ``w``; which one ``x_T`` ends near switches abruptly at a critical ``w``, so ``L(w)`` has a
   cliff there, and ``dL/dw`` (back-propagated through time, :func:`rnn_loss_grad`) is huge on
   the cliff's wall. :func:`loss_landscape` maps it, :func:`descend` runs gradient descent on
   ``w`` from many starts at once, clipped (``g <- g * c / |g|`` when ``|g| > c``) or not, and
   :func:`cliff_experiment` bundles a showcase trajectory, the success rate over starts and the
   sensitivity to the threshold ``c``.
2. An MLP on the digits whose weights are too large (He init times ``WEIGHT_SCALE``) trained at a
   large learning rate: :func:`mlp_sweep` trains it without clipping, with
   ``train(..., clip_norm=c)`` and with ``train(..., clip_value=c)`` over a grid of thresholds
   and seeds; :func:`clip_cosines` measures how much each kind of clipping turns the gradient.

Why: clipping by the global norm rescales the whole gradient, so its direction is kept (cosine
1 with the raw gradient) and only the step length is bounded by ``lr * c``; clipping by value
clamps each entry and turns the direction. The chapter measures both, and where a threshold is
too small (slow), right, or too large (no protection).

Shapes: ``w`` arguments of the recurrent net are arrays of any shape (one independent scalar
net per entry, vectorized); MLP weights are ``(n_in, n_out)``, rows of ``X`` are examples.
Every function takes ``seed`` (or is deterministic) and returns a plain dict of floats and
ndarrays; ``plot_*`` functions turn those dicts into figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from initlab import activations, datasets, initializers, losses, network, optim, sweep, train
from initlab._checks import check_choice, check_int, check_positive

# ------------------------------------------------------------------ 1. one recurrent unit

#: The recurrent net of the chapter: sigmoid unit (as in Pascanu et al.'s one-unit example),
#: bias b = -3 (two stable fixed points for w in about [5.47, 8.46]), x_0 = 0.5, T = 20 steps, and a
#: target on the upper branch close to the cliff.
RNN = {"b": -3.0, "x0": 0.5, "T": 20, "target": 2.0, "sigma": "sigmoid"}
#: Gradient descent on w: learning rate, number of steps, clip threshold of the showcase run.
DESCENT = {"lr": 0.2, "steps": 200, "clip": 0.3, "w0": 9.25}
#: A run "converged" if its final loss is below this: |x_T - target| < 0.32, while the other
#: fixed point (x_T < -2.5) has loss > 20.
CONVERGED_LOSS = 0.1
#: A run "ended far away" if its final w is farther than this from the minimizer.
FAR = 1.0


def rnn_states(w: np.ndarray, b: float, x0: float, T: int, sigma: str = "sigmoid") -> np.ndarray:
    """States ``x_0..x_T`` of ``x_t = w * sigma(x_{t-1}) + b``, one net per entry of ``w``.

    Returns ``(T + 1, *w.shape)``.
    """
    T = check_int(T, "T", minimum=1)
    act = activations.get(check_choice(sigma, "sigma", ("sigmoid", "tanh")))
    w = np.asarray(w, dtype=np.float64)
    xs = np.empty((T + 1, *w.shape))
    xs[0] = x0
    for t in range(1, T + 1):
        xs[t] = w * act.f(xs[t - 1]) + b          # x_t = w sigma(x_{t-1}) + b
    return xs


def rnn_loss_grad(w: np.ndarray, b: float, x0: float, T: int, target: float,
                  sigma: str = "sigmoid") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``L = (x_T - target)^2`` and its gradients ``dL/dw``, ``dL/db`` by backprop through time.

    With ``delta_t = dL/dx_t``: ``delta_T = 2 (x_T - target)``;
    ``dL/dw = sum_t delta_t sigma(x_{t-1})``, ``dL/db = sum_t delta_t``;
    ``delta_{t-1} = delta_t * w * sigma'(x_{t-1})``. The product of the factors
    ``w sigma'(x)`` over time is what explodes near the cliff (Pascanu et al. 2013, eq. 7).
    All three outputs have the shape of ``w``.
    """
    act = activations.get(check_choice(sigma, "sigma", ("sigmoid", "tanh")))
    w = np.asarray(w, dtype=np.float64)
    xs = rnn_states(w, b, x0, T, sigma)
    delta = 2.0 * (xs[-1] - target)
    grad_w, grad_b = np.zeros_like(w), np.zeros_like(w)
    for t in range(T, 0, -1):
        s = act.f(xs[t - 1])
        grad_w += delta * s                        # dx_t/dw = sigma(x_{t-1})
        grad_b += delta                            # dx_t/db = 1
        delta = delta * w * act.df(xs[t - 1], s)   # dx_t/dx_{t-1} = w sigma'(x_{t-1})
    return (xs[-1] - target) ** 2, grad_w, grad_b


def loss_landscape(w_min: float = 3.0, w_max: float = 11.0, n: int = 4001,
                   **rnn: float) -> dict:
    """``L(w)`` and ``|dL/dw|`` on ``n`` points of ``[w_min, w_max]`` (``rnn`` overrides RNN).

    Also: the minimizer ``w_star`` on the grid and its loss, the cliff ``w_cliff`` (where
    ``|dL/dw|`` peaks, ``grad_peak``), their distance ``gap``, and ``loss_low``, the smallest
    loss left of the cliff (on the other fixed point).
    """
    n = check_int(n, "n", minimum=3)
    p = {**RNN, **rnn}
    w = np.linspace(w_min, w_max, n)
    loss, grad, _ = rnn_loss_grad(w, p["b"], p["x0"], p["T"], p["target"], p["sigma"])
    i_star, i_cliff = int(np.argmin(loss)), int(np.argmax(np.abs(grad)))
    left = w < w[i_cliff] - 0.05
    return {"w": w, "loss": loss, "abs_grad": np.abs(grad), "w_star": float(w[i_star]),
            "loss_star": float(loss[i_star]), "w_cliff": float(w[i_cliff]),
            "grad_peak": float(np.abs(grad[i_cliff])), "gap": float(w[i_star] - w[i_cliff]),
            "loss_low": float(loss[left].min()), **p}


def descend(w0: np.ndarray, lr: float, steps: int, clip: float | None = None,
            **rnn: float) -> dict:
    """Gradient descent on ``w`` from every entry of ``w0`` at once (``rnn`` overrides RNN).

    ``w <- w - lr * g`` with ``g = dL/dw``, clipped to ``g * clip / |g|`` when
    ``|g| > clip`` (for one parameter, clipping by norm and by value coincide). A run whose
    ``w`` or loss stops being finite is frozen and flagged ``diverged``. Returns ``w``,
    ``loss``, ``abs_grad`` (before clipping) and ``clipped``, each ``(steps + 1, n_starts)``
    (the gradient entries of the last row are those at the final ``w``, never applied).
    """
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=1)
    if clip is not None:
        check_positive(clip, "clip")
    p = {**RNN, **rnn}
    w = np.array(w0, dtype=np.float64).ravel()
    out = {k: np.zeros((steps + 1, w.size)) for k in ("w", "loss", "abs_grad")}
    out["clipped"] = np.zeros((steps + 1, w.size), dtype=bool)
    diverged = np.zeros(w.size, dtype=bool)
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            loss, g, _ = rnn_loss_grad(w, p["b"], p["x0"], p["T"], p["target"], p["sigma"])
            diverged |= ~(np.isfinite(loss) & np.isfinite(g))
            g = np.where(diverged, 0.0, g)
            out["w"][k], out["loss"][k], out["abs_grad"][k] = w, loss, np.abs(g)
            if clip is not None:
                out["clipped"][k] = np.abs(g) > clip
                g = np.where(np.abs(g) > clip, g * clip / np.abs(g), g)   # g <- g c / |g|
            if k < steps:
                w = w - lr * g
    out["diverged"] = diverged
    return out


def _summary(run: dict, w_star: float) -> dict:
    """Per-start outcome of :func:`descend`: final loss/w, converged, far, diverged, the
    largest gradient met, the fraction of clipped steps, the longest step, and ``n_throws``:
    steps that increased ``w`` by more than ``FAR``. Descending from the right, ``w`` only
    grows like that when the wall's gradient (``dL/dw << 0`` there) throws it."""
    final_loss, final_w = run["loss"][-1], run["w"][-1]
    finite = ~run["diverged"]
    return {"final_loss": np.where(finite, final_loss, np.inf), "final_w": final_w,
            "converged": finite & (final_loss < CONVERGED_LOSS),
            "far": finite & (np.abs(final_w - w_star) > FAR), "diverged": run["diverged"],
            "max_grad": np.nanmax(np.where(finite, run["abs_grad"], np.nan).T, axis=1),
            "clip_frac": run["clipped"][:-1].mean(axis=0),
            "n_throws": (np.diff(run["w"], axis=0) > FAR).sum(axis=0),
            "max_step": np.abs(np.diff(run["w"], axis=0)).max(axis=0)}


def cliff_experiment(smoke: bool, thresholds: Sequence[float] | None = None) -> dict:
    """The recurrent unit: landscape, showcase trajectories, starts and thresholds.

    ``landscape``: :func:`loss_landscape`. ``showcase``: :func:`descend` from ``DESCENT["w0"]``
    unclipped (``none``) and clipped at ``DESCENT["clip"]`` (``clipped``). ``starts``: ``w0`` on
    a grid of 19 (smoke) or 91 (full) points in ``[6, 11]``, right of the cliff; per threshold
    (``None`` = unclipped, then ``thresholds``, default 12 (full) or 7 (smoke) log-spaced in
    ``[0.03, 100]``, plus ``DESCENT["clip"]``) the summary of every start (final loss,
    converged, far, diverged).
    Deterministic (no randomness anywhere).
    """
    land = loss_landscape()
    lr, steps = DESCENT["lr"], DESCENT["steps"]
    showcase = {"none": descend([DESCENT["w0"]], lr, steps),
                "clipped": descend([DESCENT["w0"]], lr, steps, clip=DESCENT["clip"])}
    if thresholds is None:
        thresholds = np.logspace(-1.5, 2, 7 if smoke else 15)
    w0 = np.linspace(6.0, 11.0, 19 if smoke else 91)
    per = {None: _summary(descend(w0, lr, steps), land["w_star"])}
    thresholds = sorted({*map(float, thresholds), float(DESCENT["clip"])})
    for c in thresholds:
        per[float(c)] = _summary(descend(w0, lr, steps, clip=float(c)), land["w_star"])
    return {"landscape": land, "showcase": {k: {**v, **_summary(v, land["w_star"])}
                                            for k, v in showcase.items()},
            "w0": w0, "thresholds": np.array([float(c) for c in thresholds]), "per": per,
            "lr": lr, "steps": steps, "clip": DESCENT["clip"]}


# ------------------------------------------------------------------------ 2. an MLP

#: He-normal weights times WEIGHT_SCALE: Var(w) = WEIGHT_SCALE^2 * 2 / fan_in, so the forward
#: signal (and the gradient) grows by about WEIGHT_SCALE per ReLU layer.
WEIGHT_SCALE = 3.0
MLP_SIZES = (64, 128, 128, 128, 10)
MLP_LR, MLP_BATCH = 0.2, 32
#: Headline thresholds: global norm and per-entry value.
CLIP_NORM, CLIP_VALUE = 10.0, 0.1


def large_init() -> Callable[..., np.ndarray]:
    """He normal times WEIGHT_SCALE: ``std = WEIGHT_SCALE * sqrt(2 / fan_in)``."""
    return initializers.get("variance_scaling", scale=2.0 * WEIGHT_SCALE**2, mode="fan_in",
                            distribution="normal")


def _mlp_run(config: dict) -> dict:
    """One training run of :func:`mlp_sweep` (top level, so sweep workers can pickle it)."""
    data = datasets.load("digits", np.random.default_rng(config["data_seed"]))
    rng = np.random.default_rng(config["seed"])
    model = network.MLP(MLP_SIZES, rng, activation="relu", weight_init=large_init())
    hist = train.train(model, data.X_train, data.y_train, rng=rng, epochs=config["epochs"],
                       batch_size=MLP_BATCH, lr=MLP_LR, clip_norm=config["clip_norm"],
                       clip_value=config["clip_value"], X_test=data.X_test,
                       y_test=data.y_test, track_layer_norms=False, progress=False)
    norms = np.array(hist.grad_norm) if hist.grad_norm else np.zeros(1)
    return {"diverged": hist.diverged, "diverged_at": hist.diverged_at,
            "test_acc": None if hist.diverged else hist.final_test_acc,
            "max_grad_norm": float(norms.max()),
            "clip_frac": float(np.mean(hist.clipped)) if hist.clipped else 0.0,
            "epoch_loss": np.array(hist.epoch_loss), "steps_done": len(hist.loss)}


def mlp_sweep(seed: int, smoke: bool, n_jobs: int = 1) -> dict:
    """Large-weight ReLU MLP on the digits: no clipping, and each threshold of both kinds.

    Sizes ``MLP_SIZES``, He init times ``WEIGHT_SCALE``, SGD lr ``MLP_LR``, batch 32;
    3 epochs x 2 seeds (smoke) or 10 epochs x 5 seeds (full). Thresholds: ``clip_norm`` in
    ``10^[-1..3]`` and ``clip_value`` in ``10^[-3..1]``, in steps of a decade (smoke) or half a
    decade (full). One digits split (drawn from ``seed``), run seeds ``sweep.seeds(seed, n)``
    shared by all settings. Returns ``runs[(kind, c)]``: list over seeds of :func:`_mlp_run`
    dicts (``kind`` in ``"none"`` (``c = None``), ``"norm"``, ``"value"``).
    """
    seed = check_int(seed, "seed")
    epochs, n_seeds, per_decade = (3, 2, 1) if smoke else (10, 5, 2)
    grid = {"norm": np.logspace(-1, 3, 4 * per_decade + 1),
            "value": np.logspace(-3, 1, 4 * per_decade + 1)}
    settings = [("none", None)] + [(k, float(c)) for k, cs in grid.items() for c in cs]
    run_seeds = sweep.seeds(seed, n_seeds)
    configs = [{"kind": k, "c": c, "seed": s, "data_seed": seed, "epochs": epochs,
                "clip_norm": c if k == "norm" else None,
                "clip_value": c if k == "value" else None}
               for k, c in settings for s in run_seeds]
    results = sweep.run(_mlp_run, configs, n_jobs=n_jobs, progress=False)
    runs: dict = {}
    for cfg, res in zip(configs, results, strict=True):
        runs.setdefault((cfg["kind"], cfg["c"]), []).append(res)
    return {"runs": runs, "grid": grid, "epochs": epochs, "n_seeds": n_seeds,
            "scale": WEIGHT_SCALE, "lr": MLP_LR, "sizes": MLP_SIZES}


def bptt_fd_error(w: Sequence[float], h: float = 1e-6) -> float:
    """Largest relative gap between BPTT ``dL/dw`` and central differences, at points ``w``.

    ``(L(w + h) - L(w - h)) / (2 h)``: truncation error ``O(h^2 L''')``, rounding
    ``O(eps L / h)``; relative to ``max(|dL/dw|, 1)``.
    """
    w = np.asarray(w, dtype=np.float64)
    p = RNN
    _, g, _ = rnn_loss_grad(w, p["b"], p["x0"], p["T"], p["target"], p["sigma"])
    lp = rnn_loss_grad(w + h, p["b"], p["x0"], p["T"], p["target"], p["sigma"])[0]
    lm = rnn_loss_grad(w - h, p["b"], p["x0"], p["T"], p["target"], p["sigma"])[0]
    return float(np.max(np.abs((lp - lm) / (2 * h) - g) / np.maximum(np.abs(g), 1.0)))


def cosine(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    """``<a, b> / (||a|| ||b||)`` of two gradient lists seen as one long vector each."""
    dot = sum(float(np.vdot(x, y)) for x, y in zip(a, b, strict=True))
    return dot / (optim.global_norm(a) * optim.global_norm(b))


def clip_cosines(seed: int, thresholds: Sequence[float]) -> dict:
    """How much clipping turns the full-batch gradient of the large-weight MLP at init.

    For each ``c``: ``cos(clip_by_value(g, c), g)`` and ``cos(clip_by_global_norm(g, c), g)``,
    plus the fraction of entries with ``|g_i| > c``, and the norms of ``g`` and of the
    parameters (``grad_norm``, ``param_norm``). ``g``: gradient of the softmax
    cross-entropy over the digits' training split, weights from ``default_rng(seed)``.
    """
    data = datasets.load("digits", np.random.default_rng(check_int(seed, "seed")))
    model = network.MLP(MLP_SIZES, np.random.default_rng(seed), activation="relu",
                        weight_init=large_init())
    _, dout = losses.softmax_cross_entropy(model.forward(data.X_train), data.y_train)
    g = model.backward(dout)
    flat = np.concatenate([x.ravel() for x in g])
    cs = np.array([float(c) for c in thresholds])
    return {"thresholds": cs, "grad_norm": optim.global_norm(g),
            "param_norm": optim.global_norm(model.parameters()),
            "cos_value": np.array([cosine(optim.clip_by_value(g, c), g) for c in cs]),
            "cos_norm": np.array([cosine(optim.clip_by_global_norm(g, c)[0], g) for c in cs]),
            "frac_entries_clipped": np.array([float(np.mean(np.abs(flat) > c)) for c in cs]),
            "max_abs_entry": float(np.abs(flat).max()),
            # c -> 0: clip_by_value(g, c) -> c sign(g), so cos -> ||g||_1 / (sqrt(n) ||g||_2)
            "cos_value_limit": float(np.abs(flat).sum()
                                     / (math.sqrt(flat.size) * np.linalg.norm(flat)))}


# ------------------------------------------------------------------------------ figures

COLORS = {"none": "C3", "clipped": "C0", "norm": "C0", "value": "C2"}


def plot_landscape(land: dict, clip: float | None = None) -> Figure:
    """Left: ``L(w)`` with a zoom on the cliff; right: ``|dL/dw|``; log y everywhere."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11.5, 4.3))
    w, loss, grad = land["w"], np.maximum(land["loss"], 1e-12), np.maximum(land["abs_grad"], 1e-12)
    ax.semilogy(w, loss, color="k", lw=1.2, label="L(w)")
    bx.semilogy(w, grad, color="k", lw=1.2, label="|dL/dw| (BPTT)")
    for a in (ax, bx):
        a.axvline(land["w_cliff"], color="C3", ls=":", lw=1.2,
                  label=f"cliff: w ≈ {land['w_cliff']:.3f}")
        a.axvline(land["w_star"], color="C2", ls="--", lw=1,
                  label=f"minimum: w* = {land['w_star']:.3f}")
    if clip is not None:
        bx.axhline(clip, color=COLORS["clipped"], ls="--", lw=1, label=f"clip threshold c = {clip}")
    zoom = ax.inset_axes([0.52, 0.08, 0.45, 0.42])
    lo, hi = land["w_cliff"] - 0.08, land["w_star"] + 0.08
    z = (w >= lo) & (w <= hi)
    zoom.semilogy(w[z], loss[z], color="k", lw=1.2)
    zoom.axvline(land["w_cliff"], color="C3", ls=":", lw=1.2)
    zoom.axvline(land["w_star"], color="C2", ls="--", lw=1)
    zoom.set_title(f"zoom: w in [{lo:.2f}, {hi:.2f}]", fontsize=8)
    zoom.tick_params(labelsize=7)
    p = land
    ax.set(title=f"Loss of x_t = w·σ(x_(t-1)) − {-p['b']:g}, T = {p['T']}, "
                 f"target y = {p['target']}",
           xlabel="recurrent weight w", ylabel="loss (x_T − y)²  (log)")
    bx.set(title=f"Its gradient: a wall of height {p['grad_peak']:.2g} at the cliff",
           xlabel="recurrent weight w", ylabel="|dL/dw|  (log)")
    ax.legend(fontsize=8, loc="upper left")
    bx.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def plot_descent(cliff: dict) -> Figure:
    """Showcase runs: ``w`` and loss per step (log y); right: success rate vs threshold."""
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(13, 3.8))
    showcase, land = cliff["showcase"], cliff["landscape"]
    for name, run in showcase.items():
        label = "unclipped" if name == "none" else f"clipped at c = {cliff['clip']}"
        ax.semilogy(run["w"][:, 0], color=COLORS[name], label=label)
        bx.semilogy(np.maximum(run["loss"][:, 0], 1e-16), color=COLORS[name], label=label)
    ax.axhline(land["w_star"], color="C2", ls="--", lw=1, label="minimum w*")
    bx.axhline(CONVERGED_LOSS, color="0.4", ls=":", lw=1, label=f"converged: L < {CONVERGED_LOSS}")
    w0 = showcase["none"]["w"][0, 0]
    ax.set(title=f"Weight per step from w0 = {w0:g} (lr {cliff['lr']})", xlabel="step",
           ylabel="w (log)")
    bx.set(title="Loss per step", xlabel="step", ylabel="loss (log)")
    ax.legend(fontsize=8, loc="upper right")
    bx.legend(fontsize=8, loc="upper right")
    cs = cliff["thresholds"]
    n = len(cliff["w0"])
    conv = np.array([cliff["per"][c]["converged"].mean() for c in cs])
    far = np.array([cliff["per"][c]["far"].mean() for c in cs])
    cx.semilogx(cs, conv, "o-", color=COLORS["clipped"], label="clipped: converged")
    cx.semilogx(cs, far, "s--", color="C1", label="clipped: ended > 1 from w*")
    none = cliff["per"][None]
    cx.axhline(none["converged"].mean(), color=COLORS["none"], lw=1.5,
               label="unclipped: converged")
    cx.axhline(none["far"].mean(), color=COLORS["none"], ls="--", lw=1,
               label="unclipped: ended > 1 from w*")
    gap = land["gap"] / cliff["lr"]
    cx.axvline(gap, color="0.4", ls=":", lw=1, label=f"(w* − cliff) / lr = {gap:.2f}")
    cx.set(title=f"Threshold sensitivity: {n} starts w0 in [{cliff['w0'][0]:g}, "
                 f"{cliff['w0'][-1]:g}]",
           xlabel="clip threshold c (log)",
           ylabel=f"fraction of starts after {cliff['steps']} steps",
           ylim=(-0.03, 1.45), yticks=np.linspace(0, 1, 6))
    cx.legend(fontsize=7.5, loc="upper center", ncol=2)
    fig.tight_layout()
    return fig


def plot_mlp_sweep(sw: dict, cos: dict) -> Figure:
    """Left: final test accuracy vs threshold per kind (diverged runs as x at the bottom);
    right: cosine between clipped and raw gradient vs threshold."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11.5, 4.3))
    runs = sw["runs"]
    for kind in ("norm", "value"):
        cs = sw["grid"][kind]
        acc = [[r["test_acc"] for r in runs[(kind, float(c))] if not r["diverged"]] for c in cs]
        mean = np.array([np.mean(a) if a else np.nan for a in acc])
        ok = np.isfinite(mean)
        ax.semilogx(cs[ok], mean[ok], "o-", color=COLORS[kind],
                    label=f"clip by {'global norm' if kind == 'norm' else 'value'} (mean)")
        for c, a in zip(cs, acc, strict=True):
            ax.plot([c] * len(a), a, ".", color=COLORS[kind], alpha=0.5, ms=5)
        n_div = [sum(r["diverged"] for r in runs[(kind, float(c))]) for c in cs]
        d = np.array(n_div) > 0
        if d.any():
            ax.plot(cs[d], np.zeros(d.sum()), "x", color=COLORS[kind], ms=9, mew=2)
    none = runs[("none", None)]
    n_div = sum(r["diverged"] for r in none)
    x_none = 10 * max(sw["grid"]["norm"].max(), sw["grid"]["value"].max())
    acc_none = [r["test_acc"] if not r["diverged"] else 0.0 for r in none]
    ax.plot([x_none] * len(none), acc_none, "x", color=COLORS["none"], ms=10, mew=2,
            label=f"no clipping: {n_div}/{len(none)} runs diverged (x at 0)")
    ax.axhline(0.1, color="0.5", ls=":", label="chance (10 classes)")
    ticks = [t for t in ax.get_xticks() if t < x_none / 3]
    ax.set_xticks([*ticks, x_none], [f"$10^{{{int(round(math.log10(t)))}}}$" for t in ticks]
                  + ["none"])
    ax.set_xlim(min(sw["grid"]["value"]) / 2, x_none * 2)
    ax.set(title=f"He init × {sw['scale']:g}, lr {sw['lr']}, {sw['epochs']} epochs "
                 f"({sw['n_seeds']} seeds: dots, mean: line)",
           xlabel="clip threshold c (log; norm and value thresholds on one axis)",
           ylabel="final test accuracy", ylim=(-0.05, 1.3), yticks=np.linspace(0, 1, 6))
    ax.legend(fontsize=7.5, loc="upper center", ncol=2)
    cs = cos["thresholds"]
    bx.semilogx(cs, cos["cos_norm"], "o-", color=COLORS["norm"], label="clip by global norm")
    bx.semilogx(cs, cos["cos_value"], "s-", color=COLORS["value"], label="clip by value")
    bx.semilogx(cs, cos["frac_entries_clipped"], ":", color=COLORS["value"],
                label="clip by value: fraction of entries clamped")
    bx.axvline(cos["max_abs_entry"], color="0.5", ls="--", lw=1,
               label=f"largest entry max|g_i| = {cos['max_abs_entry']:.3g}")
    bx.set(title=f"Direction of the clipped gradient at init (‖g‖ = {cos['grad_norm']:.3g})",
           xlabel="clip threshold c (log)", ylabel="cos(clipped g, g)  /  fraction",
           ylim=(-0.03, 1.05))
    bx.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def summarize_kind(runs: list[dict]) -> dict:
    """Mean test accuracy of finished runs, fraction diverged, max grad norm, clipped fraction."""
    done = [r["test_acc"] for r in runs if not r["diverged"]]
    return {"test_acc": float(np.mean(done)) if done else 0.0,
            "frac_diverged": float(np.mean([r["diverged"] for r in runs])),
            "max_grad_norm_log10": float(math.log10(max(r["max_grad_norm"] for r in runs))),
            "clip_frac": float(np.mean([r["clip_frac"] for r in runs])),
            "first_diverged_step": min((r["diverged_at"] for r in runs if r["diverged"]),
                                       default=-1)}
