"""Data for the experiments: one real dataset shipped in ``data/``, three synthetic ones, splits.

Why: an initialization effect is only worth reporting if it shows on data a reader can
reload bit for bit. The real set is small and checksummed, so a changed file fails loudly
instead of silently moving every number; the synthetic sets are drawn from an explicit
``rng``, so a seed fixes them.

- :func:`digits`: the UCI optical-recognition handwritten digits (Alpaydin and Kaynak 1998),
  scikit-learn's bundled copy, 1797 images of 8x8 pixels with values 0..16, 10 classes.
- :func:`spirals`: interleaved 2-D spiral arms (the cs231n "spiral data" of Karpathy's notes).
- :func:`circles`: two noisy concentric circles (as scikit-learn's ``make_circles``).
- :func:`teacher`: standard-normal inputs labelled by a random deep tanh network, the
  teacher-student setup (Seung, Sompolinsky and Tishby 1992).
- :func:`train_test_split`, :func:`standardize` (train statistics only), and :func:`load`,
  which returns a :class:`Split` so a chapter writes ``data = datasets.load("spirals", rng)``.

Shapes: ``X`` is ``(n, n_features)`` float64 with rows as examples; ``y`` is ``(n,)`` int64
class indices in ``0..n_classes-1``.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import numbers
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from initlab._checks import check_choice, check_finite_array, check_int, check_rng

#: Environment variable that overrides the data directory (default: ``<repo>/data``).
DATA_DIR_ENV = "INITLAB_DATA_DIR"
DIGITS_FILE = "digits.npz"
#: sha256 of ``data/digits.npz`` (see ``data/README.md`` for the command that writes it).
DIGITS_SHA256 = "835cdff57ae7e475c451bfaea7d3e23996bc24d5742c3e96f2314386d9820486"


@dataclass(frozen=True, eq=False, repr=False)
class Split:
    """A train/test split: ``X_*`` is ``(n_*, n_features)`` float64, ``y_*`` is ``(n_*,)`` int64."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str

    @property
    def n_features(self) -> int:
        """Number of input features, ``X_train.shape[1]``."""
        return int(self.X_train.shape[1])

    def __repr__(self) -> str:
        return (
            f"Split(name={self.name!r}, n_classes={self.n_classes}, "
            f"X_train={self.X_train.shape}, X_test={self.X_test.shape})"
        )


# ------------------------------------------------------------------------------ argument checks


def _check_nonnegative(value: object, name: str) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number >= 0, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"`{name}` must be a finite number >= 0, got {value!r}")
    return float(value)


