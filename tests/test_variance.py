"""ICC, Nakagawa's adjusted ICC and R² (engine/variance.py).

Each fit is checked against the closed form written from its own variance components,
and against numbers computed with lme4 1.1-31 by hand in R (Johnson's formula
``mean(rowSums((Z %*% Sigma) * Z))`` over ``getME(m, "mmList")``, ``var(X %*% fixef(m))``,
``sigma(m)^2``), held to the reference tolerance for variance components (1e-3).
"""

import json

import numpy as np
import pytest

from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.samples import load_sample
from engine.variance import icc_random_intercept, random_term_variance, variance_explained

TOL = 1e-3


def _read(name):
    import pandas as pd

    return pd.read_csv(f"/work/shared/reference/data/{name}.csv")


def _components(fit):
    return {(vc.group, vc.var1, vc.var2): vc.vcov for vc in fit.variance_components}


@pytest.fixture(scope="module")
def sleepstudy():
    return load_sample("sleepstudy")


def test_random_slope_matches_closed_form_and_lme4(sleepstudy):
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy)
    result = variance_explained(fit)
    vc = _components(fit)
    days = sleepstudy["Days"].to_numpy(float)
    var_random = (
        vc[("Subject", "(Intercept)", None)]
        + 2 * vc[("Subject", "(Intercept)", "Days")] * days.mean()
        + vc[("Subject", "Days", None)] * np.mean(days**2)
    )
    slope = fit.beta[1]
    assert result.var_random == pytest.approx(var_random, rel=1e-10)
    assert result.var_fixed == pytest.approx(slope**2 * np.var(days, ddof=1), rel=1e-10)
    assert result.var_residual == pytest.approx(fit.sigma**2, rel=1e-12)
    assert result.icc is None and result.random_slopes
    # lme4 by hand
    assert result.var_random == pytest.approx(1698.0837004, rel=TOL)
    assert result.var_fixed == pytest.approx(908.9533626, rel=TOL)
    assert result.r2_marginal == pytest.approx(0.2786510583, rel=TOL)
    assert result.r2_conditional == pytest.approx(0.7992199228, rel=TOL)
    assert result.icc_adjusted == pytest.approx(0.7216602596, rel=TOL)
    total = result.var_fixed + result.var_random + result.var_residual
    assert result.icc_conditional == pytest.approx(result.var_random / total, rel=1e-12)


def test_random_intercept_icc_is_the_plain_icc_on_pain_trial():
    fit = fit_lmm("pain_score ~ time + treatment + (1 | patient)", load_sample("pain_trial"))
    result = variance_explained(fit)
    vc = _components(fit)
    var_u = vc[("patient", "(Intercept)", None)]
    var_e = vc[("Residual", None, None)]
    assert result.icc == pytest.approx(var_u / (var_u + var_e), rel=1e-12)
    assert result.icc == pytest.approx(fit.icc, rel=1e-10)
    assert result.icc_adjusted == pytest.approx(result.icc, rel=1e-12)
    assert result.var_random == pytest.approx(var_u, rel=1e-12)
    assert not result.random_slopes
    assert result.icc == pytest.approx(0.6436782125, rel=TOL)
    assert result.r2_marginal == pytest.approx(0.4834772782, rel=TOL)
    assert result.r2_conditional == pytest.approx(0.8159517005, rel=TOL)


def test_uncorrelated_terms_add_up(sleepstudy):
    fit = fit_lmm("Reaction ~ Days + (Days || Subject)", sleepstudy)
    result = variance_explained(fit)
    assert set(result.var_random_by_group) == {"Subject", "Subject.1"}
    assert result.var_random == pytest.approx(sum(result.var_random_by_group.values()))
    assert result.var_random == pytest.approx(1649.5328706, rel=TOL)
    assert result.r2_conditional == pytest.approx(0.7965226303, rel=TOL)


def test_crossed_intercepts_have_no_fixed_variance():
    fit = fit_lmm("diameter ~ 1 + (1 | plate) + (1 | sample)", _read("Penicillin"))
    result = variance_explained(fit)
    vc = _components(fit)
    assert result.var_fixed == 0.0 and result.r2_marginal == 0.0
    expected = vc[("plate", "(Intercept)", None)] + vc[("sample", "(Intercept)", None)]
    assert result.var_random == pytest.approx(expected, rel=1e-12)
    assert result.icc is None
    assert result.icc_adjusted == pytest.approx(result.r2_conditional, rel=1e-12)
    assert result.r2_conditional == pytest.approx(0.9363397504, rel=TOL)


