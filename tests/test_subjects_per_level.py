"""'How many patients are in each group?': distinct subjects per level of a factor."""

from __future__ import annotations

import pandas as pd
import pytest

from assistant.session import Session
from engine.errors import LmmInputError
from engine.samples import load_sample
from engine.subjects_per_level import subjects_per_level


def test_counts_distinct_subjects_not_rows() -> None:
    data = load_sample("pain_trial")
    result = subjects_per_level(data, "patient", "treatment")
    expected = data.groupby("treatment")["patient"].nunique()
    assert result.levels == tuple(expected.index)
    assert result.counts == tuple(int(v) for v in expected)
    assert result.rows == tuple(int(v) for v in data["treatment"].value_counts()[expected.index])
    assert result.n_subjects == data["patient"].nunique() == 80
    assert result.in_several == ()


def test_a_factor_that_changes_within_subjects_lists_those_subjects() -> None:
    data = pd.DataFrame({
        "id": ["a", "a", "b", "b", "c", None],
        "arm": ["x", "y", "x", "x", "y", "y"],
    })
    result = subjects_per_level(data, "id", "arm")
    assert result.levels == ("x", "y")
    assert result.counts == (2, 2)  # a and b in x; a and c in y (the row without id dropped)
    assert result.rows == (3, 2)
    assert result.in_several == ("a",)
    assert result.n_subjects == 3


def test_counting_subjects_within_themselves_is_refused() -> None:
    with pytest.raises(LmmInputError, match="name another column"):
        subjects_per_level(load_sample("pain_trial"), "patient", "patient")


@pytest.mark.parametrize("request_text", [
    "how many patients are in each group?",
    "how many patients per treatment?",
    "number of patients per arm",
])
def test_session_answers_with_patients_per_treatment_arm(tmp_path, request_text) -> None:
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    answer = session.ask(request_text)
    assert answer.ok, answer.error
    counts = load_sample("pain_trial").groupby("treatment")["patient"].nunique()
    text = answer.text()
    assert (
        f"80 levels of patient across 2 levels of treatment: control {counts['control']} "
        f"and treated {counts['treated']}"
    ) in text
    assert "treatment stays the same within every patient." in text


def test_observations_per_patient_counts_rows_not_patients(tmp_path) -> None:
    # words11: the question counts each patient's rows (before: the whole audit); the
    # audit stays for "report how many observations per subject"
    session = Session(sample="pain_trial", output_dir=tmp_path)
    assert session.ask("LMM: pain_score ~ time + treatment + (1 | patient)").ok
    answer = session.ask("how many observations per patient?")
    assert answer.ok, answer.error
    assert [s.kind for s in answer.steps] == ["missing_data"]
    assert "Observations per patient" in answer.text()
    assert "Observations and missing data" in session.ask(
        "report how many observations per patient").text()
