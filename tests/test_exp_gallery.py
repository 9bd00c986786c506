"""Tests of initlab.experiments.gallery (chapter 8) against independent references.

References: scipy's truncated normal and beta distributions (moments, densities), numerical
integration of every closed-form density, seeded Monte Carlo (tolerances in standard errors,
formula beside each), hand-written closed forms, and deliberately wrong initializers that the
chapter's claim ranges must reject (so the claims can fail).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests only: figures are never shown here

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import integrate, stats  # noqa: E402

from initlab.experiments import gallery  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[1] / "data/reference/08_initializer_gallery.json"


def test_truncated_moments_match_scipy() -> None:
    m2, m4 = gallery.truncated_moments()
    ref = stats.truncnorm(-2.0, 2.0)
    assert m2 == pytest.approx(ref.moment(2), rel=1e-12)
    assert m4 == pytest.approx(ref.moment(4), rel=1e-10)
    assert math.sqrt(m2) == pytest.approx(0.87962566103423978, abs=1e-15)  # Keras/JAX constant


def test_closed_forms_by_hand() -> None:
    fan_in, fan_out = 400, 250
    law = gallery.closed_form("glorot_uniform", fan_in, fan_out)
    assert law.bound == pytest.approx(math.sqrt(6 / 650)) and law.std == pytest.approx(
        math.sqrt(2 / 650))
    assert gallery.closed_form("he_uniform").bound == pytest.approx(math.sqrt(6 / 400))
    assert gallery.closed_form("lecun_uniform").bound == pytest.approx(math.sqrt(3 / 400))
    assert gallery.closed_form("pytorch_linear").bound == pytest.approx(1 / 20)
    assert gallery.closed_form("glorot_standard").std == pytest.approx(1 / math.sqrt(1200))
    # corrected truncated normals: realised std is the target, bound 2 target / 0.8796
    he = gallery.closed_form("he_normal")
    assert he.std == pytest.approx(math.sqrt(2 / 400))
    assert he.bound == pytest.approx(2 * math.sqrt(2 / 400) / 0.87962566103423978)
    # Keras TruncatedNormal(stddev=0.05): uncorrected, std 0.8796 * 0.05, bound 0.1
    tn = gallery.closed_form("truncated_normal")
    assert tn.std == pytest.approx(0.05 * 0.87962566103423978) and tn.bound == pytest.approx(0.1)
    assert gallery.closed_form("variance_scaling").std == pytest.approx(math.sqrt(0.5 / 250))
    ident = gallery.closed_form("identity")
    assert ident.mean == pytest.approx(250 / 1e5)
    assert gallery.closed_form("orthogonal").std == pytest.approx(1 / 20)
    with pytest.raises(ValueError, match="nope"):
        gallery.closed_form("nope")


@pytest.mark.parametrize("key", [k for k in gallery.GALLERY
                                 if gallery.closed_form(k).kind not in ("point", "bernoulli")])
def test_density_integrates_to_one_with_the_law_moments(key: str) -> None:
    law = gallery.closed_form(key)
    lim = law.bound if math.isfinite(law.bound) and law.kind != "sphere" else 12 * law.std
    pts = [-lim, lim] if law.kind in ("uniform", "truncated_normal") else None
    a, b = -1.001 * lim, 1.001 * lim
    mass = integrate.quad(law.pdf, a, b, points=pts, limit=200)[0]
    var = integrate.quad(lambda x: x * x * law.pdf(x), a, b, points=pts, limit=200)[0]
    m4 = integrate.quad(lambda x: x**4 * law.pdf(x), a, b, points=pts, limit=200)[0]
    assert mass == pytest.approx(1.0, abs=1e-6)
    assert var == pytest.approx(law.std**2, rel=1e-6)
    assert m4 / var**2 == pytest.approx(law.kurtosis, rel=1e-5)


def test_sphere_density_matches_beta() -> None:
    # one coordinate x of a uniform unit vector in R^n: x^2 ~ Beta(1/2, (n - 1)/2)
    n = 400
    law = gallery.closed_form("orthogonal", 400, 250)
    x = np.array([0.01, 0.05, 0.1, 0.2])
    beta = stats.beta(0.5, (n - 1) / 2)
    np.testing.assert_allclose(law.pdf(x), beta.pdf(x**2) * x, rtol=1e-9)  # d(x^2)/dx / 2 sides


def test_standard_errors_match_monte_carlo() -> None:
    n, reps = 200, 2000
    rng = np.random.default_rng(1)
    # spread of `reps` estimates of a spread has relative SE 1/sqrt(2 reps) = 1.6%: 4 of them 6.3%
    tol = 4 / math.sqrt(2 * reps)
    for law, draws in ((gallery.closed_form("he_uniform"),
                        rng.uniform(-math.sqrt(6 / 400), math.sqrt(6 / 400), (reps, n))),
                       (gallery.closed_form("random_normal"),
                        0.05 * rng.standard_normal((reps, n))),
                       (gallery.closed_form("truncated_normal"),
                        0.05 * stats.truncnorm(-2, 2).rvs((reps, n), random_state=rng))):
        se_mean, se_std = gallery.standard_errors(law, n)
        assert draws.mean(axis=1).std() == pytest.approx(se_mean, rel=tol)
        assert draws.std(axis=1).std() == pytest.approx(se_std, rel=tol)
    assert gallery.standard_errors(gallery.closed_form("zeros"), n) == (0.0, 0.0)


def test_gallery_within_claims_for_another_seed() -> None:
    gal = gallery.draw_gallery(seed=7)
    for key, r in gal["inits"].items():
        for stat, (lo, hi, _) in r["ranges"].items():
            assert lo <= r[stat] <= hi, (key, stat, r[stat], lo, hi)
    assert gallery.gallery_records(gal)["gallery_n_beyond_bound"] == 0


def test_claims_reject_wrong_formulas() -> None:
    """The ranges must fail a library that gets a formula wrong (they are not vacuous)."""
    rng, n = np.random.default_rng(2), 400 * 250
    he_n = gallery.claim_ranges(gallery.closed_form("he_normal"), n)
    # truncated at 2 std without dividing by 0.8796: std 12% low, ~80 SE
    s = math.sqrt(2 / 400)
    w = s * stats.truncnorm(-2, 2).rvs(n, random_state=rng)
    assert not he_n["std"][0] <= w.std() <= he_n["std"][1]
    # Glorot uniform with fan_in where the average belongs: limit sqrt(6/400), not sqrt(6/650)
    gu = gallery.claim_ranges(gallery.closed_form("glorot_uniform"), n)
    w = rng.uniform(-math.sqrt(6 / 400), math.sqrt(6 / 400), n)
    assert not gu["std"][0] <= w.std() <= gu["std"][1]
    assert not gu["max"][0] <= w.max() <= gu["max"][1]
    # PyTorch default confused with He uniform (a = 0)
    pt = gallery.claim_ranges(gallery.closed_form("pytorch_linear"), n)
    w = rng.uniform(-math.sqrt(6 / 400), math.sqrt(6 / 400), n)
    assert not pt["max"][0] <= w.max() <= pt["max"][1]
    # a uniform whose draws never approach its bound (e.g. limit 1% short) fails `max`
    w = rng.uniform(-0.99 / 20, 0.99 / 20, n)
    assert not pt["max"][0] <= w.max() <= pt["max"][1]


def test_reference_claims_are_in_sync_with_the_closed_forms() -> None:
    claims = json.loads(REFERENCE.read_text())["claims"]
    for key, want in gallery.gallery_claims(400 * 250).items():
        assert claims[key]["min"] == pytest.approx(want["min"], rel=1e-12, abs=1e-15), key
        assert claims[key]["max"] == pytest.approx(want["max"], rel=1e-12, abs=1e-15), key


def test_conv_fans_both_layouts() -> None:
    conv = gallery.conv_fans(seed=0)
    assert conv["fans"]["keras"] == (144, 288) == conv["fans"]["pytorch"]
    assert conv["fans"]["pytorch_read_as_keras"] == (1536, 1536)
    assert conv["fans"]["keras_read_as_pytorch"] == (1536, 1536)
    # He std sqrt(2/144); corrected truncated normal, 4608 draws: 5 SE = 5 * 0.0086 relative
    m2, m4 = gallery.truncated_moments()
    rel = 5 * math.sqrt((m4 / m2**2 - 1) / (4 * 4608))
    assert conv["he_std_measured"]["keras"] == pytest.approx(math.sqrt(2 / 144), rel=rel)


def test_truncation_check() -> None:
    t = gallery.truncation_check(seed=3, n_draws=20_000)
    assert abs(t["var_ratio_raw"] - 0.7737413) < 5 * t["se_ratio_raw"]
    assert abs(t["var_ratio_fixed"] - 1.0) < 5 * t["se_ratio_fixed"]
    assert t["max_abs_raw"] <= 2.0 and t["max_abs_fixed"] <= t["bound_fixed"]
    assert t["factor_library_error"] < 1e-12


def test_recover_uniform_bound() -> None:
    w = np.random.default_rng(5).uniform(-0.3, 0.3, size=(20, 30))
    b, resid = gallery.recover_uniform_bound(w, seed=5)
    assert b == pytest.approx(0.3, abs=1e-15) and resid < 1e-15
    # not a draw of that stream: the residual shows it
    w = np.random.default_rng(5).standard_normal((20, 30))
    assert gallery.recover_uniform_bound(w, seed=5)[1] > 0.1


def test_pytorch_default_bounds() -> None:
    t = gallery.pytorch_default(seed=1, fan_in=30, fan_out=20)
    assert t["bound"]["pytorch"] == pytest.approx(1 / math.sqrt(30))
    for k in ("pytorch", "he", "lecun"):
        assert t["bound_error"][k] < 1e-12 and t["fit_residual"][k] < 1e-12
        assert t["max_abs"][k] <= t["bound"][k]
    assert t["gain_library"] == pytest.approx(1 / math.sqrt(3), abs=1e-15)


def test_orthogonal_check() -> None:
    o = gallery.orthogonal_check(seed=2, tall=(40, 25), conv=(3, 3, 4, 8))
    assert max(o["tall_dev"], o["wide_dev"], o["conv_dev"]) < 1e-12
    assert o["tall_wrong_side_dev"] >= o["wrong_side_floor"] == pytest.approx(1 - 25 / 40)
    np.testing.assert_allclose(o["sv_orthogonal"], 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="more rows"):
        gallery.orthogonal_check(seed=0, tall=(5, 5))


def test_seeded_reuse() -> None:
    r = gallery.seeded_reuse(seed=4, width=16)
    assert not r["same_rng"]["identical"] and r["same_rng"]["max_diff"] > r["bound"]
    assert r["fresh_rng"]["identical"] and r["fresh_rng"]["max_diff"] == 0.0
    assert r["seeded_object"]["identical"] and not r["running"]["identical"]
    # independent 16 x 16 layers: correlation ~ N(0, 1/256), 5 SE = 0.31
    assert abs(r["same_rng"]["corr"]) < 5 / 16 and abs(r["running"]["corr"]) < 5 / 16


def test_plots_return_figures() -> None:
    gal = gallery.draw_gallery(seed=0, fan_in=40, fan_out=25)
    fig = gallery.plot_gallery(gal)
    assert len(fig.axes) == 18
    fig2 = gallery.plot_conventions(gallery.truncation_check(0, 1000),
                                    gallery.pytorch_default(0, 40, 25),
                                    gallery.orthogonal_check(0, (40, 25), (3, 3, 4, 8)),
                                    gallery.seeded_reuse(0, width=8))
    assert len(fig2.axes) == 4
    plt.close("all")
