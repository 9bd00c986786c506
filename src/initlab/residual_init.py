"""Initialization recipes for :class:`initlab.residual.ResidualMLP`, as named functions.

What: each recipe returns the keyword arguments of ``ResidualMLP`` (branch, input and output
initializers, the branch multiplier ``alpha`` and whether it is learned), so
``ResidualMLP(n_in, width, n_out, L, rng, **fixup(n_blocks=L, branch_depth=m))`` builds it.

Why: residual networks without normalization train at 1,000 to 10,000 blocks only if every
branch starts small: the stream's second moment grows by ``(1 + alpha^2 g)`` per block (branch
and skip are uncorrelated at init), ``(1 + g)^L`` unscaled. The recipes differ in how they make
the branch small:

- :func:`fixup` (Zhang, Dauphin and Ma 2019): the last layer of each branch and the output layer
  at 0, the other branch layers He-initialized and scaled by ``L^(-1/(2m-2))``, a scalar
  multiplier (init 1) per branch and biases (init 0);
- :func:`rezero` (Bachlechner et al. 2020) and :func:`skipinit` (De and Smith 2020): a learned
  scalar ``alpha`` per block, initialized at 0 (both papers; in this MLP they coincide);
- :func:`gpt2` (Radford et al. 2019; nanoGPT's ``c_proj`` rule): every weight ``N(0, 0.02^2)``,
  the residual projection (the last layer of each branch) ``N(0, (0.02 / sqrt(2N))^2)`` with
  ``2N`` the number of residual branches (two per Transformer layer), here ``L``;
- :func:`plain` and :func:`scaled`: He branch layers then a LeCun last layer (branch gain
  ``g = 1`` for a two-layer ReLU branch), ``alpha = 1`` or ``alpha = 1 / sqrt(L)``.

Shapes: as :class:`~initlab.residual.ResidualMLP` (weights ``(n_in, n_out)``).
"""

from __future__ import annotations

import math

from initlab import initializers
from initlab._checks import check_int, check_positive


def _normal(std: float):
    """``N(0, std^2)`` weights, or zeros if ``std == 0``."""
    return "zeros" if std == 0 else initializers.get("random_normal", stddev=std)


def _he(scale: float = 1.0):
    """He normal scaled by ``scale``: ``Var(w) = scale^2 * 2 / fan_in`` (plain Gaussian)."""
    return initializers.get("variance_scaling", scale=2.0 * scale**2, distribution="normal")


def _lecun():
    """``Var(w) = 1 / fan_in`` (LeCun): on a ReLU output keeps the second moment of the input."""
    return initializers.get("variance_scaling", scale=1.0, distribution="normal")


def plain(branch_depth: int = 2, he_last: bool = False) -> dict:
    """``alpha = 1`` fixed; He on the branch layers, the last LeCun (``g = 1``) or He (``g = 2``).

    With a ReLU branch of two layers, He then LeCun keeps the branch input's second moment
    (``g = 1``: the unscaled stack doubles per block, ``2^l``); He on both doubles it (``g = 2``,
    ``3^l``). He et al. 2016 ("Identity mappings in deep residual networks") for the stack.
    """
    m = check_int(branch_depth, "branch_depth", minimum=1)
    last = _he() if he_last else _lecun()
    return {"branch_depth": m, "branch_init": [_he()] * (m - 1) + [last], "alpha": 1.0,
            "learn_alpha": False}


def scaled(n_blocks: int, branch_depth: int = 2) -> dict:
    """As :func:`plain` with ``alpha = 1 / sqrt(L)`` fixed: ``q_L = q_0 (1 + g/L)^L -> q_0 e^g``.

    The same effect as GPT-2's ``1/sqrt(2N)`` on the residual projections (Radford et al. 2019),
    with the branch's own weights at the variance-preserving (He/LeCun) scale.
    """
    L = check_int(n_blocks, "n_blocks", minimum=1)
    return {**plain(branch_depth), "alpha": 1.0 / math.sqrt(L)}