def test_random_slope_with_interaction_matches_lme4():
    fit = fit_lmm("distance ~ age * Sex + (age | Subject)", _read("Orthodont"))
    result = variance_explained(fit)
    assert result.var_random == pytest.approx(3.5120715176, rel=TOL)
    assert result.var_fixed == pytest.approx(3.6255610033, rel=TOL)
    assert result.icc_adjusted == pytest.approx(0.6716915953, rel=TOL)


def test_johnson_term_variance_closed_form():
    z = np.column_stack([np.ones(4), np.array([0.0, 1.0, 2.0, 3.0])])
    sigma = np.array([[4.0, 1.0], [1.0, 2.0]])
    # mean of 4 + 2*1*x + 2*x^2 over x = 0..3
    assert random_term_variance(z, sigma) == pytest.approx(4 + 2 * 1.5 + 2 * 3.5)


def test_icc_closed_form_and_undefined_case():
    assert icc_random_intercept(48.0, 28.0) == pytest.approx(48 / 76)
    with pytest.raises(LmmInputError, match="undefined"):
        icc_random_intercept(0.0, 0.0)


def test_to_dict_is_json_safe(sleepstudy):
    fit = fit_lmm("Reaction ~ Days + (1 | Subject)", sleepstudy)
    d = variance_explained(fit).to_dict()
    json.dumps(d, allow_nan=False)
    assert d["icc"] == pytest.approx(0.5893089171, rel=TOL)


def _reference_varcorr(case):
    data = json.loads(open(f"/work/shared/reference/cases/{case}.json").read())
    return {row["grp"]: row["vcov"] for row in data["varcorr"]}


def test_crossed_factors_have_their_own_shares_from_lme4_varcorr():
    """Penicillin (crossed): each factor's share σ²_k / (σ²_plate + σ²_sample + σ²_ε), the
    value of performance's icc(by_group = TRUE), here from lme4's stored VarCorr."""
    fit = fit_lmm("diameter ~ 1 + (1 | plate) + (1 | sample)", _read("Penicillin"))
    result = variance_explained(fit)
    ref = _reference_varcorr("penicillin_crossed")
    total = ref["plate"] + ref["sample"] + ref["Residual"]
    shares = {share.group: share for share in result.group_shares}
    assert [share.group for share in result.group_shares] == ["sample", "plate"]
    for group in ("plate", "sample"):
        assert shares[group].nested_in == ()
        assert shares[group].variance_share == pytest.approx(ref[group] / total, rel=TOL)
        assert shares[group].correlation == pytest.approx(ref[group] / total, rel=TOL)
    assert result.residual_share == pytest.approx(ref["Residual"] / total, rel=TOL)
    assert result.residual_share == pytest.approx(1 - result.icc_adjusted, rel=1e-12)


def test_nested_factor_shares_add_the_outer_factor():
    """Pastes (casks within batches): two observations of one cask also share its batch,
    so they correlate (σ²_cask + σ²_batch) / total; two of one batch only, σ²_batch / total."""
    ref = _reference_varcorr("pastes_nested")
    total = ref["cask:batch"] + ref["batch"] + ref["Residual"]
    for formula, inner in (
        ("strength ~ 1 + (1 | batch/cask)", "cask:batch"),
        # the same design with cask labels unique across batches: nested without '/'
        ("strength ~ 1 + (1 | batch) + (1 | sample)", "sample"),
    ):
        fit = fit_lmm(formula, _read("Pastes"))
        shares = {share.group: share for share in variance_explained(fit).group_shares}
        assert shares[inner].nested_in == ("batch",)
        assert shares["batch"].nested_in == ()
        assert shares[inner].variance_share == pytest.approx(ref["cask:batch"] / total, rel=TOL)
        assert shares[inner].correlation == pytest.approx(
            (ref["cask:batch"] + ref["batch"]) / total, rel=TOL
        )
        assert shares["batch"].correlation == pytest.approx(ref["batch"] / total, rel=TOL)


def test_no_group_shares_with_one_factor_or_random_slopes(sleepstudy):
    single = fit_lmm("Yield ~ 1 + (1 | Batch)", _read("Dyestuff"))
    assert variance_explained(single).group_shares == ()
    slopes = fit_lmm("Reaction ~ Days + (Days || Subject)", sleepstudy)
    assert variance_explained(slopes).group_shares == ()
