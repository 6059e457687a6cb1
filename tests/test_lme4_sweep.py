"""The lme4 sweep's model generator and its classification (R itself is not needed)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

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
from engine.anova import type3_anova
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


def _lme4_record(fit) -> dict:
    """An R record for ``fit`` built from our own numbers (as the R script writes it)."""
    effects = fit.random_effects
    return {
        "criterion": fit.criterion,
        "fixef": {"(Intercept)": fit.fixed_effects[0].estimate,
                  "x": fit.fixed_effects[1].estimate},
        "theta": fit.theta.tolist(),
        "se": [r.se for r in fit.fixed_effects], "sat_df": [r.df for r in fit.fixed_effects],
        "sat_p": [r.p for r in fit.fixed_effects],
        "sdcor": [v.sdcor for v in fit.variance_components],
        "re_group": [e.group for e in effects], "re_term": [e.term for e in effects],
        "re_level": [e.level for e in effects], "re_value": [e.value for e in effects],
        "re_sd": [e.cond_sd for e in effects],
        **_anova_record(fit),
    }


def _anova_record(fit) -> dict:
    table = type3_anova(fit)
    return {"anova_term": table["term"].tolist(), "anova_F": table["F"].tolist(),
            "anova_numdf": table["num_df"].tolist(), "anova_dendf": table["den_df"].tolist(),
            "anova_p": table["p"].tolist()}


def _slope_fit():
    model = make_models(5, 2)[1]  # y ~ x + (x|g), REML
    return model, fit_lmm(model.formula, model.data, reml=model.reml)


def test_a_fit_moved_to_its_own_theta_keeps_every_number() -> None:
    _, fit = _slope_fit()
    moved = at_theta(fit, fit.theta.copy())
    for ours, again in zip(fit.fixed_effects, moved.fixed_effects, strict=True):
        assert again.estimate == pytest.approx(ours.estimate, rel=1e-12)
        assert again.se == pytest.approx(ours.se, rel=1e-12)
        assert again.df == pytest.approx(ours.df, rel=1e-9)
        assert again.p == pytest.approx(ours.p, rel=1e-9)
    np.testing.assert_allclose([v.sdcor for v in moved.variance_components],
                               [v.sdcor for v in fit.variance_components], rtol=1e-12)
    np.testing.assert_allclose([e.cond_sd for e in moved.random_effects],
                               [e.cond_sd for e in fit.random_effects], rtol=1e-12)


def test_a_fit_moved_to_another_theta_is_that_thetas_fit() -> None:
    model, fit = _slope_fit()
    other = fit.theta * np.array([1.1, 1.0, 0.9])
    moved = at_theta(fit, other)
    solution = fit.model.solve(other, True)
    np.testing.assert_allclose(moved.beta, solution.beta, rtol=1e-12)
    np.testing.assert_allclose(moved.b, solution.b, rtol=1e-12)
    assert moved.sigma == pytest.approx(float(np.sqrt(solution.sigma2)), rel=1e-12)
    assert moved.fixed_effects[1].se != pytest.approx(fit.fixed_effects[1].se, rel=1e-4)
    assert fit.theta.tolist() != other.tolist()  # the original fit is left alone


def test_inference_differences_are_measured_against_each_tolerance() -> None:
    model, fit = _slope_fit()
    record = _lme4_record(fit)
    agreed = compare(model, record)
    assert agreed.theta_difference == 0.0
    assert set(agreed.inference) == {"se", "sat_df", "sat_p", "sdcor", "blup", "cond_sd",
                                     "anova_F", "anova_df", "anova_p"}
    assert max(agreed.inference.values()) < 1e-9 and agreed.inference_failures == []

    off = dict(record, sat_df=[v * 1.02 for v in record["sat_df"]])
    outcome = compare(model, off)
    assert outcome.inference_failures == ["sat_df"]
    assert abs(outcome.inference["sat_df"] - 0.02 / 1.02) < 1e-9
    lines = tally_lines([agreed, outcome])
    assert "| sat_df | 0.01 | 1 | 1 | 0.02 |" in lines
    assert any(line.startswith("| 1 | `y ~ x + (x|g)` | True |") and "sat_df 0.02" in line
               for line in lines)

    # one BLUP off by 0.5% of the intercept's SD
    sd = fit.variance_components[0].sdcor
    shifted = list(record["re_value"])
    shifted[3] += 0.005 * sd
    blup = compare(model, dict(record, re_value=shifted))
    assert blup.inference_failures == ["blup"]
    assert blup.inference["blup"] == pytest.approx(0.005, rel=1e-6)

    # a record with one SE fewer, or a level we do not have, cannot be paired
    assert compare(model, dict(record, se=record["se"][:1])).inference["se"] == math.inf
    renamed = dict(record, re_level=["nowhere", *record["re_level"][1:]])
    assert compare(model, renamed).inference["blup"] == math.inf


def test_kenward_roger_is_compared_at_lme4s_theta() -> None:
    model, fit = _slope_fit()
    other = fit.theta * np.array([1.1, 1.0, 0.9])
    kr = kenward_roger_table(at_theta(fit, other))
    record = dict(_lme4_record(fit), theta=other.tolist(),
                  kr_df=[r.df for r in kr], kr_se=[r.se for r in kr])
    outcome = compare(model, record)
    assert outcome.theta_difference > SAME_THETA
    assert outcome.inference["kr_df"] < 1e-12 and outcome.inference["kr_se"] < 1e-12
    assert outcome.inference["se"] > 1e-4  # the SEs recorded were those at our theta


def test_far_from_zero_follows_the_mean_over_the_sd() -> None:
    near = SweepModel(0, "y ~ x + (1|g)", True, pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    far = SweepModel(0, "y ~ x + (1|g)", True, pd.DataFrame({"x": [1000.0, 1001.0, 1002.0]}))
    assert not far_from_zero(near) and far_from_zero(far)


def test_a_different_optimum_is_checked_at_lme4s_theta() -> None:
    model, fit = _slope_fit()
    record = {"criterion": fit.criterion - 1.0, "fixef": {}, "theta": fit.theta.tolist()}
    outcome = compare(model, record)
    assert outcome.category == "ours higher"
    # our deviance at lme4's (here: our own) theta is 1 above the criterion lme4 claims
    assert outcome.message == "+1"
    assert any(line.endswith("| ours higher | +1 | +1 |") for line in tally_lines([outcome]))


def test_f_tests_are_matched_by_their_variables() -> None:
    model = make_models(5, 4)[3]  # y ~ x*f + (1|g) + (1|h)
    fit = fit_lmm(model.formula, model.data, reml=model.reml)
    record = _lme4_record(fit)
    assert record["anova_term"] == ["x", "f", "x:f"]
    reordered = {key: list(reversed(value)) if key.startswith("anova") else value
                 for key, value in record.items()}
    reordered["anova_term"] = ["f:x", "f", "x"]
    outcome = compare(model, reordered)
    assert outcome.inference["anova_df"] < 1e-9 and outcome.inference["anova_F"] < 1e-9
    missing = dict(record, anova_term=["x", "f", "z"])
    assert compare(model, missing).inference["anova_F"] == math.inf


def test_an_aliased_term_rs_na_row_is_left_out() -> None:
    model = make_models(5, 4)[3]
    fit = fit_lmm(model.formula, model.data, reml=model.reml)
    record = _lme4_record(fit)
    padded = dict(record, anova_term=[*record["anova_term"], "I(x^2)"],
                  anova_F=[*record["anova_F"], "NA"], anova_numdf=[*record["anova_numdf"], "NA"],
                  anova_dendf=[*record["anova_dendf"], "NA"], anova_p=[*record["anova_p"], "NA"])
    assert compare(model, padded).inference["anova_F"] < 1e-9


def test_negative_curvature_verdicts_are_counted_on_each_side() -> None:
    """Our Hessian check's verdict is read from the fit, lme4's from its record; the
    report counts the fits where only one side reports negative curvature."""
    from engine.hessian_check import HESSIAN_NEGATIVE

    model = make_models(5, 1)[0]
    fit = fit_lmm(model.formula, model.data, reml=model.reml)
    ours = fit.opt.hessian_check is not None and fit.opt.hessian_check.outcome == HESSIAN_NEGATIVE
    fixef = {"(Intercept)": fit.fixed_effects[0].estimate, "x": fit.fixed_effects[1].estimate}
    record = {"criterion": fit.criterion, "fixef": fixef, "hessian_negative": not ours}
    disagree = compare(model, record)
    assert disagree.our_negative is ours and disagree.lme4_negative is (not ours)
    agree = compare(model, {**record, "hessian_negative": ours})
    unknown = compare(model, {"criterion": fit.criterion, "fixef": fixef})
    assert unknown.lme4_negative is None
    lines = tally_lines([disagree, agree, unknown])
    side = "ours only 1" if ours else "lme4 only 1"
    assert any("among 2 fits" in line and side in line for line in lines), lines
    assert any(line.startswith(f"- {side[:-2]}: model {model.index} ") for line in lines)


def test_likelihood_ratio_tests_are_compared_only_at_lme4s_ml_optima() -> None:
    from benchmarks.lme4_sweep import REDUCED
    from engine.compare import compare_models

    model, fit = _slope_fit()
    small = fit_lmm(REDUCED[model.formula], model.data)
    table = compare_models([small, fit], refit="ml").table
    lrt = {"lrt_chisq": float(table["Chisq"].iloc[-1]), "lrt_p": float(table["p"].iloc[-1]),
           "lrt_aic": table["AIC"].tolist(), "lrt_bic": table["BIC"].tolist(),
           "lrt_deviance": table["deviance"].tolist()}
    agreed = compare(model, {**_lme4_record(fit), **lrt})
    assert agreed.refit_differences == [0.0, 0.0]
    assert max(agreed.inference[k] for k in ("lrt_chisq", "lrt_p", "lrt_aic")) == 0.0

    elsewhere = dict(lrt, lrt_deviance=[lrt["lrt_deviance"][0], lrt["lrt_deviance"][1] + 0.5],
                     lrt_chisq=lrt["lrt_chisq"] + 0.5)
    apart = compare(model, {**_lme4_record(fit), **elsewhere})
    assert apart.refit_differences == pytest.approx([0.0, -0.5])
    assert "lrt_chisq" not in apart.inference
    lines = tally_lines([agreed, apart])
    assert any("another optimum than lme4's (not compared): 1" in line for line in lines)
    assert "| 1 | `y ~ x + (x|g)` | +0, -0.5 |" in lines
