"""Tests of initlab.experiments.initializer_gallery (chapter 8) against independent references.

References: scipy's truncated normal and beta distributions (moments, densities), numerical
integration of every closed-form density, seeded Monte Carlo (tolerances in standard errors,
formula beside each), hand-written closed forms, and deliberately wrong initializers that the
chapter's claim ranges must reject (so the claims can fail).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import integrate, stats

from initlab import plotting
from initlab.experiments import initializer_gallery
from initlab.experiments.initializer_gallery import draws, keys, laws

REFERENCE = Path(__file__).resolve().parents[1] / "data/reference/08_initializer_gallery.json"


def test_truncated_moments_match_scipy() -> None:
    m2, m4 = laws.truncated_moments()
    ref = stats.truncnorm(-2.0, 2.0)
    assert m2 == pytest.approx(ref.moment(2), rel=1e-12)
    assert m4 == pytest.approx(ref.moment(4), rel=1e-10)
    assert math.sqrt(m2) == pytest.approx(0.87962566103423978, abs=1e-15)  # Keras/JAX constant


def law(key: str, fan_in: int = 400, fan_out: int = 250) -> laws.Law:
    return laws.closed_form(key, fan_in, fan_out)


def test_closed_forms_by_hand() -> None:
    glorot = law("glorot_uniform")
    assert glorot.bound == pytest.approx(math.sqrt(6 / 650))
    assert glorot.std == pytest.approx(math.sqrt(2 / 650))
    assert law("he_uniform").bound == pytest.approx(math.sqrt(6 / 400))
    assert law("lecun_uniform").bound == pytest.approx(math.sqrt(3 / 400))
    assert law("pytorch_linear").bound == pytest.approx(1 / 20)
    assert law("glorot_standard").std == pytest.approx(1 / math.sqrt(1200))
    # corrected truncated normals: realised std is the target, bound 2 target / 0.8796
    he = law("he_normal")
    assert he.std == pytest.approx(math.sqrt(2 / 400))
    assert he.bound == pytest.approx(2 * math.sqrt(2 / 400) / 0.87962566103423978)
    # Keras TruncatedNormal(stddev=0.05): uncorrected, std 0.8796 * 0.05, bound 0.1
    tn = law("truncated_normal")
    assert tn.std == pytest.approx(0.05 * 0.87962566103423978) and tn.bound == pytest.approx(0.1)
    assert law("variance_scaling").std == pytest.approx(math.sqrt(0.5 / 250))
    assert law("identity").mean == pytest.approx(250 / 1e5)
    assert law("orthogonal").std == pytest.approx(1 / 20)
    with pytest.raises(ValueError, match="nope"):
        law("nope")


@pytest.mark.parametrize("key", [k for k in laws.GALLERY
                                 if law(k).kind not in ("point", "bernoulli")])
def test_density_integrates_to_one_with_the_law_moments(key: str) -> None:
    f = law(key)
    lim = f.bound if math.isfinite(f.bound) and f.kind != "sphere" else 12 * f.std
    pts = [-lim, lim] if f.kind in ("uniform", "truncated_normal") else None
    a, b = -1.001 * lim, 1.001 * lim
    mass = integrate.quad(f.pdf, a, b, points=pts, limit=200)[0]
    var = integrate.quad(lambda x: x * x * f.pdf(x), a, b, points=pts, limit=200)[0]
    m4 = integrate.quad(lambda x: x**4 * f.pdf(x), a, b, points=pts, limit=200)[0]
    assert mass == pytest.approx(1.0, abs=1e-6)
    assert var == pytest.approx(f.std**2, rel=1e-6)
    assert m4 / var**2 == pytest.approx(f.kurtosis, rel=1e-5)


def test_sphere_density_matches_beta() -> None:
    # one coordinate x of a uniform unit vector in R^n: x^2 ~ Beta(1/2, (n - 1)/2)
    n = 400
    x = np.array([0.01, 0.05, 0.1, 0.2])
    beta = stats.beta(0.5, (n - 1) / 2)
    np.testing.assert_allclose(law("orthogonal").pdf(x), beta.pdf(x**2) * x, rtol=1e-9)


def test_standard_errors_match_monte_carlo() -> None:
    n, reps = 200, 2000
    rng = np.random.default_rng(1)
    # spread of `reps` estimates of a spread has relative SE 1/sqrt(2 reps) = 1.6%: 4 of them 6.3%
    tol = 4 / math.sqrt(2 * reps)
    for f, sample in ((law("he_uniform"),
                       rng.uniform(-math.sqrt(6 / 400), math.sqrt(6 / 400), (reps, n))),
                      (law("random_normal"), 0.05 * rng.standard_normal((reps, n))),
                      (law("truncated_normal"),
                       0.05 * stats.truncnorm(-2, 2).rvs((reps, n), random_state=rng))):
        se_mean, se_std = laws.standard_errors(f, n)
        assert sample.mean(axis=1).std() == pytest.approx(se_mean, rel=tol)
        assert sample.std(axis=1).std() == pytest.approx(se_std, rel=tol)
    assert laws.standard_errors(law("zeros"), n) == (0.0, 0.0)


def test_gallery_within_claims_for_another_seed() -> None:
    gal = initializer_gallery.draw_gallery(fan_in=400, fan_out=250, n_bins=60, seed=7)
    for key, r in gal["inits"].items():
        for stat, (lo, hi, _) in r["ranges"].items():
            assert lo <= r[stat] <= hi, (key, stat, r[stat], lo, hi)
    assert gal["gallery_n_beyond_bound"] == 0
    assert gal["glorot_uniform_max"] == gal["inits"]["glorot_uniform"]["max"]
    assert gal["glorot_uniform_bound"] == pytest.approx(math.sqrt(6 / 650))
    assert "random_normal_bound" not in gal                      # unbounded: no bound recorded


def test_result_keys_are_the_initializer_and_the_statistic() -> None:
    assert list(keys.RESULT_KEYS) == list(laws.GALLERY)
    for key, names in keys.RESULT_KEYS.items():
        bounded = math.isfinite(law(key).bound)
        want = [f"{key}_{stat}" for stat in keys.STATS]
        assert list(names) == want[:-1] + [want[-1] if bounded else None], key


def test_recorded_keys_are_the_reference_keys() -> None:
    """Every scalar the chapter's experiments return is a key the reference checks, and back."""
    ref = json.loads(REFERENCE.read_text())
    want = {k for k in set(ref["claims"]) | set(ref["snapshots"]["full"])
            if not k.startswith("ex_")}  # the exercises' keys: their own tests
    got = {}
    for out in (initializer_gallery.draw_gallery(fan_in=40, fan_out=25, n_bins=10, seed=0),
                initializer_gallery.conv_fans(kernel=(3, 3), c_in=4, c_out=8, seed=0),
                initializer_gallery.truncation_check(n_draws=100, seed=0),
                initializer_gallery.pytorch_default(fan_in=30, fan_out=20, seed=0),
                initializer_gallery.orthogonal_check(tall=(40, 25), conv=(3, 3, 4, 8), seed=0),
                initializer_gallery.seeded_reuse(width=8, n_layers=3, seed=0)):
        scalars = {k for k, v in out.items() if isinstance(v, bool | int | float)}
        assert not scalars & set(got), scalars & set(got)
        got.update(dict.fromkeys(scalars))
    assert set(got) == want


