"""Everyday multilevel wordings found misread or refused in a QA pass (words19): "does the
effect of time vary across patients?" (the random slope's test, not a time x patient fixed
interaction), "do patients differ in their change over time?", "how does reaction time
change with days?", "analyse pain_score over time", "model pain_score on time +
treatment", "fit a growth model", a possessive prediction, "is there a school size by SES
interaction?" and "compare treatment and control at each time". Numbers are checked
against direct engine fits (engine.fit_lmm) and closed forms from their coefficients."""

from __future__ import annotations

import pytest

from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import PAIN_FIT, SCHOOLS_FIT, ask_ok, session_with_fit

PAIN_COLUMNS = ("patient", "time", "treatment", "pain_score", "age", "sex")
SLEEP_COLUMNS = ("Reaction", "Days", "Subject")
SCHOOL_COLUMNS = ("school", "student", "test_score", "SES", "school_size")
SLEEP_INTERCEPT_FIT = "fit Reaction ~ Days + (1 | Subject)"


def _steps(request: str, columns) -> list[dict]:
    return list(parse(request, columns=columns).to_dict()["steps"])


def _step(request: str, columns) -> dict:
    (step,) = _steps(request, columns)
    return step


@pytest.mark.parametrize(("request_text", "columns", "kind", "fields"), [
    ("do patients differ in their change over time?", PAIN_COLUMNS, "random_effects_tests",
     {"slope": "time", "group": "patients"}),
    ("do patients differ in how they change over time?", PAIN_COLUMNS, "random_effects_tests",
     {"slope": "time", "group": "patients"}),
    ("how does reaction time change with days?", SLEEP_COLUMNS, "marginal_means",
     {"trend": "days", "factor": None}),
    ("analyse pain_score over time", PAIN_COLUMNS, "fit_lmm",
     {"response": "pain_score", "predictors": ["time"]}),
    ("analyze test_score by school", SCHOOL_COLUMNS, "fit_lmm",
     {"response": "test_score", "predictors": ["school"]}),
    ("model pain_score on time + treatment", PAIN_COLUMNS, "fit_lmm",
     {"response": "pain_score", "predictors": ["time", "treatment"]}),
    ("regress pain_score on time and treatment accounting for patient", PAIN_COLUMNS, "fit_lmm",
     {"response": "pain_score", "predictors": ["time", "treatment"], "group": "patient"}),
    ("is there a school size by SES interaction?", SCHOOL_COLUMNS, "interaction_test",
     {"variables": ["school size", "SES"]}),
    ("is there an SES by school size interaction?", SCHOOL_COLUMNS, "interaction_test",
     {"variables": ["SES", "school size"]}),
])
def test_wordings_reach_their_analysis(request_text, columns, kind, fields):
    step = _step(request_text, columns)
    assert step["kind"] == kind
    for key, value in fields.items():
        assert step[key] == value, key


@pytest.mark.parametrize(("request_text", "same_as", "columns"), [
    ("what is the treated patient's pain at month 6?",
     "what would a treated patient score at month 6?", PAIN_COLUMNS),
    ("compare treatment groups at each time point", "treatment effect at each time point",
     PAIN_COLUMNS),
    ("compare treatment and control at each time", "treatment effect at each time point",
     PAIN_COLUMNS),
    ("fit a growth model", "fit a random slope model", PAIN_COLUMNS),
    ("fit a growth curve model", "fit a random slope model", PAIN_COLUMNS),
])
def test_wordings_plan_as_their_usual_form(request_text, same_as, columns):
    assert _steps(request_text, columns) == _steps(same_as, columns)


@pytest.mark.parametrize(("request_text", "kind"), [
    ("fit growth ~ time + (1 | id)", "fit_lmm"),  # a column called growth
    ("plot growth curves", "plot_trajectory"),
    ("compare m1 and m2", "compare_models"),
    ("how does pain change over time in each group?", "marginal_means"),
])
def test_neighbouring_wordings_keep_their_meaning(request_text, kind):
    steps = _steps(request_text, ("growth", "time", "id", "pain"))
    assert steps[0]["kind"] == kind
    if kind == "fit_lmm":
        assert steps[0]["formula"] == "growth ~ time + (1 | id)"


# ------------------------------------------------------------ the random slope's test
@pytest.fixture(scope="module")
def sleep_direct():
    data = load_sample("sleepstudy")
    return (fit_lmm("Reaction ~ Days + (1 | Subject)", data),
            fit_lmm("Reaction ~ Days + (1 + Days | Subject)", data))


