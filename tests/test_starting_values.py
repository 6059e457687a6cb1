"""Levels ranked by the model's prediction at the start ("which patient has the highest
baseline pain?", "lowest baseline", "who starts highest"): each patient's x'β̂ + z'b̂ at
time 0 computed by hand from the fit's coefficients and BLUPs, the conditional fitted
value at an observed time-0 row, and the observed value shown beside it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.samples import load_sample
from engine.starting_values import baseline_time, rank_starting_values
from grammar.parse import parse

FORMULA = "pain_score ~ time * treatment + age + (1 + time | patient)"


def _data() -> pd.DataFrame:
    """pain_trial without P003's time-0 row (a patient with no observed baseline)."""
    df = load_sample("pain_trial")
    return df[~((df["patient"] == "P003") & (df["time"] == 0))].reset_index(drop=True)


def _by_hand(fit, df: pd.DataFrame) -> dict[str, float]:
    """x'β̂ + b̂₀ + 0·b̂_time for each patient, x its own arm and age at time 0."""
    names = list(fit.fixed_names)
    beta = dict(zip(names, fit.beta, strict=True))
    blup = {(e.level, e.term): e.value for e in fit.random_effects}
    out = {}
    for patient, rows in df.groupby("patient"):
        treated = float(rows["treatment"].iloc[0] == "treated")
        age = float(rows["age"].iloc[0])
        x_beta = (beta["(Intercept)"] + beta["treatment[T.treated]"] * treated
                  + beta["age"] * age + beta["time"] * 0.0
                  + beta["time:treatment[T.treated]"] * 0.0 * treated)
        out[str(patient)] = x_beta + blup[(patient, "(Intercept)")] + 0.0 * blup[
            (patient, "time")]
    return out


def test_prediction_at_time_zero_is_x_beta_plus_blup():
    df = _data()
    fit = fit_lmm(FORMULA, df)
    ranking = rank_starting_values(fit, "patient", "time")
    expected = _by_hand(fit, df)
    assert len(ranking.rows) == df["patient"].nunique()
    for row in ranking.rows:
        assert row.predicted == pytest.approx(expected[row.level], rel=1e-10)
        assert row.fixed + row.deviation == pytest.approx(row.predicted, rel=1e-12)
    predicted = [r.predicted for r in ranking.rows]
    assert predicted == sorted(predicted, reverse=True)
    assert ranking.fixed_varies and ranking.start == 0.0


def test_prediction_equals_the_conditional_fitted_value_at_an_observed_baseline():
    df = _data()
    fit = fit_lmm(FORMULA, df)
    ranking = {r.level: r for r in rank_starting_values(fit, "patient", "time").rows}
    fitted = fit.fitted()
    frame = fit.data
    at_zero = frame["time"] == 0
    for index in np.flatnonzero(at_zero.to_numpy())[:20]:
        patient = str(frame["patient"].iloc[index])
        assert ranking[patient].predicted == pytest.approx(fitted[index], rel=1e-9)
        assert ranking[patient].observed == pytest.approx(frame["pain_score"].iloc[index])
    assert ranking["P003"].observed is None and ranking["P003"].n_observed == 0


def test_the_ranking_differs_from_the_blup_ranking_when_arms_differ():
    fit = fit_lmm(FORMULA, _data())
    by_start = [r.level for r in rank_starting_values(fit, "patient", "time").rows[:5]]
    blups = sorted((e for e in fit.random_effects if e.term == "(Intercept)"),
                   key=lambda e: e.value, reverse=True)
    assert by_start != [str(e.level) for e in blups[:5]]


def test_baseline_time_is_zero_or_the_smallest_value():
    assert baseline_time([3, 0, 1]) == 0.0
    assert baseline_time([2, 5, np.nan]) == 2.0
    assert baseline_time([-1, 0, 2]) == 0.0


@pytest.mark.parametrize(
    ("text", "order"),
    [
        ("which patient has the highest baseline pain?", "highest"),
        ("lowest baseline", "lowest"),
        ("who starts highest", "highest"),
        ("which patient started lowest?", "lowest"),
    ],
)
def test_phrasings_rank_at_the_start(text, order):
    (step,) = parse(text).steps
    assert step.kind == "blups" and step.at_start and step.order == order


def test_highest_intercepts_still_rank_the_blups():
    (step,) = parse("which patients have the highest intercepts").steps
    assert step.kind == "blups" and not step.at_start


def test_session_answer_names_the_prediction_and_the_observed_value(tmp_path):
    df = _data()
    session = Session(data=df, output_dir=tmp_path)
    assert session.ask(f"LMM: {FORMULA}").ok
    answer = session.ask("which patient has the highest baseline pain?")
    assert answer.ok, answer.error
    fit = session.models[1].fit
    expected = _by_hand(fit, df)
    top = max(expected, key=expected.get)
    observed = df[(df["patient"] == top) & (df["time"] == 0)]["pain_score"].iloc[0]
    text = answer.text()
    assert f"Patient {top} comes first: predicted {expected[top]:.1f}" in text
    assert f"its observed pain_score at time = 0 is {observed:.1f}" in text
    out = answer.to_json()[0]
    assert out["rows"][0]["level"] == top
    assert out["rows"][0]["predicted"] == pytest.approx(expected[top], rel=1e-10)
    low = session.ask("who starts lowest")
    assert low.ok, low.error
    bottom = min(expected, key=expected.get)
    assert low.to_json()[0]["rows"][0]["level"] == bottom


def test_time_as_a_factor_is_set_to_its_baseline_level(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ factor(time) * treatment + (1 | patient)").ok
    answer = session.ask("which patient has the lowest baseline pain?")
    assert answer.ok, answer.error
    fit = session.models[1].fit
    ranking = answer.steps[0].result.result
    assert ranking.time == "time" and ranking.start == 0.0
    fitted = fit.fitted()
    at_zero = {str(p): fitted[i] for i, (p, t) in
               enumerate(zip(fit.data["patient"], fit.data["time"], strict=True)) if t == 0}
    for row in ranking.rows:
        assert row.predicted == pytest.approx(at_zero[row.level], rel=1e-9)
    assert [r.level for r in ranking.rows] == sorted(at_zero, key=at_zero.get)