def test_claims_reject_wrong_formulas() -> None:
    """The ranges must fail a library that gets a formula wrong (they are not vacuous)."""
    rng, n = np.random.default_rng(2), 400 * 250
    he_n = laws.claim_ranges(law("he_normal"), n)
    # truncated at 2 std without dividing by 0.8796: std 12% low, ~80 SE
    s = math.sqrt(2 / 400)
    w = s * stats.truncnorm(-2, 2).rvs(n, random_state=rng)
    assert not he_n["std"][0] <= w.std() <= he_n["std"][1]
    # Glorot uniform with fan_in where the average belongs: limit sqrt(6/400), not sqrt(6/650)
    gu = laws.claim_ranges(law("glorot_uniform"), n)
    w = rng.uniform(-math.sqrt(6 / 400), math.sqrt(6 / 400), n)
    assert not gu["std"][0] <= w.std() <= gu["std"][1]
    assert not gu["max"][0] <= w.max() <= gu["max"][1]
    # PyTorch default confused with He uniform (a = 0)
    pt = laws.claim_ranges(law("pytorch_linear"), n)
    w = rng.uniform(-math.sqrt(6 / 400), math.sqrt(6 / 400), n)
    assert not pt["max"][0] <= w.max() <= pt["max"][1]
    # a uniform whose draws never approach its bound (e.g. limit 1% short) fails `max`
    w = rng.uniform(-0.99 / 20, 0.99 / 20, n)
    assert not pt["max"][0] <= w.max() <= pt["max"][1]


def test_reference_claims_are_in_sync_with_the_closed_forms() -> None:
    claims = json.loads(REFERENCE.read_text())["claims"]
    for key, want in laws.gallery_claims(fan_in=400, fan_out=250).items():
        assert claims[key]["min"] == pytest.approx(want["min"], rel=1e-12, abs=1e-15), key
        assert claims[key]["max"] == pytest.approx(want["max"], rel=1e-12, abs=1e-15), key


