"""Missingness related to a variable (engine/missingness_by.py), checked against R.

The R values come from tests/data/missingness_by.R on the pain_trial sample: fisher.test,
t.test (Welch) and chisq.test, printed to 7 significant digits.
"""

import pandas as pd
import pytest

from engine.errors import LmmInputError
from engine.missing import missing_data_audit, subject_completeness
from engine.missingness_by import MissingnessByFactor, MissingnessByNumeric, missingness_by
from engine.samples import load_sample

MODEL_VARIABLES = ["pain_score", "treatment"]


@pytest.fixture(scope="module")
def pain() -> pd.DataFrame:
    return load_sample("pain_trial")


def test_completeness_agrees_with_the_audit(pain):
    complete = subject_completeness(pain, "patient", "time", MODEL_VARIABLES)
    audit = missing_data_audit(pain, "patient", "time", MODEL_VARIABLES)
    assert len(complete) == audit.n_subjects == 80
    assert int(complete.sum()) == audit.n_complete_subjects == 50


def test_treatment_arm_fisher_exact_as_r(pain):
    result = missingness_by(pain, "patient", "time", "treatment", MODEL_VARIABLES)
    assert isinstance(result, MissingnessByFactor) and result.test == "fisher"
    assert [(lv.level, lv.n_subjects, lv.n_complete) for lv in result.levels] == [
        ("control", 40, 26), ("treated", 40, 24)
    ]
    assert result.p_value == pytest.approx(0.8176076, abs=5e-8)
    assert result.df is None and result.min_expected == pytest.approx(15.0)


def test_sex_fisher_exact_as_r(pain):
    result = missingness_by(pain, "patient", "time", "sex", MODEL_VARIABLES)
    assert result.p_value == pytest.approx(0.8185098, abs=5e-8)


def test_subject_level_number_welch_as_r(pain):
    result = missingness_by(pain, "patient", "time", "age", MODEL_VARIABLES)
    assert isinstance(result, MissingnessByNumeric) and result.baseline is None
    assert (result.complete.n, result.incomplete.n) == (50, 30)
    assert result.difference == pytest.approx(result.incomplete.mean - result.complete.mean)
    assert result.t == pytest.approx(0.9497696, abs=5e-7)
    assert result.df == pytest.approx(72.7880457, abs=5e-6)
    assert result.p_value == pytest.approx(0.3453723, abs=5e-7)


def test_time_varying_number_uses_the_baseline_as_r(pain):
    result = missingness_by(pain, "patient", "time", "pain_score", MODEL_VARIABLES)
    assert result.baseline == 0.0 and result.n_without_value == 0
    assert result.t == pytest.approx(0.5506697, abs=5e-7)
    assert result.df == pytest.approx(62.3414934, abs=5e-6)
    assert result.p_value == pytest.approx(0.5838281, abs=5e-7)


def test_three_levels_chi_square_as_r(pain):
    banded = pain.assign(
        band=pd.cut(pain["age"], [0, 48, 58, 100]).astype(str).str.replace(", ", ",")
    )
    result = missingness_by(banded, "patient", "time", "band", MODEL_VARIABLES)
    assert result.test == "chi_square" and result.df == 2
    assert [(lv.level, lv.n_incomplete, lv.n_complete) for lv in result.levels] == [
        ("(0,48]", 8, 18), ("(48,58]", 11, 18), ("(58,100]", 11, 14)
    ]
    assert result.statistic == pytest.approx(0.9555296, abs=5e-7)
    assert result.p_value == pytest.approx(0.6201680, abs=5e-7)


def test_time_varying_factor_is_refused(pain):
    visits = pain.assign(visit=pain["time"].map({0: "a", 1: "b", 3: "b", 6: "a"}))
    with pytest.raises(LmmInputError, match="changes within patient"):
        missingness_by(visits, "patient", "time", "visit", MODEL_VARIABLES)


def test_no_incomplete_subject_is_refused(pain):
    seen_everywhere = subject_completeness(pain, "patient", "time", MODEL_VARIABLES)
    complete_only = pain[pain["patient"].isin(seen_everywhere[seen_everywhere].index)]
    with pytest.raises(LmmInputError, match="no two groups"):
        missingness_by(complete_only, "patient", "time", "treatment", MODEL_VARIABLES)


def test_subject_or_time_column_is_refused(pain):
    with pytest.raises(LmmInputError, match="time column"):
        missingness_by(pain, "patient", "time", "time", MODEL_VARIABLES)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    from assistant.session import Session

    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask("LMM: pain_score ~ time * treatment + (1 | patient)").ok
    return session


def test_the_session_answers_with_the_arm_test(session):
    answer = session.ask("is there more dropout in one arm?")
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    assert result.variable == "treatment"  # the model's one between-subject factor
    text = answer.text()
    assert "control 26 of 40 (65%) and treated 24 of 40 (60%)" in text
    assert "Fisher's exact test: p = .818" in text
    assert "no clear difference between levels of treatment" in text


def test_the_session_words_the_welch_test_at_baseline(session):
    answer = session.ask("is missingness related to baseline pain_score?")
    assert answer.ok, answer.error
    text = answer.text()
    assert "mean pain_score at baseline (time = 0) 55.7 (SD 10.7)" in text
    assert "Welch's t(62.3) = 0.55, p = .584" in text


def test_a_detected_relation_is_worded_as_such(tmp_path):
    """Patients of one arm drop every later visit: completion differs (Fisher's p < .05)."""
    from assistant.session import Session

    data = load_sample("pain_trial")
    treated_late = (data["treatment"] == "treated") & (data["time"] == 6)
    data = data[~(treated_late & (data["patient"].str[-1].isin(list("0123456"))))]
    path = tmp_path / "pain.csv"
    data.to_csv(path, index=False)
    session = Session(output_dir=tmp_path)
    assert session.ask(f"load {path}").ok
    assert session.ask("LMM: pain_score ~ time * treatment + (1 | patient)").ok
    before = session.state.models
    answer = session.ask("is the missingness related to treatment?")
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    assert result.p_value < 0.05
    assert "The share of completers differs between levels of treatment" in answer.text()
    assert session.state.models == before


def test_an_unknown_column_is_a_plain_message(session):
    answer = session.ask("is missingness related to agee?")
    assert not answer.ok
    assert "no column named 'agee'; did you mean 'age'?" in str(answer.error)
