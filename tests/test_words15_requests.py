"""Everyday paraphrases on the samples that were refused or read as another analysis
(words15): short forms ("RI model", "rand slope", "var comps"), "random slope of Days by
Subject" (the slope, not the outcome), "is the random slope worth keeping" (its test, not
the help page), plural levels in predictions ("for controls"), OLS fits, "which model has
the lowest AIC", spaghetti plots of a named outcome, visit counts, convergence checks and
table exports. Numbers are checked against direct engine fits, statsmodels and pandas."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf

from engine.lmm import fit_lmm
from engine.predict import population_predictions
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import ask_ok

PAIN_COLUMNS = ("patient", "time", "treatment", "pain_score", "age", "sex")
SLEEP_COLUMNS = ("Reaction", "Days", "Subject")


def _step(request: str, columns=PAIN_COLUMNS) -> dict:
    (step,) = parse(request, columns=columns).to_dict()["steps"]
    return step


# ------------------------------------------------------------------ plans
@pytest.mark.parametrize(("request_text", "long_form"), [
    ("fit an RI model of pain_score on time and treatment with patient as the cluster",
     "fit random intercept model of pain_score on time and treatment with patient as the cluster"),
    ("add a rand slope for time", "add a random slope for time"),
    ("var comps", "report variance components"),
    ("show the var comp", "show the variance components"),
    ("fit RS model", "fit random slope model"),
])
def test_short_forms_read_as_the_words_they_stand_for(request_text, long_form):
    assert parse(request_text, columns=PAIN_COLUMNS).to_dict()["steps"] == \
        parse(long_form, columns=PAIN_COLUMNS).to_dict()["steps"]


def test_a_column_named_like_a_short_form_keeps_its_meaning():
    step = _step("fit score ~ rand + (1 | RI)", ("score", "rand", "RI"))
    assert step["formula"] == "score ~ rand + (1 | RI)"


@pytest.mark.parametrize("request_text", [
    "random slope of Days by Subject",
    "fit a random slope of Days for Subject",
])
def test_random_slope_of_a_variable_names_the_slope_not_the_outcome(request_text):
    step = _step(request_text, SLEEP_COLUMNS)
    assert (step["kind"], step["slope"], step["group"]) == ("fit_lmm", "Days", "Subject")
    assert step.get("response") is None


def test_a_random_slope_model_of_an_outcome_still_names_the_outcome():
    step = _step("random slope model of Reaction on Days by Subject", SLEEP_COLUMNS)
    assert step["formula"] == "Reaction ~ Days + (1 + Days | Subject)"


@pytest.mark.parametrize("request_text", [
    "is the random slope for Days worth keeping",
    "is the random slope for Days warranted?",
])
def test_worth_keeping_asks_for_the_random_slope_test(request_text):
    step = _step(request_text, SLEEP_COLUMNS)
    assert (step["kind"], step["slope"]) == ("random_effects_tests", "Days")


@pytest.mark.parametrize("request_text", [
    "LRT comparing model 1 and model 2",
    "likelihood ratio test comparing models 1 and 2",
])
def test_lrt_comparing_two_models(request_text):
    step = _step(request_text)
    assert (step["kind"], step["criteria"], step["models"]) == (
        "compare_models", ["LRT"], ["1", "2"])


@pytest.mark.parametrize(("request_text", "criterion"), [
    ("which model has the lowest AIC?", "AIC"),
    ("which model gives the smallest BIC", "BIC"),
])
def test_which_model_has_the_lowest_criterion_compares_by_it(request_text, criterion):
    step = _step(request_text)
    assert (step["kind"], step["criteria"]) == ("compare_models", [criterion])


@pytest.mark.parametrize("request_text", [
    "fit OLS",
    "fit an OLS model ignoring patient",
    "fit a plain linear regression without random effects",
    "fit an ordinary regression",
    "fit OLS ignoring the clustering",
])
def test_fitting_ols_is_the_side_by_side_with_ordinary_regression(request_text):
    assert _step(request_text)["kind"] == "compare_ols"


def test_spaghetti_plot_of_a_named_outcome_over_time():
    step = _step("spaghetti plot of pain_score over time")
    assert (step["kind"], step["outcome"], step["over"]) == ("plot_data", "pain_score", "time")
    assert _step("spaghetti plot of raw data")["kind"] == "plot_data"
    assert _step("spaghetti plot of model 2")["kind"] == "plot_trajectory"


@pytest.mark.parametrize("request_text", [
    "how many visits did each patient complete",
    "how many visits did each patient attend",
    "how many measurements did every patient contribute",
])
def test_visits_each_patient_completed_are_the_cluster_sizes(request_text):
    step = _step(request_text)
    assert (step["kind"], step["per"], step["counted"]) == ("missing_data", "patient",
                                                            "observations")


@pytest.mark.parametrize("request_text", [
    "check convergence", "check the convergence", "convergence diagnostics",
    "check for convergence problems", "the fit is singular, what does that mean?",
    "singular fit warning",
])
def test_convergence_checks_show_the_model_record_and_the_help(request_text):
    assert _step(request_text) == {"kind": "help", "topic": "convergence"}


@pytest.mark.parametrize(("request_text", "table"), [
    ("save the coefficients table", "fixed_effects"),
    ("export the variance components table", "variance_components"),
])
def test_a_table_named_with_the_word_table_is_exported(request_text, table):
    step = _step(request_text)
    assert (step["kind"], step["table"]) == ("export_results", table)


@pytest.mark.parametrize(("request_text", "variables"), [
    ("test whether the interaction improves the fit", []),
    ("does the time by treatment interaction improve the model?", ["time", "treatment"]),
])
def test_does_the_interaction_improve_the_fit_is_its_test(request_text, variables):
    step = _step(request_text)
    assert step["kind"] == "interaction_test"
    assert step["variables"] == variables


@pytest.mark.parametrize("request_text", [
    "let the effect of Days vary across subjects",
    "allow the Days slope to vary by Subject",
])
def test_letting_an_effect_vary_adds_its_random_slope(request_text):
    step = _step(request_text, SLEEP_COLUMNS)
    assert (step["kind"], step["operation"], step["variables"]) == (
        "modify_model", "add_random_slope", ["Days"])


# ------------------------------------------------------------------ answers
def test_random_slope_of_days_by_subject_fits_lme4s_random_slope_model(sleepstudy_session):
    answer = ask_ok(sleepstudy_session, "random slope of Days by Subject")
    model = answer.steps[-1].result.model
    direct = fit_lmm("Reaction ~ Days + (1 + Days | Subject)", load_sample("sleepstudy"))
    assert model.fit.formula == "Reaction ~ Days + (1 + Days | Subject)"
    assert np.asarray(model.fit.beta) == pytest.approx(np.asarray(direct.beta), rel=1e-6)
    assert float(model.fit.loglik) == pytest.approx(float(direct.loglik), rel=1e-9)


def test_letting_days_vary_across_subjects_refits_with_the_slope(sleepstudy_session):
    ask_ok(sleepstudy_session, "fit Reaction ~ Days + (1 | Subject)")
    answer = ask_ok(sleepstudy_session, "let the effect of Days vary across subjects")
    fit = answer.steps[-1].result.model.fit
    direct = fit_lmm("Reaction ~ Days + (1 + Days | Subject)", load_sample("sleepstudy"))
    assert float(fit.loglik) == pytest.approx(float(direct.loglik), rel=1e-9)


def test_prediction_for_controls_reads_the_plural_as_the_control_level(pain_trial_session):
    ask_ok(pain_trial_session, "fit pain_score ~ time * treatment + (1 | patient)")
    answer = ask_ok(pain_trial_session, "what is the predicted pain at month 3 for controls")
    frame = answer.steps[-1].result.result.frame
    direct = population_predictions(
        fit_lmm("pain_score ~ time * treatment + (1 | patient)", load_sample("pain_trial")),
        at={"time": 3, "treatment": "control"},
    ).frame
    assert len(frame) == 1 and frame["treatment"].iloc[0] == "control"
    assert float(frame["estimate"].iloc[0]) == pytest.approx(
        float(direct["estimate"].iloc[0]), rel=1e-9)
    assert float(frame["se"].iloc[0]) == pytest.approx(float(direct["se"].iloc[0]), rel=1e-9)


def test_predictions_for_each_patient_point_to_the_per_patient_requests(pain_trial_session):
    ask_ok(pain_trial_session, "fit pain_score ~ time * treatment + (1 | patient)")
    answer = pain_trial_session.ask("predictions for each patient")
    text = answer.text()
    assert "A prediction is for one patient at a time" in text
    assert "`plot each patient's fitted line`" in text
    assert "Traceback" not in text


def test_fit_ols_ignoring_patient_matches_statsmodels_ols(pain_trial_session):
    ask_ok(pain_trial_session, "fit pain_score ~ time + treatment + (1 | patient)")
    answer = ask_ok(pain_trial_session, "fit an OLS model ignoring patient")
    rows = {c.term: c for c in answer.steps[-1].result.result.coefficients}
    ols = smf.ols("pain_score ~ time + treatment", data=load_sample("pain_trial")).fit()
    assert rows["time"].ols_estimate == pytest.approx(ols.params["time"], rel=1e-8)
    assert rows["time"].ols_se == pytest.approx(ols.bse["time"], rel=1e-8)
    assert rows["treatment[T.treated]"].ols_se == pytest.approx(
        ols.bse["treatment[T.treated]"], rel=1e-8)


def test_which_model_has_the_lowest_aic_compares_ml_aics(pain_trial_session):
    ask_ok(pain_trial_session, "fit pain_score ~ time * treatment + (1 | patient)")
    ask_ok(pain_trial_session, "fit pain_score ~ time + treatment + (1 | patient)")
    answer = ask_ok(pain_trial_session, "which model has the lowest AIC?")
    table = answer.steps[-1].result.comparison.table
    data = load_sample("pain_trial")
    for formula, npar in (("pain_score ~ time * treatment + (1 | patient)", 6),
                          ("pain_score ~ time + treatment + (1 | patient)", 5)):
        ml = fit_lmm(formula, data, reml=False)
        row = table[table["formula"] == formula]
        # fixed effects differ, so the models are compared refitted by ML
        assert float(row["AIC"].iloc[0]) == pytest.approx(
            -2 * float(ml.loglik) + 2 * npar, rel=1e-8)


def test_visits_each_patient_completed_counts_rows_per_patient(pain_trial_session):
    answer = ask_ok(pain_trial_session, "how many visits did each patient complete")
    sizes = answer.steps[-1].result.result
    counts = load_sample("pain_trial").groupby("patient").size()
    assert sizes.n_clusters == counts.size
    assert dict(sizes.size_counts) == counts.value_counts().sort_index().to_dict()
    assert sizes.median == pytest.approx(float(counts.median()))


def test_check_convergence_reports_the_current_model_first(sleepstudy_session):
    ask_ok(sleepstudy_session, "fit Reaction ~ Days + (Days | Subject)")
    text = ask_ok(sleepstudy_session, "check convergence").text()
    assert "Model 1 (random intercept and slope model) converged" in text
    assert "the fit is not singular" in text


def test_only_females_keeps_the_rows_of_the_level_female(pain_trial_session):
    answer = ask_ok(pain_trial_session, "only females")
    data = load_sample("pain_trial")
    kept = answer.steps[-1].result.result.data
    assert len(kept) == int((data["sex"] == "female").sum())
    assert set(kept["sex"]) == {"female"}
    assert "kept the rows where sex is female" in answer.text()


def test_a_plural_that_names_no_level_is_still_refused(pain_trial_session):
    text = pain_trial_session.ask("only martians").text()
    assert "No column of the data has the value 'martians'" in text


def test_random_effects_with_their_intervals_is_the_caterpillar_plot():
    assert _step("plot the random effects with their intervals")["kind"] == "plot_caterpillar"
