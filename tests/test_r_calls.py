"""R's calls on a fitted model (``confint(m1)``, ``anova(m1)``, ``rand(m1)``, …) read as
the steps that answer them, and calls to other functions refused with the list of those
read (grammar/r_calls.py). Nothing is evaluated."""

from __future__ import annotations

import json

import pytest

from assistant.session import Session
from grammar import parse
from grammar.errors import ParseError
from grammar.r_calls import SUPPORTED_CALLS
from tests.conftest import find_reference_dir

SLOPES = "fit Reaction ~ Days + (Days | Subject) called m1"


def kinds(request: str) -> list[tuple[str, dict]]:
    return [(s["kind"], {k: v for k, v in s.items() if k != "kind"})
            for s in parse(request).to_dict()["steps"]]


@pytest.mark.parametrize(
    ("request_text", "kind"),
    [
        ("fixef(m1)", "fixed_effects"),
        ("ranef(m1)", "blups"),
        ("VarCorr(m1)", "variance_components"),
        ("varcorr(m1)", "variance_components"),
        ("sigma(m1)", "variance_components"),
        ("vcov(m1)", "vcov"),
        ("anova(m1)", "anova"),
        ("rand(m1)", "random_effects_tests"),
        ("ranova(m1)", "random_effects_tests"),
        ("icc(m1)", "icc"),
        ("plot(m1)", "plot_residuals"),
    ],
)
def test_each_call_names_its_step_and_the_model(request_text, kind):
    [(step_kind, fields)] = kinds(request_text)
    assert step_kind == kind
    assert fields["model"] == "label:m1"


@pytest.mark.parametrize(
    ("request_text", "model"),
    [("confint()", None), ("confint(the model)", None), ("confint(model 2)", "2"),
     ("confint(m1)", "label:m1"), ("confint(baseline)", "label:baseline")],
)
def test_the_model_inside_the_parentheses_is_any_model_reference(request_text, model):
    [(kind, fields)] = kinds(request_text)
    assert kind == "confint"
    assert fields["model"] == model


def test_confint_uses_lme4s_default_profile_method_unless_told_otherwise():
    assert kinds("confint(m1)")[0][1]["method"] == "profile"
    fields = kinds('confint(m1, method = "Wald", level = 0.9)')[0][1]
    assert (fields["method"], fields["level"]) == ("wald", 0.9)
    assert kinds("confint(m1, level = 90)")[0][1]["level"] == 0.9


def test_anova_of_one_model_is_the_type_iii_table_and_of_several_the_ml_comparison():
    assert kinds("anova(m1)") == [("anova", {"model": "label:m1", "ddf": None})]
    assert kinds('anova(m1, ddf = "Kenward-Roger")')[0][1]["ddf"] == "kenward-roger"
    [(kind, fields)] = kinds("anova(m1, m2, m3)")
    assert kind == "compare_models"
    assert fields["models"] == ["label:m1", "label:m2", "label:m3"]
    assert fields["refit"] == "ml"
    assert kinds("anova(m1, m2, refit = FALSE)")[0][1]["refit"] == "none"


def test_summary_is_the_fixed_effects_and_the_variance_components():
    assert [k for k, _ in kinds("summary(m1)")] == ["fixed_effects", "variance_components"]


def test_r2_is_the_r2_table():
    assert kinds("r2(m1)") == [
        ("fit_statistics", {"model": "label:m1", "models": [], "measure": "r2"})
    ]


@pytest.mark.parametrize("call", ["simulate(m1)", "predict(m1)", "update(m1, . ~ . - Days)",
                                  "drop1(m1)", "fitted(m1)"])
def test_other_functions_are_refused_with_the_calls_read(call):
    with pytest.raises(ParseError) as err:
        parse(call)
    message = str(err.value)
    name = call.split("(")[0]
    assert f"{name}() is not one of the R calls I read" in message
    for supported in ("confint", "ranef", "anova", "VarCorr", "rand"):
        assert f"`{supported}()`" in message
    assert set(SUPPORTED_CALLS) <= {w.strip("`()") for w in message.replace(",", " ").split()}


