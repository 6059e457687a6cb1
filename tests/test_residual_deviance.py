"""The convergence checks' deviance forms the penalised RSS from residuals, as lme4 does.

The optimizer's kernel reads the penalised RSS off the blocked Cholesky factor (r_yy^2,
a difference of sums of squares). On the ML fit of tests/data/ill_conditioned_slope's
ml_ridge.csv (``y ~ x + (x | g)``, x with mean 1,000 and SD 1.2) that value is 4.6e-8
(8.5e-11 relative) off a 50-digit evaluation at lme4's optimum, and carries noise of
about 1e-8 from one theta to the next; lme4's ``deriv12`` divides it by 1e-8, so the
check saw a Hessian eigenvalue of -1.06 at lme4's optimum and -11.8 at ours, and the
fit warned of negative curvature where lme4 (1.1-31, run here) does not. The
residual-based value (engine.residual_deviance) is 3.6e-10 off and its noise about
1e-10; the checks use it, the optimizer does not.

Checked against a 50-digit decimal evaluation of the textbook deviance
(tests/test_first_term_accuracy.textbook_criterion) and lme4's own results.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engine.lmm as lmm_module
from engine import fit_lmm
from engine.hessian_check import HESSIAN_NEGATIVE, HESSIAN_OK
from engine.optimize import minimize
from engine.profiled_deviance import deviance_function
from engine.residual_deviance import residual_deviance, residual_deviance_function
from tests.test_first_term_accuracy import textbook_criterion

HERE = Path(__file__).parent / "data" / "ill_conditioned_slope"
RIDGE = json.loads((HERE / "lme4_ridges.json").read_text())["ml_ridge"]
HESSIAN_CASES = json.loads((Path(__file__).parent / "data" / "hessian_check.json").read_text())


@pytest.fixture(scope="module")
def ridge_fit():
    return fit_lmm("y ~ x + (x | g)", pd.read_csv(HERE / "ml_ridge.csv"), reml=False)


def test_ill_conditioned_ml_deviance_matches_50_digits(ridge_fit) -> None:
    model = ridge_fit.model
    theta = np.array(RIDGE["theta"])
    exact = textbook_criterion(model, theta, reml=False)
    # lme4 is 5e-11 from the decimal value, the residual form 3.6e-10 (6.6e-13
    # relative), the kernel 4.6e-8 (8.5e-11 relative)
    assert RIDGE["criterion"] == pytest.approx(exact, rel=1e-12)
    assert residual_deviance(model, theta, False) == pytest.approx(exact, rel=1e-11)
    assert deviance_function(model, False)(theta) == pytest.approx(exact, rel=1e-9)


def test_sleepstudy_deviance_matches_50_digits(reference_dir) -> None:
    """A well-conditioned case: REML (sleepstudy_slope) and ML (sleepstudy_slope_ml)
    at lme4's optimum, against the decimal value and lme4's criterion."""
    data = pd.read_csv(reference_dir / "data" / "sleepstudy.csv")
    for name in ("sleepstudy_slope", "sleepstudy_slope_ml"):
        ref = json.loads((reference_dir / "cases" / f"{name}.json").read_text())
        model = fit_lmm(ref["formula"], data, reml=ref["reml"]).model
        theta = np.array(ref["theta"])
        exact = textbook_criterion(model, theta, reml=ref["reml"])
        value = residual_deviance(model, theta, ref["reml"])
        assert value == pytest.approx(exact, rel=1e-12), name
        assert value == pytest.approx(ref["criterion"], rel=1e-10), name


def test_equals_the_kernel_on_every_reference_case(reference_dir) -> None:
    """At each shared reference case's fitted theta the two evaluations agree to 1e-10
    relative, and the residual-based one is finite where the kernel is."""
    from benchmarks.cases import reference_cases

    for case in reference_cases(reference_dir):
        fit = fit_lmm(case.formula, case.data, reml=case.reml, ddf="residual")
        kernel = deviance_function(fit.model, case.reml)(fit.theta)
        value = residual_deviance(fit.model, fit.theta, case.reml)
        assert value == pytest.approx(kernel, rel=1e-10), case.name
        assert value == pytest.approx(fit.criterion, rel=1e-10), case.name


def test_no_false_negative_curvature_at_lme4s_optimum(ridge_fit) -> None:
    """lme4's ``check.conv.hess`` at lme4's own optimum, and the whole fit: no negative
    curvature (the 50-digit Hessian's smallest eigenvalue there is +3.7e-5; lme4's own
    finite differences give 9.5e-3, ours 4.8e-2, the kernel's -1.06)."""
    model = ridge_fit.model
    opt = minimize(deviance_function(model, False), np.array(RIDGE["theta"]),
                   model.theta_lower, max_iter=1)
    opt.final = np.array(RIDGE["theta"])
    opt.converged = True
    check = lmm_module._check_hessian(model, opt, residual_deviance_function(model, False))
    assert check.outcome == HESSIAN_OK
    assert check.n_negative == 0
    fit = ridge_fit
    assert fit.criterion == pytest.approx(RIDGE["criterion"], rel=1e-9)
    assert fit.opt.hessian_check.outcome == HESSIAN_OK
    assert not any("curvature" in warning for warning in fit.warnings)


@pytest.mark.parametrize(
    "name", ["sleepstudy_slope_maxeval3", "orthodont_slope_maxeval12", "orthodont_slope_maxeval20"]
)
def test_genuine_negative_curvature_is_still_reported(reference_dir, name) -> None:
    """Fits stopped after a few evaluations, where lme4 1.1-31 reports a degenerate
    Hessian (tests/data/hessian_check.json): still flagged, with lme4's eigenvalues."""
    case = next(c for c in HESSIAN_CASES["cases"] if c["name"] == name)
    data = pd.read_csv(reference_dir / "data" / f"{case['dataset']}.csv")
    fit = fit_lmm(case["formula"], data, reml=case["reml"], max_iter=case["max_eval"])
    check = fit.opt.hessian_check
    assert check.outcome == HESSIAN_NEGATIVE and check.n_negative == 1
    np.testing.assert_allclose(check.eigenvalues, case["eigenvalues"], rtol=1e-4)
    assert any("curvature" in warning for warning in fit.warnings)
