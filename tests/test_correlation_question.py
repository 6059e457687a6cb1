"""'Do we need the correlation?' on sleepstudy: the correlation with its profile interval,
the model with ``||``, and the likelihood-ratio test of the two REML fits, checked against
lme4's anova(m1, m0, refit = FALSE) and confint(method = "profile")
(tests/data/sleepstudy_questions, made by the R script beside it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.session import Session

TRUTH = json.loads(
    (Path(__file__).parent / "data" / "sleepstudy_questions" / "sleepstudy_questions.json")
    .read_text()
)["correlation_test"]
FIT = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def asked():
    session = Session(sample="sleepstudy")
    assert session.ask(FIT).ok
    return session, session.ask("is the correlation between intercept and slope significant?")


def test_the_uncorrelated_model_is_fitted_and_compared(asked):
    session, answer = asked
    assert answer.ok, answer.error
    assert [o.kind for o in answer.steps] == ["correlation_test", "modify_model",
                                              "compare_models"]
    assert session.models[2].fit.formula == "Reaction ~ Days + (1 + Days || Subject)"


def test_the_lrt_is_lme4s_anova_without_refit(asked):
    _, answer = asked
    comparison = answer.steps[2].result.comparison
    assert comparison.criterion == "REML" and not comparison.refitted_with_ml
    bigger = TRUTH["anova"][1]
    row = comparison.table.iloc[1]
    assert row["Chisq"] == pytest.approx(bigger["Chisq"], abs=1e-4)
    assert row["Df"] == bigger["Df"] == 1
    assert row["p"] == pytest.approx(bigger["p"], abs=1e-4)
    assert row["logLik"] == pytest.approx(bigger["logLik"], abs=1e-4)
    assert comparison.table.iloc[0]["logLik"] == pytest.approx(TRUTH["anova"][0]["logLik"],
                                                               abs=1e-4)
    assert "χ²(1) = 0.04, p = .839" in answer.text()


def test_the_correlation_and_its_profile_interval_are_lme4s(asked):
    _, answer = asked
    (correlation,) = answer.steps[0].result.result.correlations
    assert correlation.estimate == pytest.approx(TRUTH["correlation"], abs=1e-4)
    assert correlation.lower == pytest.approx(TRUTH["profile_lower"], abs=2e-3)
    assert correlation.upper == pytest.approx(TRUTH["profile_upper"], abs=2e-3)
    text = answer.text()
    assert "correlation between the Subject intercepts and Days slopes at 0.07" in text
    shown = f"(95% profile CI {correlation.lower:.2f} to {correlation.upper:.2f}"
    assert shown.replace("-", "\u2212") in text
    assert "REML likelihoods as fitted, without refitting by ML" in text


@pytest.mark.parametrize("text", [
    "do we need the correlation?",
    "is the intercept-slope correlation significant?",
    "are the intercepts and slopes correlated?",
])
def test_other_phrasings_run_the_same_test(text):
    session = Session(sample="sleepstudy")
    assert session.ask(FIT).ok
    answer = session.ask(text)
    assert answer.ok, answer.error
    assert answer.steps[2].result.comparison.table.iloc[1]["Chisq"] == pytest.approx(
        TRUTH["anova"][1]["Chisq"], abs=1e-4)


def test_a_model_without_a_correlation_is_refused_in_one_sentence():
    session = Session(sample="sleepstudy")
    assert session.ask("Reaction ~ Days + (Days || Subject)").ok
    answer = session.ask("do we need the correlation?")
    assert not answer.ok
    assert str(answer.error) == (
        "Model 1 (uncorrelated intercept and slope model) estimates no correlation between "
        "random effects, so there is none to test; a term such as (1 + x | g) estimates one."
    )
    assert len(session.models) == 1
