"""lmerTest's F tests for a model with a single fixed term use sequential contrasts.

lmerTest's ``get_contrasts_type3`` hands a model with one term besides the intercept to
``get_contrasts_type1``, whose rows come from the Doolittle factor of X'X. The F value
does not depend on which rows span the hypothesis, but the Satterthwaite df of a
multi-row F test do. Found by the lme4 sweep (``--shapes extra``, seed 11, model 33):
for ``y ~ f + (0 + f|g)`` our identity rows gave 14.38 denominator df where lmerTest's
anova gives 11.95 (and lmerTest's own ``contest`` with identity rows gives 14.38).
lmerTest 3.1-3's numbers: tests/data/anova_one_term (make.R).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import fit_lmm
from engine.anova import sequential_contrasts, type3_anova, type3_contrasts
from engine.satterthwaite import satterthwaite_f_test

HERE = Path(__file__).parent / "data" / "anova_one_term"
LMERTEST = json.loads((HERE / "lmertest.json").read_text())


@pytest.mark.parametrize("formula", sorted(LMERTEST))
def test_one_term_f_tests_equal_lmertests(formula: str) -> None:
    expected = LMERTEST[formula]
    fit = fit_lmm(formula, pd.read_csv(HERE / "data.csv"))
    np.testing.assert_allclose(type3_contrasts(fit)["f"], expected["L"], rtol=1e-9)
    row = type3_anova(fit).iloc[0]
    assert row["F"] == pytest.approx(expected["F"], rel=1e-4)
    assert row["num_df"] == expected["num_df"]
    assert row["den_df"] == pytest.approx(expected["den_df"], rel=1e-4)
    assert row["p"] == pytest.approx(expected["p"], rel=1e-4)
    identity = satterthwaite_f_test(fit, np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    assert identity[2] == pytest.approx(expected["den_df_identity_rows"], rel=1e-4)


def test_sequential_contrasts_are_the_rows_of_the_unit_upper_factor() -> None:
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(40), rng.normal(size=(40, 3))])
    rows = sequential_contrasts(X, {"a": [1], "b": [2, 3]}, intercept=True)
    # X'X = U' D U with U unit upper triangular: U = D^-1 R from the Cholesky R'R = X'X
    r = np.linalg.cholesky(X.T @ X).T
    unit_upper = r / np.diag(r)[:, None]
    np.testing.assert_allclose(rows["a"], unit_upper[[1]], atol=1e-12)
    np.testing.assert_allclose(rows["b"], unit_upper[[2, 3]], atol=1e-12)
    assert sequential_contrasts(X[:, :1], {}, intercept=True) == {}
    np.testing.assert_array_equal(sequential_contrasts(X[:, 1:2], {"a": [0]}, False)["a"],
                                  [[1.0]])
