"""Fit statistics of one model (engine/fit_statistics.py).

Likelihood numbers are checked against every lme4 reference case (criterion tolerance
1e-6, or a better optimum than lme4's); the R² against a closed form written from the
fit's own estimates and against numbers computed in R with lme4 1.1-31 alone (no
MuMIn/performance), by this script:

    library(lme4)
    r2 <- function(m) {
      vf <- var(predict(m, re.form = NA))          # var of X beta-hat, divisor n - 1
      S <- VarCorr(m)
      vr <- 0
      for (g in names(S)) {                         # Johnson (2014): mean of z' Sigma z
        Z <- model.matrix(~ Days, sleepstudy)[, colnames(S[[g]]), drop = FALSE]
        vr <- vr + mean(rowSums((Z %*% S[[g]]) * Z))
      }
      ve <- sigma(m)^2
      c(vf, vr, ve, vf / (vf + vr + ve), (vf + vr) / (vf + vr + ve))
    }
    r2(lmer(Reaction ~ Days + (1 | Subject), sleepstudy))
    r2(lmer(Reaction ~ Days + (Days | Subject), sleepstudy))
    r2(lmer(Reaction ~ Days + (Days | Subject), sleepstudy, REML = FALSE))
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from engine import fit_lmm
from engine.fit_statistics import fit_statistics
from engine.samples import load_sample
from tests.test_reference_cases import CASES, fitted, load_case

#: Variance components tolerance of the reference README (the R² are built from them).
R2_TOL = 1e-3
CRITERION_TOL = 1e-6

#: Output of the R script in the module docstring (print(..., digits = 12)).
R_SLEEPSTUDY = {
    "Reaction ~ Days + (1 | Subject)": dict(
        reml=True, var_fixed=908.953362623, var_random=1378.17851381,
        var_residual=960.456578560, r2_marginal=0.279885636749, r2_conditional=0.704255452355,
    ),
    "Reaction ~ Days + (Days | Subject)": dict(
        reml=True, var_fixed=908.953362623, var_random=1698.08370044,
        var_residual=654.940008260, r2_marginal=0.278651058162, r2_conditional=0.799219922783,
    ),
    "Reaction ~ Days + (Days | Subject) [ML]": dict(
        reml=False, var_fixed=908.953362623, var_random=1596.40394725,
        var_residual=654.945705764, r2_marginal=0.287615889402, r2_conditional=0.792758573300,
    ),
}


@pytest.fixture(scope="module")
def sleepstudy():
    return load_sample("sleepstudy")


@pytest.mark.parametrize("name", CASES)
def test_likelihood_numbers_match_lme4(name):
    case = load_case(name)
    stats = fit_statistics(fitted(name))
    assert stats.method == ("REML" if case["reml"] else "ML")
    assert stats.nobs == case["nobs"]
    assert stats.ngroups == case["ngroups"]
    assert stats.npar == case["npar"]
    # a higher (better) optimum than lme4's is allowed, a lower one only within 1e-6
    assert stats.loglik >= case["logLik"] - CRITERION_TOL * abs(case["logLik"])
    assert stats.loglik == pytest.approx(case["logLik"], rel=CRITERION_TOL)
    assert stats.aic == pytest.approx(case["AIC"], rel=CRITERION_TOL)
    assert stats.bic == pytest.approx(case["BIC"], rel=CRITERION_TOL)
    assert stats.sigma == pytest.approx(case["sigma"], rel=R2_TOL)
    if case["reml"]:
        assert stats.reml and stats.deviance is None
        assert stats.reml_criterion == pytest.approx(case["criterion"], rel=CRITERION_TOL)
    else:
        assert not stats.reml and stats.reml_criterion is None
        assert stats.deviance == pytest.approx(case["criterion"], rel=CRITERION_TOL)


@pytest.mark.parametrize("name", CASES)
def test_information_criteria_follow_their_definitions(name):
    stats = fit_statistics(fitted(name))
    assert stats.aic == pytest.approx(-2 * stats.loglik + 2 * stats.npar, rel=1e-12)
    assert stats.bic == pytest.approx(
        -2 * stats.loglik + math.log(stats.nobs) * stats.npar, rel=1e-12
    )


@pytest.mark.parametrize("label", list(R_SLEEPSTUDY))
def test_r2_matches_lme4_by_hand_in_r(label, sleepstudy):
    expected = R_SLEEPSTUDY[label]
    formula = label.removesuffix(" [ML]")
    stats = fit_statistics(fit_lmm(formula, sleepstudy, reml=expected["reml"]))
    for field in ("var_fixed", "var_random", "var_residual", "r2_marginal", "r2_conditional"):
        assert getattr(stats, field) == pytest.approx(expected[field], rel=R2_TOL), field


def test_r2_closed_form_random_slope(sleepstudy):
    """σ²_f = b² var(Days) (n − 1), σ²_r = v0 + 2 c mean(Days) + v1 mean(Days²)."""
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy)
    stats = fit_statistics(fit)
    vc = {(v.group, v.var1, v.var2): v.vcov for v in fit.variance_components}
    days = sleepstudy["Days"].to_numpy(float)
    var_fixed = fit.beta[1] ** 2 * np.var(days, ddof=1)
    var_random = (
        vc[("Subject", "(Intercept)", None)]
        + 2 * vc[("Subject", "(Intercept)", "Days")] * days.mean()
        + vc[("Subject", "Days", None)] * np.mean(days**2)
    )
    var_residual = fit.sigma**2
    total = var_fixed + var_random + var_residual
    assert stats.r2_marginal == pytest.approx(var_fixed / total, rel=1e-10)
    assert stats.r2_conditional == pytest.approx((var_fixed + var_random) / total, rel=1e-10)


def test_r2_closed_form_random_intercept(sleepstudy):
    fit = fit_lmm("Reaction ~ Days + (1 | Subject)", sleepstudy)
    stats = fit_statistics(fit)
    var_u = next(v.vcov for v in fit.variance_components if v.group == "Subject")
    var_fixed = np.var(fit.model.X @ fit.beta, ddof=1)
    total = var_fixed + var_u + fit.sigma**2
    assert stats.var_random == pytest.approx(var_u, rel=1e-12)
    assert stats.r2_conditional == pytest.approx((var_fixed + var_u) / total, rel=1e-10)


def test_intercept_only_model_has_zero_marginal_r2():
    stats = fit_statistics(fitted("penicillin_crossed"))
    assert stats.var_fixed == 0.0 and stats.r2_marginal == 0.0
    assert 0 < stats.r2_conditional < 1


def test_to_dict_is_json_safe_and_complete():
    stats = fit_statistics(fitted("sleepstudy_slope_ml"))
    d = stats.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["kind"] == "fit_statistics" and d["method"] == "ML"
    assert d["reml_criterion"] is None
    assert d["deviance"] == pytest.approx(load_case("sleepstudy_slope_ml")["criterion"])
    assert d["ngroups"] == {"Subject": 18}
