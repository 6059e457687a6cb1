"""'show the BLUPs' of a model with very many levels: the answer words only the rows it
can show (the detailed view stops at a limit), and every row it shows is lme4's BLUP.

Limits are lowered here so sleepstudy (18 subjects, 36 BLUPs) crosses them; the
reference is lme4's ranef of the same model (tolerance of the reference README: 1e-3 of
the group's SD, within the three significant digits shown)."""

from __future__ import annotations

import json

import pytest

import assistant.narrate.blups as blups
from assistant.session import Session
from tests.conftest import find_reference_dir


def _reference() -> dict[tuple[str, str], dict]:
    case = json.loads((find_reference_dir() / "cases" / "sleepstudy_slope.json").read_text())
    return {(r["term"], str(r["level"])): r for r in case["ranef"] if r["group"] == "Subject"}


def _table_rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.startswith("Subject ")]


def _number(cell: str) -> float:
    return float(cell.replace("\u2212", "-").replace(",", ""))


@pytest.fixture
def answer(monkeypatch):
    monkeypatch.setattr(blups, "_TABLE_LIMIT", 10)
    monkeypatch.setattr(blups, "_DETAIL_LIMIT", 24)
    session = Session(sample="sleepstudy")
    session.ask("fit Reaction ~ Days + (Days | Subject)")
    return session.ask("show the BLUPs")


def test_past_the_detail_limit_only_the_first_rows_are_worded_and_each_is_lme4s(answer):
    brief, detailed = answer.text(), answer.text("detailed")
    assert "36 predicted random effects" in brief
    assert ("The first 10 are shown here and the first 24 in the detailed view; all 36 are "
            "in the JSON, and `export the results` writes them to a CSV file.") in brief
    assert len(_table_rows(brief)) == 10
    rows = _table_rows(detailed)
    assert len(rows) == 24
    ref = _reference()
    # lme4's order: the 18 intercepts, then the slopes
    assert [r[1] for r in rows] == ["(Intercept)"] * 18 + ["Days"] * 6
    for _, term, level, value, cond_sd in rows:
        expected = ref[(term, level)]
        assert _number(value) == pytest.approx(expected["value"], rel=5e-3, abs=0.05)
        assert _number(cond_sd) == pytest.approx(expected["cond_sd"], rel=5e-3)
    # the JSON still holds all 36
    (result,) = answer.to_json()
    assert len(result["random_effects"]) == 36


def test_below_the_limit_the_answer_is_as_before(monkeypatch):
    monkeypatch.setattr(blups, "_TABLE_LIMIT", 10)
    session = Session(sample="sleepstudy")
    session.ask("fit Reaction ~ Days + (Days | Subject)")
    answer = session.ask("show the BLUPs")
    assert "The first 10 are shown here; all of them are in the JSON." in answer.text()
    assert len(_table_rows(answer.text("detailed"))) == 36
