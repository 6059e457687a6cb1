"""Standardized fixed effects (engine.standardized) and the effect-size and
random-effects-normality requests: the numbers against refits on z-scored data and
against scipy, the plans and what the answers say."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from assistant.session import Session
from engine import fit_lmm
from engine.blup_normality import blup_normality
from engine.samples import load_sample
from engine.standardized import standardized_coefficients
from engine.variance import variance_explained
from grammar.parse import parse


def zscored(data, columns):
    out = data.copy()
    for c in columns:
        out[c] = (out[c] - out[c].mean()) / out[c].std(ddof=1)
    return out


@pytest.fixture(scope="module")
def schools():
    return load_sample("schools")


def test_main_effects_equal_a_refit_on_z_scored_data(schools):
    formula = "test_score ~ SES + school_size + (1 | school)"
    result = standardized_coefficients(fit_lmm(formula, schools))
    assert result.equals_z_scored_refit
    refit = fit_lmm(formula, zscored(schools, ["test_score", "SES", "school_size"]))
    by_name = {c.name: c for c in result.coefficients}
    for name, beta in zip(refit.fixed_names, refit.beta, strict=True):
        if name == "(Intercept)":
            assert by_name[name].standardized is None
            continue
        assert by_name[name].standardized == pytest.approx(beta, abs=1e-6)


def test_a_random_slope_model_also_equals_the_z_scored_refit():
    data = load_sample("sleepstudy")
    formula = "Reaction ~ Days + (Days | Subject)"
    result = standardized_coefficients(fit_lmm(formula, data))
    refit = fit_lmm(formula, zscored(data, ["Reaction", "Days"]))
    (days,) = [c for c in result.coefficients if c.name == "Days"]
    assert days.standardized == pytest.approx(refit.beta[1], abs=1e-6)


def test_the_formula_is_beta_sd_x_over_sd_y_with_scaled_se_and_interval(schools):
    fit = fit_lmm("test_score ~ SES + (1 | school)", schools)
    (ses,) = [c for c in standardized_coefficients(fit).coefficients if c.name == "SES"]
    row = next(r for r in fit.fixed_effects if r.term == "SES")
    scale = schools["SES"].std(ddof=1) / schools["test_score"].std(ddof=1)
    assert ses.kind == "numeric"
    assert ses.standardized == pytest.approx(row.estimate * scale, rel=1e-12)
    assert ses.standardized_se == pytest.approx(row.se * scale, rel=1e-12)
    assert ses.standardized_lower == pytest.approx(row.ci_lower * scale, rel=1e-12)
    assert ses.standardized_upper == pytest.approx(row.ci_upper * scale, rel=1e-12)


def test_factor_levels_get_the_standardized_difference():
    data = load_sample("pain_trial")
    fit = fit_lmm("pain_score ~ time + treatment + (1 | patient)", data)
    result = standardized_coefficients(fit)
    assert result.equals_z_scored_refit
    sd_y = fit.data["pain_score"].std(ddof=1)
    factor = [c for c in result.coefficients if c.kind == "factor"]
    assert factor and all(c.sd_x is None for c in factor)
    for c in factor:
        assert c.standardized == pytest.approx(c.estimate / sd_y, rel=1e-12)
    # a refit with only the outcome and time z-scored gives the same numbers
    refit = fit_lmm("pain_score ~ time + treatment + (1 | patient)",
                    zscored(fit.data, ["pain_score", "time"]))
    by_name = {c.name: c.standardized for c in result.coefficients}
    for name, beta in zip(refit.fixed_names[1:], refit.beta[1:], strict=True):
        assert by_name[name] == pytest.approx(beta, abs=1e-6)


def test_an_interaction_model_is_flagged_as_not_a_z_scored_refit(schools):
    fit = fit_lmm("test_score ~ SES * school_size + (1 | school)", schools)
    assert not standardized_coefficients(fit).equals_z_scored_refit


@pytest.mark.parametrize("text", ["standardized coefficients", "standardised betas",
                                  "beta weights", "what are the standardized coefficients?",
                                  "standardize the coefficients"])
def test_standardized_phrasings(text):
    assert [s.kind for s in parse(text).steps] == ["standardized_coefficients"]


@pytest.mark.parametrize("text", ["effect size", "effect sizes", "what is the effect size?"])
def test_effect_size_is_the_standardized_coefficients_and_r2(text):
    steps = parse(text).steps
    assert [s.kind for s in steps] == ["standardized_coefficients", "fit_statistics"]
    assert steps[1].measure == "r2"


def test_effect_size_answer_shows_both_with_the_fits_r2():
    session = Session(sample="schools")
    assert session.ask("fit test_score ~ SES + school_size + (1 | school)").ok
    answer = session.ask("effect size")
    assert answer.ok, answer.error
    text = answer.text()
    fit = session.models[1].fit
    explained = variance_explained(fit)
    assert f"Marginal R² {explained.r2_marginal:.2f}" in text
    assert f"conditional R² {explained.r2_conditional:.2f}" in text
    scale = fit.data["SES"].std(ddof=1) / fit.data["test_score"].std(ddof=1)
    beta = next(r.estimate for r in fit.fixed_effects if r.term == "SES")
    assert f"{beta * scale:.3f}" in text
    assert "z-scores" in text


def test_blup_normality_is_shapiro_wilk_of_each_terms_blups():
    data = load_sample("sleepstudy")
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", data)
    result = blup_normality(fit)
    assert [(t.group, t.term) for t in result.terms] == [("Subject", "(Intercept)"),
                                                         ("Subject", "Days")]
    for t in result.terms:
        values = np.array([e.value for e in fit.random_effects
                           if e.group == t.group and e.term == t.term])
        w, p = stats.shapiro(values)
        assert (t.n_levels, t.shapiro_w, t.shapiro_p) == (18, pytest.approx(w),
                                                          pytest.approx(p))
        assert t.skewness == pytest.approx(stats.skew(values, bias=False))


def test_are_the_random_effects_normal_answers_with_a_qq_plot_and_the_caveat(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    assert session.ask("fit test_score ~ SES + (1 | school)").ok
    answer = session.ask("are the random effects normal?")
    assert answer.ok, answer.error
    assert [p.name for p in answer.figures] == ["model1_residual_qq.png"]
    assert answer.figures[0].exists()
    (term,) = answer.steps[0].result.result.terms
    text = answer.text()
    assert f"W = {term.shapiro_w:.3f}" in text
    assert "shrunken" in text and "rough guide" in text
