"""Chapter 4, vanishing and exploding gradients: one pass through a deep net, and its theory.

What: :func:`depth_profile` pushes one batch forward and its loss gradient backward through a
deep, untrained MLP whose weights are all ``N(0, sigma^2)`` with ``sigma = g / sqrt(width)``,
and keeps per hidden layer the activation std, the saturated fraction, the std of the
back-propagated gradient ``dL/dZ_l`` and the norms of the weight and bias gradients
(:func:`initlab.diagnostics.layer_stats`). Beside it, the two predictions that are the
chapter's own: the saturated fraction of a Gaussian pre-activation
(:func:`predicted_saturation`) and the finite-width standard error of a fitted per-layer rate
(:func:`rate_standard_error`). The rest of the theory is :mod:`initlab.theory`
(``mean_field_profile``, ``small_signal_rate``, ``critical_sigma_w2``).

Why: sweeping ``g^2 = n sigma^2`` rather than ``sigma`` makes the grid width-free: every
hidden layer has ``fan_in = fan_out = width`` (the Gaussian input has ``width`` coordinates
too), so the small-signal per-layer factor is ``g^2 c`` exactly (Glorot & Bengio 2010; He et
al. 2015), and the mean field of Poole et al. (2016) runs at ``sigma_w2 = g^2``.

Shapes: ``X`` is ``(batch, width)`` with i.i.d. ``N(0, 1)`` entries; hidden weights ``W_l``
are ``(width, width)``, the output layer ``(width, 10)``; ``Z_l = A_{l-1} @ W_l`` (zero
biases), ``A_l = phi(Z_l)``; softmax cross-entropy against random labels gives
``dL/d(output)``. Per-layer arrays have ``n_layers`` entries, entry ``l - 1`` for hidden layer
``l``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfc

from initlab import activations, diagnostics, initializers, network, theory
from initlab._checks import check_choice, check_int, check_positive

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
#: Leaky ReLU slope for z < 0. TensorFlow's default; large enough that its gain
#: sqrt(2 / (1 + a^2)) differs visibly from ReLU's sqrt(2) (PyTorch's 0.01 would not).
LEAKY_ALPHA = 0.2
#: Output classes of the softmax layer (labels are random: only the gradient's size matters).
N_CLASSES = 10
#: Per-layer statistics of :func:`depth_profile`, and the layer_stats key each comes from.
STATS = {"act_std": "act_std", "saturated_frac": "saturated_frac",
         "grad_std": "backprop_grad_std", "weight_grad_norm": "grad_W_norm",
         "bias_grad_norm": "grad_b_norm"}


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


def profile_config(config: dict) -> dict:
    """:func:`depth_profile` on one config dict (picklable, for :func:`initlab.sweep.run`)."""
    return depth_profile(**config)


def predicted_saturation(name: str, q: np.ndarray) -> np.ndarray:
    """Saturated fraction of ``phi(z)``, ``z ~ N(0, q)``: ``P(|z| > t) = erfc(t / sqrt(2 q))``.

    ``t`` is where :mod:`initlab.diagnostics` starts counting a unit as saturated:
    ``atanh(0.97)`` for tanh, ``logit(0.97)`` for the sigmoid; relu-like units never saturate
    (zeros). ``q``: the mean-field pre-activation variances, any shape.
    """
    q = np.asarray(q, dtype=np.float64)
    if check_choice(name, "activation", ACTIVATIONS) == "tanh":
        t = math.atanh(diagnostics.TANH_SATURATION)
    elif name == "sigmoid":
        s = diagnostics.SIGMOID_SATURATION
        t = math.log((1.0 - s) / s)
    else:
        return np.zeros(q.shape)
    return erfc(t / np.sqrt(2.0 * q))


def rate_standard_error(width: int, n_layers: int) -> float:
    """Finite-width standard error of a fitted per-layer rate on one ReLU-like profile.

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