@pytest.mark.parametrize("request_text", [
    "does the effect of Days vary across subjects?",
    "does the effect of Days differ between subjects?",
])
def test_effect_varying_across_the_grouping_factor_is_the_random_slope_test(
    request_text, sleep_direct, tmp_path_factory
):
    """The grammar cannot tell a grouping factor from a predictor; the session reads the
    step on the model (assistant.interaction_question) and tests Days' random slope by
    Subject: REML likelihood-ratio statistic 2 (logLik(slope) - logLik(intercept))."""
    session = session_with_fit("sleepstudy", tmp_path_factory, SLEEP_INTERCEPT_FIT)
    answer = ask_ok(session, request_text)
    kinds = [s.kind for s in answer.steps]
    assert kinds == ["modify_model", "random_effects_tests"]
    assert "Days:Subject" not in answer.text()
    (test,) = answer.steps[-1].result.result.to_dict()["tests"]
    intercept, slope = sleep_direct
    assert test["lrt"] == pytest.approx(2 * (slope.loglik - intercept.loglik), rel=1e-6)
    assert test["df"] == 2
    assert test["lrt"] == pytest.approx(42.84, abs=0.01)


def test_effect_varying_across_a_predictor_stays_the_interaction(tmp_path_factory):
    session = session_with_fit("pain_trial", tmp_path_factory, PAIN_FIT)
    answer = ask_ok(session, "does the effect of time vary across treatment?")
    assert [s.kind for s in answer.steps] == ["fixed_effects"]
    assert "random_effects_tests" not in [s.kind for s in answer.steps]
    direct = fit_lmm(PAIN_FIT.removeprefix("fit "), load_sample("pain_trial"))
    row = next(r for r in direct.fixed_effects if r.term == "time:treatment[T.treated]")
    assert f"{row.estimate:.2f}"[1:] in answer.text()  # −0.07 (typographic minus)


def test_patients_differ_in_their_change_over_time_is_the_random_slope_test(tmp_path_factory):
    session = session_with_fit("pain_trial", tmp_path_factory, PAIN_FIT)
    answer = ask_ok(session, "do patients differ in their change over time?")
    assert [s.kind for s in answer.steps] == ["modify_model", "random_effects_tests"]
    data = load_sample("pain_trial")
    intercept = fit_lmm("pain_score ~ time * treatment + (1 | patient)", data)
    slope = fit_lmm("pain_score ~ time * treatment + (1 + time | patient)", data)
    (test,) = answer.steps[-1].result.result.to_dict()["tests"]
    assert test["column"] == "time" and test["group"] == "patient"
    assert test["lrt"] == pytest.approx(2 * (slope.loglik - intercept.loglik), abs=1e-4)
    assert "icc" not in [s.kind for s in answer.steps]


# ------------------------------------------------------------ a slope over time
def test_change_with_days_is_the_days_coefficient(sleep_direct, tmp_path_factory):
    """A model with no factor has one slope of Days: its coefficient with its interval."""
    session = session_with_fit("sleepstudy", tmp_path_factory, SLEEP_INTERCEPT_FIT)
    answer = ask_ok(session, "how does reaction time change with days?")
    meaning = answer.steps[-1].result.result.to_dict()
    assert meaning["kind"] == "coefficient_meaning" and meaning["asked"] == "Days"
    days = next(r for r in sleep_direct[0].fixed_effects if r.term == "Days")
    text = answer.text()
    for number in (days.estimate, days.ci_lower, days.ci_upper):
        assert f"{number:.2f}" in text
    assert days.estimate == pytest.approx(10.467, abs=1e-3)


def test_analyse_over_time_fits_time_with_the_cluster_intercept(pain_trial_session):
    data = load_sample("pain_trial")
    answer = ask_ok(pain_trial_session, "analyse pain_score over time")
    fit = answer.steps[0].result.fit
    assert fit.formula == "pain_score ~ time + (1 | patient)"
    direct = fit_lmm("pain_score ~ time + (1 | patient)", data)
    assert fit.beta == pytest.approx(direct.beta, rel=1e-8)
    assert fit.loglik == pytest.approx(direct.loglik, rel=1e-10)
    # the time slope asked in words, in a model with no factor: its coefficient
    change = ask_ok(pain_trial_session, "how does pain_score change over time?")
    time = next(r for r in direct.fixed_effects if r.term == "time")
    assert change.steps[-1].result.result.to_dict()["asked"] == "time"
    assert f"{abs(time.estimate):.2f}" in change.text()


