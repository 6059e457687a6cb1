"""Questions in the data's own words: the plan each one yields, the column its words are
mapped to (assistant.column_words), and the numbers the answer narrates, checked against
lme4/lmerTest (the shared reference) and the fitted model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.column_words import check_outcome, columns_for_words, predictor_for_words
from assistant.errors import AssistantError
from assistant.session import Session
from engine.fit_statistics import fit_statistics
from grammar import parse
from grammar.plan import (
    Blups,
    CompareModels,
    ExplainCoefficient,
    FitStatistics,
    FixedEffects,
    ModifyModel,
    PlotData,
    Predict,
    Refit,
    SubsetData,
)

SLEEP_FIT = "LMM: Reaction ~ Days + (Days | Subject)"


# ---------------------------------------------------------------- plans
@pytest.mark.parametrize(
    ("request_text", "steps"),
    [
        ("how much does reaction time increase per day?",
         (ExplainCoefficient("day", outcome="reaction time"),)),
        ("how much does pain go down for every extra month",
         (ExplainCoefficient("month", outcome="pain"),)),
        ("what is the average reaction time at day 0?",
         (Predict(at=(("day", "0"),), outcome="reaction time"),)),
        ("what is the effect of time on pain?", (ExplainCoefficient("time", outcome="pain"),)),
        ("what is the estimated effect of time", (ExplainCoefficient("time"),)),
        ("what is the effect of time in model 2", (ExplainCoefficient("time", model="2"),)),
        ("what are the effects", (FixedEffects(),)),
        ("Does adding age improve the model?",
         (ModifyModel("add_covariate", ("age",)),
          CompareModels(("LRT",), ("before_last", "last")))),
        ("does adding age improve model 2",
         (ModifyModel("add_covariate", ("age",), "2"), CompareModels(("LRT",), ("2", "last")))),
        ("plot each subject's trajectory", (PlotData(group="subject"),)),
        ("plot each patient's trajectory", (PlotData(group="patient"),)),
        ("R2 of models 1 and 2", (FitStatistics(models=("1", "2"), measure="r2"),)),
        ("fit statistics for models 1, 2 and 3", (FitStatistics(models=("1", "2", "3")),)),
        ("keep only visit 3 to model 2",
         (SubsetData("keep", "visit", "==", ("3",)), Refit("2"))),
        ("what is patient P001 intercept", (Blups(group="patient", level="P001"),)),
    ],
)
def test_plain_words_yield_their_plan(request_text, steps):
    assert parse(request_text).steps == steps


# ---------------------------------------------------------------- words to columns
SLEEP_COLUMNS = ["Reaction", "Days", "Subject"]
PAIN_COLUMNS = ["patient", "time", "treatment", "pain_score", "age", "sex"]


@pytest.mark.parametrize(
    ("words", "columns", "found"),
    [
        ("reaction time", SLEEP_COLUMNS, ["Reaction"]),
        ("day", SLEEP_COLUMNS, ["Days"]),
        ("DAYS", SLEEP_COLUMNS, ["Days"]),
        ("pain", PAIN_COLUMNS, ["pain_score"]),
        ("pain scores", PAIN_COLUMNS, ["pain_score"]),
        ("temp", ["temperature", "time"], ["temperature"]),
        ("pain", ["pain_score", "pain_baseline"], ["pain_score", "pain_baseline"]),
        ("time", ["time", "time_of_day"], ["time"]),  # an exact fit wins over prefixes
        ("blood pressure", SLEEP_COLUMNS, []),
        ("t", ["time", "temperature"], []),  # too short to stand for a column
    ],
)
def test_words_fit_the_columns_they_name(words, columns, found):
    assert columns_for_words(words, columns) == found


def test_several_fitting_predictors_are_asked_about():
    with pytest.raises(AssistantError, match="could mean `pain_score` or `pain_baseline`"):
        predictor_for_words("pain", ["pain_score", "pain_baseline"], "Model 1")
    assert predictor_for_words("weight", ["pain_score", "time"], "Model 1") is None


# ---------------------------------------------------------------- answers
@pytest.fixture(scope="module")
def sleep_session(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("sleep"))
    assert session.ask(SLEEP_FIT).ok
    return session


@pytest.fixture(scope="module")
def sleep_reference(reference_dir) -> dict[str, dict]:
    case = json.loads((reference_dir / "cases" / "sleepstudy_slope.json").read_text())
    return {row["term"]: row for row in case["fixef"]}


def test_increase_per_day_is_the_days_coefficient(sleep_session, sleep_reference):
    answer = sleep_session.ask("how much does reaction time increase per day?")
    assert answer.ok, answer.error
    meaning = answer.steps[0].result.result
    assert meaning.terms == ("Days",)
    fit = sleep_session.models[1].fit
    row = next(fe for fe in fit.fixed_effects if fe.term == "Days")
    lme4 = sleep_reference["Days"]
    assert row.estimate == pytest.approx(lme4["estimate"], rel=1e-4)
    assert row.ci_lower == pytest.approx(lme4["ci_lower_satterthwaite"], rel=1e-3)
    assert row.ci_upper == pytest.approx(lme4["ci_upper_satterthwaite"], rel=1e-3)
    text = answer.text()
    assert (
        f"Reaction rose by {row.estimate:.1f} per day "
        f"(95% CI {row.ci_lower:.1f} to {row.ci_upper:.1f}" in text
    )


def test_average_at_day_zero_is_the_intercept(sleep_session, sleep_reference):
    answer = sleep_session.ask("what is the average reaction time at day 0?")
    assert answer.ok, answer.error
    grid = answer.steps[0].result.result
    (row,) = grid.frame.itertuples()
    assert row.Days == 0
    lme4 = sleep_reference["(Intercept)"]
    # at Days = 0 the prediction is x'β with x = (1, 0): the intercept and its interval
    assert row.estimate == pytest.approx(lme4["estimate"], rel=1e-4)
    assert row.lower == pytest.approx(lme4["ci_lower_satterthwaite"], rel=1e-3)
    assert row.upper == pytest.approx(lme4["ci_upper_satterthwaite"], rel=1e-3)
    text = answer.text()
    assert f"{row.estimate:.1f}" in text and f"{row.lower:.1f}" in text


def test_an_outcome_the_model_does_not_have_is_refused(sleep_session):
    answer = sleep_session.ask("how much does blood pressure increase per day?")
    assert not answer.ok
    message = str(answer.error)
    assert "'blood pressure'" in message and "`Reaction`" in message


def test_a_unit_other_than_the_predictors_own_is_refused(sleep_session):
    answer = sleep_session.ask("how much does reaction time increase per week?")
    assert not answer.ok
    assert "counts days" in str(answer.error)


def test_adding_a_missing_column_names_the_columns(sleep_session):
    answer = sleep_session.ask("Does adding age improve the model?")
    assert not answer.ok
    assert "Reaction, Days, Subject" in str(answer.error)


def test_r2_of_two_models_shows_both(sleep_session):
    assert sleep_session.ask("fit Reaction ~ Days + (1 | Subject)").ok
    answer = sleep_session.ask("R2 of models 1 and 2")
    assert answer.ok, answer.error
    report = answer.steps[0].result
    assert [m.number for m in report.models] == [1, 2] and report.focus is None
    for row, number in zip(report.statistics, (1, 2), strict=True):
        own = fit_statistics(sleep_session.models[number].fit)
        assert (row.r2_marginal, row.r2_conditional) == (own.r2_marginal, own.r2_conditional)
        # Nakagawa & Schielzeth: the fixed effects' share of the total variance
        total = row.var_fixed + row.var_random + row.var_residual
        assert row.r2_marginal == pytest.approx(row.var_fixed / total, rel=1e-12)
    assert report.statistics[0].r2_conditional != report.statistics[1].r2_conditional


@pytest.fixture(scope="module")
def pain_session(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("pain"))
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    return session


def test_effect_of_time_on_pain_is_the_time_coefficient(pain_session):
    fit = pain_session.models[1].fit
    row = next(fe for fe in fit.fixed_effects if fe.term == "time")
    for request in ("what is the effect of time on pain?", "what is the estimated effect of time"):
        answer = pain_session.ask(request)
        assert answer.ok, answer.error
        assert answer.steps[0].result.result.terms == ("time",)
        assert f"pain_score fell by {abs(row.estimate):.2f} per unit of time" in answer.text()


def test_effect_on_another_column_is_refused(pain_session):
    answer = pain_session.ask("what is the effect of time on age?")
    assert not answer.ok
    assert "model of `pain_score`, not `age`" in str(answer.error)


def test_adding_age_is_tested_by_likelihood_ratio(pain_session):
    answer = pain_session.ask("Does adding age improve the model?")
    assert answer.ok, answer.error
    assert [s.kind for s in answer.steps] == ["modify_model", "compare_models"]
    comparison = answer.steps[1].result.comparison
    assert comparison.refitted_with_ml
    with_age = pain_session.models[max(pain_session.models)].fit
    assert "age" in with_age.fixed_names
    ml = [f.refit(reml=False) for f in (pain_session.models[1].fit, with_age)]
    chisq = 2 * (ml[1].loglik - ml[0].loglik)
    assert float(np.asarray(comparison.table["Chisq"])[-1]) == pytest.approx(chisq, rel=1e-6)


def test_patient_intercept_is_that_patients_blup(pain_session):
    answer = pain_session.ask("what is patient P001 intercept in model 1")
    assert answer.ok, answer.error
    fit = pain_session.models[1].fit
    blup = next(r for r in fit.random_effects if r.level == "P001")
    shown = f"{blup.value:.1f}".replace("-", "\u2212")  # the narration's minus sign
    assert f"random intercept {shown}" in answer.text()


def test_outcome_check_accepts_the_response_among_several_fits(pain_session):
    model = pain_session.models[1]
    check_outcome("pain", model)
    check_outcome("Pain Score", model)
    with pytest.raises(AssistantError):
        check_outcome("sex", model)
