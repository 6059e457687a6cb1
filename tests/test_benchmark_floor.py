"""benchmarks.floor's stripped Dyestuff fit gives fit_lmm's numbers (it is timed as a
lower bound of a fit's cost, so it must compute the same fit)."""

from __future__ import annotations

import math

import pytest

from benchmarks.cases import reference_cases
from benchmarks.floor import floor_fit
from engine import fit_lmm


def test_the_stripped_fit_is_fit_lmms_fit() -> None:
    cases = [c for c in reference_cases() if c.name == "dyestuff"]
    if not cases:
        pytest.skip("the shared reference data are not beside the repository")
    case = cases[0]
    stripped = floor_fit(case.data)
    full = fit_lmm(case.formula, case.data, ddf="residual")
    row = full.fixed_effects[0]
    assert stripped.criterion == pytest.approx(full.criterion, rel=1e-12)
    assert stripped.theta == pytest.approx(float(full.theta[0]), rel=1e-6)
    assert stripped.beta == pytest.approx(row.estimate, rel=1e-12)
    assert stripped.se == pytest.approx(row.se, rel=1e-7)
    assert stripped.sigma == pytest.approx(full.sigma, rel=1e-7)
    assert stripped.p == pytest.approx(row.p, rel=1e-6)
    half_width = stripped.t_quantile * stripped.se
    assert stripped.beta + half_width == pytest.approx(row.ci_upper, rel=1e-9)
    assert math.isclose(stripped.criterion, 319.6542768, abs_tol=1e-6)  # lme4's REMLcrit
