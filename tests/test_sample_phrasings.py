"""Requests on the sleepstudy, schools and ratings samples in everyday words (words8):
a fixed term's likelihood-ratio test named after "for", an empty model of an outcome named
in words, a value below zero, one grouping factor's BLUPs, "compare model 1 to raters
only". Each is checked against the statistic it must reach, computed independently."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.samples import load_sample
from grammar.parse import ParseError, parse
from tests.conftest import ask_ok

SLEEP_COLUMNS = ["Reaction", "Days", "Subject"]
SCHOOL_COLUMNS = ["school", "student", "test_score", "SES", "school_size"]
SCHOOLS_MODEL = "LMM: test_score ~ SES + school_size + (1 | school)"
RATINGS_MODEL = "LMM: rating ~ condition + (1 | rater) + (1 | item)"


def _only(answer, kind):
    (result,) = [r for r in answer.to_json() if r["kind"] == kind]
    return result


# ----------------------------------------------------------------- parsing
@pytest.mark.parametrize(("text", "columns", "expected"), [
    ("what reaction time do we expect after 5 days?", SLEEP_COLUMNS, [("Days", "5")]),
    ("predicted score for a student with SES of -1", SCHOOL_COLUMNS,
     [("student", ""), ("SES", "-1")]),
    ("predict test score at SES = −0.5", SCHOOL_COLUMNS, [("SES", "-0.5")]),
    ("what would a student with SES of minus 2 score?", SCHOOL_COLUMNS, [("SES", "-2")]),
])
def test_predictions_reach_the_values_named(text, columns, expected):
    (step,) = parse(text, columns=columns).steps
    assert step.to_dict()["kind"] == "predict"
    assert [tuple(pair) for pair in step.to_dict()["at"]] == expected


@pytest.mark.parametrize(("text", "words"), [
    ("fit an empty model for reaction time", "reaction time"),
    ("fit an empty model for the test score", "test score"),
    ("null model of test_score", "test_score"),
])
def test_empty_model_keeps_the_outcome_words(text, words):
    (step,) = parse(text, columns=SCHOOL_COLUMNS + SLEEP_COLUMNS).steps
    assert step.to_dict()["operation"] == "null_model"
    assert step.to_dict()["variables"] == [words]


# ------------------------------------------------------------- end to end
def test_likelihood_ratio_test_for_a_term_is_twice_the_ml_loglik_difference(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    ask_ok(session, SCHOOLS_MODEL)
    table = _only(ask_ok(session, "likelihood ratio test for school_size"),
                  "model_comparison")
    data = load_sample("schools")
    larger = fit_lmm("test_score ~ SES + school_size + (1 | school)", data, reml=False)
    smaller = fit_lmm("test_score ~ SES + (1 | school)", data, reml=False)
    rows = {len(r["formula"]): r for r in table["table"]}
    big = rows[max(rows)]
    assert table["refitted_with_ml"]
    assert big["logLik"] == pytest.approx(larger.loglik, abs=1e-6)
    assert rows[min(rows)]["logLik"] == pytest.approx(smaller.loglik, abs=1e-6)
    assert big["Chisq"] == pytest.approx(2 * (larger.loglik - smaller.loglik), abs=1e-6)
    assert big["Df"] == 1
    assert 9.5 < big["Chisq"] < 10.5  # 10.09 here; statsmodels' ML fits agree to 0.1


def test_empty_model_for_reaction_time_is_the_one_way_anova_estimate(tmp_path):
    """Balanced data (18 subjects x 10 days): the REML estimates of the one-way random
    effects model are the ANOVA ones, sigma2 = MSW and tau2 = (MSB - MSW) / n."""
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 + Days | Subject)")
    fit = _only(ask_ok(session, "fit an empty model for reaction time"), "lmm_fit")
    assert fit["formula"] == "Reaction ~ 1 + (1 | Subject)"
    data = load_sample("sleepstudy")
    groups = data.groupby("Subject", observed=True)["Reaction"]
    n = 10
    msw = ((data["Reaction"] - groups.transform("mean")) ** 2).sum() / (len(data) - 18)
    msb = n * ((groups.mean() - data["Reaction"].mean()) ** 2).sum() / (18 - 1)
    variances = {c["group"]: c["vcov"] for c in fit["variance_components"]}
    assert variances["Residual"] == pytest.approx(msw, rel=1e-5)
    assert variances["Subject"] == pytest.approx((msb - msw) / n, rel=1e-5)
    (intercept,) = fit["fixed_effects"]
    assert intercept["estimate"] == pytest.approx(data["Reaction"].mean(), rel=1e-9)


def test_empty_model_for_test_score_matches_statsmodels(tmp_path):
    import statsmodels.formula.api as smf

    session = Session(sample="schools", output_dir=tmp_path)
    ask_ok(session, SCHOOLS_MODEL)
    fit = _only(ask_ok(session, "fit an empty model for the test score"), "lmm_fit")
    assert fit["formula"] == "test_score ~ 1 + (1 | school)"
    data = load_sample("schools")
    # statsmodels' default gradient optimizer stops early on these data; Powell converges
    reference = smf.mixedlm("test_score ~ 1", data, groups=data["school"]).fit(
        reml=True, method="powell")
    assert reference.converged
    variances = {c["group"]: c["vcov"] for c in fit["variance_components"]}
    assert variances["Residual"] == pytest.approx(reference.scale, rel=1e-4)
    assert variances["school"] == pytest.approx(float(reference.cov_re.iloc[0, 0]), rel=1e-3)
    assert fit["loglik"] == pytest.approx(reference.llf, abs=1e-3)


def test_empty_model_of_a_column_that_is_no_outcome_is_refused(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    ask_ok(session, SCHOOLS_MODEL)
    answer = session.ask("fit an empty model for school")
    assert not answer.ok and "grouping factor" in str(answer.error)
    answer = session.ask("fit an empty model for blood pressure")
    assert not answer.ok and "No column" in str(answer.error)


def test_prediction_below_zero_is_the_fixed_effects_line(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    ask_ok(session, SCHOOLS_MODEL)
    (row,) = _only(ask_ok(session, "predicted score for a student with SES of -1"),
                   "predictions")["rows"]
    data = load_sample("schools")
    fit = fit_lmm("test_score ~ SES + school_size + (1 | school)", data)
    x = np.array([1.0, -1.0, data["school_size"].mean()])
    assert row["SES"] == -1.0
    assert row["estimate"] == pytest.approx(float(x @ fit.beta), abs=1e-8)


def test_one_factors_blups_are_that_factors_conditional_modes(tmp_path):
    session = Session(sample="ratings", output_dir=tmp_path)
    ask_ok(session, RATINGS_MODEL)
    answer = ask_ok(session, "show the rater random effects")
    shown = [r for r in answer.to_json() if r["kind"] == "blups"]
    assert shown
    rows = pd.DataFrame(shown[0]["random_effects"])
    assert set(rows["group"]) == {"rater"}
    fit = fit_lmm(RATINGS_MODEL.removeprefix("LMM: "), load_sample("ratings"))
    expected = {r.level: r.value for r in fit.random_effects if r.group == "rater"}
    assert len(rows) == len(expected) == 30
    for level, value in zip(rows["level"], rows["value"], strict=True):
        assert value == pytest.approx(expected[level], abs=1e-9)


def test_compare_model_one_to_raters_only_tests_the_item_variance(tmp_path):
    session = Session(sample="ratings", output_dir=tmp_path)
    ask_ok(session, RATINGS_MODEL)
    table = _only(ask_ok(session, "compare model 1 to raters only"), "model_comparison")
    formulas = {r["formula"] for r in table["table"]}
    assert formulas == {"rating ~ condition + (1 | rater) + (1 | item)",
                        "rating ~ condition + (1 | rater)"}
    data = load_sample("ratings")
    full = fit_lmm("rating ~ condition + (1 | rater) + (1 | item)", data)
    raters = fit_lmm("rating ~ condition + (1 | rater)", data)
    (tested,) = [r for r in table["table"] if r["Chisq"] is not None]
    assert tested["Chisq"] == pytest.approx(2 * (full.loglik - raters.loglik), abs=1e-6)


@pytest.mark.parametrize("text", ["what is the mean rating in condition A?",
                                  "what's the average rating for condition B?",
                                  "mean rating in condition A"])
def test_mean_in_a_level_parses_to_the_level(text):
    (step,) = parse(text, columns=["rater", "item", "condition", "rating"]).steps
    assert step.to_dict() == {"kind": "level_mean", "model": None, "factor": "condition",
                              "level": text.rstrip("?")[-1]}


@pytest.mark.parametrize("level", ["A", "B"])
def test_mean_rating_in_a_condition_is_observed_and_estimated(tmp_path, level):
    session = Session(sample="ratings", output_dir=tmp_path)
    ask_ok(session, RATINGS_MODEL)
    result = _only(ask_ok(session, f"what is the mean rating in condition {level}?"),
                   "level_mean")
    data = load_sample("ratings").dropna(subset=["rating"])
    observed = data.loc[data["condition"] == level, "rating"]
    assert result["n"] == len(observed)
    assert result["observed_mean"] == pytest.approx(observed.mean(), rel=1e-12)
    assert result["observed_sd"] == pytest.approx(observed.std(), rel=1e-12)
    fit = fit_lmm(RATINGS_MODEL.removeprefix("LMM: "), load_sample("ratings"))
    c = np.array([1.0, 0.0 if level == "A" else 1.0])
    assert result["estimate"] == pytest.approx(float(c @ fit.beta), rel=1e-10)
    assert result["se"] == pytest.approx(float(np.sqrt(c @ fit.vcov_beta @ c)), rel=1e-8)
    if level == "A":  # the reference level's mean is the intercept, with its CI
        intercept = fit.fixed_effects[0]
        assert result["lower"] == pytest.approx(intercept.ci_lower, rel=1e-8)
        assert result["upper"] == pytest.approx(intercept.ci_upper, rel=1e-8)


def test_mean_in_a_level_no_factor_has_is_refused(tmp_path):
    session = Session(sample="ratings", output_dir=tmp_path)
    ask_ok(session, RATINGS_MODEL)
    answer = session.ask("what is the mean rating in condition C?")
    assert not answer.ok and "no level 'C'" in str(answer.error)
    answer = session.ask("what is the mean rating for rater R01?")
    assert not answer.ok and "grouping factor" in str(answer.error)


# ---------------------------------------------------------- own-slope rankings
SLEEP_REFERENCE = Path("/work/shared/reference/cases/sleepstudy_slope.json")


def test_deteriorates_fastest_ranks_subjects_by_their_own_days_slope(tmp_path):
    """Reaction is a reaction time (higher is worse): the steepest rise first, each
    subject's own slope the fixed Days slope plus its BLUP (lme4's coef(m))."""
    (step,) = parse("which subject deteriorates fastest?").steps
    assert (step.to_dict()["asked"], step.to_dict()["order"]) == ("worsens", "steepest")
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 + Days | Subject)")
    result = _only(ask_ok(session, "which subject deteriorates fastest?"), "change_ranking")
    assert result["rising"] and result["fastest"] and result["polarity_known"]
    reference = json.loads(SLEEP_REFERENCE.read_text())
    fixed = reference["fixef"]["Days"] if isinstance(reference["fixef"], dict) else next(
        f["estimate"] for f in reference["fixef"] if f["term"] == "Days")
    own = {r["level"]: fixed + r["value"] for r in reference["ranef"] if r["term"] == "Days"}
    expected = sorted(own, key=own.get, reverse=True)[:5]
    assert [r["level"] for r in result["rows"]] == expected
    for row in result["rows"]:
        assert row["own"] == pytest.approx(own[row["level"]], abs=1e-3)
        assert row["own"] == pytest.approx(row["fixed"] + row["blup"], abs=1e-12)


def test_improved_most_on_an_interaction_model_adds_the_arms_slope(tmp_path):
    """pain_score (higher is worse) with time * treatment: improving is the steepest
    fall, and each patient's own slope is time + time:treatment of its arm + BLUP."""
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "LMM: pain_score ~ time * treatment + (1 + time | patient)")
    result = _only(ask_ok(session, "which patients improved the most?"), "change_ranking")
    assert not result["rising"] and result["fixed_varies"]
    fit = fit_lmm("pain_score ~ time * treatment + (1 + time | patient)",
                  load_sample("pain_trial"))
    beta = dict(zip(fit.fixed_names, fit.beta, strict=True))
    (interaction,) = [n for n in fit.fixed_names if n.startswith("time:")]
    level = interaction.split("[T.")[1].rstrip("]")
    arm = fit.data.groupby("patient", observed=True)["treatment"].first().astype(str)
    blup = {r.level: r.value for r in fit.random_effects if r.term == "time"}
    own = {p: beta["time"] + (beta[interaction] if arm[p] == level else 0.0) + b
           for p, b in blup.items()}
    expected = sorted(own, key=own.get)[:5]
    assert [r["level"] for r in result["rows"]] == expected
    for row in result["rows"]:
        assert row["own"] == pytest.approx(own[row["level"]], abs=1e-9)


