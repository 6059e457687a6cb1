"""The second search in centred coordinates (engine.centred_search).

The two data sets in tests/data/centred_search come from the lme4 sweep (seed 41, models
36 and 38): x has mean 1000 and SD 1 to 3, and BOBYQA on the original coordinates stops
1.47 and 1.17 above the optimum. lme4 1.1.31's numbers (Rscript, lmer with default
control) are below: on the ML model lme4 reaches the optimum, on the REML one it does
too; our first search stopped higher on both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assistant.narrate.convergence import centred_search_blocks
from engine import fit_lmm
from engine.centred_search import (
    TermShift,
    centred_model,
    lower_root,
    term_shifts,
)
from engine.column_shift import ColumnShift
from engine.model import _lower_indices

DATA = Path(__file__).parent / "data" / "centred_search"

#: lme4 1.1.31: deviance(lmer(y ~ x + (x|g), REML = FALSE)) and its theta and fixef.
LME4_ML = 1199.6892658044
LME4_ML_THETA = [102.474704360450, 0.665349526679, 0.0]
LME4_ML_BETA = [18.17382052958, 1.48907904363]
#: lme4 1.1.31: REMLcrit(lmer(y ~ x + (1 + x|g) + (1|h))) and its fixef.
LME4_REML = 1054.6894602530
LME4_REML_BETA = [30.81445968770, 1.52115418479]


def _far_slope_data(seed: int = 3, centre: float = 1000.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(12), 8)
    x = centre + rng.normal(size=g.size)
    y = 2.0 + 0.5 * x + rng.normal(size=12)[g] + 0.3 * rng.normal(size=12)[g] * (x - centre)
    y = y + rng.normal(size=g.size)
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{v}" for v in g]})


def test_lower_root_reproduces_a_rank_deficient_product() -> None:
    a = np.array([[2.0, 0.0], [3.0, 0.0]])  # rank 1: chol(A A') would fail
    lower = lower_root(a)
    assert lower[0, 1] == 0.0 and np.all(np.diag(lower) >= 0)
    np.testing.assert_allclose(lower @ lower.T, a @ a.T, atol=1e-12)


def test_mapping_to_centred_and_back_keeps_the_covariance() -> None:
    shift = TermShift(0, ColumnShift(column=0, targets=np.array([1]), sources=np.array([0]),
                                     amounts=np.array([1000.0]), p=2))
    factor = np.array([[3.0, 0.0], [-0.002, 0.4]])
    centred = shift.to_centred(factor)
    # M^-1 = [[1, 1000], [0, 1]] times the factor, as a covariance
    inverse = np.array([[1.0, 1000.0], [0.0, 1.0]])
    np.testing.assert_allclose(centred @ centred.T, inverse @ factor @ factor.T @ inverse.T,
                               rtol=1e-12)
    back = shift.to_original(centred)
    np.testing.assert_allclose(back @ back.T, factor @ factor.T, rtol=1e-9, atol=1e-12)


def test_the_centred_model_has_the_same_deviance_at_corresponding_points() -> None:
    fit = fit_lmm("y ~ x + (1 + x | g)", _far_slope_data(), ddf="residual")
    model = fit.model
    shifts = term_shifts(model)
    assert [s.term_index for s in shifts] == [0]
    np.testing.assert_allclose(shifts[0].means, [0.0, model.terms[0].matrix[:, 1].mean()])
    centred = centred_model(model, shifts)
    rows, cols = _lower_indices(2)
    for theta in ([0.8, -0.001, 0.2], [1.5, 0.01, 0.05], [0.3, 0.0, 0.0]):
        theta = np.array(theta)
        mapped = shifts[0].to_centred(model.terms[0].factor(theta))[rows, cols]
        for reml in (True, False):
            assert centred.deviance(mapped, reml) == pytest.approx(
                model.deviance(theta, reml), rel=1e-9
            )


def test_terms_without_an_intercept_or_near_zero_covariates_do_not_qualify() -> None:
    data = _far_slope_data()
    for formula in ("y ~ x + (0 + x | g)", "y ~ x + (x || g)", "y ~ x + (1 | g)"):
        assert term_shifts(fit_lmm(formula, data, ddf="residual").model) == []
    near = data.assign(x=data["x"] - 1000.0)
    assert term_shifts(fit_lmm("y ~ x + (1 + x | g)", near, ddf="residual").model) == []


def test_ml_fit_reaches_lme4s_optimum_where_the_first_search_stopped_early() -> None:
    data = pd.read_csv(DATA / "slope_far_ml.csv")
    fit = fit_lmm("y ~ x + (x | g)", data, reml=False)
    search = fit.opt.centred_search
    assert search is not None and search.covariates == ("x",)
    assert search.first_criterion == pytest.approx(1201.1547452, abs=1e-5)
    assert search.improvement > 1.4
    # at lme4's optimum or (by rounding) below it
    assert fit.criterion <= LME4_ML + 1e-6
    assert fit.criterion == pytest.approx(LME4_ML, abs=1e-6)
    np.testing.assert_allclose(fit.theta, LME4_ML_THETA, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(fit.beta, LME4_ML_BETA, rtol=1e-6)
    # the same model with x centred in the data is a reparametrisation: same optimum
    centred = fit_lmm("y ~ x + (x | g)", data.assign(x=data["x"] - data["x"].mean()),
                      reml=False)
    assert fit.criterion <= centred.criterion + 1e-6
    record = fit.to_dict()["optinfo"]["centred_search"]
    assert record["covariates"] == ["x"] and record["criterion"] == fit.criterion
    assert any("second search" in w for w in fit.warnings)


def test_reml_fit_with_a_crossed_term_matches_lme4() -> None:
    data = pd.read_csv(DATA / "slope_far_crossed_reml.csv")
    fit = fit_lmm("y ~ x + (1 + x | g) + (1 | h)", data)
    assert fit.opt.centred_search is not None
    assert fit.opt.centred_search.first_criterion == pytest.approx(1055.857989, abs=1e-5)
    assert fit.criterion == pytest.approx(LME4_REML, abs=1e-5)
    np.testing.assert_allclose(fit.beta, LME4_REML_BETA, rtol=1e-4)


def test_a_well_conditioned_fit_keeps_the_first_search() -> None:
    fit = fit_lmm("y ~ x + (1 + x | g)", _far_slope_data(centre=0.0), ddf="residual")
    assert fit.opt.centred_search is None
    assert fit.to_dict()["optinfo"]["centred_search"] is None
    assert not any("second search" in w for w in fit.warnings)


def test_the_narration_says_what_the_second_search_did() -> None:
    data = pd.read_csv(DATA / "slope_far_ml.csv")
    fit = fit_lmm("y ~ x + (x | g)", data, reml=False)
    text = " ".join(block.text for block in centred_search_blocks(fit))
    assert "second search" in text and "`x`" in text
    assert "1,201.2" in text and "lower by 1.47" in text
    assert "center x" in text
