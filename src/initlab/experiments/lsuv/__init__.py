"""Chapter 13, LSUV and data-dependent initialization: the experiments behind the page.

What: three experiments on Mishkin and Matas' (2016) layer-sequential unit-variance init
(:func:`initlab.lsuv.lsuv`: orthogonal weights, then each layer ``W_l <- W_l / sqrt(Var(Z_l))``
on one batch until ``|Var(Z_l) - 1| <= tol``), on a deep ELU network, an activation with no
textbook gain.

1. :func:`variance_profile`: ``Var(Z_l)`` through the layers of a ``(64, width x n_hidden, 10)``
   ELU net on held-out digits, for the orthogonal pre-init (gain 1), He, Glorot and LSUV, with the
   mean-field length map ``q_{l+1} = sigma_w2 E[elu(sqrt(q_l) z)^2]`` for the fixed schemes;
   LSUV's iterations per layer, its variances on its own batch and the scale it chose.
2. :func:`gain_check`: the scale LSUV picks on square layers fed unit-variance Gaussians.
   With ``Var(Z_{l-1}) = 1`` and a square orthogonal ``W_l = s_l Q`` (``|x Q| = |x|``),
   ``Var(Z_l) = s_l^2 E[phi(Z_{l-1})^2]``, so LSUV lands on
   ``sigma_w2 = fan_in Var(w) = s_l^2 = 1 / E_{z~N(0,1)}[phi(z)^2]``: 2 for ReLU (He's value),
   ``1 / E[tanh(z)^2] = 2.54`` (gain 1.59) for tanh, 1.55 for ELU.
3. :func:`training`: test accuracy per epoch of the ELU net on the digits with He, Glorot and
   LSUV, over seeds; final accuracies and the epochs to reach ``target_acc``
   (``stats.first_reach``, the book's one censoring rule).

Why: LSUV replaces the derivation of a gain by a measurement; the chapter checks that the
measurement recovers the derivations where they exist and what it buys where they do not.

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples, ``Z_l = A_{l-1} @ W_l`` (zero
biases), ``A_l = elu(Z_l)``.

Layout: the notebook's settings cell holds every size and LSUV's ``tol``/``max_iter``; each
experiment takes them as keyword arguments and returns one dict whose scalar entries are the
numbers the page records (literal keys, ``results.record_all``) and whose other entries are
figure data for :mod:`.figures`; ``data/reference/13_lsuv.json`` checks them. The
``exercise_*`` functions are the page's "predict, then run" cells (keys prefixed ``ex_``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from initlab import activations, datasets, initializers, network, stats, sweep, theory, train
from initlab._checks import check_choice, check_int
from initlab.experiments.lsuv.figures import (
    plot_gain_check,
    plot_lsuv_scale,
    plot_training,
    plot_variance_profile,
)
from initlab.lsuv import lsuv

#: Weight initializer of each scheme; "lsuv" starts from "orthogonal" and rescales.
SCHEMES = {"orthogonal": "orthogonal", "he": "he_normal", "xavier": "glorot_uniform",
           "lsuv": "orthogonal"}


# ------------------------------------------------------------------------------ helpers


def build(scheme: str, sizes: Sequence[int], rng: np.random.Generator,
          X_batch: np.ndarray | None = None, *, activation: str, tol: float, max_iter: int
          ) -> tuple[network.MLP, dict | None]:
    """An MLP initialized by ``scheme`` (a key of SCHEMES), and LSUV's report (else None).

    ``lsuv`` draws the orthogonal pre-init from ``rng`` exactly as ``orthogonal`` does (same
    ``rng`` state, same matrices), then rescales it on ``X_batch`` ``(batch, sizes[0])`` with
    ``lsuv(..., tol=tol, max_iter=max_iter, orthogonal_init=False)``.
    """
    check_choice(scheme, "scheme", SCHEMES)
    model = network.MLP(sizes, rng, activation=activation, weight_init=SCHEMES[scheme])
    if scheme != "lsuv":
        return model, None
    if X_batch is None:
        raise ValueError("scheme 'lsuv' needs an `X_batch` to measure variances on, got None")
    return model, lsuv(model, X_batch, tol=tol, max_iter=max_iter, orthogonal_init=False)


def build_on_batch(data: datasets.Split, rng: np.random.Generator, *, scheme: str,
                   sizes: Sequence[int], lsuv_batch: int, **kwargs: object) -> network.MLP:
    """``train.run``'s ``build(data, rng)``: draw LSUV's batch of ``lsuv_batch`` training rows
    from ``rng`` (for every scheme, so all share the later draws), then :func:`build`."""
    X_batch = data.X_train[rng.choice(len(data.X_train), lsuv_batch, replace=False)]
    return build(scheme, sizes, rng, X_batch, **kwargs)[0]


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


def unit_variance_sigma_w2(activation: str) -> float:
    """The ``sigma_w2`` LSUV should find on square layers: ``1 / E[phi(z)^2]``, ``z ~ N(0, 1)``.

    ``Var(Z_l) = sigma_w2 E[phi(Z_{l-1})^2] = 1`` when ``Z_{l-1} ~ N(0, 1)``; ``E[phi(z)^2]``
    is the second moment of one mean-field layer fed unit variance (Gauss-Hermite).
    """
    layer = theory.mean_field_layers(activation, [1.0], input_var=1.0, rule="hermite")
    return 1.0 / float(layer["act_second"][0])


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


# --------------------------------------------------------------- 1. the variance profile


def variance_profile(*, width: int, n_hidden: int, lsuv_batch: int, tol: float, max_iter: int,
                     seed: int, activation: str = "elu") -> dict:
    """``Var(Z_l)`` per layer of a ``(64, width x n_hidden, 10)`` net on the held-out digits.

    One digits split and one LSUV batch (``lsuv_batch`` training rows) drawn from
    ``default_rng(seed)``; every scheme's weights from a fresh ``default_rng(seed)`` (so the
    orthogonal and LSUV nets share their pre-init). Figure data: ``var[scheme]`` on the test
    set, ``pred[scheme]`` (mean field, fixed schemes), LSUV's ``iterations``, ``var_before``
    and ``var_after`` on its batch and ``sigma_w2_lsuv`` per layer. Recorded: the last hidden
    layer's variances, LSUV's iteration counts, ``max_l |Var(Z_l) - 1|`` on the batch and held
    out, a fresh forward pass against LSUV's report, and LSUV's ``sigma_w2`` over layers
    2..n_hidden against ``1 / E[phi(z)^2]``.
    """
    rng = np.random.default_rng(check_int(seed, "seed"))
    data = datasets.load("digits", rng)
    X_batch = data.X_train[rng.choice(len(data.X_train), lsuv_batch, replace=False)]
    sizes = (64,) + (width,) * n_hidden + (10,)
    var, pred = {}, {}
    for scheme in SCHEMES:
        model, report = build(scheme, sizes, np.random.default_rng(seed), X_batch,
                              activation=activation, tol=tol, max_iter=max_iter)
        var[scheme] = output_variances(model, data.X_test)
        if report is None:
            pred[scheme] = theory.mean_field_layers(      # each example's |x|^2 / n_in
                activation, implied_sigma_w2(model), input_var=np.mean(data.X_test**2, axis=1),
                rule="hermite")["q"]
        else:
            lsuv_model, var_after = model, np.array(report["var_after"])
            iterations, var_before = np.array(report["iterations"]), report["var_before"]
    s2 = implied_sigma_w2(lsuv_model)[1:-1]         # hidden layers 2..n_hidden
    last = -2                                       # the last hidden layer
    sigma_w2_theory = unit_variance_sigma_w2(activation)
    return {
        "prof_var_last_orthogonal": float(var["orthogonal"][last]),
        "prof_var_last_he": float(var["he"][last]),
        "prof_var_last_xavier": float(var["xavier"][last]),
        "prof_var_last_lsuv": float(var["lsuv"][last]),
        "prof_pred_last_orthogonal": float(pred["orthogonal"][last]),
        "prof_pred_last_he": float(pred["he"][last]),
        "prof_pred_last_xavier": float(pred["xavier"][last]),
        "lsuv_n_layers": len(iterations), "lsuv_iterations_total": int(iterations.sum()),
        "lsuv_iterations_max": int(iterations.max()),
        "lsuv_iterations_min": int(iterations.min()),
        "lsuv_var_before_first": float(var_before[0]),
        "lsuv_max_dev_batch": float(np.max(np.abs(var_after - 1.0))),
        # independent check of the report: a fresh forward pass on the same batch
        "lsuv_report_mismatch": float(np.max(np.abs(output_variances(lsuv_model, X_batch)
                                                    - var_after))),
        "lsuv_max_dev_heldout": float(np.max(np.abs(var["lsuv"] - 1.0))),
        "prof_sigma_w2_mean": float(s2.mean()), "prof_sigma_w2_min": float(s2.min()),
        "prof_sigma_w2_max": float(s2.max()),
        "elu_sigma_w2_theory": sigma_w2_theory,
        "layers": np.arange(1, len(sizes)), "var": var, "pred": pred,
        "iterations": iterations, "var_after": var_after,
        "sigma_w2_lsuv": implied_sigma_w2(lsuv_model),
        "setup": {"width": width, "n_hidden": n_hidden, "n_heldout": len(data.X_test),
                  "tol": tol, "activation": activation, "sigma_w2_theory": sigma_w2_theory},
    }


# ----------------------------------------------------------------- 2. the gains LSUV finds


def gain_check(*, width: int, n_layers: int, tol: float, max_iter: int, seed: int) -> dict:
    """The per-layer ``sigma_w2 = s_l^2`` LSUV picks on ``n_layers`` square layers, per activation.

    For ReLU, tanh and ELU: a batch of ``width`` rows ``X ~ N(0, 1)`` and the orthogonal
    pre-init, both from ``default_rng(seed)``, then LSUV. Per activation: ``sigma_w2``
    ``(n_layers,)``, its ``mean`` over layers 2..n_layers (layer 1 sees the Gaussian input, not
    ``phi``), ``theory`` = :func:`unit_variance_sigma_w2`, ``rel_se`` =
    :func:`worst_case_rel_se`, and ``z = (mean / theory - 1) / rel_se``.
    """
    out: dict = {}
    for name in ("relu", "tanh", "elu"):
        rng = np.random.default_rng(check_int(seed, "seed"))
        X = rng.standard_normal((width, width))
        model = network.MLP((width,) * (n_layers + 1), rng, activation=name,
                            weight_init="orthogonal")
        report = lsuv(model, X, tol=tol, max_iter=max_iter, orthogonal_init=False)
        s2 = implied_sigma_w2(model)
        mean, theory_s2 = float(s2[1:].mean()), unit_variance_sigma_w2(name)
        rel_se = worst_case_rel_se(name, width, n_layers - 1)
        out[name] = {"sigma_w2": s2, "mean": mean, "theory": theory_s2, "rel_se": rel_se,
                     "z": (mean / theory_s2 - 1) / rel_se,
                     "iterations": np.array(report["iterations"])}
    relu, tanh, elu = out["relu"], out["tanh"], out["elu"]
    return {
        "gain_width": width, "gain_n_layers": n_layers,
        "gain_relu_sigma_w2": relu["mean"], "gain_relu_theory": relu["theory"],
        "gain_relu_rel_se": relu["rel_se"], "gain_relu_z": relu["z"],
        "gain_tanh_sigma_w2": tanh["mean"], "gain_tanh_theory": tanh["theory"],
        "gain_tanh_rel_se": tanh["rel_se"], "gain_tanh_z": tanh["z"],
        "gain_elu_sigma_w2": elu["mean"], "gain_elu_theory": elu["theory"],
        "gain_elu_rel_se": elu["rel_se"], "gain_elu_z": elu["z"],
        "gain_tanh_gain": math.sqrt(tanh["mean"]),
        "gain_tanh_gain_over_53": math.sqrt(tanh["mean"]) / initializers.calculate_gain("tanh"),
        "gain_relu_over_he": relu["mean"] / 2.0,
        "per_activation": out, "setup": {"width": width, "n_layers": n_layers},
    }


def gain_table(check: dict) -> pd.DataFrame:
    """LSUV's mean ``sigma_w2`` per activation next to ``1 / E[phi(z)^2]`` and the textbook."""
    names = list(check["per_activation"])
    rows = check["per_activation"]
    tanh53 = initializers.calculate_gain("tanh")
    return pd.DataFrame({
        "LSUV σ_w² (mean, layers ≥ 2)": [rows[n]["mean"] for n in names],
        "1 / E[φ(z)²]": [rows[n]["theory"] for n in names],
        "rel. SE bound": [rows[n]["rel_se"] for n in names],
        "textbook σ_w²": ["2 (He)", f"{tanh53**2:.4f} = (5/3)²", "none"],
    }, index=names).round(4)


