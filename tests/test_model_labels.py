"""Models named at their fit ("... called baseline") are referred to by that name.

The plans are in tests/corpus/requests.json; here the answers: a comparison by names
gives the very numbers of the comparison by numbers (and lme4's, after an ML refit),
other steps reach the named model, and an unknown name gets one plain sentence that
leaves the session as it was.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from session_state import assert_same_state, snapshot

from assistant.cli import main
from assistant.errors import AssistantError
from assistant.session import Session
from grammar import ParseError, parse
from tests.conftest import ask_ok, find_reference_dir
from tests.test_reference_cases import rel_err

BASELINE = "LMM: Reaction ~ Days + (1 | Subject) called baseline"
UNCORRELATED = "LMM: Reaction ~ Days + (Days || Subject) called 'no correlation'"
SLOPES = "LMM: Reaction ~ Days + (Days | Subject) called slopes"
TABLE_COLUMNS = ["npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "p", "p_boundary"]



@pytest.fixture(scope="module")
def sleep(tmp_path_factory) -> Session:
    """sleepstudy with model 1 'baseline' and model 2 'slopes' (both REML)."""
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("figures"))
    ask_ok(session, BASELINE)
    ask_ok(session, SLOPES)
    return session


def comparison(session: Session, request: str):
    answer = ask_ok(session, request)
    (outcome,) = [o for o in answer.steps if o.kind == "compare_models"]
    return outcome.result


def test_labels_are_kept_and_titled(sleep):
    assert [(m.number, m.label) for m in sleep.models.values()] == [(1, "baseline"), (2, "slopes")]
    assert sleep.models[1].title == "Model 1 (baseline)"


@pytest.mark.parametrize(
    "request_text",
    [
        "compare baseline and slopes",
        "compare model baseline to model slopes",
        "compare the baseline model and the slopes model",
        "compare BASELINE vs Slopes",
        "compare slopes and baseline",
        'compare "baseline" with `slopes`',
        "is slopes better than baseline?",
    ],
)
def test_comparison_by_names_gives_the_numbers_of_the_comparison_by_numbers(sleep, request_text):
    by_numbers = comparison(sleep, "compare models 1 and 2")
    by_names = comparison(sleep, request_text)
    assert [m.number for m in by_names.models] == [1, 2]
    assert by_names.criteria == by_numbers.criteria == ("AIC", "BIC", "LRT")
    ours, theirs = by_names.comparison, by_numbers.comparison
    assert ours.refitted_with_ml == theirs.refitted_with_ml is False
    pd.testing.assert_frame_equal(ours.table[TABLE_COLUMNS], theirs.table[TABLE_COLUMNS])
    # The REML comparison of (1 | Subject) with (Days | Subject): two more parameters.
    row = ours.table.iloc[1]
    assert row["Df"] == 2 and row["Chisq"] == pytest.approx(42.84, abs=0.01)
    assert row["p"] < 1e-9


def test_lrt_by_names_names_the_models_in_the_answer(sleep):
    answer = ask_ok(sleep, "compare baseline with slopes using LRT")
    by_numbers = comparison(sleep, "compare models 1 and 2 with LRT")
    (outcome,) = answer.steps
    assert outcome.result.criteria == ("LRT",)
    pd.testing.assert_frame_equal(
        outcome.result.comparison.table[TABLE_COLUMNS], by_numbers.comparison.table[TABLE_COLUMNS]
    )
    text = answer.text()
    assert "1: baseline" in text and "2: slopes" in text
    assert "Model 2 vs model 1: χ²(2) = 42.84" in text


def test_ml_comparison_by_names_reproduces_lme4_anova(tmp_path):
    ref = json.loads(
        (find_reference_dir() / "comparisons" / "sleepstudy_structures.json").read_text()
    )
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    for request in (BASELINE, UNCORRELATED, SLOPES):
        ask_ok(session, request)
    result = comparison(
        session, "compare baseline, 'no correlation' and slopes after refitting with ML"
    )
    table = result.comparison.table
    assert result.comparison.refitted_with_ml
    assert list(table["formula"]) == [r["formula"] for r in ref["rows"]]
    for (_, row), r in zip(table.iterrows(), ref["rows"], strict=True):
        for column in ("AIC", "BIC", "logLik", "deviance"):
            assert rel_err(row[column], r[column]) < 1e-6, (r["formula"], column)
        if r["Chisq"] is None:
            continue
        assert row["Df"] == r["Df"]
        assert abs(row["Chisq"] - r["Chisq"]) < 1e-2 * max(r["Chisq"], 1e-2)
        assert abs(row["p"] - r["p"]) < 1e-8 or rel_err(row["p"], r["p"]) < 1e-2


def test_reports_by_name_reach_the_named_model(sleep):
    by_name = ask_ok(sleep, "show the fixed effects of model baseline").steps[0].result
    by_number = ask_ok(sleep, "show the fixed effects of model 1").steps[0].result
    assert by_name.model.number == 1
    assert by_name.to_dict() == by_number.to_dict()
    variance = ask_ok(sleep, "report the variance components of the slopes model")
    assert variance.steps[0].result.model.number == 2


def test_caterpillar_plot_for_a_named_model(sleep):
    answer = ask_ok(sleep, "caterpillar plot for model slopes")
    (outcome,) = answer.steps
    assert outcome.result.model.number == 2
    assert outcome.figures and all(path.is_file() for path in outcome.figures)


def test_refit_by_name_refits_that_model_with_ml(tmp_path):
    ref = json.loads(
        (find_reference_dir() / "comparisons" / "sleepstudy_structures.json").read_text()
    )
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, BASELINE)
    ask_ok(session, SLOPES)
    ask_ok(session, "refit model baseline with ML")
    refitted = session.models[3]
    assert refitted.fit.formula == "Reaction ~ Days + (1 | Subject)"
    assert refitted.fit.method == "ML"
    assert rel_err(refitted.fit.loglik, ref["rows"][0]["logLik"]) < 1e-6


def test_a_name_with_spaces_in_quotes_or_backticks(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 | Subject) called `my model`")
    ask_ok(session, SLOPES)
    assert session.models[1].label == "my model"
    for request in ('compare "my model" and slopes', "compare `My Model` to model slopes"):
        result = comparison(session, request)
        assert [m.number for m in result.models] == [1, 2]


def test_a_name_spelled_like_a_keyword_works_in_quotes(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, 'LMM: Reaction ~ Days + (1 | Subject) called "random slope"')
    ask_ok(session, SLOPES)
    result = comparison(session, 'compare "random slope" and slopes')
    assert [m.number for m in result.models] == [1, 2]
    # Unquoted, the words keep their meaning: the model with a random slope (model 2).
    assert parse("compare the random slope model to model 1").steps[0].models == (
        "random_slope",
        "1",
    )


def test_the_latest_model_of_a_name_is_meant(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, BASELINE)
    ask_ok(session, "LMM: Reaction ~ Days + (Days | Subject) called baseline")
    answer = ask_ok(session, "show the fixed effects of the baseline model")
    assert answer.steps[0].result.model.number == 2


# ----------------------------------------------------------------- unknown names
def assert_refused(session: Session, request: str, expected: str) -> None:
    before = snapshot(session)
    answer = session.ask(request)
    assert not answer.ok
    assert isinstance(answer.error, AssistantError)
    assert str(answer.error) == expected
    assert "Traceback" not in answer.text() + answer.text("detailed")
    assert_same_state(before, session)


def test_a_misspelt_name_gets_the_closest_name_and_the_list(sleep):
    assert_refused(
        sleep,
        "compare baselin and slopes",
        "There is no model called 'baselin'; did you mean 'baseline'? "
        "The models are 1 (baseline) and 2 (slopes).",
    )


def test_an_unknown_name_lists_the_models(sleep):
    assert_refused(
        sleep,
        "refit model zebra with ML",
        "There is no model called 'zebra'. The models are 1 (baseline) and 2 (slopes). "
        "Refer to one by its name or number, e.g. `model 2`.",
    )


def test_a_name_when_no_model_has_one_says_how_to_name_models(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 | Subject)")
    assert_refused(
        session,
        "show the BLUPs of model baseline",
        "There is no model called 'baseline': no model has been given a name. "
        "The only model is 1 (random intercept model). Refer to one by number, e.g. "
        "`model 1`, or name a model when you fit it (`... called baseline`).",
    )


def test_an_unknown_name_through_lmm_ask_is_exit_status_2_without_traceback():
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["ask", "--sample", "sleepstudy", BASELINE, SLOPES, "compare baseline and slope"],
        stdout=out,
        stderr=err,
    )
    assert status == 2
    assert "Traceback" not in out.getvalue() + err.getvalue()
    assert err.getvalue() == (
        "lmm: request 3: There is no model called 'slope'; did you mean 'slopes'? "
        "The models are 1 (baseline) and 2 (slopes).\n"
    )


def test_names_work_through_lmm_ask():
    out, err = io.StringIO(), io.StringIO()
    status = main(
        ["ask", "--sample", "sleepstudy", BASELINE, SLOPES, "compare baseline and slopes"],
        stdout=out,
        stderr=err,
    )
    assert status == 0, err.getvalue()
    assert "1: baseline" in out.getvalue() and "2: slopes" in out.getvalue()


# ----------------------------------------------------------------- the grammar side
def test_a_bare_word_that_misspells_a_model_word_is_not_taken_for_a_name():
    with pytest.raises(ParseError) as caught:
        parse("compare the AIC of the modles")
    assert "Did you mean" in str(caught.value)
    assert parse('compare "modles" and baseline').steps[0].models == (
        "label:modles",
        "label:baseline",
    )


def test_after_the_words_of_a_change_a_name_is_a_column_unless_model_says_otherwise():
    (step,) = parse("add a random slope for Days to model baseline").steps
    assert (step.variables, step.model) == (("Days",), "label:baseline")
    (step,) = parse("add a random slope for time by subject").steps
    assert (step.variables, step.group, step.model) == (("time",), "subject", None)


def test_the_plan_shows_names_in_quotes():
    text = parse("compare baseline and model 2; refit model `my model` with ML").describe()
    assert "models: 'baseline', 2" in text
    assert "model: 'my model'" in text


def test_a_parse_error_where_a_model_is_expected_speaks_of_model_names():
    with pytest.raises(ParseError) as caught:
        parse("compare baseline and (")
    assert (
        "Expected one of a model's name, a quoted model name, a number, 'all'"
        in str(caught.value)
    )
    assert "column" not in str(caught.value)
    with pytest.raises(ParseError) as caught:
        parse("show the fixed effects for subject")
    assert (
        "Expected 'model' after a model's name (`the subject model` or `model subject`)."
        in str(caught.value)
    )
    # Where a column can come as well as a model, both are said.
    with pytest.raises(ParseError) as caught:
        parse("remove the random slope for")
    assert "Expected one of a column name, a quoted model name" in str(caught.value)


def test_r_assignment_names_the_model(tmp_path):
    """``m0 <- lmer(...)`` as in R: the label reaches later steps (``anova(m0, m1)``)."""
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "m0 <- lmer(Reaction ~ Days + (1 | Subject), data = sleepstudy)")
    ask_ok(session, "m1 = lmer(Reaction ~ Days + (Days | Subject))")
    assert [(m.number, m.label) for m in session.models.values()] == [(1, "m0"), (2, "m1")]
    named = comparison(session, "compare m0 and m1")
    numbered = comparison(session, "compare models 1 and 2")
    assert named.to_dict() == numbered.to_dict()