def test_conv_fans_both_layouts() -> None:
    conv = initializer_gallery.conv_fans(kernel=(3, 3), c_in=16, c_out=32, seed=0)
    assert conv["fans"]["keras"] == (144, 288) == conv["fans"]["pytorch"]
    assert conv["conv_fan_in_pytorch_read_as_keras"] == 1536
    assert conv["conv_fan_out_keras_read_as_pytorch"] == 1536
    assert conv["conv_std_ratio_misread"] == pytest.approx(math.sqrt(144 / 1536))
    # He std sqrt(2/144); corrected truncated normal, 4608 draws: 5 SE = 5 * 0.0086 relative
    m2, m4 = laws.truncated_moments()
    rel = 5 * math.sqrt((m4 / m2**2 - 1) / (4 * 4608))
    assert conv["conv_he_std_measured_keras"] == pytest.approx(math.sqrt(2 / 144), rel=rel)
    table = initializer_gallery.conv_table(conv).data
    assert list(table["fan_in"]) == [144, 144, 1536, 1536]


def test_truncation_check() -> None:
    t = initializer_gallery.truncation_check(n_draws=20_000, seed=3)
    assert abs(t["trunc_var_ratio_raw"] - 0.7737413) < 5 * t["trunc_se_ratio_raw"]
    assert abs(t["trunc_var_ratio_fixed"] - 1.0) < 5 * t["trunc_se_ratio_fixed"]
    assert t["trunc_max_abs_raw"] <= 2.0
    assert t["trunc_max_abs_fixed"] <= t["trunc_bound_fixed"]
    assert t["trunc_factor_library_error"] < 1e-12


def test_recover_uniform_bound() -> None:
    w = np.random.default_rng(5).uniform(-0.3, 0.3, size=(20, 30))
    b, resid = draws.recover_uniform_bound(w, seed=5)
    assert b == pytest.approx(0.3, abs=1e-15) and resid < 1e-15
    # not a draw of that stream: the residual shows it
    w = np.random.default_rng(5).standard_normal((20, 30))
    assert draws.recover_uniform_bound(w, seed=5)[1] > 0.1


def test_pytorch_default_bounds() -> None:
    t = initializer_gallery.pytorch_default(fan_in=30, fan_out=20, seed=1)
    assert t["torch_bound_pytorch"] == pytest.approx(1 / math.sqrt(30))
    assert t["weights"]["pytorch"].shape == (20, 30)                  # PyTorch layout (out, in)
    for k in ("pytorch", "he", "lecun"):
        assert t[f"torch_bound_error_{k}"] < 1e-12 and t[f"torch_fit_residual_{k}"] < 1e-12
        assert t[f"torch_max_abs_{k}"] <= t[f"torch_bound_{k}"]
    assert t["torch_gain_library"] == pytest.approx(1 / math.sqrt(3), abs=1e-15)


def test_orthogonal_check() -> None:
    o = initializer_gallery.orthogonal_check(tall=(40, 25), conv=(3, 3, 4, 8), seed=2)
    assert max(o["orth_tall_dev"], o["orth_wide_dev"], o["orth_conv_dev"]) < 1e-12
    assert o["orth_tall_wrong_side_dev"] >= o["orth_wrong_side_floor"] == pytest.approx(1 - 25 / 40)
    np.testing.assert_allclose(o["sv_orthogonal"], 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="more rows"):
        initializer_gallery.orthogonal_check(tall=(5, 5), conv=(3, 3, 4, 8), seed=0)


def test_seeded_reuse() -> None:
    r = initializer_gallery.seeded_reuse(width=16, n_layers=3, seed=4)
    assert not r["reuse_same_rng_identical"] and r["reuse_same_rng_max_diff"] > r["reuse_bound"]
    assert r["reuse_fresh_rng_identical"] and r["reuse_fresh_rng_max_diff"] == 0.0
    assert r["reuse_seeded_object_identical"] and not r["reuse_running_identical"]
    # independent 16 x 16 layers: correlation ~ N(0, 1/256), 5 SE = 0.31
    assert abs(r["reuse_same_rng_corr"]) < 5 / 16 and abs(r["reuse_running_corr"]) < 5 / 16


def test_summary_table_rows_and_z() -> None:
    gal = initializer_gallery.draw_gallery(fan_in=40, fan_out=25, n_bins=10, seed=0)
    table = initializer_gallery.summary_table(gal).data
    assert len(table) == len(laws.GALLERY)
    assert (table.loc["Zeros", ["z mean", "z std"]] == 0).all()     # deterministic: exact


