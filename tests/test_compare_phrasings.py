"""Comparisons as people type them: bare numbers, "model 1 and 2", R's ``anova(m1, m2)``.

Each must give the very table of ``compare models 1 and 2``; ``anova()`` refits with ML
as lme4's does, so its χ² is lme4's (sleepstudy, ``(1 | Subject)`` against
``(Days | Subject)``: 42.14 on 2 df, ``reference/comparisons/sleepstudy_structures.json``
holds the three-model version of that table).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from assistant.session import Session
from tests.conftest import find_reference_dir
from tests.test_model_labels import TABLE_COLUMNS, ask_ok, comparison

INTERCEPT = "LMM: Reaction ~ Days + (1 | Subject)"
SLOPES = "LMM: Reaction ~ Days + (Days | Subject)"
UNCORRELATED = "LMM: Reaction ~ Days + (Days || Subject)"


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("figures"))
    for request in (INTERCEPT, SLOPES, UNCORRELATED):
        ask_ok(session, request)
    return session


@pytest.mark.parametrize(
    "request_text",
    ["compare 1 and 2", "compare model 1 and 2", "compare m1 and m2", "is model 2 better than 1"],
)
def test_short_forms_give_the_table_of_compare_models_1_and_2(three, request_text):
    expected = comparison(three, "compare models 1 and 2").comparison.table[TABLE_COLUMNS]
    result = comparison(three, request_text)
    assert sorted(m.number for m in result.models) == [1, 2]
    pd.testing.assert_frame_equal(result.comparison.table[TABLE_COLUMNS], expected)


def test_r_anova_compares_exactly_the_models_named_after_an_ml_refit(three):
    ref = json.loads(
        (find_reference_dir() / "comparisons" / "sleepstudy_structures.json").read_text()
    )
    by_formula = {row["formula"]: row for row in ref["rows"]}
    result = comparison(three, "anova(m1, m2)")
    assert [m.number for m in result.models] == [1, 2]
    table = result.comparison.table
    assert result.comparison.refitted_with_ml and len(table) == 2
    for _, row in table.iterrows():
        lme4 = by_formula[row["formula"]]
        for column in ("AIC", "BIC", "logLik"):
            assert row[column] == pytest.approx(lme4[column], rel=1e-6)
    # lme4's anova of the two models alone (not the three-row table): 42.14 on 2 df
    last = table.iloc[1]
    assert last["Df"] == 2
    assert last["Chisq"] == pytest.approx(
        2 * (table.iloc[1]["logLik"] - table.iloc[0]["logLik"]), rel=1e-12
    )
    assert last["Chisq"] == pytest.approx(42.14, abs=0.01)


def test_three_models_by_bare_numbers(three):
    result = comparison(three, "compare 1, 2 and 3 using AIC")
    assert sorted(m.number for m in result.models) == [1, 2, 3]
    assert result.criteria == ("AIC",)


def test_a_given_name_wins_over_the_r_style_reading(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, SLOPES + " called m2")
    ask_ok(session, INTERCEPT)
    result = comparison(session, "compare m2 and 2")
    # 'm2' is model 1 here, because that is the model called m2
    assert sorted(m.number for m in result.models) == [1, 2]


def test_an_r_style_name_without_its_model_is_refused_in_words(three):
    answer = three.ask("anova(m1, m7)")
    assert not answer.ok
    assert str(answer.error).startswith("There is no model called 'm7'")
    assert "1 (random intercept model)" in str(answer.error)


def test_a_comparison_of_one_named_model_asks_for_the_second(three):
    answer = three.ask("compare 2 and")
    assert not answer.ok
    assert str(answer.error) == (
        "A comparison needs two models, and the request names only model 2; name both, "
        "e.g. `compare models 2 and 1`."
    )


def test_the_seed_three_models_are_the_references_nested_structures(tmp_path):
    """'(1) random intercept, (2) random slope, (3) intercept + slope' on sleepstudy fits
    the three structures of reference/comparisons/sleepstudy_structures.json, and the
    ML comparison reproduces lme4's anova() of them."""
    ref = json.loads(
        (find_reference_dir() / "comparisons" / "sleepstudy_structures.json").read_text()
    )
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "fit 3 models: (1) random intercept, (2) random slope, (3) intercept + slope")
    fitted_formulas = [m.fit.formula for m in session.models.values()]
    assert [f.replace("(1 + Days ", "(Days ") for f in fitted_formulas] == ref["formulas"]
    result = comparison(session, "compare models 1, 2 and 3 after refitting with ML")
    table = result.comparison.table
    for (_, row), lme4 in zip(table.iterrows(), ref["rows"], strict=True):
        for column in ("AIC", "BIC", "logLik"):
            assert row[column] == pytest.approx(lme4[column], rel=1e-6)
        if lme4["Chisq"] is not None:
            assert row["Df"] == lme4["Df"]
            assert row["Chisq"] == pytest.approx(lme4["Chisq"], rel=1e-4, abs=1e-6)
