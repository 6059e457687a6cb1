"""Subsets by the order of time within each subject ("only the first 3 visits", "drop the
last visit", "only visits 1 to 3"): the engine's ranks and counts checked against pandas'
groupby dense ranks on the built-in samples, and the session's new data set and words."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from assistant.cli import main
from assistant.session import Session
from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.samples import load_sample
from engine.visit_subset import select_time_points


def _pandas_positions(df: pd.DataFrame, subject: str, time: str, from_end: str) -> pd.Series:
    """Each row's place among its subject's distinct times, by pandas' groupby rank."""
    return df.groupby(subject)[time].rank(method="dense", ascending=from_end == "first")


@pytest.mark.parametrize(
    ("sample", "subject", "time", "action", "from_end", "start", "stop"),
    [
        ("pain_trial", "patient", "time", "keep", "first", 1, 3),
        ("pain_trial", "patient", "time", "drop", "last", 1, 1),
        ("pain_trial", "patient", "time", "keep", "last", 1, 2),
        ("sleepstudy", "Subject", "Days", "keep", "first", 2, 4),
        ("sleepstudy", "Subject", "Days", "drop", "first", 1, 1),
    ],
)
def test_rows_kept_match_a_pandas_groupby_rank(sample, subject, time, action, from_end, start,
                                              stop):
    df = load_sample(sample)
    result = select_time_points(
        df, action, subject=subject, time=time, from_end=from_end, start=start, stop=stop
    )
    position = _pandas_positions(df, subject, time, from_end)
    named = position.between(start, stop)
    expected = df[named if action == "keep" else ~named].reset_index(drop=True)
    pd.testing.assert_frame_equal(result.data, expected)
    assert (result.n_before, result.n_after) == (len(df), len(expected))
    assert result.n_subjects_after == expected[subject].nunique()
    per_subject = df.groupby(subject)[time].nunique()
    assert result.n_subjects_short == int((per_subject < stop).sum())
    assert result.max_time_points == int(per_subject.max())


def test_first_three_visits_of_the_pain_trial_in_numbers():
    df = load_sample("pain_trial")
    result = select_time_points(df, "keep", subject="patient", time="time", stop=3)
    # 80 patients with 2 to 4 visits at months 0, 1, 3, 6: every patient keeps at most 3
    counts = result.data.groupby("patient")["time"].nunique()
    assert counts.max() == 3 and len(counts) == 80
    expected_rows = int(df.groupby("patient")["time"].nunique().clip(upper=3).sum())
    assert result.n_after == expected_rows == 237
    assert result.subjects_lost == ()


def test_ties_share_a_rank_and_dates_and_text_dates_are_ordered():
    df = pd.DataFrame({
        "id": ["a", "a", "a", "a", "b", "b", "b"],
        "when": ["2024-03-01", "2024-01-15", "2024-01-15", "2024-02-01",
                 "2024-05-01", "2024-04-01", None],
        "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
    })
    text = select_time_points(df, "keep", subject="id", time="when", stop=1)
    assert text.data["y"].tolist() == [2.0, 3.0, 6.0]  # both rows of a's first date
    assert text.n_unranked == 1
    dated = df.assign(when=pd.to_datetime(df["when"]))
    assert select_time_points(dated, "keep", subject="id", time="when", stop=1).data[
        "y"
    ].tolist() == [2.0, 3.0, 6.0]
    last = select_time_points(dated, "drop", subject="id", time="when", from_end="last")
    # the row with no date cannot be a "last visit", so a drop leaves it in
    assert last.data["y"].tolist() == [2.0, 3.0, 4.0, 6.0, 7.0]


def test_unordered_text_time_and_empty_results_are_refused():
    df = load_sample("pain_trial")
    with pytest.raises(LmmInputError, match="neither numbers nor dates"):
        select_time_points(df, "keep", subject="patient", time="sex", stop=2)
    with pytest.raises(LmmInputError, match="numbered from 1"):
        select_time_points(df, "keep", subject="patient", time="time", start=3, stop=2)
    with pytest.raises(LmmInputError, match="leaving no data"):
        select_time_points(df, "keep", subject="patient", time="time", start=9, stop=9)


