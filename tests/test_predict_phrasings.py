"""Prediction requests worded in several ways ("for a treated patient at time 6", "at
month 6" when the time column is ``time``, "what is the predicted pain score at time 3
in the control group"): each gives the prediction of the fitted model at the values
named, x'β̂ with the fit's own coefficients."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.session import Session
from grammar import parse


@pytest.fixture(scope="module")
def pain(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask("LMM: pain_score ~ time * treatment + (1 | patient)").ok
    return session


def _prediction_by_hand(fit, time: float, treated: bool) -> float:
    """x'β̂ from the fitted coefficients (formulaic's names)."""
    beta = dict(zip(fit.fixed_names, np.asarray(fit.beta, dtype=float), strict=True))
    return (
        beta["(Intercept)"]
        + beta["time"] * time
        + treated * (beta["treatment[T.treated]"] + beta["time:treatment[T.treated]"] * time)
    )


@pytest.mark.parametrize(
    ("request_text", "time", "treated"),
    [
        ("predict pain at time 6 for treated patients", 6, True),
        ("predict pain for a treated patient at time 6", 6, True),
        ("predict pain_score for treated patients at time 6", 6, True),
        ("predict pain at month 6 for treated patients", 6, True),
        ("what is the predicted pain score at time 3 in the control group", 3, False),
        ("what is the expected pain at week 3 for control patients?", 3, False),
        ("predicted pain score for a control patient at time 3", 3, False),
        ("show the predicted pain score at time 0 in the treated group", 0, True),
    ],
)
def test_worded_predictions_are_the_models(pain, request_text, time, treated):
    answer = pain.ask(request_text)
    assert answer.ok, answer.error
    (step,) = answer.steps
    frame = step.result.result.frame
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["time"] == time
    assert row["treatment"] == ("treated" if treated else "control")
    expected = _prediction_by_hand(pain.models[1].fit, time, treated)
    assert row["estimate"] == pytest.approx(expected, rel=1e-10)
    shown = f"{expected:.1f}"
    assert shown in answer.text()


def test_conditions_in_either_order_give_one_plan():
    first = parse("predict pain at time 6 for treated patients").steps[0]
    second = parse("predict pain for treated patients at time 6").steps[0]
    assert sorted(first.at) == sorted(second.at)


def test_in_model_names_the_model():
    (step,) = parse("predict pain in the treated group at time 6 in model 1").steps
    assert step.model == "1"
    assert step.at == (("treated", ""), ("time", "6"))


def test_a_unit_word_that_is_a_column_is_not_read_as_time(tmp_path):
    rng = np.random.default_rng(3)
    subjects = np.repeat(np.arange(12), 4)
    frame = pd.DataFrame({
        "id": subjects,
        "time": np.tile([0.0, 1.0, 2.0, 3.0], 12),
        "month": np.tile([1.0, 5.0, 2.0, 7.0], 12),
    })
    frame["y"] = 2 + 0.5 * frame["time"] + rng.normal(0, 1, 12)[subjects] + rng.normal(0, 1, 48)
    session = Session(data=frame, output_dir=tmp_path)
    assert session.ask("LMM: y ~ time + (1 | id)").ok
    answer = session.ask("predict y at month 2")
    assert not answer.ok
    assert "month" in str(answer.error)
    answer = session.ask("predict y at week 2")
    assert answer.ok, answer.error
    fit = session.models[1].fit
    beta = dict(zip(fit.fixed_names, np.asarray(fit.beta, dtype=float), strict=True))
    (step,) = answer.steps
    assert step.result.result.frame["estimate"].iloc[0] == pytest.approx(
        beta["(Intercept)"] + 2 * beta["time"], rel=1e-10
    )


def test_two_time_columns_leave_a_unit_word_unread(tmp_path):
    rng = np.random.default_rng(4)
    subjects = np.repeat(np.arange(12), 4)
    frame = pd.DataFrame({
        "id": subjects,
        "week": np.tile([0.0, 1.0, 2.0, 3.0], 12),
        "visit": np.tile([1.0, 2.0, 4.0, 3.0], 12),
    })
    frame["y"] = 1 + frame["week"] + rng.normal(0, 1, 12)[subjects] + rng.normal(0, 1, 48)
    session = Session(data=frame, output_dir=tmp_path)
    assert session.ask("LMM: y ~ week + visit + (1 | id)").ok
    answer = session.ask("predict y at month 2")
    assert not answer.ok
