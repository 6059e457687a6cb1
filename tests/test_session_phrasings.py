"""Questions an analyst types in a session, in their own words: each reaches the step that
answers it, and the numbers shown are the fitted model's."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.session import Session
from grammar import parse


@pytest.fixture(scope="module")
def two_models(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask("LMM: pain_score ~ time * treatment + (1 | patient)").ok
    assert session.ask("LMM: pain_score ~ time * treatment + (1 + time | patient)").ok
    return session


def _kinds(text: str) -> list[str]:
    return [step.kind for step in parse(text).steps]


@pytest.mark.parametrize(
    ("request_text", "kinds"),
    [
        ("whats the effect of treatment?", ["explain_coefficient"]),
        ("how much of the variance is between patients?", ["variance_components"]),
        ("What variables do we have?", ["describe_data"]),
        ("are the residuals normally distributed?", ["plot_residuals"]),
        ("which patients have the highest baseline pain?", ["blups"]),
        ("compare the two models", ["compare_models"]),
        ("did the model converge?", ["help"]),
        ("any convergence warnings?", ["help"]),
        ("is the fit singular?", ["help"]),
        ("How big is the treatment effect?", ["explain_coefficient"]),
        ("what is the p-value for treatment?", ["fixed_effects"]),
        ("show me the fitted trajectories by treatment", ["plot_trajectory"]),
        ("plot the predicted pain over time for each treatment group", ["plot_trajectory"]),
    ],
)
def test_phrasings_reach_their_step(request_text, kinds):
    assert _kinds(request_text) == kinds


def test_variance_between_patients_is_the_models(two_models):
    answer = two_models.ask("how much of the variance is between patients in model 1?")
    assert answer.ok, answer.error
    fit = two_models.models[1].fit
    intercept = next(
        vc for vc in fit.variance_components if vc.group == "patient" and vc.var2 is None
    )
    assert f"patient intercept variance {intercept.vcov:.1f}" in answer.text()


def test_highest_baseline_is_the_largest_prediction_at_time_zero(two_models):
    # the patient's own arm at time 0 plus its random intercept: x'beta + b, not b alone
    answer = two_models.ask("which patients have the highest baseline pain in model 1?")
    assert answer.ok, answer.error
    ranking = answer.steps[0].result.result
    fit = two_models.models[1].fit
    beta = dict(zip(fit.fixed_names, fit.beta, strict=True))
    treated = {
        str(p): float(t == "treated")
        for p, t in fit.data.groupby("patient")["treatment"].first().items()
    }
    at_start = {
        re.level: beta["(Intercept)"] + beta["treatment[T.treated]"] * treated[re.level]
        + re.value
        for re in fit.random_effects if re.term == "(Intercept)"
    }
    best = max(at_start, key=at_start.get)
    assert ranking.rows[0].level == best
    assert ranking.rows[0].predicted == pytest.approx(at_start[best], rel=1e-12)


def test_comparing_the_two_models_uses_their_likelihoods(two_models):
    answer = two_models.ask("compare the two models")
    assert answer.ok, answer.error
    table = answer.steps[0].result.comparison.table
    aics = sorted(float(a) for a in table["AIC"])
    assert aics == pytest.approx(sorted(m.fit.aic for m in two_models.models.values()))


def test_convergence_question_reports_the_current_model(two_models):
    answer = two_models.ask("did the model converge?")
    assert answer.ok, answer.error
    newest = two_models.models[2]
    # the random slope of pain_trial sits at a correlation of -1 (lme4 agrees: singular)
    assert newest.fit.singular
    text = answer.text()
    assert f"{newest.title} has trouble" in text
    assert "The fit is singular" in text
    single = Session(sample="pain_trial")
    assert single.ask("LMM: pain_score ~ time + (1 | patient)").ok
    fit = single.models[1].fit
    assert fit.converged and not fit.singular
    text = single.ask("did the model converge?").text()
    assert (
        f"converged: {fit.opt.optimizer} stopped after {fit.opt.evaluations} evaluations"
        in text
    )


def test_how_big_is_the_treatment_effect(two_models):
    answer = two_models.ask("How big is the treatment effect in model 1?")
    assert answer.ok, answer.error
    fit = two_models.models[1].fit
    fe = next(fe for fe in fit.fixed_effects if fe.term == "treatment[T.treated]")
    assert f"pain_score was {abs(fe.estimate):.1f} lower for treated vs control" in (
        answer.text()
    )


def test_p_value_for_a_variable_is_its_test(two_models):
    answer = two_models.ask("what is the p-value for treatment?")
    assert answer.ok, answer.error
    view = answer.steps[0].result
    assert view.focus == "treatment"
    fit = two_models.models[2].fit
    table = fit.anova(ddf="satterthwaite")
    p = float(table.loc[table["term"] == "treatment", "p"].iloc[0])
    assert float(view.focus_tests.loc[view.focus_tests["term"] == "treatment", "p"].iloc[0]) == p


def test_fitted_trajectories_plot_the_model(two_models):
    answer = two_models.ask("show me the fitted trajectories by treatment")
    assert answer.ok, answer.error
    figure = answer.steps[0].result.result
    assert figure.by == "treatment"
    assert all(path.exists() for path in figure.paths)
    fit = two_models.models[2].fit
    grid = figure.predictions.frame
    beta = dict(zip(fit.fixed_names, np.asarray(fit.beta, dtype=float), strict=True))
    row = grid[(grid["treatment"] == "treated")].iloc[0]
    expected = (
        beta["(Intercept)"] + beta["treatment[T.treated]"]
        + (beta["time"] + beta["time:treatment[T.treated]"]) * row["time"]
    )
    assert row["estimate"] == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    ("request_text", "kinds"),
    [
        ("what's the standard error of the treatment effect?", ["explain_coefficient"]),
        ("What is the CI for the treatment effect?", ["explain_coefficient"]),
        ("what's the intercept?", ["explain_coefficient"]),
        ("what's the slope of time?", ["explain_coefficient"]),
        ("What proportion of variance is due to patients?", ["icc"]),
        ("what is the range of time?", ["describe_data"]),
        ("what is the mean pain score?", ["describe_data"]),
        ("check for outliers", ["outliers"]),
        ("How much variability is there between patients?", ["variance_components"]),
        ("what's the between-patient SD?", ["variance_components"]),
        ("Which is better, model 1 or model 2?", ["compare_models"]),
        ("Is model 2 significantly better than model 1?", ["compare_models"]),
    ],
)
def test_more_phrasings_reach_their_step(request_text, kinds):
    assert _kinds(request_text) == kinds


def test_standard_error_question_shows_the_coefficients_row(two_models):
    answer = two_models.ask("what's the standard error of the treatment effect in model 1?")
    assert answer.ok, answer.error
    fit = two_models.models[1].fit
    fe = next(fe for fe in fit.fixed_effects if fe.term == "treatment[T.treated]")
    text = answer.text()
    row = next(line for line in text.splitlines() if line.startswith("treatment[T.treated]"))
    assert f"{fe.se:.1f}" in row.split()
    assert "time:treatment" not in text.split("Fixed effects")[-1]


def test_proportion_of_variance_is_the_icc(two_models):
    answer = two_models.ask("What proportion of variance is due to patients in model 1?")
    assert answer.ok, answer.error
    fit = two_models.models[1].fit
    patient = next(vc.vcov for vc in fit.variance_components if vc.group == "patient")
    residual = next(vc.vcov for vc in fit.variance_components if vc.group == "Residual")
    icc = patient / (patient + residual)
    assert fit.icc == pytest.approx(icc, rel=1e-10)
    assert f"ICC = {icc:.2f}" in answer.text()


def test_which_is_better_compares_the_two_named(two_models):
    (step,) = parse("Which is better, model 1 or model 2?").steps
    assert step.models == ("1", "2")
    answer = two_models.ask("Which is better, model 1 or model 2?")
    assert answer.ok, answer.error
    table = answer.steps[0].result.comparison.table
    assert len(table) == 2


@pytest.mark.parametrize(
    ("request_text", "kinds"),
    [
        ("how many subjects had all 10 days?", ["missing_data"]),
        ("How much do subjects vary in their slopes?", ["variance_components"]),
        ("how much do patients differ from each other in model 1", ["variance_components"]),
    ],
)
def test_sleepstudy_phrasings_reach_their_step(request_text, kinds):
    assert _kinds(request_text) == kinds


def test_what_does_it_mean_names_no_coefficient():
    from grammar.errors import ParseError

    with pytest.raises(ParseError):
        parse("what does it mean?")


def test_sleepstudy_subjects_seen_every_day(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask("LMM: Reaction ~ Days + (Days | Subject)").ok
    answer = session.ask("how many subjects had all 10 days?")
    assert answer.ok, answer.error
    audit = answer.steps[0].result.result
    data = session.models[1].fit.data
    days = data["Days"].nunique()
    complete = int((data.groupby("Subject", observed=True)["Days"].nunique() == days).sum())
    assert (audit.n_complete_subjects, audit.n_subjects) == (complete, data["Subject"].nunique())
    assert f"{complete} of {complete} Subjects were seen at all {days} time points" in answer.text()
    assert "no data are missing" in answer.text()


def test_intervals_for_the_fixed_effects_are_the_models(two_models):
    (step,) = parse("show me the confidence intervals for the fixed effects").steps
    assert step.kind == "confint" and step.model is None
    answer = two_models.ask("show me the confidence intervals for the fixed effects")
    assert answer.ok, answer.error
    fit = two_models.models[2].fit
    fe = next(fe for fe in fit.fixed_effects if fe.term == "time")
    row = next(line for line in answer.text().splitlines() if line.startswith("time "))
    assert f"{fe.ci_lower:.2f}".replace("-", "−") in row
    assert f"{fe.ci_upper:.2f}".replace("-", "−") in row
