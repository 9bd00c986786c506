"""Chapter 8's small tools: one gallery draw, its histogram, a bound read back, a seeded init.

What: :func:`draw` makes one ``(fan_in, fan_out)`` kernel of a gallery initializer from a given
rng; :func:`histogram` bins it on a range the closed-form law sets (value frequencies for point
masses); :func:`recover_uniform_bound` reads the ``b`` of a ``U(-b, b)`` draw back from the draw
itself; :func:`seeded_initializer` imitates an initializer object carrying its own seed (Keras'
``GlorotUniform(seed=42)``); :func:`pair_stats` compares two layers.
Why: the experiments in ``__init__`` stay short and show only what they measure.
Shapes: kernels ``(n_in, n_out)``; ``w`` of any shape for the histogram and the bound.
"""

from __future__ import annotations

import math

import numpy as np

from initlab import initializers
from initlab._checks import check_choice, check_int
from initlab.experiments.initializer_gallery.laws import GALLERY, Law


def draw(key: str, rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """One ``(fan_in, fan_out)`` draw of gallery initializer ``key`` from ``rng``."""
    check_choice(key, "initializer", GALLERY)
    name, params, _ = GALLERY[key]
    return initializers.get(name, **params)((fan_in, fan_out), rng)


def histogram(w: np.ndarray, law: Law, n_bins: int) -> dict:
    """Density histogram on a range set by the law (discrete laws: value frequencies).

    Bounded continuous laws: ``+-bound`` on bin edges with a 15% margin each side; unbounded:
    ``mean +- 4.5 std``. ``outside`` counts the draws beyond the edges.
    """
    n_bins = check_int(n_bins, "n_bins", minimum=1)
    if law.kind in ("point", "bernoulli"):
        values, counts = np.unique(w, return_counts=True)
        return {"values": values, "freq": counts / w.size}
    if law.kind in ("uniform", "truncated_normal"):
        width = 2.0 * law.bound / n_bins
        k = math.ceil(0.15 * n_bins / 2)
        edges = law.mean - law.bound + width * np.arange(-k, n_bins + k + 1)
    else:
        edges = np.linspace(law.mean - 4.5 * law.std, law.mean + 4.5 * law.std, n_bins + 1)
    counts, _ = np.histogram(w, edges)
    return {"edges": edges, "density": counts / (w.size * np.diff(edges)),
            "outside": int(w.size - counts.sum())}


def recover_uniform_bound(w: np.ndarray, seed: int) -> tuple[float, float]:
    """The ``b`` of a ``U(-b, b)`` draw ``w`` made from a fresh ``default_rng(seed)``.

    numpy draws ``U(low, high)`` as ``low + (high - low) u`` with ``u`` the generator's
    ``random()`` stream, so ``w = b (2u - 1)`` entry by entry; least squares gives
    ``b = sum(w x) / sum(x^2)`` with ``x = 2u - 1``. Returns ``(b, max |w - b x|)``: the residual
    is rounding (~1e-17) when ``w`` really is such a draw, so ``b`` is the bound the library
    used, read from its output rather than from its code.
    """
    x = 2.0 * np.random.default_rng(check_int(seed, "seed")).random(w.shape) - 1.0
    b = float((w * x).sum() / (x * x).sum())
    return b, float(np.abs(w - b * x).max())


def seeded_initializer(name: str, seed: int) -> initializers.Initializer:
    """An initializer bound to a fixed seed, as ``keras.initializers.GlorotUniform(seed=42)``.

    It ignores the rng it is handed and starts ``default_rng(seed)`` afresh on every call:
    the pitfall. Every layer of the same shape gets the same matrix.
    """
    init = initializers.get(name)
    seed = check_int(seed, "seed")

    def fixed(shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
        return init(shape, np.random.default_rng(seed), dtype)

    return fixed


def pair_stats(A: np.ndarray, B: np.ndarray) -> tuple[bool, float, float]:
    """``(identical, max |A - B|, correlation of the entries)`` of two layers of one shape."""
    return (bool(np.array_equal(A, B)), float(np.abs(A - B).max()),
            float(np.corrcoef(A.ravel(), B.ravel())[0, 1]))
