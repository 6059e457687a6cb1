"""Undo, the history of requests, the last plan and the model formula, through the session."""

import json

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from assistant.session import Session
from assistant.session_steps import MAX_UNDO_POINTS, SessionHistory, UndoOutcome
from grammar.parse import parse

FIT = "LMM: pain_score ~ time + treatment + (1 | patient)"
SLOPE_FIT = "LMM: pain_score ~ time + (1 + time | patient)"
LONG_FIT = "LMM: pain ~ time + treatment + (1 | patient)"


def fit_dicts(session: Session) -> dict[int, dict]:
    return {n: json.dumps(m.fit.to_dict(), sort_keys=True) for n, m in session.models.items()}


def only_result(answer):
    (outcome,) = [o for o in answer.steps if o.ok]
    return outcome.result


def test_undo_of_a_reshape_gives_back_the_wide_data():
    session = Session(sample="pain_wide")
    wide = session.data.copy()
    assert session.ask("reshape from wide to long format first").ok
    assert session.data.shape[0] > wide.shape[0]
    answer = session.ask("undo")
    assert answer.ok
    assert session.current_data_name == "pain_wide"
    assert list(session.datasets) == ["pain_wide"]
    assert_frame_equal(session.data, wide)
    text = answer.text()
    assert text.startswith("Undid `reshape from wide to long format first`")
    assert f"{wide.shape[0]} rows and {wide.shape[1]} columns" in text


def test_fit_then_reshape_then_undo_restores_data_and_models():
    session = Session(sample="pain_wide")
    assert session.ask("reshape from wide to long format first").ok
    assert session.ask(LONG_FIT).ok
    long_data = session.data.copy()
    models_before = fit_dicts(session)
    assert session.ask("center age").ok
    assert session.data["age"].mean() == pytest.approx(0, abs=1e-9)
    answer = session.ask("undo")
    assert answer.ok
    assert_frame_equal(session.data, long_data)
    assert fit_dicts(session) == models_before
    assert "has its earlier values again" in answer.text()


def test_undo_of_a_fit_removes_the_model_and_reuses_its_number():
    session = Session(sample="pain_trial")
    session.ask(FIT)
    first = fit_dicts(session)
    session.ask(SLOPE_FIT)
    assert sorted(session.models) == [1, 2]
    answer = session.ask("undo the last step")
    assert sorted(session.models) == [1]
    assert fit_dicts(session) == first
    change = only_result(answer).change
    assert [m.number for m in change.models_removed] == [2]
    assert change.next_model_number == 2
    assert "the next model fitted will be model 2" in answer.text()
    session.ask(SLOPE_FIT)
    assert sorted(session.models) == [1, 2]
    assert session.models[2].fit.formula == SLOPE_FIT.removeprefix("LMM: ")


def test_undo_twice_goes_back_two_requests():
    session = Session(sample="pain_trial")
    session.ask(FIT)
    session.ask("use ML")
    session.ask(SLOPE_FIT)
    assert session.options.method == "ML"
    first = session.ask("undo")
    second = session.ask("go back")
    assert only_result(first).request == SLOPE_FIT
    assert only_result(second).request == "use ML"
    assert session.options.method == "REML"
    assert sorted(session.models) == [1]
    assert "the estimation method is REML again" in second.text()
    session.ask("undo")
    assert session.models == {}
    assert len(session.journal.undo_points) == 0


def test_undo_with_nothing_to_undo_is_one_plain_sentence():
    session = Session(sample="pain_trial")
    data = session.data
    answer = session.ask("undo")
    assert answer.ok and answer.error is None
    assert session.data is data
    text = answer.text()
    assert text == ("There is nothing to undo: no request has changed the data, the models "
                    "or the options yet.")
    session.ask(FIT)
    session.ask("undo")
    again = session.ask("revert the last change")
    assert again.ok
    assert "as they were at the start of the session" in again.text()
    assert isinstance(only_result(again), UndoOutcome) and only_result(again).request is None


def test_reading_requests_add_no_undo_point():
    session = Session(sample="pain_trial")
    session.ask(FIT)
    session.ask("LMM: pain_score ~ time + (1 | patient)")
    assert len(session.journal.undo_points) == 2
    for request in ("show the fixed effects", "compare AIC/BIC; likelihood ratio test",
                    "what is the ICC of model 1?", "show the history", "show me the plan",
                    "show the model formula"):
        assert session.ask(request).ok, request
    assert len(session.journal.undo_points) == 2
    session.ask("undo")
    assert sorted(session.models) == [1]


def test_failed_request_adds_no_undo_point_and_no_history_entry():
    session = Session(sample="pain_trial")
    session.ask(FIT)
    failed = session.ask("LMM: no_such_column ~ time + (1 | patient)")
    assert not failed.ok
    assert len(session.journal.undo_points) == 1
    history = only_result(session.ask("show the history"))
    assert [e.request for e in history.entries] == [FIT]
    assert history.n_failed == 1
    undo = session.ask("undo")
    assert only_result(undo).request == FIT


def test_a_request_that_stops_partway_can_be_undone():
    session = Session(sample="pain_trial")
    data = session.data
    answer = session.ask("center age; LMM: no_such_column ~ time + (1 | patient)")
    assert not answer.ok
    assert session.data is not data  # the centring ran before the failing step
    history = only_result(session.ask("what have we done so far?"))
    assert len(history.entries) == 1 and history.entries[0].stopped
    session.ask("undo")
    assert session.data is data


