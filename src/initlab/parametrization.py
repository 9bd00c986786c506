"""Width parametrizations as data: standard (SP), NTK and maximal-update (muP).

What: how each scale of an MLP depends on its width ``n``: the init variance of every
weight, the learning rate of every parameter (SGD and Adam differ) and a multiplier on the
output. Each is ``(base value) * m ** exponent`` with the width multiplier
``m = n / base_width``; a parametrization is only the table of exponents, so at
``n = base_width`` every one of them is the standard network (the ``mup`` package's "base
shapes" do the same) and a learning rate tuned there means the same thing at every width.

Why: with SP the best learning rate moves as the net widens; muP picks the exponents so that
every layer's pre-activations move by Theta(1) per step at any width ("maximal update"), and
then the optimum stays put (Yang and Hu 2021, Tensor Programs IV; Yang et al. 2022, Tensor
Programs V).

The table (Tensor Programs V, Table 3, with ``fan_in``/``fan_out`` = ``n`` for the width
dimensions; checked against ``microsoft/mup``: ``MuAdam`` divides the lr of weights with two
width dimensions by ``width_mult``; ``MuSGD`` multiplies the lr of weights and biases with one
width dimension by ``width_mult``; ``MuReadout`` multiplies the readout's input by
``1 / width_mult`` and its init by ``width_mult``), exponents of ``m``:

=================  ==========  ========  =========
muP                init var    SGD lr    Adam lr
=================  ==========  ========  =========
input weights      0           +1        0
hidden weights     0           0         -1
output weights     -1          -1        -1
hidden biases      (zeros)     +1        0
output bias        (zeros)     0         0
=================  ==========  ========  =========

SP is all zeros. NTK (Jacot et al. 2018; ``W = w / sqrt(fan_in)`` with ``w`` trained at a
fixed lr) in these terms: SP init, lr exponent -1 (SGD) or -1/2 (Adam) on hidden and output
weights. ``mup_readout`` is Tensor Programs V's equivalent Table 8 form that the ``mup``
package uses: output weights drawn with ``m`` times the variance (exponent ``+1``: Table 8's
constant variance, the package's ``_rescale_parameters``) times an output multiplier
``1 / m``, so the effective weights are exactly muP's; SGD lr ``+1`` (Adam ``0``) on them.
Our multiplier scales the whole output, bias included, so the output bias gets lr exponents
``+2`` (SGD) and ``+1`` (Adam) to move as in ``mup``. Same draws, same training as ``mup``
up to rounding (and Adam's ``eps``).

Base values: ``Var(W) = init_scale / fan_in`` (He, ``init_scale = 2``, Gaussian) for every
layer, zero biases, learning rate ``lr``. Shapes: ``sizes = (n_in, n, ..., n, n_out)``, every
hidden layer of width ``n``; the multipliers follow ``MLP.parameters()``: ``[W_0, b_0, ...]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from initlab import initializers
from initlab._checks import check_choice, check_int, check_positive, check_rng
from initlab.network import MLP

#: The kinds of parameter a parametrization scales differently.
ROLES = ("input_weight", "hidden_weight", "output_weight", "hidden_bias", "output_bias")


@dataclass(frozen=True)
class Parametrization:
    """Exponents of ``m = width / base_width``, per role (see the module table)."""

    name: str
    init_var: dict[str, float]  # Var(W) = init_scale / fan_in * m ** init_var[role]
    lr_sgd: dict[str, float]    # lr_k = lr * m ** lr_sgd[role]
    lr_adam: dict[str, float]
    output_mult: float = 0.0    # output = m ** output_mult * (h W + b)


def _table(**exponents: float) -> dict[str, float]:
    return {role: float(exponents.get(role, 0.0)) for role in ROLES}


PARAMETRIZATIONS = {p.name: p for p in (
    Parametrization("sp", _table(), _table(), _table()),
    Parametrization("ntk", _table(), _table(hidden_weight=-1, output_weight=-1),
                    _table(hidden_weight=-0.5, output_weight=-0.5)),
    Parametrization("mup", _table(output_weight=-1),
                    _table(input_weight=1, hidden_bias=1, output_weight=-1),
                    _table(hidden_weight=-1, output_weight=-1)),
    Parametrization("mup_readout", _table(output_weight=1),
                    _table(input_weight=1, hidden_bias=1, output_weight=1, output_bias=2),
                    _table(hidden_weight=-1, output_bias=1), output_mult=-1.0),
)}


def get(name: str | Parametrization) -> Parametrization:
    """The parametrization called ``name`` (one of :data:`PARAMETRIZATIONS`), or ``name``."""
    if isinstance(name, Parametrization):
        return name
    return PARAMETRIZATIONS[check_choice(name, "parametrization", PARAMETRIZATIONS)]


def roles(n_layers: int) -> list[str]:
    """The role of every parameter of an ``n_layers`` MLP, in ``parameters()`` order."""
    n_layers = check_int(n_layers, "n_layers", minimum=2)
    out = []
    for l in range(n_layers):
        kind = "input" if l == 0 else "output" if l == n_layers - 1 else "hidden"
        out += [f"{kind}_weight", "output_bias" if kind == "output" else "hidden_bias"]
    return out


def scalings(parametrization: str | Parametrization, sizes: Sequence[int], base_width: int,
             optimizer: str = "adam") -> dict:
    """The numbers for one width: ``{"m", "init_var_mult", "lr_mult", "output_mult"}``.

    ``init_var_mult``: one factor per layer on ``init_scale / fan_in``; ``lr_mult``: one per
    parameter (``[W_0, b_0, W_1, b_1, ...]``); ``output_mult``: the factor on the output.
    """
    p = get(parametrization)
    check_choice(optimizer, "optimizer", ("sgd", "adam"))
    widths = set(sizes[1:-1])
    if len(sizes) < 3 or len(widths) != 1:
        raise ValueError(f"`sizes` needs hidden layers of one width, got {tuple(sizes)!r}")
    m = widths.pop() / check_int(base_width, "base_width", minimum=1)
    lr_table = p.lr_sgd if optimizer == "sgd" else p.lr_adam
    kinds = roles(len(sizes) - 1)
    return {
        "m": m,
        "init_var_mult": [m ** p.init_var[k] for k in kinds[0::2]],  # weights only
        "lr_mult": [m ** lr_table[k] for k in kinds],
        "output_mult": m ** p.output_mult,
    }


class ScaledOutputMLP(MLP):
    """An :class:`~initlab.network.MLP` whose output is multiplied by ``output_mult``.

    ``out = output_mult * MLP.forward(X)``, so ``dL/d(MLP output) = output_mult * dout``.
    Only for an identity output (logits). The plain MLP is untouched: this class exists only
    where a parametrization's multiplier is not 1.
    """

    def __init__(self, *args, output_mult: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.activations[-1].name != "identity":
            raise ValueError(f"output_mult needs an identity output, got "
                             f"{self.activations[-1].name!r}")
        self.output_mult = check_positive(output_mult, "output_mult")

    def forward(self, X: np.ndarray, keep: bool = True, check: bool = True) -> np.ndarray:
        out = super().forward(X, keep=keep, check=check)
        return out * self.output_mult if not keep else np.multiply(out, self.output_mult,
                                                                   out=out)

    def backward(self, dout: np.ndarray, input_grad: bool = False) -> list[np.ndarray]:
        return super().backward(dout * self.output_mult, input_grad=input_grad)

    def copy(self) -> ScaledOutputMLP:
        new = super().copy()
        new.__class__ = ScaledOutputMLP
        return new


def build(parametrization: str | Parametrization, sizes: Sequence[int],
          rng: np.random.Generator, *, base_width: int, optimizer: str = "adam",
          init_scale: float = 2.0, dtype: type | np.dtype = np.float64,
          ) -> tuple[MLP, list[float]]:
    """``(model, lr_mult)``: a ReLU MLP drawn from ``rng`` in ``parametrization`` at its width.

    Layer ``l`` gets ``W ~ N(0, init_scale / fan_in * init_var_mult[l])`` and zero biases;
    pass ``lr_mult`` to the optimizer (``train.train(..., lr_mult=lr_mult)``).
    """
    check_rng(rng)
    check_positive(init_scale, "init_scale")
    s = scalings(parametrization, sizes, base_width, optimizer)
    inits = [initializers.get("variance_scaling", scale=init_scale * f, mode="fan_in",
                              distribution="normal") for f in s["init_var_mult"]]
    if s["output_mult"] == 1.0:
        model = MLP(sizes, rng, weight_init=inits, dtype=dtype)
    else:
        model = ScaledOutputMLP(sizes, rng, weight_init=inits, dtype=dtype,
                                output_mult=s["output_mult"])
    return model, s["lr_mult"]