# ------------------------------------------------------------------------ 3. training


def training(*, width: int, n_hidden: int, epochs: int, n_seeds: int, lr: float,
             batch_size: int, lsuv_batch: int, tol: float, max_iter: int, target_acc: float,
             seed: int, activation: str = "elu", n_jobs: int = 1) -> dict:
    """Test accuracy per epoch of the ``(64, width x n_hidden, 10)`` net: He, Glorot, LSUV.

    ``train.run`` per scheme and seed, plain SGD; its ``build(data, rng)`` draws LSUV's batch
    from the run's ``rng`` first (:func:`build_on_batch`), so the run seeds from
    ``sweep.seeds(seed, n_seeds)`` give every scheme the same batch and shuffles; one digits
    split (from ``seed``). Per scheme: ``test_acc`` ``(n_finished, epochs + 1)`` (column 0 = at
    init); recorded means after epoch 1 and at the end, the worst seed, and the first epoch at
    which the seed-mean curve reaches ``target_acc`` (``stats.first_reach``).
    """
    sizes = (64,) + (width,) * n_hidden + (10,)
    names = ("he", "xavier", "lsuv")
    configs = [{"build": functools.partial(build_on_batch, scheme=name, sizes=sizes,
                                           lsuv_batch=lsuv_batch, activation=activation,
                                           tol=tol, max_iter=max_iter),
                "seed": s, "data_seed": seed, "epochs": epochs, "lr": lr,
                "batch_size": batch_size} for name in names for s in sweep.seeds(seed, n_seeds)]
    runs = sweep.run(train.run_config, configs, n_jobs=n_jobs, progress=False)
    acc = {name: train.curves(runs[i * n_seeds:(i + 1) * n_seeds])
           for i, name in enumerate(names)}
    # results cannot hold inf: a censored time (never reached) is recorded as epochs + 1
    reach = {name: stats.first_reach(a.mean(axis=0), target_acc) for name, a in acc.items()}
    reach = {name: int(t) if math.isfinite(t) else epochs + 1 for name, t in reach.items()}
    final = {name: float(a[:, -1].mean()) for name, a in acc.items()}
    return {
        "train_n_seeds": n_seeds, "train_epochs": epochs,
        "train_n_diverged": sum(r.diverged for r in runs),
        "train_acc1_he": float(acc["he"][:, 1].mean()),
        "train_acc1_xavier": float(acc["xavier"][:, 1].mean()),
        "train_acc1_lsuv": float(acc["lsuv"][:, 1].mean()),
        "train_final_he": final["he"], "train_final_xavier": final["xavier"],
        "train_final_lsuv": final["lsuv"],
        "train_final_min_he": float(acc["he"][:, -1].min()),
        "train_final_min_xavier": float(acc["xavier"][:, -1].min()),
        "train_final_min_lsuv": float(acc["lsuv"][:, -1].min()),
        "train_epochs_to_target_he": reach["he"],
        "train_epochs_to_target_xavier": reach["xavier"],
        "train_epochs_to_target_lsuv": reach["lsuv"],
        "train_final_margin": final["lsuv"] - min(final["he"], final["xavier"]),
        "train_epochs_gap": reach["lsuv"] - max(reach["he"], reach["xavier"]),
        "epochs": np.arange(epochs + 1), "test_acc": acc,
        "n_diverged": {name: sum(r.diverged for r in runs[i * n_seeds:(i + 1) * n_seeds])
                       for i, name in enumerate(names)},
        "setup": {"width": width, "n_hidden": n_hidden, "n_seeds": n_seeds,
                  "target_acc": target_acc, "activation": activation},
    }


