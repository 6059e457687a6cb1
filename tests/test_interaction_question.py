"""'Is there a time by treatment interaction?' on the pain trial: the model with the
interaction is fitted, its Satterthwaite t test reported, and the two models compared by
a likelihood-ratio test of ML refits (lme4's anova). Numbers are checked against fits
made here with the engine directly."""

from __future__ import annotations

import pytest
from scipy import stats

from assistant.session import Session
from engine import fit_lmm
from engine.samples import load_sample

FIT = "LMM: pain_score ~ time + treatment + (1 | patient)"
WITH = "pain_score ~ time + treatment + time:treatment + (1 | patient)"


def fresh(fit: str = FIT, sample: str = "pain_trial") -> Session:
    session = Session(sample=sample)
    assert session.ask(fit).ok
    return session


@pytest.fixture(scope="module")
def asked():
    session = fresh()
    return session, session.ask("is there a time by treatment interaction?")


def test_the_model_with_the_interaction_is_fitted_tested_and_compared(asked):
    session, answer = asked
    assert answer.ok, answer.error
    assert [o.kind for o in answer.steps] == ["modify_model", "fixed_effects", "compare_models"]
    assert session.models[2].fit.formula == WITH


def test_the_interaction_t_test_is_the_satterthwaite_test_of_the_bigger_model(asked):
    session, answer = asked
    direct = fit_lmm(WITH, load_sample("pain_trial"))
    row = next(r for r in direct.fixed_effects if r.term == "time:treatment[T.treated]")
    shown = next(r for r in session.models[2].fit.fixed_effects if r.term == row.term)
    assert shown.t == pytest.approx(row.t, rel=1e-6)
    assert shown.df == pytest.approx(row.df, rel=1e-4)
    text = answer.text()
    assert f"t({row.df:.1f}) = {row.t:.2f}".replace("-", "\u2212") in text
    assert f"F(1, {row.df:,.1f}) = {row.t ** 2:.2f}" in text


def test_the_likelihood_ratio_test_refits_both_models_by_ml(asked):
    _, answer = asked
    comparison = answer.steps[2].result.comparison
    assert comparison.refitted_with_ml and comparison.refit_reason == "fixed_effects_differ"
    data = load_sample("pain_trial")
    small = fit_lmm("pain_score ~ time + treatment + (1 | patient)", data, reml=False)
    large = fit_lmm(WITH, data, reml=False)
    chisq = 2 * (large.loglik - small.loglik)
    row = comparison.table.iloc[1]
    assert row["Chisq"] == pytest.approx(chisq, abs=1e-6)
    assert row["Df"] == 1
    assert row["p"] == pytest.approx(stats.chi2.sf(chisq, 1), rel=1e-6)
    assert f"χ²(1) = {chisq:.2f}" in answer.text()


@pytest.mark.parametrize("text, said", [
    ("test whether the interaction is needed", "only time-like predictor (time)"),
    ("do the treatment groups change at different rates?", "changing over time"),
    ("do we need the interaction?", "only factor (treatment)"),
])
def test_an_unnamed_interaction_is_time_by_the_factor_and_the_answer_says_so(text, said):
    session = fresh()
    answer = session.ask(text)
    assert answer.ok, answer.error
    assert session.models[2].fit.formula == WITH
    assert "I took the question to be about the time by treatment interaction" in answer.text()
    assert said in answer.text()


def test_a_model_with_the_interaction_reports_its_test_without_fitting_another():
    session = fresh("fit pain_score ~ time * treatment + (1 | patient)")
    for text in ("is there a time by treatment interaction?", "is the interaction needed?",
                 "is there an interaction between treatment and time?"):
        answer = session.ask(text)
        assert answer.ok, answer.error
        assert [o.kind for o in answer.steps] == ["fixed_effects"]
        assert len(session.models) == 1
        row = next(r for r in session.models[1].fit.fixed_effects if ":" in r.term)
        assert f"F(1, {row.df:,.1f}) = {row.t ** 2:.2f}" in answer.text()


def test_several_candidate_interactions_are_asked_about_in_one_sentence():
    session = fresh("fit pain_score ~ time + treatment + sex + (1 | patient)")
    answer = session.ask("do we need the interaction?")
    assert not answer.ok
    assert str(answer.error) == (
        "Which interaction do you mean? Model 1 (random intercept model) has none, and its "
        "predictors (time, treatment, sex) do not single one out; name two, e.g. "
        "`is there a time by treatment interaction?`."
    )
    assert len(session.models) == 1


def test_several_interactions_in_the_model_are_asked_about():
    session = fresh("fit pain_score ~ time * treatment + time * sex + (1 | patient)")
    answer = session.ask("is the interaction needed?")
    assert not answer.ok
    assert "has several interactions (time:treatment, time:sex)" in str(answer.error)


def test_a_model_with_one_predictor_has_no_interaction_to_test():
    session = fresh("Reaction ~ Days + (Days | Subject)", "sleepstudy")
    answer = session.ask("do we need the interaction?")
    assert not answer.ok
    assert "has one predictor (Days), so it has no interaction to test" in str(answer.error)


def test_an_interaction_with_a_factor_of_several_levels_reports_its_f_test():
    session = fresh("fit pain_score ~ factor(time) * treatment + (1 | patient)")
    answer = session.ask("is there a time by treatment interaction?")
    assert answer.ok, answer.error
    assert [o.kind for o in answer.steps] == ["fixed_effects"]
    fit = session.models[1].fit
    table = fit.anova()
    row = table[table["term"] == "factor(time):treatment"].iloc[0]
    assert row["num_df"] == 3
    f_part = f"F(3, {row['den_df']:,.1f}) = {row['F']:.2f}"
    p_part = f"p = {row['p']:.3f}".replace("0.", ".", 1)
    expected = f"{f_part}, {p_part}"
    assert expected in answer.text()
