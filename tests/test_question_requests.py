"""Questions in plain words: R² (the fit statistics report carries Nakagawa and
Schielzeth's marginal and conditional R², computed once by engine.variance) and counts
of subjects ("how many patients are there?")."""

from __future__ import annotations

import pytest

from assistant.session import Session
from engine.variance import variance_explained


@pytest.fixture(scope="module")
def pain(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    return session


@pytest.mark.parametrize(
    "request_text",
    [
        "report R squared",
        "what is the marginal and conditional R2?",
        "how much variance does the model explain",
        "variance explained",
    ],
)
def test_r2_requests_report_the_engines_r2(pain, request_text):
    answer = pain.ask(request_text)
    assert answer.ok, answer.error
    (step,) = answer.steps
    assert step.kind == "fit_statistics"
    r2 = variance_explained(pain.models[1].fit)
    # Nakagawa's R²: var(Xβ) and the intercept variance over the total
    assert 0 < r2.r2_marginal < r2.r2_conditional < 1
    (stats,) = step.result.statistics
    assert stats.r2_marginal == r2.r2_marginal and stats.r2_conditional == r2.r2_conditional
    text = answer.text()
    assert f"Marginal R² {r2.r2_marginal:.2f} (fixed effects alone)" in text
    assert f"conditional R² {r2.r2_conditional:.2f} (fixed plus random effects)" in text


def test_how_many_patients_counts_the_grouping_column(pain):
    """'patients' is not a column: the plural of `patient` is read as that column."""
    answer = pain.ask("how many patients are there?")
    assert answer.ok, answer.error
    (step,) = answer.steps
    audit = step.result.result
    assert audit.subject == "patient"
    data = pain.state.data
    assert audit.n_subjects == data["patient"].nunique() == 80
    assert "from 80 levels of patient" in answer.text()


def test_predictions_at_given_values_are_narrated_with_them(pain):
    answer = pain.ask("predict pain_score at time 3 for treatment treated")
    assert answer.ok, answer.error
    (step,) = answer.steps
    frame = step.result.result.frame
    fit = pain.models[1].fit
    expected = fit.beta[0] + 3 * fit.beta[1] + fit.beta[2]  # intercept + 3 time + treated
    assert frame.loc[0, "estimate"] == pytest.approx(expected, rel=1e-12)
    text = answer.text()
    assert "At time = 3 and treatment = treated." in text
    assert f"{expected:.1f}" in text


@pytest.mark.parametrize(
    "request_text",
    ["predict pain at time 3 for treated patients", "predictions at time 3 for treated"],
)
def test_a_level_named_alone_fixes_its_factor(pain, request_text):
    by_level = pain.ask(request_text)
    spelled_out = pain.ask("predictions at time 3 for treatment treated")
    assert by_level.ok, by_level.error
    frame = by_level.steps[0].result.result.frame
    assert list(frame["treatment"]) == ["treated"]
    assert frame.equals(spelled_out.steps[0].result.result.frame)


def test_a_predictor_without_a_value_is_asked_for(pain):
    answer = pain.ask("predictions at time")
    assert not answer.ok
    assert str(answer.error) == "Give a value for time, e.g. `predictions at time 3`."


def test_figures_can_be_saved_as_pdf(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    assert session.ask("save figures as pdf").ok
    answer = session.ask("caterpillar plot of random intercepts")
    assert answer.ok, answer.error
    (figure,) = answer.figures
    assert figure.suffix == ".pdf"
    assert figure.read_bytes().startswith(b"%PDF")


def test_what_is_the_icc_gives_the_number_once_a_model_is_fitted(pain, tmp_path):
    """The concept without a model; the newest model's ICC, then the concept, with one."""
    fresh = Session(sample="pain_trial", output_dir=tmp_path)
    concept = fresh.ask("what is the ICC?")
    assert concept.ok, concept.error
    assert "ICC =" not in concept.text()
    assert "between-cluster variance divided by the sum of both" in concept.text()

    answer = pain.ask("what is the ICC?")
    assert answer.ok, answer.error
    (step,) = answer.steps
    assert step.kind == "help"
    fit = pain.models[1].fit
    intercept = next(v for v in fit.variance_components if v.group == "patient")
    residual = next(v for v in fit.variance_components if v.group == "Residual")
    icc = intercept.vcov / (intercept.vcov + residual.vcov)
    assert fit.icc == pytest.approx(icc, rel=1e-12)
    text = answer.text()
    assert f"ICC = {icc:.2f}" in text
    assert text.index("ICC =") < text.index("between-cluster variance divided by the sum")
    assert step.result.to_dict()["current"]["icc"] == pytest.approx(icc, rel=1e-12)


def test_is_x_significant_leads_with_the_tests_of_x(tmp_path):
    """Type III F tests of the terms containing the variable (lmerTest's anova rows);
    a 1-df main effect without interaction has F = t² of its coefficient; a grouping
    factor gets the likelihood-ratio test of its random effects."""
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    answer = session.ask("is the treatment effect significant?")
    assert answer.ok, answer.error
    view = answer.steps[0].result
    fit = session.models[1].fit
    (row,) = view.focus_tests.to_dict(orient="records")
    treated = next(fe for fe in fit.fixed_effects if fe.term == "treatment[T.treated]")
    assert row["F"] == pytest.approx(treated.t**2, rel=1e-9)
    assert row["den_df"] == pytest.approx(treated.df, rel=1e-6)
    assert row["p"] == pytest.approx(treated.p, rel=1e-6)
    assert f"Test of treatment: F(1, {treated.df:.1f})" in answer.text()
    (json_row,) = view.to_dict()["focus_tests"]
    assert json_row["term"] == "treatment" and json_row["F"] == pytest.approx(row["F"])

    assert session.ask("LMM: pain_score ~ time * treatment + (1 | patient)").ok
    both = session.ask("are treatments significant")
    assert both.ok, both.error
    tests = both.steps[0].result.focus_tests
    expected = session.models[2].fit.anova()
    assert list(tests["term"]) == ["treatment", "time:treatment"]
    assert list(tests["F"]) == pytest.approx(list(expected["F"].iloc[1:]), rel=1e-12)
    assert "Its interaction time:treatment" in both.text()

    grouping = session.ask("is the patient effect significant?")
    assert grouping.ok, grouping.error
    assert grouping.steps[0].result.kind == "random_effects_tests"
    unknown = session.ask("is age significant")
    assert not unknown.ok
    assert "has no predictor or grouping factor `age`" in str(unknown.error)


def test_observation_count_of_a_named_model_uses_that_models_data(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + (1 | patient)").ok
    assert session.ask("exclude patient P001").ok
    assert session.ask("LMM: pain_score ~ time + (1 | patient)").ok
    first = session.ask("how many observations were used in model 1")
    assert first.ok, first.error
    audit = first.steps[0].result.result
    assert (audit.n_subjects, session.models[1].fit.nobs) == (80, 287)
    assert "287 complete observations" in first.text()
    newest = session.ask("how many observations were used")
    assert newest.ok, newest.error
    assert newest.steps[0].result.result.n_subjects == 79
    assert f"{session.models[2].fit.nobs} complete observations" in newest.text()


@pytest.mark.parametrize(
    "request_text",
    [
        "is the interaction significant?",
        "is the time by treatment interaction significant?",
        "test the interaction between time and treatment",
        "does the effect of time differ between treatment groups?",
        "does the effect of time depend on treatment",
    ],
)
def test_interaction_questions_give_the_interaction_test(tmp_path, request_text):
    """The type III F test of time:treatment (1 df, so F = t² of its coefficient, with
    the same Satterthwaite df and p) and what it says."""
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time * treatment + (1 | patient)").ok
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    view = answer.steps[0].result
    assert view.focus_interaction
    (row,) = view.focus_tests.to_dict(orient="records")
    fit = session.models[1].fit
    slope_difference = next(fe for fe in fit.fixed_effects if fe.term.startswith("time:"))
    assert row["term"] == "time:treatment"
    assert row["F"] == pytest.approx(slope_difference.t**2, rel=1e-9)
    assert row["den_df"] == pytest.approx(slope_difference.df, rel=1e-6)
    assert row["p"] == pytest.approx(slope_difference.p, rel=1e-6)
    text = answer.text()
    assert "Test of the time:treatment interaction in Model 1" in text
    assert f"F(1, {slope_difference.df:.1f})" in text
    assert "do not show that the effect of time changes with treatment" in text


def test_interaction_question_on_a_model_without_one_says_what_it_assumes(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    named = session.ask("is the time by treatment interaction significant?")
    assert named.ok, named.error
    assert named.steps[0].result.focus_tests.empty
    assert "has no interaction between time and treatment" in named.text()
    assert "`add the interaction between time and treatment`" in named.text()
    any_interaction = session.ask("test the interaction")
    assert "has no interaction terms" in any_interaction.text()
    # "does the effect of time depend on sex?" is the interaction question (words14:
    # tests/test_words14_requests.py), which adds the interaction; a column the data
    # lack is refused
    unknown = session.ask("does the effect of time depend on weight")
    assert not unknown.ok and "has no column 'weight'" in str(unknown.error)
    assert len(session.models) == 1  # questions fit nothing


def test_adding_an_interaction_adds_its_missing_main_effect(tmp_path):
    """The hierarchy principle: time:sex comes with sex, and the answer says so."""
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    answer = session.ask("add the interaction between time and sex")
    assert answer.ok, answer.error
    fit = session.models[2].fit
    assert [t.label for t in fit.model_formula.fixed_terms] == [
        "time", "treatment", "sex", "time:sex"
    ]
    assert "with sex on its own (an interaction needs its main effects)" in answer.text()
    again = session.ask("add the time by treatment interaction")
    assert again.ok, again.error
    assert "on its own" not in again.text()
