"""Everyday wordings found refused or misread in a QA pass (words20): "interpret the
results" (was: a coefficient called 'results'), predictions "at baseline" (was: a request
for a value), "does treatment reduce pain?", "is the model better than a model without
treatment?", "is the change over time linear?", "show the slope for each patient",
"summary statistics by treatment", "summarise model 2", "list the models", "AIC BIC
comparison" and "center time at baseline". Numbers are checked against direct engine fits
and pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.predict import population_predictions
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import PAIN_FIT, ask_ok

PAIN_COLUMNS = ("patient", "time", "treatment", "pain_score", "age")


def _steps(request: str) -> list[dict]:
    return parse(request, columns=PAIN_COLUMNS).to_dict()["steps"]


@pytest.mark.parametrize(("request_text", "kind", "fields"), [
    ("interpret the results", "fixed_effects", {}),
    ("explain the results in plain English", "fixed_effects", {}),
    ("what do the results mean?", "fixed_effects", {}),
    ("explain the model", "fixed_effects", {}),
    ("explain the output of model 2", "fixed_effects", {"model": "2"}),
    ("summarise model 2", "fixed_effects", {"model": "2"}),
    ("does treatment reduce pain?", "fixed_effects", {"term": "treatment"}),
    ("does treatment lower pain?", "fixed_effects", {"term": "treatment"}),
    ("is the change over time linear?", "linearity_test", {"variable": "time"}),
    ("show the slope for each patient", "group_coefficients", {}),
    ("show the intercept and slope for each patient", "group_coefficients", {}),
    ("summary statistics by treatment", "observed_means", {"by": ["treatment"]}),
    ("describe the data by treatment", "observed_means", {"by": ["treatment"]}),
    ("describe pain_score by time and treatment", "observed_means",
     {"by": ["time", "treatment"], "outcome": "pain_score"}),
    ("list the models", "model_settings", {"model": "all", "question": "formula"}),
    ("show all models", "model_settings", {"model": "all", "question": "formula"}),
    ("what models have I fitted?", "model_settings", {"model": "all", "question": "formula"}),
    ("AIC BIC comparison", "compare_models", {"criteria": ["AIC", "BIC"]}),
    ("compare AIC BIC", "compare_models", {"criteria": ["AIC", "BIC"]}),
    ("center time at baseline", "modify_model",
     {"operation": "center_at", "variables": ["time", "baseline"]}),
    ("centre time at the first visit", "modify_model",
     {"operation": "center_at", "variables": ["time", "baseline"]}),
])
def test_wordings_reach_their_analysis(request_text, kind, fields):
    step = _steps(request_text)[0]
    assert step["kind"] == kind
    for key, value in fields.items():
        assert step[key] == value, key


def test_the_model_against_one_without_a_variable_is_a_likelihood_ratio_test():
    drop, compare = _steps("is the model better than a model without treatment?")
    assert drop["operation"] == "drop_variable" and drop["variables"] == ["treatment"]
    assert compare["kind"] == "compare_models" and compare["criteria"] == ["LRT"]


def test_existing_neighbours_keep_their_meaning():
    over_time = _steps("does treatment reduce pain over time compared to control?")[0]
    assert over_time["kind"] == "marginal_means" and over_time["trend"] == "time"
    assert _steps("interpret the time coefficient")[0]["kind"] == "explain_coefficient"
    assert _steps("summarize the data")[0]["kind"] == "describe_data"
    assert _steps("center time at 6")[0]["variables"] == ["time", "6"]


@pytest.fixture(scope="module")
def pain_fitted(tmp_path_factory):
    """A pain_trial session with PAIN_FIT fitted, and the same model fitted directly."""
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("pain"))
    ask_ok(session, PAIN_FIT)
    return session, fit_lmm(PAIN_FIT.removeprefix("fit "), load_sample("pain_trial"))


def test_prediction_at_baseline_is_at_the_first_time_point(pain_fitted):
    session, direct = pain_fitted
    answer = ask_ok(session, "what is the expected pain at baseline for the control group?")
    grid = answer.steps[-1].result.result
    expected = population_predictions(direct, at={"time": "0", "treatment": "control"})
    assert grid.fixed_at["time"] in ("0", 0.0)
    estimate = float(grid.frame["estimate"].iloc[0])
    assert estimate == pytest.approx(float(expected.frame["estimate"].iloc[0]), rel=1e-10)
    # at time 0 and the reference level, the prediction is the intercept
    intercept = next(r for r in direct.fixed_effects if r.term == "(Intercept)")
    assert estimate == pytest.approx(intercept.estimate, rel=1e-10)
    first_visit = ask_ok(session, "predictions at the first visit for treated patients")
    treated = next(r for r in direct.fixed_effects if r.term == "treatment[T.treated]")
    assert float(first_visit.steps[-1].result.result.frame["estimate"].iloc[0]) == pytest.approx(
        intercept.estimate + treated.estimate, rel=1e-10
    )


def test_interpret_the_results_gives_fixed_effects_and_variance_components(pain_fitted):
    session, direct = pain_fitted
    answer = ask_ok(session, "interpret the results")
    time = next(r for r in direct.fixed_effects if r.term == "time")
    assert f"fell by {-time.estimate:.2f} per unit of time" in answer.text()
    assert "Variance components" in answer.text()


def test_summary_statistics_by_treatment_are_the_observed_means(pain_fitted):
    session, _ = pain_fitted
    answer = ask_ok(session, "summary statistics by treatment")
    data = load_sample("pain_trial")
    means = data.groupby("treatment")["pain_score"].mean()
    text = answer.text()
    for level, mean in means.items():
        assert level in text and f"{mean:.1f}" in text


def _shifted_trial() -> pd.DataFrame:
    """pain_trial with the months counted from 1 (first visit at time 1)."""
    data = load_sample("pain_trial").copy()
    data["time"] = data["time"] + 1
    return data


def test_center_at_baseline_uses_the_first_time_point(tmp_path):
    data = _shifted_trial()
    session = Session(data=data, output_dir=tmp_path)
    ask_ok(session, "fit pain_score ~ time + treatment + (1 | patient)")
    answer = ask_ok(session, "center time at baseline")
    fit = answer.steps[-1].result.model.fit
    assert fit.formula == "pain_score ~ I(time - 1) + treatment + (1 | patient)"
    direct = fit_lmm("pain_score ~ time + treatment + (1 | patient)", data)
    row = {r.term: r for r in direct.fixed_effects}
    shifted = {r.term: r for r in fit.fixed_effects}
    # the intercept moves to time 1: b0 + b1; the slope and the fit are unchanged
    assert shifted["(Intercept)"].estimate == pytest.approx(
        row["(Intercept)"].estimate + row["time"].estimate, rel=1e-6
    )
    assert shifted["I(time - 1)"].estimate == pytest.approx(row["time"].estimate, rel=1e-6)
    assert fit.criterion == pytest.approx(direct.criterion, rel=1e-9)
    assert np.isclose(min(data["time"]), 1)


def test_center_at_baseline_when_time_already_starts_at_zero(pain_fitted):
    session, _ = pain_fitted
    before = len(session.state.models)
    answer = session.ask("center time at baseline")
    assert not answer.ok
    assert "time is already 0 at baseline" in str(answer.error)
    assert len(session.state.models) == before


def test_the_model_list_names_every_model(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "fit pain_score ~ time + treatment + (1 | patient)")
    ask_ok(session, "fit pain_score ~ time + (1 | patient)")
    text = ask_ok(session, "what models have I fitted?").text()
    assert "`pain_score ~ time + treatment + (1 | patient)`" in text
    assert "`pain_score ~ time + (1 | patient)`" in text


SCHOOL_COLUMNS = ("school", "student", "test_score", "SES", "school_size")


@pytest.mark.parametrize(("request_text", "kind", "fields"), [
    ("what if I ignore schools?", "compare_ols", {}),
    ("what would the standard errors be if I ignored schools?", "compare_ols", {}),
    ("standardized effect of SES", "effect_size", {"variable": "SES"}),
    ("what is the effect of a one SD increase in SES?", "effect_size", {"variable": "SES"}),
    ("effect of SES in SD units", "effect_size", {"variable": "SES"}),
    ("what is the variance between schools?", "variance_components", {"include_icc": True}),
    ("add SES as a random slope", "modify_model",
     {"operation": "add_random_slope", "variables": ["SES"]}),
    ("add SES as a random slope by school", "modify_model",
     {"operation": "add_random_slope", "variables": ["SES"], "group": "school"}),
    ("add school_size and its interaction with SES", "modify_model",
     {"operation": "add_covariate", "variables": ["school_size:SES"]}),
    ("is the SES effect different within and between schools?", "within_between",
     {"column": "SES", "group": "schools"}),
    ("how much variance does SES explain at each level?", "term_variance_explained",
     {"term": "SES"}),
])
def test_school_wordings_reach_their_analysis(request_text, kind, fields):
    step = parse(request_text, columns=SCHOOL_COLUMNS).to_dict()["steps"][0]
    assert step["kind"] == kind
    for key, value in fields.items():
        assert step[key] == value, key


def test_covariate_wordings_next_to_the_new_ones_are_unchanged():
    for request, variables in (("add age as a covariate", ["age"]),
                               ("add age and sex", ["age", "sex"]),
                               ("add age, sex and height", ["age", "sex", "height"])):
        (step,) = _steps(request)
        assert step["operation"] == "add_covariate" and step["variables"] == variables


@pytest.fixture()
def schools_fitted(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    ask_ok(session, "fit test_score ~ SES + (1 | school)")
    return session


def test_adding_a_variable_with_its_interaction_keeps_its_main_effect(schools_fitted):
    answer = ask_ok(schools_fitted, "add school_size and its interaction with SES")
    fit = answer.steps[-1].result.model.fit
    assert fit.formula == "test_score ~ SES + school_size + school_size:SES + (1 | school)"
    direct = fit_lmm("test_score ~ SES * school_size + (1 | school)", load_sample("schools"))
    assert fit.criterion == pytest.approx(direct.criterion, rel=1e-9)


def test_the_se_question_ignoring_schools_is_the_ols_comparison(schools_fitted):
    import statsmodels.formula.api as smf

    answer = ask_ok(schools_fitted, "what would the standard errors be if I ignored schools?")
    ols = smf.ols("test_score ~ SES", load_sample("schools")).fit()
    assert f"{ols.bse['SES']:.2f}" in answer.text()


RATING_COLUMNS = ("rater", "item", "condition", "rating")


@pytest.mark.parametrize(("request_text", "columns", "kind", "fields"), [
    ("test the residuals for normality", PAIN_COLUMNS, "plot_residuals", {"which": "qq"}),
    ("check the residuals for normality", PAIN_COLUMNS, "plot_residuals", {"which": "qq"}),
    ("what is the within-subject correlation?", PAIN_COLUMNS, "variance_components",
     {"include_icc": True}),
    ("how much do raters disagree?", RATING_COLUMNS, "variance_components",
     {"include_icc": True, "question": "group_spread", "group": "raters"}),
    ("are items or raters more variable?", RATING_COLUMNS, "variance_contrast",
     {"groups": ["items", "raters"]}),
    ("what is the slope for time?", PAIN_COLUMNS, "explain_coefficient", {"term": "time"}),
])
def test_third_batch_of_wordings(request_text, columns, kind, fields):
    step = parse(request_text, columns=columns).to_dict()["steps"][0]
    assert step["kind"] == kind
    for key, value in fields.items():
        assert step[key] == value, key


def test_the_within_subject_correlation_is_the_icc(pain_fitted):
    session, direct = pain_fitted
    answer = ask_ok(session, "what is the within-subject correlation?")
    between = next(c for c in direct.variance_components if c.group == "patient")
    residual = next(c for c in direct.variance_components if c.group == "Residual")
    icc = between.vcov / (between.vcov + residual.vcov)
    assert f"ICC = {icc:.2f}" in answer.text()
