"""'How many patients had all 4 visits?': the missing-data audit's subjects seen at every
time point, checked against a direct count in the data, and what listwise deletion would
keep (the same numbers as the RM-ANOVA side-by-side)."""

from __future__ import annotations

import pytest

from assistant.session import Session
from engine.samples import load_sample


@pytest.fixture(scope="module")
def pain(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask("LMM: pain_score ~ time * treatment + (1 | patient)").ok
    return session


def _direct_counts() -> tuple[int, int, int, int]:
    """Patients seen at all time points, all patients, and the observations of each group,
    counted from the sample itself."""
    data = load_sample("pain_trial").dropna(subset=["pain_score"])
    times = data["time"].nunique()
    per_patient = data.groupby("patient")["time"].nunique()
    complete = per_patient[per_patient == times].index
    rows_complete = int(data["patient"].isin(complete).sum())
    return len(complete), int(per_patient.size), rows_complete, len(data)


@pytest.mark.parametrize(
    "request_text",
    [
        "how many patients had all 4 visits?",
        "how many subjects have complete data?",
        "how many patients completed every visit",
        "How many patients were seen at every time point?",
        "number of patients with complete data",
        "how many patients have no missing visits",
        "how many completers are there?",
    ],
)
def test_complete_subjects_are_counted(pain, request_text):
    answer = pain.ask(request_text)
    assert answer.ok, answer.error
    (step,) = answer.steps
    audit = step.result.result
    complete, subjects, rows_complete, rows = _direct_counts()
    assert (audit.n_complete_subjects, audit.n_subjects) == (complete, subjects)
    assert audit.n_complete_case_rows == rows_complete
    text = answer.text()
    assert f"{complete} of {subjects} patients were seen at all 4 time points of time" in text
    assert f"the other {subjects - complete} missed at least one" in text
    assert f"only these {complete} ({rows_complete} of {rows} observations)" in text
    assert f"throw away {rows - rows_complete}" in text


def test_the_count_agrees_with_the_rm_anova_comparison(pain):
    answer = pain.ask("how many patients had all 4 visits?")
    audit = answer.steps[0].result.result
    side = pain.ask("compare to RM-ANOVA").steps[0].result.result
    assert side.n_subjects_complete == audit.n_complete_subjects
