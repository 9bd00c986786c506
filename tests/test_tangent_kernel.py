"""Tests of initlab.tangent_kernel against central finite differences of the network output.

Reference: every parameter is nudged by ``+-h`` and the output ``f_k(x_i)`` recomputed by
``MLP.forward`` (no backward involved); central differences in float64 with h = 1e-6 have error
~ eps/h + h^2 ~ 1e-10, so the bar is a relative error < 1e-6. ``X`` is redrawn until no ReLU
pre-activation is within 1e-3 of its kink.
"""

from __future__ import annotations

import numpy as np
import pytest
from gradcheck import central_difference

from initlab import tangent_kernel
from initlab.network import MLP

H = 1e-6


def _net(activation: str, seed: int = 0) -> tuple[MLP, np.ndarray]:
    rng = np.random.default_rng(seed)
    model = MLP((4, 6, 5, 2), rng, activation=activation,
                bias_init=lambda shape, rng, dtype: rng.normal(0, 0.5, shape).astype(dtype))
    for _ in range(100):
        X = rng.standard_normal((7, 4))
        model.forward(X)
        if all(np.abs(Z).min() > 1e-3 for Z in model.Z[:-1]):
            return model, X
    raise AssertionError("could not draw X away from the kinks")


def _fd_jacobian(model: MLP, X: np.ndarray, output: int) -> np.ndarray:
    def f() -> np.ndarray:
        return model.forward(X, keep=False)[:, output]

    # one column per parameter entry, in the order of model.parameters()
    return np.concatenate([central_difference(f, p, H).reshape(p.size, len(X)).T
                           for p in model.parameters()], axis=1)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("output", [0, 1])
def test_jacobian_and_kernel_match_finite_differences(activation, output):
    model, X = _net(activation)
    J_fd = _fd_jacobian(model, X, output)
    J = tangent_kernel.jacobian(model, X, output)
    assert J.shape == (7, model.n_parameters())
    assert np.linalg.norm(J - J_fd) / np.linalg.norm(J_fd) < 1e-6
    K = tangent_kernel.kernel(model, X, output)
    K_fd = J_fd @ J_fd.T
    assert np.linalg.norm(K - K_fd) / np.linalg.norm(K_fd) < 1e-6
    assert np.allclose(K, K.T) and np.linalg.eigvalsh(K).min() > -1e-9 * np.abs(K).max()


def test_relative_change_and_errors():
    model, X = _net("relu")
    K = tangent_kernel.kernel(model, X)
    assert tangent_kernel.relative_change(K, K) == 0.0
    assert tangent_kernel.relative_change(2 * K, K) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        tangent_kernel.relative_change(K[:3, :3], K)
    with pytest.raises(ValueError, match="output"):
        tangent_kernel.kernel(model, X, output=2)
    soft = MLP((4, 3, 1), np.random.default_rng(0), output_activation="sigmoid")
    with pytest.raises(ValueError, match="identity"):
        tangent_kernel.kernel(soft, X)