# ------------------------------------------------------------------ predict, then run


def _digits_and_batch(seed: int, lsuv_batch: int) -> tuple[datasets.Split, np.ndarray]:
    """The digits split and LSUV's batch, drawn from ``default_rng(seed)`` as
    :func:`variance_profile` draws them."""
    rng = np.random.default_rng(check_int(seed, "seed"))
    data = datasets.load("digits", rng)
    return data, data.X_train[rng.choice(len(data.X_train), lsuv_batch, replace=False)]


def exercise_activation(*, activation: str, width: int, n_hidden: int, lsuv_batch: int,
                        tol: float, max_iter: int, seed: int) -> dict:
    """Exercise: :func:`variance_profile`'s He and LSUV nets with another activation.

    LSUV's ``sigma_w2`` over hidden layers 2..n_hidden against ``1 / E[phi(z)^2]``; He's last
    hidden-layer variance on the held-out digits against the length map fed the test set's
    mean ``|x|^2 / 64`` (one ``q_1``, not one per image: cheap).
    """
    data, X_batch = _digits_and_batch(seed, lsuv_batch)
    sizes = (64,) + (width,) * n_hidden + (10,)
    kw = {"activation": activation, "tol": tol, "max_iter": max_iter}
    he = build("he", sizes, np.random.default_rng(seed), **kw)[0]
    model = build("lsuv", sizes, np.random.default_rng(seed), X_batch, **kw)[0]
    q = theory.mean_field_layers(activation, implied_sigma_w2(he), rule="hermite",
                                 input_var=float(np.mean(data.X_test**2)))["q"]
    return {"ex_lsuv_act_activation": activation,
            "ex_lsuv_act_sigma_w2": float(implied_sigma_w2(model)[1:-1].mean()),
            "ex_lsuv_act_theory": unit_variance_sigma_w2(activation),
            "ex_lsuv_act_var_last_lsuv": float(output_variances(model, data.X_test)[-2]),
            "ex_lsuv_act_var_last_he": float(output_variances(he, data.X_test)[-2]),
            "ex_lsuv_act_pred_last_he": float(q[-2])}


