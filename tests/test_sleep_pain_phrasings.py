"""Requests in users' own words on the pain_trial and sleepstudy samples, through the
Session: each reaches the analysis it means, and the numbers in the answer are the fit's
(checked here against the fit, a closed form, or lme4's reference)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.column_words import resolve_column_word
from assistant.session import Session
from engine.lmm import fit_lmm
from tests.conftest import ask_ok, find_reference_dir


@pytest.fixture(scope="module")
def pain(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("out"))
    ask_ok(session, "LMM: pain_score ~ time + treatment + (1 | patient)")
    return session


@pytest.fixture(scope="module")
def sleep(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("out"))
    ask_ok(session, "Reaction ~ Days + (Days | Subject)")
    return session


def _sleep_reference() -> dict:
    path = find_reference_dir() / "cases" / "sleepstudy_slope.json"
    return json.loads(path.read_text())


# --------------------------------------------------------------- column words
def test_a_word_that_begins_one_column_name_means_that_column():
    assert resolve_column_word("pain", ["patient", "pain_score"]).column == "pain_score"
    assert resolve_column_word("pain", ["patient", "pain_score"]).rule == "prefix"
    assert resolve_column_word("Reaction", ["reaction_time", "Days"]).column == "reaction_time"
    # two candidates, or only part of a word: left as written
    assert resolve_column_word("pain", ["pain_score", "pain_baseline"]) is None
    assert resolve_column_word("pain", ["painkiller", "patient"]) is None


def test_plot_pain_over_time_plots_pain_score(pain):
    answer = ask_ok(pain, "plot pain over time for each patient")
    (step,) = answer.steps
    assert step.kind == "plot_data"
    assert (step.step.outcome, step.step.over, step.step.group) == (
        "pain_score", "time", "patient")
    assert step.figures and step.figures[0].exists()
    assert "I took 'pain' to mean the column pain_score." in answer.text()


# --------------------------------------------------------------- dropout, write-up
def test_how_many_patients_dropped_out_is_the_audit(pain):
    answer = ask_ok(pain, "how many patients dropped out?")
    assert [s.kind for s in answer.steps] == ["missing_data"]
    data = pain.models[1].fit.source_data
    times = sorted(data["time"].unique())
    seen = data.dropna(subset=["pain_score"]).groupby("patient")["time"]
    # seen at every time up to the last one seen, and not at the end: gone for good
    dropped = sum(
        1 for _, t in seen if sorted(t) == times[: len(set(t))] and len(set(t)) < len(times)
    )
    assert dropped > 0
    text = answer.text()
    n_patients = data["patient"].nunique()
    assert f"{dropped} of {n_patients} patients dropped out" in text
    assert text.index("dropped out") < text.index("Missing visits by time")  # the lead
    assert f"{dropped} subjects dropped out and never came back" in text


def test_report_it_for_a_paper_is_the_write_up(pain):
    answer = ask_ok(pain, "report it for a paper")
    assert [s.kind for s in answer.steps] == ["write_up"]
    text = answer.text()
    assert "Methods" in text and "Results" in text
    assert "pain_score ~ time + treatment + (1 | patient)" in text


# --------------------------------------------------------------- does the slope vary?
def test_the_slope_of_a_random_intercept_model_is_its_one_within_predictor(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "LMM: pain_score ~ time + treatment + (1 | patient)")
    answer = ask_ok(session, "does the slope vary between patients?")
    assert [s.kind for s in answer.steps] == ["modify_model", "random_effects_tests"]
    small, big = session.models[1].fit, session.models[2].fit
    assert big.formula.replace(" ", "").endswith("(1+time|patient)")
    (test,) = answer.steps[1].result.result.tests
    assert (test.group, test.column) == ("patient", "time")
    assert test.lrt == pytest.approx(2 * (big.loglik - small.loglik), rel=1e-6)
    text = answer.text()
    assert "I took 'the slope' to mean the slope of time" in text
    assert "changes within each patient" in text


def test_do_subjects_differ_in_how_fast_tests_the_days_slope(sleep):
    n_models = len(sleep.models)
    answer = ask_ok(sleep, "do subjects differ in how fast they deteriorate?")
    assert [s.kind for s in answer.steps] == ["random_effects_tests"]
    assert len(sleep.models) == n_models  # the slope is there: nothing refitted as a model
    full = sleep.models[1].fit
    without = fit_lmm("Reaction ~ Days + (1 | Subject)", full.source_data)
    (test,) = answer.steps[0].result.result.tests
    assert (test.group, test.column) == ("Subject", "Days")
    assert test.lrt == pytest.approx(2 * (full.loglik - without.loglik), rel=1e-5)
    assert "the random slope of Days by Subject, the model's only random slope" in answer.text()


def test_several_candidate_slopes_are_asked_about(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    data = session.data.copy()
    data["dose"] = np.arange(len(data)) % 3 + 1.0  # changes within each patient
    path = tmp_path / "pain_dose.csv"
    data.to_csv(path, index=False)
    ask_ok(session, f'load "{path}"')
    ask_ok(session, "LMM: pain_score ~ time + dose + treatment + (1 | patient)")
    answer = session.ask("does the slope vary between patients?")
    assert not answer.ok
    assert "Which slope do you mean?" in str(answer.error)
    assert "time and dose" in str(answer.error)
    assert len(session.models) == 1


# --------------------------------------------------------------- intercept-slope correlation
def test_correlation_of_intercept_and_slope_is_reported(sleep):
    answer = ask_ok(sleep, "what is the correlation between intercept and slope?")
    (cor,) = [vc for vc in sleep.models[1].fit.variance_components if vc.var2 is not None]
    (ref,) = [v for v in _sleep_reference()["varcorr"] if v.get("var2")]
    assert cor.sdcor == pytest.approx(ref["sdcor"], abs=1e-3)
    text = answer.text()
    assert f"The correlation between the Subject intercepts and Days slopes is {cor.sdcor:.2f}" \
        in text


def test_a_random_intercept_model_has_no_intercept_slope_correlation(pain):
    answer = ask_ok(pain, "what is the correlation between intercept and slope?")
    text = answer.text()
    assert "has a random intercept only and no random slope, so there is no correlation" in text
    assert "`add a random slope for time`" in text


# --------------------------------------------------------------- BLUP ranking, figure
def test_most_affected_by_sleep_deprivation_ranks_the_days_slopes(sleep):
    answer = ask_ok(sleep, "which subject is most affected by sleep deprivation?")
    ranking = answer.steps[0].result.result
    assert ranking.term == "Days"
    slopes = [e for e in sleep.models[1].fit.random_effects if e.term == "Days"]
    top = max(slopes, key=lambda e: e.value)
    assert (ranking.rows[0].level, ranking.rows[0].value) == (top.level, top.value)
    assert [r.value for r in ranking.rows] == sorted((r.value for r in ranking.rows),
                                                     reverse=True)
    reference = {r["level"]: r["value"] for r in _sleep_reference()["ranef"]
                 if r["term"] == "Days"}
    assert max(reference, key=reference.get) == top.level
    assert "I took 'sleep deprivation' to mean the random slope of Days by Subject" in \
        answer.text()


def test_each_subjects_fitted_line_is_the_trajectory_figure(sleep):
    answer = ask_ok(sleep, "plot each subject's fitted line")
    (step,) = answer.steps
    assert step.kind == "plot_trajectory" and step.step.overlay_blups
    assert step.figures and step.figures[0].exists()
    assert "The thin lines are the 18 Subject trajectories" in answer.text()


# --------------------------------------------------------------- prediction, df
def test_predicted_reaction_time_on_day_10(sleep):
    answer = ask_ok(sleep, "what is the predicted reaction time on day 10?")
    grid = answer.steps[0].result.result.frame
    fit = sleep.models[1].fit
    beta = dict(zip(fit.fixed_names, fit.beta, strict=True))
    assert list(grid["Days"]) == [10.0]
    assert grid["estimate"].iloc[0] == pytest.approx(beta["(Intercept)"] + 10 * beta["Days"])
    ref = {r["term"]: r["estimate"] for r in _sleep_reference()["fixef"]}
    assert grid["estimate"].iloc[0] == pytest.approx(ref["(Intercept)"] + 10 * ref["Days"],
                                                     rel=1e-4)


def test_degrees_of_freedom_for_days(sleep):
    answer = ask_ok(sleep, "what are the degrees of freedom for Days?")
    (row,) = [r for r in _sleep_reference()["fixef"] if r["term"] == "Days"]
    (mine,) = [f for f in sleep.models[1].fit.fixed_effects if f.term == "Days"]
    assert mine.df == pytest.approx(row["df_satterthwaite"], rel=1e-2)
    text = answer.text()
    assert f"t({mine.df:.1f}) = {mine.t:.2f}" in text
    assert "Satterthwaite degrees of freedom" in text


# --------------------------------------------------------------- days as the time column's values
def test_exclude_the_first_two_days_drops_days_0_and_1_and_refits(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "Reaction ~ Days + (Days | Subject)")
    answer = ask_ok(session, "exclude the first two days")
    assert [s.kind for s in answer.steps] == ["subset_visits", "refit"]
    subset = answer.steps[0].result.result
    assert subset.values_named == (0.0, 1.0)
    refit = session.models[2].fit
    assert refit.nobs == 144
    assert sorted(refit.data["Days"].unique()) == list(range(2, 10))
    full = session.models[1].fit.source_data
    expected = fit_lmm("Reaction ~ Days + (Days | Subject)", full[full["Days"] >= 2])
    assert np.allclose(refit.beta, expected.beta, rtol=1e-6)
    text = answer.text()
    assert "dropped the rows at Days = 0 and 1" in text
    assert "Kept 144 of 180 rows" in text
    # The model names Subject as its grouping factor, so the subject column is no guess.
    assert answer.steps[0].result.guessed == ()
    assert "guess" not in text


def test_exclude_the_first_two_days_without_a_model_says_the_subject_is_guessed(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    answer = ask_ok(session, "exclude the first two days")
    assert answer.steps[0].result.guessed == ("subject",)
    assert "(Subject is my guess for the subject column)" in answer.text()


def test_use_only_days_2_to_9_keeps_144_rows(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "Reaction ~ Days + (Days | Subject)")
    answer = ask_ok(session, "use only days 2 to 9")
    subset = answer.steps[0].result.result
    assert (subset.low, subset.high, subset.n_after) == (2.0, 9.0, 144)
    assert session.models[2].fit.nobs == 144


def test_drop_the_first_day_without_a_model_only_subsets(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    answer = ask_ok(session, "drop the first day")
    assert [s.kind for s in answer.steps] == ["subset_visits"]
    subset = answer.steps[0].result.result
    assert (subset.values_named, subset.n_after) == ((0.0,), 162)
    assert len(session.data) == 162 and session.data["Days"].min() == 1


def test_the_last_days_are_the_largest_values():
    from engine.samples import load_sample
    from engine.time_value_subset import select_time_values, time_value_range

    data = load_sample("sleepstudy")
    assert time_value_range(data, "Days", from_end="last", start=1, stop=2) == (8.0, 9.0)
    with pytest.raises(Exception, match="No row has Days between 20 and 30"):
        select_time_values(data, "keep", subject="Subject", time="Days", low=20, high=30)


# --------------------------------------------------------------- wide to long, then a fit in words
def test_reshape_then_fit_pain_over_time(tmp_path):
    from engine.samples import load_sample

    session = Session(sample="pain_wide", output_dir=tmp_path)
    answer = ask_ok(
        session, "convert to long format and fit pain over time with random intercept per patient"
    )
    assert [s.kind for s in answer.steps] == ["reshape_long", "fit_lmm"]
    fit = session.models[1].fit
    assert fit.formula == "pain ~ time + (1 | patient)"
    assert fit.nobs == 287
    long_trial = fit_lmm("pain_score ~ time + (1 | patient)", load_sample("pain_trial"))
    assert np.allclose(fit.beta, long_trial.beta, rtol=1e-6)
    assert fit.loglik == pytest.approx(long_trial.loglik, rel=1e-8)
