"""The finite-difference helper against closed forms (it is every backward test's reference)."""

from __future__ import annotations

import numpy as np
from gradcheck import central_difference


def test_central_difference_of_a_cubic_and_of_a_vector_function():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    before = x.copy()
    h = 1e-5
    # d/dx sum(x^3) = 3 x^2; central error h^2 f'''/6 = h^2 (f''' = 6), plus rounding ~1e-16 / h
    assert np.abs(central_difference(lambda: float(np.sum(x ** 3)), x, h)
                  - 3 * x ** 2).max() < h ** 2 + 1e-9
    assert np.array_equal(x, before)  # every entry restored
    A = rng.standard_normal((2, 3))
    # f(x) = A @ x[:, 0] (a vector of 2): d f_j / d x[i, k] = A[j, i] if k == 0 else 0
    jac = central_difference(lambda: A @ x[:, 0], x, h)
    expected = np.zeros((3, 4, 2))
    expected[:, 0, :] = A.T
    assert jac.shape == (3, 4, 2) and np.abs(jac - expected).max() < 1e-9
