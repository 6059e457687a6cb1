"""The executor: copy-on-write steps, model references, formulas built from words."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from assistant import executor
from assistant.errors import AssistantError
from assistant.model_building import classify_structure, modify_formula
from assistant.references import NO_DATA, NO_MODEL, resolve
from assistant.session import Session
from grammar.formula import parse_formula

PAIN = "pain_score ~ time + treatment + (1 | patient)"


def step(kind: str, **fields):
    return SimpleNamespace(kind=kind, **fields)


def plan(*steps):
    return SimpleNamespace(request="test", steps=steps)


def snapshot(session: Session) -> dict:
    """Everything a step may change, in a form that compares by value."""
    return {
        "datasets": {name: frame.copy() for name, frame in session.datasets.items()},
        "current": session.current_data_name,
        "models": {n: (m.fit.formula, id(m.fit)) for n, m in session.models.items()},
        "options": session.options.to_dict(),
    }


def assert_same_state(before: dict, session: Session) -> None:
    after = snapshot(session)
    assert after["current"] == before["current"]
    assert after["models"] == before["models"]
    assert after["options"] == before["options"]
    assert after["datasets"].keys() == before["datasets"].keys()
    for name, frame in before["datasets"].items():
        assert after["datasets"][name].equals(frame)


@pytest.fixture()
def session(tmp_path):
    return Session(sample="pain_trial", output_dir=tmp_path)


# ------------------------------------------------------------- copy-on-write
def test_failed_fit_leaves_the_session_unchanged(session):
    session.run(plan(step("fit_lmm", formula=PAIN)))
    before = snapshot(session)
    answer = session.run(plan(step("fit_lmm", formula="pain_score ~ dose + (1 | patient)")))
    assert not answer.ok
    assert "dose" in str(answer.error)
    assert_same_state(before, session)


def test_failed_transform_leaves_the_data_unchanged(session):
    before = snapshot(session)
    answer = session.run(plan(step("transform", operation="center", columns=["weight"])))
    assert not answer.ok and "weight" in str(answer.error)
    assert_same_state(before, session)


def test_failure_keeps_earlier_steps_and_names_the_skipped_ones(session):
    answer = session.run(
        plan(
            step("transform", operation="center", columns=["age"]),
            step("fit_lmm", formula="pain_score ~ nope + (1 | patient)"),
            step("compare_models", criteria=["AIC"]),
            step("plot_caterpillar"),
        )
    )
    assert [o.status for o in answer.steps] == ["done", "failed", "skipped", "skipped"]
    assert abs(session.data["age"].mean()) < 1e-9  # the transform before the failure stays
    assert session.models == {}
    text = answer.text()
    assert "2 later steps were skipped: compare the models and draw the caterpillar plot" in text


def test_unexpected_errors_become_one_line_without_traceback(session, monkeypatch):
    def broken(step, state, context):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(executor, "_handlers", lambda: {"describe_data": broken})
    before = snapshot(session)
    answer = session.run(plan(step("describe_data")))
    message = str(answer.error)
    assert message.startswith("Internal error while running the describe_data step")
    assert "RuntimeError: boom" in message and "\n" not in message
    assert "Traceback" not in answer.text()
    assert_same_state(before, session)


# ---------------------------------------------------------- what to do first
def test_asking_for_a_model_before_fitting_says_what_to_do(session):
    answer = session.run(plan(step("variance_components")))
    assert str(answer.error) == NO_MODEL
    assert NO_MODEL.startswith("There is no fitted model yet. Fit one first, e.g. `LMM:")


def test_asking_to_fit_without_data_says_what_to_do(tmp_path):
    answer = Session(output_dir=tmp_path).run(plan(step("fit_lmm", formula=PAIN)))
    assert str(answer.error) == NO_DATA


# ------------------------------------------------------------ references
# ------------------------------------------------------------ references
def test_model_references_resolve_against_the_session(session):
    answer = session.run(
        plan(
            step("fit_lmm", formula=PAIN),
            step("fit_lmm", formula="pain_score ~ time + treatment + (0 + time | patient)"),
            step("fit_lmm", formula="pain_score ~ time + treatment + (1 + time || patient)"),
        )
    )
    assert answer.ok, answer.error
    state = session.state
    assert [m.structure for m in session.models.values()] == [
        "random_intercept",
        "random_slope",
        "uncorrelated_slope",
    ]
    assert [m.number for m in resolve(state, "2")] == [2]
    assert [m.number for m in resolve(state, "model 1")] == [1]
    assert [m.number for m in resolve(state, "the last model")] == [3]
    assert [m.number for m in resolve(state, "all")] == [1, 2, 3]
    assert [m.number for m in resolve(state, "both models")] == [1, 2, 3]
    assert [m.number for m in resolve(state, "random_slope")] == [2]
    assert [m.number for m in resolve(state, "the random intercept model")] == [1]
    # no intercept-and-slope model: the closest relative answers for it
    assert [m.number for m in resolve(state, "intercept_and_slope")] == [3]
    with pytest.raises(AssistantError, match="There is no model 7"):
        resolve(state, "7")
    with pytest.raises(AssistantError, match="the models are 1"):
        resolve(state, "the purple model")


# ------------------------------------------------------------ modify_model
@pytest.mark.parametrize(
    ("formula", "operation", "variables", "expected"),
    [
        (
            PAIN,
            "add_random_slope",
            ["time"],
            "pain_score ~ time + treatment + (1 + time | patient)",
        ),
        (PAIN, "add_random_slope", [], "pain_score ~ time + treatment + (1 + time | patient)"),
        (
            "y ~ time + (1 + time | id)",
            "uncorrelated",
            [],
            "y ~ time + (1 + time || id)",
        ),
        ("y ~ time + (1 + time | id)", "remove_random_slope", ["time"], "y ~ time + (1 | id)"),
        (PAIN, "add_covariate", ["age"], "pain_score ~ time + treatment + age + (1 | patient)"),
        (PAIN, "drop_term", ["treatment"], "pain_score ~ time + (1 | patient)"),
        ("y ~ a * b + (1 | g)", "drop_interaction", [], "y ~ a + b + (1 | g)"),
        ("y ~ a + (1 | g)", "add_covariate", ["a:b"], "y ~ a + b + a:b + (1 | g)"),
        ("y ~ a + c + (1 | g)", "replace_term", ["a", "a_w", "a_b"], "y ~ a_w + a_b + c + (1 | g)"),
        (
            "y ~ a + b + (1 | g)",
            "add_covariate",
            ["a:b:c"],
            "y ~ a + b + c + a:b + a:c + b:c + a:b:c + (1 | g)",
        ),
    ],
)
def test_modify_model_operations(formula, operation, variables, expected):
    assert modify_formula(parse_formula(formula), operation, variables) == expected


def test_modify_model_refuses_impossible_changes():
    with pytest.raises(AssistantError, match="part of an interaction"):
        modify_formula(parse_formula("y ~ a * b + (1 | g)"), "drop_term", ["a"])
    with pytest.raises(AssistantError, match="no correlated random slope"):
        modify_formula(parse_formula(PAIN), "uncorrelated", [])


@pytest.mark.parametrize(
    ("formula", "structure"),
    [
        ("y ~ x + (1 | g)", "random_intercept"),
        ("y ~ x + (0 + x | g)", "random_slope"),
        ("y ~ x + (1 + x | g)", "intercept_and_slope"),
        ("y ~ x + (1 + x || g)", "uncorrelated_slope"),
        ("y ~ x + (1 | a/b)", "nested"),
        ("y ~ x + (1 | a) + (1 | b)", "crossed"),
    ],
)
def test_structures_are_named(formula, structure):
    assert classify_structure(parse_formula(formula)) == structure


def test_modify_model_step_fits_the_changed_model(session):
    session.run(plan(step("fit_lmm", formula=PAIN)))
    answer = session.run(plan(step("modify_model", operation="add_covariate", variables=["age"])))
    assert answer.ok, answer.error
    assert session.models[2].fit.formula == "pain_score ~ time + treatment + age + (1 | patient)"
    assert "Built from model 1" in answer.text()


# ----------------------------------------------------------------- options
def test_options_are_validated_and_used_by_later_fits(session):
    answer = session.run(
        plan(step("set_option", name="method", value="ml"), step("fit_lmm", formula=PAIN))
    )
    assert answer.ok
    assert session.options.method == "ML" and session.models[1].fit.method == "ML"
    before = snapshot(session)
    bad = session.run(plan(step("set_option", name="level", value="250")))
    assert "between 0 and 100" in str(bad.error)
    assert_same_state(before, session)


# ------------------------------------------------------- convergence ladder
def test_troubled_fit_runs_the_ladder_and_keeps_the_asked_model(session):
    asked = "pain_score ~ time + treatment + (1 + time | patient)"
    answer = session.run(plan(step("fit_lmm", formula=asked)))
    assert answer.ok, answer.error
    model = session.models[1]
    assert model.audit is not None and model.audit.requested_formula == asked
    assert model.fit.formula == asked  # never silently a different model
    text = answer.text()
    assert "Convergence check for Model 1" in text
    assert f"`LMM: {model.audit.final_formula}`" in text
    assert "nothing was replaced" in text


# --------------------------------------------------------------- reports
def test_every_report_step_runs_and_is_json_safe(session):
    answer = session.run(
        plan(
            step("fit_lmm", formula=PAIN),
            step("variance_components", include_icc=True),
            step("icc"),
            step("fixed_effects"),
            step("blups"),
            step("anova"),
            step("confint", method="wald"),
            step("predict"),
            step("missing_data"),
            step("compare_rm_anova"),
            step("compare_ols"),
            step("describe_data"),
            step("help", topic="language"),
            step("plot_caterpillar"),
            step("plot_trajectory", band=True, overlay_blups=True),
            step("plot_residuals"),
        )
    )
    assert answer.ok, answer.error
    items = answer.to_json()
    assert len(items) == len(answer.steps)
    assert all("kind" in item for item in items)
    json.dumps(items, allow_nan=False)
    assert len(answer.figures) == 3 and all(p.is_file() for p in answer.figures)
    html = answer.html()
    assert html.count("<img") == 3 and "<table" in html


def test_comparison_refits_with_ml_when_fixed_effects_differ(session):
    answer = session.run(
        plan(
            step("fit_lmm", formula="pain_score ~ time + (1 | patient)"),
            step("fit_lmm", formula=PAIN),
            step("compare_models", criteria=["AIC", "BIC", "LRT"]),
        )
    )
    assert answer.ok, answer.error
    result = answer.steps[-1].result
    table = result.comparison.table
    assert result.comparison.refitted_with_ml
    text = answer.text()
    assert "refitted them with maximum likelihood (ML)" in text
    row = table.iloc[1]
    chisq = f"χ²({int(row['Df'])}) = {row['Chisq']:.2f}"
    assert chisq in text
    assert f"{table['AIC'].min():,.1f}" in text


def test_slope_fit_summary_gives_the_adjusted_icc(tmp_path):
    from engine.variance import variance_explained

    session = Session(sample="sleepstudy", output_dir=tmp_path)
    answer = session.run(plan(step("fit_lmm", formula="Reaction ~ Days + (Days | Subject)")))
    assert answer.ok, answer.error
    adjusted = variance_explained(session.models[1].fit).icc_adjusted
    text = answer.text()
    assert "no single ICC" in text
    assert f"is {adjusted:.2f}." in text


def test_random_slope_added_by_a_named_group():
    added = modify_formula(
        parse_formula("y ~ x + (1 | a) + (1 | b)"), "add_random_slope", ["x"], "b"
    )
    assert added == "y ~ x + (1 | a) + (1 + x | b)"
    new = modify_formula(parse_formula("y ~ x + (1 | a)"), "add_random_slope", ["x"], "c")
    assert new == "y ~ x + (1 | a) + (0 + x | c)"


def test_fixed_effects_with_other_df_leave_the_model_alone(session):
    session.run(plan(step("fit_lmm", formula=PAIN)))
    answer = session.run(plan(step("fixed_effects", ddf="kenward-roger")))
    assert answer.ok, answer.error
    assert "Kenward-Roger degrees of freedom" in answer.text()
    assert answer.steps[0].result.model.fit.ddf_method == "kenward-roger"
    assert session.models[1].fit.ddf_method == "satterthwaite" and len(session.models) == 1


def test_more_iterations_refits_the_same_model(session):
    session.run(plan(step("fit_lmm", formula=PAIN)))
    answer = session.run(plan(step("fix_convergence", strategy="iterations")))
    assert answer.ok, answer.error
    assert session.models[2].fit.formula == PAIN
    assert session.models[2].fit.opt.max_iter >= 10_000
    assert "Refitted with up to" in answer.text()
