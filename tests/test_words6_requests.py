"""Requests on the sleepstudy, schools and ratings samples in users' own words (words6):
each reaches the analysis it means, and the numbers are checked against lme4's
reference fit, a closed form, or a direct engine call on the same data."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from assistant.session import Session
from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.samples import load_sample
from engine.slope_spread import slope_spread
from grammar.parse import parse
from tests.conftest import ask_ok

SLEEP_FIT = "Reaction ~ Days + (1 + Days | Subject)"
SCHOOLS_FIT = "test_score ~ SES + school_size + (1 | school)"


@pytest.fixture(scope="module")
def sleep(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("sleep"))
    ask_ok(session, SLEEP_FIT)
    return session


@pytest.fixture(scope="module")
def schools(tmp_path_factory) -> Session:
    session = Session(sample="schools", output_dir=tmp_path_factory.mktemp("schools"))
    ask_ok(session, SCHOOLS_FIT)
    return session


def _reference(reference_dir, case: str) -> dict:
    return json.loads((reference_dir / "cases" / f"{case}.json").read_text())


# ------------------------------------------------------------------ slope spread
@pytest.mark.parametrize(
    "request_text",
    ["how much do subjects differ in how fast they deteriorate?",
     "how variable are the slopes between subjects?",
     "how much do the day slopes vary between subjects?"],
)
def test_slope_spread_matches_lme4s_slope_sd_and_its_range(sleep, reference_dir,
                                                           request_text):
    (step,) = parse(request_text).steps
    assert (step.kind, step.question) == ("variance_components", "slope_spread")
    answer = ask_ok(sleep, request_text)
    spread = answer.steps[0].result.result
    ref = _reference(reference_dir, "sleepstudy_slope")
    (row,) = [v for v in ref["varcorr"] if v.get("var1") == "Days" and "var2" not in v]
    beta = next(f["estimate"] for f in ref["fixef"] if f["term"] == "Days")
    z = stats.norm.ppf(0.975)
    assert spread.variable == "Days" and spread.group == "Subject"
    assert spread.sd == pytest.approx(row["sdcor"], rel=1e-3)
    assert spread.slope == pytest.approx(beta, rel=1e-4)
    assert spread.lower == pytest.approx(beta - z * row["sdcor"], rel=1e-3)
    assert spread.upper == pytest.approx(beta + z * row["sdcor"], rel=1e-3)
    assert spread.share_opposite == pytest.approx(stats.norm.cdf(-beta / row["sdcor"]),
                                                  rel=1e-3)
    text = answer.text()
    assert f"between {beta - z * row['sdcor']:.2f}".replace("-", "−") in text
    assert f"and {beta + z * row['sdcor']:.1f} per unit of Days" in text


def test_slope_spread_refuses_a_model_without_random_slope(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "Reaction ~ Days + (1 | Subject)")
    answer = session.ask("how much do subjects differ in how fast they deteriorate?")
    assert not answer.ok
    assert "has no random slope" in str(answer.error)
    assert "add a random slope for Days" in str(answer.error)
    fit = fit_lmm("Reaction ~ Days + (1 | Subject)", load_sample("sleepstudy"))
    with pytest.raises(LmmInputError, match="no random slope of Days for Subject"):
        slope_spread(fit, "Subject", "Days")


# ------------------------------------------------------------------ one unit's effect
@pytest.mark.parametrize(
    "request_text",
    ["what is the average effect of one day of sleep deprivation?",
     "what is the effect of each additional day?"],
)
def test_effect_of_one_unit_is_the_days_coefficient(sleep, reference_dir, request_text):
    answer = ask_ok(sleep, request_text)
    meaning = answer.steps[0].result.result
    ref = _reference(reference_dir, "sleepstudy_slope")
    days = next(f for f in ref["fixef"] if f["term"] == "Days")
    assert meaning.terms == ("Days",)
    assert f"rose by {days['estimate']:.1f} per day" in answer.text()
    low, high = days["ci_lower_satterthwaite"], days["ci_upper_satterthwaite"]
    assert f"95% CI {low:.1f} to {high:.1f}" in answer.text()


# ------------------------------------------------------------------ school size
@pytest.mark.parametrize(
    "request_text", ["do bigger schools score higher?",
                     "do larger schools have higher test scores?"],
)
def test_bigger_schools_question_is_the_school_size_coefficient(schools, request_text):
    answer = ask_ok(schools, request_text)
    meaning = answer.steps[0].result.result
    fit = fit_lmm(SCHOOLS_FIT, load_sample("schools"))
    row = next(r for r in fit.fixed_effects if r.term == "school_size")
    assert meaning.terms == ("school_size",)
    assert f"rose by {row.estimate:.4f} per unit of school_size" in answer.text()


def test_bigger_schools_without_school_size_says_how_to_add_it(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    ask_ok(session, "test_score ~ SES + (1 | school)")
    answer = session.ask("do bigger schools score higher?")
    assert not answer.ok
    assert "`add school_size`" in str(answer.error)


def test_prediction_in_a_school_of_500_students_is_x_beta(schools):
    answer = ask_ok(
        schools, "predict the score for a student with SES of 1 in a school of 500 students")
    fit = fit_lmm(SCHOOLS_FIT, load_sample("schools"))
    beta = dict(zip(fit.fixed_names, np.asarray(fit.beta, dtype=float), strict=True))
    expected = beta["(Intercept)"] + beta["SES"] * 1 + beta["school_size"] * 500
    assert f"{expected:.2f}" in answer.text()
    assert "At SES = 1 and school_size = 500" in answer.text()


def test_prediction_outside_the_school_sizes_warns(schools):
    answer = ask_ok(schools, "predict the test score in a school of 2000 students")
    assert "lies outside the values in the data" in answer.text()


# ------------------------------------------------------------------ ICC of one factor
def test_icc_for_raters_with_interval_gives_the_icc_interval(tmp_path):
    (step,) = parse("ICC for raters with confidence interval").steps
    assert step.kind == "icc_interval"
    (step,) = parse("ICC for model 1").steps
    assert (step.kind, step.model) == ("icc", "1")
    session = Session(sample="ratings", output_dir=tmp_path)
    ask_ok(session, "rating ~ condition + (1 | rater) + (1 | item)")
    answer = ask_ok(session, "ICC for raters with confidence interval")
    rows = {r.group: r for r in answer.steps[0].result.result.limits}
    fit = fit_lmm("rating ~ condition + (1 | rater) + (1 | item)", load_sample("ratings"))
    variances = {v.group: v.vcov for v in fit.variance_components if v.var2 is None}
    total = sum(variances.values())
    assert rows["rater"].estimate == pytest.approx(variances["rater"] / total, rel=1e-9)
    assert rows["rater"].lower < rows["rater"].estimate < rows["rater"].upper
    assert not math.isnan(rows["rater"].lower)


# ------------------------------------------------------------------ tests in words
def test_likelihood_ratio_test_of_a_fixed_term_is_twice_the_ml_loglik_gap(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, SLEEP_FIT)
    answer = ask_ok(session, "test Days with a likelihood ratio test")
    data = load_sample("sleepstudy")
    full = fit_lmm(SLEEP_FIT, data, reml=False)
    reduced = fit_lmm("Reaction ~ 1 + (1 + Days | Subject)", data, reml=False)
    chisq = 2 * (full.loglik - reduced.loglik)
    assert f"χ²(1) = {chisq:.2f}" in answer.text()


def test_kenward_roger_words_give_the_kr_table(sleep, reference_dir):
    (step,) = parse("test Days with Kenward-Roger").steps
    assert (step.kind, step.ddf, step.term) == ("fixed_effects", "kenward-roger", "Days")
    answer = ask_ok(sleep, "test Days with Kenward-Roger")
    ref = _reference(reference_dir, "sleepstudy_slope")
    days = next(f for f in ref["fixef"] if f["term"] == "Days")
    assert "Kenward-Roger" in answer.text()
    assert f"F(1, {days['df_kr']:.0f}) = {days['t'] ** 2:.2f}" in answer.text()


@pytest.mark.parametrize(
    ("request_text", "term"),
    [("Is the effect of Days significant?", "Days"),
     ("Is SES a significant predictor of test scores?", "SES"),
     ("is the difference between conditions significant?", "conditions")],
)
def test_significance_words_lead_with_the_variables_test(request_text, term):
    (step,) = parse(request_text).steps
    assert (step.kind, step.term) == ("fixed_effects", term)


def test_drop_a_factors_random_effect_keeps_the_other_factor(tmp_path):
    session = Session(sample="ratings", output_dir=tmp_path)
    ask_ok(session, "rating ~ condition + (1 | rater) + (1 | item)")
    answer = ask_ok(session, "drop the item random effect and compare")
    assert "`rating ~ condition + (1 | rater)`" in answer.text()
    data = load_sample("ratings")
    crossed = fit_lmm("rating ~ condition + (1 | rater) + (1 | item)", data)
    rater = fit_lmm("rating ~ condition + (1 | rater)", data)
    chisq = 2 * (crossed.loglik - rater.loglik)
    assert f"{chisq:.2f}" in answer.text()
