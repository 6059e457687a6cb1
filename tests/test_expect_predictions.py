"""Predictions asked in everyday words: "what reaction time do we expect after 5 days?",
"predict reaction time after 5 days" (the number before its column's word) and "what would a
student with SES of 1 score?". Each reaches the population prediction at the value named."""

from __future__ import annotations

import pytest

from assistant.session import Session
from grammar.parse import parse
from tests.conftest import ask_ok

SLEEP_COLUMNS = ["Reaction", "Days", "Subject"]
# lme4: fixef(lmer(Reaction ~ Days + (Days | Subject), sleepstudy))
LME4_INTERCEPT, LME4_DAYS = 251.405105, 10.467286


@pytest.mark.parametrize("request_text", [
    "predict reaction time after 5 days",
    "what is the expected reaction time after 5 days?",
    "what Reaction would we expect after 5 Days?",
])
def test_number_before_the_column_is_the_value_predicted_at(request_text):
    (step,) = parse(request_text, columns=SLEEP_COLUMNS).steps
    assert step.to_dict()["kind"] == "predict"
    assert [tuple(pair) for pair in step.to_dict()["at"]] == [("Days", "5")]


def test_prediction_after_5_days_is_the_fixed_effects_line(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 + Days | Subject)")
    answer = ask_ok(session, "predict reaction time after 5 days")
    (result,) = [r for r in answer.to_json() if r["kind"] == "predictions"]
    (row,) = result["rows"]
    assert row["Days"] == 5.0
    assert row["estimate"] == pytest.approx(LME4_INTERCEPT + 5 * LME4_DAYS, abs=1e-3)
