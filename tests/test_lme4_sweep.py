"""The lme4 sweep's model generator and its classification (R itself is not needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.lme4_sweep import (
    FORMULAS,
    SAME_THETA,
    SweepModel,
    at_theta,
    compare,
    far_from_zero,
    make_models,
    tally_lines,
)
from engine import fit_lmm
from engine.kenward_roger import kenward_roger_table


def test_models_are_reproducible_and_cycle_through_the_formulas() -> None:
    first, again = make_models(5, 30), make_models(5, 30)
    assert [m.formula for m in first] == [FORMULAS[i % len(FORMULAS)][0] for i in range(30)]
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a.data, b.data)
    assert not make_models(6, 1)[0].data.equals(first[0].data)


def test_outcomes_are_classified_by_the_reference_rule() -> None:
    model = make_models(5, 1)[0]
    fit = fit_lmm(model.formula, model.data, reml=model.reml)
    fixef = {"(Intercept)": fit.fixed_effects[0].estimate, "x": fit.fixed_effects[1].estimate}
    same = compare(model, {"criterion": fit.criterion * (1 + 5e-7), "fixef": fixef})
    assert same.category == "match" and same.fixed_difference == 0.0
    assert compare(model, {"criterion": fit.criterion + 1.0, "fixef": fixef}).category == (
        "ours lower"
    )
    higher = compare(model, {"criterion": fit.criterion - 1.0, "fixef": fixef})
    assert higher.category == "ours higher" and higher.criterion_difference == 1.0
    failed = compare(model, {"error": "Error in lmer: singular design"})
    assert failed.category == "lme4 error"
    lines = tally_lines([same, higher, failed])
    assert "| match | 1 |" in lines and "| ours higher | 1 |" in lines
    assert any("ours higher | +1" in line for line in lines)


def _lme4_record(fit, at: dict) -> dict:
    """An R record for ``fit`` built from our own numbers (as the R script writes it)."""
    return {
        "criterion": fit.criterion,
        "fixef": {"(Intercept)": fit.fixed_effects[0].estimate,
                  "x": fit.fixed_effects[1].estimate},
        "theta": fit.theta.tolist(),
        "se": at["se"], "sat_df": at["df"], "sat_p": at["p"], "sdcor": at["sdcor"],
    }


def test_inference_at_the_fits_own_theta_is_the_coefficient_table() -> None:
    model = make_models(5, 2)[1]  # y ~ x + (x|g)
    fit = fit_lmm(model.formula, model.data, reml=model.reml)
    at = at_theta(fit, fit.theta)
    rows = fit.fixed_effects
    np.testing.assert_allclose(at["se"], [r.se for r in rows], rtol=1e-12)
    np.testing.assert_allclose(at["df"], [r.df for r in rows], rtol=1e-9)
    np.testing.assert_allclose(at["p"], [r.p for r in rows], rtol=1e-9)
    np.testing.assert_allclose(at["sdcor"], [v.sdcor for v in fit.variance_components],
                               rtol=1e-12)


def test_inference_differences_are_measured_against_each_tolerance() -> None:
    model = make_models(5, 2)[1]
    fit = fit_lmm(model.formula, model.data, reml=model.reml)
    record = _lme4_record(fit, at_theta(fit, fit.theta))
    agreed = compare(model, record)
    assert agreed.theta_difference == 0.0
    assert set(agreed.inference) == {"se", "sat_df", "sat_p", "sdcor"}
    assert max(agreed.inference.values()) < 1e-9 and agreed.inference_failures == []

    off = dict(record, sat_df=[v * 1.02 for v in record["sat_df"]])
    outcome = compare(model, off)
    assert outcome.inference_failures == ["sat_df"]
    assert abs(outcome.inference["sat_df"] - 0.02 / 1.02) < 1e-9
    lines = tally_lines([agreed, outcome])
    assert "| sat_df | 0.01 | 1 | 1 | 0.02 |" in lines
    assert any(line.startswith("| 1 | `y ~ x + (x|g)` | True |") and "sat_df 0.02" in line
               for line in lines)

    # a record with one SE fewer cannot be paired
    short = dict(record, se=record["se"][:1])
    assert compare(model, short).inference["se"] == float("inf")


def test_kenward_roger_is_compared_only_where_the_thetas_agree() -> None:
    model = make_models(5, 2)[1]
    fit = fit_lmm(model.formula, model.data, reml=model.reml)
    kr = kenward_roger_table(fit)
    record = _lme4_record(fit, at_theta(fit, fit.theta))
    record.update(kr_df=[r.df for r in kr], kr_se=[r.se for r in kr])
    assert compare(model, record).inference["kr_df"] == 0.0
    moved = np.array(record["theta"]) * (1 + 5 * SAME_THETA)
    apart = compare(model, dict(record, theta=moved.tolist(), criterion=fit.criterion))
    assert apart.theta_difference > SAME_THETA and "kr_df" not in apart.inference


def test_far_from_zero_follows_the_mean_over_the_sd() -> None:
    near = SweepModel(0, "y ~ x + (1|g)", True, pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    far = SweepModel(0, "y ~ x + (1|g)", True, pd.DataFrame({"x": [1000.0, 1001.0, 1002.0]}))
    assert not far_from_zero(near) and far_from_zero(far)
