"""The baseline as a covariate ("adjust for baseline pain", "control for baseline
pain_score", "use the baseline score as a covariate"): the covariate, the rows kept and
the refit checked against engine.fit_lmm on a data frame built by hand with pandas, the
patients without a baseline, and undo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine.baseline_covariate import baseline_as_covariate
from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar.parse import parse


def _pain_without_some_baselines() -> pd.DataFrame:
    """pain_trial where P001 has no time-0 row, P005's time-0 pain is missing and P007
    has two time-0 rows (the second 4 points higher)."""
    df = load_sample("pain_trial")
    df = df[~((df["patient"] == "P001") & (df["time"] == 0))].copy()
    df.loc[(df["patient"] == "P005") & (df["time"] == 0), "pain_score"] = np.nan
    extra = df[(df["patient"] == "P007") & (df["time"] == 0)].copy()
    extra["pain_score"] += 4.0
    return pd.concat([df, extra], ignore_index=True)


def _by_hand(df: pd.DataFrame) -> pd.DataFrame:
    baseline = df[df["time"] == 0].dropna(subset=["pain_score"]).groupby("patient")[
        "pain_score"].mean()
    later = df[(df["time"] > 0) & df["patient"].isin(baseline.index)].copy()
    later["baseline_pain_score"] = later["patient"].map(baseline)
    return later.reset_index(drop=True)


def test_covariate_and_rows_match_pandas():
    df = _pain_without_some_baselines()
    result = baseline_as_covariate(df, outcome="pain_score", subject="patient", time="time")
    expected = _by_hand(df)
    pd.testing.assert_frame_equal(result.data, expected)
    assert result.column == "baseline_pain_score" and result.start == 0.0
    assert result.subjects_without_baseline == ("P001", "P005")
    assert result.n_rows_without_baseline == int(
        ((df["time"] > 0) & df["patient"].isin(["P001", "P005"])).sum())
    assert result.n_baseline_rows == int((df["time"] == 0).sum())
    assert result.n_repeated_baseline == 1
    p007 = df[(df["patient"] == "P007") & (df["time"] == 0)]["pain_score"].mean()
    assert expected.loc[expected["patient"] == "P007", "baseline_pain_score"].iloc[0] == p007


def test_smallest_time_is_the_baseline_without_time_zero():
    df = load_sample("pain_trial").assign(time=lambda d: d["time"] + 1)
    result = baseline_as_covariate(df, outcome="pain_score", subject="patient", time="time")
    assert result.start == 1.0
    assert result.n_after == int((df["time"] > 1).sum())


def test_a_second_adjustment_is_refused():
    df = _by_hand(load_sample("pain_trial"))
    with pytest.raises(LmmInputError, match="already have a column baseline_pain_score"):
        baseline_as_covariate(df, outcome="pain_score", subject="patient", time="time")


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("adjust for baseline pain", "pain"),
        ("control for baseline pain_score", "pain_score"),
        ("use the baseline score as a covariate", "score"),
        ("adjust for the baseline", None),
    ],
)
def test_phrasings_plan_a_baseline_covariate(text, outcome):
    (step,) = parse(text).steps
    assert step.kind == "baseline_covariate" and step.outcome == outcome


def test_adjust_for_age_is_still_a_covariate():
    (step,) = parse("adjust for age").steps
    assert step.kind == "modify_model" and step.variables == ("age",)


def test_refit_equals_fit_lmm_on_the_frame_built_by_hand(tmp_path):
    df = _pain_without_some_baselines()
    session = Session(data=df, output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time * treatment + (1 | patient)").ok
    answer = session.ask("adjust for baseline pain")
    assert answer.ok, answer.error
    expected = _by_hand(df)
    direct = fit_lmm(
        "pain_score ~ time + treatment + time:treatment + baseline_pain_score + (1 | patient)",
        expected,
    )
    model = session.models[2]
    assert model.fit.nobs == len(expected) == direct.nobs
    np.testing.assert_allclose(model.fit.beta, direct.beta, rtol=1e-7)
    np.testing.assert_allclose(model.fit.theta, direct.theta, rtol=1e-5)
    np.testing.assert_allclose(model.fit.sigma, direct.sigma, rtol=1e-7)
    assert list(model.fit.fixed_names) == list(direct.fixed_names)
    text = answer.text()
    lost = int(((df["time"] > 0) & df["patient"].isin(["P001", "P005"])).sum())
    assert (
        f"the {int((df['time'] == 0).sum())} rows at time = 0 left the outcome, and I added "
        "it to Model 1 (random intercept model) and refitted it on the follow-up rows: "
        f"{len(expected)} of {len(df)} rows of `data`, kept as `data_after_baseline`. "
        f"2 patients had no pain_score observed at the baseline and were dropped with their "
        f"{lost} later rows (P001 and P005)."
    ) in text
    assert "1 patient had several rows at time = 0; their mean is the baseline." in text
    assert session.current_data_name == "data_after_baseline"
    back = session.ask("undo")
    assert back.ok
    assert session.current_data_name == "data" and len(session.data) == len(df)
    assert sorted(session.models) == [1]


def test_without_a_model_the_sample_model_gets_the_covariate(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    answer = session.ask("use the baseline score as a covariate")
    assert answer.ok, answer.error
    expected = _by_hand(load_sample("pain_trial"))
    direct = fit_lmm("pain_score ~ time + treatment + baseline_pain_score + (1 | patient)",
                     expected)
    np.testing.assert_allclose(session.models[1].fit.beta, direct.beta, rtol=1e-7)
    assert "Every patient had pain_score observed at the baseline" in answer.text()


def test_another_column_is_refused_and_the_session_is_unchanged(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + (1 | patient)").ok
    answer = session.ask("adjust for baseline age")
    assert not answer.ok
    assert "The model's outcome is pain_score, and 'age' does not name it" in str(answer.error)
    assert session.current_data_name == "pain_trial" and sorted(session.models) == [1]
