"""initlab.results: record (plain JSON, no NaN, no crash outside a notebook), compare, refresh."""

import json
import math

import numpy as np
import pytest

from initlab import results
from initlab.results import DEFAULT_RTOL, Mismatch, compare, refresh_reference, refresh_snapshots


@pytest.fixture
def chapter(tmp_path):
    results.init_chapter("02_demo", tmp_path / "res", smoke=True)
    return tmp_path / "res" / "02_demo.json"


def test_record_writes_plain_sorted_json(chapter, capsys):
    assert results.record("b_float", np.float64(0.25)) == 0.25
    results.record("a_int", np.int64(3))
    results.record("c_bool", np.bool_(True))
    results.record("d_str", "relu")
    returned = results.record("e_0d", np.array(1.5))
    text = chapter.read_text()
    assert "np." not in text and "numpy" not in text
    data = json.loads(text)
    assert data == {"chapter": "02_demo", "mode": "smoke",
                    "values": {"a_int": 3, "b_float": 0.25, "c_bool": True, "d_str": "relu",
                               "e_0d": 1.5}}
    assert list(data["values"]) == sorted(data["values"])
    assert type(returned) is float and type(data["values"]["a_int"]) is int
    # plain python: no IPython kernel, so nothing is glued and nothing is printed
    assert capsys.readouterr().out == ""


def test_init_chapter_starts_fresh_and_records_mode(tmp_path):
    results.init_chapter("03_x", tmp_path, smoke=False)
    results.record("k", 1.0)
    results.init_chapter("03_x", tmp_path, smoke=False)
    assert results.load(tmp_path / "03_x.json") == {"chapter": "03_x", "mode": "full", "values": {}}


@pytest.mark.parametrize("bad", [math.nan, math.inf, -np.inf, np.float64("nan")])
def test_record_rejects_non_finite_naming_the_key(chapter, bad):
    with pytest.raises(ValueError, match="'final_loss'.*divergence"):
        results.record("final_loss", bad)
    assert "final_loss" not in chapter.read_text()


@pytest.mark.parametrize("bad", [np.ones(2), None, [1.0], {"a": 1}])
def test_record_rejects_non_scalars(chapter, bad):
    with pytest.raises(TypeError, match="'k' must be a bool, int, float or str"):
        results.record("k", bad)


@pytest.mark.parametrize("key", ["a:b", "with space", "", "x`y"])
def test_record_rejects_keys_that_break_glue_roles(chapter, key):
    with pytest.raises(ValueError, match="result key"):
        results.record(key, 1.0)


def test_record_fmt_validates_and_keeps_raw_value(chapter):
    assert results.record("acc", 0.91234, fmt=".2f") == 0.91234
    assert results.load(chapter)["values"]["acc"] == 0.91234
    with pytest.raises(ValueError, match="'name'.*fmt='.2f'"):
        results.record("name", "relu", fmt=".2f")


def test_record_needs_a_chapter(monkeypatch):
    monkeypatch.setattr(results, "_current", None)
    with pytest.raises(RuntimeError, match="init_chapter"):
        results.record("k", 1.0)


def test_glue_step_never_crashes_plain_python(chapter, monkeypatch):
    # even an IPython shell without a kernel (terminal IPython) only skips the glue
    class Shell:  # no `kernel` attribute
        pass

    monkeypatch.setattr("IPython.get_ipython", lambda: Shell())
    assert results.record("k", 2.0) == 2.0


REFERENCE = {
    "chapter": "02_demo",
    "claims": {
        "acc_zero": {"min": 0.0, "max": 0.13, "why": "chance is 0.10"},
        "acc_random": {"min": 0.8, "max": None, "why": "one-sided: random init learns"},
        "loss_ratio": {"min": None, "max": 1.0, "why": "one-sided from above"},
        "symmetric": {"equals": True, "why": "zero init keeps units identical"},
        "full_only": {"min": 0.5, "max": 1.0, "why": "only in full runs", "modes": ["full"]},
    },
    "snapshots": {
        "smoke": {"acc_random": {"value": 0.91, "atol": 0.02},
                  "grad_norm": {"value": 100.0, "rtol": 0.01},
                  "n_steps": {"value": 50}},
        "full": {"acc_random": {"value": 0.95, "atol": 0.01}},
    },
}
GOOD = {"acc_zero": 0.1, "acc_random": 0.92, "loss_ratio": 0.5, "symmetric": True,
        "grad_norm": 100.9, "n_steps": 50}