def test_history_lists_exactly_the_requests_that_ran_in_order():
    session = Session(sample="pain_trial")
    requests = [FIT, "show the fixed effects", "use ML", SLOPE_FIT]
    for request in requests:
        assert session.ask(request).ok
    session.ask("this is not a request at all")
    session.ask("undo")
    answer = session.ask("what did you just do?")
    history = only_result(answer)
    assert isinstance(history, SessionHistory)
    assert [e.request for e in history.entries] == [*requests, "undo"]
    assert [e.undone for e in history.entries] == [False, False, False, True, False]
    assert history.n_failed == 1
    text = answer.text()
    assert "fitted model 1: `pain_score ~ time + treatment + (1 | patient)` by REML " \
           "(287 rows used)" in text
    assert "fitted model 2: `pain_score ~ time + (1 + time | patient)` by ML" in text
    assert "set the estimation method to ML" in text
    assert "reported the fixed effects of model 1" in text
    assert f"undid `{SLOPE_FIT}`" in text
    # asking for the history again lists the same requests: reading it adds nothing
    again = only_result(session.ask("show the history"))
    assert [e.request for e in again.entries] == [e.request for e in history.entries]


def test_show_plan_gives_the_plan_rendering_of_the_last_request():
    session = Session(sample="pain_trial")
    first = session.ask("show the plan")
    assert first.text() == "No request has been read yet, so there is no plan to show."
    request = f"{FIT}; show the fixed effects and the ICC"
    session.ask(request)
    n_models = len(session.models)
    for words in ("show me the plan", "what was the plan?", "show the plan of the last request"):
        answer = session.ask(words)
        assert answer.ok
        shown = only_result(answer)
        assert shown.request == request
        assert answer.text() == (f"The plan of `{request}`:\n\n"
                                 + parse(request).describe())
    assert len(session.models) == n_models  # nothing ran again


def test_formula_of_model_two_names_model_two():
    session = Session(sample="pain_trial")
    session.ask(FIT)
    session.ask(SLOPE_FIT)
    answer = session.ask("what is the formula of model 2?")
    assert answer.ok
    text = answer.text()
    assert "Model 2" in text and "pain_score ~ time + (1 + time | patient)" in text
    assert "treatment" not in text
    assert "restricted maximum likelihood (REML)" in text and "BOBYQA" in text
    assert "287 rows of `pain_trial`" in text
    latest = session.ask("which formula did you fit?").text()
    assert latest == text
    first = session.ask("show the model formula of model 1").text()
    assert "pain_score ~ time + treatment + (1 | patient)" in first
    (item,) = session.ask("show the formula of model 1").to_json()
    assert item["formula"] == "pain_score ~ time + treatment + (1 | patient)"
    assert item["nobs"] == 287 and item["method"] == "REML"


def test_formula_of_a_missing_model_is_one_sentence():
    session = Session(sample="pain_trial")
    session.ask(FIT)
    answer = session.ask("what is the formula of model 3?")
    assert not answer.ok
    assert "Traceback" not in answer.text() and "Internal" not in answer.text()


def test_undo_keeps_the_output_folder(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path / "before")
    session.ask("use ML")
    session.options.output_dir = tmp_path / "after"
    session.ask("undo")
    assert session.options.method == "REML"
    assert session.options.output_dir == tmp_path / "after"


def test_undo_points_are_bounded():
    session = Session(sample="pain_trial")
    for index in range(MAX_UNDO_POINTS + 3):
        session.ask("use ML" if index % 2 == 0 else "use REML")
    assert len(session.journal.undo_points) == MAX_UNDO_POINTS
    for _ in range(MAX_UNDO_POINTS):
        assert only_result(session.ask("undo")).request is not None
    last = session.ask("undo")
    assert "older ones are gone" in last.text()


def test_session_steps_are_in_the_plan_json_and_answer_json():
    plan = parse("undo, then show the history").to_dict()
    assert [s["kind"] for s in plan["steps"]] == ["undo", "show_history"]
    session = Session(sample="pain_trial")
    session.ask(FIT)
    items = session.ask("undo and show the history").to_json()
    assert items[0]["kind"] == "undo" and items[0]["undone_request"] == FIT
    assert items[0]["change"]["models_removed"][0]["number"] == 1
    assert items[1]["kind"] == "history"
    assert [e["request"] for e in items[1]["entries"]] == [FIT]
    assert items[1]["entries"][0]["undone"] is True
    json.dumps(items, allow_nan=False)


def test_undo_inside_a_request_keeps_the_later_steps_as_their_own_change():
    session = Session(sample="pain_trial")
    session.ask(FIT)
    answer = session.ask(f"undo; {SLOPE_FIT}")
    assert answer.ok
    assert [m.fit.formula for m in session.models.values()] == [
        SLOPE_FIT.removeprefix("LMM: ")]
    assert session.models[1].number == 1
    session.ask("undo")  # removes the slope model, leaves the first undo in force
    assert session.models == {}
    assert isinstance(session.data, pd.DataFrame)


def test_undo_twice_in_one_request_undoes_two_requests():
    session = Session(sample="pain_trial")
    session.ask(FIT)
    session.ask("use ML")
    session.ask(SLOPE_FIT)
    answer = session.ask("undo twice")
    assert [o.kind for o in answer.steps] == ["undo", "undo"]
    assert [o.result.request for o in answer.steps] == [SLOPE_FIT, "use ML"]
    assert sorted(session.models) == [1] and session.options.method == "REML"
    text = answer.text()
    assert text.index(f"Undid `{SLOPE_FIT}`") < text.index("Undid `use ML`")
    session.ask("undo the last 5 steps")
    assert session.models == {}


def test_undo_of_more_steps_than_kept_is_refused_by_the_grammar():
    from grammar.parse import ParseError

    with pytest.raises(ParseError, match="1 to 20"):
        parse("undo the last 50 steps")