def test_predict_call_points_to_the_words_that_predict():
    with pytest.raises(ParseError) as err:
        parse("predict(m1)")
    assert "`predict y at x 3`" in str(err.value)


@pytest.mark.parametrize(
    ("call", "words"),
    [('confint(m1, method = "bayes")',
      '`method = "profile"`, `method = "Wald"` or `method = "boot"`'),
     ("anova(m1, type = 2)", "anova() has no option `type`"),
     ("fixef(m1, add.dropped = TRUE)", "it takes only the model"),
     ("VarCorr(m1, m2)", "takes one model, but 2 were named"),
     ("confint(m1, level = 150)", "not a number between 0 and 1")],
)
def test_a_call_read_with_an_option_it_does_not_take_is_refused_plainly(call, words):
    with pytest.raises(ParseError) as err:
        parse(call)
    assert words in str(err.value)


def test_a_formula_with_a_function_of_the_outcome_is_still_a_model():
    [(kind, fields)] = kinds("log(Reaction) ~ Days + (1 | Subject)")
    assert kind == "fit_lmm" and fields["formula"].startswith("log(Reaction)")


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask(SLOPES).ok
    return session


def test_confint_of_a_named_model_gives_lme4s_profile_intervals(session):
    answer = session.ask("confint(m1)")
    assert answer.ok, answer.error
    result = answer.steps[0].result
    assert (result.kind, result.method) == ("confint", "profile")
    ours = result.table.set_index("parameter")
    ref = json.loads(
        (find_reference_dir() / "cases" / "sleepstudy_slope.json").read_text()
    )["confint_profile"]
    assert len(ours) == len(ref)
    for row in ref:
        name = row["parameter"]
        assert ours.loc[name, "lower"] == pytest.approx(row["lower"], rel=1e-2), name
        assert ours.loc[name, "upper"] == pytest.approx(row["upper"], rel=1e-2), name


def test_m1_names_model_1_when_no_model_has_that_label(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask("fit Reaction ~ Days + (Days | Subject)").ok
    answer = session.ask("anova(m1)")
    assert answer.ok, answer.error
    assert answer.steps[0].result.model.number == 1


def test_confint_boot_is_the_parametric_bootstrap_step():
    [(kind, fields)] = kinds('confint(m1, method = "boot", nsim = 200, level = 0.9)')
    assert kind == "bootstrap_confint"
    assert (fields["model"], fields["nsim"], fields["level"]) == ("label:m1", 200, 0.9)
    assert kinds('confint(m1, method = "boot")')[0][1]["nsim"] is None
    with pytest.raises(ParseError, match='goes with `method = "boot"`'):
        parse("confint(m1, nsim = 100)")


@pytest.mark.parametrize(
    "request_text",
    ["m1 <- lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy)",
     "m1 <- Reaction ~ Days + (Days | Subject)"],
)
def test_an_assignment_names_the_model(request_text):
    [(kind, fields)] = kinds(request_text)
    assert kind == "fit_lmm"
    assert fields["label"] == "m1"
    assert fields["formula"] == "Reaction ~ Days + (Days | Subject)"


def test_an_assigned_ml_fit_keeps_its_method():
    [(_, fields)] = kinds("m0 <- lmer(Reaction ~ Days + (1 | Subject), REML = FALSE)")
    assert (fields["label"], fields["method"]) == ("m0", "ML")


def test_models_assigned_in_r_are_compared_by_their_names(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    for request in ("slopes <- lmer(Reaction ~ Days + (Days | Subject))",
                    "intercepts <- lmer(Reaction ~ Days + (1 | Subject))"):
        assert session.ask(request).ok
    assert [m.label for m in session.models.values()] == ["slopes", "intercepts"]
    answer = session.ask("anova(intercepts, slopes)")
    assert answer.ok, answer.error
    comparison = answer.steps[0].result.comparison
    assert comparison.refitted_with_ml
    # lme4: anova(intercepts, slopes) refits with ML, chi-square 42.14 on 2 df
    assert comparison.table["Chisq"].dropna().iloc[0] == pytest.approx(42.139, abs=1e-2)
