"""'What does the time:treatment coefficient mean?': the coefficient's sentence with the
fitted numbers and, for an interaction, the slope in the other group computed as
β_time + β_interaction. The check is independent: refitting with treated as the
reference level makes that slope the model's own time coefficient, with the same
estimate, standard error and Satterthwaite df (the same model, reparametrized)."""

from __future__ import annotations

import pandas as pd
import pytest

from assistant.session import Session
from engine.coefficient_meaning import coefficient_meaning, match_coefficients
from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.samples import load_sample

FORMULA = "pain_score ~ time * treatment + (1 | patient)"


@pytest.fixture(scope="module")
def pain(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask(f"LMM: {FORMULA}").ok
    return session


@pytest.fixture(scope="module")
def treated_reference():
    data = load_sample("pain_trial")
    data["treatment"] = pd.Categorical(data["treatment"], categories=["treated", "control"])
    return fit_lmm(FORMULA, data)


def _row(fit, term):
    return next(fe for fe in fit.fixed_effects if fe.term == term)


@pytest.mark.parametrize(
    "request_text",
    [
        "what does the time:treatment coefficient mean?",
        "what does the interaction mean?",
        "how do I interpret the time by treatment interaction",
        "Explain the time x treatment term",
    ],
)
def test_interaction_meaning_uses_the_models_slopes(pain, treated_reference, request_text):
    answer = pain.ask(request_text)
    assert answer.ok, answer.error
    (step,) = answer.steps
    meaning = step.result.result
    fit = pain.models[1].fit
    assert meaning.terms == ("time:treatment[T.treated]",)
    (effect,) = meaning.simple_effects
    assert effect.main_term == "time" and effect.other_term == "treatment[T.treated]"
    slope_treated = _row(treated_reference, "time")
    assert effect.test.estimate == pytest.approx(slope_treated.estimate, rel=1e-6)
    assert effect.test.se == pytest.approx(slope_treated.se, rel=1e-5)
    assert effect.test.df == pytest.approx(slope_treated.df, rel=1e-3)
    assert effect.test.lower == pytest.approx(slope_treated.ci_lower, rel=1e-4)
    assert effect.main_estimate == _row(fit, "time").estimate
    text = answer.text()
    interaction = _row(fit, "time:treatment[T.treated]")
    assert f"was {abs(interaction.estimate):.2f} lower for treated vs control" in text
    assert (
        f"is {_row(fit, 'time').estimate:.2f} per unit of time for control".replace("-", "−")
        in text
    )
    assert f"and {effect.test.estimate:.2f} for treated".replace("-", "−") in text


@pytest.mark.parametrize(
    ("request_text", "term"),
    [
        ("explain the treatment coefficient", "treatment[T.treated]"),
        ("interpret the time effect", "time"),
        ("what does the intercept mean?", "(Intercept)"),
        ("what does the treated coefficient tell me", "treatment[T.treated]"),
    ],
)
def test_main_effects_get_their_sentence(pain, request_text, term):
    answer = pain.ask(request_text)
    assert answer.ok, answer.error
    meaning = answer.steps[0].result.result
    assert meaning.terms == (term,) and meaning.simple_effects == ()
    estimate = _row(pain.models[1].fit, term).estimate
    shown = f"{abs(estimate):.1f}" if abs(estimate) > 10 else f"{abs(estimate):.2f}"
    assert shown in answer.text()


def test_main_effect_sentence_says_where_it_applies(pain):
    text = pain.ask("explain the treatment coefficient").text()
    assert "this is the difference at time = 0 only" in text


def test_unknown_coefficient_lists_the_models(pain):
    answer = pain.ask("explain the foo coefficient")
    assert not answer.ok
    message = str(answer.error)
    assert message.count(".") >= 1 and "foo" in message
    for name in pain.models[1].fit.fixed_names:
        assert f"`{name}`" in message


def test_a_model_without_interaction_says_so(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    answer = session.ask("what does the interaction mean?")
    assert not answer.ok
    assert "no interaction term" in str(answer.error)


def test_terms_match_in_any_order(pain):
    fit = pain.models[1].fit
    assert match_coefficients(fit, "treatment:time") == ["time:treatment[T.treated]"]
    assert match_coefficients(fit, "Intercept") == ["(Intercept)"]
    with pytest.raises(LmmInputError):
        match_coefficients(fit, "age")
    meaning = coefficient_meaning(fit, None, interaction=True)
    assert meaning.terms == ("time:treatment[T.treated]",)


def test_factor_by_factor_interaction_is_a_difference_of_differences(tmp_path):
    import numpy as np

    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ factor(time) * treatment + (1 | patient)").ok
    answer = session.ask("explain the time:treatment coefficient")
    assert answer.ok, answer.error
    meaning = answer.steps[0].result.result
    fit = session.models[1].fit
    assert len(meaning.terms) == 3 and len(meaning.simple_effects) == 3
    names = list(fit.fixed_names)
    beta = np.asarray(fit.beta)
    vcov = np.asarray(fit.vcov_beta)
    for effect in meaning.simple_effects:
        assert effect.main_term == "treatment[T.treated]"
        c = np.zeros(len(names))
        c[names.index(effect.main_term)] = c[names.index(effect.interaction_term)] = 1.0
        assert effect.test.estimate == pytest.approx(float(c @ beta), rel=1e-12)
        assert effect.test.se == pytest.approx(float(np.sqrt(c @ vcov @ c)), rel=1e-12)
    text = answer.text()
    assert "difference between two differences" in text
    assert "for time 0 (the `treatment[T.treated]` coefficient)" in text
