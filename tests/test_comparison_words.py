"""Users' comparison questions after the usual first fits: a treatment effect over time,
the arms at a time point, time as a factor against linear time, a crossed model against
one of its factors alone.

Expected values come from lme4 / lmerTest (tests/data/words4_lme4/make_words4_lme4.R,
run on the built-in samples, stored in words4_lme4.json) and from pandas group means.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy import stats

from assistant.session import Session
from engine.samples import load_sample

R = json.loads(
    (Path(__file__).parent / "data" / "words4_lme4" / "words4_lme4.json").read_text()
)
ADDITIVE = "LMM: pain_score ~ time + treatment + (1 | patient)"


@pytest.fixture()
def pain():
    session = Session(sample="pain_trial")
    assert session.ask(ADDITIVE).ok
    return session


def _results(answer, kind):
    assert answer.ok, answer.error
    return [o.result for o in answer.steps if o.kind == kind]


def test_does_the_effect_change_over_time_tests_the_added_interaction(pain):
    answer = pain.ask("does the treatment effect change over time?")
    (session_comparison,) = _results(answer, "compare_models")
    comparison = session_comparison.comparison
    expected = R["interaction_lrt"]
    row = comparison.table.iloc[1]
    assert comparison.criterion == "ML"
    assert row["Chisq"] == pytest.approx(expected["chisq"], rel=1e-4)
    assert row["p"] == pytest.approx(expected["p"], rel=1e-4)
    assert list(comparison.table["AIC"]) == pytest.approx(expected["aic"], rel=1e-7)
    # the slopes per arm come from the model with the interaction, so they differ
    (slopes_result,) = _results(answer, "marginal_means")
    slopes = slopes_result.result
    assert slopes_result.model.number == 2
    control, treated = (m.test.estimate for m in slopes.means)
    assert control - treated == pytest.approx(0.0669149370828305, rel=1e-5)  # -fixef[4], R
    text = answer.text()
    assert "χ²(1) = 0.06, p = .801" in text
    assert text.count("χ²(1) = 0.06") == text.count("χ²(1)")


def _check_test(test, expected, rel=1e-6, df_rel=1e-3):
    assert test.estimate == pytest.approx(expected["estimate"], rel=rel)
    assert test.se == pytest.approx(expected["se"], rel=df_rel)
    assert test.df == pytest.approx(expected["df"], rel=df_rel)
    assert test.lower == pytest.approx(expected["lower"], rel=df_rel)
    assert test.upper == pytest.approx(expected["upper"], rel=df_rel)


@pytest.mark.parametrize(
    "request_text",
    ["compare treatments at month 6", "compare the treatment groups at month 6",
     "predicted pain at month 6 for treated vs control",
     "predicted pain_score at time 6 for treated versus control"],
)
def test_arms_at_month_6_are_the_marginal_means_there(pain, request_text):
    answer = pain.ask(request_text)
    (result,) = [r.result for r in _results(answer, "marginal_means")]
    expected = R["means_time_6"]
    assert result.at == {"time": 6.0} and result.factor == "treatment"
    control, treated = result.means
    _check_test(control.test, expected["control"])
    _check_test(treated.test, expected["treated"])
    (difference,) = result.differences  # control − treated
    assert difference.test.estimate == pytest.approx(
        -expected["treated_minus_control"]["estimate"], rel=1e-6)
    assert difference.test.df == pytest.approx(expected["treated_minus_control"]["df"], rel=1e-3)
    assert (
        "pain_score is 12.9 lower for treated than for control (treated − control = −12.9, "
        "95% CI −16.2 to −9.7; t(78.0) = −7.89, p < .001)"
    ) in answer.text()


def test_groups_at_baseline_observed_and_by_the_model(pain):
    answer = pain.ask("compare the treatment groups at baseline")
    (result,) = [r.result for r in _results(answer, "baseline_comparison")]
    data = load_sample("pain_trial")
    first = data[data["time"] == 0].dropna(subset=["pain_score"])
    grouped = first.groupby("treatment")["pain_score"]
    assert result.time == "time" and result.first_time == 0.0
    for row in result.observed:
        assert row.n == grouped.size()[row.level]
        assert row.mean == pytest.approx(grouped.mean()[row.level], rel=1e-12)
        assert row.sd == pytest.approx(grouped.std()[row.level], rel=1e-12)
    welch = stats.ttest_ind(
        first.loc[first.treatment == "treated", "pain_score"],
        first.loc[first.treatment == "control", "pain_score"], equal_var=False)
    diff = result.observed_difference
    assert diff.t == pytest.approx(welch.statistic, rel=1e-10)
    assert diff.p == pytest.approx(welch.pvalue, rel=1e-8)
    assert diff.estimate == pytest.approx(
        grouped.mean()["treated"] - grouped.mean()["control"], rel=1e-12)
    expected = R["means_time_0"]
    control, treated = result.model.means
    _check_test(control.test, expected["control"])
    _check_test(treated.test, expected["treated"])
    assert not result.time_interacts
    text = answer.text()
    assert "control 62.3 (SD 9.04, n = 40) and treated 50.1 (SD 8.26, n = 40)" in text
    assert "is the same at every time" in text


def test_baseline_with_the_interaction_is_the_models_own_estimate_there():
    session = Session(sample="pain_trial")
    assert session.ask("fit pain_score ~ time * treatment + (1 | patient)").ok
    answer = session.ask("compare groups at baseline")
    (result,) = [r.result for r in _results(answer, "baseline_comparison")]
    assert result.time_interacts and result.factor == "treatment"
    # lmerTest at time 0 (tests/data/simple_effects, the interaction model)
    means = json.loads(
        (Path(__file__).parent / "data" / "simple_effects" / "results.json").read_text()
    )["intercept"]["means_time_0"]["satterthwaite"]
    for mean, row in zip(result.model.means, means, strict=True):
        _check_test(mean.test, row)
    assert "its estimate at time = 0" in answer.text()


def test_baseline_without_a_time_predictor_says_so():
    session = Session(sample="ratings")
    assert session.ask("LMM: rating ~ condition + (1 | rater) + (1 | item)").ok
    answer = session.ask("compare conditions at baseline")
    assert not answer.ok
    assert "no time predictor" in str(answer.error)


@pytest.mark.parametrize(
    "request_text",
    ["fit time as a factor and compare to linear time", "fit time as categorical vs linear",
     "fit time as a factor and compare with the linear trend"],
)
def test_time_as_a_factor_against_linear_time_is_the_ml_lrt(pain, request_text):
    answer = pain.ask(request_text)
    (result,) = [r.result for r in _results(answer, "linearity_test")]
    expected = R["time_factor_lrt"]
    assert result.stepwise_formula == "pain_score ~ factor(time) + treatment + (1 | patient)"
    assert result.df == expected["df"]
    assert result.chisq == pytest.approx(expected["chisq"], rel=1e-4)
    assert result.p == pytest.approx(expected["p"], rel=1e-4)
    assert (result.linear_loglik, result.stepwise_loglik) == pytest.approx(
        tuple(expected["loglik"]), rel=1e-7)
    assert (result.linear_aic, result.stepwise_aic) == pytest.approx(
        tuple(expected["aic"]), rel=1e-7)
    assert "χ²(2) = 3.71, p = .157" in answer.text()


@pytest.mark.parametrize(
    "request_text",
    ["compare crossed model to raters only", "compare to raters only",
     "compare with a model with only raters", "compare the crossed model with raters alone"],
)
def test_crossed_model_against_raters_only_is_the_reml_lrt(request_text):
    session = Session(sample="ratings")
    assert session.ask("LMM: rating ~ condition + (1 | rater) + (1 | item)").ok
    answer = session.ask(request_text)
    (fitted,) = [o.result for o in answer.steps if o.kind == "modify_model"]
    assert fitted.model.fit.formula == "rating ~ condition + (1 | rater)"
    (session_comparison,) = _results(answer, "compare_models")
    comparison = session_comparison.comparison
    expected = R["raters_only_lrt"]  # lme4 anova(raters, crossed, refit = FALSE)
    assert comparison.criterion == "REML" and not comparison.refitted_with_ml
    assert comparison.table.iloc[1]["Chisq"] == pytest.approx(expected["chisq"], rel=1e-5)
    assert list(comparison.table["AIC"]) == pytest.approx(expected["aic"], rel=1e-7)
    assert list(comparison.table["BIC"]) == pytest.approx(expected["bic"], rel=1e-7)
    text = answer.text()
    assert "Built from model 1 by keeping only the random effects of rater." in text
    assert "their REML likelihoods are comparable" in text


def test_a_model_without_items_drops_the_item_random_term():
    session = Session(sample="ratings")
    assert session.ask("LMM: rating ~ condition + (1 | rater) + (1 | item)").ok
    answer = session.ask("compare with a model without items")
    assert answer.ok, answer.error
    (fitted,) = [o.result for o in answer.steps if o.kind == "modify_model"]
    assert fitted.model.fit.formula == "rating ~ condition + (1 | rater)"


def test_keeping_the_only_grouping_factor_is_refused(pain):
    answer = pain.ask("compare to patients only")
    assert not answer.ok
    assert "only grouping factor is patient" in str(answer.error)


@pytest.mark.parametrize(
    "request_text",
    ["plot the random effects of school and ci band",
     "plot the random effects of school with CI bands"],
)
def test_school_random_effects_with_bands_is_the_caterpillar_plot(request_text, tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    assert session.ask("fit the model").ok
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    text = answer.text()
    assert "caterpillar_school.png" in text
    assert "school intercepts: 40 levels sorted with 95% intervals" in text
