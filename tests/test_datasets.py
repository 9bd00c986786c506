"""Tests of initlab.datasets: the checksummed digits file, the synthetic generators, splits.

References are independent of the code under test: hashlib for the checksum, closed forms
(radii of noiseless spirals and circles, the odd symmetry of a bias-free tanh teacher), and a
plain-numpy nearest-neighbour classifier for learnability. Every draw is seeded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from initlab import datasets

DIGITS_PATH = Path(__file__).resolve().parents[1] / "data" / "digits.npz"
DIGITS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # images of digits 0..9


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def one_nn_accuracy(X_train, y_train, X_test, y_test) -> float:
    """Accuracy of the 1-nearest-neighbour rule (squared Euclidean distance)."""
    D = ((X_test[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=-1)
    return float(np.mean(y_train[D.argmin(axis=1)] == y_test))


def nearest_mean_accuracy(X_train, y_train, X_test, y_test) -> float:
    """Accuracy of the nearest-class-mean rule, a linear classifier."""
    classes = np.unique(y_train)
    means = np.stack([X_train[y_train == c].mean(axis=0) for c in classes])
    D = ((X_test[:, None, :] - means[None, :, :]) ** 2).sum(axis=-1)
    return float(np.mean(classes[D.argmin(axis=1)] == y_test))


# ------------------------------------------------------------------------------------ digits


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    """A copy of data/ in tmp_path with INITLAB_DATA_DIR pointing at it."""
    shutil.copy(DIGITS_PATH, tmp_path / "digits.npz")
    monkeypatch.setenv("INITLAB_DATA_DIR", str(tmp_path))
    return tmp_path / "digits.npz"


def test_checksum_of_shipped_file_matches_constant():
    assert hashlib.sha256(DIGITS_PATH.read_bytes()).hexdigest() == datasets.DIGITS_SHA256


def test_default_data_dir_is_repo_data(monkeypatch):
    monkeypatch.delenv("INITLAB_DATA_DIR", raising=False)
    assert datasets.data_dir() == DIGITS_PATH.parent


def test_env_var_overrides_data_dir(data_copy):
    assert datasets.data_dir() == data_copy.parent
    X, y = datasets.digits(standardize=False)
    assert X.shape == (1797, 64)


def test_tampered_copy_raises_with_path_and_checksums(data_copy):
    raw = bytearray(data_copy.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # flip one byte in the middle of the compressed data
    data_copy.write_bytes(bytes(raw))
    actual = hashlib.sha256(bytes(raw)).hexdigest()
    with pytest.raises(ValueError, match="altered") as info:
        datasets.digits()
    message = str(info.value)
    assert str(data_copy) in message
    assert datasets.DIGITS_SHA256 in message and actual in message


def test_missing_file_raises_with_path(tmp_path, monkeypatch):
    monkeypatch.setenv("INITLAB_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError) as info:
        datasets.digits()
    assert str(tmp_path / "digits.npz") in str(info.value)
    assert "INITLAB_DATA_DIR" in str(info.value)


def test_digits_shapes_dtypes_values_and_classes():
    X, y = datasets.digits(standardize=False)
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert np.array_equal(X, np.round(X)) and X.min() == 0 and X.max() == 16
    assert np.bincount(y).tolist() == DIGITS_COUNTS
    # Three border pixels are blank in every image (the constant features).
    assert np.flatnonzero(X.max(axis=0) == X.min(axis=0)).tolist() == [0, 32, 39]


def test_digits_standardized_has_mean_0_std_1_and_constant_pixels_0():
    X_raw, _ = datasets.digits(standardize=False)
    X, _ = datasets.digits(standardize=True)
    constant = X_raw.max(axis=0) == X_raw.min(axis=0)
    assert np.all(np.isfinite(X))
    assert np.all(X[:, constant] == 0)
    np.testing.assert_allclose(X[:, ~constant].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X[:, ~constant].std(axis=0), 1, rtol=1e-12)
    # Standardising is affine per pixel: it must invert with the raw statistics.
    mean, std = X_raw[:, ~constant].mean(axis=0), X_raw[:, ~constant].std(axis=0)
    np.testing.assert_allclose(X[:, ~constant] * std + mean, X_raw[:, ~constant], atol=1e-12)


# ---------------------------------------------------------------------------- standardize


def test_standardize_uses_train_statistics_only():
    g = rng(1)
    X_train = g.normal(3.0, 2.0, size=(500, 4))
    X_test = g.normal(10.0, 5.0, size=(200, 4))  # a shifted test set must stay shifted
    Z_train, Z_test = datasets.standardize(X_train, X_test)
    np.testing.assert_allclose(Z_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z_train.std(axis=0), 1, rtol=1e-12)
    expected = (X_test - X_train.mean(axis=0)) / X_train.std(axis=0)
    np.testing.assert_allclose(Z_test, expected, rtol=1e-12)
    assert np.all(Z_test.mean(axis=0) > 1)  # (10 - 3) / 2 = 3.5 train stds away


def test_standardize_constant_feature_is_zero_not_nan():
    X_train = np.column_stack([np.full(7, 0.1), np.arange(7.0)])  # 0.1: mean is not exact
    X_test = np.array([[5.0, 1.0], [0.1, 2.0]])
    Z_train, Z_test = datasets.standardize(X_train, X_test)
    assert np.all(Z_train[:, 0] == 0) and np.all(Z_test[:, 0] == 0)
    assert np.all(np.isfinite(Z_train)) and np.all(np.isfinite(Z_test))


def test_standardize_rejects_mismatched_columns():
    with pytest.raises(ValueError, match=r"\(3, 2\) and \(2, 3\)"):
        datasets.standardize(np.zeros((3, 2)), np.zeros((2, 3)))


# ----------------------------------------------------------------------------------- spirals


def test_spirals_shapes_balance_and_noiseless_radii():
    X, y = datasets.spirals(50, rng(), n_classes=4, noise=0.0)
    assert X.shape == (200, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50] * 4
    assert len(np.unique(y[:20])) > 1  # rows are shuffled, not class-blocked
    # Closed form: along every arm the radius is linspace(0, 1, n_per_class).
    for c in range(4):
        radii = np.sort(np.linalg.norm(X[y == c], axis=1))
        np.testing.assert_allclose(radii, np.linspace(0, 1, 50), atol=1e-12)


def test_spirals_are_learnable_by_1nn_but_not_by_a_linear_rule():
    X, y = datasets.spirals(200, rng(3))
    assert np.bincount(y).tolist() == [200, 200, 200]
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, rng(4))
    assert one_nn_accuracy(X_train, y_train, X_test, y_test) > 0.9
    # The arms interleave: class means almost coincide, so a linear rule is far from 0.9.
    assert nearest_mean_accuracy(X_train, y_train, X_test, y_test) < 0.7


# ----------------------------------------------------------------------------------- circles


def test_circles_shapes_balance_and_noiseless_radii():
    X, y = datasets.circles(101, rng(), noise=0.0, factor=0.3)
    assert X.shape == (101, 2) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    assert len(np.unique(y[:20])) > 1  # rows are shuffled, not class-blocked
    radii = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radii, np.where(y == 0, 1.0, 0.3), atol=1e-12)


def test_circles_with_noise_are_learnable_by_1nn():
    data = datasets.load("circles", rng(5))
    assert one_nn_accuracy(data.X_train, data.y_train, data.X_test, data.y_test) > 0.9


# ----------------------------------------------------------------------------------- teacher


def test_teacher_matches_its_documented_formula():
    n, n_in, depth, width, n_classes = 300, 5, 2, 16, 3
    X, y = datasets.teacher(n, rng(7), n_in=n_in, depth=depth, width=width, n_classes=n_classes)
    g = rng(7)  # weights first, then inputs, every W ~ N(0, 1 / fan_in)
    W1 = g.standard_normal((n_in, width)) / np.sqrt(n_in)
    W2 = g.standard_normal((width, width)) / np.sqrt(width)
    W_out = g.standard_normal((width, n_classes)) / np.sqrt(width)
    X_ref = g.standard_normal((n, n_in))
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, np.argmax(np.tanh(np.tanh(X_ref @ W1) @ W2) @ W_out, axis=1))


def test_teacher_seed_fixes_the_labelling_function_for_any_n():
    X_small, y_small = datasets.teacher(100, rng(8))
    X_big, y_big = datasets.teacher(400, rng(8))
    np.testing.assert_array_equal(X_big[:100], X_small)
    np.testing.assert_array_equal(y_big[:100], y_small)


def test_teacher_two_classes_are_balanced_by_odd_symmetry():
    # A bias-free tanh net is odd and N(0, I) is symmetric, so P(y = 1) = 1/2 exactly.
    n = 20_000
    X, y = datasets.teacher(n, rng(9), n_in=8, depth=3, width=32)
    assert X.shape == (n, 8) and y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    se = np.sqrt(0.25 / n)  # SE of a Bernoulli(1/2) mean over n draws
    assert abs(y.mean() - 0.5) < 4 * se
    # Inputs are standard normal: mean 0 (SE 1/sqrt(N)) and variance 1 (SE sqrt(2/N)).
    N = X.size
    assert abs(X.mean()) < 4 / np.sqrt(N) and abs(X.var() - 1) < 4 * np.sqrt(2 / N)


# ----------------------------------------------------------------------------------- splits


def test_stratified_split_is_a_partition_with_class_proportions_kept():
    X, y = datasets.digits(standardize=False)
    X_id = np.column_stack([X, np.arange(len(y))])  # last column tags each row
    f = 0.3
    X_train, X_test, y_train, y_test = datasets.train_test_split(X_id, y, rng(), f)
    ids = np.concatenate([X_train[:, -1], X_test[:, -1]]).astype(int)
    assert np.array_equal(np.sort(ids), np.arange(len(y)))  # every row exactly once
    assert np.array_equal(y[X_test[:, -1].astype(int)], y_test)  # labels follow their rows
    n_c = np.bincount(y)
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - f * n_c) <= 1)
    assert np.all(np.abs(np.bincount(y_train, minlength=10) - (1 - f) * n_c) <= 1)
    assert len(np.unique(y_test[:50])) > 1  # the test set is shuffled, not class-blocked


def test_unstratified_split_sizes():
    X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
    X_train, X_test, y_train, y_test = datasets.train_test_split(
        X, y, rng(), test_fraction=0.25, stratify=False
    )
    assert X_train.shape == (15, 2) and X_test.shape == (5, 2) and len(y_test) == 5


def test_split_leaving_an_empty_set_raises():
    with pytest.raises(ValueError, match="leaves"):
        datasets.train_test_split(np.zeros((3, 1)), np.zeros(3), rng(), test_fraction=0.1)


# ------------------------------------------------------------------------------ reproducibility


@pytest.mark.parametrize(
    "make",
    [
        lambda g: datasets.spirals(30, g),
        lambda g: datasets.circles(60, g),
        lambda g: datasets.teacher(60, g),
        lambda g: datasets.train_test_split(*datasets.spirals(30, rng(0)), g),
    ],
    ids=["spirals", "circles", "teacher", "split"],
)
def test_same_seed_same_arrays_different_seed_different(make):
    a, b, c = make(rng(11)), make(rng(11)), make(rng(12))
    for arr_a, arr_b in zip(a, b, strict=True):
        np.testing.assert_array_equal(arr_a, arr_b)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("name", datasets.DATASETS)
def test_load_returns_a_seeded_standardized_split(name):
    data = datasets.load(name, rng(13))
    again = datasets.load(name, rng(13))
    other = datasets.load(name, rng(14))
    assert data.name == name and repr(data).startswith(f"Split(name={name!r}")
    assert data.X_train.dtype == np.float64 and data.y_train.dtype == np.int64
    assert data.X_train.shape[1] == data.X_test.shape[1] == data.n_features
    assert data.y_train.max() < data.n_classes and data.y_train.min() >= 0
    n = len(data.y_train) + len(data.y_test)
    assert abs(len(data.y_test) - 0.25 * n) <= data.n_classes  # within 1 per class
    np.testing.assert_array_equal(data.X_train, again.X_train)
    assert not np.array_equal(data.X_train, other.X_train)
    varying = data.X_train.std(axis=0) > 0
    np.testing.assert_allclose(data.X_train[:, varying].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.X_train[:, varying].std(axis=0), 1, rtol=1e-12)


def test_load_passes_arguments_to_the_generator():
    data = datasets.load("spirals", rng(), n_per_class=40, n_classes=5, test_fraction=0.5)
    assert data.n_classes == 5 and len(data.y_train) == len(data.y_test) == 100
    assert datasets.load("digits", rng()).n_classes == 10
    assert datasets.load("circles", rng()).n_classes == 2
    raw = datasets.load("circles", rng(), standardize=False)
    assert np.linalg.norm(raw.X_train, axis=1).max() > 0.9  # unit-circle scale kept


# -------------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: datasets.spirals(0, rng()), ValueError, "`n_per_class` must be >= 1, got 0"),
        (lambda: datasets.circles(-5, rng()), ValueError, "`n` must be >= 2, got -5"),
        (lambda: datasets.teacher(0, rng()), ValueError, "`n` must be >= 1, got 0"),
        (lambda: datasets.spirals(10, rng(), noise=-0.1), ValueError, "`noise`.*got -0.1"),
        (lambda: datasets.circles(10, rng(), noise=-1.0), ValueError, "`noise`.*got -1.0"),
        (lambda: datasets.circles(10, rng(), factor=1.0), ValueError, "`factor`.*got 1.0"),
        (lambda: datasets.teacher(10, rng(), n_classes=1), ValueError, "`n_classes`.*got 1"),
        (lambda: datasets.spirals(10, 0), TypeError, "default_rng"),
        (
            lambda: datasets.train_test_split(np.zeros((4, 1)), np.zeros(4), rng(), 1.5),
            ValueError,
            r"`test_fraction` must be in \(0, 1\), got 1.5",
        ),
        (
            lambda: datasets.train_test_split(np.zeros((4, 1)), np.zeros(4), rng(), 0.0),
            ValueError,
            "got 0.0",
        ),
        (
            lambda: datasets.train_test_split(np.zeros((10, 2)), np.zeros(9), rng()),
            ValueError,
            "X has 10 rows, y has 9",
        ),
        (lambda: datasets.load("mnist", rng()), ValueError, "'mnist'.*'spirals'"),
        (lambda: datasets.load("digits", rng(), n=5), TypeError, r"\['n'\]"),
    ],
)
def test_bad_arguments_name_the_value(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_an_installed_package_finds_its_data(tmp_path):
    """`pip install` of the repository, used outside any checkout, still loads the digits.

    Builds a wheel from a copy of the sources (so the checkout stays clean), installs it into a
    bare directory and loads the data from a process whose working directory and path hold no
    checkout: the file must come from the package (``initlab/_data``), sha256 checked.
    """
    root = DIGITS_PATH.parents[1]
    src = tmp_path / "src_copy"
    shutil.copytree(root / "src", src / "src", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (src / "data").mkdir()
    shutil.copy(DIGITS_PATH, src / "data" / DIGITS_PATH.name)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", str(src), "-w",
                    str(tmp_path / "wheel")], check=True, cwd=tmp_path)
    (wheel,) = (tmp_path / "wheel").glob("initlab-*.whl")
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, cwd=tmp_path)
    code = ("import initlab, initlab.datasets as d; X, y = d.digits(); "
            "print(initlab.__file__); print(X.shape, y.shape)")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "INITLAB_DATA_DIR")}
    out = subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path, text=True,
                         capture_output=True, env={**env, "PYTHONPATH": str(site)}).stdout
    first, shape = out.splitlines()
    assert first.startswith(str(site)), first
    assert shape == "(1797, 64) (1797,)"
