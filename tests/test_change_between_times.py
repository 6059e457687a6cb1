"""The model's change between two times in each group and the difference of the changes
(engine.change_between_times), against lmerTest's contest1D on the same contrasts
(tests/data/change_between_times_lmertest), and the requests that ask for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.change_between_times import change_between_times
from engine.samples import load_sample
from grammar import parse
from tests.conftest import ask_ok

LMERTEST = Path(__file__).parent / "data" / "change_between_times_lmertest" / "contest.out"
FORMULAS = {
    "linear": "pain_score ~ time * treatment + (1 | patient)",
    "factor": "pain_score ~ factor(time) * treatment + (1 | patient)",
}


def _lmertest() -> dict[str, list[float]]:
    rows = (line.split() for line in LMERTEST.read_text().splitlines() if line.strip())
    return {row[0]: [float(v) for v in row[1:]] for row in rows}


def _check(test, expected):
    estimate, se, df, t, p = expected
    assert test.estimate == pytest.approx(estimate, rel=1e-6, abs=1e-8)
    assert test.se == pytest.approx(se, rel=1e-6)
    assert test.df == pytest.approx(df, rel=1e-5)
    assert test.t == pytest.approx(t, rel=1e-5)
    assert test.p == pytest.approx(p, rel=1e-4)


@pytest.mark.parametrize("shape", FORMULAS)
def test_changes_and_their_difference_equal_lmertest(shape):
    fit = fit_lmm(FORMULAS[shape], load_sample("pain_trial"))
    result = change_between_times(fit, "treatment", "time", 0.0, 6.0)
    reference = _lmertest()
    control, treated = result.changes
    _check(control.test, reference[f"{shape}_control"])
    _check(treated.test, reference[f"{shape}_treated"])
    (difference,) = result.differences
    assert (difference.level1, difference.level2) == ("control", "treated")
    _check(difference.test, reference[f"{shape}_difference"])
    assert result.time_interacts


def test_linear_change_is_the_slope_times_the_span():
    fit = fit_lmm(FORMULAS["linear"], load_sample("pain_trial"))
    beta = dict(zip(fit.fixed_names, fit.beta, strict=True))
    result = change_between_times(fit, "treatment", "time", 1.0, 6.0)
    assert result.changes[0].test.estimate == pytest.approx(5 * beta["time"], rel=1e-12)
    assert result.differences[0].test.estimate == pytest.approx(
        -5 * beta["time:treatment[T.treated]"], rel=1e-10)


def test_without_interaction_every_group_changes_alike(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, "fit pain_score ~ time + treatment + (1 | patient)")
    answer = ask_ok(session, "does the change from baseline to month 6 differ between groups?")
    (result,) = [r for r in answer.to_json() if r.get("kind") == "change_between_times"]
    assert result["differences"] == []
    assert not result["time_interacts"]
    assert "same change by construction" in answer.text()


@pytest.mark.parametrize(
    ("request_text", "start", "end"),
    [
        ("is the drop in pain from baseline to month 6 bigger in the treated group?", None, 6.0),
        ("does the change from baseline to month 6 differ between groups?", None, 6.0),
        ("what is the change from baseline to month 6 in each group?", None, 6.0),
        ("what is the change in pain_score from month 1 to month 6?", 1.0, 6.0),
    ],
)
def test_requests_name_the_two_times(request_text, start, end):
    (step,) = parse(request_text).steps
    assert step.kind == "change_between_times"
    assert (step.start, step.end) == (start, end)


def test_the_treated_group_names_the_treatment_factor(tmp_path):
    session = Session(sample="pain_trial", output_dir=tmp_path)
    ask_ok(session, f"fit {FORMULAS['linear']}")
    answer = ask_ok(session,
                    "is the drop in pain from baseline to month 6 bigger in the treated group?")
    (result,) = [r for r in answer.to_json() if r.get("kind") == "change_between_times"]
    assert result["factor"] == "treatment" and (result["start"], result["end"]) == (0.0, 6.0)
    reference = _lmertest()["linear_difference"]
    assert result["differences"][0]["estimate"] == pytest.approx(reference[0], rel=1e-6)
    bad = session.ask("what is the change from baseline to month 12 in each group?")
    assert not bad.ok and "outside the data (0 to 6)" in str(bad.error)
