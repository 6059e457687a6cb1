"""Requests on the sleepstudy, pain_trial, schools and ratings samples that were refused
or answered beside the point (words10): each reaches the analysis it means, with numbers
checked against lme4's reference fits, a direct engine fit, or a hand computation with
numpy/pandas on the same data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import SLEEP_FIT, ask_ok


def _reference(reference_dir, case: str) -> dict:
    return json.loads((reference_dir / "cases" / f"{case}.json").read_text())


def _result(answer):
    return answer.steps[-1].result.result


# ------------------------------------------------------------- sleepstudy
def test_compare_with_the_uncorrelated_model_fits_it_and_tests(tmp_path, reference_dir):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, SLEEP_FIT)
    answer = ask_ok(session, "compare it with the uncorrelated model")
    assert len(session.models) == 2
    assert session.models[2].fit.formula == "Reaction ~ Days + (1 + Days || Subject)"
    table = answer.steps[-1].result.comparison.table
    correlated = _reference(reference_dir, "sleepstudy_slope")["logLik"]
    uncorrelated = _reference(reference_dir, "sleepstudy_uncorrelated")["logLik"]
    # same fixed effects: REML likelihoods, one correlation parameter apart
    chisq = 2 * (correlated - uncorrelated)
    assert table["Chisq"].dropna().iloc[0] == pytest.approx(chisq, abs=1e-3)
    assert table["p"].dropna().iloc[0] == pytest.approx(stats.chi2.sf(chisq, 1), abs=1e-3)
    assert "χ²(1) = 0.04" in answer.text()


def test_compare_with_an_uncorrelated_model_already_fitted_fits_nothing_new(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, SLEEP_FIT)
    ask_ok(session, "fit Reaction ~ Days + (Days || Subject)")
    ask_ok(session, "compare model 1 with the uncorrelated model")
    assert len(session.models) == 2


@pytest.mark.parametrize(("request_text", "level"), [
    ("CI for Days at 90%", 0.90), ("90% CI for Days", 0.90), ("CI for Days", 0.95),
])
def test_ci_for_days_is_lme4s_row_at_that_level(sleep, reference_dir, request_text, level):
    (step,) = parse(request_text).steps
    assert (step.kind, step.term) == ("explain_coefficient", "Days")
    answer = ask_ok(sleep, request_text)
    ref = next(f for f in _reference(reference_dir, "sleepstudy_slope")["fixef"]
               if f["term"] == "Days")
    half = stats.t.ppf(0.5 + level / 2, ref["df_satterthwaite"]) * ref["se"]
    lower, upper = ref["estimate"] - half, ref["estimate"] + half
    assert f"{round(level * 100)}% CI {lower:.1f} to {upper:.1f}" in answer.text()


def test_effect_of_days_in_units_with_a_99_percent_ci(sleep, reference_dir):
    request = "what is the effect of Days in milliseconds per day with a 99% CI?"
    (step,) = parse(request).steps
    assert (step.term, step.level) == ("Days", 0.99)
    answer = ask_ok(sleep, request)
    ref = next(f for f in _reference(reference_dir, "sleepstudy_slope")["fixef"]
               if f["term"] == "Days")
    half = stats.t.ppf(0.995, ref["df_satterthwaite"]) * ref["se"]
    assert f"99% CI {ref['estimate'] - half:.1f} to {ref['estimate'] + half:.1f}" \
        in answer.text()


def test_bare_levels_with_two_grouping_factors_ask_which(ratings):
    answer = ratings.ask("plot fitted lines for 1 and 2")
    assert not answer.ok and "name the one" in str(answer.error)


# ------------------------------------------------------------- pain_trial
def test_time_slope_in_the_control_group_is_the_refit_with_control_as_reference(pain):
    answer = ask_ok(pain, "what is the time slope in the control group?")
    result = _result(answer)
    assert result.focus == "control"
    row = next(m.test for m in result.means if m.level == "control")
    data = load_sample("pain_trial").copy()
    data["arm"] = np.where(data["treatment"] == "control", "a_control", "b_treated")
    refit = fit_lmm("pain_score ~ time * arm + (1 | patient)", data)
    time = next(fe for fe in refit.fixed_effects if fe.term == "time")
    assert row.estimate == pytest.approx(time.estimate, abs=1e-6)
    assert row.se == pytest.approx(time.se, rel=1e-5)


def test_a_level_slope_question_still_reads_the_blups(pain):
    (step,) = parse("what is the P001 slope").steps
    assert step.kind == "blups"


# ------------------------------------------------------------- ratings / schools
def test_variance_explained_by_condition_without_a_verb(ratings):
    (step,) = parse("variance explained by condition").steps
    assert (step.kind, step.term) == ("term_variance_explained", "condition")
    result = _result(ask_ok(ratings, "variance explained by condition"))
    data = load_sample("ratings").dropna(subset=["rating"]).reset_index(drop=True)
    full = fit_lmm("rating ~ condition + (1 | rater) + (1 | item)", data)
    xb = full.model.X @ np.asarray(full.beta)
    comps = sum(c.vcov for c in full.variance_components if c.var2 is None)
    r2_full = np.var(xb, ddof=1) / (np.var(xb, ddof=1) + comps)
    # the reduced model has an intercept only, so its marginal R² is 0
    assert result.part_r2 == pytest.approx(r2_full, abs=1e-8)


def test_school_size_effect_per_100_students_equals_the_refit(schools):
    (step,) = parse("school_size effect per 100 students").steps
    assert (step.term, step.per) == ("school_size", 100.0)
    row = _result(ask_ok(schools, "school_size effect per 100 students")).rescaled
    data = load_sample("schools").copy()
    data["school_size"] = data["school_size"] / 100
    refit = fit_lmm("test_score ~ SES + school_size + (1 | school)", data)
    direct = next(fe for fe in refit.fixed_effects if fe.term == "school_size")
    assert row.estimate == pytest.approx(direct.estimate, rel=1e-5)
    assert row.se == pytest.approx(direct.se, rel=1e-5)


# ------------------------------------------------------------- design balance
def test_is_the_design_balanced_counts_levels_and_cells_of_the_crossed_design(ratings):
    (step,) = parse("is the design balanced?").steps
    assert step.kind == "design_balance"
    answer = ask_ok(ratings, "is the design balanced?")
    result = _result(answer)
    assert result.factors == ("rater", "item", "condition")
    data = load_sample("ratings")
    used = data.dropna(subset=["rating"])
    for frame, balance in ((data, result.data), (used, result.model_rows)):
        for counts in balance.levels:
            per_level = frame.groupby(counts.factor).size()
            assert (counts.n_levels, counts.minimum, counts.maximum) == (
                len(per_level), per_level.min(), per_level.max())
        cell = next(c for c in balance.cells if (c.first, c.second) == ("rater", "item"))
        per_cell = frame.groupby(["rater", "item"]).size()
        assert (cell.cells_present, cell.min_per_cell, cell.max_per_cell) == (
            len(per_cell), per_cell.min(), per_cell.max())
    # 30 raters x 24 items, one rating each: balanced until the missing ratings drop out
    assert result.data.balanced and not result.model_rows.balanced
    assert "No: the design is unbalanced in the 705 rows" in answer.text()
    assert "item being nested in condition" in answer.text()


def test_is_the_design_balanced_on_a_clustered_design_gives_cluster_sizes(schools):
    answer = ask_ok(schools, "is the design balanced?")
    (level,) = _result(answer).model_rows.levels
    sizes = load_sample("schools").groupby("school").size()
    assert (level.factor, level.minimum, level.maximum) == ("school", sizes.min(), sizes.max())
    assert f"have {sizes.min()} ({sizes.idxmin()}) to {sizes.max()}" in answer.text()


def test_were_the_groups_balanced_at_baseline_still_compares_the_arms():
    (step,) = parse("were the groups balanced at baseline?").steps
    assert step.kind == "baseline_comparison"


# ------------------------------------------------------------- fresh requests (words10)
def test_ratings_per_rater_counts_rows_not_distinct_rating_values(ratings):
    answer = ask_ok(ratings, "how many ratings per rater")
    sizes = _result(answer)
    per_rater = load_sample("ratings").dropna(subset=["rating"]).groupby("rater").size()
    assert (sizes.n_units, sizes.minimum, sizes.maximum) == (
        per_rater.sum(), per_rater.min(), per_rater.max())
    assert sizes.median == pytest.approx(per_rater.median())


def test_students_per_school_still_counts_distinct_students(schools):
    sizes = _result(ask_ok(schools, "how many students per school?"))
    per_school = load_sample("schools").groupby("school")["student"].nunique()
    assert (sizes.n_units, sizes.minimum, sizes.maximum) == (
        per_school.sum(), per_school.min(), per_school.max())


def test_which_item_got_the_lowest_ratings_ranks_the_item_blups(ratings):
    answer = ask_ok(ratings, "which item got the lowest ratings")
    fit = ratings.models[1].fit
    blups = sorted((r.value, r.level) for r in fit.random_effects
                   if r.group == "item" and r.term == "(Intercept)")
    assert f"1  {blups[0][1]}" in answer.text()


@pytest.mark.parametrize("request_text", ["is there missing data?",
                                          "are there any missing values"])
def test_is_there_missing_data_is_the_audit(ratings, request_text):
    (step,) = parse(request_text).steps
    assert (step.kind, step.question) == ("missing_data", None)
    answer = ask_ok(ratings, request_text)
    complete = int(load_sample("ratings")["rating"].notna().sum())
    assert f"{complete} complete observations (of 720 rows)" in answer.text()


@pytest.mark.parametrize(("request_text", "kind"), [
    ("interrater reliability pls", "rater_reliability"),
    ("waht is teh efect of SES with 90% ci", "explain_coefficient"),
])
def test_courtesy_and_slips_of_the_keyboard_are_read(request_text, kind):
    (step,) = parse(request_text).steps
    assert step.kind == kind
