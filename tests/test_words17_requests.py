"""Everyday multilevel requests the QA pass of 2026-11-27 found refused (words17), each
read as the analysis that already answers it under other words: each group's regression
line, the cross-level and the "time by treatment" interaction tests, group-mean
centring, an APA paragraph, mean outcome with error bars, the marginal means plot,
pairwise comparisons of time points, whether the clustering matters, ML for a comparison
and rescaling a column. Numbers are checked against direct engine fits, pandas and
closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.marginal_means import marginal_means
from engine.predict import population_predictions
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import ask_ok

SCHOOL_COLUMNS = ("school", "student", "test_score", "SES", "school_size")
PAIN_COLUMNS = ("patient", "time", "treatment", "pain_score", "age", "sex")
SCHOOLS_SLOPE = "test_score ~ SES + school_size + (SES | school)"
PAIN_ADDITIVE = "pain_score ~ time + treatment + (1 | patient)"
PAIN_INTERACTION = "pain_score ~ time * treatment + (1 | patient)"


def _steps(request: str, columns=SCHOOL_COLUMNS) -> list[dict]:
    return parse(request, columns=columns).to_dict()["steps"]


def _same_plan(request: str, reference: str, columns=SCHOOL_COLUMNS) -> None:
    assert _steps(request, columns) == _steps(reference, columns)


@pytest.fixture()
def schools(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    ask_ok(session, f"fit {SCHOOLS_SLOPE}")
    return session


# ------------------------------------------------------------------ plans
@pytest.mark.parametrize(("request_text", "reference"), [
    ("plot the school-specific regression lines", "plot each school's fitted line"),
    ("plot each school's regression line", "plot each school's fitted line"),
    ("show the predicted lines for every school", "plot the fitted lines for each school"),
    ("plot the fitted lines for every school", "plot the fitted lines for each school"),
])
def test_each_schools_regression_line_is_the_fitted_lines_plot(request_text, reference):
    _same_plan(request_text, reference)
    assert _steps(request_text)[0]["kind"] == "plot_trajectory"


@pytest.mark.parametrize(("request_text", "variables"), [
    ("test whether SES effect differs by school size", ["SES", "school size"]),
    ("test whether the effect of SES depends on school_size", ["SES", "school_size"]),
    ("test the time by treatment interaction", ["time", "treatment"]),
    ("is there an interaction between SES and school size?", ["SES", "school size"]),
    ("is there a cross-level interaction between SES and school size?", ["SES", "school size"]),
    ("test the time x treatment interaction", ["time", "treatment"]),
])
def test_named_interactions_are_the_interaction_test(request_text, variables):
    (step,) = _steps(request_text, SCHOOL_COLUMNS + PAIN_COLUMNS)
    assert step["kind"] == "interaction_test"
    assert step["variables"] == variables and not step["cross_level"]


@pytest.mark.parametrize("request_text", [
    "is there a cross-level interaction?",
    "test for a cross-level interaction",
    "do we need a cross level interaction?",
])
def test_the_cross_level_question_is_the_interaction_test_without_names(request_text):
    (step,) = _steps(request_text)
    assert (step["kind"], step["variables"], step["cross_level"]) == (
        "interaction_test", [], True)


def test_a_likelihood_ratio_test_of_a_column_is_unchanged():
    """ "test SES with a likelihood ratio test" shares "test <columns>" with the
    interaction rule; it must still drop the column and compare."""
    kinds = [s["kind"] for s in _steps("test SES with a likelihood ratio test")]
    assert kinds == ["modify_model", "compare_models"]


@pytest.mark.parametrize(("request_text", "reference"), [
    ("center SES at the school mean and refit", "center SES within each school and refit"),
    ("centre SES around each school's mean", "center SES within each school"),
    ("group-mean centre SES", "group mean center SES"),
    ("give me an APA style paragraph", "report the results in APA style"),
    ("write an APA style results paragraph", "report the results in APA style"),
    ("plot the estimated marginal means", "plot marginal means"),
    ("pairwise comparisons between time points", "post hoc tests for time"),
    ("is the clustering important?", "what is the design effect?"),
    ("does clustering matter?", "what is the design effect?"),
    ("use ML for the comparison", "compare after refitting with ML"),
    ("compare the models with ML", "compare the models after refitting with ML"),
    ("rescale time", "scale time"),
    ("rescale SES and school_size", "scale SES and school_size"),
    ("give me an APA-style paragraph", "report the results in APA style"),
    ("is there a cross-level interaction between SES and school_size?",
     "is there an interaction between SES and school_size?"),
    ("test the time by treatment interaction with a likelihood ratio test",
     "test the interaction between time and treatment with a likelihood ratio test"),
])
def test_words_read_as_the_existing_step(request_text, reference):
    _same_plan(request_text, reference, SCHOOL_COLUMNS + PAIN_COLUMNS)


def test_rescaling_a_coefficient_by_an_amount_is_unchanged():
    (step,) = _steps("rescale the time coefficient per 10 units", PAIN_COLUMNS)
    assert (step["kind"], step["term"], step["per"]) == ("explain_coefficient", "time", 10.0)


def test_mean_outcome_with_error_bars_is_the_observed_means_figure():
    # errorbars19: the observed means with their bars (was the model's trajectory)
    (step,) = _steps("plot mean pain over time by group with error bars", PAIN_COLUMNS)
    assert (step["kind"], step["bars"], step["by"], step["over"]) == (
        "plot_observed_means", "ci", "group", "time")
    # without intervals it stays the observed data with the mean line
    (plain,) = _steps("plot mean pain over time by group", PAIN_COLUMNS)
    assert plain["kind"] == "plot_data"


def test_mean_outcome_in_two_words_is_kept_for_the_session_to_resolve():
    (step,) = _steps("plot the mean pain score over time by treatment with error bars",
                     PAIN_COLUMNS)
    assert (step["kind"], step["outcome"], step["by"]) == (
        "plot_observed_means", "pain score", "treatment")
    (plain,) = _steps("plot the mean pain score over time by treatment", PAIN_COLUMNS)
    assert (plain["kind"], plain["outcome"]) == ("plot_data", "pain score")


def test_use_ml_alone_is_still_the_session_option():
    (step,) = _steps("use ML")
    assert step["kind"] == "set_option"


# ------------------------------------------------------------------ numbers
def test_school_regression_lines_are_fixed_effects_plus_each_schools_blups(schools):
    answer = ask_ok(schools, "plot the school-specific regression lines")
    figure = answer.steps[0].result.result
    assert figure.group == "school" and figure.n_subjects == 40 and figure.overlay_blups
    fit = fit_lmm(SCHOOLS_SLOPE, load_sample("schools"))
    direct = population_predictions(fit, time="SES").frame
    shown = figure.predictions.frame
    assert shown["estimate"].to_numpy() == pytest.approx(direct["estimate"].to_numpy(),
                                                         rel=1e-8)


def test_cross_level_interaction_adds_ses_by_school_size_and_tests_it(schools):
    answer = ask_ok(schools, "is there a cross-level interaction?")
    text = answer.text()
    assert "I took the cross-level interaction to be SES by school_size" in text
    data = load_sample("schools")
    wider = "test_score ~ SES + school_size + SES:school_size + (SES | school)"
    direct = fit_lmm(wider, data)
    model = answer.steps[0].result.model
    assert model.fit.formula.replace(" ", "") == wider.replace(" ", "")
    row = {f.term: f for f in model.fit.fixed_effects}["SES:school_size"]
    own = {f.term: f for f in direct.fixed_effects}["SES:school_size"]
    assert row.estimate == pytest.approx(own.estimate, rel=1e-6)
    assert row.p == pytest.approx(own.p, rel=1e-5)
    # the LRT of the two models, both refitted by ML
    table = answer.steps[-1].result.comparison.table
    ml_small = fit_lmm(SCHOOLS_SLOPE, data, reml=False)
    ml_big = fit_lmm(wider, data, reml=False)
    chisq = 2 * (float(ml_big.loglik) - float(ml_small.loglik))
    assert float(table["Chisq"].dropna().iloc[0]) == pytest.approx(chisq, rel=1e-5)
    assert float(table["p"].dropna().iloc[0]) == pytest.approx(stats.chi2.sf(chisq, 1),
                                                               rel=1e-4)


def test_ses_effect_differing_by_school_size_is_the_same_test(schools):
    answer = ask_ok(schools, "test whether SES effect differs by school size")
    row = {f.term: f for f in answer.steps[0].result.model.fit.fixed_effects}
    direct = fit_lmm("test_score ~ SES + school_size + SES:school_size + (SES | school)",
                     load_sample("schools"))
    own = {f.term: f for f in direct.fixed_effects}
    assert row["SES:school_size"].estimate == pytest.approx(own["SES:school_size"].estimate,
                                                            rel=1e-6)


def test_cross_level_question_without_a_level_two_predictor_asks_back(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "fit Reaction ~ Days + (Days | Subject)")
    answer = session.ask("is there a cross-level interaction?")
    assert not answer.ok
    message = str(answer.error)
    assert "no cross-level pair" in message and "interaction?`" in message
    assert list(session.models) == [1]


def test_time_by_treatment_interaction_is_added_and_tested_by_lrt(pain_trial_session):
    ask_ok(pain_trial_session, f"fit {PAIN_ADDITIVE}")
    answer = ask_ok(pain_trial_session, "test the time by treatment interaction")
    data = load_sample("pain_trial")
    direct = fit_lmm(PAIN_INTERACTION, data)
    own = {f.term: f for f in direct.fixed_effects}["time:treatment[T.treated]"]
    row = {f.term: f for f in answer.steps[0].result.model.fit.fixed_effects}[
        "time:treatment[T.treated]"]
    assert row.estimate == pytest.approx(own.estimate, rel=1e-6)
    assert row.se == pytest.approx(own.se, rel=1e-5)
    table = answer.steps[-1].result.comparison.table
    chisq = 2 * (float(fit_lmm(PAIN_INTERACTION, data, reml=False).loglik)
                 - float(fit_lmm(PAIN_ADDITIVE, data, reml=False).loglik))
    assert float(table["Chisq"].dropna().iloc[0]) == pytest.approx(chisq, rel=1e-5)


def test_centering_at_the_school_mean_uses_the_group_means(schools):
    answer = ask_ok(schools, "center SES at the school mean and refit")
    data = load_sample("schools")
    means = data.groupby("school")["SES"].transform("mean")
    split = data.assign(SES_between=means, SES_within=data["SES"] - means)
    frame = answer.steps[0].result.split.data
    assert frame["SES_within"].to_numpy() == pytest.approx(split["SES_within"].to_numpy(),
                                                          abs=1e-10)
    direct = fit_lmm("test_score ~ SES_within + SES_between + school_size + (SES | school)",
                     split)
    refit = answer.steps[-1].result.model.fit
    assert np.asarray(refit.beta) == pytest.approx(np.asarray(direct.beta), rel=1e-6)


def test_apa_paragraph_reports_the_days_slope_of_the_fit(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "fit Reaction ~ Days + (Days | Subject)")
    answer = ask_ok(session, "give me an APA style paragraph")
    assert answer.steps[0].result.part == "results"
    days = {f.term: f for f in fit_lmm("Reaction ~ Days + (Days | Subject)",
                                       load_sample("sleepstudy")).fixed_effects}["Days"]
    # lme4/lmerTest: b = 10.467, SE = 1.546, t(17) = 6.771
    assert days.estimate == pytest.approx(10.46729, abs=1e-4)
    assert f"For the Days slope, b = {days.estimate:.1f}, SE = {days.se:.1f}" in answer.text()
    assert f"= {days.t:.2f}" in answer.text()


def test_fitted_trajectory_by_group_draws_the_estimated_means_and_their_intervals(
    pain_trial_session,
):
    # errorbars19: "plot mean pain ... with error bars" is now the observed means figure
    # (tests/test_observed_means_plot.py); the model's means with a band are asked for so
    ask_ok(pain_trial_session, f"fit {PAIN_INTERACTION}")
    answer = ask_ok(pain_trial_session, "plot the fitted trajectory by treatment with a CI band")
    figure = answer.steps[0].result.result
    assert figure.band and figure.by == "treatment" and figure.level == 0.95
    frame = figure.predictions.frame
    direct = population_predictions(fit_lmm(PAIN_INTERACTION, load_sample("pain_trial")),
                                    time="time").frame
    assert frame["estimate"].to_numpy() == pytest.approx(direct["estimate"].to_numpy(),
                                                         rel=1e-8)
    half = stats.t.ppf(0.975, frame["df"]) * frame["se"]
    assert frame["upper"].to_numpy() == pytest.approx((frame["estimate"] + half).to_numpy(),
                                                      rel=1e-10)


def test_estimated_marginal_means_plot_is_the_models_mean_line(pain_trial_session):
    ask_ok(pain_trial_session, f"fit {PAIN_INTERACTION}")
    answer = ask_ok(pain_trial_session, "plot the estimated marginal means")
    frame = answer.steps[0].result.result.predictions.frame
    direct = population_predictions(fit_lmm(PAIN_INTERACTION, load_sample("pain_trial")),
                                    time="time").frame
    assert frame["se"].to_numpy() == pytest.approx(direct["se"].to_numpy(), rel=1e-8)


def test_pairwise_comparisons_between_time_points_match_the_engine(pain_trial_session):
    formula = "pain_score ~ factor(time) * treatment + (1 | patient)"
    ask_ok(pain_trial_session, f"fit {formula}")
    answer = ask_ok(pain_trial_session, "pairwise comparisons between time points")
    result = answer.steps[0].result.result
    direct = marginal_means(fit_lmm(formula, load_sample("pain_trial")), "time")
    assert result.factor == "time" and result.adjustment == "tukey"
    assert [d.p_adjusted for d in result.differences] == pytest.approx(
        [d.p_adjusted for d in direct.differences], rel=1e-6)
    assert [d.test.estimate for d in result.differences] == pytest.approx(
        [d.test.estimate for d in direct.differences], rel=1e-8)


def test_is_the_clustering_important_gives_kish_design_effect(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    ask_ok(session, "fit test_score ~ SES + school_size + (1 | school)")
    answer = ask_ok(session, "is the clustering important?")
    result = answer.steps[0].result.result
    data = load_sample("schools")
    null = fit_lmm("test_score ~ 1 + (1 | school)", data)
    tau2 = float(null.variance_components[0].vcov)
    icc = tau2 / (tau2 + float(null.sigma) ** 2)
    m = len(data) / data["school"].nunique()
    assert result.icc == pytest.approx(icc, rel=1e-6)
    assert result.deff == pytest.approx(1 + (m - 1) * icc, rel=1e-6)
    assert result.effective_n == pytest.approx(len(data) / (1 + (m - 1) * icc), rel=1e-6)


def test_ml_for_the_comparison_refits_both_models_by_ml(pain_trial_session):
    ask_ok(pain_trial_session, f"fit {PAIN_ADDITIVE}")
    ask_ok(pain_trial_session, f"fit {PAIN_INTERACTION}")
    answer = ask_ok(pain_trial_session, "use ML for the comparison")
    comparison = answer.steps[0].result.comparison
    assert comparison.refit == "ml" and comparison.refitted_with_ml
    data = load_sample("pain_trial")
    table = comparison.table
    for formula in (PAIN_ADDITIVE, PAIN_INTERACTION):
        row = table[table["formula"] == formula]
        ml = fit_lmm(formula, data, reml=False)
        assert float(row["logLik"].iloc[0]) == pytest.approx(float(ml.loglik), rel=1e-8)


def test_rescale_time_divides_time_by_its_sample_sd(pain_trial_session):
    answer = ask_ok(pain_trial_session, "rescale time")
    frame = answer.steps[0].result.engine_result.data
    time = load_sample("pain_trial")["time"]
    assert frame["time"].to_numpy() == pytest.approx((time / time.std(ddof=1)).to_numpy(),
                                                     rel=1e-12)


def test_error_bars_before_any_model_are_the_observed_means_intervals(pain_trial_session):
    # errorbars19: the observed means get their own per-cell intervals, model or not
    answer = ask_ok(pain_trial_session, "plot mean pain over time by treatment with error bars")
    figure = answer.steps[0].result.result
    assert type(figure).__name__ == "ObservedMeansFigure"
    assert (figure.bars, figure.means.group, figure.means.x) == ("ci", "treatment", "time")
    assert "95% confidence interval" in answer.text()


def test_rescaling_two_columns_divides_each_by_its_sd(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    answer = ask_ok(session, "rescale SES and school_size")
    frame = answer.steps[0].result.engine_result.data
    data = load_sample("schools")
    for name in ("SES", "school_size"):
        assert frame[name].to_numpy() == pytest.approx(
            (data[name] / data[name].std(ddof=1)).to_numpy(), rel=1e-12)
