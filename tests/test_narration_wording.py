"""Wording fixes found in review, each asserted on a real session's answer."""

from __future__ import annotations

import pytest

from assistant.narrate import numbers as fmt
from assistant.session import Session
from engine.samples import load_sample


@pytest.fixture(scope="module")
def spaced(tmp_path_factory):
    """pain_trial with its outcome renamed ``pain score`` (a backticked name in formulas),
    and the answers of the requests the tests below read."""
    data = load_sample("pain_trial").rename(columns={"pain_score": "pain score"})
    session = Session(data=data, output_dir=tmp_path_factory.mktemp("figures"))
    requests = [
        "LMM: `pain score` ~ time + treatment + (time || patient)",
        "LMM: `pain score` ~ time + treatment + (1 + time | patient)",
        "LMM: `pain score` ~ time + (1 + time | patient)",
        "LMM: `pain score` ~ time + treatment + (1 + time + age | patient)",
        "compare all models",
        "caterpillar plot of random intercepts",
    ]
    answers = {}
    for request in requests:
        answer = session.ask(request)
        assert answer.ok, f"{request!r}: {answer.error}"
        answers[request] = answer
    return answers


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    session = Session(sample="pain_wide", output_dir=tmp_path_factory.mktemp("wide"))
    return {
        request: session.ask(request)
        for request in ("describe the data", "reshape from wide to long format first")
    }


def test_a_figure_path_is_named_once_in_plain_text(spaced):
    text = spaced["caterpillar plot of random intercepts"].text()
    assert text.count("model4_caterpillar_patient_Intercept.png") == 1
    assert "Figure: " not in text


def test_a_double_bar_fit_names_the_grouping_factor_not_lme4s_copy(spaced):
    text = spaced["LMM: `pain score` ~ time + treatment + (time || patient)"].text()
    assert "(the patient time slope variance is estimated as zero)" in text
    assert "patient.1" not in text


def test_two_random_slopes_read_in_the_plural(spaced):
    text = spaced["LMM: `pain score` ~ time + treatment + (1 + time + age | patient)"].text()
    assert "a random intercept and random slopes for time and age for each patient" in text
    assert "a random slopes" not in text


def test_wide_data_times_and_ranges_are_formatted_alike(wide):
    assert "32.8 to 87.0, mean 56.2" in wide["describe the data"].text()
    reshaped = wide["reshape from wide to long format first"].text()
    assert "pain at time = 0, 1, 3, 6;" in reshaped


@pytest.mark.parametrize(
    ("low", "high", "text"),
    [(17.3, 87.0, "17.3 to 87.0"), (26.0, 78.0, "26 to 78"), (-1.25, 3.0, "−1.25 to 3.00")],
)
def test_value_range_uses_one_precision_for_both_ends(low, high, text):
    assert fmt.value_range(low, high) == text


def test_a_backticked_formula_is_one_clean_code_span(spaced):
    answer = spaced["LMM: `pain score` ~ time + treatment + (1 + time | patient)"]
    heading = "Model 2 (random intercept and slope model): "
    formula = "`pain score` ~ time + treatment + (1 + time | patient)"
    assert f"{heading}{formula}\n" in answer.text()
    assert f"#### {heading}`` {formula} ``" in answer.markdown()
    assert f"<h4>{heading}<code>{formula}</code></h4>" in answer.html()
    assert "``pain score`" not in answer.text() + answer.markdown()


def test_compared_models_with_one_structure_name_get_distinct_labels(spaced):
    text = spaced["compare all models"].text()
    name = "random intercept and slope model"
    assert f"2: {name}, (1 + time | patient), fixed 1 + time + treatment " in text
    assert f"3: {name}, (1 + time | patient), fixed 1 + time " in text
    assert f"4: {name}, (1 + time + age | patient) " in text
    assert "1: uncorrelated intercept and slope model " in text


def test_a_grouping_factor_with_very_few_levels_is_flagged(tmp_path):
    """Two clusters cannot pin down a variance: the answer says so and names the fix;
    a factor with 80 levels gets no such note."""
    session = Session(sample="pain_trial", output_dir=tmp_path)
    few = session.ask("LMM: pain_score ~ time + (1 | treatment)")
    assert few.ok, few.error
    assert few.steps[0].result.fit.ngroups == {"treatment": 2}
    assert "`treatment` has only 2 levels" in few.text()
    assert "consider `treatment` as a fixed effect instead" in few.text()
    many = session.ask("LMM: pain_score ~ time + (1 | patient)")
    assert many.ok, many.error
    assert "has only" not in many.text()


def test_a_slope_variable_that_is_not_time_is_not_called_time(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    answer = session.ask("fit a random intercept model")
    assert answer.ok, answer.error
    assert "(outcome test_score, grouping factor school)" in answer.text()
    assert "time SES" not in answer.text()


def test_a_factor_by_factor_interaction_is_read_as_a_changing_difference(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    answer = session.ask("LMM: pain_score ~ treatment * sex + (1 | patient)")
    assert answer.ok, answer.error
    fit = session.models[1].fit
    inter = next(fe for fe in fit.fixed_effects if ":" in fe.term)
    assert inter.term == "treatment[T.treated]:sex[T.male]"
    size = fmt.magnitude(inter.estimate, inter.se)
    direction = "higher" if inter.estimate > 0 else "lower"
    assert (
        f"The male vs female difference in pain_score was {size} {direction} for treated "
        "than for control" in answer.text()
    )
    assert "treatment[T.treated]:sex[T.male]: estimate" not in answer.text()