@pytest.mark.parametrize("request_text", [
    "model pain_score on time + treatment",
    "regress pain_score on time and treatment accounting for patient",
])
def test_regression_wordings_fit_the_random_intercept_model(request_text, tmp_path_factory):
    session = session_with_fit("pain_trial", tmp_path_factory, None)
    fit = ask_ok(session, request_text).steps[0].result.fit
    assert fit.formula == "pain_score ~ time + treatment + (1 | patient)"
    direct = fit_lmm(fit.formula, load_sample("pain_trial"))
    assert fit.beta == pytest.approx(direct.beta, rel=1e-8)
    assert fit.sigma == pytest.approx(direct.sigma, rel=1e-8)


def test_analyze_by_school_makes_school_the_cluster(tmp_path_factory):
    """"by school" names the cluster: a random intercept for school, not also a fixed
    school effect (which "fit test_score by school" used to add beside it)."""
    session = session_with_fit("schools", tmp_path_factory, None)
    fit = ask_ok(session, "analyze test_score by school").steps[0].result.fit
    assert fit.formula == SCHOOLS_FIT.removeprefix("fit ")
    direct = fit_lmm(fit.formula, load_sample("schools"))
    assert fit.beta == pytest.approx(direct.beta, rel=1e-8)


def test_growth_model_is_the_random_slope_model(tmp_path_factory):
    growth = ask_ok(session_with_fit("sleepstudy", tmp_path_factory, None), "fit a growth model")
    slope = ask_ok(session_with_fit("sleepstudy", tmp_path_factory, None),
                   "fit a random slope model")
    fit = growth.steps[0].result.fit
    assert fit.formula == slope.steps[0].result.fit.formula
    assert fit.formula == "Reaction ~ Days + (1 + Days | Subject)"
    assert fit.loglik == pytest.approx(-871.8141, abs=1e-3)  # lme4's REML logLik


# ------------------------------------------------------------ predictions and comparisons
@pytest.fixture(scope="module")
def pain_fitted(tmp_path_factory):
    session = session_with_fit("pain_trial", tmp_path_factory, PAIN_FIT)
    return session, fit_lmm(PAIN_FIT.removeprefix("fit "), load_sample("pain_trial"))


def _coefficients(fit) -> dict[str, float]:
    return {r.term: r.estimate for r in fit.fixed_effects}


def test_possessive_prediction_is_the_treated_mean_at_month_6(pain_fitted):
    session, direct = pain_fitted
    b = _coefficients(direct)
    expected = (b["(Intercept)"] + b["treatment[T.treated]"] + 6 * b["time"]
                + 6 * b["time:treatment[T.treated]"])
    asked = ask_ok(session, "what is the treated patient's pain at month 6?")
    (row,) = asked.steps[-1].result.result.to_dict()["rows"]
    assert row["treatment"] == "treated" and row["time"] == 6
    assert row["estimate"] == pytest.approx(expected, rel=1e-8)
    usual = ask_ok(session, "what would a treated patient score at month 6?")
    assert usual.steps[-1].result.result.to_dict()["rows"] == [row]


@pytest.mark.parametrize("request_text", [
    "compare treatment and control at each time",
    "compare treated and control at each time",
    "compare treatment groups at each time point",
])
def test_comparison_at_each_time_is_the_treatment_effect_by_time(request_text, pain_fitted):
    """treated - control at time t is b_treated + t * b_time:treated in this model."""
    session, direct = pain_fitted
    b = _coefficients(direct)
    result = ask_ok(session, request_text).steps[-1].result.result.to_dict()
    assert result["factor"] == "treatment" and result["by"] == "time"
    assert result["by_values"] == [0.0, 1.0, 3.0, 6.0]
    means = {(m["level"], m["by_value"]): m["estimate"] for m in result["means"]}
    for t in result["by_values"]:
        difference = means[("treated", t)] - means[("control", t)]
        expected = b["treatment[T.treated]"] + t * b["time:treatment[T.treated]"]
        assert difference == pytest.approx(expected, rel=1e-8)


def test_school_size_by_ses_interaction_is_tested(tmp_path_factory):
    session = session_with_fit("schools", tmp_path_factory, SCHOOLS_FIT)
    answer = ask_ok(session, "is there a school size by SES interaction?")
    assert [s.kind for s in answer.steps] == ["modify_model", "fixed_effects", "compare_models"]
    added = answer.steps[0].result.fit
    direct = fit_lmm("test_score ~ SES + school_size + school_size:SES + (1 | school)",
                     load_sample("schools"))
    assert _coefficients(added)["school_size:SES"] == pytest.approx(
        _coefficients(direct)["school_size:SES"], rel=1e-6)
    assert "school_size:SES" in answer.text()