def test_a_slope_that_changes_within_a_level_is_refused(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + I(Days^2) + (1 + Days | Subject)")
    answer = session.ask("which subject deteriorates fastest?")
    assert not answer.ok and "changes within" in str(answer.error)


# ------------------------------------------------------ naming the data set
@pytest.mark.parametrize(("text", "name"), [
    ("This is lme4's sleepstudy.", "sleepstudy"),
    ("these are the schools data", "schools"),
    ("it's the ratings dataset from lme4", "ratings"),
])
def test_a_sentence_naming_the_data_set_is_a_description(text, name):
    (step,) = parse(text).steps
    assert step.to_dict()["kind"] == "describe_study"
    assert step.to_dict()["dataset"] == name


@pytest.mark.parametrize("text", ["this is wrong", "This is not a request at all."])
def test_other_this_is_sentences_are_still_not_understood(text):
    with pytest.raises(ParseError):
        parse(text)


def test_naming_the_data_in_use_changes_nothing(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 + Days | Subject)")
    answer = ask_ok(session, "This is lme4's sleepstudy.")
    (result,) = answer.to_json()
    assert result["dataset"] == "sleepstudy" and result["current_data"] == "sleepstudy"
    assert "data set in use" in answer.text()
    other = ask_ok(session, "these are the schools data")
    assert "use sample schools" in other.text()
    assert session.state.current_data_name == "sleepstudy"


def test_a_subjects_own_prediction_adds_its_blups(tmp_path):
    """lme4's predict(m, newdata) for Subject 308 at Days = 12: x'beta + z'b."""
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 + Days | Subject)")
    answer = ask_ok(session, "what reaction time would subject 308 have on day 12?")
    (result,) = [r for r in answer.to_json() if r["kind"] == "level_prediction"]
    reference = json.loads(SLEEP_REFERENCE.read_text())
    fixef = reference["fixef"]
    if not isinstance(fixef, dict):
        fixef = {f["term"]: f["estimate"] for f in fixef}
    b = {r["term"]: r["value"] for r in reference["ranef"] if r["level"] == "308"}
    expected = fixef["(Intercept)"] + b["(Intercept)"] + 12 * (fixef["Days"] + b["Days"])
    (row,) = result["rows"]
    assert row["estimate"] == pytest.approx(expected, abs=1e-3)


def test_difference_between_conditions_is_the_fixed_contrast(tmp_path):
    session = Session(sample="ratings", output_dir=tmp_path)
    ask_ok(session, RATINGS_MODEL)
    result = _only(ask_ok(session, "what is the difference between conditions, with its 95% CI?"),
                   "marginal_means")
    (difference,) = result["differences"]
    fit = fit_lmm(RATINGS_MODEL.removeprefix("LMM: "), load_sample("ratings"))
    slope = fit.fixed_effects[1]
    assert difference["estimate"] == pytest.approx(-slope.estimate, rel=1e-9)  # A - B
    assert difference["se"] == pytest.approx(slope.se, rel=1e-8)
    with pytest.raises(ParseError):
        parse("what is the difference between conditions with its 90% CI?")
