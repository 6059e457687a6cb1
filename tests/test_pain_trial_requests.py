"""Requests about the pain trial that people type ("fit time as categorical", "test whether
time should be quadratic", "plot average pain by group over time", ...): each reaches the
statistic it asks for, with numbers checked against fits made directly with the engine."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from assistant.model_building import modify_formula
from assistant.session import Session
from engine import fit_lmm
from engine.samples import load_sample
from grammar.formula import parse_formula
from tests.conftest import ask_ok

SLOPE_MODEL = "pain_score ~ time * treatment + (1 + time | patient)"


def test_time_as_a_factor_changes_the_fixed_part_only():
    mf = parse_formula(SLOPE_MODEL)
    assert modify_formula(mf, "as_factor", ["time"]) == (
        "pain_score ~ factor(time) + treatment + factor(time):treatment + (1 + time | patient)"
    )


def test_fit_time_as_categorical_fits_one_mean_per_time(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "LMM: pain_score ~ time * treatment + (1 | patient)")
    ask_ok(session, "fit time as categorical")
    fit = list(session.models.values())[-1].fit
    direct = fit_lmm("pain_score ~ factor(time) * treatment + (1 | patient)",
                     load_sample("pain_trial"))
    assert len(fit.beta) == 8  # intercept, 3 time contrasts, treatment, 3 interactions
    assert fit.beta == pytest.approx(direct.beta, abs=1e-6)
    assert fit.loglik == pytest.approx(direct.loglik, abs=1e-6)


def test_quadratic_question_is_the_ml_likelihood_ratio_test(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "LMM: pain_score ~ time * treatment + (1 | patient)")
    answer = ask_ok(session, "test whether time should be quadratic")
    data = load_sample("pain_trial")
    line = fit_lmm("pain_score ~ time * treatment + (1 | patient)", data, reml=False)
    curve = fit_lmm("pain_score ~ time * treatment + I(time^2) + (1 | patient)", data,
                    reml=False)
    chisq = 2 * (curve.loglik - line.loglik)
    p = stats.chi2.sf(chisq, 1)
    assert f"χ²(1) = {chisq:.2f}" in answer.text()
    assert f"p = {p:.3f}".replace("0.", ".") in answer.text()
    assert "I(time^2)" in list(session.models.values())[-1].fit.formula


def test_average_pain_by_group_panels_by_the_treatment_arm(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"LMM: {SLOPE_MODEL}")
    answer = ask_ok(session, "plot average pain by group over time")
    data = load_sample("pain_trial")
    treated_start = data[(data.treatment == "treated") & (data.time == 0)].pain_score.mean()
    assert any(p.name.endswith("_by_treatment.png") for s in answer.steps for p in s.figures)
    assert f"treatment = treated (40 patients): mean pain_score {treated_start:.1f} at time 0" \
        in answer.text()


def test_faster_drop_question_gives_each_arms_slope_and_their_difference(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"LMM: {SLOPE_MODEL}")
    text = ask_ok(session, "is the drop in pain faster in the treated group?").text()
    fit = list(session.models.values())[-1].fit
    names = list(fit.fixed_names)
    interaction = fit.fixed_effects[names.index("time:treatment[T.treated]")]
    # the slopes differ by the interaction coefficient, tested with its own t and df
    assert f"t({interaction.df:.1f}) = {-interaction.t:.2f}" in text
    assert "Slopes of pain_score in time for each level of treatment" in text


def test_two_structures_with_a_plural_are_two_models_then_compared(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "LMM: pain_score ~ time * treatment + (1 | patient)")
    text = ask_ok(session, "fit random intercept and random slope models and compare them").text()
    formulas = [m.fit.formula for m in list(session.models.values())[1:]]
    assert formulas[-2].endswith("(1 | patient)")
    assert formulas[-1].endswith("(1 + time | patient)")
    assert "Model comparison" in text


def test_residual_variance_by_arm_is_levene_and_brown_forsythe_on_the_residuals(tmp_path):
    from engine.residual_variance_by_group import residual_variance_by_group

    fit = fit_lmm(SLOPE_MODEL, load_sample("pain_trial"))
    result = residual_variance_by_group(fit, "treatment")
    residuals = fit.residuals()
    arm = fit.data["treatment"].astype(str).to_numpy()
    groups = [residuals[arm == level] for level in ("treated", "control")]
    # Levene's F is the one-way ANOVA F of the absolute deviations from each group's mean
    deviations = [abs(g - g.mean()) for g in groups]
    anova = stats.f_oneway(*deviations)
    assert result.levene_f == pytest.approx(anova.statistic, rel=1e-10)
    assert result.levene_p == pytest.approx(anova.pvalue, rel=1e-10)
    medians = [abs(g - np.median(g)) for g in groups]
    assert result.brown_forsythe_f == pytest.approx(stats.f_oneway(*medians).statistic, rel=1e-10)
    assert [lv.n for lv in result.levels] == [len(g) for g in groups] == [143, 144]
    assert result.levels[0].residual_sd == pytest.approx(groups[0].std(ddof=1), rel=1e-12)
    assert (result.df1, result.df2) == (1, 285)

    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"LMM: {SLOPE_MODEL}")
    text = ask_ok(session, "is the residual variance the same in both groups?").text()
    assert f"F(1, 285) = {result.brown_forsythe_f:.2f}" in text
    assert "this engine, like lme4, fits one residual variance only" in text


def test_patient_mean_reliability_is_the_blup_shrinkage_factor(tmp_path):
    from engine.group_mean_reliability import group_mean_reliability

    fit = fit_lmm("pain_score ~ time * treatment + (1 | patient)", load_sample("pain_trial"))
    result = group_mean_reliability(fit)
    assert result.refitted_formula is None
    # b_j = lambda_j * mean_j(y - X beta): the BLUP shrinks the mean residual by lambda_j
    residual = fit.model.y - fit.model.X @ fit.beta
    patients = fit.data["patient"].astype(str).to_numpy()
    lambdas = {s.n: s.reliability for s in result.by_size}
    for effect in fit.random_effects[:10]:
        mine = residual[patients == effect.level]
        assert effect.value == pytest.approx(lambdas[len(mine)] * mine.mean(), rel=1e-6)
    assert [(s.n, s.n_groups) for s in result.by_size] == [(2, 3), (3, 27), (4, 50)]
    sizes = [2] * 3 + [3] * 27 + [4] * 50
    tau2, sigma2 = result.tau2, result.sigma2
    assert result.mean_reliability == pytest.approx(
        np.mean([tau2 / (tau2 + sigma2 / n) for n in sizes]), rel=1e-12)

    # with a random slope, the variances are those of the random-intercept version
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"LMM: {SLOPE_MODEL}")
    text = ask_ok(session, "how reliable are the patient means?").text()
    assert f"The average reliability of a patient's mean is {result.mean_reliability:.2f}" in text
    assert "(1 | patient)" in text


def test_dropout_before_month_six_counts_patients_never_seen_from_then_on(tmp_path):
    from engine.dropout_timing import dropout_before

    data = load_sample("pain_trial")
    result = dropout_before(data, "patient", "time", 6, ["pain_score"])
    seen = data.dropna(subset=["pain_score"]).groupby("patient")["time"].max()
    assert result.n_dropped_before == int((seen < 6).sum()) == 11
    assert {v.time: v.n_subjects for v in result.by_last_visit} == {
        float(t): int(c) for t, c in seen[seen < 6].value_counts().items()}
    assert dropout_before(data, "patient", "time", 3, ["pain_score"]).n_dropped_before == int(
        (seen < 3).sum())

    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"LMM: {SLOPE_MODEL}")
    text = ask_ok(session, "how many patients dropped out before month 6?").text()
    assert "11 of 80 patients dropped out before time 6" in text


def test_paper_table_rows_are_the_fits_coefficients(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"LMM: {SLOPE_MODEL}")
    text = ask_ok(session, "give me a table I can paste into my paper").text()
    fit = list(session.models.values())[-1].fit
    row = next(line for line in text.splitlines() if line.startswith("time × treatment"))
    interaction = fit.fixed_effects[-1]
    assert f"{interaction.df:.1f}" in row and f"{interaction.t:.2f}".replace("-", "−") in row
    assert f"{interaction.p:.3f}"[1:] in row
    assert "N = 287 observations (80 patients)" in text
    assert "Marginal R² = .48" in text
