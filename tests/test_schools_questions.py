"""Plain-word questions on the schools sample: moderation, an effect that varies across
schools, the best and worst schools. Plans come from the grammar; numbers are checked
against fits made here with the engine directly."""

from __future__ import annotations

import pytest
from scipy import stats

from assistant.session import Session
from engine import fit_lmm
from engine.samples import load_sample

FIT = "fit test_score ~ SES + (1 | school)"


def fresh() -> Session:
    session = Session(sample="schools")
    assert session.ask(FIT).ok
    return session


@pytest.fixture(scope="module")
def moderation():
    session = fresh()
    return session, session.ask("does school size moderate the effect of ses?")


def test_moderation_adds_the_interaction_with_its_main_effect(moderation):
    session, answer = moderation
    assert answer.ok, answer.error
    assert [o.kind for o in answer.steps] == ["modify_model", "fixed_effects", "compare_models"]
    assert session.models[2].fit.formula == (
        "test_score ~ SES + school_size + school_size:SES + (1 | school)"
    )
    text = answer.text()
    assert "I took 'school size' to mean the column school_size." in text
    assert "I took 'ses' to mean the column SES." in text


def test_moderation_reports_the_interaction_test_with_satterthwaite_df(moderation):
    session, answer = moderation
    row = next(r for r in session.models[2].fit.fixed_effects if r.term == "school_size:SES")
    # one numerator df: F is t squared
    assert f"F(1, {row.df:,.1f}) = {row.t ** 2:.2f}" in answer.text()


def test_moderation_lrt_uses_ml_refits(moderation):
    session, answer = moderation
    comparison = answer.steps[2].result.comparison
    assert comparison.refitted_with_ml and comparison.refit_reason == "fixed_effects_differ"
    data = load_sample("schools")
    small = fit_lmm("test_score ~ SES + (1 | school)", data, reml=False)
    large = fit_lmm("test_score ~ SES + school_size + school_size:SES + (1 | school)", data,
                    reml=False)
    chisq = 2 * (large.loglik - small.loglik)
    row = comparison.table.iloc[1]
    assert row["Chisq"] == pytest.approx(chisq, abs=1e-6)
    assert row["Df"] == 2
    assert row["p"] == pytest.approx(stats.chi2.sf(chisq, 2), rel=1e-6)


@pytest.mark.parametrize("text", [
    "is the effect of SES different across schools?",
    "does the effect of ses vary across schools?",
    "does the effect of SES differ between schools?",
    "is the effect of ses the same in all schools?",
    "do schools differ in the effect of SES?",
])
def test_effect_across_schools_is_the_random_slope_test(text):
    session = fresh()
    answer = session.ask(text)
    assert answer.ok, answer.error
    assert [o.kind for o in answer.steps] == ["modify_model", "random_effects_tests"]
    assert session.models[2].fit.formula == "test_score ~ SES + (1 + SES | school)"
    tests = answer.steps[1].result.result
    (slope,) = [t for t in tests.tests if t.column == "SES"]
    reduced = session.models[1].fit  # same fixed effects, REML: lme4's anova would not refit
    full = session.models[2].fit
    assert slope.lrt == pytest.approx(2 * (full.loglik - reduced.loglik), abs=1e-5)
    assert slope.df == 2
    # the 50:50 mixture of chi-square(1) and chi-square(2)
    mixture = 0.5 * stats.chi2.sf(slope.lrt, 1) + 0.5 * stats.chi2.sf(slope.lrt, 2)
    assert slope.p_boundary == pytest.approx(mixture, rel=1e-6)
    assert "boundary" in answer.text()


@pytest.mark.parametrize(("request_text", "order"), [
    ("which schools are the best?", "highest"), ("which schools are the worst?", "lowest"),
])
def test_best_and_worst_schools_rank_the_blups(request_text, order):
    session = fresh()
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    ranking = answer.steps[0].result.result.ranking  # read as 'best' / 'worst' (AskedRanking)
    assert ranking.order == order and ranking.group == "school"
    values = [effect.value for effect in session.models[1].fit.random_effects]
    expected = sorted(values, reverse=order == "highest")[:5]
    assert [row.value for row in ranking.rows] == pytest.approx(expected)


def test_the_ranking_says_when_neighbouring_intervals_overlap():
    session = fresh()
    answer = session.ask("which schools are the best?")
    ranking = answer.steps[0].result.result.ranking
    fit = session.models[1].fit
    ordered = sorted(fit.random_effects, key=lambda e: e.value, reverse=True)
    z = ranking.z
    pairs = zip(ordered[:-1], ordered[1:], strict=True)
    expected = [(a.value - z * a.cond_sd) <= (b.value + z * b.cond_sd) for a, b in pairs]
    expected = expected[: len(ranking.rows)]
    assert list(ranking.overlaps_next) == expected
    assert any(expected)
    assert "the ranks are uncertain" in answer.text()


def test_with_the_slope_already_in_the_model_only_the_test_runs():
    session = Session(sample="schools")
    assert session.ask("fit test_score ~ SES + (SES | school)").ok
    answer = session.ask("is the effect of SES different across schools?")
    assert answer.ok, answer.error
    assert [o.kind for o in answer.steps] == ["random_effects_tests"]
    assert len(session.models) == 1


def test_across_a_covariate_the_question_stays_an_interaction_question():
    session = Session(sample="pain_trial")
    assert session.ask("fit pain_score ~ time * treatment + (1 | patient)").ok
    answer = session.ask("is the effect of time different across treatment?")
    assert answer.ok, answer.error
    assert [o.kind for o in answer.steps] == ["fixed_effects"]
    assert answer.steps[0].step.term == "time:treatment"


def test_an_interaction_already_in_the_model_in_the_other_order_is_not_added_twice():
    session = Session(sample="pain_trial")
    assert session.ask("fit pain_score ~ time * treatment + (1 | patient)").ok
    answer = session.ask("does treatment moderate the effect of time?")
    assert not answer.ok
    assert str(answer.error) == "treatment:time is already in the model (as time:treatment)."
    assert len(session.models) == 1
