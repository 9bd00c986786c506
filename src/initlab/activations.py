"""Activation functions, each value next to its first and second derivative.

Why: backprop needs ``phi'(z)``; keeping it beside ``phi`` (micrograd's ``_backward``,
numpy-ml's ``fn``/``grad`` pairs) makes a wrong derivative visible in review and testable
by finite differences. The derivative takes both the pre-activation ``Z`` and the output
``A = phi(Z)`` because several are cheapest from the output (sigmoid ``A(1-A)``, tanh ``1-A^2``).
The second derivative ``phi''(z)`` (same ``(Z, A)`` arguments) is what the mean-field slope
``chi_q`` of :mod:`initlab.theory` needs (Schoenholz et al. 2017); ``homogeneous`` marks the
piecewise-linear ``phi(a z) = a phi(z)`` (``a > 0``) whose Gaussian moments are closed forms.
This module is the package's one table of activations: the theory uses it too.
The built-ins also take an optional ``out=`` array and write into it where that is one ufunc
call, so a training step can reuse its buffers instead of allocating (see ``accepts_out``).

Shapes: elementwise; ``Z`` and ``A`` are ``(batch, width)`` in the network.
SELU constants from Klambauer et al. 2017.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from initlab._checks import check_choice

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


@dataclass(frozen=True)
class Activation:
    """A nonlinearity ``phi`` with its first and second derivative.

    ``f(Z) -> A``; ``df(Z, A) -> dA/dZ`` and ``d2f(Z, A) -> d^2A/dZ^2`` elementwise (at the
    kink of relu and leaky relu, ``df`` takes the left value and ``d2f`` is 0, as on either
    side of it); ``gain_name`` is the key for :func:`initlab.initializers.calculate_gain`
    and ``param`` its parameter.
    ``accepts_out``: ``f(Z, out=buf)`` and ``df(Z, A, out=buf)`` are also accepted; they
    may write the result into ``buf`` (same shape and dtype as ``Z``) or ignore it, so
    callers use the returned array. Identity's ``f`` returns ``Z`` itself.
    ``homogeneous``: ``phi(z) = phi(1) z`` for ``z > 0`` and ``-phi(-1) z`` for ``z < 0``
    (identity, relu, leaky relu), so ``E[phi(z)^2] = (phi(1)^2 + phi(-1)^2) / 2 * E[z^2]``
    for any ``z`` symmetric about 0.
    """

    name: str
    f: Callable[..., np.ndarray]
    df: Callable[..., np.ndarray]
    gain_name: str = "linear"
    param: float | None = None
    accepts_out: bool = False
    d2f: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    homogeneous: bool = False

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return self.f(Z)


def _zeros(Z: np.ndarray, A: np.ndarray) -> np.ndarray:
    """phi'' = 0: piecewise-linear activations away from the kink."""
    return np.zeros_like(Z)


def _identity() -> Activation:
    return Activation("identity", lambda Z, out=None: Z, lambda Z, A, out=None: np.ones_like(Z),
                      "linear", accepts_out=True, d2f=_zeros, homogeneous=True)


def _sigmoid() -> Activation:
    def f(Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        # 1/(1+e^-z) for z >= 0 and e^z/(1+e^z) for z < 0: never exp of a large positive number
        e = np.exp(-np.abs(Z))
        return np.divide(np.where(Z >= 0, 1.0, e), 1.0 + e, out=out)

    return Activation("sigmoid", f, lambda Z, A, out=None: np.multiply(A, 1.0 - A, out=out),
                      "sigmoid", accepts_out=True,
                      d2f=lambda Z, A: A * (1.0 - A) * (1.0 - 2.0 * A))  # s (1 - s) (1 - 2 s)


def _tanh() -> Activation:
    def df(Z: np.ndarray, A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return np.subtract(1.0, np.multiply(A, A, out=out), out=out)  # 1 - A^2

    return Activation("tanh", np.tanh, df, "tanh", accepts_out=True,
                      d2f=lambda Z, A: -2.0 * A * (1.0 - A * A))          # -2 tanh sech^2


@functools.lru_cache(maxsize=16)
def _zeros_of(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A read-only array of zeros, made once per shape and dtype (see ``_relu``)."""
    zeros = np.zeros(shape, dtype)
    zeros.flags.writeable = False
    return zeros