def run(values, mode="smoke"):
    return {"chapter": "02_demo", "mode": mode, "values": values}


def keys(mismatches):
    return [m.key for m in mismatches]


def test_compare_passes_a_good_run():
    assert compare(run(GOOD), REFERENCE, "smoke") == []


@pytest.mark.parametrize("key,value", [("acc_zero", 0.14), ("acc_zero", -0.01),
                                       ("acc_random", 0.79), ("loss_ratio", 1.01)])
def test_compare_claim_out_of_range(key, value):
    found = compare(run({**GOOD, key: value}), REFERENCE, "smoke")
    assert set(keys(found)) == {key}  # acc_random 0.79 also misses its snapshot
    line = str(found[0])
    assert line.startswith(f"02_demo {key}: expected ") and f"got {value}" in line
    assert "tolerance claim" in line and REFERENCE["claims"][key]["why"] in line


def test_compare_one_sided_claims_have_no_other_bound():
    assert compare(run({**GOOD, "acc_random": 0.919, "loss_ratio": -1e9}), REFERENCE,
                   "smoke") == []


def test_compare_bool_claim_is_exact_and_typed():
    assert keys(compare(run({**GOOD, "symmetric": False}), REFERENCE, "smoke")) == ["symmetric"]
    # 1 == True in Python, but a number recorded where a bool is claimed is a mismatch
    assert keys(compare(run({**GOOD, "symmetric": 1}), REFERENCE, "smoke")) == ["symmetric"]


def test_compare_range_claim_on_a_non_number_fails():
    assert keys(compare(run({**GOOD, "acc_zero": "0.1"}), REFERENCE, "smoke")) == ["acc_zero"]


def test_compare_snapshot_atol_and_rtol_boundaries():
    # acc_random: atol 0.02 around 0.91 (the claim's min 0.8 is far away)
    assert compare(run({**GOOD, "acc_random": 0.929}), REFERENCE, "smoke") == []
    found = compare(run({**GOOD, "acc_random": 0.931}), REFERENCE, "smoke")
    assert keys(found) == ["acc_random"] and "atol 0.02" in str(found[0])
    # grad_norm: rtol 0.01 of 100 -> +-1
    assert compare(run({**GOOD, "grad_norm": 99.01}), REFERENCE, "smoke") == []
    assert keys(compare(run({**GOOD, "grad_norm": 98.99}), REFERENCE, "smoke")) == ["grad_norm"]
    # no tolerance: exact
    assert keys(compare(run({**GOOD, "n_steps": 51}), REFERENCE, "smoke")) == ["n_steps"]


def test_compare_reports_missing_keys():
    values = {k: v for k, v in GOOD.items() if k not in ("acc_zero", "grad_norm")}
    found = compare(run(values), REFERENCE, "smoke")
    assert sorted(keys(found)) == ["acc_zero", "grad_norm"]
    assert all("got missing (not recorded)" in str(m) for m in found)


def test_compare_reports_uncovered_keys():
    found = compare(run({**GOOD, "extra": 1.0}), REFERENCE, "smoke")
    assert found == [Mismatch("02_demo", "extra", "no reference", "1.0", "-", found[0].why)]
    assert "refresh-reference 02_demo --mode smoke" in found[0].why


def test_compare_filters_by_mode():
    # full: the full-only claim and full snapshots apply, smoke snapshots do not
    full = {"acc_zero": 0.1, "acc_random": 0.955, "loss_ratio": 0.5, "symmetric": True,
            "full_only": 0.7}
    assert compare(run(full, "full"), REFERENCE, "full") == []
    assert keys(compare(run({**full, "full_only": 0.2}, "full"), REFERENCE, "full")) == [
        "full_only"]
    # smoke: a full-only key recorded in smoke is not covered
    assert keys(compare(run({**GOOD, "full_only": 0.7}), REFERENCE, "smoke")) == ["full_only"]
    # results of the wrong mode
    assert "(mode)" in keys(compare(run(GOOD, "full"), REFERENCE, "smoke"))


@pytest.mark.parametrize("claim", [{"min": 0.0}, {"min": None, "max": None, "why": "x"},
                                   {"equals": 1, "max": 2, "why": "x"},
                                   {"min": 0, "why": "x", "modes": ["ci"]}])
def test_compare_rejects_malformed_claims(claim):
    with pytest.raises(ValueError, match="02_demo claim 'k'"):
        compare(run({}), {"chapter": "02_demo", "claims": {"k": claim}}, "smoke")


