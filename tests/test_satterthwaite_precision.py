"""Satterthwaite df to lmerTest's digits: Richardson-extrapolated derivatives.

The README's tolerance for df is 1e-2; with numDeriv's scheme (which lmerTest uses)
the df agree with lmerTest's to about 1e-6, including orthodont_slope, whose deviance
is flat along the intercept SD (age is not centred) and where one central difference
of step 1e-4 was 7.7e-4 off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import engine.satterthwaite as satterthwaite
from engine import fit_lmm
from tests.test_reference_cases import _case_names, fitted, load_case

REML_CASES = [name for name in _case_names() if load_case(name)["reml"]]


def test_richardson_extrapolation_of_a_closed_form():
    """d²/dx² exp(x) at 0 is 1: four symmetric differences from h = 0.1 give it to 1e-12,
    where the best single one (h = 0.0125) is 1.3e-5 off."""
    steps = [0.1 / 2**k for k in range(4)]
    estimates = [(np.exp(h) - 2 + np.exp(-h)) / h**2 for h in steps]
    assert abs(estimates[-1] - 1) > 1e-5
    assert satterthwaite.richardson(estimates) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", REML_CASES)
def test_df_match_lmertest_to_its_digits(name):
    ref = load_case(name)
    fit = fitted(name)
    for ours, theirs in zip(fit.fixed_effects, ref["fixef"], strict=True):
        assert ours.df == pytest.approx(theirs["df_satterthwaite"], rel=1e-5), ours.term
        assert ours.p == pytest.approx(theirs["p_satterthwaite"], rel=1e-4, abs=1e-15)


def test_single_central_differences_are_what_large_models_get():
    rng = np.random.default_rng(7)
    groups, per = 1_001, 10
    g = np.repeat(np.arange(groups), per)
    x = rng.normal(size=groups * per)
    y = 1 + 0.5 * x + rng.normal(0, 1, groups)[g] + rng.normal(0, 1, groups * per)
    data = pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})
    fit = fit_lmm("y ~ x + (1 | g)", data)
    assert not satterthwaite.uses_richardson(fit.model)
    assert satterthwaite.uses_richardson(fitted("exam_school").model)
    # On this well-determined model both schemes give the same df to 1e-5.
    theta = np.asarray(fit.theta, dtype=float)
    central = fit.satterthwaite()
    limits = (satterthwaite.RICHARDSON_MAX_NOBS, satterthwaite.RICHARDSON_MAX_NTHETA)
    try:
        satterthwaite.RICHARDSON_MAX_NOBS = fit.nobs
        extrapolated = satterthwaite.satterthwaite_setup(fit.model, theta, fit.sigma, True)
    finally:
        satterthwaite.RICHARDSON_MAX_NOBS, satterthwaite.RICHARDSON_MAX_NTHETA = limits
    for row in np.eye(fit.beta.size):
        assert central.contrast_df(row) == pytest.approx(extrapolated.contrast_df(row), rel=1e-5)