def _relu() -> Activation:
    def f(Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        # phi(z) = max(z, 0). Into a buffer (a training step), the 0 is an array of zeros:
        # numpy's vectorized loop then runs, 2-3x faster than with the scalar 0, and the
        # result is the same bit for bit (NaN and -0.0 included; tests/test_bench.py)
        return np.maximum(Z, 0.0 if out is None else _zeros_of(Z.shape, Z.dtype), out=out)

    def df(Z: np.ndarray, A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        # phi'(z) = 1 for z > 0, else 0 (also at the kink), in Z's dtype
        return np.greater(Z, 0.0, out=np.empty_like(Z) if out is None else out)

    return Activation("relu", f, df, "relu", accepts_out=True, d2f=_zeros, homogeneous=True)


def _leaky_relu(alpha: float = 0.01) -> Activation:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 <= alpha < 1:
        raise ValueError(f"leaky_relu `alpha` must be a number in [0, 1), got {alpha!r}")
    alpha = float(alpha)

    def f(Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        A = np.multiply(alpha, Z, out=out)  # phi(z) = a z for z <= 0,
        np.copyto(A, Z, where=Z > 0)        # and z for z > 0: max(z, a z)
        return A

    return Activation(
        "leaky_relu",
        f,
        lambda Z, A, out=None: np.where(Z > 0, 1.0, alpha).astype(Z.dtype),  # phi'(z) = 1 or a
        "leaky_relu",
        alpha,
        accepts_out=True,
        d2f=_zeros,
        homogeneous=True,
    )


def _elu(alpha: float = 1.0) -> Activation:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or alpha <= 0:
        raise ValueError(f"elu `alpha` must be a number > 0, got {alpha!r}")
    alpha = float(alpha)
    return Activation(
        "elu",
        lambda Z: np.where(Z > 0, Z, alpha * np.expm1(np.minimum(Z, 0.0))),  # a (e^z - 1), z<0
        lambda Z, A: np.where(Z > 0, 1.0, A + alpha),                      # a e^z = A + a
        "linear",
        d2f=lambda Z, A: np.where(Z > 0, 0.0, A + alpha),                  # a e^z again
    )


def _selu() -> Activation:
    la = SELU_SCALE * SELU_ALPHA
    return Activation(
        "selu",
        lambda Z: np.where(Z > 0, SELU_SCALE * Z, la * np.expm1(np.minimum(Z, 0.0))),
        lambda Z, A: np.where(Z > 0, SELU_SCALE, A + la),
        "selu",
        d2f=lambda Z, A: np.where(Z > 0, 0.0, A + la),                     # l a e^z again
    )


def _sine() -> Activation:
    return Activation("sine", np.sin, lambda Z, A, out=None: np.cos(Z, out=out), "linear",
                      accepts_out=True, d2f=lambda Z, A: -A)                 # -sin


_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)  # a Python float: keeps float32 float32


def _erf() -> Activation:
    """The error function: a sigmoid-shaped odd nonlinearity whose Gaussian kernels are closed
    forms (Williams 1998), which makes it the test case of the mean-field quadrature."""
    return Activation(
        "erf",
        erf,
        lambda Z, A: _TWO_OVER_SQRT_PI * np.exp(-(Z * Z)),                 # 2/sqrt(pi) e^{-z^2}
        "linear",
        d2f=lambda Z, A: -2.0 * Z * _TWO_OVER_SQRT_PI * np.exp(-(Z * Z)),  # -2 z phi'(z)
    )


_REGISTRY: dict[str, Callable[..., Activation]] = {
    a().name: a
    for a in (_identity, _sigmoid, _tanh, _relu, _leaky_relu, _elu, _selu, _sine, _erf)
}
_REGISTRY["linear"] = _identity


def available() -> list[str]:
    """Names accepted by :func:`get`, sorted."""
    return sorted(_REGISTRY)


@functools.cache
def _cached(name: str, params: tuple) -> Activation:
    # params holds (key, type name, value): True == 1 hashes alike, so the type is in the key
    return _REGISTRY[name](**{k: v for k, _, v in params})


def get(name: str | Activation, **params: float) -> Activation:
    """Return the activation ``name`` (e.g. ``get("leaky_relu", alpha=0.1)``).

    An :class:`Activation` is returned unchanged. Unknown names raise ValueError listing
    the valid ones; a bad parameter (e.g. a bool ``alpha``) raises naming it.
    """
    if isinstance(name, Activation):
        return name
    check_choice(name, "activation", _REGISTRY)
    try:
        return _cached(name, tuple(sorted((k, type(v).__name__, v) for k, v in params.items())))
    except TypeError as err:
        raise ValueError(f"activation {name!r} got unexpected parameters {params!r}") from err
