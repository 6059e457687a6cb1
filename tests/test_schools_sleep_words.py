"""Users' own words on the schools and sleepstudy samples: each request reaches the
analysis it means (the plan is asserted), and the numbers in the answer are checked
against a direct engine call on the same data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from assistant.narrate import numbers as fmt
from assistant.session import Session
from engine.baseline_spread import baseline_spread
from engine.compare import compare_models
from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar.parse import parse
from grammar.text import normalise
from tests.conftest import ask_ok

SCHOOLS_FIT = "test_score ~ SES + (1 | school)"
SLEEP_FIT = "Reaction ~ Days + (Days | Subject)"



def _session(sample: str, fit: str, tmp_path) -> Session:
    session = Session(sample=sample, output_dir=tmp_path)
    ask_ok(session, fit)
    return session


@pytest.fixture()
def schools(tmp_path) -> Session:
    return _session("schools", SCHOOLS_FIT, tmp_path)


@pytest.fixture(scope="module")
def sleep(tmp_path_factory) -> Session:
    return _session("sleepstudy", SLEEP_FIT, tmp_path_factory.mktemp("out"))


def _steps(text: str) -> list:
    return list(parse(text).steps)


def _row(fit, term: str):
    return next(r for r in fit.fixed_effects if r.term == term)


# ------------------------------------------------------------------ null model
@pytest.mark.parametrize(
    "request_text", ["fit an empty model first", "null model", "fit the null model",
                     "fit an unconditional model"],
)
def test_null_model_words_plan_the_empty_model(request_text):
    (step,) = _steps(request_text)
    assert (step.kind, step.operation) == ("modify_model", "null_model")


def test_the_null_model_is_the_intercept_only_model_with_its_icc(schools):
    answer = ask_ok(schools, "fit the null model")
    model = schools.models[2]
    assert model.fit.formula == "test_score ~ 1 + (1 | school)"
    direct = fit_lmm("test_score ~ 1 + (1 | school)", load_sample("schools"))
    assert model.fit.loglik == pytest.approx(direct.loglik, abs=1e-6)
    assert model.fit.icc == pytest.approx(direct.icc, rel=1e-6)
    text = answer.text()
    assert "empty (null, unconditional) model" in text
    assert f"ICC = {direct.icc:.2f}" in text


# --------------------------------------------------------- effects in words
@pytest.mark.parametrize(
    "request_text",
    ["do students with higher SES score better?", "do students with more SES do better",
     "does test score increase with SES?"],
)
def test_higher_ses_questions_explain_the_ses_coefficient(schools, request_text):
    answer = ask_ok(schools, request_text)
    assert [o.kind for o in answer.steps] == ["explain_coefficient"]
    assert answer.steps[0].result.result.terms == ("SES",)
    direct = fit_lmm(SCHOOLS_FIT, load_sample("schools"))
    row = _row(direct, "SES")
    assert f"test_score rose by {row.estimate:.2f} per unit of SES" in answer.text()
    assert f"95% CI {row.ci_lower:.2f} to {row.ci_upper:.2f}" in answer.text()


@pytest.mark.parametrize(
    "request_text",
    ["does reaction time change over days?", "does reaction time increase with days",
     "do reaction times change across days?"],
)
def test_change_over_days_explains_the_days_coefficient(sleep, request_text):
    answer = ask_ok(sleep, request_text)
    assert answer.steps[0].result.result.terms == ("Days",)
    row = _row(fit_lmm(SLEEP_FIT, load_sample("sleepstudy")), "Days")
    assert f"Reaction rose by {fmt.number(row.estimate)} per day" in answer.text()
    assert f"95% CI {row.ci_lower:.1f} to {row.ci_upper:.1f}" in answer.text()


@pytest.mark.parametrize(
    "request_text",
    ["what is the average baseline reaction time?", "what is the baseline reaction time",
     "what is the mean reaction time at baseline?"],
)
def test_baseline_questions_explain_the_intercept(sleep, request_text):
    (step,) = _steps(request_text)
    assert (step.kind, step.term) == ("explain_coefficient", "(Intercept)")
    answer = ask_ok(sleep, request_text)
    row = _row(fit_lmm(SLEEP_FIT, load_sample("sleepstudy")), "(Intercept)")
    assert (f"At the reference point (Days = 0) the expected Reaction is {row.estimate:.1f} "
            f"(95% CI {row.ci_lower:.1f} to {row.ci_upper:.1f})") in answer.text()


# ------------------------------------------------------------ variance words
@pytest.mark.parametrize(
    "request_text",
    ["what is the variance of the school intercepts?", "what is the SD of the school effects",
     "show the random effects table", "random effects table"],
)
def test_school_intercept_variance_words_give_the_variance_components(schools, request_text):
    answer = ask_ok(schools, request_text)
    assert [o.kind for o in answer.steps] == ["variance_components"]
    fit = schools.models[1].fit
    (row,) = [v for v in fit.variance_components if v.group == "school"]
    assert f"school intercept variance {row.vcov:.1f} (SD {row.sdcor:.2f})" in answer.text()


@pytest.mark.parametrize(
    "request_text", ["give me the full summary", "full summary", "show the complete results"],
)
def test_full_summary_words_give_the_summary(request_text):
    assert [s.kind for s in _steps(request_text)] == ["fixed_effects", "variance_components"]


@pytest.mark.parametrize(
    "request_text",
    ["how much do subjects differ at baseline?", "how much do subjects vary at baseline",
     "how much do subjects differ in their baseline reaction time?"],
)
def test_baseline_spread_gives_the_intercept_sd_and_its_range(sleep, request_text):
    (step,) = _steps(request_text)
    assert (step.kind, step.question) == ("variance_components", "baseline")
    answer = ask_ok(sleep, request_text)
    spread = answer.steps[0].result.result
    fit = fit_lmm(SLEEP_FIT, load_sample("sleepstudy"))
    (row,) = [v for v in fit.variance_components
              if v.group == "Subject" and v.var1 == "(Intercept)" and v.var2 is None]
    beta0 = _row(fit, "(Intercept)").estimate
    z = stats.norm.ppf(0.975)
    assert spread.sd == pytest.approx(math.sqrt(row.vcov), rel=1e-9)
    assert spread.lower == pytest.approx(beta0 - z * row.sdcor, rel=1e-6)
    assert spread.upper == pytest.approx(beta0 + z * row.sdcor, rel=1e-6)
    assert f"between {beta0 - z * row.sdcor:.1f} and {beta0 + z * row.sdcor:.1f}" in (
        answer.text())


def test_baseline_spread_engine_refuses_a_factor_without_random_intercept():
    fit = fit_lmm("Reaction ~ Days + (0 + Days | Subject)", load_sample("sleepstudy"))
    with pytest.raises(ValueError, match="no random intercept for Subject"):
        baseline_spread(fit, "Subject")


# -------------------------------------------------------- random effect words
@pytest.mark.parametrize(
    "request_text",
    ["are the school effects normally distributed?", "are school intercepts normal",
     "are the school random effects gaussian?"],
)
def test_school_effects_normal_is_the_blup_normality_check(schools, request_text):
    answer = ask_ok(schools, request_text)
    assert [o.kind for o in answer.steps] == ["random_effects_normality"]
    fit = schools.models[1].fit
    blups = np.array([r.value for r in fit.random_effects if r.group == "school"])
    w = stats.shapiro(blups).statistic
    assert f"Shapiro-Wilk W = {w:.3f}" in answer.text()


def test_random_slopes_of_a_random_intercept_model_say_how_to_add_one(schools):
    answer = schools.ask("show the random slopes")
    assert not answer.ok
    assert "has no random slopes" in str(answer.error)
    assert "`add a random slope for SES`" in str(answer.error)
    (step,) = _steps("show the random slopes")
    assert (step.kind, step.term) == ("blups", "slope")


def test_random_slopes_of_a_slope_model_are_shown(sleep):
    answer = ask_ok(sleep, "show me the random slopes")
    assert [o.kind for o in answer.steps] == ["blups"]


@pytest.mark.parametrize(
    "request_text",
    ["which subjects have slopes below average?", "which subjects have Days slopes below average",
     "what subjects have random slopes lower than average"],
)
def test_slopes_below_average_are_the_negative_slope_blups(sleep, request_text):
    answer = ask_ok(sleep, request_text)
    ranking = answer.steps[0].result.result
    fit = fit_lmm(SLEEP_FIT, load_sample("sleepstudy"))
    below = {str(r.level) for r in fit.random_effects
             if r.group == "Subject" and r.term == "Days" and r.value < 0}
    assert {r.level for r in ranking.rows} == below
    assert [r.value for r in ranking.rows] == sorted(r.value for r in ranking.rows)
    assert f"{len(below)} of 18 subjects" in answer.text()


def test_slopes_above_average_keep_the_positive_ones(sleep):
    answer = ask_ok(sleep, "which subjects have slopes above average?")
    ranking = answer.steps[0].result.result
    assert ranking.rows and all(r.value > 0 for r in ranking.rows)
    assert ranking.side == "above"


def test_plural_possessive_and_listed_factors_plot_caterpillars():
    (step,) = _steps("plot the schools' random intercepts")
    assert (step.kind, step.group) == ("plot_caterpillar", "schools")
    (both,) = _steps("plot the random intercepts of rater and item")
    assert (both.kind, both.group) == ("plot_caterpillar", None)
    # a quoted name keeps its closing quote
    assert normalise("compare 'slopes' and 'base' models").text == (
        "compare 'slopes' and 'base' models")


# ---------------------------------------------------- comparisons and moderation
@pytest.mark.parametrize(
    "request_text",
    ["compare the model with and without school size", "compare with and without school_size"],
)
def test_compare_with_and_without_a_variable_adds_it_and_tests_by_ml(schools, request_text):
    answer = ask_ok(schools, request_text)
    assert [o.kind for o in answer.steps] == ["modify_model", "compare_models"]
    assert schools.models[2].fit.formula == "test_score ~ SES + school_size + (1 | school)"
    data = load_sample("schools")
    small = fit_lmm(SCHOOLS_FIT, data, reml=False)
    large = fit_lmm("test_score ~ SES + school_size + (1 | school)", data, reml=False)
    chisq = 2 * (large.loglik - small.loglik)
    table = answer.steps[1].result.comparison.table
    assert table["Chisq"].iloc[1] == pytest.approx(chisq, rel=1e-5)
    assert f"χ²(1) = {chisq:.2f}" in answer.text()


def test_with_and_without_drops_a_variable_the_model_has(tmp_path):
    session = _session("schools", "test_score ~ SES + school_size + (1 | school)", tmp_path)
    ask_ok(session, "compare the model with and without school size")
    assert session.models[2].fit.formula == "test_score ~ SES + (1 | school)"


def test_effect_of_a_variable_the_model_lacks_offers_to_add_it(schools):
    answer = schools.ask("how big is the school size effect?")
    assert not answer.ok
    assert "`add school_size`" in str(answer.error)


@pytest.mark.parametrize(
    "request_text",
    ["does the ses effect depend on school size", "does the SES effect depend on school_size?"],
)
def test_ses_effect_depending_on_school_size_fits_and_tests_the_interaction(
    schools, request_text
):
    (step,) = _steps(request_text)
    assert step.kind == "interaction_test"
    answer = ask_ok(schools, request_text)
    fit = schools.models[2].fit
    assert {t.label for t in fit.model_formula.fixed_terms} == {
        "SES", "school_size", "SES:school_size"}
    direct = fit_lmm("test_score ~ SES * school_size + (1 | school)", load_sample("schools"))
    row = _row(direct, "SES:school_size")
    assert f"F(1, {row.df:,.1f}) = {row.t ** 2:.2f}" in answer.text()
    ml = compare_models([fit_lmm(SCHOOLS_FIT, load_sample("schools")), direct])
    assert ml.table["Chisq"].iloc[1] == pytest.approx(
        answer.steps[-1].result.comparison.table["Chisq"].iloc[1], rel=1e-6)


def test_is_the_interaction_significant_reports_the_test_the_model_has(tmp_path):
    session = _session("schools", "test_score ~ SES * school_size + (1 | school)", tmp_path)
    answer = ask_ok(session, "is the interaction significant?")
    (row,) = answer.steps[0].result.focus_tests.to_dict("records")
    coefficient = _row(session.models[1].fit, "SES:school_size")
    assert row["term"] == "SES:school_size"
    assert row["F"] == pytest.approx(coefficient.t ** 2, rel=1e-8)
    assert row["p"] == pytest.approx(coefficient.p, rel=1e-6)
    assert len(session.models) == 1


# ------------------------------------------------------------------ plot words
@pytest.mark.parametrize(
    "request_text",
    ["plot reaction time by day for each subject", "plot reaction time over days per subject"],
)
def test_plot_reaction_time_by_day_is_the_per_subject_data_plot(sleep, request_text):
    answer = ask_ok(sleep, request_text)
    (outcome,) = answer.steps
    assert outcome.kind == "plot_data" and outcome.figures[0].exists()
    assert "Observed Reaction against Days: one thin line per Subject" in answer.text()


# ------------------------------------------------------------------ ML vs REML
@pytest.mark.parametrize("request_text", ["fit with ML and compare to REML", "compare with REML"])
def test_compare_to_reml_refits_with_ml_and_says_why_there_is_no_test(tmp_path, request_text):
    session = _session("sleepstudy", SLEEP_FIT, tmp_path)
    answer = ask_ok(session, request_text)
    assert [o.kind for o in answer.steps][-2:] == ["refit", "help"]
    ml = session.models[len(session.models)].fit
    direct = fit_lmm(SLEEP_FIT, load_sample("sleepstudy"), reml=False)
    assert ml.method == "ML"
    assert ml.loglik == pytest.approx(direct.loglik, abs=1e-6)
    assert "there is no test of ML against REML" in answer.text()
    assert "compare_models" not in [o.kind for o in answer.steps]


def test_the_null_model_before_any_model_is_built_from_the_data(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    answer = ask_ok(session, "fit the null model")
    fit = session.models[1].fit
    assert fit.formula == "test_score ~ 1 + (1 | school)"
    direct = fit_lmm("test_score ~ 1 + (1 | school)", load_sample("schools"))
    assert fit.loglik == pytest.approx(direct.loglik, abs=1e-6)
    assert "This is the empty (null, unconditional) model" in answer.text()


def test_spread_at_another_time_than_zero_is_refused_with_the_alternative():
    from grammar.errors import ParseError
    from grammar.parse import parse

    with pytest.raises(ParseError, match="spread at time 0"):
        parse("how much do subjects vary at day 5")


def test_accounting_for_the_clustering_adds_nothing_but_a_covariate_is_not_dropped():
    from grammar.errors import ParseError
    from grammar.parse import parse

    plain = parse("is the effect of days significant").to_dict()["steps"]
    asked = parse("is the effect of days significant after accounting for subject "
                  "variability?").to_dict()["steps"]
    assert asked == plain
    with pytest.raises(ParseError):  # age would have to be in the model: not ignored
        parse("is treatment significant after controlling for age")