def test_gallery_figures_one_panel_per_initializer_and_fit_the_column() -> None:
    gal = initializer_gallery.draw_gallery(fan_in=40, fan_out=25, n_bins=10, seed=0)
    groups = initializer_gallery.GROUPS
    every = [k for members in groups.values() for k in members]
    assert sorted(every) == sorted(laws.GALLERY)          # each initializer in one figure
    for group, members in groups.items():
        fig = initializer_gallery.plot_gallery(gal, group)
        plotting.check_fits_column(fig, group)           # <= 6.3 in, 2 per row, >= 10 pt
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title().replace("\n", " ") for ax in axes] == [
            laws.GALLERY[k][2].replace("\n", " ") for k in members]
        assert all(ax.get_xlabel() == "weight value" for ax in axes)
        log = group == "deterministic"                    # probabilities on a log scale
        assert all((ax.get_yscale() == "log") == log for ax in axes)
        plt.close(fig)
    with pytest.raises(ValueError, match="group"):
        initializer_gallery.plot_gallery(gal, "nonsense")


def test_convention_figures_fit_the_column() -> None:
    trunc = initializer_gallery.truncation_check(n_draws=1000, seed=0)
    torch = initializer_gallery.pytorch_default(fan_in=40, fan_out=25, seed=0)
    orth = initializer_gallery.orthogonal_check(tall=(40, 25), conv=(3, 3, 4, 8), seed=0)
    reuse = initializer_gallery.seeded_reuse(width=8, n_layers=3, seed=0)
    figs = {"truncation": initializer_gallery.plot_truncation(trunc),
            "pytorch": initializer_gallery.plot_pytorch_default(torch),
            "orthogonal": initializer_gallery.plot_orthogonal(orth),
            "seeds": initializer_gallery.plot_seeds(reuse)}
    for name, fig in figs.items():
        plotting.check_fits_column(fig, name)
        assert len(fig.axes) == 1 and len(fig.legends) == 1, name
    a, b, c, d = (f.axes[0] for f in figs.values())
    assert len(a.patches) == 2 and a.get_ylabel() == "density"     # raw and corrected
    assert len(b.patches) == 3 and b.get_xlabel() == "weight value"
    assert c.get_yscale() == "log" and c.get_xlabel() == "singular value"
    assert d.get_xlabel() == "entry of the first draw A" and len(d.get_lines()) == 2
    for fig in figs.values():
        plt.close(fig)


def test_exercise_std_error_follows_the_delta_method() -> None:
    # 400 repeats: the spread of the stds is itself known to ~1/sqrt(2 * 400) = 3.5%; allow 5x
    out = initializer_gallery.exercise_std_error(n_draws=500, seed=3)
    assert out["ex_se_random_normal_theory"] == pytest.approx(1 / math.sqrt(2 * 500))
    assert out["ex_se_random_uniform_theory"] == pytest.approx(1 / math.sqrt(5 * 500))
    for key in ("random_normal", "random_uniform"):
        assert out[f"ex_se_{key}_measured"] == pytest.approx(out[f"ex_se_{key}_theory"], rel=0.18)


@pytest.mark.parametrize("a", [0.0, 1.0, math.sqrt(5.0)])
def test_exercise_kaiming_slope_gives_two_over_one_plus_a_squared(a: float) -> None:
    out = initializer_gallery.exercise_kaiming_slope(a=a, fan_in=400, fan_out=250, seed=1)
    assert out["ex_slope_theory"] == pytest.approx(2 / (1 + a**2))
    # uniform: SE of the variance = var sqrt((9/5 - 1) / N), N = 1e5; allow 5 SE
    assert out["ex_slope_fan_in_var"] == pytest.approx(2 / (1 + a**2),
                                                       rel=5 * math.sqrt(0.8 / 1e5))
    with pytest.raises(ValueError, match="nan"):
        initializer_gallery.exercise_kaiming_slope(a=float("nan"), fan_in=4, fan_out=4, seed=0)


def test_exercise_aspect_ratio_gaussian_edges_orthogonal_flat() -> None:
    out = initializer_gallery.exercise_aspect_ratio(rows=900, cols=100, conv=(3, 3, 4, 8), seed=2)
    assert (out["ex_aspect_mp_low"], out["ex_aspect_mp_high"]) == pytest.approx((2 / 3, 4 / 3))
    assert out["ex_aspect_gauss_sv_min"] == pytest.approx(2 / 3, abs=0.06)
    assert out["ex_aspect_gauss_sv_max"] == pytest.approx(4 / 3, abs=0.06)
    assert out["ex_aspect_orth_sv_min"] == pytest.approx(1, abs=1e-10)
    assert out["ex_aspect_orth_sv_max"] == pytest.approx(1, abs=1e-10)
