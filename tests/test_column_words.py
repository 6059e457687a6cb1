"""Column words in plain-word requests (assistant.column_words): exact, then any case,
then with spaces, underscores, dots and hyphens read alike; formulas stay exact."""

from __future__ import annotations

import pandas as pd
import pytest

from assistant.column_words import ColumnReading, resolve_column_word, resolve_step_columns
from assistant.errors import AssistantError
from assistant.session import Session
from grammar.parse import parse
from grammar.plan import Blups, FitLmm, ModifyModel, Predict

SCHOOL_COLUMNS = ["school", "student", "test_score", "SES", "school_size"]
FIT = "fit test_score ~ SES + (1 | school)"


def test_exact_name_needs_no_reading():
    assert resolve_column_word("SES", SCHOOL_COLUMNS) is None


def test_case_is_ignored_when_one_column_matches():
    assert resolve_column_word("ses", SCHOOL_COLUMNS) == ColumnReading("ses", "SES", "case")


@pytest.mark.parametrize("word", ["school size", "School-Size", "school.size", "school  size"])
def test_separators_are_read_alike(word):
    reading = resolve_column_word(word, SCHOOL_COLUMNS)
    assert reading == ColumnReading(word, "school_size", "separators")


def test_a_word_no_column_matches_is_left_to_the_step():
    assert resolve_column_word("schools", SCHOOL_COLUMNS) is None


def test_two_columns_that_differ_in_case_are_refused_with_both_named():
    with pytest.raises(AssistantError) as err:
        resolve_column_word("ses", ["SES", "Ses", "score"])
    assert "'SES' or 'Ses'" in str(err.value)


def test_two_columns_that_differ_in_separators_are_refused():
    with pytest.raises(AssistantError) as err:
        resolve_column_word("school size", ["school_size", "school.size"])
    assert "'school_size' or 'school.size'" in str(err.value)


def test_an_exact_match_wins_over_looser_ones():
    assert resolve_column_word("ses", ["ses", "SES"]) is None


def test_step_fields_interactions_and_squares_are_resolved():
    step = ModifyModel("add_covariate", ("school size:ses", "I(ses^2)"), None, "schools")
    resolved, readings = resolve_step_columns(step, SCHOOL_COLUMNS)
    assert resolved.variables == ("school_size:SES", "I(SES^2)")
    assert resolved.group == "schools"  # a plural is the step's own business
    assert [(r.word, r.column) for r in readings] == [("school size", "school_size"),
                                                      ("ses", "SES")]


def test_prediction_values_are_not_columns():
    resolved, _ = resolve_step_columns(Predict(at=(("ses", "1"),)), SCHOOL_COLUMNS)
    assert resolved.at == (("SES", "1"),)


def test_the_formula_of_a_fit_is_never_touched():
    step = FitLmm(formula="test_score ~ ses + (1 | school)")
    resolved, readings = resolve_step_columns(step, SCHOOL_COLUMNS)
    assert resolved is step and readings == ()


def test_steps_without_column_fields_pass_through():
    step = Blups(group="schools", order="highest")
    assert resolve_step_columns(step, SCHOOL_COLUMNS) == (step, ())


@pytest.fixture(scope="module")
def schools() -> Session:
    session = Session(sample="schools")
    assert session.ask(FIT).ok
    return session


def test_a_random_slope_for_ses_is_one_for_SES_and_the_answer_says_so(schools):
    answer = schools.ask("add a random slope for ses")
    assert answer.ok, answer.error
    assert answer.steps[0].step.variables == ("SES",)
    assert schools.models[len(schools.models)].fit.formula == (
        "test_score ~ SES + (1 + SES | school)"
    )
    text = answer.text()
    assert text.count("I took 'ses' to mean the column SES.") == 1


def test_centre_ses_within_schools(schools):
    answer = schools.ask("centre ses within schools")
    assert answer.ok, answer.error
    assert "SES_within" in schools.data.columns
    assert "I took 'ses' to mean the column SES." in answer.text()


def test_a_column_written_in_words_is_read_as_one_name():
    plan = parse("add school size", columns=SCHOOL_COLUMNS)
    assert plan.steps[0].variables == ("school size",)
    session = Session(sample="schools")
    assert session.ask(FIT).ok
    answer = session.ask("add school size")
    assert answer.ok, answer.error
    assert session.models[2].fit.formula == "test_score ~ SES + school_size + (1 | school)"
    assert "I took 'school size' to mean the column school_size." in answer.text()


def test_a_typed_formula_keeps_exact_names_with_a_hint():
    session = Session(sample="schools")
    answer = session.ask("fit test_score ~ ses + (1 | school)")
    assert not answer.ok
    assert str(answer.error) == "The data has no column 'ses'; did you mean 'SES'?"


def test_an_ambiguous_word_stops_the_step_and_lists_the_candidates():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "g": list("aabbcc"),
                         "Ses": [1.0, 2, 3, 4, 5, 7], "SES": [2.0, 1, 4, 3, 6, 5]})
    session = Session(data=data)
    answer = session.ask("center ses")
    assert not answer.ok
    assert "'ses' could mean the column 'Ses' or 'SES'" in str(answer.error)


def test_a_questions_words_go_through_the_same_rule_first():
    from assistant.column_words import columns_for_words

    assert columns_for_words("ses", SCHOOL_COLUMNS) == ["SES"]
    assert columns_for_words("school size", SCHOOL_COLUMNS) == ["school_size"]
    # the exact name wins where the stems alone would tie ("Day" and "Days")
    assert columns_for_words("Days", ["Day", "Days"]) == ["Days"]
    assert columns_for_words("reaction time", ["Reaction", "Days", "Subject"]) == ["Reaction"]
