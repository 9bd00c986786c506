"""initlab.stats: standard errors against simulation and closed forms; the censoring rule."""

import math

import numpy as np
import pytest

from initlab import stats


def test_se_mean_matches_the_spread_of_many_sample_means():
    rng = np.random.default_rng(0)
    samples = rng.normal(0.0, 2.0, size=(4000, 50))
    se = np.array([stats.se_mean(row) for row in samples])
    spread = samples.mean(axis=1).std(ddof=1)           # the truth the SE estimates: 2/sqrt(50)
    # mean of 4000 SE estimates: relative error of their mean ~ 0.1/sqrt(4000); spread of the
    # 4000 means: relative SE 1/sqrt(2 * 3999) ~ 0.011; allow 5 of those
    assert abs(se.mean() - 2 / math.sqrt(50)) < 5 * 0.011 * 2 / math.sqrt(50)
    assert abs(spread - 2 / math.sqrt(50)) < 5 * 0.011 * 2 / math.sqrt(50)


def test_se_std_matches_the_spread_of_many_sample_stds():
    rng = np.random.default_rng(1)
    n = 40
    samples = rng.normal(0.0, 1.0, size=(4000, n))
    spread = samples.std(axis=1, ddof=1).std(ddof=1)
    predicted = np.mean([stats.se_std(row) for row in samples])
    # the delta method is accurate to O(1/n); the spread of 4000 stds is known to ~1.1 %
    assert spread == pytest.approx(predicted, rel=0.06)


def test_se_proportion_closed_form_and_errors():
    assert stats.se_proportion(0.5, 100) == pytest.approx(0.05)
    assert stats.se_proportion(0.0, 10) == 0.0
    with pytest.raises(ValueError, match="1.5"):
        stats.se_proportion(1.5, 10)
    with pytest.raises(ValueError, match="n"):
        stats.se_proportion(0.5, 0)


def test_population_standard_errors_gaussian_and_uniform():
    se_m, se_s = stats.population_standard_errors(2.0, 3.0, 200)   # Gaussian: sigma/sqrt(2N)
    assert se_m == pytest.approx(2.0 / math.sqrt(200))
    assert se_s == pytest.approx(2.0 / math.sqrt(2 * 200))
    # uniform: kurtosis 9/5 gives the closed form bound / sqrt(15 N)
    bound, n = 0.3, 1000
    general = stats.population_standard_errors(bound / math.sqrt(3), 9 / 5, n)
    assert general == pytest.approx(stats.uniform_standard_errors(bound, n), rel=1e-12)
    assert stats.uniform_standard_errors(bound, n)[1] == pytest.approx(bound / math.sqrt(15 * n))
    with pytest.raises(ValueError, match="0.5"):
        stats.population_standard_errors(1.0, 0.5, 10)
    with pytest.raises(ValueError, match="-1"):
        stats.uniform_standard_errors(-1.0, 10)


def test_uniform_standard_errors_against_simulation():
    rng = np.random.default_rng(2)
    bound, n, reps = 1.0, 500, 3000
    x = rng.uniform(-bound, bound, size=(reps, n))
    se_mean, se_std = stats.uniform_standard_errors(bound, n)
    rel = 5 / math.sqrt(2 * (reps - 1))        # 5 relative SEs of a std over `reps` repeats
    assert x.mean(axis=1).std(ddof=1) == pytest.approx(se_mean, rel=rel)
    assert x.std(axis=1, ddof=1).std(ddof=1) == pytest.approx(se_std, rel=rel)


def test_log_slope_recovers_a_geometric_rate_exactly():
    layers = np.arange(1, 31)
    assert stats.log_slope(layers, 3.0 * 0.5**layers, base=2) == pytest.approx(-1.0, abs=1e-12)
    assert stats.log_slope(layers, np.exp(0.2 * layers)) == pytest.approx(0.2, abs=1e-12)
    with pytest.raises(ValueError, match="positive"):
        stats.log_slope([1, 2], [1.0, -1.0])
    with pytest.raises(ValueError, match="3 values"):
        stats.log_slope([1, 2, 3], [1.0, 2.0])


def test_first_reach_one_rule():
    acc = [0.1, 0.5, 0.89, 0.9, 0.95]
    assert stats.first_reach(acc, 0.9) == 3.0
    assert stats.first_reach(acc, 0.1) == 0.0            # already there before training
    assert stats.first_reach(acc, 0.99) == math.inf       # censored: never within the curve
    assert stats.first_reach([1.0, 0.5, 0.01], 0.1, above=False) == 2.0
    with pytest.raises(ValueError, match="nan"):
        stats.first_reach(acc, float("nan"))


def test_reach_summary_median_and_censoring():
    s = stats.reach_summary([3.0, 5.0, math.inf])
    assert s == {"n_runs": 3, "n_reached": 2, "median": 5.0}
    # more than half censored: the median is not known, it is inf
    assert stats.reach_summary([3.0, math.inf, math.inf])["median"] == math.inf
    with pytest.raises(ValueError, match="nan"):
        stats.reach_summary([1.0, float("nan")])
