"""The direct treatment-coded fixed-effects matrix is the one formulaic builds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine import design as design_module
from engine.design import build_design
from engine.transforms import TransformState
from grammar.formula import parse_formula


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 60
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "z": rng.uniform(1.0, 3.0, size=n),
            "sex": rng.choice(["F", "M"], size=n),
            "arm": rng.choice(["placebo", "low", "high"], size=n),
            "age": rng.choice([8, 10, 12, 14], size=n),
            "g": np.repeat([f"g{i}" for i in range(12)], 5),
        }
    )


FORMULAS = [
    "y ~ x * sex + (1 | g)",
    "y ~ sex * x + (1 | g)",
    "y ~ arm + x + (1 | g)",
    "y ~ x:arm + x + arm + (1 | g)",
    "y ~ arm * x + log(z) + (x | g)",
    "y ~ factor(age) + x + (1 | g)",
    "y ~ log(z):sex + log(z) + sex + (1 | g)",
    "y ~ x + z + x:z + sex + (1 | g)",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_direct_matrix_equals_formulaic(formula: str) -> None:
    parsed = parse_formula(formula)
    frame = _data()
    private, column_of = design_module._private_frame(parsed, frame, TransformState())
    terms = parsed.fixed_terms
    direct = design_module._treatment_matrix(True, terms, private, column_of)
    assert direct is not None
    expected = design_module._formulaic_model_matrix(True, terms, private, column_of)
    np.testing.assert_array_equal(direct[0], expected[0])
    assert direct[1] == expected[1]
    assert direct[2] == expected[2]


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ sex:x + (1 | g)",  # no margin x: formulaic's full-rank rules apply
        "y ~ sex:arm + sex + arm + (1 | g)",  # two factors in one term
        "y ~ 0 + sex + (1 | g)",  # no intercept
    ],
)
def test_other_shapes_go_to_formulaic(formula: str) -> None:
    parsed = parse_formula(formula)
    private, column_of = design_module._private_frame(parsed, _data(), TransformState())
    terms = parsed.fixed_terms
    assert design_module._treatment_matrix(parsed.intercept, terms, private, column_of) is None
    design = build_design(parsed, _data())
    assert design.X.shape[0] == 60
