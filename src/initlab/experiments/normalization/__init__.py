"""Chapter 16, normalization and diagnosing an initialization: the experiments behind the page.

What, in three sections:

1. LayerNorm's scale invariance (Ba, Kiros and Hinton 2016). With ``Z = LN(A W + b)``,
   scaling ``(W, b)`` by ``c > 0`` leaves ``Z`` unchanged (up to ``eps``), while
   ``dL/dW -> dL/dW / c``: :func:`scale_invariance` measures both on one batch, and
   :func:`scale_training` trains the same LayerNorm net with its hidden layers scaled by several
   ``c`` at one ``lr`` (different speeds), then with their ``lr`` multiplied by ``c^2`` (the
   curves collapse onto ``c = 1``: the step ``-lr c^2 (g / c) = c * (-lr g)`` is the ``c = 1``
   step scaled by ``c``).
2. BatchNorm's gradient explosion at init (Yang et al. 2019): :func:`batchnorm_gradient`
   measures ``||dL/dW_l||^2`` layer by layer through a deep plain BN-ReLU net for several weight
   scales and fits its geometric rate per layer; :func:`mean_field_rate` evaluates the
   mean-field prediction for ReLU and batch size ``B`` by Monte Carlo (below).
3. The practitioner's routine (Karpathy's "makemore" part 3): :func:`routine` trains a tanh net
   badly initialized, then fixed one move at a time, and reads every number off
   :mod:`initlab.diagnostics` and :mod:`initlab.training_diagnostics`.

Mean-field rate (section 2): at infinite width each hidden unit's batch of pre-activations
``h in R^B`` is Gaussian, ``N(0, sigma_w^2 K)``, with ``K`` the batch Gram matrix of the previous
layer's outputs, a fixed point ``K = E[relu(BN(h)) relu(BN(h))^T]`` after a few layers. With
``x_hat = BN(h)``, ``d = relu'(x_hat)``, ``D = diag(d)``, ``P = I - 1 1^T / B`` and
``M = P - x_hat x_hat^T / B``, BN's Jacobian is ``J = M / std(h)``. A back-propagated gradient
``dA = dH W^T`` has no batch-mean component (every ``dH`` column is orthogonal to ``1``), so
under the gradient independence assumption it is isotropic in the ``B - 1`` directions of
``P``, and the squared gradient grows per layer by

    lambda = sigma_w^2 E[tr(J D P D J^T)] / (B - 1)
           = E[(sum_i d_i^2 M_ii - d^T M d / B) / var(h)] / (B - 1)

with ``h ~ N(0, K)`` (``sigma_w^2`` cancels: no weight scale removes the growth). This is our
evaluation of the setting of Yang et al. 2019, not their closed form (which we could not check).

Shapes: weights ``(n_in, n_out)``, rows of ``X`` are examples (digits, 64 pixels, 10 classes).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from initlab import datasets, diagnostics, initializers, network, sweep, train, training_diagnostics
from initlab.experiments.normalization.figures import (
    plot_batchnorm_gradient,
    plot_histograms,
    plot_routine_loss,
    plot_scale_training,
    plot_update_ratios,
)
from initlab.normalized import NormalizedMLP

N_IN, N_CLASSES = 64, 10


# ------------------------------------------------------------------ 1. LayerNorm scale invariance


def _ln_net(rng: np.random.Generator, width: int, depth: int, eps: float,
            c: float = 1.0) -> NormalizedMLP:
    """He-initialized LayerNorm ReLU net; hidden ``(W_l, b_l)`` scaled by ``c``."""
    net = NormalizedMLP((N_IN,) + (width,) * depth + (N_CLASSES,), rng, norm_kind="layer",
                        eps=eps)
    for l in range(depth):  # every normalized layer, not the output layer
        net.weights[l] *= c
        net.biases[l] *= c
    return net


def scale_invariance(*, scales: Sequence[float], width: int, depth: int, eps: float,
                     batch_size: int, seed: int) -> dict:
    """Output and hidden-weight gradients of one LayerNorm net with its hidden layers times ``c``.

    One net from ``default_rng(seed)``, one batch of training digits; for each ``c``: the largest
    change of the logits relative to their largest value, and ``||dW_l(c)|| / ||dW_l(1)||``
    per hidden layer against ``1 / c``.
    """
    data = datasets.load("digits", np.random.default_rng(seed))
    X, y = data.X_train[:batch_size], data.y_train[:batch_size]
    ref = _ln_net(np.random.default_rng(seed), width, depth, eps)
    out_1 = ref.forward(X)
    grad_1 = diagnostics.layer_stats(ref, X, y)["grad_W_norm"][:depth]
    diffs, ratios = [], []
    for c in scales:
        net = _ln_net(np.random.default_rng(seed), width, depth, eps, c)
        diffs.append(float(np.abs(net.forward(X) - out_1).max() / np.abs(out_1).max()))
        ratios.append(diagnostics.layer_stats(net, X, y)["grad_W_norm"][:depth] / grad_1)
    ratios = np.array(ratios)                          # (n_scales, depth)
    scaled = ratios * np.array(scales)[:, None]        # c * ratio: 1 if dW(c) = dW(1) / c
    return {
        "ln_c_max": float(max(scales)), "ln_c_min": float(min(scales)), "ln_eps": eps,
        "ln_forward_max_rel_diff": float(max(diffs)),
        "ln_grad_ratio_max_err": float(np.abs(scaled - 1.0).max()),
        "ln_grad_ratio_cmax": float(ratios[int(np.argmax(scales)), 0]),
        "ln_grad_ratio_cmax_theory": 1.0 / max(scales),
        "scales": np.array(scales), "ratios": ratios, "diffs": np.array(diffs),
    }


def _build_ln(data: datasets.Split, rng: np.random.Generator, width: int, depth: int,
              eps: float, c: float) -> NormalizedMLP:
    return _ln_net(rng, width, depth, eps, c)


def _plain_lr_for_the_rest(rng: np.random.Generator, depth: int, factor: float):
    """``step_hook`` factory: divides the step of every parameter but the hidden ``W, b`` by
    ``factor``, so only the scale-invariant weights see the multiplied learning rate."""
    def hook(model: NormalizedMLP, idx: np.ndarray):
        rest = model.parameters()[2 * depth:]           # output W, b; gains and betas
        return _rescaled_steps(rest, factor)
    return hook


class _rescaled_steps:  # noqa: N801  (a context manager used like a function)
    def __init__(self, params: list[np.ndarray], factor: float) -> None:
        self.params, self.factor = params, factor

    def __enter__(self) -> None:
        self.before = [p.copy() for p in self.params]

    def __exit__(self, *exc: object) -> None:
        for p, old in zip(self.params, self.before, strict=True):
            p[...] = old + (p - old) / self.factor       # p <- p_old + step / factor


def scale_training(*, scales: Sequence[float], width: int, depth: int, eps: float, lr: float,
                   epochs: int, batch_size: int, n_seeds: int, seed: int,
                   n_jobs: int = 1) -> dict:
    """Training loss per epoch with hidden layers scaled by ``c``: at ``lr``, then at ``lr c^2``.

    The same seeds (weights and batches, ``sweep.seeds(seed, n_seeds)``) for every ``c``; in the
    second set only the hidden ``W, b`` get ``lr c^2`` (output layer, gains and betas keep
    ``lr``, :func:`_plain_lr_for_the_rest`), so each run is the ``c = 1`` run, scaled.
    """
    seeds = sweep.seeds(seed, n_seeds)
    keys = [(c, m, s) for m in (False, True) for c in scales for s in seeds]
    configs = [{"build": functools.partial(_build_ln, width=width, depth=depth, eps=eps, c=c),
                "seed": s, "data_seed": seed, "epochs": epochs, "batch_size": batch_size,
                "lr": lr * c**2 if m else lr,
                "step_hook": (functools.partial(_plain_lr_for_the_rest, depth=depth,
                                                factor=c**2) if m else None)}
               for c, m, s in keys]
    runs = dict(zip(keys, sweep.run(train.run_config, configs, n_jobs=n_jobs), strict=True))
    n_diverged = sum(r.diverged for r in runs.values())
    loss = {(c, m): train.curves([runs[c, m, s] for s in seeds], "epoch_loss")
            for c in scales for m in (False, True) if not any(runs[c, m, s].diverged
                                                           for s in seeds)}
    base = loss[1.0, False]
    collapse = max(float(np.abs(loss[c, True] - base).max()) for c in scales if (c, True) in loss)
    final = {c: float(loss[c, False][:, -1].mean()) for c in scales if (c, False) in loss}
    return {
        "ln_train_lr": lr, "ln_train_epochs": epochs, "ln_train_diverged": int(n_diverged),
        "ln_final_loss_c1": final[1.0],
        "ln_final_loss_cmax": final.get(max(scales), math.inf),
        "ln_collapse_max_diff": collapse,
        "scales": np.array(scales), "loss": loss,
    }


# ------------------------------------------------------------------ 2. BatchNorm at init


def mean_field_rate(*, batch_size: int, n_samples: int, n_iter: int, seed: int) -> float:
    """Mean-field growth per layer of ``||dL/dW_l||^2`` in a BN-ReLU net (module docstring).

    Monte Carlo: ``n_iter`` iterations of the batch Gram map ``K <- E[a a^T]``,
    ``a = relu(BN(h))``, ``h ~ N(0, K)`` from ``K = I``, ``n_samples`` units each; then
    ``lambda = E[(sum_i d_i^2 M_ii - d^T M d / B) / var(h)] / (B - 1)`` on fresh samples.
    """
    rng, B = np.random.default_rng(seed), batch_size
    K = np.eye(B)

    def units(K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = rng.standard_normal((n_samples, B)) @ np.linalg.cholesky(K + 1e-12 * np.eye(B)).T
        var = h.var(axis=1, keepdims=True)
        return (h - h.mean(axis=1, keepdims=True)) / np.sqrt(var), var  # x_hat = BN(h)

    for _ in range(n_iter):
        x_hat, _ = units(K)
        a = np.maximum(x_hat, 0.0)
        K = a.T @ a / n_samples                         # K = E[a a^T]
    x_hat, var = units(K)
    d = (x_hat > 0).astype(np.float64)                  # relu'(x_hat)
    u = x_hat / math.sqrt(B)                            # M = I - 1 1^T / B - u u^T
    M_diag = 1.0 - 1.0 / B - u**2
    dMd = (d**2).sum(axis=1) - d.sum(axis=1) ** 2 / B - (d * u).sum(axis=1) ** 2
    trace = ((d**2 * M_diag).sum(axis=1) - dMd / B) / var[:, 0]  # tr(J D P D J^T)
    return float(trace.mean() / (B - 1))


def _bn_relu_rates(depth: int, width: int, batch_size: int, gain: float, seed: int,
                   skip: int) -> tuple[float, np.ndarray]:
    """Fitted per-layer rate of ``||dW_l||^2`` and the per-layer values, one BN-ReLU net."""
    rng = np.random.default_rng(seed)
    data = datasets.load("digits", rng)
    idx = rng.choice(len(data.X_train), batch_size, replace=False)
    std = gain * math.sqrt(2.0 / width)                 # gain 1: He
    net = NormalizedMLP((N_IN,) + (width,) * depth + (N_CLASSES,), rng, norm_kind="batch",
                        weight_init=initializers.get("random_normal", stddev=std))
    g2 = diagnostics.layer_stats(net, data.X_train[idx], data.y_train[idx])["grad_W_norm"]
    g2 = g2[:depth] ** 2                                # hidden layers, ||dW_l||^2
    layers = np.arange(depth)
    fit = slice(skip, depth - 2)                        # past the transient, before the head
    slope = np.polyfit(layers[fit], np.log(g2[fit]), 1)[0]
    return float(math.exp(-slope)), g2                  # growth per layer towards the input


def batchnorm_gradient(*, depth: int, width: int, batch_size: int, gains: Sequence[float],
                       n_seeds: int, seed: int, n_samples: int, n_iter: int,
                       skip: int = 5) -> dict:
    """Per-layer growth of ``||dL/dW_l||^2`` at init in a deep plain BN-ReLU net, vs mean field.

    Weights ``N(0, (gain^2) 2 / width)`` for each ``gain``, one batch of ``batch_size`` digits
    per seed; the rate is ``exp(-slope)`` of ``ln ||dW_l||^2`` against ``l`` over layers
    ``skip .. depth - 3``, the theory :func:`mean_field_rate` at the same batch size.
    """
    rates, profiles = {}, {}
    for gain in gains:
        runs = [_bn_relu_rates(depth, width, batch_size, gain, s, skip)
                for s in sweep.seeds(seed, n_seeds)]
        rates[gain] = np.array([r for r, _ in runs])
        profiles[gain] = np.array([g for _, g in runs])
    theory = mean_field_rate(batch_size=batch_size, n_samples=n_samples, n_iter=n_iter,
                             seed=seed)
    he = rates[1.0]
    return {
        "bn_depth": depth, "bn_width": width, "bn_batch": batch_size,
        "bn_rate": float(he.mean()), "bn_rate_theory": theory,
        "bn_rate_rel_err": float(he.mean() / theory - 1.0),
        "bn_rate_min_gain": float(rates[min(gains)].mean()),
        "bn_rate_max_gain": float(rates[max(gains)].mean()),
        "bn_gain_min": float(min(gains)), "bn_gain_max": float(max(gains)),
        "bn_first_over_last": float(np.exp(np.log(profiles[1.0][:, 0] / profiles[1.0][:, -1]
                                                  ).mean())),
        "bn_large_batch_limit": math.pi / (math.pi - 1.0),
        "gains": np.array(gains), "rates": rates, "profiles": profiles, "bn_fit_skip": skip,
    }


# ------------------------------------------------------------------ 3. the practitioner's routine

#: The stages of the routine: (hidden init std ``None`` = tanh He-style 5/3 / sqrt(fan_in),
#: output init std, BatchNorm?). "bad": every weight N(0, 1), as ``torch.randn``.
STAGES = {"bad": (1.0, 1.0, False), "output_fixed": (1.0, 0.01, False),
          "hidden_fixed": (None, 0.01, False), "batchnorm": (1.0, 0.01, True)}


def _routine_net(rng: np.random.Generator, stage: str, width: int, depth: int):
    hidden_std, out_std, bn = STAGES[stage]
    hidden = (initializers.get("kaiming_normal", nonlinearity="tanh") if hidden_std is None
              else initializers.get("random_normal", stddev=hidden_std))
    inits = [hidden] * depth + [initializers.get("random_normal", stddev=out_std)]
    sizes = (N_IN,) + (width,) * depth + (N_CLASSES,)
    if bn:
        return NormalizedMLP(sizes, rng, norm_kind="batch", activation="tanh", weight_init=inits)
    return network.MLP(sizes, rng, activation="tanh", weight_init=inits)


def routine_stage(*, stage: str, width: int, depth: int, lr: float, epochs: int,
                  batch_size: int, n_probe: int, seed: int) -> dict:
    """One stage of the routine: initial loss, saturation, histograms, update ratios, accuracy.

    Weights from ``default_rng(seed)`` (the same draws for every stage up to scale), the digits
    split from ``default_rng(seed)``, a probe batch of the first ``n_probe`` training rows.
    """
    data = datasets.load("digits", np.random.default_rng(seed))
    probe = data.X_train[:n_probe]
    model = _routine_net(np.random.default_rng(seed), stage, width, depth)
    first = training_diagnostics.initial_loss(model, data.X_train, data.y_train)
    acts_init = diagnostics.layer_values(model, probe, "act")[:-1]
    grads_init = diagnostics.layer_values(model, probe, "grad", y=data.y_train[:n_probe])[:-1]
    ratios = training_diagnostics.UpdateRatios()
    per_epoch = training_diagnostics.EpochStats(probe, data.y_train[:n_probe])
    hist = train.train(model, data.X_train, data.y_train, rng=np.random.default_rng(seed),
                       epochs=epochs, batch_size=batch_size, lr=lr, X_test=data.X_test,
                       y_test=data.y_test, on_epoch=per_epoch, step_hook=ratios.hook)
    sat = per_epoch.stats["saturated_frac"][:, :-1]     # (epochs + 1, hidden layers)
    grad_std = per_epoch.stats["backprop_grad_std"][0, :-1]  # std(dL/dZ_l) at init
    return {**first, "diverged": hist.diverged, "loss": np.array(hist.loss),
            "test_acc": float(hist.test_acc[-1]) if not hist.diverged else math.nan,
            "sat_init": float(sat[0].mean()), "sat_end": float(sat[-1].mean()),
            "grad_spread": float(grad_std.max() / grad_std.min()),
            "acts_init": acts_init, "grads_init": grads_init,
            "ratios": ratios.ratios}


def routine(*, width: int, depth: int, lr: float, epochs: int, batch_size: int, n_probe: int,
            seed: int) -> dict:
    """The four stages of :data:`STAGES`, each a :func:`routine_stage` with the same settings.

    Recorded per stage: the initial loss (and ``ln K``), the mean tanh saturation of the hidden
    layers at init and after training, the largest over the smallest std of the
    back-propagated gradient ``dL/dZ_l`` across the hidden layers at init (``grad_spread``),
    the test accuracy, and the median update:data ratio (log10) over the steps of the last epoch
    and the hidden layers.
    """
    runs = {stage: routine_stage(stage=stage, width=width, depth=depth, lr=lr, epochs=epochs,
                                 batch_size=batch_size, n_probe=n_probe, seed=seed)
            for stage in STAGES}
    last = -math.ceil(1400 / batch_size)  # about one epoch of steps (the split has ~1,400 rows)

    def ratio(stage: str) -> float:
        return float(np.median(runs[stage]["ratios"][last:, :-1]))

    return {
        "routine_ln_k": runs["bad"]["ln_k"], "routine_lr": lr, "routine_epochs": epochs,
        "bad_initial_loss": runs["bad"]["initial_loss"],
        "output_fixed_initial_loss": runs["output_fixed"]["initial_loss"],
        "hidden_fixed_initial_loss": runs["hidden_fixed"]["initial_loss"],
        "bad_sat_init": runs["bad"]["sat_init"], "bad_sat_end": runs["bad"]["sat_end"],
        "output_fixed_sat_init": runs["output_fixed"]["sat_init"],
        "hidden_fixed_sat_init": runs["hidden_fixed"]["sat_init"],
        "hidden_fixed_sat_end": runs["hidden_fixed"]["sat_end"],
        "batchnorm_sat_init": runs["batchnorm"]["sat_init"],
        "bad_grad_spread": runs["bad"]["grad_spread"],
        "hidden_fixed_grad_spread": runs["hidden_fixed"]["grad_spread"],
        "bad_acc": runs["bad"]["test_acc"], "output_fixed_acc": runs["output_fixed"]["test_acc"],
        "hidden_fixed_acc": runs["hidden_fixed"]["test_acc"],
        "batchnorm_acc": runs["batchnorm"]["test_acc"],
        "bad_update_ratio": ratio("bad"), "hidden_fixed_update_ratio": ratio("hidden_fixed"),
        "batchnorm_update_ratio": ratio("batchnorm"),
        "n_diverged": int(sum(r["diverged"] for r in runs.values())),
        "runs": runs,
    }



# ------------------------------------------------------------------ exercises


def exercise_output_scale(*, output_std: float, width: int, depth: int, seed: int) -> dict:
    """Initial loss of the fixed tanh net (stage 3) with output weights ``N(0, output_std^2)``.

    Logits ``a W_out`` have spread ``~ output_std * ||a||``: near 0 the loss is ``ln K``; far
    from it, confident random logits cost about their spread per example.
    """
    data = datasets.load("digits", np.random.default_rng(seed))
    inits = ([initializers.get("kaiming_normal", nonlinearity="tanh")] * depth
             + [initializers.get("random_normal", stddev=output_std)])
    model = network.MLP((N_IN,) + (width,) * depth + (N_CLASSES,), np.random.default_rng(seed),
                        activation="tanh", weight_init=inits)
    first = training_diagnostics.initial_loss(model, data.X_train, data.y_train)
    return {"ex_output_std": output_std, "ex_initial_loss": first["initial_loss"],
            "ex_ln_k": first["ln_k"]}


def exercise_batch_size(*, batch_size: int, depth: int, width: int, seed: int, n_samples: int,
                        n_iter: int) -> dict:
    """The BatchNorm gradient rate at another batch size: one net (He scale) and mean field."""
    measured, _ = _bn_relu_rates(depth, width, batch_size, 1.0, seed, skip=5)
    theory = mean_field_rate(batch_size=batch_size, n_samples=n_samples, n_iter=n_iter,
                             seed=seed)
    return {"ex_bn_batch": batch_size, "ex_bn_rate": measured, "ex_bn_rate_theory": theory}


__all__ = ["STAGES", "batchnorm_gradient", "exercise_batch_size",
           "exercise_output_scale", "mean_field_rate", "plot_batchnorm_gradient",
           "plot_histograms", "plot_routine_loss", "plot_scale_training", "plot_update_ratios",
           "routine", "routine_stage", "scale_invariance", "scale_training"]
