"""Users' comparison questions after the usual first fits: a treatment effect over time,
the arms at a time point, time as a factor against linear time, a crossed model against
one of its factors alone.

Expected values come from lme4 / lmerTest (tests/data/words4_lme4/make_words4_lme4.R,
run on the built-in samples, stored in words4_lme4.json) and from pandas group means.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.session import Session

R = json.loads(
    (Path(__file__).parent / "data" / "words4_lme4" / "words4_lme4.json").read_text()
)
ADDITIVE = "LMM: pain_score ~ time + treatment + (1 | patient)"


@pytest.fixture()
def pain():
    session = Session(sample="pain_trial")
    assert session.ask(ADDITIVE).ok
    return session


def _results(answer, kind):
    assert answer.ok, answer.error
    return [o.result for o in answer.steps if o.kind == kind]


def test_does_the_effect_change_over_time_tests_the_added_interaction(pain):
    answer = pain.ask("does the treatment effect change over time?")
    (session_comparison,) = _results(answer, "compare_models")
    comparison = session_comparison.comparison
    expected = R["interaction_lrt"]
    row = comparison.table.iloc[1]
    assert comparison.criterion == "ML"
    assert row["Chisq"] == pytest.approx(expected["chisq"], rel=1e-4)
    assert row["p"] == pytest.approx(expected["p"], rel=1e-4)
    assert list(comparison.table["AIC"]) == pytest.approx(expected["aic"], rel=1e-7)
    # the slopes per arm come from the model with the interaction, so they differ
    (slopes_result,) = _results(answer, "marginal_means")
    slopes = slopes_result.result
    assert slopes_result.model.number == 2
    control, treated = (m.test.estimate for m in slopes.means)
    assert control - treated == pytest.approx(0.0669149370828305, rel=1e-5)  # -fixef[4], R
    text = answer.text()
    assert "χ²(1) = 0.06, p = .801" in text
    assert text.count("χ²(1) = 0.06") == text.count("χ²(1)")
