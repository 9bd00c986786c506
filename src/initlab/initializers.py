"""Weight initializers: Keras' whole set and PyTorch's gains and fan rules, in numpy.

Why: every experiment in the book starts from a draw of weights, and a wrong gain or fan
silently changes every figure. One core, :func:`variance_scaling`, does the math
(``Var(w) = scale / n`` with ``n`` a fan); the named schemes only fix its arguments
(Keras ``keras/src/initializers/random_initializers.py``), and the registry is built from
the functions themselves by the ``@scheme`` decorator, so no string dispatch can drift.

Papers: LeCun et al. 1998 (``Var = 1/fan_in``), Glorot and Bengio 2010 (``2/(fan_in+fan_out)``;
their "standard" init ``U(+-1/sqrt(fan_in))``), He et al. 2015 (``2/fan_in`` for ReLU),
Saxe et al. 2014 (orthogonal).

Shapes: a dense kernel is ``(n_in, n_out)`` (``Z = X @ W``); a conv kernel in Keras layout is
``(*k, in, out)``. ``layout="out_in"`` reads shapes the PyTorch way, ``(out, in, *k)``.
Every scheme has the signature ``f(shape, rng, dtype=float64, **params) -> ndarray``.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from initlab._checks import check_choice, check_positive, check_rng, check_shape

Initializer = Callable[..., np.ndarray]

#: std of a standard normal truncated to [-2, 2]; Keras and JAX divide by it so that a
#: "truncated_normal" variance-scaling draw really has variance scale / n.
TRUNCATED_NORMAL_STD = 0.87962566103423978

LAYOUTS = ("in_out", "out_in")
MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "normal", "uniform")

_REGISTRY: dict[str, Initializer] = {}


def scheme(fn: Initializer) -> Initializer:
    """Register ``fn`` under its own name (the registry is derived from the code)."""
    _REGISTRY[fn.__name__] = fn
    return fn


# ---------------------------------------------------------------------------------- fans, gains


def compute_fans(shape: tuple[int, ...] | int, layout: str = "in_out") -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight of ``shape``.

    ``layout="in_out"`` (Keras ``compute_fans``): 0-D -> (1, 1); 1-D ``(n,)`` -> (n, n);
    2-D ``(n_in, n_out)``; N-D ``(*k, in, out)`` -> ``fan_in = in * prod(k)``,
    ``fan_out = out * prod(k)`` (the receptive field is the product of the leading dims).
    ``layout="out_in"`` (PyTorch ``_calculate_fan_in_and_fan_out``): ``(out, in, *k)`` ->
    ``fan_in = in * prod(k)``, ``fan_out = out * prod(k)``; needs at least 2 dims.
    """
    check_choice(layout, "layout", LAYOUTS)
    shape = check_shape(shape)  # () stays (), a scalar
    if layout == "out_in":
        if len(shape) < 2:
            raise ValueError(
                f"layout='out_in' (PyTorch) needs a shape with at least 2 dims, got {shape!r}"
            )
        receptive = math.prod(shape[2:])
        return shape[1] * receptive, shape[0] * receptive
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _leaky_relu_gain(param: float | None) -> float:
    slope = 0.01 if param is None else param
    if isinstance(slope, bool) or not isinstance(slope, int | float):
        raise ValueError(f"negative_slope {param!r} is not a valid number")
    return math.sqrt(2.0 / (1.0 + slope**2))


