"""'plot the data' describes the data at most once (a pass over every column, seconds on
a million rows) and only when no model names the roles; the roles and numbers it reports
are those of the pandas computation on the same rows."""

from __future__ import annotations

import pytest

import assistant.steps.data as data_steps
import assistant.steps.figures as figure_steps
from assistant.session import Session
from engine.data import describe_data
from tests.conftest import ask_ok


@pytest.fixture()
def describe_calls(monkeypatch) -> list[int]:
    calls: list[int] = []

    def counted(df):
        calls.append(len(df))
        return describe_data(df)

    monkeypatch.setattr(data_steps, "describe_data", counted)
    monkeypatch.setattr(figure_steps, "describe_data", counted)
    return calls


def _figure(answer):
    (outcome,) = answer.steps
    return outcome.result.result


def test_without_a_model_the_roles_come_from_one_description(tmp_path, describe_calls):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    data = session.state.data.copy()
    describe_calls.clear()
    figure = _figure(ask_ok(session, "plot the data"))
    assert describe_calls == [len(data)] == [287]
    summary = describe_data(data)
    assert (figure.response, figure.time, figure.group) == (
        summary.outcome_guess, summary.time_guess, summary.id_guess) == (
        "pain_score", "time", "patient")
    means = data.groupby("time")["pain_score"].mean()
    (panel,) = figure.panels
    assert panel.start_value == pytest.approx(means.iloc[0], rel=1e-12)
    assert panel.end_value == pytest.approx(means.iloc[-1], rel=1e-12)
    assert (panel.first_time, panel.last_time) == (0.0, 6.0)
    assert (figure.n_groups, figure.n_observations) == (80, 287)


def test_a_model_with_a_random_slope_names_every_role_without_a_description(
    tmp_path, describe_calls
):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (Days | Subject)")
    data = session.state.data.copy()
    describe_calls.clear()
    figure = _figure(ask_ok(session, "plot the data"))
    assert describe_calls == []
    assert (figure.response, figure.time, figure.group) == ("Reaction", "Days", "Subject")
    means = data.groupby("Days")["Reaction"].mean()
    (panel,) = figure.panels
    assert panel.start_value == pytest.approx(means.iloc[0], rel=1e-12)
    assert panel.end_value == pytest.approx(means.iloc[-1], rel=1e-12)
    assert (panel.start_value, panel.end_value) == pytest.approx((256.6518, 350.8512),
                                                                  abs=1e-4)
    assert (figure.n_groups, figure.n_observations, figure.summary) == (18, 180, "mean")


def test_a_model_without_a_slope_takes_the_time_from_one_description(tmp_path,
                                                                     describe_calls):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "LMM: pain_score ~ time + treatment + (1 | patient)")
    describe_calls.clear()
    figure = _figure(ask_ok(session, "plot the data"))
    assert len(describe_calls) == 1
    assert (figure.response, figure.time, figure.group) == ("pain_score", "time", "patient")
