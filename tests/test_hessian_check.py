"""lme4's Hessian convergence check (``check.conv.hess``) against lme4 itself.

``tests/data/hessian_check.json`` was written by ``tests/data/hessian_check.R`` (lme4
1.1-31): for the shared reference cases, two fits of sleepstudy with ``Days`` blown up
100x and 1000x ("nearly unidentifiable: very large eigenvalue", and also "large
eigenvalue ratio"), and three fits stopped after a few evaluations (``maxeval``) at a
point with negative curvature ("degenerate Hessian with 1 negative eigenvalues"), it
holds lme4's theta, its stored finite-difference Hessian, the eigenvalues and the codes
of lme4's own ``checkHess``.

Tolerance on eigenvalues: 1e-3 relative, plus an absolute floor of 2e-4 x |deviance|.
The floor is the finite-difference noise: ``deriv12`` divides sums of four deviance
values by 4 h^2 = 4e-8, and two implementations of the deviance (lme4's CHOLMOD, our
dense/blocked Cholesky) agree to about 1e-13 relative, so a Hessian entry carries noise
of order 1e-5 to 1e-4 x |deviance| (measured: up to 7e-5 x |deviance|, on
orthodont_slope's smallest eigenvalue 2.44 at a deviance of 430, and on pastes_nested).
At our own optimum, theta differs from lme4's in the 4th-5th digit, which moves the
Hessian by up to 1e-2 relative (pastes_nested); that comparison uses 1e-2. In the two
rescaled-Days cases lme4's BOBYQA stops with a large gradient (its own warning) and our
gradient-check restart finds a lower criterion, so there only the verdict is compared.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engine.lmm as lmm
from engine.hessian_check import (
    HESSIAN_NEGATIVE,
    HESSIAN_NOT_FINITE,
    HESSIAN_OK,
    HESSIAN_SINGULAR,
    HESSIAN_UNIDENTIFIABLE,
    check_hessian,
)
from engine.lmm import fit_lmm, hessian_warning
from engine.optimize import CentralDifferences
from engine.profiled_deviance import deviance_function
from tests.conftest import find_reference_dir

DATA = Path(__file__).parent / "data" / "hessian_check.json"
DOC = json.loads(DATA.read_text())
CASES = {case["name"]: case for case in DOC["cases"]}
CHECKED = [name for name, case in CASES.items() if case["eigenvalues"] is not None]
#: The rescaled-Days fits, where lme4 stops at a worse optimum than ours.
DIFFERENT_OPTIMUM = {"sleepstudy_days_x100", "sleepstudy_days_x1000"}

RELATIVE = 1e-3
NOISE_FLOOR = 2e-4


def _outcome_of(codes: list[int]) -> str:
    """lme4's ``checkHess`` codes as our outcome code."""
    if -3 in codes:
        return HESSIAN_NEGATIVE
    if -4 in codes:
        return HESSIAN_SINGULAR
    if -6 in codes:
        return HESSIAN_NOT_FINITE
    if 2 in codes or 3 in codes:
        return HESSIAN_UNIDENTIFIABLE
    return HESSIAN_OK


@cache
def _data(name: str) -> pd.DataFrame:
    case = CASES[name]
    data = pd.read_csv(find_reference_dir() / "data" / f"{case['dataset']}.csv")
    if case["scale_column"]:
        data[case["scale_column"]] = data[case["scale_column"]] * case["scale_by"]
    return data


@cache
def _fit(name: str):
    case = CASES[name]
    return fit_lmm(case["formula"], _data(name), reml=case["reml"], max_iter=case["max_eval"])


def _assert_eigenvalues(ours, lme4, deviance: float, relative: float) -> None:
    ours, lme4 = np.asarray(ours), np.asarray(lme4)
    assert ours.shape == lme4.shape
    allowed = relative * np.abs(lme4) + NOISE_FLOOR * abs(deviance)
    assert np.all(np.abs(ours - lme4) <= allowed), (ours, lme4)