_GAINS: dict[str, Callable[[float | None], float]] = {
    "linear": lambda _: 1.0,
    "identity": lambda _: 1.0,
    "conv1d": lambda _: 1.0,
    "conv2d": lambda _: 1.0,
    "conv3d": lambda _: 1.0,
    "sigmoid": lambda _: 1.0,
    "tanh": lambda _: 5.0 / 3.0,
    "relu": lambda _: math.sqrt(2.0),
    "leaky_relu": _leaky_relu_gain,
    "selu": lambda _: 3.0 / 4.0,
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Return PyTorch's recommended gain for ``nonlinearity`` (``torch.nn.init.calculate_gain``).

    linear/identity/conv: 1; sigmoid: 1; tanh: 5/3; relu: sqrt(2);
    leaky_relu: sqrt(2 / (1 + a^2)) with a = ``param`` (0.01 if None); selu: 3/4.
    A layer then uses ``std = gain / sqrt(fan)``.
    """
    check_choice(nonlinearity, "nonlinearity", _GAINS)
    return _GAINS[nonlinearity](param)


# ---------------------------------------------------------------------------------- raw draws


def _truncated_standard_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Standard normal draws with every value outside [-2, 2] re-drawn (std 0.8796)."""
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out


def _start(shape: object, rng: object) -> tuple[int, ...]:
    check_rng(rng)
    return check_shape(shape)


def _check_finite_number(value: object, name: str) -> float:
    """A mean, bound or constant must be a finite real number (no silent NaN/inf weights)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a finite number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be a finite number, got {value!r}")
    return float(value)


# ---------------------------------------------------------------------------------- the core


@scheme
def variance_scaling(
    shape: tuple[int, ...],
    rng: np.random.Generator,
    dtype: np.dtype | type = np.float64,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
    layout: str = "in_out",
) -> np.ndarray:
    """Draw weights with ``Var(w) = scale / n`` (Keras ``VarianceScaling``).

    ``n`` is ``fan_in``, ``fan_out`` or ``(fan_in + fan_out) / 2`` per ``mode``.
    - ``"truncated_normal"``: ``std = sqrt(scale / n) / 0.87962566``, values beyond 2 std
      re-drawn, so the realised variance is ``scale / n``;
    - ``"untruncated_normal"`` (alias ``"normal"``): ``std = sqrt(scale / n)``;
    - ``"uniform"``: ``U(-limit, limit)`` with ``limit = sqrt(3 * scale / n)``.
    """
    shape = _start(shape, rng)
    check_positive(scale, "scale")
    check_choice(mode, "mode", MODES)
    check_choice(distribution, "distribution", DISTRIBUTIONS)
    fan_in, fan_out = compute_fans(shape, layout)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
    if distribution == "truncated_normal":
        std = math.sqrt(scale / n) / TRUNCATED_NORMAL_STD
        return (std * _truncated_standard_normal(shape, rng)).astype(dtype, copy=False)
    if distribution in ("untruncated_normal", "normal"):
        std = math.sqrt(scale / n)
        return (std * rng.standard_normal(shape)).astype(dtype, copy=False)
    limit = math.sqrt(3.0 * scale / n)
    return rng.uniform(-limit, limit, size=shape).astype(dtype, copy=False)


# ---------------------------------------------------------------------------------- constants


@scheme
def constant(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64,
             value: float = 0.0) -> np.ndarray:
    """Every weight equal to ``value`` (no randomness; ``rng`` checked for a uniform API)."""
    shape = _start(shape, rng)
    _check_finite_number(value, "value")
    return np.full(shape, value, dtype=dtype)


@scheme
def zeros(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """All weights 0: every hidden unit computes the same function (no symmetry breaking)."""
    return constant(shape, rng, dtype, value=0.0)


@scheme
def ones(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """All weights 1."""
    return constant(shape, rng, dtype, value=1.0)


# ---------------------------------------------------------------------------------- plain draws


@scheme
def random_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64,
                  mean: float = 0.0, stddev: float = 0.05) -> np.ndarray:
    """``N(mean, stddev^2)`` (Keras ``RandomNormal``). ``stddev=0.01`` is the classic
    ``0.01 * randn`` of the sources."""
    shape = _start(shape, rng)
    check_positive(stddev, "stddev")
    _check_finite_number(mean, "mean")
    return (mean + stddev * rng.standard_normal(shape)).astype(dtype, copy=False)


@scheme
def random_uniform(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64,
                   minval: float = -0.05, maxval: float = 0.05) -> np.ndarray:
    """``U(minval, maxval)`` (Keras ``RandomUniform``); mean ``(a+b)/2``, std ``(b-a)/sqrt(12)``.
    ``minval=0, maxval=0.1`` is the sources' "small random values in [0.0, 0.1]"."""
    shape = _start(shape, rng)
    _check_finite_number(minval, "minval")
    _check_finite_number(maxval, "maxval")
    if not minval < maxval:
        raise ValueError(f"`minval` must be < `maxval`, got minval={minval!r}, maxval={maxval!r}")
    return rng.uniform(minval, maxval, size=shape).astype(dtype, copy=False)


@scheme
def truncated_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64,
                     mean: float = 0.0, stddev: float = 0.05) -> np.ndarray:
    """Normal re-drawn beyond 2 ``stddev`` (Keras ``TruncatedNormal``).

    Keras semantics: ``stddev`` is the std *before* truncation, so the realised std is
    ``0.8796 * stddev`` (variance 0.774x). Use :func:`variance_scaling` for a corrected draw.
    """
    shape = _start(shape, rng)
    check_positive(stddev, "stddev")
    _check_finite_number(mean, "mean")
    return (mean + stddev * _truncated_standard_normal(shape, rng)).astype(dtype, copy=False)


