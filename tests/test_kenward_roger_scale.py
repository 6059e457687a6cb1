"""Kenward-Roger's information inverse is judged on a scale-free matrix.

tests/data/kenward_roger_scale/slope_variance_far.csv is model 7 of the lme4 sweep's seed
7: ``y ~ x + (1 | g) + (0 + x | h)`` on 42 rows, x of mean 1,016 and SD 100, 8 levels
of g. The expected information of (sigma2_h.x, sigma2_g, sigma2) has eigenvalues
9.5e-12, 3.2e-7 and 1.6e6 only because of the parameters' units; scaled to a unit
diagonal they are 0.50, 1.00 and 1.50. A cut-off on the unscaled eigenvalues sent it to
numpy's pinv, which dropped the g intercept's variance: the intercept's KR df was 852 on
42 rows. pbkrtest 0.5.2 gives 3,018 there (its own scale artefact); the Satterthwaite df
of the same fit is 10.65.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import fit_lmm
from engine.kenward_roger import _information_inverse

DATA = Path(__file__).parent / "data" / "kenward_roger_scale" / "slope_variance_far.csv"
FORMULA = "y ~ x + (1 | g) + (0 + x | h)"


def test_a_badly_scaled_but_regular_information_is_inverted_exactly() -> None:
    correlation = np.array([[1.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 1.0]])
    units = np.array([1e3, 1e-6, 1.0])
    info = correlation * np.outer(units, units)
    inverse = _information_inverse(info)
    # in the parameters' own units the inverse is that of the correlation matrix
    np.testing.assert_allclose(
        inverse * np.outer(units, units), np.linalg.inv(correlation), rtol=1e-12, atol=1e-12
    )
    # numpy's pinv on the unscaled matrix drops the small-unit parameter
    assert not np.allclose(np.linalg.pinv(info) * np.outer(units, units),
                           np.linalg.inv(correlation), atol=1e-3)


def test_a_singular_information_gets_a_generalised_inverse() -> None:
    info = np.array([[4.0, 2.0], [2.0, 1.0]])  # rank 1
    inverse = _information_inverse(info)
    np.testing.assert_allclose(info @ inverse @ info, info, atol=1e-12)
    np.testing.assert_allclose(inverse, inverse.T, atol=1e-15)


def test_the_intercepts_kr_df_follow_its_satterthwaite_df() -> None:
    data = pd.read_csv(DATA)
    kr = fit_lmm(FORMULA, data, ddf="kenward-roger")
    satterthwaite = fit_lmm(FORMULA, data)
    kr_df = [row.df for row in kr.fixed_effects]
    sat_df = [row.df for row in satterthwaite.fixed_effects]
    assert kr_df[0] == pytest.approx(sat_df[0], rel=0.01)  # 10.64 against 10.65
    assert kr_df[0] < data["g"].nunique() * 2  # not 852
    assert kr_df[1] == pytest.approx(32.883, rel=1e-3)
