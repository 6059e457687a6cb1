"""Requests written as a paragraph (grammar/study_description.py, assistant/steps/study.py):
sentences that describe the study are recorded, not run; the roles they name are checked
against the columns and used by later fits; chained asks run in order; and "which random
effects structure should I use?" fits the model and tests its random slope."""

from __future__ import annotations

import json

import pytest

from assistant.session import Session
from grammar.parse import ParseError, parse
from tests.conftest import ask_ok


def _kinds(text: str, columns: tuple[str, ...] = ()) -> list[str]:
    return [step.kind for step in parse(text, columns=columns).steps]


def test_description_sentences_become_one_step_each_and_requests_follow_in_order():
    plan = parse(
        "I have pain scores for 80 patients at 4 visits. First, fit a mixed model with time "
        "and treatment. Next, add a random slope for time. Finally, compare the two models."
    )
    assert [s.kind for s in plan.steps] == [
        "describe_study", "fit_lmm", "modify_model", "compare_models"
    ]
    described = plan.steps[0]
    assert described.sentence == "I have pain scores for 80 patients at 4 visits"
    assert described.implied == (("group", "patients"),)


def test_stated_roles_are_read_and_the_sentence_is_kept_as_typed():
    step = parse("My outcome is Reaction, measured on Days within Subject.").steps[0]
    assert step.sentence == "My outcome is Reaction, measured on Days within Subject"
    assert step.outcome == "Reaction"
    assert dict(step.implied) == {"time": "Days", "group": "Subject"}
    step = parse("rating is the outcome and rater is the grouping variable").steps[0]
    assert (step.outcome, step.group) == ("rating", "rater")
    step = parse("The outcome is test score and school is the cluster variable").steps[0]
    assert (step.outcome, step.group) == ("test score", "school")


@pytest.mark.parametrize("text", [
    "I have to test whether the treatment works",
    "I have pain scores and I want you to fit a model",
    "We have data, can you help",
])
def test_a_sentence_that_asks_for_something_is_never_taken_as_description(text):
    with pytest.raises(ParseError):
        parse(text)


def test_a_request_that_cannot_be_read_fails_whole_and_nothing_runs():
    session = Session(sample="pain_trial")
    answer = session.ask("The outcome is pain_score. Fit a random intercept model. Frobnicate it.")
    assert not answer.ok
    assert session.models == {}
    assert session.state.described_roles == {}


def test_described_roles_build_the_next_fit_and_the_answer_says_where_they_came_from():
    session = Session(sample="sleepstudy")
    first = ask_ok(session, "My outcome is Reaction, measured on Days within Subject.")
    assert session.state.described_roles == {
        "outcome": "Reaction", "time": "Days", "group": "Subject"
    }
    assert "as a description of your study" in first.text()
    fitted = ask_ok(session, "fit a random intercept model")
    model = session.models[1]
    assert model.fit.formula == "Reaction ~ Days + (1 | Subject)"
    outcome = fitted.steps[0].result
    assert outcome.built_from == "description"
    assert outcome.described_roles == {
        "outcome": "Reaction", "grouping factor": "Subject", "time": "Days"
    }
    assert "I built this formula from your description" in fitted.text()


def test_a_described_treatment_and_covariates_make_the_fixed_part(reference_dir):
    session = Session(sample="pain_trial")
    ask_ok(session, "The outcome is pain and the treatment is treatment. Time is in months. "
                    "The covariates are age and sex.")
    assert session.state.described_roles["outcome"] == "pain_score"  # "pain": a leading part
    ask_ok(session, "fit a random intercept model")
    assert session.models[1].fit.formula == (
        "pain_score ~ time + treatment + age + sex + (1 | patient)"
    )


def test_a_stated_role_that_names_no_column_is_one_sentence_naming_the_columns():
    session = Session(sample="schools")
    answer = session.ask("Students are nested in classrooms. Fit a random intercept model.")
    assert not answer.ok
    assert str(answer.error) == (
        "Your description names 'classrooms' as the grouping factor it is nested in, but "
        "the data have no such column; the columns are school, student, test_score, SES, "
        "school_size."
    )
    assert session.models == {}


def test_students_nested_in_schools_makes_school_the_grouping_factor():
    session = Session(sample="schools")
    ask_ok(session, "Students are nested in schools. The outcome is test_score.")
    assert session.state.described_roles == {"outcome": "test_score", "group": "school"}


def test_which_random_effects_structure_is_the_reml_lrt_of_the_slope(reference_dir):
    """Intercept only vs intercept + slope for sleepstudy: the likelihood-ratio statistic
    is twice the difference of lme4's REML log-likelihoods (reference cases
    sleepstudy_intercept and sleepstudy_slope), with 2 df (the slope variance and its
    correlation) and the boundary-corrected p."""
    cases = reference_dir / "cases"
    intercept = json.loads((cases / "sleepstudy_intercept.json").read_text())["logLik"]
    slope = json.loads((cases / "sleepstudy_slope.json").read_text())["logLik"]
    session = Session(sample="sleepstudy")
    answer = ask_ok(
        session,
        "My outcome is Reaction, measured on Days within Subject. Which random effects "
        "structure should I use?",
    )
    kinds = [o.kind for o in answer.steps]
    assert kinds[:2] == ["describe_study", "fit_lmm"]
    assert kinds[-1] == "random_effects_tests"
    assert session.models[1].fit.formula == "Reaction ~ Days + (1 | Subject)"
    assert session.models[1].fit.loglik == pytest.approx(intercept, rel=1e-6)
    tests = answer.steps[-1].result.result.tests
    assert len(tests) == 1
    assert tests[0].df == 2
    assert tests[0].lrt == pytest.approx(2 * (slope - intercept), rel=1e-4)
    assert tests[0].p_boundary < tests[0].p


def test_predictors_named_bare_after_with_and_a_structure_after_them():
    fit = parse("fit a mixed model with time and treatment and a random intercept per patient")
    step = fit.steps[0]
    assert (step.predictors, step.structure, step.group) == (
        ("time", "treatment"), "random_intercept", "patient"
    )
    step = parse("Fit a random intercept model for pain_score with time and treatment").steps[0]
    assert (step.response, step.predictors) == ("pain_score", ("time", "treatment"))
    assert _kinds("fit a mixed model with Days as predictors") == ["fit_lmm"]
