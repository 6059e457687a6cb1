"""The lme4 sweep's model generator and its classification (R itself is not needed)."""

from __future__ import annotations

import pandas as pd

from benchmarks.lme4_sweep import FORMULAS, compare, make_models, tally_lines
from engine import fit_lmm


def test_models_are_reproducible_and_cycle_through_the_formulas() -> None:
    first, again = make_models(5, 30), make_models(5, 30)
    assert [m.formula for m in first] == [FORMULAS[i % len(FORMULAS)][0] for i in range(30)]
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a.data, b.data)
    assert not make_models(6, 1)[0].data.equals(first[0].data)


def test_outcomes_are_classified_by_the_reference_rule() -> None:
    model = make_models(5, 1)[0]
    fit = fit_lmm(model.formula, model.data, reml=model.reml)
    fixef = {"(Intercept)": fit.fixed_effects[0].estimate, "x": fit.fixed_effects[1].estimate}
    same = compare(model, {"criterion": fit.criterion * (1 + 5e-7), "fixef": fixef})
    assert same.category == "match" and same.fixed_difference == 0.0
    assert compare(model, {"criterion": fit.criterion + 1.0, "fixef": fixef}).category == (
        "ours lower"
    )
    higher = compare(model, {"criterion": fit.criterion - 1.0, "fixef": fixef})
    assert higher.category == "ours higher" and higher.criterion_difference == 1.0
    failed = compare(model, {"error": "Error in lmer: singular design"})
    assert failed.category == "lme4 error"
    lines = tally_lines([same, higher, failed])
    assert "| match | 1 |" in lines and "| ours higher | 1 |" in lines
    assert any("ours higher | +1" in line for line in lines)