def test_session_first_three_visits_is_a_new_data_set_it_can_fit(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    raw = load_sample("pain_trial")
    expected = raw[_pandas_positions(raw, "patient", "time", "first") <= 3]
    answer = session.ask("use only the first 3 visits")
    assert answer.ok, answer.error
    assert session.current_data_name == "pain_trial_subset"
    assert len(session.data) == len(expected)
    text = answer.text()
    assert (
        f"Kept {len(expected)} of {len(raw)} rows of `pain_trial` as `pain_trial_subset`: "
        "kept each patient's first 3 time points (ranked by time within each patient; "
        "patient and time are my guesses for the subject and time columns). "
        "80 of 80 levels of patient remain."
    ) in text
    short = int((raw.groupby("patient")["time"].nunique() < 3).sum())
    assert f"{short} levels of patient had fewer than 3 time points" in text
    out = answer.to_json()[0]
    assert (out["n_after"], out["subject"], out["time"]) == (len(expected), "patient", "time")
    fit = session.ask("LMM: pain_score ~ time + treatment + (1 | patient)")
    assert fit.ok, fit.error
    model = session.models[1]
    assert model.dataset == "pain_trial_subset" and model.fit.nobs == len(expected)
    direct = fit_lmm("pain_score ~ time + treatment + (1 | patient)",
                     expected.reset_index(drop=True))
    np.testing.assert_allclose(model.fit.beta, direct.beta, rtol=1e-8)


@pytest.mark.parametrize(
    ("request_text", "start", "stop", "from_end", "action"),
    [
        ("keep the first 3 time points per Subject", 1, 3, "first", "keep"),
        ("only visits 1 to 3", 1, 3, "first", "keep"),
        ("drop the last visit", 1, 1, "last", "drop"),
        ("keep only visits 2-4 by Days", 2, 4, "first", "keep"),
    ],
)
def test_session_phrasings_on_sleepstudy(tmp_path, request_text, start, stop, from_end, action):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    raw = load_sample("sleepstudy")
    named = _pandas_positions(raw, "Subject", "Days", from_end).between(start, stop)
    expected = raw[named if action == "keep" else ~named]
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    assert len(session.data) == len(expected)
    assert f"Kept {len(expected)} of 180 rows of `sleepstudy`" in answer.text()
    assert "18 of 18 levels of Subject remain" in answer.text()


def test_a_drop_from_a_model_refits_it_on_the_rows_kept(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask("LMM: Reaction ~ Days + (Days | Subject)").ok
    answer = session.ask("drop the last visit from model 1")
    assert answer.ok, answer.error
    assert [s.kind for s in answer.steps] == ["subset_visits", "refit"]
    assert session.models[2].fit.nobs == 180 - 18
    assert session.models[2].fit.data["Days"].max() == 8


def test_a_subset_that_removes_nothing_leaves_the_data_unchanged(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    answer = session.ask("keep the first 9 visits")
    assert answer.ok, answer.error
    assert session.current_data_name == "pain_trial" and list(session.datasets) == ["pain_trial"]
    assert "no patient has more than 4 time points" in answer.text()


def test_an_unordered_time_named_with_by_is_refused_plainly(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    answer = session.ask("keep the first 2 visits per patient by sex")
    assert not answer.ok
    assert str(answer.error) == (
        "sex holds text that is neither numbers nor dates, so its values have no order; "
        "name a numeric time column, e.g. `keep the first 3 visits by week`."
    )
    assert list(session.datasets) == ["pain_trial"]


def test_cli_ask_first_three_visits(capsys):
    status = main(["ask", "--sample", "pain_trial", "--json", "use only the first 3 visits"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    (step,) = json.loads(captured.out)
    assert (step["kind"], step["n_before"], step["n_after"], step["n_subjects_after"]) == (
        "subset_visits", 287, 237, 80
    )


def test_a_time_that_never_changes_within_a_subject_is_refused(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    answer = session.ask("keep the first 3 visits by age")
    assert not answer.ok
    assert str(answer.error) == (
        "age does not change within any patient, so it cannot order their visits; name a "
        "time column, e.g. `keep the first 3 visits by week`."
    )
    assert list(session.datasets) == ["pain_trial"]


def test_words_for_lost_subjects_and_rows_without_a_time(tmp_path):
    data = pd.DataFrame({
        "id": ["a", "a", "a", "b", "b", "c", "d", "d"],
        "week": [0, 4, 8, 0, 4, 0, 0, np.nan],
        "y": np.arange(8.0),
    })
    answer = Session(data=data, output_dir=tmp_path).ask("drop the last visit")
    assert answer.ok, answer.error
    text = answer.text()
    # a's week 8, b's week 4, c's only week and d's only dated row go; d's undated row stays
    assert "Kept 4 of 8 rows of `data` as `data_subset`" in text
    assert "3 of 4 levels of id remain." in text
    assert "1 level of id has no rows left (c)." in text
    assert "1 row with no id or week value cannot be placed in order and stays in." in text
