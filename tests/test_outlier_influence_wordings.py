"""Everyday wordings of the outlier and influence questions reach the same analyses as
their established forms, on sleepstudy."""

from __future__ import annotations

import pytest

from assistant.session import Session
from tests.conftest import SLEEP_FIT, ask_ok


@pytest.fixture(scope="module")
def sleep(tmp_path_factory):
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("words"))
    ask_ok(session, SLEEP_FIT)
    return session


def _result(answer):
    (step,) = answer.steps
    return step.kind, step.result.result


@pytest.mark.parametrize("text", [
    "which subjects are most extreme", "which groups are the most unusual", "outliers",
])
def test_extreme_groups_and_the_bare_word_are_the_outlier_report(sleep, text):
    kind, result = _result(ask_ok(sleep, text))
    _, reference = _result(ask_ok(sleep, "are there any outliers?"))
    assert kind == "outliers"
    assert result.to_dict() == reference.to_dict()
    # sleepstudy's three outlying rows (1-based), most extreme first
    assert "57       332              454.2   321.6           5.18" in ask_ok(sleep, text).text()


def test_influence_of_each_group_is_the_leave_one_level_out_analysis(sleep):
    kind, result = _result(ask_ok(sleep, "influence of each group"))
    _, reference = _result(ask_ok(sleep, "influence diagnostics"))
    assert kind == "cluster_influence"
    ours, theirs = result.to_dict(), reference.to_dict()
    # the same refits and numbers; only how the grouping factor was chosen differs
    assert ours.pop("chosen_by") == "named" and theirs.pop("chosen_by") == "only"
    assert ours == theirs
