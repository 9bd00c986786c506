"""Tests of initlab.initializers against closed forms and sampling theory.

Every expected mean, std and bound is written out in this file from the paper's formula
(LeCun 1998, Glorot & Bengio 2010, He et al. 2015, Saxe et al. 2014, PyTorch's gains), never
read back from the library. Moment tolerances are K standard errors for the sample size:

    SE(mean) = sigma / sqrt(n)
    SE(s^2)  = sqrt((mu4 - sigma^4) / n)        (any distribution)
             = sigma^2 sqrt(2 / n)               (normal: mu4 = 3 sigma^4)
             = a^2 sqrt(4 / 45) / sqrt(n)        (uniform on [-a, a]: sigma^2 = a^2/3, mu4 = a^4/5)

and for the standard normal truncated to [-c, c] the moments come from the recurrence
``m_k = (k - 1) m_{k-2} - 2 c^(k-1) phi(c) / (2 Phi(c) - 1)`` (integration by parts).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import initializers as init

K = 4.5  # standard errors allowed; with ~60 moment checks the false-alarm rate is ~1e-4
SHAPE = (200, 300)  # fan_in = 200, fan_out = 300, n = 60,000 draws
FAN_IN, FAN_OUT = 200, 300
FAN_AVG = (FAN_IN + FAN_OUT) / 2


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# ------------------------------------------------------------------ reference distributions


def _phi(c: float) -> float:
    return math.exp(-c * c / 2) / math.sqrt(2 * math.pi)


def _truncated_moments(c: float = 2.0) -> tuple[float, float]:
    """(E[x^2], E[x^4]) of a standard normal truncated to [-c, c]."""
    mass = math.erf(c / math.sqrt(2))  # 2 Phi(c) - 1
    m2 = 1 - 2 * c * _phi(c) / mass
    m4 = 3 * m2 - 2 * c**3 * _phi(c) / mass
    return m2, m4


TRUNC_M2, TRUNC_M4 = _truncated_moments(2.0)
TRUNC_STD = math.sqrt(TRUNC_M2)  # 0.8796256610342398


def _reference(kind: str, std: float, mean: float = 0.0) -> dict:
    """Expected (mean, var, SE(var), bound) of n draws: kind is normal / trunc / uniform.

    For "trunc", ``std`` is the *realised* std; the pre-truncation std is std / TRUNC_STD
    and the bound is 2 pre-truncation stds.
    """
    var = std**2
    if kind == "normal":
        mu4, bound = 3 * var**2, None
    elif kind == "uniform":
        a = math.sqrt(3) * std
        mu4, bound = a**4 / 5, a
    elif kind == "trunc":
        pre = std / TRUNC_STD
        mu4, bound = TRUNC_M4 * pre**4, 2 * pre
    else:
        raise AssertionError(kind)
    return {"mean": mean, "var": var, "mu4": mu4, "bound": bound, "kind": kind}


def assert_distribution(w: np.ndarray, ref: dict) -> None:
    """Mean and variance within K standard errors; support and extremes as the kind implies."""
    n = w.size
    sigma = math.sqrt(ref["var"])
    se_mean = sigma / math.sqrt(n)
    se_var = math.sqrt((ref["mu4"] - ref["var"] ** 2) / n)
    assert abs(w.mean() - ref["mean"]) < K * se_mean, (w.mean(), ref)
    assert abs(w.var() - ref["var"]) < K * se_var, (w.var(), ref["var"], se_var)
    dev = np.abs(w - ref["mean"])
    if ref["bound"] is not None:
        assert dev.max() <= ref["bound"] * (1 + 1e-12), (dev.max(), ref["bound"])
        # the extremes reach the bound: P(no draw in the top 1%) = 0.99^n-ish ~ 0 for n=60,000
        # (truncated normal: P(|x| > 1.99 c) ~ 1.1e-3 per draw, so P(none) ~ e^-68)
        assert dev.max() >= ref["bound"] * 0.99, (dev.max(), ref["bound"])
    else:
        # an untruncated normal: P(all 60,000 draws within 3 sigma) = 0.9973^60000 ~ e^-162
        assert dev.max() > 3 * sigma, "looks truncated"


# ------------------------------------------------------------------ fans and gains


@pytest.mark.parametrize(
    ("shape", "layout", "fans"),
    [
        ((3, 3, 16, 32), "in_out", (144, 288)),   # Keras conv kernel (kh, kw, in, out)
        ((32, 16, 3, 3), "out_in", (144, 288)),   # PyTorch conv weight (out, in, kh, kw)
        ((5, 7), "in_out", (5, 7)),
        ((5, 7), "out_in", (7, 5)),
        ((4, 16, 32), "in_out", (64, 128)),       # conv1d (k, in, out)
        ((32, 16, 4), "out_in", (64, 128)),
        ((9,), "in_out", (9, 9)),                 # 1-D: Keras uses the length for both
        ((), "in_out", (1, 1)),                   # 0-D: a scalar
    ],
)
def test_compute_fans(shape, layout, fans):
    assert init.compute_fans(shape, layout) == fans


def test_compute_fans_int_is_1d_and_arrays_are_shapes():
    assert init.compute_fans(6) == (6, 6)
    assert init.compute_fans(np.array([3, 4])) == (3, 4)
    assert init.compute_fans([3, 3, 16, 32]) == (144, 288)


@pytest.mark.parametrize(
    ("nonlinearity", "param", "gain"),
    [
        ("linear", None, 1.0),
        ("identity", None, 1.0),
        ("conv2d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, 2**0.5),
        ("leaky_relu", None, (2 / (1 + 0.01**2)) ** 0.5),  # PyTorch's default slope 0.01
        ("leaky_relu", 0.2, (2 / 1.04) ** 0.5),
        ("leaky_relu", 0, 2**0.5),
        ("leaky_relu", 5**0.5, 3**-0.5),                   # a = sqrt(5): gain 1/sqrt(3)
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain(nonlinearity, param, gain):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-14)


def test_truncation_constant_is_the_truncated_normal_std():
    # Keras/JAX's magic number is the std of N(0, 1) truncated to [-2, 2]
    assert init.TRUNCATED_NORMAL_STD == pytest.approx(TRUNC_STD, rel=1e-14)
    assert TRUNC_M2 == pytest.approx(0.7737413, abs=1e-6)  # the "0.774x" of keras#8048


# ------------------------------------------------------------------ sample moments, every scheme

CASES = [
    # (name, params, (kind, realised std, mean))
    ("random_normal", {"stddev": 0.01}, ("normal", 0.01, 0.0)),
    ("random_normal", {"mean": 0.5, "stddev": 0.2}, ("normal", 0.2, 0.5)),
    ("random_uniform", {"minval": 0.0, "maxval": 0.1}, ("uniform", 0.1 / 12**0.5, 0.05)),
    ("random_uniform", {}, ("uniform", 0.1 / 12**0.5, 0.0)),  # Keras default U(-0.05, 0.05)
    ("truncated_normal", {"stddev": 0.05}, ("trunc", 0.05 * TRUNC_STD, 0.0)),
    ("truncated_normal", {"mean": -1.0, "stddev": 0.3}, ("trunc", 0.3 * TRUNC_STD, -1.0)),
    ("variance_scaling", {}, ("trunc", (1 / FAN_IN) ** 0.5, 0.0)),
    ("variance_scaling", {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
     ("trunc", (2 / FAN_OUT) ** 0.5, 0.0)),
    ("variance_scaling", {"scale": 3.0, "mode": "fan_avg", "distribution": "untruncated_normal"},
     ("normal", (3 / FAN_AVG) ** 0.5, 0.0)),
    ("variance_scaling", {"scale": 0.5, "mode": "fan_in", "distribution": "normal"},
     ("normal", (0.5 / FAN_IN) ** 0.5, 0.0)),
    ("variance_scaling", {"scale": 2.0, "mode": "fan_avg", "distribution": "uniform"},
     ("uniform", (2 / FAN_AVG) ** 0.5, 0.0)),
    ("glorot_uniform", {}, ("uniform", (2 / (FAN_IN + FAN_OUT)) ** 0.5, 0.0)),
    ("glorot_normal", {}, ("trunc", (2 / (FAN_IN + FAN_OUT)) ** 0.5, 0.0)),
    ("he_uniform", {}, ("uniform", (2 / FAN_IN) ** 0.5, 0.0)),
    ("he_normal", {}, ("trunc", (2 / FAN_IN) ** 0.5, 0.0)),
    ("lecun_uniform", {}, ("uniform", (1 / FAN_IN) ** 0.5, 0.0)),
    ("lecun_normal", {}, ("trunc", (1 / FAN_IN) ** 0.5, 0.0)),
    ("glorot_standard", {}, ("uniform", (1 / (3 * FAN_IN)) ** 0.5, 0.0)),  # U(+-1/sqrt(fan_in))
    ("kaiming_uniform", {}, ("uniform", (2 / FAN_IN) ** 0.5, 0.0)),
    ("kaiming_uniform", {"mode": "fan_out", "nonlinearity": "tanh"},
     ("uniform", 5 / 3 / FAN_OUT**0.5, 0.0)),
    ("kaiming_normal", {}, ("normal", (2 / FAN_IN) ** 0.5, 0.0)),
    ("kaiming_normal", {"a": 0.2}, ("normal", (2 / 1.04 / FAN_IN) ** 0.5, 0.0)),
    ("kaiming_normal", {"nonlinearity": "selu", "mode": "fan_out"},
     ("normal", 0.75 / FAN_OUT**0.5, 0.0)),
]


@pytest.mark.parametrize(("name", "params", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_sample_moments_and_bounds(name, params, expected):
    kind, std, mean = expected
    w = init.get(name, **params)(SHAPE, rng(1))
    assert w.shape == SHAPE and w.dtype == np.float64
    assert_distribution(w, _reference(kind, std, mean))


@pytest.mark.parametrize("layout", ["in_out", "out_in"])
@pytest.mark.parametrize(("name", "kind"), [("he_normal", "trunc"), ("kaiming_normal", "normal"),
                                            ("glorot_uniform", "uniform")])
def test_conv_kernels_use_the_receptive_field(name, kind, layout):
    # 3x3 kernels, 16 -> 32 channels: fan_in = 144, fan_out = 288 in both layouts
    shape = (3, 3, 16, 32) if layout == "in_out" else (32, 16, 3, 3)
    var = {"he_normal": 2 / 144, "kaiming_normal": 2 / 144, "glorot_uniform": 2 / (144 + 288)}
    w = init.get(name)(shape, rng(2), layout=layout)
    assert w.shape == shape
    assert_distribution(w, _reference(kind, var[name] ** 0.5))


def test_truncated_normal_realised_std_is_0_88_of_stddev():
    # Keras semantics: stddev is the std before truncation; |w| <= 2 stddev
    w = init.truncated_normal((400, 400), rng(3), stddev=1.0)
    assert np.abs(w).max() <= 2.0
    se_std = math.sqrt((TRUNC_M4 - TRUNC_M2**2) / w.size) / (2 * TRUNC_STD)  # delta method
    assert abs(w.std() - 0.8796) < K * se_std + 5e-5
    assert abs(w.std() - 1.0) > 0.1  # not the untruncated std


def test_variance_scaling_truncated_realised_variance_is_scale_over_n():
    scale, n = 2.0, 250
    w = init.variance_scaling((n, 240), rng(4), scale=scale, mode="fan_in")
    var = scale / n
    se_var = math.sqrt((TRUNC_M4 / TRUNC_M2**2 - 1) * var**2 / w.size)
    assert abs(w.var() - var) < K * se_var
    assert np.abs(w).max() <= 2 * math.sqrt(var) / TRUNC_STD


def test_float32_dtype():
    for name in ["he_normal", "glorot_uniform", "orthogonal", "kaiming_normal", "zeros"]:
        assert init.get(name)((8, 4), rng(), np.float32).dtype == np.float32


# ------------------------------------------------------------------ the sources' 1000 draws


@pytest.mark.parametrize("how", ["random_uniform", "glorot_standard"])
def test_sources_1000_draws_of_u_pm_1_over_sqrt_10(how):
    """The sources: 10 inputs, 1000 draws, bounds about +-0.316, mean ~0, std ~0.18."""
    a = 1 / math.sqrt(10)  # 0.31623
    if how == "random_uniform":
        w = init.get("random_uniform", minval=-a, maxval=a)((1000,), rng(5))
    else:
        w = init.glorot_standard((10, 100), rng(5))  # fan_in = 10, 1000 draws
    assert w.size == 1000
    assert np.all(np.abs(w) <= 0.3163)
    # extremes within 0.01 of the bound: P(failure) = 2 (1 - 0.01/0.316)^1000 ~ 3e-14
    assert w.max() >= a - 0.01 and w.min() <= -a + 0.01
    sigma = a / math.sqrt(3)  # 0.1826
    assert abs(w.mean()) < 4 * sigma / math.sqrt(1000)
    se_std = a * math.sqrt(4 / 45) / math.sqrt(1000) / (2 * sigma)  # SE(s^2) / (2 sigma)
    assert abs(w.std() - 0.3162 / math.sqrt(3)) < 4 * se_std
    assert round(float(w.std()), 2) in (0.18, 0.19)


def test_glorot_standard_is_pytorch_default_linear_init():
    # equals kaiming_uniform(a=sqrt(5)) bit for bit and U(+-1/sqrt(fan_in)) from the same seed
    shape = (37, 11)
    w = init.glorot_standard(shape, rng(6))
    assert np.array_equal(w, init.kaiming_uniform(shape, rng(6), a=math.sqrt(5)))
    independent = rng(6).uniform(-1 / math.sqrt(37), 1 / math.sqrt(37), size=shape)
    np.testing.assert_allclose(w, independent, rtol=1e-14, atol=0)


# ------------------------------------------------------------------ structured initializers


@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_tall_and_wide(gain):
    tall = init.orthogonal((50, 20), rng(7), gain=gain)
    np.testing.assert_allclose(tall.T @ tall, gain**2 * np.eye(20), atol=1e-12)
    wide = init.orthogonal((20, 50), rng(7), gain=gain)
    np.testing.assert_allclose(wide @ wide.T, gain**2 * np.eye(20), atol=1e-12)
    square = init.orthogonal((30, 30), rng(8), gain=gain)
    np.testing.assert_allclose(square.T @ square, gain**2 * np.eye(30), atol=1e-12)
    np.testing.assert_allclose(square @ square.T, gain**2 * np.eye(30), atol=1e-12)


def test_orthogonal_conv_kernels_are_flattened():
    w = init.orthogonal((3, 3, 8, 16), rng(9))  # flattened (72, 16): tall
    flat = w.reshape(72, 16)
    np.testing.assert_allclose(flat.T @ flat, np.eye(16), atol=1e-12)
    w = init.orthogonal((2, 2, 4, 64), rng(9))  # flattened (16, 64): wide
    flat = w.reshape(16, 64)
    np.testing.assert_allclose(flat @ flat.T, np.eye(16), atol=1e-12)


def test_orthogonal_is_random_and_unbiased():
    # Haar measure: E[W] = 0 and each entry of an n x n Haar matrix has variance 1/n
    n, reps = 8, 400
    draws = np.stack([init.orthogonal((n, n), rng(s)) for s in range(reps)])
    assert not np.allclose(draws[0], draws[1])
    se_mean = (1 / n) ** 0.5 / reps**0.5  # per entry
    assert np.abs(draws.mean(axis=0)).max() < 5 * se_mean
    # the diagonal is not biased positive (a QR without the sign fix gives E[W_ii] > 0)
    assert abs(np.mean(np.diagonal(draws, axis1=1, axis2=2))) < 4 * se_mean / n**0.5


def test_identity_square_and_rectangular():
    np.testing.assert_array_equal(init.identity((4, 4), rng()), np.eye(4))
    expected = np.zeros((3, 5))
    expected[[0, 1, 2], [0, 1, 2]] = 2.0
    np.testing.assert_array_equal(init.identity((3, 5), rng(), gain=2.0), expected)
    np.testing.assert_array_equal(init.identity((5, 3), rng(), gain=2.0), expected.T)


def test_constants():
    np.testing.assert_array_equal(init.zeros((2, 3), rng()), np.zeros((2, 3)))
    np.testing.assert_array_equal(init.ones((2, 3), rng()), np.ones((2, 3)))
    np.testing.assert_array_equal(init.get("constant", value=0.3)((4,), rng()), np.full(4, 0.3))


# ------------------------------------------------------------------ reproducibility and registry

RANDOM = [n for n in init.available() if n not in ("zeros", "ones", "constant", "identity")]


@pytest.mark.parametrize("name", init.available())
def test_same_seed_same_bits(name):
    f = init.get(name)
    assert np.array_equal(f((6, 5), rng(11)), f((6, 5), rng(11)))


@pytest.mark.parametrize("name", RANDOM)
def test_different_seed_or_second_call_differs(name):
    f = init.get(name)
    a = f((6, 5), rng(11))
    assert not np.allclose(a, f((6, 5), rng(12)))
    g = rng(13)  # reusing one generator for two layers must give two different layers
    assert not np.allclose(f((6, 5), g), f((6, 5), g))


def test_available_has_keras_list_and_more():
    keras = {"random_normal", "random_uniform", "truncated_normal", "zeros", "ones",
             "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity",
             "orthogonal", "constant", "variance_scaling"}
    extra = {"lecun_normal", "lecun_uniform", "glorot_standard", "kaiming_uniform",
             "kaiming_normal"}
    names = init.available()
    assert keras | extra <= set(names)
    assert names == sorted(names)


def test_get_with_kwargs_sources_examples():
    small = init.get("random_normal", stddev=0.01)
    w = small((300, 200), rng(14))
    assert_distribution(w, _reference("normal", 0.01))
    assert small.__name__ == "random_normal"
    w = init.get("random_uniform", minval=0.0, maxval=0.1)((300, 200), rng(15))
    assert_distribution(w, _reference("uniform", 0.1 / 12**0.5, 0.05))
    assert w.min() >= 0.0 and w.max() < 0.1


def test_get_passes_callables_through():
    def mine(shape, rng, dtype=np.float64, value=3.0):
        return np.full(shape, value, dtype)

    assert init.get(mine) is mine
    np.testing.assert_array_equal(init.get(mine, value=7.0)((2,), rng()), [7.0, 7.0])
    assert init.get("he_normal") is init.he_normal
