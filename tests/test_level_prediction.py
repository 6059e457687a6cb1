"""Predictions for a new subject (population level, ``re.form = NA``) and for a subject the
model knows (x'β̂ + z'b̂), against lme4 1.1-31 and lmerTest 3.1-3 on sleepstudy:
tests/data/lme4_predict/make_predictions.R wrote sleepstudy_predictions.json.

Tolerances (reference README): the fixed part 1e-4 relative, its SE 1e-3, df 1e-2; a
subject's prediction adds BLUPs (1e-3 of the group's SD, 24.7 for the intercept and 5.92
for the Days slope, times Days for the slope).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from assistant.session import Session
from engine import fit_lmm
from engine.errors import LmmInputError
from engine.level_prediction import level_prediction
from engine.samples import load_sample
from grammar import parse

LME4 = json.loads(
    (Path(__file__).parent / "data" / "lme4_predict" / "sleepstudy_predictions.json").read_text()
)
SD_INTERCEPT, SD_DAYS = 24.7406579949841, 5.92213765889808


@cache
def slope_fit():
    return fit_lmm(LME4["formula"], load_sample("sleepstudy"), reml=LME4["reml"])


def blup_tolerance(days: float) -> float:
    return 1e-3 * (SD_INTERCEPT + days * SD_DAYS)


@pytest.mark.parametrize("row", LME4["conditional"], ids=lambda r: f"{r['Subject']}@{r['Days']}")
def test_a_known_subjects_prediction_is_lme4s_predict(row):
    result = level_prediction(slope_fit(), "Subject", row["Subject"], {"Days": row["Days"]})
    [estimate] = result.frame["estimate"]
    assert estimate == pytest.approx(row["estimate"], abs=blup_tolerance(row["Days"]))
    [population] = result.frame["population"]
    [deviation] = result.frame["deviation"]
    assert population + deviation == pytest.approx(estimate, rel=1e-12)


@pytest.mark.parametrize("row", LME4["population"], ids=lambda r: f"Days={r['Days']}")
def test_a_new_subjects_prediction_is_lme4s_re_form_na_with_lmertests_interval(row):
    result = level_prediction(slope_fit(), "Subject", "308", {"Days": row["Days"]})
    [pop] = result.population.frame.to_dict(orient="records")
    assert pop["estimate"] == pytest.approx(row["estimate"], rel=1e-4)
    assert pop["se"] == pytest.approx(row["se"], rel=1e-3)
    assert pop["df"] == pytest.approx(row["df"], rel=1e-2)
    assert pop["lower"] == pytest.approx(row["lower"], rel=1e-3)
    assert pop["upper"] == pytest.approx(row["upper"], rel=1e-3)


def test_the_deviation_is_the_subjects_blups_at_those_values():
    result = level_prediction(slope_fit(), "Subject", "308.0", {"Days": 12})
    assert result.level == "308"
    expected = result.blups["(Intercept)"] + 12 * result.blups["Days"]
    assert result.frame["deviation"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_an_unknown_level_is_refused_with_the_levels():
    with pytest.raises(LmmInputError, match="999"):
        level_prediction(slope_fit(), "Subject", "999", {"Days": 12})


@pytest.mark.parametrize(
    ("request_text", "at"),
    [("predict reaction at day 12 for a new subject", [["day", "12"]]),
     ("predict Reaction at Days 12 for new subjects", [["Days", "12"]]),
     ("predict at Days 12 for subject 308", [["Days", "12"], ["subject", "308"]])],
)
def test_prediction_requests_plan_their_values(request_text, at):
    [step] = parse(request_text).to_dict()["steps"]
    assert step["kind"] == "predict"
    assert step["at"] == at


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("figures"))
    assert session.ask("fit Reaction ~ Days + (Days | Subject)").ok
    return session


def test_new_subject_request_gives_the_population_prediction(session):
    """lme4's re.form = NA prediction, which the new subject's intervals are centred on
    (tests/test_new_unit_prediction.py checks the intervals)."""
    answer = session.ask("predict reaction at day 12 for a new subject")
    assert answer.ok, answer.error
    assert answer.steps[0].result.kind == "new_unit_predictions"
    grid = answer.steps[0].result.result.population
    [row] = grid.frame.to_dict(orient="records")
    assert row["Days"] == 12
    assert row["estimate"] == pytest.approx(LME4["population"][1]["estimate"], rel=1e-4)
    assert row["lower"] == pytest.approx(LME4["population"][1]["lower"], rel=1e-3)


def test_subject_request_gives_the_subjects_own_prediction(session):
    answer = session.ask("predict at Days 12 for subject 308")
    assert answer.ok, answer.error
    result = answer.steps[0].result
    assert result.kind == "level_prediction"
    lme4 = next(r for r in LME4["conditional"] if r["Subject"] == "308" and r["Days"] == 12)
    assert result.result.frame["estimate"].iloc[0] == pytest.approx(
        lme4["estimate"], abs=blup_tolerance(12)
    )
    text = answer.text()
    assert "Predicted Reaction for Subject 308 at Days = 12: 489.7" in text
    assert "the prediction is 377.0 (95% CI 337 to 417, an interval for the population mean" in text
