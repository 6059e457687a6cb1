"""The clinical-trial questions: a treatment effect at chosen times, at each time, and the
slope of time per arm, from request text to plan, engine numbers and words.

The numbers are checked against lmerTest in tests/test_simple_effects.py; here the
session must route each phrasing to the right grid and say the answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.session import Session
from grammar.parse import parse
from grammar.plan import InteractionTest, MarginalMeans

FORMULA = "fit pain_score ~ time * treatment + (1 | patient)"
R = json.loads(
    (Path(__file__).parent / "data" / "simple_effects" / "results.json").read_text()
)["intercept"]


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("what is the treatment effect at 6 months?",
         MarginalMeans(factor="treatment", at=(("months", (6.0,)),))),
        ("treatment effect at time 6", MarginalMeans(factor="treatment", at=(("time", (6.0,)),))),
        ("difference between treatments at month 6",
         MarginalMeans(factor="treatments", at=(("month", (6.0,)),))),
        ("pairwise comparisons of treatment at month 6",
         MarginalMeans(factor="treatment", at=(("month", (6.0,)),))),
        ("marginal means of treatment at time 0, 3 and 6",
         MarginalMeans(factor="treatment", at=(("time", (0.0, 3.0, 6.0)),))),
        ("estimated marginal means by treatment at each time",
         MarginalMeans(factor="treatment", by="time")),
        ("how fast does pain fall in each group?", MarginalMeans(trend="time")),
        ("simple slopes of time by treatment", MarginalMeans(factor="treatment", trend="time")),
        ("slope of time for each treatment", MarginalMeans(factor="treatment", trend="time")),
        ("how does pain change over time in each group?", MarginalMeans(trend="time")),
        ("what is the difference between treatment groups at month 6?",
         MarginalMeans(factor="treatment", at=(("month", (6.0,)),))),
    ],
)
def test_phrasings_make_one_marginal_means_step(text, step):
    assert parse(text).steps == (step,)


@pytest.mark.parametrize(
    "text",
    ["does the treatment effect change over time?",
     "does the effect of treatment change over time?"],
)
def test_does_the_effect_change_asks_for_the_interaction_test_and_the_slopes(text):
    steps = parse(text).steps
    assert steps == (
        InteractionTest(("treatment", "time")),
        MarginalMeans(factor="treatment", trend="time"),
    )


def test_plain_treatment_effect_questions_are_unchanged():
    assert parse("what is the treatment effect?").steps[0].kind == "fixed_effects"
    assert parse("is the treatment effect significant?").steps[0].kind == "fixed_effects"


@pytest.fixture(scope="module")
def session():
    s = Session(sample="pain_trial")
    assert s.ask(FORMULA).ok
    return s


def _result(answer, kind="marginal_means"):
    assert answer.ok, answer.error
    return next(o.result.result for o in answer.steps if o.kind == kind)


def test_treatment_effect_at_6_months_uses_the_time_predictor(session):
    answer = session.ask("what is the treatment effect at 6 months?")
    result = _result(answer)
    assert result.at == {"time": 6.0} and result.by is None
    expected = R["difference_time_6"]["satterthwaite"][0]
    assert result.differences[0].test.estimate == pytest.approx(expected["estimate"], rel=1e-6)
    assert result.differences[0].test.df == pytest.approx(expected["df"], rel=1e-3)
    text = answer.text()
    low, high = -expected["upper"], -expected["lower"]
    assert (
        f"pain_score is {expected['estimate']:.1f} lower for treated than for control "
        f"(treated − control = −{expected['estimate']:.1f}, 95% CI −{-low:.1f} to "
        f"−{-high:.1f}; t({expected['df']:.1f}) = −{expected['t']:.2f}, p < .001)"
    ) in text


def test_at_each_time_repeats_the_comparison_at_every_visit(session):
    answer = session.ask("estimated marginal means by treatment at each time")
    result = _result(answer)
    assert result.by == "time" and result.by_values == (0.0, 1.0, 3.0, 6.0)
    text = answer.text()
    for value in (0, 1, 3, 6):
        assert f"At time {value}, pain_score is" in text


def test_how_fast_gives_the_slope_in_each_arm(session):
    answer = session.ask("how fast does pain fall in each group?")
    result = _result(answer)
    assert result.trend == "time" and result.factor == "treatment"
    for mean, row in zip(result.means, R["slopes"]["satterthwaite"], strict=True):
        assert mean.test.estimate == pytest.approx(row["estimate"], rel=1e-6)
        assert mean.test.p == pytest.approx(row["p"], rel=1e-3)
    assert "Per unit of time, the mean pain_score changes by −2.22 for control" in answer.text()
    assert "The slopes do not differ significantly at the 5% level" in answer.text()


def test_does_it_change_reports_the_f_test_then_the_slopes(session):
    answer = session.ask("does the treatment effect change over time?")
    assert answer.ok, answer.error
    assert [o.kind for o in answer.steps] == ["fixed_effects", "marginal_means"]
    view = answer.steps[0].result
    (f_row,) = view.focus_tests.to_dict("records")
    assert f_row["term"] == "time:treatment"
    # one numerator df: the F test is the square of the slope difference's t test
    difference = _result(answer).differences[0].test
    assert f_row["F"] == pytest.approx(difference.t**2, rel=1e-8)
    assert f_row["den_df"] == pytest.approx(difference.df, rel=1e-6)


def test_a_time_factor_gives_the_effect_at_each_level():
    s = Session(sample="pain_trial")
    assert s.ask("fit pain_score ~ factor(time) * treatment + (1 | patient)").ok
    result = _result(s.ask("does the treatment effect change over time?"))
    assert result.trend is None and result.by == "time"
    assert [d.by_value for d in result.differences] == [0, 1, 3, 6]


def test_an_unknown_predictor_is_named(session):
    answer = session.ask("marginal means of treatment at dose 3")
    assert not answer.ok
    assert "no predictor `dose`" in str(answer.error)


def test_pairs_within_each_level_of_a_factor_are_worded_per_level():
    s = Session(sample="pain_trial")
    assert s.ask("fit pain_score ~ factor(time) * treatment + (1 | patient)").ok
    answer = s.ask("pairwise comparisons of time at each treatment")
    result = _result(answer)
    assert result.by == "treatment" and result.adjustment == "tukey"
    text = answer.text()
    for arm in ("control", "treated"):
        pairs = [d for d in result.differences if d.by_value == arm]
        significant = sum(d.p_adjusted < 0.05 for d in pairs)
        assert (
            f"For treatment = {arm}, {significant} of the 6 pairs differ significantly at "
            "the 5% level after adjusting for 6 comparisons by Tukey's method"
        ) in text