# refresh-reference: written by hand with compact claims, so a re-serialisation would show
REFERENCE_TEXT = """{"chapter": "02_demo",
 "claims":    {"acc_zero": {"min": 0.0, "max": 0.13, "why": "chance is 0.10 (+0.03)"},
               "flag": {"equals": true, "why": "x", "modes": ["smoke"]}},
 "snapshots": {"smoke": {"acc_random": {"value": 0.91, "atol": 0.02},
                         "gone": {"value": 1.0, "rtol": 0.1}},
               "full": {"acc_random": {"value": 0.95, "atol": 0.01}}}}
"""


def test_refresh_reference_keeps_claims_byte_identical(tmp_path):
    path = tmp_path / "02_demo.json"
    path.write_text(REFERENCE_TEXT)
    new = {"acc_zero": 0.1, "acc_random": 0.93, "flag": True, "steps": 7, "new_float": 0.5}
    changes = refresh_reference(path, run(new), "smoke")
    text = path.read_text()
    start, end = REFERENCE_TEXT.index('"claims"'), REFERENCE_TEXT.index('"snapshots"')
    claims_text = REFERENCE_TEXT[start:end]
    assert claims_text in text and text.startswith('{"chapter": "02_demo",\n "claims":')
    ref = json.loads(text)
    assert ref["claims"] == json.loads(REFERENCE_TEXT)["claims"]
    assert ref["snapshots"]["full"] == {"acc_random": {"value": 0.95, "atol": 0.01}}
    smoke = ref["snapshots"]["smoke"]
    assert smoke["acc_random"] == {"value": 0.93, "atol": 0.02}  # tolerance kept
    assert smoke["new_float"] == {"value": 0.5, "rtol": DEFAULT_RTOL}
    assert smoke["steps"] == {"value": 7} and smoke["flag"] == {"value": True}
    assert "gone" not in smoke
    assert "  acc_random: 0.91 -> 0.93" in changes
    assert "- gone: no longer recorded, removed" in changes
    assert "+ new_float: 0.5 (new, rtol 1e-06)" in changes
    # the refreshed reference accepts the run it came from
    assert compare(run(new), ref, "smoke") == []


def test_refresh_reference_creates_a_missing_file(tmp_path):
    path = tmp_path / "07_new.json"
    refresh_reference(path, {"chapter": "07_new", "mode": "full", "values": {"x": 2.0}}, "full")
    snapshot = {"x": {"value": 2.0, "rtol": DEFAULT_RTOL}}
    expected = {"chapter": "07_new", "claims": {}, "snapshots": {"full": snapshot}}
    assert results.load(path) == expected


def test_refresh_snapshots_refuses_results_of_another_mode():
    with pytest.raises(ValueError, match="mode 'full', not 'smoke'"):
        refresh_snapshots(REFERENCE, run(GOOD, "full"), "smoke")


def test_record_all_records_scalars_and_skips_figure_data(tmp_path):
    results.init_chapter("04_all", tmp_path, smoke=True)
    results.record_all({"a": np.float64(0.5), "n": np.int64(3), "ok": np.True_, "name": "x",
                        "zero_d": np.array(2.0), "curve": np.arange(3), "rows": [1, 2],
                        "nested": {"b": 1.0}, "none": None}, fmt={"a": ".2f"})
    values = json.loads((tmp_path / "04_all.json").read_text())["values"]
    assert values == {"a": 0.5, "n": 3, "ok": True, "name": "x", "zero_d": 2.0}
    assert type(values["n"]) is int
    with pytest.raises(KeyError, match="curve"):
        results.record_all({"curve": np.arange(3)}, fmt={"curve": ".2f"})
    with pytest.raises(ValueError, match="'bad'"):
        results.record_all({"bad": float("nan")})
    with pytest.raises(TypeError, match="mapping"):
        results.record_all([("a", 1.0)])


def test_record_all_takes_several_results_that_share_no_key(tmp_path):
    results.init_chapter("04_several", tmp_path, smoke=True)
    results.record_all({"a": 1.0, "curve": np.arange(2)}, {"b": 2}, fmt={"b": "d"})
    values = json.loads((tmp_path / "04_several.json").read_text())["values"]
    assert values == {"a": 1.0, "b": 2}
    with pytest.raises(KeyError, match=r"\['a'\]"):
        results.record_all({"a": 1.0}, {"a": 3.0})
    assert json.loads((tmp_path / "04_several.json").read_text())["values"]["a"] == 1.0
    with pytest.raises(TypeError, match="at least one"):
        results.record_all()
