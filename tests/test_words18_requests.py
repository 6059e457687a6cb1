"""Everyday wordings found refused or misread in a QA pass (words18): the ICC of a named
factor asked as a question, the ICC of two crossed factors, rater consistency and the
reliability of a single rating, a "nonlinear effect", "influential subjects", "is the
condition effect the same for all raters?", and "what is the average slope?" (was: a
description of the data). Numbers are checked against direct engine fits."""

from __future__ import annotations

import pytest

from engine.lmm import fit_lmm
from engine.samples import load_sample
from grammar.parse import parse
from tests.conftest import RATINGS_FIT, SCHOOLS_FIT, SLEEP_FIT, ask_ok, session_with_fit

RATING_COLUMNS = ("rater", "item", "condition", "rating")
SLEEP_COLUMNS = ("Reaction", "Days", "Subject")


def _step(request: str, columns) -> dict:
    (step,) = parse(request, columns=columns).to_dict()["steps"]
    return step


@pytest.mark.parametrize(("request_text", "columns", "kind", "fields"), [
    ("what is the ICC for raters?", RATING_COLUMNS, "icc", {}),
    ("ICC for raters and items", RATING_COLUMNS, "icc", {}),
    ("how consistent are the raters?", RATING_COLUMNS, "rater_reliability", {}),
    ("how reliable is a single rating?", RATING_COLUMNS, "rater_reliability", {}),
    ("reliability of a single rating", RATING_COLUMNS, "rater_reliability", {}),
    ("does Days have a nonlinear effect?", SLEEP_COLUMNS, "linearity_test",
     {"variable": "Days"}),
    ("does Days have a non-linear effect?", SLEEP_COLUMNS, "linearity_test",
     {"variable": "Days"}),
    ("influential subjects", SLEEP_COLUMNS, "cluster_influence", {"group": "subjects"}),
    ("find influential subjects", SLEEP_COLUMNS, "cluster_influence", {"group": "subjects"}),
    ("what is the average slope?", SLEEP_COLUMNS, "explain_coefficient", {"slope": True}),
    ("what is the mean rate of change?", SLEEP_COLUMNS, "explain_coefficient",
     {"slope": True}),
])
def test_wordings_reach_their_analysis(request_text, columns, kind, fields):
    step = _step(request_text, columns)
    assert step["kind"] == kind
    for key, value in fields.items():
        assert step[key] == value, key


def test_a_bare_what_is_the_icc_stays_the_help_topic():
    assert _step("what is the ICC?", RATING_COLUMNS) == {"kind": "help", "topic": "icc"}


@pytest.fixture(scope="module")
def sleep_fitted(tmp_path_factory):
    """A sleepstudy session with SLEEP_FIT fitted, and the same model fitted directly."""
    session = session_with_fit("sleepstudy", tmp_path_factory, SLEEP_FIT)
    return session, fit_lmm(SLEEP_FIT.removeprefix("fit "), load_sample("sleepstudy"))


def test_the_average_slope_is_the_random_slope_variables_coefficient(sleep_fitted):
    session, direct = sleep_fitted
    answer = ask_ok(session, "what is the average slope?")
    days = next(r for r in direct.fixed_effects if r.term == "Days")
    assert days.estimate == pytest.approx(10.467, abs=1e-3)
    assert "10.5" in answer.text() and "Days" in answer.text()
    meaning = answer.steps[-1].result.result.to_dict()
    assert meaning["asked"] == "Days" and meaning["terms"] == ["Days"]


def test_the_average_slope_asks_which_when_there_are_several(tmp_path_factory):
    session = session_with_fit("schools", tmp_path_factory, SCHOOLS_FIT)
    answer = session.ask("what is the average slope?")
    assert not answer.ok
    assert "Which slope? The model has slopes for SES and school_size" in str(answer.error)


def test_same_effect_for_all_raters_tests_the_random_slope(tmp_path_factory):
    session = session_with_fit("ratings", tmp_path_factory, RATINGS_FIT)
    answer = ask_ok(session, "is the condition effect the same for all raters?")
    assert "Without the random slope of condition by rater" in answer.text()


@pytest.mark.parametrize(("request_text", "kind"), [
    ("report the random effects", "blups"),
    ("report the random slopes", "blups"),
    ("report the random effects table", "variance_components"),
    ("report random effect variances", "variance_components"),
    ("report the random effects correlation", "variance_components"),
])
def test_report_the_random_effects_reaches_its_report(request_text, kind):
    """'report' also opens a write-up of a model named by its structure ("report the random
    slope model for a paper"), which used to take 'random' for that name and refuse."""
    assert _step(request_text, SLEEP_COLUMNS)["kind"] == kind


@pytest.mark.parametrize(("request_text", "model"), [
    ("report the random slope model for a paper", "random_slope"),
    ("report model 2 for a journal", "2"),
    ("report both models for a paper", "all"),
    ("report it for a paper", None),
])
def test_report_a_named_model_for_a_paper_is_still_its_write_up(request_text, model):
    step = _step(request_text, SLEEP_COLUMNS)
    assert step["kind"] == "write_up" and step["model"] == model


def test_reported_random_effects_are_the_blups(sleep_fitted):
    session, direct = sleep_fitted
    answer = ask_ok(session, "report the random effects")
    first = next(e for e in direct.random_effects if e.term == "(Intercept)")
    assert f"{first.value:.1f}" in answer.text()