# ---------------------------------------------------------------------------------- named schemes


def _named(name: str, scale: float, mode: str, distribution: str, doc: str) -> Initializer:
    """Build and register a thin scheme that only fixes :func:`variance_scaling`'s arguments."""

    def init(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64,
             layout: str = "in_out") -> np.ndarray:
        return variance_scaling(shape, rng, dtype, scale=scale, mode=mode,
                                distribution=distribution, layout=layout)

    init.__name__ = init.__qualname__ = name
    init.__doc__ = (f"{doc}\n\nSame as ``variance_scaling(scale={scale}, mode={mode!r}, "
                    f"distribution={distribution!r})``.")
    return scheme(init)


glorot_uniform = _named("glorot_uniform", 1.0, "fan_avg", "uniform",
                        "Glorot & Bengio 2010 normalized init: U(+-sqrt(6 / (fan_in + fan_out))).")
glorot_normal = _named("glorot_normal", 1.0, "fan_avg", "truncated_normal",
                       "Glorot normal: truncated normal with Var = 2 / (fan_in + fan_out).")
he_uniform = _named("he_uniform", 2.0, "fan_in", "uniform",
                    "He et al. 2015 for ReLU: U(+-sqrt(6 / fan_in)), Var = 2 / fan_in.")
he_normal = _named("he_normal", 2.0, "fan_in", "truncated_normal",
                   "He et al. 2015 for ReLU: truncated normal with Var = 2 / fan_in.")
lecun_uniform = _named("lecun_uniform", 1.0, "fan_in", "uniform",
                       "LeCun et al. 1998: U(+-sqrt(3 / fan_in)), Var = 1 / fan_in.")
lecun_normal = _named("lecun_normal", 1.0, "fan_in", "truncated_normal",
                      "LeCun et al. 1998 (and SELU's init): truncated normal, Var = 1 / fan_in.")


@scheme
def glorot_standard(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64,
                    layout: str = "in_out") -> np.ndarray:
    """Glorot & Bengio 2010's "standard" heuristic ``U(+-1/sqrt(fan_in))``, Var = 1/(3 fan_in).

    This is also PyTorch's default ``nn.Linear`` weight init, ``kaiming_uniform_(a=sqrt(5))``:
    gain = sqrt(2 / (1 + 5)) = 1/sqrt(3), bound = sqrt(3) * gain / sqrt(fan_in) = 1/sqrt(fan_in).
    The sources call this range "Xavier"; it is the init Glorot & Bengio showed shrinks with depth.
    """
    return kaiming_uniform(shape, rng, dtype, a=math.sqrt(5.0), layout=layout)


def _kaiming_std(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str,
                 layout: str) -> float:
    check_choice(mode, "mode", ("fan_in", "fan_out"))
    fan_in, fan_out = compute_fans(shape, layout)
    fan = fan_in if mode == "fan_in" else fan_out
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