def exercise_tolerance(*, tol: float, width: int, n_hidden: int, lsuv_batch: int,
                       max_iter: int, seed: int, activation: str = "elu") -> dict:
    """Exercise: LSUV on :func:`variance_profile`'s net with another ``tol``.

    Zero-bias layers are linear in their scale: one rescaling puts ``Var(Z_l)`` at 1 up to
    rounding whatever ``tol``, so the iterations, the weights and the held-out deviation (the
    batch's sampling error) do not change.
    """
    data, X_batch = _digits_and_batch(seed, lsuv_batch)
    sizes = (64,) + (width,) * n_hidden + (10,)
    model, report = build("lsuv", sizes, np.random.default_rng(seed), X_batch,
                          activation=activation, tol=tol, max_iter=max_iter)
    return {"ex_lsuv_tol": tol, "ex_lsuv_tol_n_layers": len(report["iterations"]),
            "ex_lsuv_tol_iterations_total": int(np.sum(report["iterations"])),
            "ex_lsuv_tol_max_dev_batch": float(np.max(np.abs(np.array(report["var_after"]) - 1))),
            "ex_lsuv_tol_max_dev_heldout": float(np.max(np.abs(
                output_variances(model, data.X_test) - 1.0)))}


__all__ = ["SCHEMES", "build", "build_on_batch", "exercise_activation", "exercise_tolerance",
           "gain_check", "gain_table",
           "implied_sigma_w2", "output_variances", "plot_gain_check", "plot_lsuv_scale",
           "plot_training", "plot_variance_profile", "training",
           "unit_variance_sigma_w2", "variance_profile", "worst_case_rel_se"]
