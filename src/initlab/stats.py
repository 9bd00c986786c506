"""Small statistics the chapters share: standard errors, log-slope fits, first-reach times.

Why: every measured number in the book is compared with a prediction, so each comes with its
uncertainty, computed one way everywhere; and "how many epochs until the accuracy reaches
0.9" must mean the same thing in every chapter, including what "never" means.

Standard errors (``n`` independent samples, sample std ``s`` with ``ddof=1``):

- of a mean: ``s / sqrt(n)``;
- of a standard deviation, for roughly Gaussian samples: ``s / sqrt(2 (n - 1))``;
- of a proportion ``p``: ``sqrt(p (1 - p) / n)``;
- of a sample's mean and std from the known population moments (std, kurtosis):
  :func:`population_standard_errors`, and its uniform case :func:`uniform_standard_errors`.

First-reach times, the ONE censoring rule: :func:`first_reach` returns the first index at
which a curve reaches a level, or ``math.inf`` when it never does within the curve (the run is
*censored*: we only know it takes longer than the budget). Summaries over runs
(:func:`reach_summary`) report how many runs reached the level and the median time, which is
finite as long as at least half of the runs reached it; a mean is never taken over censored
runs. Figures draw a censored run at the end of the budget with an open marker, and the text
says "did not reach it within N epochs", never a made-up number.

Shapes: 1-D samples ``(n,)``; curves ``(n_points,)``; ``times`` ``(n_runs,)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from initlab._checks import check_finite_array, check_int


def _sample(x: object, name: str, minimum: int = 2) -> np.ndarray:
    a = np.ravel(check_finite_array(x, name)).astype(np.float64)
    if a.size < minimum:
        raise ValueError(f"`{name}` needs at least {minimum} values, got {a.size}")
    return a


def se_mean(x: Sequence[float] | np.ndarray) -> float:
    """Standard error of the sample mean: ``std(x, ddof=1) / sqrt(n)``."""
    a = _sample(x, "x")
    return float(a.std(ddof=1) / math.sqrt(a.size))


def se_std(x: Sequence[float] | np.ndarray) -> float:
    """Standard error of the sample std for Gaussian samples: ``s / sqrt(2 (n - 1))``.

    From ``Var(s^2) = 2 sigma^4 / (n - 1)`` and the delta method ``s = sqrt(s^2)``.
    """
    a = _sample(x, "x")
    return float(a.std(ddof=1) / math.sqrt(2.0 * (a.size - 1)))


def se_proportion(p: float, n: int) -> float:
    """Standard error of a proportion ``p`` measured on ``n`` independent trials."""
    n = check_int(n, "n", minimum=1)
    if isinstance(p, bool) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"`p` must be a proportion in [0, 1], got {p!r}")
    return math.sqrt(float(p) * (1.0 - float(p)) / n)


def population_standard_errors(std: float, kurtosis: float, n_draws: int
                               ) -> tuple[float, float]:
    """Standard errors of the sample mean and sample std of ``n_draws`` i.i.d. draws.

    From the population's ``std`` and ``kurtosis`` (``mu_4 / sigma^4``: 3 for a Gaussian,
    9/5 for a uniform): ``SE(mean) = std / sqrt(N)``; by the delta method on ``s = sqrt(s^2)``,
    ``SE(std) = std * sqrt((kurtosis - 1) / (4 N))``.
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    for name, value in (("std", std), ("kurtosis", kurtosis)):
        if isinstance(value, bool) or not math.isfinite(value) or value < 0:
            raise ValueError(f"`{name}` must be a finite number >= 0, got {value!r}")
    if kurtosis < 1:
        raise ValueError(f"`kurtosis` is at least 1 for any distribution, got {kurtosis!r}")
    return std / math.sqrt(n_draws), std * math.sqrt((kurtosis - 1.0) / (4 * n_draws))


def uniform_standard_errors(bound: float, n_draws: int) -> tuple[float, float]:
    """Standard errors of the sample mean and sample std of ``n_draws`` draws of ``U(+-bound)``.

    ``sigma = bound / sqrt(3)``, so ``SE(mean) = sigma / sqrt(N) = bound / sqrt(3 N)``.
    Delta method: ``Var(s) ~ (mu_4 - sigma^4) / (4 sigma^2 N)`` with ``mu_4 = bound^4 / 5``,
    ``sigma^4 = bound^4 / 9``, giving ``SE(std) = bound / sqrt(15 N)``.
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    if isinstance(bound, bool) or not math.isfinite(bound) or bound <= 0:
        raise ValueError(f"`bound` must be a positive number, got {bound!r}")
    return bound / math.sqrt(3 * n_draws), bound / math.sqrt(15 * n_draws)


def log_slope(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray,
              base: float = math.e) -> float:
    """Least-squares slope of ``log_base(y)`` against ``x`` (``y > 0``).

    A quantity that grows like ``c r^x`` has slope ``log_base(r)``: e.g. the per-layer rate of
    an activation scale through depth.
    """
    xs = _sample(x, "x")
    ys = _sample(y, "y")
    if xs.shape != ys.shape:
        raise ValueError(f"`x` has {xs.size} values but `y` has {ys.size}")
    if (ys <= 0).any():
        raise ValueError(f"`y` must be positive for a log fit, got min {ys.min()!r}")
    if not base > 0 or base == 1:
        raise ValueError(f"`base` must be positive and not 1, got {base!r}")
    slope = np.polyfit(xs, np.log(ys), 1)[0]
    return float(slope / math.log(base))


def first_reach(curve: Sequence[float] | np.ndarray, level: float, *,
                above: bool = True) -> float:
    """First index ``i`` with ``curve[i] >= level`` (``above``) or ``<= level``; ``inf`` if none.

    ``curve`` is indexed by epochs or steps, index 0 being before training, so the result is
    the number of epochs (steps) it took. ``inf`` means censored: the curve never got there
    within its length (see the module docstring for how summaries and figures treat it).
    """
    c = np.ravel(np.asarray(curve, dtype=np.float64))
    if c.size == 0:
        raise ValueError("`curve` is empty")
    if not math.isfinite(level):
        raise ValueError(f"`level` must be finite, got {level!r}")
    hit = np.flatnonzero(c >= level if above else c <= level)
    return float(hit[0]) if hit.size else math.inf


def reach_summary(times: Sequence[float] | np.ndarray) -> dict[str, float | int]:
    """Over runs: ``n_runs``, ``n_reached`` and the ``median`` first-reach time.

    ``times`` from :func:`first_reach` (``inf`` = censored). The median counts censored runs as
    longer than every finished one, so it is exact while more than half reached the level; it
    is ``inf`` otherwise (report ``n_reached`` then, not the median).
    """
    t = np.ravel(np.asarray(times, dtype=np.float64))
    if t.size == 0:
        raise ValueError("`times` is empty")
    if np.isnan(t).any() or (t < 0).any():
        raise ValueError(f"`times` must be >= 0 or inf (censored), got {t.tolist()!r}")
    return {"n_runs": int(t.size), "n_reached": int(np.isfinite(t).sum()),
            "median": float(np.median(t))}  # inf sorts last: inf once half are censored
