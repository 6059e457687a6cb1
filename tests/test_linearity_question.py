"""'Is the effect of days linear?': the line against one mean per value (ML fits, LRT),
checked against lme4's anova(lmer(Reaction ~ Days + (Days|Subject), REML = FALSE),
lmer(Reaction ~ factor(Days) + (Days|Subject), REML = FALSE))
(tests/data/sleepstudy_questions, made by the R script beside it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import stats

from assistant.session import Session
from engine import fit_lmm
from engine.errors import LmmInputError
from engine.linearity import linearity_test, stepwise_formula
from engine.samples import load_sample

TRUTH = json.loads(
    (Path(__file__).parent / "data" / "sleepstudy_questions" / "sleepstudy_questions.json")
    .read_text()
)["linearity_test"]


@pytest.fixture(scope="module")
def sleep_fit():
    return fit_lmm("Reaction ~ Days + (Days | Subject)", load_sample("sleepstudy"))


def test_sleepstudy_linearity_test_is_lme4s_anova(sleep_fit):
    result = linearity_test(sleep_fit, "Days")
    line, steps = TRUTH["anova"]
    assert result.stepwise_formula == "Reaction ~ factor(Days) + (Days | Subject)"
    assert result.chisq == pytest.approx(steps["Chisq"], abs=1e-4)
    assert result.df == steps["Df"] == 10 - 2
    assert result.p == pytest.approx(steps["p"], abs=1e-5)
    assert result.linear_aic == pytest.approx(line["AIC"], abs=1e-4)
    assert result.stepwise_aic == pytest.approx(steps["AIC"], abs=1e-4)
    assert (result.linear_npar, result.stepwise_npar) == (line["npar"], steps["npar"])
    assert result.stepwise_converged == TRUTH["converged_stepwise"]


def test_pain_trial_df_is_distinct_values_minus_two_and_p_the_chi_square_tail():
    data = load_sample("pain_trial")
    fit = fit_lmm("pain_score ~ time + treatment + (1 | patient)", data)
    result = linearity_test(fit, "time")
    assert result.values == (0.0, 1.0, 3.0, 6.0)
    assert result.df == 2
    line = fit_lmm("pain_score ~ time + treatment + (1 | patient)", data, reml=False)
    steps = fit_lmm("pain_score ~ factor(time) + treatment + (1 | patient)", data, reml=False)
    chisq = 2 * (steps.loglik - line.loglik)
    assert result.chisq == pytest.approx(chisq, abs=1e-6)
    assert result.p == pytest.approx(stats.chi2.sf(chisq, 2), rel=1e-6)


def test_an_interaction_with_the_predictor_becomes_the_factor_interaction():
    fit = fit_lmm("pain_score ~ time * treatment + (1 | patient)", load_sample("pain_trial"))
    assert stepwise_formula(fit, "time") == (
        "pain_score ~ factor(time) + treatment + factor(time):treatment + (1 | patient)"
    )


def test_predictors_the_test_cannot_use_are_refused_in_one_sentence(sleep_fit):
    quadratic = fit_lmm("Reaction ~ Days + I(Days^2) + (1 | Subject)", load_sample("sleepstudy"))
    with pytest.raises(LmmInputError, match=r"already has Days in a transformed term"):
        linearity_test(quadratic, "Days")
    schools = fit_lmm("test_score ~ SES + (1 | school)", load_sample("schools"))
    with pytest.raises(LmmInputError, match=r"one mean per value would spend"):
        linearity_test(schools, "SES")


@pytest.mark.parametrize("sample, fit, text, variable", [
    ("sleepstudy", "Reaction ~ Days + (Days | Subject)", "is the effect of days linear?", "Days"),
    ("sleepstudy", "Reaction ~ Days + (Days | Subject)", "is the time trend linear?", "Days"),
    ("pain_trial", "pain_score ~ time + treatment + (1 | patient)",
     "is the effect of time linear?", "time"),
])
def test_the_questions_reach_the_test_of_the_time_predictor(sample, fit, text, variable):
    session = Session(sample=sample)
    assert session.ask(fit).ok
    answer = session.ask(text)
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    assert result.variable == variable
    shown = f"χ²({result.df}) = {result.chisq:.2f}, p = {result.p:.3f}".replace("0.", ".")
    assert shown in answer.text()
    assert "does not say" in answer.text() or "not proof" in answer.text()
    assert len(session.models) == 1  # the two ML fits are the test's, not new models


def test_sleepstudy_answer_gives_both_aics_and_the_random_slope_stays_numeric():
    session = Session(sample="sleepstudy")
    assert session.ask("Reaction ~ Days + (Days | Subject)").ok
    text = session.ask("is the effect of Days linear?").text()
    line, steps = TRUTH["anova"]
    assert f"AIC {line['AIC']:,.1f} for the straight line, {steps['AIC']:,.1f}" in text
    assert "the random slope keeps Days numeric" in text
