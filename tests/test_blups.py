"""engine.blups: one level's BLUPs and rankings, against lme4's ranef/coef of the reference.

Tolerance (reference README): BLUPs and conditional SDs within 1e-3 of the group's SD.
The interval is b̂ ± Φ⁻¹(0.975)·cond_sd, computed here from the reference numbers.
"""

from __future__ import annotations

import json
from functools import cache

import pandas as pd
import pytest
from scipy import stats

from engine import fit_lmm
from engine.blups import lookup_blups, match_level, rank_blups, require_level, resolve_term
from engine.errors import LmmInputError
from tests.conftest import find_reference_dir

Z95 = stats.norm.ppf(0.975)


@cache
def case(name: str) -> dict:
    return json.loads((find_reference_dir() / "cases" / f"{name}.json").read_text())


@cache
def fit_of(name: str):
    c = case(name)
    data = pd.read_csv(find_reference_dir() / c["data"])
    return fit_lmm(c["formula"], data, reml=c["reml"])


def ref_ranef(name: str, group: str, term: str) -> dict[str, dict]:
    return {r["level"]: r for r in case(name)["ranef"] if r["group"] == group and r["term"] == term}


def group_sd(name: str, group: str, term: str) -> float:
    return next(v["sdcor"] for v in case(name)["varcorr"]
                if v["grp"] == group and v["var1"] == term and not v.get("var2"))


def fixef(name: str, term: str) -> float:
    return next(f["estimate"] for f in case(name)["fixef"] if f["term"] == term)


def test_one_subjects_blups_match_lme4_with_their_interval_and_coefficient():
    fit = fit_of("sleepstudy_slope")
    lookup = lookup_blups(fit, "Subject", "308")
    assert lookup.level == "308" and lookup.z == pytest.approx(Z95)
    assert [e.term for e in lookup.effects] == ["(Intercept)", "Days"]
    for e in lookup.effects:
        ref = ref_ranef("sleepstudy_slope", "Subject", e.term)["308"]
        tol = 1e-3 * group_sd("sleepstudy_slope", "Subject", e.term)
        assert e.value == pytest.approx(ref["value"], abs=tol)
        assert e.cond_sd == pytest.approx(ref["cond_sd"], abs=tol)
        assert e.lower == pytest.approx(ref["value"] - Z95 * ref["cond_sd"], abs=3 * tol)
        assert e.upper == pytest.approx(ref["value"] + Z95 * ref["cond_sd"], abs=3 * tol)
        # lme4's coef(): fixed effect plus BLUP
        expected = fixef("sleepstudy_slope", e.term) + ref["value"]
        assert e.coefficient == pytest.approx(expected, abs=2 * tol)
    # subject 308's Days slope is the steepest in sleepstudy: 10.47 + 9.20 = 19.67
    assert lookup.effects[1].coefficient == pytest.approx(19.666, abs=0.01)


def test_a_90_percent_interval_uses_its_own_z():
    fit = fit_of("sleepstudy_slope")
    e = lookup_blups(fit, "Subject", "308", level=0.90).effects[0]
    assert e.upper - e.value == pytest.approx(stats.norm.ppf(0.95) * e.cond_sd, rel=1e-12)


@pytest.mark.parametrize("order", ["highest", "lowest"])
def test_ranking_by_blup_follows_lme4s_values(order):
    fit = fit_of("sleepstudy_slope")
    ranking = rank_blups(fit, "Subject", "Days", order, top=4)
    ref = ref_ranef("sleepstudy_slope", "Subject", "Days")
    expected = sorted(ref, key=lambda lv: ref[lv]["value"], reverse=order == "highest")[:4]
    assert [r.level for r in ranking.rows] == expected
    assert ranking.n_levels == 18 and ranking.top == 4 and not ranking.by_size
    assert ranking.fixed_estimate == pytest.approx(fixef("sleepstudy_slope", "Days"), rel=1e-4)
    outside = sum(1 for lv in expected
                  if abs(ref[lv]["value"]) > Z95 * ref[lv]["cond_sd"])
    assert ranking.n_excluding_zero == outside


def test_steepest_and_flattest_order_by_the_size_of_the_own_slope():
    """pain_trial's time slope is negative: the steepest patients fall fastest."""
    from engine.samples import load_sample

    fit = fit_lmm("pain_score ~ time + (1 + time || patient)", load_sample("pain_trial"))
    own = {r.level: fit.beta[1] + r.value for r in fit.random_effects if r.term == "time"}
    assert max(own.values()) < 0
    steepest = rank_blups(fit, "patient", "slope", "steepest", top=3)
    assert steepest.term == "time" and steepest.by_size
    assert [r.level for r in steepest.rows] == sorted(own, key=lambda lv: own[lv])[:3]
    flattest = rank_blups(fit, "patient", "time", "flattest", top=None)
    assert [r.level for r in flattest.rows] == sorted(own, key=lambda lv: -own[lv])
    assert len(flattest.rows) == flattest.n_levels == 80


def test_ranking_the_intercepts_of_a_crossed_model_keeps_the_factors_apart():
    fit = fit_of("penicillin_crossed")
    ranking = rank_blups(fit, "sample", None, "lowest", top=None)
    ref = ref_ranef("penicillin_crossed", "sample", "(Intercept)")
    assert ranking.term == "(Intercept)"
    assert [r.level for r in ranking.rows] == sorted(ref, key=lambda lv: ref[lv]["value"])


def test_level_matching_respects_how_levels_are_written():
    assert match_level(["308", "309"], "308") == "308"
    assert match_level(["308", "309"], "308.0") == "308"
    assert match_level(["P001", "P002"], "p001") == "P001"
    assert match_level(["P001", "P002"], "p1") == "P001"
    assert match_level(["school_01", "school_12"], "12") == "school_12"
    assert match_level(["a1", "b1"], "1") is None  # two levels end in 1: no guess
    assert match_level(["P001"], "P0011") is None


def test_an_unknown_level_names_the_factor_some_levels_and_close_matches():
    fit = fit_of("sleepstudy_slope")
    with pytest.raises(LmmInputError) as caught:
        require_level(fit, "Subject", "3088")
    message = str(caught.value)
    assert message.startswith("Subject has no level '3088' (did you mean 308")
    assert message.endswith("; its 18 levels include 308, 309, 310, 330, 331.")


def test_terms_are_resolved_or_refused_in_words():
    fit = fit_of("sleepstudy_slope")
    assert resolve_term(fit, "Subject", None) == "(Intercept)"
    assert resolve_term(fit, "Subject", "slope") == "Days"
    assert resolve_term(fit, "Subject", "days") == "Days"
    with pytest.raises(LmmInputError, match="no random effect for 'age'"):
        resolve_term(fit, "Subject", "age")
    intercept_only = fit_of("sleepstudy_intercept")
    with pytest.raises(LmmInputError, match="no random slope for Subject"):
        rank_blups(intercept_only, "Subject", "slope", "steepest")
    with pytest.raises(LmmInputError, match="not a grouping factor"):
        rank_blups(intercept_only, "Days", None)
    with pytest.raises(LmmInputError, match="at least one level"):
        rank_blups(intercept_only, "Subject", None, top=0)


def test_results_are_json_safe_numbers():
    fit = fit_of("sleepstudy_slope")
    out = rank_blups(fit, "Subject", None, "highest", top=2).to_dict()
    assert out["kind"] == "blup_ranking" and len(out["rows"]) == 2
    json.dumps(out, allow_nan=False)
    assert lookup_blups(fit, "Subject", "309").to_dict()["effects"][0]["level"] == "309"
