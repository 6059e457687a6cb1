"""Every shared lme4/lmerTest reference case, field by field, at the README's tolerances.

Tolerances (relative unless noted), from ../shared/reference/README.md:
criterion 1e-6 (or lower than lme4's), fixed effects 1e-4, SEs 1e-3, variance
components 1e-3, BLUPs and conditional SDs 1e-3 of the group's SD, Satterthwaite df
1e-2, p-values 1e-2 (or 1e-8 absolute). Wald-t CI bounds: 1e-2 of the SE (they move
with the df). theta: 1e-3 (1e-3 absolute near zero).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import fit_lmm
from engine.transforms import is_factor_column
from tests.conftest import REFERENCE_CANDIDATES, find_reference_dir


def _case_names() -> list[str]:
    for candidate in REFERENCE_CANDIDATES:
        cases = sorted(p.stem for p in (candidate / "cases").glob("*.json"))
        if cases:
            return cases
    return ["reference-material-missing"]


CASES = _case_names()


@cache
def load_case(name: str) -> dict:
    path: Path = find_reference_dir() / "cases" / f"{name}.json"
    return json.loads(path.read_text())


@cache
def load_data(name: str) -> pd.DataFrame:
    case = load_case(name)
    return pd.read_csv(find_reference_dir() / case["data"])


@cache
def fitted(name: str):
    case = load_case(name)
    return fit_lmm(case["formula"], load_data(name), reml=case["reml"])


def formulaic_name(r_name: str, data: pd.DataFrame) -> str:
    """R's coefficient name (``age:SexMale``) in formulaic's spelling (``age:Sex[T.Male]``)."""
    parts = []
    for part in r_name.split(":"):
        if part == "(Intercept)" or part in data.columns:
            parts.append(part)
            continue
        for column in data.columns:
            if not is_factor_column(data[column]) or not part.startswith(str(column)):
                continue
            level = part[len(str(column)) :]
            if level in set(data[column].astype(str)):
                parts.append(f"{column}[T.{level}]")
                break
        else:
            raise AssertionError(f"cannot map R term {r_name!r}")
    return ":".join(parts)


def rel_err(ours: float, ref: float) -> float:
    return abs(ours - ref) / max(abs(ref), 1e-300)


@pytest.fixture(params=CASES)
def case_name(request, reference_dir) -> str:
    return request.param


def test_all_eleven_cases_are_present(reference_dir):
    assert len(CASES) >= 11


def test_criterion_and_likelihood(case_name):
    case, fit = load_case(case_name), fitted(case_name)
    assert fit.method == ("REML" if case["reml"] else "ML")
    # A better optimum than lme4's is accepted; otherwise within 1e-6 relative.
    assert fit.criterion <= case["criterion"] or rel_err(fit.criterion, case["criterion"]) < 1e-6
    assert fit.loglik >= case["logLik"] or rel_err(fit.loglik, case["logLik"]) < 1e-6
    assert fit.aic <= case["AIC"] or rel_err(fit.aic, case["AIC"]) < 1e-6
    assert fit.bic <= case["BIC"] or rel_err(fit.bic, case["BIC"]) < 1e-6
    assert fit.npar == case["npar"]
    assert fit.converged


def test_counts_theta_sigma_singular(case_name):
    case, fit = load_case(case_name), fitted(case_name)
    assert fit.nobs == case["nobs"]
    assert fit.ngroups == case["ngroups"]
    assert list(fit.ngroups) == list(case["ngroups"])
    np.testing.assert_allclose(fit.theta, np.atleast_1d(case["theta"]), rtol=1e-3, atol=1e-3)
    assert rel_err(fit.sigma, case["sigma"]) < 1e-3
    assert fit.singular == case["singular"]


def test_fixed_effects(case_name):
    case, fit, data = load_case(case_name), fitted(case_name), load_data(case_name)
    ours = {fe.term: fe for fe in fit.fixed_effects}
    assert [fe.term for fe in fit.fixed_effects] == [
        formulaic_name(r["term"], data) for r in case["fixef"]
    ]
    for ref in case["fixef"]:
        fe = ours[formulaic_name(ref["term"], data)]
        assert rel_err(fe.estimate, ref["estimate"]) < 1e-4, ref["term"]
        assert rel_err(fe.se, ref["se"]) < 1e-3, ref["term"]
        assert rel_err(fe.t, ref["t"]) < 1e-3, ref["term"]


def test_satterthwaite_df_p_and_ci(case_name):
    case, fit, data = load_case(case_name), fitted(case_name), load_data(case_name)
    assert fit.ddf_method == "satterthwaite"
    ours = {fe.term: fe for fe in fit.fixed_effects}
    for ref in case["fixef"]:
        fe = ours[formulaic_name(ref["term"], data)]
        assert rel_err(fe.df, ref["df_satterthwaite"]) < 1e-2, ref["term"]
        p_ref = ref["p_satterthwaite"]
        assert abs(fe.p - p_ref) < 1e-8 or rel_err(fe.p, p_ref) < 1e-2, ref["term"]
        assert abs(fe.ci_lower - ref["ci_lower_satterthwaite"]) < 1e-2 * ref["se"]
        assert abs(fe.ci_upper - ref["ci_upper_satterthwaite"]) < 1e-2 * ref["se"]


def test_variance_components(case_name):
    case, fit = load_case(case_name), fitted(case_name)
    ours = [(vc.group, vc.var1, vc.var2) for vc in fit.variance_components]
    refs = [(r["grp"], r.get("var1"), r.get("var2")) for r in case["varcorr"]]
    assert ours == refs
    for vc, ref in zip(fit.variance_components, case["varcorr"], strict=True):
        if ref["vcov"] == 0:
            assert abs(vc.vcov) < 1e-10
            continue
        assert rel_err(vc.vcov, ref["vcov"]) < 1e-3, ref
        if ref.get("var2") is None:
            assert rel_err(vc.sdcor, ref["sdcor"]) < 1e-3, ref
        else:
            assert abs(vc.sdcor - ref["sdcor"]) < 1e-3, ref


def _group_sd(case: dict, group: str, term: str) -> float:
    for row in case["varcorr"]:
        grp = row["grp"]
        same_group = grp == group or grp.rsplit(".", 1)[0] == group
        if same_group and row.get("var1") == term and row.get("var2") is None:
            return row["sdcor"]
    raise AssertionError(f"no variance component for {group}/{term}")


def test_random_effects_and_conditional_sds(case_name):
    case, fit = load_case(case_name), fitted(case_name)
    ours = fit.random_effects
    assert [(r.group, r.term, r.level) for r in ours] == [
        (r["group"], r["term"], r["level"]) for r in case["ranef"]
    ]
    for re, ref in zip(ours, case["ranef"], strict=True):
        scale = 1e-3 * max(_group_sd(case, ref["group"], ref["term"]), 1e-12)
        assert abs(re.value - ref["value"]) <= scale, ref
        assert abs(re.cond_sd - ref["cond_sd"]) <= scale, ref


def test_to_dict_matches_the_contract(case_name):
    fit = fitted(case_name)
    out = fit.to_dict()
    json.dumps(out, allow_nan=False)
    assert out["kind"] == "lmm_fit"
    assert out["criterion"] == pytest.approx(fit.criterion)
    assert len(out["random_effects"]) == len(fit.random_effects)
    assert out["variance_components"][-1]["group"] == "Residual"
    for key in ("formula", "method", "nobs", "ngroups", "loglik", "aic", "bic", "npar",
                "sigma", "theta", "converged", "singular", "warnings", "ddf_method",
                "fixed_effects", "variance_components", "random_effects", "icc"):
        assert key in out