@scheme
def kaiming_uniform(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64,
                    a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    layout: str = "in_out") -> np.ndarray:
    """PyTorch ``kaiming_uniform_``: ``std = gain / sqrt(fan)``, ``U(+-sqrt(3) * std)``.

    ``gain = calculate_gain(nonlinearity, a)``. Defaults as PyTorch (a=0, leaky_relu: the ReLU
    gain sqrt(2)), but shapes are read as ``layout`` ("in_out" by default, our convention).
    """
    shape = _start(shape, rng)
    std = _kaiming_std(shape, a, mode, nonlinearity, layout)
    bound = math.sqrt(3.0) * std  # uniform with this bound has standard deviation `std`
    return rng.uniform(-bound, bound, size=shape).astype(dtype, copy=False)


@scheme
def kaiming_normal(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64,
                   a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                   layout: str = "in_out") -> np.ndarray:
    """PyTorch ``kaiming_normal_``: untruncated ``N(0, std^2)``, ``std = gain / sqrt(fan)``."""
    shape = _start(shape, rng)
    std = _kaiming_std(shape, a, mode, nonlinearity, layout)
    return (std * rng.standard_normal(shape)).astype(dtype, copy=False)


# ---------------------------------------------------------------------------------- structured


@scheme
def identity(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64,
             gain: float = 1.0) -> np.ndarray:
    """``gain * I`` for a 2-D ``(n_in, n_out)`` weight (rectangular: ones on the diagonal)."""
    shape = _start(shape, rng)
    if len(shape) != 2:
        raise ValueError(f"identity initializer needs a 2-D shape, got {shape!r}")
    check_positive(gain, "gain")
    return (gain * np.eye(*shape)).astype(dtype, copy=False)


@scheme
def orthogonal(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64,
               gain: float = 1.0) -> np.ndarray:
    """A random orthogonal matrix times ``gain`` (Saxe et al. 2014; Keras ``Orthogonal``).

    The shape is flattened to ``(prod(shape[:-1]), shape[-1])``; a Gaussian matrix of the
    taller orientation is QR-factorised and ``Q`` multiplied by ``sign(diag(R))`` so the
    result is Haar-distributed. Rows or columns (whichever are fewer) are orthonormal:
    ``W.T @ W = gain^2 I`` when ``n_in >= n_out``, ``W @ W.T = gain^2 I`` otherwise.
    """
    shape = _start(shape, rng)
    if len(shape) < 2:
        raise ValueError(f"orthogonal initializer needs a shape of rank >= 2, got {shape!r}")
    check_positive(gain, "gain")
    rows, cols = math.prod(shape[:-1]), shape[-1]
    A = rng.standard_normal((max(rows, cols), min(rows, cols)))
    Q, R = np.linalg.qr(A)
    Q *= np.sign(np.diag(R))  # make the decomposition unique: Haar measure
    if rows < cols:
        Q = Q.T
    return (gain * Q).reshape(shape).astype(dtype, copy=False)


# ---------------------------------------------------------------------------------- registry


def available() -> list[str]:
    """Names accepted by :func:`get`, sorted."""
    return sorted(_REGISTRY)


def get(name: str | Initializer, **params: Any) -> Initializer:
    """Return the initializer ``name`` with ``params`` bound: a callable ``(shape, rng, dtype)``.

    ``get("he_normal")``, ``get("random_normal", stddev=0.01)``,
    ``get("random_uniform", minval=0.0, maxval=0.1)``. A callable is returned as is
    (with ``params`` bound). Unknown names raise ValueError listing the valid ones.
    """
    if callable(name):
        return functools.partial(name, **params) if params else name
    if name not in _REGISTRY:
        raise ValueError(f"Unknown initializer {name!r}. Available: {available()}")
    fn = _REGISTRY[name]
    if not params:
        return fn
    bound = functools.partial(fn, **params)
    functools.update_wrapper(bound, fn)
    return bound
