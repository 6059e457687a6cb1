"""Requests on the sleepstudy, pain_trial, pain_wide, schools and ratings samples that
were refused or answered beside the point (words9): each reaches the analysis it means,
with numbers checked against lme4's reference fits, a refit the statistic is defined by,
or a hand computation with numpy/pandas on the same data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.samples import load_sample
from engine.variance import variance_explained
from grammar.parse import parse
from tests.conftest import PAIN_FIT, ask_ok


def _reference(reference_dir, case: str) -> dict:
    return json.loads((reference_dir / "cases" / f"{case}.json").read_text())


def _last_fit(session: Session):
    return session.models[max(session.models)].fit


def _result(answer):
    return answer.steps[-1].result.result


# ------------------------------------------------------------- sleepstudy
@pytest.mark.parametrize("request_text", [
    "give me a 90% confidence interval for the Days effect",
    "give me 90% CI for the Days effect in model 1",
])
def test_ci_for_the_days_effect_at_90_percent_is_lme4s_row(sleep, reference_dir,
                                                             request_text):
    (step,) = parse(request_text).steps
    assert (step.kind, step.term, step.level) == ("explain_coefficient", "Days", 0.9)
    answer = ask_ok(sleep, request_text)
    ref = next(f for f in _reference(reference_dir, "sleepstudy_slope")["fixef"]
               if f["term"] == "Days")
    half = stats.t.ppf(0.95, ref["df_satterthwaite"]) * ref["se"]
    row = next(fe for fe in answer.steps[0].result.model.fit.fixed_effects
               if fe.term == "Days")
    assert row.ci_lower == pytest.approx(ref["estimate"] - half, abs=1e-3)
    assert row.ci_upper == pytest.approx(ref["estimate"] + half, abs=1e-3)
    assert "90% CI 7.8 to 13.2" in answer.text()


def test_show_the_slope_of_days_is_its_coefficient(sleep):
    answer = ask_ok(sleep, "show the slope of Days")
    assert _result(answer).terms == ("Days",)
    assert "rose by 10.5 per day" in answer.text()


@pytest.mark.parametrize(
    ("request_text", "slope"),
    [("LRT for the random slope", "slope"),
     ("likelihood ratio test for the random slope of Days", "Days")],
)
def test_lrt_for_the_random_slope_is_lme4s_likelihood_ratio(
    sleep, reference_dir, request_text, slope
):
    (step,) = parse(request_text).steps
    assert (step.kind, step.slope) == ("random_effects_tests", slope)
    answer = ask_ok(sleep, request_text)
    row = _result(answer).tests[0]
    # ranova's line: (Days | Subject) reduced to (1 | Subject), both REML
    full = _reference(reference_dir, "sleepstudy_slope")["logLik"]
    reduced = _reference(reference_dir, "sleepstudy_intercept")["logLik"]
    assert row.lrt == pytest.approx(2 * (full - reduced), abs=1e-3)
    assert row.df == 2


@pytest.mark.parametrize(
    ("request_text", "by"),
    [("fitted lines for subjects 308 and 309", "subjects"),
     ("plot fitted lines for 308 and 309", None)],
)
def test_fitted_lines_for_two_subjects_are_their_own_coefficients(
    sleep, reference_dir, request_text, by
):
    (step,) = parse(request_text).steps
    assert (step.kind, step.by, step.levels) == ("plot_trajectory", by, ("308", "309"))
    answer = ask_ok(sleep, request_text)
    figure = _result(answer)
    assert figure.levels_shown == ("308", "309") and figure.levels_named
    ref = _reference(reference_dir, "sleepstudy_slope")
    fixef = {f["term"]: f["estimate"] for f in ref["fixef"]}
    for level, terms in figure.level_coefficients:
        for term, value in terms:
            blup = next(r["value"] for r in ref["ranef"]
                        if r["level"] == level and r["term"] == term)
            assert value == pytest.approx(fixef[term] + blup, abs=2e-3)
    assert "308: (Intercept) 253.7, Days 19.7" in answer.text()


def test_fitted_lines_for_an_unknown_subject_names_the_levels(sleep):
    answer = sleep.ask("plot the fitted lines for subject 999")
    assert not answer.ok and "Subject has no level '999'" in str(answer.error)


# ------------------------------------------------------------- pain_trial
def test_refit_without_the_interaction_drops_it(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, PAIN_FIT)
    answer = ask_ok(session, "refit without the interaction")
    fit = answer.steps[0].result.fit
    assert fit.formula == "pain_score ~ time + treatment + (1 | patient)"
    direct = fit_lmm("pain_score ~ time + treatment + (1 | patient)",
                     load_sample("pain_trial"))
    assert fit.loglik == pytest.approx(direct.loglik, abs=1e-8)


@pytest.mark.parametrize(("request_text", "arm"), [
    ("what is the slope of pain over time in the control group", "control"),
    ("what is the slope of time in the treated group", "treated"),
    ("slope of time for treated patients", "treated"),
    ("slope of time in control", "control"),
])
def test_time_slope_in_one_arm_equals_the_refit_with_that_arm_as_reference(
    pain, request_text, arm
):
    answer = ask_ok(pain, request_text)
    result = _result(answer)
    assert result.focus == arm
    row = next(m.test for m in result.means if m.level == arm)
    # the time coefficient of the same model with this arm as the reference level
    data = load_sample("pain_trial").copy()
    data["arm"] = np.where(data["treatment"] == arm, "a_" + arm, "b_other")
    refit = fit_lmm("pain_score ~ time * arm + (1 | patient)", data)
    time = next(fe for fe in refit.fixed_effects if fe.term == "time")
    assert row.estimate == pytest.approx(time.estimate, abs=1e-6)
    assert row.se == pytest.approx(time.se, rel=1e-5)
    assert row.df == pytest.approx(time.df, rel=1e-3)
    assert (row.lower, row.upper) == pytest.approx((time.ci_lower, time.ci_upper), abs=1e-3)
    assert answer.text().index(f"In treatment {arm},") < answer.text().index("control  ")


@pytest.mark.parametrize("request_text", ["is there a lot of between-patient variability?",
                                          "how much between patient variance is there?"])
def test_between_patient_variability_is_the_variance_components_and_icc(pain, request_text):
    (step,) = parse(request_text).steps
    assert (step.kind, step.include_icc) == ("variance_components", True)
    answer = ask_ok(pain, request_text)
    fit = _last_fit(pain)
    comps = {c.group: c.vcov for c in fit.variance_components if c.var2 is None}
    icc = comps["patient"] / (comps["patient"] + comps["Residual"])
    assert f"ICC = {icc:.2f}" in answer.text()


# ------------------------------------------------------------- pain_wide
def test_reshape_with_named_visit_columns_keeps_only_those_as_visits(tmp_path):
    session = Session(sample="pain_wide", output_dir=tmp_path)
    request = "reshape to long: pain_0 pain_1 pain_3 are the visits"
    (step,) = parse(request).steps
    assert step.columns == ("pain_0", "pain_1", "pain_3")
    answer = ask_ok(session, request)
    wide = load_sample("pain_wide")
    reshaped = answer.steps[0].result.engine_result
    long = reshaped.data
    assert reshaped.time_values == [0, 1, 3] and reshaped.unlisted == ["pain_6"]
    assert len(long) == int(wide[["pain_0", "pain_1", "pain_3"]].notna().sum().sum())
    p001 = long[long["patient"] == wide["patient"].iloc[0]].sort_values("time")
    expected = wide.iloc[0][["pain_0", "pain_1", "pain_3"]].dropna().to_numpy(float)
    assert p001["pain"].to_numpy(float) == pytest.approx(expected)
    assert "pain_6 has the same name pattern" in answer.text()


def test_reshape_naming_every_visit_column_is_the_default_reshape(tmp_path):
    from engine.data import reshape_long

    session = Session(sample="pain_wide", output_dir=tmp_path)
    answer = ask_ok(session, "reshape pain_0, pain_1, pain_3 and pain_6 to long")
    reshaped = answer.steps[0].result.engine_result
    default = reshape_long(load_sample("pain_wide"))
    assert reshaped.unlisted == []
    pd.testing.assert_frame_equal(reshaped.data, default.data)


@pytest.mark.parametrize("request_text", ["plot the pain trajectories",
                                          "plot pain over time",
                                          "fit pain ~ time + (1 | patient)"])
def test_a_measure_of_wide_data_says_to_reshape(tmp_path, request_text):
    session = Session(sample="pain_wide", output_dir=tmp_path)
    answer = session.ask(request_text)
    assert not answer.ok
    message = str(answer.error)
    assert "wide format" in message and "pain_0" in message
    assert "reshape from wide to long format first" in message
    assert len(session.models) == 0


# ------------------------------------------------------------- ratings
@pytest.mark.parametrize("request_text", ["which rater is harshest",
                                          "who is the harshest rater"])
def test_harshest_rater_is_the_lowest_blup_with_the_sign_stated(ratings, request_text):
    answer = ask_ok(ratings, request_text)
    fit = _last_fit(ratings)
    blups = sorted((r.value, r.level) for r in fit.random_effects
                   if r.group == "rater" and r.term == "(Intercept)")
    assert f"1  {blups[0][1]}" in answer.text()
    assert "negative means lower (harsher)" in answer.text()


def test_design_crossing_counts_the_rater_item_cells(ratings):
    answer = ask_ok(ratings, "is the design fully crossed?")
    crossing = _result(answer)
    data = load_sample("ratings")
    cells = data.groupby(["rater", "item"]).size()
    assert crossing.data.cells_present == len(cells)
    assert crossing.data.cells_possible == data["rater"].nunique() * data["item"].nunique()
    used = data.dropna(subset=["rating"]).groupby(["rater", "item"]).size()
    assert crossing.model_rows.cells_present == len(used)
    assert crossing.model_rows.design == "partially_crossed"
    assert answer.text().startswith("Is rater crossed with item?")


def test_crossing_without_a_model_and_named_factors(tmp_path):
    session = Session(sample="ratings", output_dir=tmp_path)
    answer = ask_ok(session, "are rater and item fully crossed?")
    assert _result(answer).data.design == "fully_crossed"
    assert _result(answer).model_rows is None


def test_variance_explained_by_condition_is_part_r2_and_prv(ratings):
    answer = ask_ok(ratings, "how much variance is explained by condition?")
    result = _result(answer)
    data = load_sample("ratings").dropna(subset=["rating"]).reset_index(drop=True)
    full = fit_lmm("rating ~ condition + (1 | rater) + (1 | item)", data)
    reduced = fit_lmm("rating ~ 1 + (1 | rater) + (1 | item)", data)
    # Nakagawa's marginal R²: var(Xb) over var(Xb) + the variance components + sigma²
    xb = full.model.X @ np.asarray(full.beta)
    comps = {c.group: c.vcov for c in full.variance_components if c.var2 is None}
    r2 = np.var(xb, ddof=1) / (np.var(xb, ddof=1) + sum(comps.values()))
    assert result.part_r2 == pytest.approx(r2 - variance_explained(reduced).r2_marginal,
                                           abs=1e-8)
    before = {c.group: c.vcov for c in reduced.variance_components if c.var2 is None}
    item = next(c for c in result.components if c.group == "item")
    assert item.reduction == pytest.approx((before["item"] - comps["item"]) / before["item"],
                                           abs=1e-6)
    assert "part R²" in answer.text() and "Raudenbush and Bryk" in answer.text()


# ------------------------------------------------------------- schools
@pytest.mark.parametrize("request_text", [
    "what is the effect of school_size per 100 students",
    "what is the effect of school size per 100 students?",
    "rescale school_size per 100 students",
    "what is the school_size coefficient per 100 students",
])
def test_coefficient_per_100_students_equals_the_refit_on_size_over_100(schools,
                                                                        request_text):
    answer = ask_ok(schools, request_text)
    row = _result(answer).rescaled
    data = load_sample("schools").copy()
    data["school_size"] = data["school_size"] / 100
    refit = fit_lmm("test_score ~ SES + school_size + (1 | school)", data)
    direct = next(fe for fe in refit.fixed_effects if fe.term == "school_size")
    for name in ("estimate", "se", "ci_lower", "ci_upper", "t", "p"):
        assert getattr(row, name) == pytest.approx(getattr(direct, name), rel=1e-5), name
    assert row.df == pytest.approx(direct.df, rel=1e-4)
    assert "Per 100 units of school_size" in answer.text()


def test_words9_requests_leave_a_bad_level_refused_plainly(pain):
    answer = pain.ask("what is the slope of time in the placebo group")
    assert not answer.ok and "no level 'placebo'" in str(answer.error)


def test_crossing_table_of_a_nested_pair():
    from engine.crossing import crossing_table

    frame = pd.DataFrame({"school": ["a", "a", "b", "b"], "class": ["1", "2", "3", "4"]})
    table = crossing_table(frame, "school", "class")
    assert (table.design, table.nested_in) == ("nested", "school")
    assert (table.cells_present, table.cells_possible) == (4, 8)


@pytest.mark.parametrize("request_text", [
    "what percent of variance does treatment explain?",
    "how much variance is explained by treatment?",
])
def test_variance_explained_by_a_term_in_an_interaction_drops_both(pain, request_text):
    answer = ask_ok(pain, request_text)
    result = _result(answer)
    assert result.dropped == ("treatment", "time:treatment")
    reduced = fit_lmm("pain_score ~ time + (1 | patient)", load_sample("pain_trial"))
    full = _last_fit(pain)
    assert result.part_r2 == pytest.approx(
        variance_explained(full).r2_marginal - variance_explained(reduced).r2_marginal,
        abs=1e-8)
    assert "also leaves out `time:treatment`" in answer.text()
