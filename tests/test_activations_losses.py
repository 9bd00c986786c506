"""Tests of initlab.activations and initlab.losses against closed forms and finite differences.

Values: each activation and loss is compared with its textbook formula written out here
(naive but exact on moderate inputs). Derivatives: central differences
``(f(x + h) - f(x - h)) / 2h`` in float64, whose error is O(h^2 f''') + O(eps / h),
about 1e-10 for h = 1e-6, so a relative error above 1e-6 means a wrong formula.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from gradcheck import central_difference

from initlab import activations, losses
from initlab.initializers import calculate_gain

H = 1e-6
SELU_LAMBDA = 1.0507009873554805  # Klambauer et al. 2017, eq. 14
SELU_ALPHA = 1.6732632423543772


def rel_err(a, b) -> float:
    """``||a - b|| / max(||a|| + ||b||, 1e-12)``: a finite difference's absolute error is
    ~eps / h = 1e-10 for every entry, so it is judged against the size of the whole array."""
    a, b = np.ravel(a).astype(float), np.ravel(b).astype(float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def _sig(z):
    return 1 / (1 + np.exp(-z))


REFERENCE = {
    "identity": lambda z: z,
    "linear": lambda z: z,
    "sigmoid": _sig,
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1),
    "selu": lambda z: SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * (np.exp(z) - 1)),
    "sine": lambda z: np.sin(z),
    "erf": lambda z: np.array([math.erf(v) for v in np.ravel(z)]).reshape(np.shape(z)),
}


DERIVATIVE = {  # closed forms, elementwise, away from 0
    "identity": lambda z: np.ones_like(z),
    "linear": lambda z: np.ones_like(z),
    "sigmoid": lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2,
    "tanh": lambda z: 1 / np.cosh(z) ** 2,
    "relu": lambda z: np.where(z > 0, 1.0, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, 1.0, 0.01),
    "elu": lambda z: np.where(z > 0, 1.0, np.exp(z)),
    "selu": lambda z: SELU_LAMBDA * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(z)),
    "sine": lambda z: np.cos(z),
    "erf": lambda z: 2 / math.sqrt(math.pi) * np.exp(-z * z),
}


def test_every_activation_has_a_reference():
    assert set(activations.available()) == set(REFERENCE) == set(DERIVATIVE)


def _grid() -> np.ndarray:
    """Points in [-6, 6] at least 1e-3 away from the kink at 0."""
    z = np.random.default_rng(0).uniform(-6, 6, size=400)
    return z[np.abs(z) > 1e-3]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_value_matches_formula(name):
    z = _grid()
    act = activations.get(name)
    np.testing.assert_allclose(act(z), REFERENCE[name](z), rtol=1e-13, atol=1e-15)
    assert act.f(np.array([0.0]))[0] == pytest.approx(REFERENCE[name](np.array([0.0]))[0])


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_derivative_by_finite_differences(name):
    z = _grid()
    act = activations.get(name)
    numeric = (REFERENCE[name](z + H) - REFERENCE[name](z - H)) / (2 * H)
    analytic = act.df(z, act.f(z))
    assert rel_err(analytic, numeric) < 1e-6
    # elementwise against the closed form (1 - tanh^2 loses ~1e-12 relative when saturated)
    np.testing.assert_allclose(analytic, DERIVATIVE[name](z), rtol=1e-9, atol=0)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_second_derivative_by_finite_differences(name):
    # central differences of the closed-form first derivative written above (not act.df)
    z = _grid()
    act = activations.get(name)
    numeric = (DERIVATIVE[name](z + H) - DERIVATIVE[name](z - H)) / (2 * H)
    analytic = act.d2f(z, act.f(z))
    assert analytic.shape == z.shape
    assert rel_err(analytic, numeric) < 1e-6


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_homogeneous_flag_means_positive_homogeneity(name):
    # phi(a z) = a phi(z) for every a > 0: the property the theory's closed forms rely on
    z, act = _grid(), activations.get(name)
    holds = all(np.allclose(act.f(a * z), a * act.f(z), rtol=1e-12, atol=0)
                for a in (0.3, 2.0, 7.5))
    assert act.homogeneous == holds
    assert activations.get("leaky_relu", alpha=0.2).homogeneous


@pytest.mark.parametrize(("name", "params", "ref"), [
    ("leaky_relu", {"alpha": 0.2}, lambda z: np.where(z > 0, z, 0.2 * z)),
    ("leaky_relu", {"alpha": 0}, lambda z: np.where(z > 0, z, 0.0)),
    ("elu", {"alpha": 0.5}, lambda z: np.where(z > 0, z, 0.5 * (np.exp(z) - 1))),
])
def test_parametrised_activations(name, params, ref):
    z = _grid()
    act = activations.get(name, **params)
    np.testing.assert_allclose(act(z), ref(z), rtol=1e-13, atol=1e-15)
    numeric = (ref(z + H) - ref(z - H)) / (2 * H)
    assert rel_err(act.df(z, act.f(z)), numeric) < 1e-6


def test_leaky_relu_carries_its_gain():
    act = activations.get("leaky_relu", alpha=0.2)
    assert calculate_gain(act.gain_name, act.param) == pytest.approx(math.sqrt(2 / 1.04))
    assert calculate_gain(activations.get("relu").gain_name) == pytest.approx(math.sqrt(2))
    assert calculate_gain(activations.get("tanh").gain_name) == pytest.approx(5 / 3)


def test_selu_fixed_point():
    """Klambauer et al.: for z ~ N(0, 1), E[selu(z)] = 0 and E[selu(z)^2] = 1 (quadrature)."""
    z = np.linspace(-12, 12, 240_001)
    w = np.exp(-z * z / 2) / math.sqrt(2 * math.pi) * (z[1] - z[0])
    a = activations.get("selu")(z)
    assert abs(np.sum(w * a)) < 1e-6
    assert abs(np.sum(w * a * a) - 1) < 1e-6


def test_sigmoid_saturates_without_warnings():
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        act = activations.get("sigmoid")
        a = act(z)
        d = act.df(z, a)
    np.testing.assert_allclose(a, [0.0, math.exp(-50), 0.5, 1.0, 1.0], rtol=1e-12, atol=0)
    assert np.all(np.isfinite(d)) and d[2] == 0.25


# ------------------------------------------------------------------ losses


def naive_ce(logits, y):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return float(np.mean(-np.log(p[np.arange(len(y)), y])))


def naive_bce(z, y):
    p = _sig(z.ravel())
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def naive_mse(y_hat, y):
    return float(np.sum((y_hat - y) ** 2) / 2 / len(y_hat))


def numeric_grad(f, x: np.ndarray) -> np.ndarray:
    return central_difference(lambda: f(x), x, H)


def test_softmax_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(1)
    logits, y = rng.normal(0, 2, (7, 4)), rng.integers(0, 4, 7)
    value, grad = losses.softmax_cross_entropy(logits, y)
    assert value == pytest.approx(naive_ce(logits, y), rel=1e-13)
    assert rel_err(grad, numeric_grad(lambda Z: naive_ce(Z, y), logits.copy())) < 1e-6
    # the closed form (softmax - onehot) / batch, and uniform logits give log(K)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad, (p - np.eye(4)[y]) / 7, rtol=1e-12, atol=1e-15)
    assert losses.softmax_cross_entropy(np.zeros((3, 5)), np.array([0, 2, 4]))[0] == \
        pytest.approx(math.log(5), rel=1e-15)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = losses.softmax_cross_entropy(logits, np.array([2, 1]))
    assert value == pytest.approx(2000.0 / 2, rel=1e-12)  # example 1: loss 2000, example 2: ~0
    assert np.all(np.isfinite(grad))
    # float labels with integer values are accepted
    assert losses.softmax_cross_entropy(logits, np.array([2.0, 1.0]))[0] == value


@pytest.mark.parametrize("label_shape", [(6,), (6, 1)])
def test_binary_cross_entropy_value_and_gradient(label_shape):
    rng = np.random.default_rng(2)
    z, y = rng.normal(0, 3, (6, 1)), rng.integers(0, 2, 6).astype(float)
    value, grad = losses.binary_cross_entropy(z, y.reshape(label_shape))
    assert value == pytest.approx(naive_bce(z, y), rel=1e-12)
    assert grad.shape == z.shape
    assert rel_err(grad, numeric_grad(lambda Z: naive_bce(Z, y), z.copy())) < 1e-6
    np.testing.assert_allclose(grad.ravel(), (_sig(z.ravel()) - y) / 6, rtol=1e-12)


def test_binary_cross_entropy_is_stable_for_huge_logits():
    z = np.array([[800.0], [-800.0], [800.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = losses.binary_cross_entropy(z, np.array([0, 0, 1]))
    # wrong label on a logit of 800 costs 800; right labels cost ~0
    assert value == pytest.approx(800 / 3, rel=1e-12)
    np.testing.assert_allclose(grad.ravel(), [1 / 3, 0, 0], atol=1e-300)


def test_mean_squared_error_value_and_gradient():
    rng = np.random.default_rng(3)
    y_hat, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    value, grad = losses.mean_squared_error(y_hat, y)
    assert value == pytest.approx(naive_mse(y_hat, y), rel=1e-14)
    assert rel_err(grad, numeric_grad(lambda P: naive_mse(P, y), y_hat.copy())) < 1e-6
    # (n,) targets for a single output
    v1, g1 = losses.mean_squared_error(y_hat[:, :1], y[:, 0])
    assert v1 == pytest.approx(naive_mse(y_hat[:, :1], y[:, :1]), rel=1e-14)
    assert g1.shape == (5, 1)


def test_loss_registry():
    assert losses.get("softmax_cross_entropy") is losses.softmax_cross_entropy
    assert losses.get("binary_cross_entropy") is losses.binary_cross_entropy
    assert losses.get("mean_squared_error") is losses.mean_squared_error
    assert losses.get(naive_mse) is naive_mse
