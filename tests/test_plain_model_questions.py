"""Plain-word questions about a fitted model, each answered by an existing step:
heteroscedasticity (the residual checks' spread numbers), an uncorrelated refit, the
comparison with the model without the random slope (REML likelihood ratio, the fixed
effects being the same), OLS, per-subject fitted lines, the SD of the slopes and the
number of subjects. Numbers are checked against the lme4 reference (sleepstudy)."""

from __future__ import annotations

import json
from functools import cache

import pytest

from assistant.session import Session
from engine.residual_checks import check_residuals
from grammar import parse
from tests.conftest import find_reference_dir

SLOPES = "fit Reaction ~ Days + (Days | Subject) called m1"


@cache
def case(name: str) -> dict:
    return json.loads((find_reference_dir() / "cases" / f"{name}.json").read_text())


def steps(request: str) -> list[dict]:
    return parse(request).to_dict()["steps"]


@pytest.mark.parametrize("request_text", [
    "is there heteroscedasticity?", "check for heteroskedasticity", "any heteroscedasticity?",
    "is the residual variance constant?", "do we have unequal variances?",
    "is there a funnel shape?",
])
def test_heteroscedasticity_questions_are_the_residual_plots_led_by_the_spread(request_text):
    [step] = steps(request_text)
    assert step == {"kind": "plot_residuals", "model": None, "which": "all",
                    "question": "spread"}


def test_heteroscedasticity_of_a_named_model():
    assert steps("check for heteroscedasticity in model 2")[0]["model"] == "2"


@pytest.mark.parametrize("request_text", ["fit an uncorrelated model",
                                          "fit the independent model"])
def test_an_uncorrelated_model_is_the_current_model_with_double_bars(request_text):
    assert steps(request_text) == [
        {"kind": "modify_model", "operation": "uncorrelated", "variables": [], "model": None,
         "group": None}
    ]


def test_compare_with_a_model_without_the_random_slope_fits_it_then_tests_the_two():
    first, second = steps("compare with a model without random slope")
    assert (first["kind"], first["operation"], first["model"]) == (
        "modify_model", "remove_random_slope", None)
    assert second == {"kind": "compare_models", "criteria": ["LRT"],
                      "models": ["before_last", "last"], "refit": "auto"}
    first, second = steps("compare model 2 with a model without the random slope for Days")
    assert (first["model"], first["variables"]) == ("2", ["Days"])
    assert second["models"] == ["2", "last"]


@pytest.mark.parametrize("request_text", ["what would OLS give?", "how does OLS compare?",
                                          "what would ordinary least squares give"])
def test_ols_questions_are_the_side_by_side_with_ols(request_text):
    assert [s["kind"] for s in steps(request_text)] == ["compare_ols"]


@pytest.mark.parametrize("request_text", [
    "what is the standard deviation of the slopes?", "sd of the random slopes",
    "what is the SD of the Days slopes", "variance of the intercepts",
])
def test_the_sd_of_the_slopes_is_the_variance_components(request_text):
    assert [s["kind"] for s in steps(request_text)] == ["variance_components"]


@pytest.mark.parametrize(("request_text", "per"), [("how many subjects?", "subjects"),
                                                   ("how many observations?", None)])
def test_how_many_is_the_observation_count(request_text, per):
    [step] = steps(request_text)
    assert (step["kind"], step["per"]) == ("missing_data", per)


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask(SLOPES).ok
    return session


def ask(session: Session, request: str):
    answer = session.ask(request)
    assert answer.ok, answer.error
    return answer


def test_heteroscedasticity_answer_gives_the_spread_numbers(session):
    answer = ask(session, "is there heteroscedasticity?")
    [outcome] = answer.steps
    assert outcome.result.kind == "residual_spread"
    checks = check_residuals(session.models[1].fit)
    assert outcome.result.result.checks.sd_ratio_top_bottom == checks.sd_ratio_top_bottom
    assert "funnel" not in checks.codes and checks.sd_ratio_top_bottom > 1.5
    text = answer.text()
    assert f"{checks.sd_ratio_top_bottom:.2f} times that among the lowest third" in text
    assert text.split(": ", 1)[1].startswith("Not clearly")
    assert answer.figures


def test_the_fitted_lines_for_each_subject_overlay_the_subjects_blup_lines(session):
    answer = ask(session, "plot the fitted lines for each subject")
    figure = answer.steps[0].result.result
    assert figure.overlay_blups and figure.by is None
    assert figure.n_subjects == 18


def test_the_uncorrelated_model_is_lme4s(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask(session, SLOPES)
    ask(session, "fit an uncorrelated model")
    fit = session.models[2].fit
    ref = case("sleepstudy_uncorrelated")
    assert fit.formula == "Reaction ~ Days + (1 + Days || Subject)"
    assert fit.criterion == pytest.approx(ref["criterion"], rel=1e-6)


def test_comparing_with_the_model_without_the_slope_is_the_reml_lrt(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask(session, SLOPES)
    answer = ask(session, "compare with a model without random slope")
    comparison = answer.steps[-1].result.comparison
    assert comparison.criterion == "REML" and not comparison.refitted_with_ml
    expected = case("sleepstudy_intercept")["criterion"] - case("sleepstudy_slope")["criterion"]
    chisq = comparison.table["Chisq"].dropna()
    assert list(chisq) == [pytest.approx(expected, rel=1e-5)]
    assert sorted(m.number for m in answer.steps[-1].result.models) == [1, 2]


def test_what_would_ols_give(session):
    answer = ask(session, "what would OLS give?")
    assert answer.steps[0].result.kind == "ols_side_by_side"


def test_how_many_subjects_counts_the_levels(session):
    text = ask(session, "how many subjects?").text()
    assert "from 18 levels of Subject" in text