def _check_fraction(value: object, name: str) -> float:
    """Return ``value`` as a float if it lies strictly inside (0, 1), else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a number in (0, 1), got {value!r}")
    if not 0 < value < 1:
        raise ValueError(f"`{name}` must be in (0, 1), got {value!r}")
    return float(value)


def _check_data(X: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """Return ``X`` as a finite 2-D array and ``y`` as a 1-D array of the same length."""
    X = check_finite_array(X, "X")
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"`X` must be 2-D (n, n_features), got shape {X.shape}")
    if y.ndim != 1:
        raise ValueError(f"`y` must be 1-D (n,), got shape {y.shape}")
    if len(X) != len(y):
        raise ValueError(f"`X` and `y` differ in length: X has {len(X)} rows, y has {len(y)}")
    return X, y


# ----------------------------------------------------------------------------------- real data


def data_dir() -> Path:
    """The data directory: ``$INITLAB_DATA_DIR`` if set, else ``<repo>/data`` in a checkout.

    An installed package (``pip install`` of the repository, no checkout around it) carries
    the digits file as package data in ``initlab/_data`` (in the repository that is a symlink
    to ``data/digits.npz``, so there is one file); the sha256 check below applies to both.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    checkout = Path(__file__).resolve().parents[2] / "data"
    if (checkout / DIGITS_FILE).is_file():
        return checkout
    return Path(__file__).resolve().parent / "_data"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digits(standardize: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load the 8x8 handwritten digits: ``X`` (1797, 64) float64, ``y`` (1797,) int64.

    Pixel values are 0..16 (counts of set pixels in 4x4 blocks of a 32x32 bitmap,
    Alpaydin and Kaynak 1998). With ``standardize=True`` each pixel is z-scored over all
    1797 rows, ``(x - mean) / std``, and the pixels that are constant (always 0) stay 0;
    use :func:`load` (``"digits"``) for a split standardised with train statistics only.

    The file's sha256 must equal :data:`DIGITS_SHA256`: a missing file raises
    FileNotFoundError, an altered one ValueError, both naming the path.
    """
    path = data_dir() / DIGITS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"digits data not found at {path} (expected sha256 {DIGITS_SHA256}); restore it "
            f"with `git checkout data/{DIGITS_FILE}` or point {DATA_DIR_ENV} at the directory "
            "that holds it (data/README.md shows how to regenerate it)"
        )
    actual = _sha256(path)
    if actual != DIGITS_SHA256:
        raise ValueError(
            f"digits data at {path} has been altered: sha256 is {actual}, expected "
            f"{DIGITS_SHA256}; restore it with `git checkout data/{DIGITS_FILE}`"
        )
    with np.load(path, allow_pickle=False) as npz:
        X = npz["X"].astype(np.float64)
        y = npz["y"].astype(np.int64)
    if standardize:
        X, _ = _standardize(X, X[:0])
    return X, y


# ------------------------------------------------------------------------------ synthetic data


def spirals(
    n_per_class: int, rng: np.random.Generator, n_classes: int = 3, noise: float = 0.2
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms in 2-D: ``X`` (n_per_class * n_classes, 2), ``y`` int64.

    As in the cs231n notes: along arm ``k`` the radius grows linearly, ``r = linspace(0, 1)``,
    while the angle sweeps 4 radians, ``t = 2*pi*k/n_classes + linspace(0, 4) + noise * N(0, 1)``,
    and ``x = (r sin t, r cos t)``. (cs231n starts arm ``k`` at angle ``4k``; starting it at
    ``2*pi*k/n_classes`` makes the arms symmetric for any ``n_classes``.) Classes are exactly
    balanced; rows come in a random order drawn from ``rng``.
    """
    n_per_class = check_int(n_per_class, "n_per_class", minimum=1)
    check_rng(rng)
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    noise = _check_nonnegative(noise, "noise")
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    t = (
        2 * np.pi * y / n_classes
        + np.tile(np.linspace(0.0, 4.0, n_per_class), n_classes)
        + noise * rng.standard_normal(y.size)
    )
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    order = rng.permutation(y.size)
    return X[order], y[order]


def circles(
    n: int, rng: np.random.Generator, noise: float = 0.1, factor: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy concentric circles in 2-D: ``X`` (n, 2), ``y`` (n,) int64.

    Class 0 lies on the unit circle, class 1 on the circle of radius ``factor`` (n // 2 and
    n - n // 2 points), at angles ``t ~ U(0, 2 pi)``: ``x = radius * (cos t, sin t) +
    noise * N(0, I)``, as scikit-learn's ``make_circles``. Rows come in a random order.
    """
    n = check_int(n, "n", minimum=2)
    check_rng(rng)
    noise = _check_nonnegative(noise, "noise")
    factor = _check_fraction(factor, "factor")
    y = np.repeat(np.array([0, 1], dtype=np.int64), [n // 2, n - n // 2])
    radius = np.where(y == 0, 1.0, factor)
    t = rng.uniform(0.0, 2 * np.pi, n)
    X = radius[:, None] * np.column_stack([np.cos(t), np.sin(t)])
    X = X + noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return X[order], y[order]


def teacher(
    n: int,
    rng: np.random.Generator,
    n_in: int = 10,
    depth: int = 3,
    width: int = 64,
    n_classes: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``X ~ N(0, I)`` of shape (n, n_in), labelled by a random deep tanh network.

    The teacher has ``depth`` bias-free tanh layers of ``width`` units and a linear readout:
    ``h_0 = X``, ``h_l = tanh(h_{l-1} @ W_l)``, ``y = argmax(h_depth @ W_out, axis=1)``, with
    every ``W`` of shape (fan_in, fan_out) drawn as ``N(0, 1 / fan_in)`` (LeCun et al. 1998;
    for tanh without biases this is the order-to-chaos boundary of Poole et al. 2016, so the
    signal neither dies nor explodes over a few layers). ``depth=0`` gives a linear teacher.

    The teacher's weights are drawn from ``rng`` before ``X``, so a seed fixes the labelling
    function whatever ``n`` is. Without biases the teacher is odd, ``f(-x) = -f(x)``, so for
    two classes the labels are balanced in expectation; for more classes they need not be.
    """
    n = check_int(n, "n", minimum=1)
    check_rng(rng)
    n_in = check_int(n_in, "n_in", minimum=1)
    depth = check_int(depth, "depth", minimum=0)
    width = check_int(width, "width", minimum=1)
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    sizes = [n_in] + [width] * depth + [n_classes]
    Ws = [
        rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)  # std = 1 / sqrt(fan_in)
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    X = rng.standard_normal((n, n_in))
    h = X
    for W in Ws[:-1]:
        h = np.tanh(h @ W)
    y = np.argmax(h @ Ws[-1], axis=1).astype(np.int64)
    return X, y


# ------------------------------------------------------------------------ splits, standardising


def train_test_split(
    X: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    test_fraction: float = 0.25,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split rows at random: returns ``(X_train, X_test, y_train, y_test)``.

    ``X`` is (n, n_features), ``y`` is (n,). Stratified: each class ``c`` with ``n_c`` rows
    sends ``round(test_fraction * n_c)`` of them to the test set, so class proportions agree
    to within one example per class. Otherwise ``round(test_fraction * n)`` rows go to test.
    Both sets are shuffled with ``rng``; the same seed gives the same split.
    """
    X, y = _check_data(X, y)
    check_rng(rng)
    test_fraction = _check_fraction(test_fraction, "test_fraction")
    if stratify:
        test_idx, train_idx = [], []
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            n_test = round(test_fraction * idx.size)
            test_idx.append(idx[:n_test])
            train_idx.append(idx[n_test:])
        test = rng.permutation(np.concatenate(test_idx))
        train = rng.permutation(np.concatenate(train_idx))
    else:
        idx = rng.permutation(len(y))
        n_test = round(test_fraction * len(y))
        test, train = idx[:n_test], idx[n_test:]
    if test.size == 0 or train.size == 0:
        raise ValueError(
            f"test_fraction={test_fraction} of {len(y)} examples leaves "
            f"{train.size} for training and {test.size} for testing; both must be >= 1"
        )
    return X[train], X[test], y[train], y[test]


def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Z-score both sets with the train statistics: ``(X - mean_train) / std_train``.

    ``X_train`` is (n_train, d), ``X_test`` is (n_test, d). A feature that is constant on the
    train set (max == min) carries nothing a model fit on train can use; it is set to 0 in
    both sets, so there is no division by zero and no NaN.
    """
    X_train = check_finite_array(X_train, "X_train").astype(np.float64)
    X_test = check_finite_array(X_test, "X_test").astype(np.float64)
    if X_train.ndim != 2 or X_test.ndim != 2 or X_train.shape[1] != X_test.shape[1]:
        raise ValueError(
            "`X_train` and `X_test` must be 2-D with the same number of columns, "
            f"got shapes {X_train.shape} and {X_test.shape}"
        )
    if len(X_train) == 0:
        raise ValueError("`X_train` has no rows: cannot compute its mean and std")
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    constant = X_train.max(axis=0) == X_train.min(axis=0)
    scale = np.where(constant, 1.0, std)
    Z_train = np.where(constant, 0.0, (X_train - mean) / scale)
    Z_test = np.where(constant, 0.0, (X_test - mean) / scale)
    return Z_train, Z_test


# `digits` and `load` take a boolean argument named `standardize`; they call this alias.
_standardize = standardize


# ---------------------------------------------------------------------------------- one entry


_GENERATORS = {f.__name__: f for f in (spirals, circles, teacher)}
#: Sizes :func:`load` uses unless the caller passes its own.
_DEFAULT_SIZES = {"spirals": {"n_per_class": 100}, "circles": {"n": 400}, "teacher": {"n": 1000}}
DATASETS = ("digits", *_GENERATORS)


def load(
    name: str,
    rng: np.random.Generator,
    test_fraction: float = 0.25,
    standardize: bool = True,
    **kwargs: object,
) -> Split:
    """Load or draw dataset ``name``, split it (stratified), and z-score it with train stats.

    ``name`` is one of :data:`DATASETS`. ``kwargs`` go to the generator (e.g.
    ``load("spirals", rng, n_per_class=200, noise=0.3)``); default sizes: 100 per class for
    spirals, 400 points for circles, 1000 for teacher. ``rng`` draws the synthetic data
    first, then the split.
    """
    check_choice(name, "name", DATASETS)
    check_rng(rng)
    if name == "digits":
        if kwargs:
            raise TypeError(f"dataset 'digits' takes no extra arguments, got {sorted(kwargs)}")
        X, y = digits(standardize=False)
        n_classes = 10
    else:
        generator = _GENERATORS[name]
        X, y = generator(rng=rng, **{**_DEFAULT_SIZES[name], **kwargs})
        param = inspect.signature(generator).parameters.get("n_classes")  # circles has none
        n_classes = int(kwargs.get("n_classes", param.default if param else 2))
    X_train, X_test, y_train, y_test = train_test_split(X, y, rng, test_fraction, stratify=True)
    if standardize:
        X_train, X_test = _standardize(X_train, X_test)
    return Split(X_train, y_train, X_test, y_test, n_classes, name)
