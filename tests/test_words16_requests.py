"""Model descriptions and subsets as people type them (words16): a comma before the random
part ("fit pain_score with time and treatment, random intercept for patient"), the plural
grouping word ("random intercepts for patients" is the column patient), a subset in the
same clause as a fit ("... for the treatment group only", "... only for females"), "only
look at females", a bare "interaction between time and treatment" (its test), "regress y
on x" and "regression model of y on x", "model y as a function of x", "predicting y from
x", "grouped by patient" after a list, and "with the interaction between a and b".
Numbers are checked against direct fit_lmm fits, statsmodels and pandas."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar.parse import ParseError, parse
from tests.conftest import ask_ok

PAIN_COLUMNS = ("patient", "time", "treatment", "pain_score", "age", "sex")
SLEEP_COLUMNS = ("Reaction", "Days", "Subject")
PAIN_RI = "pain_score ~ time + treatment + (1 | patient)"


def _steps(request: str, columns=PAIN_COLUMNS) -> list[dict]:
    return parse(request, columns=columns).to_dict()["steps"]


def _step(request: str, columns=PAIN_COLUMNS) -> dict:
    (step,) = _steps(request, columns)
    return step


# ------------------------------------------------------------------ plans
@pytest.mark.parametrize("request_text", [
    "fit pain_score with time and treatment, random intercept for patient",
    "fit pain_score with time and treatment and a random intercept per patient",
    "regress pain_score on time and treatment with a random intercept for patient",
    "mixed model of pain_score with time and treatment and a random intercept for patient",
    "model pain_score as a function of time and treatment with patient random intercepts",
    "I want a mixed model predicting pain_score from time and treatment, clustered by patient",
])
def test_model_descriptions_give_the_random_intercept_formula(request_text):
    step = _step(request_text)
    assert step["kind"] == "fit_lmm"
    assert step["formula"] == PAIN_RI
    assert (step["response"], step["predictors"], step["group"]) == (
        "pain_score", ["time", "treatment"], "patient")


@pytest.mark.parametrize("request_text", [
    "model pain_score by time and treatment, random intercepts for patients",
    "fit pain_score by time and treatment with random intercepts for patients",
])
def test_random_intercepts_for_a_plural_name_the_group(request_text):
    step = _step(request_text)
    assert (step["kind"], step["response"], step["predictors"], step["group"]) == (
        "fit_lmm", "pain_score", ["time", "treatment"], "patients")


def test_model_as_a_factor_keeps_its_meaning():
    step = _step("model time as a factor")
    assert (step["kind"], step["operation"], step["variables"]) == (
        "modify_model", "as_factor", ["time"])


@pytest.mark.parametrize("request_text", [
    "regression model of pain_score on time",
    "fit pain_score on time",
    "fit pain_score as a function of time",
])
def test_regression_of_an_outcome_on_a_predictor_is_a_model_in_words(request_text):
    step = _step(request_text)
    assert (step["kind"], step["response"], step["predictors"]) == (
        "fit_lmm", "pain_score", ["time"])
    assert step.get("group") is None  # the data's grouping factor is found at run time


def test_grouped_by_after_a_list_of_predictors_is_the_group():
    step = _step("run a multilevel model of pain_score on time, grouped by patient")
    assert step["formula"] == "pain_score ~ time + (1 | patient)"
    assert step["predictors"] == ["time"]


def test_a_slope_for_a_factor_not_listed_names_the_group():
    step = _step("fit Reaction with Days, random intercept and slope for Subject", SLEEP_COLUMNS)
    assert step["formula"] == "Reaction ~ Days + (1 + Days | Subject)"
    step = _step("fit Reaction with Days and random slope for Days by Subject", SLEEP_COLUMNS)
    assert step["formula"] == "Reaction ~ Days + (1 + Days | Subject)"


@pytest.mark.parametrize(("request_text", "value"), [
    ("fit pain_score ~ time + (1 | patient) for the treatment group only", "treatment"),
    ("fit pain_score ~ time + (1 | patient) only for females", "females"),
    ("fit pain_score ~ time + (1 | patient) in the control group only", "control"),
    ("fit pain_score over time for females only", "females"),
])
def test_a_fit_for_a_subset_keeps_the_rows_then_fits(request_text, value):
    subset, fit = _steps(request_text)
    assert (subset["kind"], subset["action"], subset["column"], subset["values"]) == (
        "subset_data", "keep", None, [value])
    assert fit["kind"] == "fit_lmm"
    assert fit.get("group") is None or fit["group"] == "patient"


@pytest.mark.parametrize(("request_text", "value"), [
    ("only look at females", "females"),
    ("look only at treated patients", "treated"),
    ("only look at the treated group", "treated"),
])
def test_only_look_at_is_a_subset(request_text, value):
    step = _step(request_text)
    assert (step["kind"], step["action"], step["values"]) == ("subset_data", "keep", [value])


@pytest.mark.parametrize("request_text", [
    "interaction between time and treatment",
    "interaction of time and treatment",
    "time by treatment interaction",
    "time x treatment interaction",
])
def test_a_bare_interaction_is_its_test(request_text):
    step = _step(request_text)
    assert (step["kind"], step["variables"]) == ("interaction_test", ["time", "treatment"])


def test_fit_the_model_with_the_interaction_adds_it():
    step = _step("fit the model with the interaction between time and treatment")
    assert (step["kind"], step["operation"], step["variables"]) == (
        "modify_model", "add_covariate", ["time:treatment"])


# ------------------------------------------------------------------ answers
def _same_fit(fit, direct) -> None:
    assert fit.formula == direct.formula
    assert fit.nobs == direct.nobs
    assert np.asarray(fit.beta) == pytest.approx(np.asarray(direct.beta), rel=1e-8)
    assert float(fit.criterion) == pytest.approx(float(direct.criterion), rel=1e-10)


def test_comma_separated_description_fits_the_model_statsmodels_agrees(pain_trial_session):
    answer = ask_ok(pain_trial_session,
                    "fit pain_score with time and treatment, random intercept for patient")
    fit = answer.steps[-1].result.model.fit
    data = load_sample("pain_trial")
    _same_fit(fit, fit_lmm(PAIN_RI, data))
    mixed = smf.mixedlm("pain_score ~ time + treatment", data, groups=data["patient"]).fit(
        reml=True)
    ours = {name.strip("()"): value
            for name, value in zip(fit.fixed_names, np.asarray(fit.beta), strict=True)}
    assert ours == pytest.approx(dict(mixed.fe_params), rel=1e-4)
    assert float(fit.sigma) ** 2 == pytest.approx(float(mixed.scale), rel=1e-4)


def test_random_intercepts_for_patients_fit_by_the_column_patient(pain_trial_session):
    answer = ask_ok(pain_trial_session,
                    "model pain_score by time and treatment, random intercepts for patients")
    fit = answer.steps[-1].result.model.fit
    _same_fit(fit, fit_lmm(PAIN_RI, load_sample("pain_trial")))
    assert fit.ngroups == {"patient": 80}


def test_random_intercepts_for_a_role_word_use_the_datas_group(sleepstudy_session):
    answer = ask_ok(sleepstudy_session, "model Reaction by Days, random intercepts for subjects")
    fit = answer.steps[-1].result.model.fit
    _same_fit(fit, fit_lmm("Reaction ~ Days + (1 | Subject)", load_sample("sleepstudy")))


def test_regress_on_with_a_random_intercept(pain_trial_session):
    answer = ask_ok(
        pain_trial_session,
        "regress pain_score on time and treatment with a random intercept for patient")
    _same_fit(answer.steps[-1].result.model.fit, fit_lmm(PAIN_RI, load_sample("pain_trial")))


def test_regression_model_of_pain_on_time_guesses_the_patient_group(pain_trial_session):
    answer = ask_ok(pain_trial_session, "regression model of pain_score on time")
    fit = answer.steps[-1].result.model.fit
    _same_fit(fit, fit_lmm("pain_score ~ time + (1 | patient)", load_sample("pain_trial")))


@pytest.mark.parametrize(("request_text", "column", "level"), [
    ("fit pain_score ~ time + (1 | patient) for the treatment group only", "treatment",
     "treated"),
    ("fit pain_score ~ time + (1 | patient) only for females", "sex", "female"),
    ("fit pain_score over time for females only", "sex", "female"),
    ("fit pain_score ~ time + (1 | patient) in the control group only", "treatment",
     "control"),
])
def test_a_fit_on_a_subset_equals_the_fit_on_the_pandas_rows(pain_trial_session, request_text,
                                                             column, level):
    answer = ask_ok(pain_trial_session, request_text)
    data = load_sample("pain_trial")
    rows = data[data[column] == level].reset_index(drop=True)
    subset = answer.steps[0].result.result
    assert len(subset.data) == len(rows)
    assert set(subset.data[column]) == {level}
    fit = answer.steps[-1].result.model.fit
    _same_fit(fit, fit_lmm("pain_score ~ time + (1 | patient)", rows))
    assert f"kept the rows where {column} is {level}" in answer.text()


def test_only_look_at_females_keeps_the_female_rows(pain_trial_session):
    answer = ask_ok(pain_trial_session, "only look at females")
    data = load_sample("pain_trial")
    kept = answer.steps[-1].result.result.data
    assert len(kept) == int((data["sex"] == "female").sum())
    assert set(kept["sex"]) == {"female"}


def test_the_treatment_group_needs_a_control_level(tmp_path):
    # ratings' condition is A or B: neither is a control arm, so "condition" names no level
    session = Session(sample="ratings", output_dir=tmp_path)
    text = session.ask("only look at the condition group").text()
    assert "No column of the data has the value 'condition'" in text


def test_a_bare_interaction_adds_it_and_tests_it(pain_trial_session):
    ask_ok(pain_trial_session, f"fit {PAIN_RI}")
    answer = ask_ok(pain_trial_session, "interaction between time and treatment")
    data = load_sample("pain_trial")
    added = answer.steps[0].result.model.fit
    assert added.formula == "pain_score ~ time + treatment + time:treatment + (1 | patient)"
    direct = fit_lmm("pain_score ~ time * treatment + (1 | patient)", data)
    assert np.asarray(added.beta) == pytest.approx(np.asarray(direct.beta), rel=1e-8)
    # the F test of a one-df term is the square of its t, with the same Satterthwaite df
    (test,) = answer.steps[1].result.focus_tests.itertuples()
    (row,) = [e for e in direct.fixed_effects if e.term == "time:treatment[T.treated]"]
    assert test.F == pytest.approx(row.t ** 2, rel=1e-6)
    assert test.den_df == pytest.approx(row.df, rel=1e-6)
    # the likelihood-ratio test of the two models refitted by ML
    table = answer.steps[-1].result.comparison.table
    small = fit_lmm(PAIN_RI, data, reml=False)
    large = fit_lmm("pain_score ~ time * treatment + (1 | patient)", data, reml=False)
    chisq = 2 * (float(large.loglik) - float(small.loglik))
    assert float(table["Chisq"].iloc[1]) == pytest.approx(chisq, rel=1e-6)
    assert float(table["p"].iloc[1]) == pytest.approx(stats.chi2.sf(chisq, 1), rel=1e-6)
    assert "Built from model 1 by adding time:treatment" in answer.text()


def test_fit_the_model_with_the_interaction_refits_with_it(pain_trial_session):
    ask_ok(pain_trial_session, f"fit {PAIN_RI}")
    answer = ask_ok(pain_trial_session,
                    "fit the model with the interaction between time and treatment")
    fit = answer.steps[-1].result.model.fit
    direct = fit_lmm("pain_score ~ time * treatment + (1 | patient)", load_sample("pain_trial"))
    assert np.asarray(fit.beta) == pytest.approx(np.asarray(direct.beta), rel=1e-8)
    assert float(fit.criterion) == pytest.approx(float(direct.criterion), rel=1e-10)


def test_predicting_from_clustered_by_fits_the_random_intercept(pain_trial_session):
    answer = ask_ok(pain_trial_session, "I want a mixed model predicting pain_score from time and "
                                  "treatment, clustered by patient")
    _same_fit(answer.steps[-1].result.model.fit, fit_lmm(PAIN_RI, load_sample("pain_trial")))


def test_test_the_named_interaction_on_a_model_without_it_adds_and_tests_it(pain_trial_session):
    assert _step("test the interaction between time and treatment") == {
        "kind": "interaction_test", "variables": ["time", "treatment"], "model": None,
        "cross_level": False}
    assert _step("test the interaction")["kind"] == "fixed_effects"
    ask_ok(pain_trial_session, f"fit {PAIN_RI}")
    answer = ask_ok(pain_trial_session, "test the interaction between time and treatment")
    data = load_sample("pain_trial")
    small = fit_lmm(PAIN_RI, data, reml=False)
    large = fit_lmm("pain_score ~ time * treatment + (1 | patient)", data, reml=False)
    table = answer.steps[-1].result.comparison.table
    assert float(table["Chisq"].iloc[1]) == pytest.approx(
        2 * (float(large.loglik) - float(small.loglik)), rel=1e-6)


def test_fit_excluding_a_patient_fits_without_their_rows(pain_trial_session):
    subset, fit = _steps("fit pain_score ~ time + (1 | patient) excluding patient P001")
    assert (subset["kind"], subset["action"], subset["column"], subset["values"]) == (
        "subset_data", "drop", "patient", ["P001"])
    answer = ask_ok(pain_trial_session,
                    "fit pain_score ~ time + (1 | patient) excluding patient P001")
    data = load_sample("pain_trial")
    rows = data[data["patient"] != "P001"].reset_index(drop=True)
    _same_fit(answer.steps[-1].result.model.fit,
              fit_lmm("pain_score ~ time + (1 | patient)", rows))


@pytest.mark.parametrize("request_text", [
    "only look at the treatment group",
    "restrict to the treated arm",
    "look only at treated patients",
])
def test_the_treatment_group_is_the_level_beside_control(pain_trial_session, request_text):
    answer = ask_ok(pain_trial_session, request_text)
    data = load_sample("pain_trial")
    kept = answer.steps[-1].result.result.data
    assert len(kept) == int((data["treatment"] == "treated").sum())
    assert set(kept["treatment"]) == {"treated"}
    assert "kept the rows where treatment is treated" in answer.text()


@pytest.mark.parametrize(("request_text", "formula"), [
    ("fit pain_score on time, treatment and their interaction, random intercept for patient",
     "pain_score ~ time + treatment + time:treatment + (1 | patient)"),
    ("mixed model of pain_score on time and treatment, random intercept for patient", PAIN_RI),
    ("fit pain_score over time, random intercept for patient",
     "pain_score ~ time + (1 | patient)"),
])
def test_a_comma_before_the_random_part_after_on_or_over(request_text, formula):
    assert _step(request_text)["formula"] == formula


def test_their_interaction_fits_the_product_of_the_listed_variables(pain_trial_session):
    step = _step("fit a model with time, treatment and their interaction")
    assert step["predictors"] == ["time", "treatment", "time:treatment"]
    answer = ask_ok(pain_trial_session, "fit a model with time, treatment and their interaction")
    fit = answer.steps[-1].result.model.fit
    direct = fit_lmm("pain_score ~ time * treatment + (1 | patient)", load_sample("pain_trial"))
    assert fit.formula == "pain_score ~ time + treatment + time:treatment + (1 | patient)"
    assert np.asarray(fit.beta) == pytest.approx(np.asarray(direct.beta), rel=1e-8)
    assert float(fit.criterion) == pytest.approx(float(direct.criterion), rel=1e-10)


@pytest.mark.parametrize(("request_text", "action", "keep"), [
    ("exclude everyone older than 70", "drop", lambda age: age <= 70),
    ("keep only patients younger than 65", "keep", lambda age: age < 65),
    ("only look at patients older than 50", "keep", lambda age: age > 50),
])
def test_older_and_younger_than_compare_age(pain_trial_session, request_text, action, keep):
    step = _step(request_text)
    assert (step["kind"], step["action"], step["column"]) == ("subset_data", action, "age")
    answer = ask_ok(pain_trial_session, request_text)
    data = load_sample("pain_trial")
    kept = answer.steps[-1].result.result.data
    assert len(kept) == int(keep(data["age"]).sum())
    assert bool(keep(kept["age"]).all())


@pytest.mark.parametrize(("request_text", "suggested"), [
    ("what would a treated patient's pain be at month 6?",
     "what would a treated patient score at month 6?"),
    ("does pain_score change over time differently for treated and control patients?",
     "do the treatment groups change differently over time?"),
])
def test_did_you_mean_points_to_the_request_that_answers(request_text, suggested):
    with pytest.raises(ParseError) as caught:
        parse(request_text, columns=PAIN_COLUMNS)
    assert suggested in caught.value.suggestions
    assert _step(suggested)["kind"] in ("predict", "interaction_test")


def test_patient_as_random_effect_is_the_group(pain_trial_session):
    step = _step("fit pain_score over time with patient as random effect")
    assert step["formula"] == "pain_score ~ time + (1 | patient)"
    answer = ask_ok(pain_trial_session, "fit pain_score over time with patient as random effect")
    _same_fit(answer.steps[-1].result.model.fit,
              fit_lmm("pain_score ~ time + (1 | patient)", load_sample("pain_trial")))