@pytest.mark.parametrize("name", CHECKED)
def test_verdict_on_lme4s_own_hessian_matches_checkhess(name):
    case = CASES[name]
    check = check_hessian(np.array(case["hessian"], dtype=float))
    assert check.outcome == _outcome_of(case["hessian_codes"])
    assert check.large_eigenvalue == (2 in case["hessian_codes"])
    assert check.large_ratio == (3 in case["hessian_codes"])
    assert check.eigenvalues == pytest.approx(case["eigenvalues"], rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("name", CHECKED)
def test_hessian_at_lme4s_theta_matches_lme4(name):
    case = CASES[name]
    model = _fit(name).model
    objective = deviance_function(model, case["reml"])
    theta = np.array(case["theta"], dtype=float)
    f0 = objective(theta)
    assert f0 == pytest.approx(case["criterion"], rel=1e-9)
    hessian = CentralDifferences(objective, theta, f0, model.theta_lower).hessian()
    ours = np.sort(np.linalg.eigvalsh(hessian))[::-1]
    _assert_eigenvalues(ours, case["eigenvalues"], f0, RELATIVE)


@pytest.mark.parametrize("name", list(CASES))
def test_fit_reaches_lme4s_verdict(name):
    case, fit = CASES[name], _fit(name)
    check = fit.opt.hessian_check
    if case["eigenvalues"] is None:  # lme4 skips singular fits
        assert case["singular"] and fit.singular
        assert check is None
        return
    assert check.outcome == _outcome_of(case["hessian_codes"])
    assert check.large_eigenvalue == (2 in case["hessian_codes"])
    assert check.large_ratio == (3 in case["hessian_codes"])
    if name not in DIFFERENT_OPTIMUM:
        assert fit.criterion == pytest.approx(case["criterion"], rel=1e-6)
        _assert_eigenvalues(check.eigenvalues, case["eigenvalues"], fit.criterion, 1e-2)
    else:
        assert fit.criterion < case["criterion"]
    warning = hessian_warning(check)
    assert (warning in fit.warnings) if warning else all(
        "curvature" not in w for w in fit.warnings
    )
    assert (warning is None) == (check.outcome == HESSIAN_OK and not check.n_unresolved)


def test_the_verdicts_cover_lme4s_three_warnings():
    outcomes = {_fit(name).opt.hessian_check.outcome for name in CHECKED}
    assert {HESSIAN_OK, HESSIAN_NEGATIVE, HESSIAN_UNIDENTIFIABLE} <= outcomes
    negative = _fit("orthodont_slope_maxeval12").opt.hessian_check
    assert negative.n_negative == 1 and negative.eigenvalues[-1] < -200


def test_warning_sentences_carry_the_numbers():
    negative = hessian_warning(_fit("sleepstudy_slope_maxeval3").opt.hessian_check)
    assert "negative in 1 direction" in negative
    large = _fit("sleepstudy_days_x1000").opt.hessian_check
    text = hessian_warning(large)
    assert "nearly unidentifiable" in text and f"{large.eigenvalues[0]:.3g}" in text
    assert large.eigenvalues[0] > 1e6 and large.eigenvalue_ratio < 1e-6


def test_a_flat_direction_is_named_though_the_check_passes():
    """An eigenvalue below the differences' rounding noise: lme4's verdict (ok) stands,
    and the fit says that one combination of variance parameters is barely determined,
    with the noise level, in the engine's warning and in the narration."""
    from types import SimpleNamespace

    from assistant.narrate.convergence import hessian_blocks

    check = check_hessian(np.diag([3.0, -1e-3]), noise=1e-2)
    assert check.outcome == HESSIAN_OK and check.n_unresolved == 1
    warning = hessian_warning(check)
    assert "too small in 1 direction(s)" in warning and "below 0.01 in size" in warning
    fit = SimpleNamespace(opt=SimpleNamespace(hessian_check=check))
    (block,) = hessian_blocks(fit)
    assert "barely determined" in block.text and "flat in 1 direction" in block.text
    assert "at most about 0.01" in block.text
    resolved = check_hessian(np.diag([3.0, 0.5]), noise=1e-2)
    assert hessian_warning(resolved) is None
    assert hessian_blocks(SimpleNamespace(opt=SimpleNamespace(hessian_check=resolved))) == []


# --------------------------------------------------------------- lme4's rules, in isolation
def test_check_hessian_follows_checkhess_order():
    ok = check_hessian(np.diag([5.0, 2.0]))
    assert ok.outcome == HESSIAN_OK and ok.eigenvalue_ratio == pytest.approx(0.4)
    # a negative eigenvalue wins over a near-zero one
    negative = check_hessian(np.diag([3.0, 1e-9, -2e-6]))
    assert (negative.outcome, negative.n_negative, negative.n_near_zero) == (
        HESSIAN_NEGATIVE, 1, 1)
    # -1e-7 is within the tolerance of zero: numerically singular, not negative
    singular = check_hessian(np.diag([3.0, -1e-7]))
    assert singular.outcome == HESSIAN_SINGULAR and singular.n_negative == 0
    assert not singular.large_eigenvalue and not singular.large_ratio
    large = check_hessian(np.diag([2e6, 10.0]))
    assert large.outcome == HESSIAN_UNIDENTIFIABLE
    assert (large.large_eigenvalue, large.large_ratio) == (True, False)
    ratio = check_hessian(np.diag([100.0, 5e-5]))
    assert ratio.outcome == HESSIAN_UNIDENTIFIABLE
    assert (ratio.large_eigenvalue, ratio.large_ratio) == (False, True)
    broken = check_hessian(np.array([[1.0, np.nan], [np.nan, 1.0]]))
    assert broken.outcome == HESSIAN_NOT_FINITE
    json.dumps(broken.to_dict(), allow_nan=False)
    one = check_hessian(np.array([[4.0]]))
    assert one.outcome == HESSIAN_OK and one.eigenvalues == (4.0,)


def test_hessian_reuses_the_gradients_evaluations():
    calls = []

    def quadratic(x):
        calls.append(x.copy())
        return float(x @ np.array([[2.0, 0.5, 0.0], [0.5, 3.0, 0.2], [0.0, 0.2, 1.0]]) @ x)

    x = np.array([0.7, 0.3, 1.1])
    differences = CentralDifferences(quadratic, x, quadratic(x), np.zeros(3))
    before = len(calls)
    assert before == 1 + 2 * 3
    hessian = differences.hessian()
    assert len(calls) - before == 2 * 3 * 2  # 2 d (d - 1) cross points, d = 3
    assert differences.hessian() is hessian and len(calls) - before == 12
    expected = 2 * np.array([[2.0, 0.5, 0.0], [0.5, 3.0, 0.2], [0.0, 0.2, 1.0]])
    assert np.allclose(hessian, expected, atol=1e-6)


def test_large_models_are_not_checked(monkeypatch):
    """lme4 computes derivatives only for nobs < check.conv.nobsmax and npar < nparmax."""
    monkeypatch.setattr(lmm, "CHECK_MAX_NOBS", 180)  # sleepstudy has exactly 180 rows
    fit = fit_lmm(CASES["sleepstudy_slope"]["formula"], _data("sleepstudy_slope"))
    assert fit.opt.hessian_check is None
    monkeypatch.setattr(lmm, "CHECK_MAX_NOBS", 181)
    monkeypatch.setattr(lmm, "CHECK_MAX_NTHETA", 3)  # three theta parameters
    fit = fit_lmm(CASES["sleepstudy_slope"]["formula"], _data("sleepstudy_slope"))
    assert fit.opt.hessian_check is None
    monkeypatch.setattr(lmm, "CHECK_MAX_NTHETA", 4)
    fit = fit_lmm(CASES["sleepstudy_slope"]["formula"], _data("sleepstudy_slope"))
    assert fit.opt.hessian_check is not None


def test_result_json_carries_the_check():
    out = _fit("orthodont_slope_maxeval12").to_dict()
    json.dumps(out, allow_nan=False)
    check = out["optinfo"]["hessian_check"]
    assert check["outcome"] == HESSIAN_NEGATIVE and check["n_negative"] == 1
    assert check["eigenvalues"][-1] == pytest.approx(
        CASES["orthodont_slope_maxeval12"]["eigenvalues"][-1], rel=1e-3)
    assert len(check["hessian"]) == 3 and out["optinfo"]["evaluations"] > 0
    singular = _fit("dyestuff2_singular").to_dict()
    assert singular["optinfo"]["hessian_check"] is None


# ------------------------------------------------------------------------------ narration
@cache
def _days_times_50():
    """sleepstudy with Days x 50: both we and lme4 flag 'nearly unidentifiable: very large
    eigenvalue' (lme4 1.1-31: largest eigenvalue 2.15e6), while our gradient check passes,
    so only the Hessian check tells that something is wrong."""
    data = _data("sleepstudy_slope").copy()
    data["Days"] = data["Days"] * 50
    return data, fit_lmm(CASES["sleepstudy_slope"]["formula"], data)


def test_the_ladder_rescales_a_nearly_unidentifiable_model():
    from engine.convergence import check_optimum, remedy_convergence

    data, fit = _days_times_50()
    assert fit.opt.hessian_check.outcome == HESSIAN_UNIDENTIFIABLE
    check = check_optimum(fit)
    assert check.gradient_ok and not check.hessian_ok and not check.ok
    audit = remedy_convergence(fit.formula, data, fit=fit)
    first, scale = audit.steps[0], audit.steps[1]
    assert first.detail["hessian_check"] == HESSIAN_UNIDENTIFIABLE
    assert first.detail["hessian_largest"] == pytest.approx(2.15e6, rel=0.05)
    assert scale.kind == "center_scale" and scale.decision == "kept"
    assert scale.detail["hessian_check"] == HESSIAN_OK
    assert "scaled_predictors" in audit.changes and audit.resolved
    json.dumps(audit.to_dict(), allow_nan=False)


def test_walk_through_says_what_the_failed_hessian_check_means_and_does():
    from assistant.narrate.blocks import to_text
    from assistant.narrate.convergence import audit_blocks, hessian_blocks
    from engine.convergence import remedy_convergence

    data, fit = _days_times_50()
    text = to_text(hessian_blocks(fit))
    assert "nearly unidentifiable" in text and "2.1e6" in text
    assert "centre and scale" in text and "`fix convergence`" in text

    class Model:  # what audit_blocks reads of a session model
        number, title = 1, "Model 1"

    Model.fit = fit
    audit = remedy_convergence(fit.formula, data, fit=fit)
    walk = to_text(audit_blocks(audit, Model))
    assert "Checked the optimum: lme4's Hessian check failed" in walk
    assert "the usual fix for a nearly unidentifiable model" in walk
    assert "passes lme4's Hessian check" in walk

    negative = to_text(hessian_blocks(_fit("orthodont_slope_maxeval12")))
    assert "curves downward in 1 direction" in negative and "failure to converge" in negative
    assert hessian_blocks(_fit("sleepstudy_slope")) == []
    assert hessian_blocks(_fit("dyestuff2_singular")) == []


def test_fit_answer_explains_the_check_once():
    from assistant.session import Session

    data, _ = _days_times_50()
    answer = Session(data=data).ask(f"LMM: {CASES['sleepstudy_slope']['formula']}")
    assert answer.ok
    text = answer.text(level="detailed")
    assert text.count("The model is nearly unidentifiable") == 1
    assert "Engine note: The curvature" not in text
