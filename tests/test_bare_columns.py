"""Bare column names spelled like keywords ("plot time", "center time and test"): read as
the columns of the current data, without backticks, and without changing any plan of the
request corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from engine.samples import list_samples, load_sample
from grammar.parse import ParseError, parse
from grammar.plan import PlotData, Transform

CORPUS = json.loads((Path(__file__).parent / "corpus" / "requests.json").read_text())
#: Every sample's columns plus column names that are keywords of the request language.
KEYWORD_COLUMNS = ("time", "group", "test", "level", "order", "value", "subject", "model",
                   "data", "effect", "slope", "rank", "class", "center", "scale", "log")


def _all_columns() -> tuple[str, ...]:
    names = [str(c) for s in list_samples() for c in load_sample(s.name).columns]
    return tuple(dict.fromkeys([*names, *KEYWORD_COLUMNS]))


def test_corpus_plans_do_not_change_when_the_data_has_keyword_columns():
    columns = _all_columns()
    for case in CORPUS:
        plain = parse(case["request"]).to_dict()
        assert parse(case["request"], columns=columns).to_dict() == plain, case["request"]


def test_plot_of_a_bare_keyword_column_parses():
    assert parse("plot time").steps == (PlotData(outcome="time"),)
    assert parse("graph time").steps == (PlotData(outcome="time"),)
    assert parse("plot score vs time").steps == (PlotData(outcome="score", over="time"),)


def test_a_column_spelled_like_a_verb_after_and_is_read_as_a_column_of_the_data():
    columns = ("id", "time", "test", "y")
    with pytest.raises(ParseError):
        parse("center time and test")
    assert parse("center time and test", columns=columns).steps == (
        Transform("center", ("time", "test")),
    )
    plan = parse("center time and test; plot y against time", columns=columns)
    assert plan.steps == (Transform("center", ("time", "test")), PlotData(outcome="y", over="time"))
    # a word that is not a column of the data is not quoted: the request stays unreadable
    with pytest.raises(ParseError):
        parse("center time and test", columns=("id", "time", "y"))


def test_session_centres_a_column_named_test(tmp_path):
    rng = np.random.default_rng(3)
    data = pd.DataFrame({
        "id": np.repeat(np.arange(10), 3), "time": np.tile([0.0, 1.0, 2.0], 10),
        "test": rng.normal(50.0, 5.0, 30), "y": rng.normal(size=30),
    })
    session = Session(data=data, output_dir=tmp_path)
    answer = session.ask("center time and test")
    assert answer.ok, answer.error
    assert session.data["test"].to_numpy() == pytest.approx(
        data["test"].to_numpy() - data["test"].mean()
    )
    assert session.data["time"].to_numpy() == pytest.approx(data["time"].to_numpy() - 1.0)


@pytest.mark.parametrize(
    ("sample", "request_text", "outcome", "time", "group", "n_groups", "n_obs"),
    [
        ("pain_trial", "plot time", "pain_score", "time", "patient", 80, 287),
        ("pain_trial", "plot pain_score vs time", "pain_score", "time", "patient", 80, 287),
        ("sleepstudy", "plot Days", "Reaction", "Days", "Subject", 18, 180),
        ("sleepstudy", "plot Subject", "Reaction", "Days", "Subject", 18, 180),
    ],
)
def test_plotting_the_time_or_subject_column_plots_the_data_over_time(
    tmp_path, sample, request_text, outcome, time, group, n_groups, n_obs
):
    session = Session(sample=sample, output_dir=tmp_path)
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    (step,) = answer.steps
    figure = step.result.result
    assert (figure.response, figure.time, figure.group) == (outcome, time, group)
    assert (figure.n_groups, figure.n_observations) == (n_groups, n_obs)
    raw = load_sample(sample)
    assert figure.per_group_max == int(raw.groupby(group).size().max())
    assert [p.name for p in answer.figures] == [f"{sample}_data_{outcome}_over_{time}.png"]
