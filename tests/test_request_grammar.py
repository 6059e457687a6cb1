"""The request grammar: the plan contract, clause cutting, and errors a person can use."""

import json
import time

import pytest

from grammar import ParseError, Plan, parse
from grammar.parse import EXAMPLE_REQUESTS, MAX_REQUEST_CHARS
from grammar.plan import FitLmm, random_part


def kinds(text: str) -> list[str]:
    return [step.kind for step in parse(text).steps]


def test_plan_matches_the_contract_example():
    plan = parse("LMM: pain ~ time + treatment + (1 | patient)")
    step = plan.to_dict()["steps"][0]
    assert plan.to_dict()["request"] == "LMM: pain ~ time + treatment + (1 | patient)"
    assert step["kind"] == "fit_lmm"
    assert step["formula"] == "pain ~ time + treatment + (1 | patient)"
    assert step["method"] == "REML"
    assert step["method_given"] is False
    json.dumps(plan.to_dict())  # JSON-safe


def test_method_is_none_unless_the_request_chooses_it():
    assert parse("fit y ~ x + (1 | g)").steps[0].method is None
    assert parse("fit y ~ x + (1 | g) using ML").steps[0].method == "ML"
    assert parse("fit y ~ x + (1 | g) with REML").steps[0].to_dict()["method_given"] is True


def test_ml_alone_is_a_session_option_and_inside_a_fit_belongs_to_the_fit():
    assert parse("with maximum likelihood").to_dict()["steps"] == [
        {"kind": "set_option", "name": "method", "value": "ML"}
    ]
    step = parse("fit a random intercept model with maximum likelihood").steps[0]
    assert isinstance(step, FitLmm) and step.method == "ML"


def test_formulas_are_canonical_lme4_text():
    assert parse("fit score~time+(1+time|id)").steps[0].formula == "score ~ time + (1 + time | id)"
    assert parse("LMM: y ~ a*b + (1 | g)").steps[0].formula == "y ~ a * b + (1 | g)"


def test_model_in_words_builds_the_full_formula():
    step = parse(
        "random intercept model of pain_score on time and treatment with patient as the "
        "grouping variable"
    ).steps[0]
    assert step.formula == "pain_score ~ time + treatment + (1 | patient)"


@pytest.mark.parametrize(
    ("structure", "expected"),
    [
        ("random_intercept", "(1 | id)"),
        ("random_slope", "(1 + time | id)"),
        ("intercept_and_slope", "(1 + time | id)"),
        ("uncorrelated_slope", "(1 + time || id)"),
    ],
)
def test_structures_have_one_definition(structure, expected):
    assert random_part(structure, "id", "time") == expected


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("fit the model; plot the residuals", ["fit_lmm", "plot_residuals"]),
        ("fit the model\nplot the residuals", ["fit_lmm", "plot_residuals"]),
        ("fit the model then plot the residuals", ["fit_lmm", "plot_residuals"]),
        ("fit the model and plot the residuals", ["fit_lmm", "plot_residuals"]),
        ("fit the model. Plot the residuals.", ["fit_lmm", "plot_residuals"]),
        ("center age and weight", ["transform"]),
    ],
)
def test_clauses_are_cut_at_separators_but_not_inside_lists(request_text, expected):
    assert kinds(request_text) == expected


def test_steps_said_in_two_breaths_are_merged():
    steps = parse("compare AIC/BIC; likelihood ratio test").to_dict()["steps"]
    assert steps == [
        {"kind": "compare_models", "criteria": ["AIC", "BIC", "LRT"], "models": [],
         "refit": "auto"}
    ]


def test_count_must_match_the_models_listed():
    with pytest.raises(ParseError, match="says 3 models but describes 2"):
        parse("fit 3 models: (1) random intercept, (2) random slope")


def test_every_example_request_parses():
    for example in EXAMPLE_REQUESTS:
        assert parse(example).steps, example


