"""Model comparison (lme4's anova(m1, m2, ...)) against the reference comparisons."""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from engine import compare_models, fit_lmm
from engine.compare import boundary_p_value
from engine.errors import LmmInputError
from tests.conftest import find_reference_dir
from tests.test_reference_cases import rel_err


@cache
def comparison(name: str) -> tuple[dict, tuple]:
    ref_dir = find_reference_dir()
    ref = json.loads((ref_dir / "comparisons" / f"{name}.json").read_text())
    data = pd.read_csv(ref_dir / ref["data"])
    # Fitted in reverse order to check that rows are ordered by npar.
    fits = tuple(fit_lmm(f, data) for f in reversed(ref["formulas"]))
    return ref, fits


@pytest.mark.parametrize("name", ["orthodont_fixed", "sleepstudy_structures"])
def test_ml_refit_reproduces_lme4_anova(name):
    ref, fits = comparison(name)
    result = compare_models(fits, refit="ml")
    table = result.table
    assert result.refitted_with_ml and result.criterion == "ML"
    assert list(table["formula"]) == [r["formula"] for r in ref["rows"]]
    for (_, row), r in zip(table.iterrows(), ref["rows"], strict=True):
        assert row["npar"] == r["npar"]
        for col in ("AIC", "BIC", "logLik", "deviance"):
            assert rel_err(row[col], r[col]) < 1e-6, (r["formula"], col)
        if r["Chisq"] is None:
            assert np.isnan(row["Chisq"]) and np.isnan(row["p"])
            continue
        assert row["Df"] == r["Df"]
        assert abs(row["Chisq"] - r["Chisq"]) < 1e-2 * max(r["Chisq"], 1e-2)
        assert abs(row["p"] - r["p"]) < 1e-8 or rel_err(row["p"], r["p"]) < 1e-2


def test_auto_keeps_reml_when_only_the_random_part_differs():
    _, fits = comparison("sleepstudy_structures")
    result = compare_models(fits, refit="auto")
    assert not result.refitted_with_ml
    assert result.refit_reason == "same_fixed_effects"
    assert result.criterion == "REML" and result.lrt_valid
    table = result.table
    by_npar = sorted(fits, key=lambda f: f.npar)
    np.testing.assert_allclose(table["deviance"], [f.criterion for f in by_npar], rtol=1e-12)
    # (1|S) -> (Days||S) adds a variance: boundary-corrected p is half the naive one (df 1).
    row = table.iloc[1]
    assert row["p_boundary"] == pytest.approx(0.5 * row["p"], rel=1e-12)
    # (Days||S) -> (Days|S) adds only a correlation: no boundary correction.
    assert np.isnan(table.iloc[2]["p_boundary"])


def test_auto_refits_with_ml_when_fixed_effects_differ():
    ref, fits = comparison("orthodont_fixed")
    result = compare_models(fits, refit="auto")
    assert result.refitted_with_ml
    assert result.refit_reason == "fixed_effects_differ"
    assert result.fixed_effects_differ and result.lrt_valid
    assert result.table["Chisq"].iloc[1] == pytest.approx(ref["rows"][1]["Chisq"], rel=1e-3)
    assert all(not f.reml for f in result.fits)


def test_none_never_refits_and_flags_an_invalid_reml_test():
    _, fits = comparison("orthodont_fixed")
    result = compare_models(fits, refit="none")
    assert not result.refitted_with_ml
    assert result.refit_reason == "not_requested"
    assert result.criterion == "REML" and not result.lrt_valid


def test_models_of_different_data_or_outcomes_are_refused():
    _, fits = comparison("sleepstudy_structures")
    data = fits[0].data
    fewer = fit_lmm("Reaction ~ Days + (1 | Subject)", data.iloc[10:].reset_index(drop=True))
    with pytest.raises(LmmInputError, match="different numbers of rows"):
        compare_models([fits[0], fewer])
    other = data.assign(Other=data["Reaction"] * 2)
    other_fit = fit_lmm("Other ~ Days + (1 | Subject)", other)
    with pytest.raises(LmmInputError, match="different outcomes"):
        compare_models([fits[0], other_fit])
    with pytest.raises(LmmInputError, match="at least two"):
        compare_models([fits[0]])
    with pytest.raises(LmmInputError, match="'auto', 'ml' or 'none'"):
        compare_models(fits, refit="sometimes")


def test_boundary_mixture_closed_form():
    # 0.5 chi2(1) + 0.5 chi2(2) at 5.0 (Stram and Lee 1994, one added random slope).
    expected = 0.5 * stats.chi2.sf(5.0, 1) + 0.5 * stats.chi2.sf(5.0, 2)
    assert boundary_p_value(5.0, 2) == pytest.approx(expected, rel=1e-12)
    assert boundary_p_value(0.0, 1) == pytest.approx(1.0)