def fixup(n_blocks: int, branch_depth: int = 2) -> dict:
    """Fixup (Zhang, Dauphin and Ma 2019, "Fixup initialization: residual learning without
    normalization", ICLR), Section 3, for ``L`` branches of ``m >= 2`` layers:

    1. the last layer of each branch and the classification (output) layer at 0;
    2. the other branch layers He-initialized and scaled by ``L^(-1/(2m-2))``;
    3. a scalar multiplier (init 1) per branch, learned, and biases (init 0). Here every dense
       layer has a bias vector (init 0), which contains the paper's scalar biases.

    At init every branch outputs 0, so the network is the identity from ``x_0`` to ``x_L``.
    """
    L = check_int(n_blocks, "n_blocks", minimum=1)
    m = check_int(branch_depth, "branch_depth", minimum=1)
    if m < 2:
        raise ValueError(f"Fixup needs branch_depth >= 2 (the scale L^(-1/(2m-2))), got {m}")
    factor = L ** (-1.0 / (2 * m - 2))                  # L^(-1/(2m-2))
    return {"branch_depth": m, "branch_init": [_he(factor)] * (m - 1) + ["zeros"],
            "output_init": "zeros", "alpha": 1.0, "learn_alpha": True}


def rezero(branch_depth: int = 2) -> dict:
    """ReZero (Bachlechner et al. 2020, "ReZero is all you need: fast convergence at large
    depth"): ``x <- x + alpha F(x)`` with one learned scalar ``alpha`` per block initialized at
    0, no normalization. The branch keeps its standard (He/LeCun) init; the network starts as
    the identity and the input-output Jacobian is exactly 1 (dynamical isometry)."""
    return {**plain(branch_depth), "alpha": 0.0, "learn_alpha": True}


def skipinit(branch_depth: int = 2, alpha: float = 0.0) -> dict:
    """SkipInit (De and Smith 2020, "Batch normalization biases residual blocks towards the
    identity function in deep networks", NeurIPS): remove the normalization and put a learned
    scalar multiplier at the end of each residual branch, initialized at 0 (or a small
    constant). In a residual MLP it is the same as :func:`rezero`; the papers differ in where
    they apply it (ResNets versus Transformers) and in what they remove."""
    if not math.isfinite(alpha) or alpha < 0:
        raise ValueError(f"SkipInit `alpha` must be finite and >= 0, got {alpha!r}")
    return {**plain(branch_depth), "alpha": float(alpha), "learn_alpha": True}


def gpt2(n_blocks: int, branch_depth: int = 2, std: float = 0.02) -> dict:
    """GPT-2 (Radford et al. 2019, "Language models are unsupervised multitask learners",
    Section 2.3: "scale the weights of residual layers at initialization by a factor of
    1/sqrt(N)") as nanoGPT writes it (karpathy/nanoGPT ``model.py``: every ``nn.Linear``
    ``normal_(std=0.02)``, then ``c_proj.weight`` ``normal_(std=0.02 / math.sqrt(2 *
    config.n_layer))``). A Transformer layer has two residual branches (attention and MLP), so
    ``2 N`` is the number of branches: ``L`` here. Input and output layers ``N(0, std^2)``."""
    L = check_int(n_blocks, "n_blocks", minimum=1)
    m = check_int(branch_depth, "branch_depth", minimum=1)
    std = check_positive(std, "std")
    proj = std / math.sqrt(L)                            # 0.02 / sqrt(2N), 2N = L branches
    return {"branch_depth": m, "branch_init": [_normal(std)] * (m - 1) + [_normal(proj)],
            "input_init": _normal(std), "output_init": _normal(std), "alpha": 1.0,
            "learn_alpha": False}


#: The recipes by name, built from the functions themselves.
RECIPES = {f.__name__: f for f in (plain, scaled, fixup, rezero, skipinit, gpt2)}
