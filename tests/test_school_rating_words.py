"""Plain-word questions on the schools and ratings samples, run through the session: each
answer's numbers are checked against the fit itself (or the data), not against text."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.session import Session
from engine.samples import load_sample

SCHOOLS_FIT = "test_score ~ SES + (1 | school)"
RATINGS_FIT = "rating ~ condition + (1 | rater) + (1 | item)"


def _session(sample: str, fit: str) -> Session:
    session = Session(sample=sample)
    assert session.ask(fit).ok
    return session


@pytest.fixture()
def schools() -> Session:
    return _session("schools", SCHOOLS_FIT)


@pytest.fixture()
def ratings() -> Session:
    return _session("ratings", RATINGS_FIT)


def _kinds(answer) -> list[str]:
    return [o.kind for o in answer.steps]


def _variance(fit, group: str) -> float:
    (row,) = [v for v in fit.variance_components if v.group == group and v.var2 is None]
    return row.vcov


def test_average_ses_effect_is_the_ses_coefficient(schools):
    answer = schools.ask("what is the average ses effect?")
    assert answer.ok, answer.error
    assert _kinds(answer) == ["explain_coefficient"]
    meaning = answer.steps[0].result.result
    assert meaning.terms == ("SES",)
    row = next(r for r in schools.models[1].fit.fixed_effects if r.term == "SES")
    assert f"test_score rose by {row.estimate:.2f} per unit of SES" in answer.text()


def test_schools_differ_in_average_score_tests_the_intercept_and_gives_the_icc(schools):
    answer = schools.ask("do schools differ in their average score?")
    assert answer.ok, answer.error
    assert _kinds(answer) == ["random_effects_tests", "icc"]
    (test,) = answer.steps[0].result.result.tests
    assert (test.group, test.column) == ("school", "(Intercept)")
    fit = schools.models[1].fit
    assert test.lrt == pytest.approx(2 * (fit.loglik - test.loglik), abs=1e-6)
    icc = _variance(fit, "school") / (_variance(fit, "school") + fit.sigma ** 2)
    assert f"ICC = {icc:.2f}" in answer.text()


def test_variance_at_the_school_level_reports_the_icc(schools):
    answer = schools.ask("how much variance is at the school level?")
    assert answer.ok, answer.error
    assert _kinds(answer) == ["variance_components"]
    fit = schools.models[1].fit
    icc = _variance(fit, "school") / (_variance(fit, "school") + fit.sigma ** 2)
    assert fit.icc == pytest.approx(icc)
    assert f"ICC = {icc:.2f}" in answer.text()


def test_a_fixed_factor_named_as_differing_gets_its_own_test():
    session = _session("pain_trial", "pain_score ~ time + treatment + (1 | patient)")
    answer = session.ask("do treatments differ in their average pain?")
    assert answer.ok, answer.error
    assert _kinds(answer) == ["fixed_effects", "icc"]
    assert answer.steps[0].step.term == "treatment"


def test_the_ses_effect_moderated_is_the_moderation_analysis(schools):
    answer = schools.ask("does school size moderate the ses effect?")
    assert answer.ok, answer.error
    assert _kinds(answer) == ["modify_model", "fixed_effects", "compare_models"]
    assert schools.models[2].fit.formula == (
        "test_score ~ SES + school_size + school_size:SES + (1 | school)"
    )


def test_students_per_school_counts_each_school(schools):
    answer = schools.ask("how many students per school?")
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    sizes = load_sample("schools").groupby("school").size()
    assert result.group == "school" and result.n_clusters == sizes.size
    assert (result.minimum, result.median, result.maximum) == (
        sizes.min(), sizes.median(), sizes.max())


def test_best_and_worst_schools_rank_the_intercepts(schools):
    fit = schools.models[1].fit
    blups = {r.level: r.value for r in fit.random_effects if r.group == "school"}
    for text, reverse in (("which schools do best?", True), ("which schools do worst?", False),
                          ("which schools score highest", True)):
        answer = schools.ask(text)
        assert answer.ok, answer.error
        result = answer.steps[0].result.result
        ranking = getattr(result, "ranking", result)
        shown = [r.level for r in ranking.rows]
        assert shown == sorted(blups, key=blups.get, reverse=reverse)[:5], text
    # 'best' and 'worst' say which direction they were read in
    best = schools.ask("which schools do best?").text()
    assert "I read 'best' as the schools with the highest test_score" in best
    assert "If a lower test_score is better, ask for the worst schools instead." in best
    worst = schools.ask("which schools do worst?").text()
    assert "I read 'worst' as the schools with the lowest test_score" in worst


def test_school_intercepts_plot_is_the_school_caterpillar(schools, tmp_path):
    schools.options.output_dir = tmp_path
    answer = schools.ask("plot the school intercepts")
    assert answer.ok, answer.error
    (panel,) = answer.steps[0].result.result.panels
    assert (panel.group, panel.n_levels) == ("school", 40)


def test_rater_effects_plot_has_the_rater_panel_only(ratings, tmp_path):
    ratings.options.output_dir = tmp_path
    answer = ratings.ask("plot the rater effects")
    assert answer.ok, answer.error
    (panel,) = answer.steps[0].result.result.panels
    assert (panel.group, panel.n_levels) == ("rater", 30)
    assert not ratings.ask("plot the patient effects").ok


def test_harshest_raters_have_the_lowest_blups_and_lenient_the_highest(ratings):
    fit = ratings.models[1].fit
    blups = {r.level: r.value for r in fit.random_effects if r.group == "rater"}
    harsh = ratings.ask("which raters are harshest?")
    assert harsh.ok, harsh.error
    rows = harsh.steps[0].result.result.ranking.rows
    assert [r.level for r in rows] == sorted(blups, key=blups.get)[:5]
    assert "I read 'harshest' as the raters who give the lowest rating" in harsh.text()
    lenient = ratings.ask("which raters are the most generous?")
    rows = lenient.steps[0].result.result.ranking.rows
    assert [r.level for r in rows] == sorted(blups, key=blups.get, reverse=True)[:5]
    assert "highest first" in lenient.text()


def test_random_condition_slope_for_raters(ratings):
    answer = ratings.ask("add a random condition slope for raters")
    assert answer.ok, answer.error
    formula = ratings.models[2].fit.formula
    assert "(1 + condition | rater)" in formula and "(1 | item)" in formula


def test_variance_the_same_in_every_school_is_the_spread_check(schools, tmp_path):
    schools.options.output_dir = tmp_path
    answer = schools.ask("is the variance the same in every school?")
    assert answer.ok, answer.error
    assert answer.steps[0].step.question == "spread"
    fit = schools.models[1].fit
    order = np.argsort(fit.fitted())
    thirds = np.array_split(fit.residuals()[order], 3)
    ratio = np.std(thirds[2], ddof=1) / np.std(thirds[0], ddof=1)
    assert f"{ratio:.2f} times" in answer.text()


@pytest.mark.parametrize("text", ["is the ses slope random?", "does ses need a random slope?",
                                  "is the slope of SES random across schools"])
def test_is_the_ses_slope_random_adds_and_tests_the_slope(schools, text):
    answer = schools.ask(text)
    assert answer.ok, answer.error
    assert _kinds(answer) == ["modify_model", "random_effects_tests"]
    slope_model = schools.models[2].fit
    assert slope_model.formula == "test_score ~ SES + (1 + SES | school)"
    (test,) = answer.steps[1].result.result.tests
    assert test.column == "SES" and test.df == 2
    intercept_model = schools.models[1].fit  # same fixed effects, REML both
    assert test.lrt == pytest.approx(2 * (slope_model.loglik - intercept_model.loglik), abs=1e-5)


def test_slope_question_on_a_model_with_the_slope_tests_it_alone(schools):
    assert schools.ask("add a random slope for SES").ok
    answer = schools.ask("is the ses slope random?")
    assert answer.ok, answer.error
    assert _kinds(answer) == ["random_effects_tests"]
    assert len(schools.models) == 2


def test_compare_random_intercept_and_random_slope_models_fits_the_slope_model(schools):
    answer = schools.ask("compare random intercept and random slope models")
    assert answer.ok, answer.error
    assert _kinds(answer) == ["modify_model", "compare_models"]
    small, large = schools.models[1].fit, schools.models[2].fit
    assert large.formula == "test_score ~ SES + (1 + SES | school)"
    row = answer.steps[1].result.comparison.table.iloc[1]
    assert row["Chisq"] == pytest.approx(2 * (large.loglik - small.loglik), abs=1e-5)
    # with both models there, the comparison runs as asked and fits nothing more
    again = schools.ask("compare random intercept and random slope models")
    assert _kinds(again) == ["compare_models"] and len(schools.models) == 2


def _condition_coefficient(fit):
    (row,) = [r for r in fit.fixed_effects if r.term == "condition[T.B]"]
    return row


@pytest.mark.parametrize("text, first, asked, verdict", [
    ("is condition B rated higher than A?", "B", "higher", "Yes: B is higher than A"),
    ("is condition A rated higher than condition B?", "A", "higher",
     "No: A is lower, not higher, than B"),
    ("is A lower than B?", "A", "lower", "Yes: A is lower than B"),
    ("are B items rated higher than A items?", "B", "higher", "Yes: B is higher than A"),
])
def test_b_against_a_is_the_condition_coefficient_with_the_right_sign(
        ratings, text, first, asked, verdict):
    answer = ratings.ask(text)
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    assert result.direction == asked
    diff = result.difference
    row = _condition_coefficient(ratings.models[1].fit)
    sign = 1 if first == "B" else -1  # treatment coding: the coefficient is B - A
    assert diff.test.estimate == pytest.approx(sign * row.estimate, rel=1e-8)
    assert diff.test.p == pytest.approx(row.p, rel=1e-6)
    assert diff.test.df == pytest.approx(row.df, rel=1e-6)
    lower, upper = sorted((sign * row.ci_lower, sign * row.ci_upper))
    assert (diff.test.lower, diff.test.upper) == pytest.approx((lower, upper), rel=1e-6)
    words = "higher" if sign * row.estimate > 0 else "lower"
    assert f"rating is {abs(row.estimate):.1f} {words} than in condition" in answer.text()
    assert verdict in answer.text()


def test_levels_no_factor_has_are_refused(ratings):
    answer = ratings.ask("is C higher than A?")
    assert not answer.ok
    assert "No factor of the model's fixed part has both levels 'C' and 'A'" in str(answer.error)


def test_raters_against_items_compares_the_two_intercept_variances(ratings):
    import json
    from pathlib import Path

    answer = ratings.ask("do raters differ more than items?")
    assert answer.ok, answer.error
    contrast = answer.steps[0].result.result
    lme4 = json.loads((Path(__file__).parent / "data" / "ratings_lme4" / "ratings_lme4.json")
                      .read_text())
    varcorr = {row["grp"]: row["vcov"] for row in lme4["varcorr"]}
    assert contrast.first.group == "rater" and contrast.second.group == "item"
    assert contrast.first.variance == pytest.approx(varcorr["rater"], rel=1e-5)
    assert contrast.second.variance == pytest.approx(varcorr["item"], rel=1e-5)
    ratio = varcorr["item"] / varcorr["rater"]
    assert f"the item variance is {ratio:.2f} times the rater variance" in answer.text()
    assert answer.text().count("Items vary more than raters") == 1
    profile = ratings.models[1].fit.confint(method="profile")
    row = profile[profile.parameter == "sd_(Intercept)|item"].iloc[0]
    assert (contrast.second.sd_lower, contrast.second.sd_upper) == (row.lower, row.upper)
    assert row.lower < contrast.second.sd < row.upper
    assert contrast.intervals_overlap == (contrast.first.sd_upper >= contrast.second.sd_lower)
    assert "intervals of the two SDs overlap" in answer.text()


def test_five_schools_are_spread_over_the_intercept_ranking_and_drawn(schools, tmp_path):
    from engine.plots.style import figure_style
    from engine.plots.trajectory import draw_trajectory

    schools.options.output_dir = tmp_path
    answer = schools.ask("plot predicted score against ses for 5 schools")
    assert answer.ok, answer.error
    figure = answer.steps[0].result.result
    fit = schools.models[1].fit
    blups = {r.level: r.value for r in fit.random_effects if r.group == "school"}
    ranked = sorted(blups, key=blups.get)
    assert figure.levels_shown == tuple(ranked[i] for i in (0, 10, 20, 29, 39))
    assert figure.time == "SES" and figure.group == "school"
    assert "lowest first: " + ", ".join(figure.levels_shown[:4]) in answer.text()
    with figure_style():
        drawn = draw_trajectory(fit, time="SES", levels=figure.levels_shown, band=False)
    lines = {line.get_label(): line for line in drawn.figure.axes[0].lines
             if line.get_gid() == "level_line"}
    assert set(lines) == set(figure.levels_shown)
    rows = (fit.data["school"] == ranked[0]).to_numpy()
    order = np.argsort(fit.data["SES"].to_numpy()[rows], kind="stable")
    expected = fit.fitted()[rows][order]  # X beta + Z b, lme4's fitted()
    assert lines[ranked[0]].get_ydata() == pytest.approx(expected, rel=1e-10)
    assert not schools.ask("plot predicted score against ses for 5 students").ok
