"""Profile-likelihood and Wald confidence intervals against lme4's confint()."""

from __future__ import annotations

import pytest
from scipy import stats

from engine.errors import LmmInputError
from engine.profile import confint
from tests.test_reference_cases import CASES, fitted, load_case, rel_err

PROFILE_CASES = [c for c in CASES if "confint_profile" in load_case(c)]


def test_the_reference_has_profile_cases():
    assert len(PROFILE_CASES) >= 5


@pytest.mark.parametrize("name", PROFILE_CASES)
def test_profile_intervals_match_lme4(name):
    table = fitted(name).confint(method="profile")
    refs = load_case(name)["confint_profile"]
    assert list(table.columns) == ["parameter", "lower", "upper"]
    assert list(table["parameter"]) == [r["parameter"] for r in refs]
    for (_, row), ref in zip(table.iterrows(), refs, strict=True):
        for side in ("lower", "upper"):
            if ref[side] == 0:
                assert row[side] == 0, (ref["parameter"], side)
            else:
                assert rel_err(row[side], ref[side]) < 1e-2, (ref["parameter"], side)


def test_profile_interval_narrows_with_the_level():
    fit = fitted("dyestuff")
    wide = confint(fit, "profile", 0.95)
    narrow = confint(fit, "profile", 0.80)
    assert (narrow["lower"] > wide["lower"]).all()
    assert (narrow["upper"] < wide["upper"]).all()


def test_wald_intervals_are_the_coefficient_table_intervals():
    fit = fitted("sleepstudy_slope")
    table = fit.confint()
    assert list(table["parameter"]) == fit.fixed_names
    for (_, row), fe in zip(table.iterrows(), fit.fixed_effects, strict=True):
        assert row["lower"] == pytest.approx(fe.ci_lower, rel=1e-12)
        assert row["upper"] == pytest.approx(fe.ci_upper, rel=1e-12)
    at_90 = fit.confint("wald", 0.90)
    fe = fit.fixed_effects[1]
    assert at_90["upper"].iloc[1] == pytest.approx(
        fe.estimate + stats.t.ppf(0.95, fe.df) * fe.se, rel=1e-12
    )


def test_bad_method_and_level_are_refused():
    fit = fitted("dyestuff")
    with pytest.raises(LmmInputError, match="wald"):
        fit.confint(method="boot")
    with pytest.raises(LmmInputError, match="between 0 and 1"):
        fit.confint(level=95)


def test_profile_uses_the_ml_deviance_for_reml_and_ml_fits_alike():
    # lme4 profiles the ML deviance even for a REML fit, so the ML fit of the same model
    # reproduces the REML fit's reference intervals.
    table = fitted("sleepstudy_slope_ml").confint(method="profile")
    refs = load_case("sleepstudy_slope")["confint_profile"]
    assert list(table["parameter"]) == [r["parameter"] for r in refs]
    for (_, row), ref in zip(table.iterrows(), refs, strict=True):
        assert rel_err(row["lower"], ref["lower"]) < 1e-2, ref["parameter"]
        assert rel_err(row["upper"], ref["upper"]) < 1e-2, ref["parameter"]


def test_a_profile_that_would_run_for_minutes_is_declined(monkeypatch):
    import engine.profile as profile

    monkeypatch.setattr(profile, "TIME_BUDGET_SECONDS", 1e-9)
    with pytest.raises(LmmInputError, match="method='wald'"):
        fitted("dyestuff").confint(method="profile")


def test_refusals_say_minutes_in_good_english():
    from engine.errors import about_minutes

    assert about_minutes(20) == "about 1 minute"
    assert about_minutes(89) == "about 1 minute"
    assert about_minutes(91) == "about 2 minutes"
    assert about_minutes(35 * 60) == "about 35 minutes"
