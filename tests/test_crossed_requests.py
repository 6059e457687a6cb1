"""Crossed random effects asked for in words ("plate crossed with sample", "random
intercepts for plate and sample", "add a random intercept for item"): the plans, and the
fits they give on lme4's Penicillin data, checked against lme4's own fit
(/work/shared/reference/cases/penicillin_crossed.json, tolerances of its README)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from assistant.errors import AssistantError
from assistant.model_building import modify_formula
from assistant.session import Session
from grammar import parse
from grammar.formula import parse_formula
from grammar.plan import FitLmm, ModifyModel

PENICILLIN = "diameter ~ 1 + (1 | plate) + (1 | sample)"


def only_step(request: str):
    steps = parse(request).steps
    assert len(steps) == 1
    return steps[0]


@pytest.mark.parametrize(
    "request_text",
    [
        "mixed model of diameter with plate crossed with sample",
        "fit diameter with crossed random effects of plate and sample",
        "mixed model of diameter with random intercepts for plate and for sample",
        "LMM of diameter, crossed random effects for plate and sample",
    ],
)
def test_crossed_words_build_one_intercept_per_factor(request_text):
    step = only_step(request_text)
    assert step == FitLmm(formula=PENICILLIN, response="diameter", group="plate",
                          crossed_with=("sample",))


def test_fixed_part_and_crossed_factors_in_words():
    step = only_step("LMM of rating on condition, crossed random effects for rater and item")
    assert step.formula == "rating ~ condition + (1 | rater) + (1 | item)"
    assert step.predictors == ("condition",)  # the word "crossed" is not a predictor
    formula_step = only_step("score ~ condition * block with raters crossed with items")
    assert formula_step.formula == "score ~ condition * block + (1 | raters) + (1 | items)"
    assert formula_step.crossed_with == ("items",)


def test_factors_alone_leave_the_outcome_to_the_session():
    step = only_step("random intercepts for plate and sample")
    assert step == FitLmm(group="plate", crossed_with=("sample",))
    assert step.to_dict()["crossed_with"] == ["sample"]
    json.dumps(step.to_dict())


def test_add_a_random_intercept_plan_and_formula():
    step = only_step("add a random intercept for item to model 2")
    assert step == ModifyModel("add_random_intercept", (), "2", "item")
    one = parse_formula("rating ~ condition + (1 | rater)")
    assert modify_formula(one, "add_random_intercept", (), "item") == (
        "rating ~ condition + (1 | rater) + (1 | item)"
    )
    slope_only = parse_formula("y ~ x + (0 + x | g)")
    assert modify_formula(slope_only, "add_random_intercept", (), "g") == "y ~ x + (1 + x | g)"
    with pytest.raises(AssistantError, match="already has a random intercept for rater"):
        modify_formula(one, "add_random_intercept", (), "rater")
    with pytest.raises(AssistantError, match="condition is a fixed effect"):
        modify_formula(one, "add_random_intercept", (), "condition")


@pytest.fixture(scope="module")
def penicillin(reference_dir):
    data = pd.read_csv(reference_dir / "data" / "Penicillin.csv")
    lme4 = json.loads((reference_dir / "cases" / "penicillin_crossed.json").read_text())
    return data, lme4


def assert_matches_lme4(fit, lme4):
    assert fit.criterion == pytest.approx(lme4["criterion"], rel=1e-6)
    ours = {vc.group: vc.vcov for vc in fit.variance_components}
    for row in lme4["varcorr"]:
        assert ours[row["grp"]] == pytest.approx(row["vcov"], rel=1e-3)
    (intercept,) = fit.fixed_effects
    assert intercept.estimate == pytest.approx(lme4["fixef"][0]["estimate"], rel=1e-4)
    assert intercept.se == pytest.approx(lme4["fixef"][0]["se"], rel=1e-3)
    assert intercept.df == pytest.approx(lme4["fixef"][0]["df_satterthwaite"], rel=1e-2)


def test_words_fit_lme4s_crossed_model(penicillin, tmp_path):
    data, lme4 = penicillin
    session = Session(data=data, output_dir=tmp_path)
    answer = session.ask("random intercepts for plates and samples")
    assert answer.ok, answer.error
    model = session.models[1]
    assert model.fit.formula == PENICILLIN
    assert model.structure == "crossed"
    assert_matches_lme4(model.fit, lme4)
    assert "crossed with sample" in answer.text()


def test_plural_factors_with_a_formula_mean_the_columns(penicillin, tmp_path):
    data, lme4 = penicillin
    session = Session(data=data, output_dir=tmp_path)
    answer = session.ask("diameter ~ 1 with plates crossed with samples")
    assert answer.ok, answer.error
    assert_matches_lme4(session.models[1].fit, lme4)


def test_adding_a_crossed_intercept_to_a_fitted_model(penicillin, tmp_path):
    data, lme4 = penicillin
    session = Session(data=data, output_dir=tmp_path)
    assert session.ask("fit diameter ~ 1 + (1 | plate)").ok
    answer = session.ask("add a random intercept for sample")
    assert answer.ok, answer.error
    assert session.models[2].fit.formula == PENICILLIN
    assert_matches_lme4(session.models[2].fit, lme4)
    refused = session.ask("add a random intercept for plate to model 2")
    assert not refused.ok
    assert "already has a random intercept for plate" in str(refused.error)