def test_describe_is_one_numbered_line_per_step():
    text = parse("use sample pain_trial; fit a random slope model; compare AIC").describe()
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0] == "1. Use a sample data set (name: pain_trial)"
    assert lines[1] == "2. Fit a linear mixed model (structure: random slope)"
    assert lines[2] == "3. Compare models (criteria: AIC; refit: auto)"
    assert Plan("", ()).describe() == "Nothing to do."


# --------------------------------------------------------------------- errors
def test_error_points_at_the_unknown_word_in_the_original_text():
    request = "fit the model; plot the raw zebras"  # "plot zebras" plots a column
    with pytest.raises(ParseError) as info:
        parse(request)
    err = info.value
    assert request[err.position:].startswith("zebras")
    assert err.expected
    assert "zebras" in str(err)


def test_error_expected_is_in_words_not_token_names():
    with pytest.raises(ParseError) as info:
        parse("set the optimizer to")
    assert "'" in info.value.expected or "a " in info.value.expected
    assert "__ANON" not in info.value.expected
    assert "NAME" not in info.value.expected


def test_error_at_the_start_lists_what_a_request_can_begin_with():
    with pytest.raises(ParseError) as info:
        parse("@@ fit a model")
    assert info.value.position == 0
    assert "fit" in info.value.expected


def test_an_unknown_first_word_without_a_formula_is_not_a_request_start():
    # no '~' anywhere, and the first word is no keyword: say how requests begin
    with pytest.raises(ParseError) as info:
        parse("frobnicate everything")
    assert info.value.position == 0
    assert "formula like y ~ x + (1 | g)" in info.value.expected


def test_suggestions_are_close_understood_requests():
    with pytest.raises(ParseError) as info:
        parse("caterpillar plott of random intercepts")
    suggestions = info.value.suggestions
    assert 1 <= len(suggestions) <= 3
    assert suggestions[0] == "caterpillar plot of random intercepts"
    for suggestion in suggestions:
        parse(suggestion)


@pytest.mark.parametrize(
    ("typo", "corrected"),
    [
        ("shwo the BLUPs", "show the BLUPs"),
        ("fit a randm slope model", "fit a random slope model"),
        ("LMM: y ~ x + (1 | g); reprot the ICC", "report the ICC"),
    ],
)
def test_a_misspelt_keyword_is_corrected_in_the_first_suggestion(typo, corrected):
    with pytest.raises(ParseError) as info:
        parse(typo)
    assert info.value.suggestions[0] == corrected


def test_positions_survive_normalisation():
    request = "What's the ICC; Kenward-Roger; plot the raw gizmo"
    with pytest.raises(ParseError) as info:
        parse(request)
    assert request[info.value.position:].startswith("gizmo")


def test_bad_formula_gets_the_formula_grammar_sentence():
    with pytest.raises(ParseError) as info:
        parse("LMM: y ~ x + system(x) + (1 | g)")
    assert "not allowed in a formula" in str(info.value)


def test_a_formula_without_random_effects_is_not_a_mixed_model():
    request = "fit the model; fit y ~ x + z"
    with pytest.raises(ParseError, match="no random-effects term") as info:
        parse(request)
    assert request[info.value.position:] == "y ~ x + z"


def test_overlong_request_is_refused_quickly():
    start = time.perf_counter()
    with pytest.raises(ParseError) as info:
        parse("fit " * 25_000)
    assert time.perf_counter() - start < 1.0
    assert f"{MAX_REQUEST_CHARS:,}" in str(info.value)


def test_deep_nesting_is_refused():
    with pytest.raises(ParseError, match="nests parentheses"):
        parse("fit y ~ " + "(" * 500 + "x" + ")" * 500)


@pytest.mark.parametrize("bad", ["", "   ", ";;", None, 42])
def test_empty_or_non_text_requests_raise_parse_error(bad):
    with pytest.raises(ParseError):
        parse(bad)
