"""Satterthwaite df where the blocked Cholesky's rounding swamps the finest differences.

tests/data/satterthwaite_rounding/double_bar_far.csv is model 2 of the lme4 sweep's seed
5: ``y ~ x + (x || g)`` with x of mean 1,014 and SD 93 (93 rows, 6 with a missing value,
19 groups). The deviance is nearly flat along the intercept's theta, and the (0 + x | g)
term's large Z columns leave the blocked factor's deviance with rounding of about 2e-8
between neighbouring thetas. numDeriv's finest step (h0 / 8 = 8e-4 there) then gives a
second difference of rounding, not curvature: it was -0.0054, the Hessian's entry came
out negative, and the Moore-Penrose inverse dropped that direction, so the intercept's
df at lme4's theta was 73.0 against lmerTest's 39.20. The penalised-residual evaluation
(engine.residual_deviance) has a second difference of 0.00802 at every step size.

lmerTest 3.1.3 / lme4 1.1.31 (Rscript): REMLcrit 517.295125384, theta (0.06690204004,
0.10816661053), Satterthwaite df 39.19574100 (intercept) and 12.04219358 (x).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.lme4_sweep import at_theta
from engine import fit_lmm
from engine.satterthwaite import _derivatives, richardson

DATA = Path(__file__).parent / "data" / "satterthwaite_rounding" / "double_bar_far.csv"
LME4_THETA = np.array([0.06690204004, 0.10816661053])
LMERTEST_DF = [39.19574100, 12.04219358]


def test_df_at_lme4s_theta_match_lmertest_despite_rounding() -> None:
    fit = fit_lmm("y ~ x + (x || g)", pd.read_csv(DATA))
    moved = at_theta(fit, LME4_THETA)
    df = [row.df for row in moved.fixed_effects]
    # the reference tolerance for df is 1e-2 relative; before, the intercept's was 73.0
    np.testing.assert_allclose(df, LMERTEST_DF, rtol=1e-2)


class _Value:
    def __init__(self, value: float):
        self.value, self.pwrss = value, value


def _table(function) -> tuple[np.ndarray, bool]:
    theta = np.array([0.5])
    levels = [np.array([0.05 / 2.0**k]) for k in range(4)]
    hess, _, _, settled = _derivatives(
        theta, lambda point: _Value(function(float(point[0]))), lambda v: v.value, None, levels
    )
    return hess, settled


def test_smooth_second_differences_are_settled() -> None:
    hess, settled = _table(lambda x: np.cos(3.0 * x) + 0.004 * x * x)
    assert settled
    assert hess[0, 0] == pytest.approx(-9.0 * np.cos(1.5) + 0.008, rel=1e-9)


def test_rounding_at_the_finest_step_is_caught() -> None:
    # curvature 0.008 plus a wobble of 2e-8 that only the finest steps resolve
    def noisy(x: float) -> float:
        return 0.004 * x * x + 2e-8 * np.sin(1e5 * x)

    hess, settled = _table(noisy)
    assert not settled
    assert hess[0, 0] != pytest.approx(0.008, rel=1e-2)


def test_richardson_removes_even_powers() -> None:
    # f''(0) estimates with error a h^2 + b h^4 at h = 1, 1/2, 1/4
    estimates = [2.0 + 0.3 * h**2 + 0.05 * h**4 for h in (1.0, 0.5, 0.25)]
    assert richardson(estimates) == pytest.approx(2.0, abs=1e-12)
