"""Requests on the samples that were answered with general help, not understood, or
answered inconsistently (words14): each reaches the analysis it means, with the numbers
checked against direct engine fits and a likelihood-ratio test or interval computed by
hand with numpy and scipy.stats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.random_effects_tests import random_effects_tests
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import RATINGS_FIT, ask_ok, session_with_fit

RATINGS_MODEL = RATINGS_FIT.removeprefix("fit ")
RATINGS_SLOPE = "rating ~ condition + (1 + condition | rater) + (1 | item)"


def _hand_lrt(full, reduced) -> tuple[float, int, float, float]:
    """LRT = 2 (logLik_full - logLik_reduced), df = the parameters the full model adds,
    the plain chi-square p and the 50:50 mixture of chi2(df - 1) and chi2(df)."""
    lrt = max(2.0 * (float(full.loglik) - float(reduced.loglik)), 0.0)
    df = int(full.npar) - int(reduced.npar)
    lower = stats.chi2.sf(lrt, df - 1) if df > 1 else float(lrt <= 0)
    return lrt, df, float(stats.chi2.sf(lrt, df)), float(0.5 * stats.chi2.sf(lrt, df) + 0.5 * lower)


def _slope_test(answer, group: str, variable: str):
    """The test of ``variable``'s random slope by ``group`` in the answer's last tests."""
    result = answer.steps[-1].result.result
    (row,) = [t for t in result.tests if t.group == group and t.column == variable]
    return result, row


# ------------------------------------------- 1. a random slope by a named grouping factor
@pytest.mark.parametrize("request_text, group", [
    ("should I add a random slope of condition for raters", "raters"),
    ("should I add a random slope for condition by rater", "rater"),
    ("should we include a random slope for condition across raters", "raters"),
])
def test_slope_question_keeps_the_grouping_factor(request_text, group):
    (step,) = parse(request_text).steps
    assert (step.kind, step.slope, step.group) == ("random_effects_tests", "condition", group)


@pytest.mark.parametrize("request_text", [
    "should I add a random slope of condition for raters",
    "should we include a random slope for condition across raters",
])
def test_factor_slope_by_rater_is_tested_against_a_hand_lrt(tmp_path_factory, request_text):
    session = session_with_fit("ratings", tmp_path_factory, RATINGS_FIT)
    answer = ask_ok(session, request_text)
    newest = session.state.models[max(session.state.models)]
    assert newest.fit.formula.replace(" ", "") == RATINGS_SLOPE.replace(" ", "")
    result, row = _slope_test(answer, "rater", "condition")
    data = load_sample("ratings")
    full, reduced = fit_lmm(RATINGS_SLOPE, data), fit_lmm(RATINGS_MODEL, data)
    lrt, df, p, p_boundary = _hand_lrt(full, reduced)
    assert df == 2  # the slope's variance and its covariance with the intercept
    assert row.df == df
    assert row.lrt == pytest.approx(lrt, abs=1e-4)
    assert row.p == pytest.approx(p, abs=1e-4)
    assert row.p_boundary == pytest.approx(p_boundary, abs=1e-4)
    text = answer.text()
    assert f"random slope of condition by rater: χ²(2) = {lrt:.2f}" in text


def test_slope_question_names_a_grouping_factor_the_model_lacks(tmp_path_factory):
    session = session_with_fit("ratings", tmp_path_factory, RATINGS_FIT)
    answer = session.ask("should I add a random slope of condition for judges")
    assert not answer.ok
    assert "'judges' is not a grouping factor of the model" in str(answer.error)
    assert len(session.state.models) == 1


def test_a_factor_slope_already_there_is_tested_not_added_again(tmp_path_factory):
    session = session_with_fit("ratings", tmp_path_factory, f"fit {RATINGS_SLOPE}")
    answer = ask_ok(session, "should I add a random slope for condition by rater")
    assert len(session.state.models) == 1
    _, row = _slope_test(answer, "rater", "condition")
    assert row.df == 2


def _three_arm_data() -> pd.DataFrame:
    """Raters who see all three arms, with rater-specific arm effects (seeded)."""
    rng = np.random.default_rng(14)
    rows = []
    for rater in range(25):
        shift = rng.normal(0, 2.0)
        arm_shift = {"a": 0.0, "b": rng.normal(0, 1.5), "c": rng.normal(0, 1.5)}
        for arm in "abc":
            for _ in range(4):
                score = 10 + {"a": 0, "b": 1, "c": 2}[arm] + shift + arm_shift[arm]
                rows.append((f"r{rater}", arm, score + rng.normal(0, 1.0)))
    return pd.DataFrame(rows, columns=["rater", "arm", "score"])


def test_three_level_factor_slope_has_five_df_and_a_hand_lrt():
    data = _three_arm_data()
    full = fit_lmm("score ~ arm + (1 + arm | rater)", data)
    reduced = fit_lmm("score ~ arm + (1 | rater)", data)
    (row,) = random_effects_tests(full).tests
    lrt, df, p, p_boundary = _hand_lrt(full, reduced)
    # a 3 x 3 covariance matrix (6 parameters) in place of one variance
    assert df == 5 == row.df
    assert row.lrt == pytest.approx(lrt, abs=1e-4)
    assert row.p == pytest.approx(p, rel=1e-4, abs=1e-12)
    assert row.p_boundary == pytest.approx(p_boundary, rel=1e-4, abs=1e-12)


def test_should_i_add_random_slopes_offers_a_factor_changing_within_raters(tmp_path_factory):
    session = Session(data=_three_arm_data(), output_dir=tmp_path_factory.mktemp("arms"))
    ask_ok(session, "fit score ~ arm + (1 | rater)")
    answer = ask_ok(session, "should I add random slopes?")
    assert session.state.models[2].fit.formula.replace(" ", "") == (
        "score~arm+(1+arm|rater)")
    _, row = _slope_test(answer, "rater", "arm")
    data = _three_arm_data()
    lrt, df, p, _ = _hand_lrt(fit_lmm("score ~ arm + (1 + arm | rater)", data),
                              fit_lmm("score ~ arm + (1 | rater)", data))
    assert row.df == df == 5
    assert row.lrt == pytest.approx(lrt, abs=1e-4)
    assert row.p == pytest.approx(p, rel=1e-4, abs=1e-12)
    assert "I tested a random slope of arm by rater" in answer.text()


# ------------------------------------------------------- 2. random slopes in a named model
@pytest.mark.parametrize("request_text, model", [
    ("should I add random slopes to model 1", "1"),
    ("should we use random slopes in model 2", "2"),
])
def test_random_slopes_question_names_its_model(request_text, model):
    (step,) = parse(request_text).steps
    assert (step.kind, step.model, step.slope) == ("random_effects_tests", model, "every")


@pytest.mark.parametrize("request_text, base, slope_model", [
    ("should I add random slopes to model 1", RATINGS_MODEL, RATINGS_SLOPE),
    ("should we use random slopes in model 2", "rating ~ condition + (1 | rater)",
     "rating ~ condition + (1 + condition | rater)"),
])
def test_random_slopes_in_a_named_model(tmp_path_factory, request_text, base, slope_model):
    session = session_with_fit("ratings", tmp_path_factory, RATINGS_FIT)
    ask_ok(session, "fit rating ~ condition + (1 | rater)")
    answer = ask_ok(session, request_text)
    newest = session.state.models[max(session.state.models)]
    assert newest.fit.formula.replace(" ", "") == slope_model.replace(" ", "")
    _, row = _slope_test(answer, "rater", "condition")
    data = load_sample("ratings")
    lrt, df, p, p_boundary = _hand_lrt(fit_lmm(slope_model, data), fit_lmm(base, data))
    assert row.df == df == 2
    assert row.lrt == pytest.approx(lrt, abs=1e-4)
    assert row.p_boundary == pytest.approx(p_boundary, abs=1e-4)


# ------------------------------------- 4. "does the effect of X depend on Y" is the interaction
PAIN_ADDITIVE = "pain_score ~ time + treatment + age + (1 | patient)"


@pytest.mark.parametrize("request_text, variables", [
    ("is the treatment effect different over time", ("treatment", "time")),
    ("is the effect of treatment different over time", ("treatment", "time")),
    ("does the treatment effect change over time", ("treatment", "time")),
    ("does the effect of treatment depend on age", ("treatment", "age")),
    ("does the effect of time differ between treatment groups", ("time", "treatment")),
])
def test_effect_questions_are_the_interaction_question(request_text, variables):
    (step, *rest) = parse(request_text).steps
    assert (step.kind, step.variables) == ("interaction_test", variables)
    # "change over time" also shows the slope of time in each group afterwards
    assert [s.kind for s in rest] == (["marginal_means"] if "change" in request_text else [])


def _lrt_rows(answer):
    (comparison,) = [o.result.comparison for o in answer.steps if o.kind == "compare_models"]
    return comparison


@pytest.mark.parametrize("request_text, variables", [
    ("is the treatment effect different over time", ("treatment", "time")),
    ("does the treatment effect change over time", ("treatment", "time")),
    ("does the effect of treatment depend on age", ("treatment", "age")),
    ("does the effect of time differ between treatment groups", ("time", "treatment")),
])
def test_effect_question_adds_the_interaction_and_tests_it_by_hand(
    tmp_path_factory, request_text, variables
):
    first, second = variables
    session = session_with_fit("pain_trial", tmp_path_factory, f"fit {PAIN_ADDITIVE}")
    answer = ask_ok(session, request_text)
    term = f"{first}:{second}"
    with_term = PAIN_ADDITIVE.replace(" + (1", f" + {term} + (1")
    assert session.state.models[2].fit.formula.replace(" ", "") == with_term.replace(" ", "")
    data = load_sample("pain_trial")
    small = fit_lmm(PAIN_ADDITIVE, data, reml=False)
    big = fit_lmm(with_term, data, reml=False)
    lrt = 2.0 * (float(big.loglik) - float(small.loglik))
    comparison = _lrt_rows(answer)
    row = comparison.table.iloc[1]
    assert comparison.criterion == "ML"
    assert int(row["Df"]) == 1
    assert row["Chisq"] == pytest.approx(lrt, rel=1e-5)
    assert row["p"] == pytest.approx(stats.chi2.sf(lrt, 1), rel=1e-5)
    assert f"χ²(1) = {lrt:.2f}" in answer.text()
    # the same answer as the interaction question, asked in the same order
    twin = session_with_fit("pain_trial", tmp_path_factory, f"fit {PAIN_ADDITIVE}")
    same = ask_ok(twin, f"is there a {first} by {second} interaction?")
    pd.testing.assert_frame_equal(_lrt_rows(same).table, comparison.table)
    if "change" not in request_text:
        assert same.text() == answer.text()


def test_effect_question_on_a_model_with_the_interaction_gives_its_f_test(pain):
    answer = ask_ok(pain, "does the effect of time differ between treatment groups")
    view = answer.steps[0].result
    (row,) = view.focus_tests.to_dict(orient="records")
    fit = fit_lmm("pain_score ~ time * treatment + (1 | patient)", load_sample("pain_trial"))
    slope_difference = next(fe for fe in fit.fixed_effects if fe.term.startswith("time:"))
    assert row["F"] == pytest.approx(slope_difference.t ** 2, rel=1e-6)
    assert row["p"] == pytest.approx(
        stats.f.sf(slope_difference.t ** 2, 1, slope_difference.df), rel=1e-5)
    assert len(pain.state.models) == 1


def test_effect_of_a_predictor_across_the_grouping_factor_is_its_random_slope(tmp_path_factory):
    """The interaction question with the grouping factor second (a fixed SES:school
    interaction would spend a coefficient per school) is the random-slope test; this
    path raised an internal error before words14."""
    session = session_with_fit("schools", tmp_path_factory,
                               "fit test_score ~ SES + school_size + (1 | school)")
    answer = ask_ok(session, "does the effect of ses vary across schools?")
    _, row = _slope_test(answer, "school", "SES")
    data = load_sample("schools")
    lrt, df, p, p_boundary = _hand_lrt(
        fit_lmm("test_score ~ SES + school_size + (1 + SES | school)", data),
        fit_lmm("test_score ~ SES + school_size + (1 | school)", data))
    assert row.df == df == 2
    assert row.lrt == pytest.approx(lrt, abs=1e-4)
    assert row.p_boundary == pytest.approx(p_boundary, abs=1e-4)


# ------------------------------------------------------------- 3. confidence levels
PAIN_MAIN = "pain_score ~ time + treatment + (1 | patient)"


def _hand_bounds(fit, level: float) -> dict[str, tuple[float, float]]:
    """Wald bounds by hand: estimate -/+ the t quantile at the coefficient's
    Satterthwaite df times its SE."""
    out = {}
    for row in fit.fixed_effects:
        half = stats.t.ppf(0.5 + level / 2, row.df) * row.se
        out[row.term] = (row.estimate - half, row.estimate + half)
    return out


def _assert_fit_bounds(fit, expected: dict[str, tuple[float, float]]) -> None:
    for row in fit.fixed_effects:
        assert (row.ci_lower, row.ci_upper) == pytest.approx(expected[row.term], rel=1e-6)


@pytest.mark.parametrize("request_text, level", [
    ("fit it again with 90% CIs", 0.9),
    ("refit with 90% CIs", 0.9),
    ("refit model 1 with 99% confidence intervals", 0.99),
    ("refit with a 90% confidence level", 0.9),
])
def test_refit_with_a_level_is_a_refit_at_that_level(request_text, level):
    (step,) = parse(request_text).steps
    assert (step.kind, step.level) == ("refit", pytest.approx(level))


@pytest.mark.parametrize("request_text", ["use 90% CI", "use 90% CIs", "with 90% CIs",
                                          "please use 90% confidence intervals"])
def test_use_a_level_chooses_it_for_the_session(request_text):
    (step,) = parse(request_text).steps
    assert (step.kind, step.name, step.value) == ("set_option", "level", 0.9)


@pytest.mark.parametrize("request_text", ["show 90% CIs", "90% CI", "use 90% profile CIs"])
def test_show_a_level_is_one_table(request_text):
    (step,) = parse(request_text).steps
    assert (step.kind, step.level) == ("confint", 0.9)


def test_fit_it_again_with_90_percent_cis_refits_at_90_and_keeps_the_session_level(
    tmp_path_factory,
):
    session = session_with_fit("pain_trial", tmp_path_factory, f"fit {PAIN_MAIN}")
    answer = ask_ok(session, "fit it again with 90% CIs")
    refit = session.state.models[2].fit
    direct = fit_lmm(PAIN_MAIN, load_sample("pain_trial"))
    expected = _hand_bounds(direct, 0.9)
    assert refit.level == 0.9
    _assert_fit_bounds(refit, expected)
    low, high = expected["time"]
    assert f"90% CI {low:.2f} to {high:.2f}".replace("-", "\N{MINUS SIGN}") in answer.text()
    assert session.state.options.level == 0.95  # one fit's level, not the session's
    # a refit keeps the level of the model it starts from, as it keeps its method
    ask_ok(session, "fit it again")
    _assert_fit_bounds(session.state.models[3].fit, expected)
    ask_ok(session, "refit model 1 with ML")
    _assert_fit_bounds(session.state.models[4].fit, _hand_bounds(
        fit_lmm(PAIN_MAIN, load_sample("pain_trial"), reml=False), 0.95))


def test_use_90_percent_ci_sets_the_level_shows_it_and_the_next_refit_uses_it(
    tmp_path_factory,
):
    session = session_with_fit("pain_trial", tmp_path_factory, f"fit {PAIN_MAIN}")
    answer = ask_ok(session, "use 90% CI")
    assert session.state.options.level == 0.9
    direct = fit_lmm(PAIN_MAIN, load_sample("pain_trial"))
    table = answer.steps[-1].result.table.set_index("parameter")
    for term, (low, high) in _hand_bounds(direct, 0.9).items():
        assert (table.loc[term, "lower"], table.loc[term, "upper"]) == pytest.approx(
            (low, high), rel=1e-6)
    assert "Confidence level set to 90%" in answer.text()
    again = ask_ok(session, "refit")
    _assert_fit_bounds(session.state.models[2].fit, _hand_bounds(direct, 0.9))
    assert "Refitted with the session's current settings: 90% confidence intervals." in (
        again.text())
    ask_ok(session, "refit model 1 with 99% CIs")  # a refit's own level wins
    _assert_fit_bounds(session.state.models[3].fit, _hand_bounds(direct, 0.99))
    assert session.state.options.level == 0.9
    same = ask_ok(session, "refit model 1 with 95% CIs")
    assert "already fitted with 95% confidence intervals" in same.text()
    assert len(session.state.models) == 3


def test_use_a_level_before_any_model_only_sets_it(tmp_path_factory):
    session = session_with_fit("pain_trial", tmp_path_factory, None)
    answer = ask_ok(session, "use 90% CI")
    assert [o.kind for o in answer.steps] == ["set_option"]
    ask_ok(session, f"fit {PAIN_MAIN}")
    _assert_fit_bounds(session.state.models[1].fit,
                       _hand_bounds(fit_lmm(PAIN_MAIN, load_sample("pain_trial")), 0.9))


def test_the_convergence_ladder_keeps_the_level_asked_for():
    """A fit at 90% that needs the ladder: every refit on it (other optimizers, a simpler
    random part) has 90% intervals too, not the engine's default 95%."""
    from engine.convergence import remedy_convergence

    data = load_sample("pain_trial")
    formula = "pain_score ~ time + treatment + (1 + time | patient)"
    fit = fit_lmm(formula, data, level=0.9)
    assert fit.singular  # the correlation is -1: the ladder runs
    audit = remedy_convergence(formula, data, fit=fit)
    final = audit.final_fit
    assert final is not fit and final.level == 0.9
    _assert_fit_bounds(final, _hand_bounds(final, 0.9))
