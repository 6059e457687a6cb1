"""Looking up and ranking BLUPs in words, through the Session: the numbers shown are the
fit's random effects (engine.blups, checked against lme4 in tests/test_blups.py)."""

from __future__ import annotations

import pytest

from assistant.session import Session
from engine.blups import lookup_blups, rank_blups
from tests.conftest import ask_ok, find_reference_dir


@pytest.fixture(scope="module")
def pain(tmp_path_factory) -> Session:
    session = Session(sample="pain_trial", output_dir=tmp_path_factory.mktemp("out"))
    ask_ok(session, "LMM: pain_score ~ time + treatment + (1 | patient)")
    return session


@pytest.fixture(scope="module")
def sleep(tmp_path_factory) -> Session:
    session = Session(sample="sleepstudy", output_dir=tmp_path_factory.mktemp("out"))
    ask_ok(session, "LMM: Reaction ~ Days + (Days | Subject)")
    return session


def test_one_patients_blup_is_narrated_with_its_interval(pain):
    answer = ask_ok(pain, "show the BLUPs for patient P001")
    (step,) = answer.steps
    lookup = step.result.result
    fit = pain.models[1].fit
    (row,) = [r for r in fit.random_effects if r.level == "P001"]
    assert lookup.effects[0].value == row.value
    assert lookup.effects[0].upper == pytest.approx(row.value + 1.959964 * row.cond_sd, rel=1e-6)
    text = answer.text()
    value, sd = f"{abs(row.value):.1f}", f"{row.cond_sd:.1f}"  # two digits of the SD (2.4)
    head = f"Patient P001: random intercept \u2212{value} (conditional SD {sd}; 95% interval"
    assert head in text
    assert f"P001's baseline pain_score is {value} below the average patient's." in text
    assert "BLUP ± 1.96 conditional SDs, as lme4's caterpillar plot" in text
    assert answer.to_json()[0]["kind"] == "blup_lookup"


def test_a_numeric_subject_is_found_as_its_stored_level(sleep):
    answer = ask_ok(sleep, "random effects for subject 308")
    lookup = answer.steps[0].result.result
    assert (lookup.group, lookup.level) == ("Subject", "308")
    slope = lookup.effects[1]
    assert slope.term == "Days"
    text = answer.text()
    assert f"308's Reaction changes by {slope.coefficient:.1f} per unit of Days" in text
    assert f"against {slope.coefficient - slope.value:.1f} for the average subject" in text


def test_a_level_named_by_its_number_and_the_plural_factor(tmp_path):
    session = Session(sample="schools", output_dir=tmp_path)
    ask_ok(session, "LMM: test_score ~ SES + (1 | school)")
    answer = ask_ok(session, "what is the random intercept of school 12")
    assert answer.steps[0].result.result.level == "school_12"
    ranking = ask_ok(session, "top 5 schools").steps[0].result.result
    expected = rank_blups(session.models[1].fit, "school", None, "highest", 5)
    assert [r.level for r in ranking.rows] == [r.level for r in expected.rows]
    assert len(ranking.rows) == 5


def test_an_unknown_level_is_one_sentence_and_changes_nothing(pain):
    before = pain.state
    answer = pain.ask("show the BLUPs for patient P999")
    assert not answer.ok
    assert str(answer.error) == (
        "patient has no level 'P999'; its 80 levels include P001, P002, P003, P004, P005."
    )
    assert pain.state is before
    wrong_factor = pain.ask("random effects for treatment treated")
    assert str(wrong_factor.error) == (
        "'treatment' is not a grouping factor of the model; its grouping factor is patient."
    )


def test_rankings_show_the_requested_number_in_order(sleep):
    fit = sleep.models[1].fit
    answer = ask_ok(sleep, "which subjects have the steepest slopes")
    ranking = answer.steps[0].result.result
    assert ranking.term == "Days" and ranking.order == "steepest" and len(ranking.rows) == 5
    own = sorted((abs(fit.beta[1] + r.value), r.level) for r in fit.random_effects
                 if r.term == "Days")
    assert [r.level for r in ranking.rows] == [lv for _, lv in reversed(own)][:5]
    text = answer.text()
    assert "Subjects with the steepest random slope for Days" in text
    assert "The 5 of 18 subjects, ordered by the size of each one's own Days slope" in text
    every = ask_ok(sleep, "rank the subjects by their random slope").steps[0].result.result
    assert len(every.rows) == 18 and every.order == "highest"
    lowest = ask_ok(sleep, "the 3 lowest random intercepts").steps[0].result.result
    assert [r.level for r in lowest.rows] == [
        r.level for r in rank_blups(fit, "Subject", "(Intercept)", "lowest", 3).rows]


def test_highest_intercepts_of_patients(pain):
    answer = ask_ok(pain, "which patients have the highest intercepts")
    ranking = answer.steps[0].result.result
    values = [r.value for r in pain.models[1].fit.random_effects]
    assert ranking.rows[0].value == max(values)
    assert [r.value for r in ranking.rows] == sorted(values, reverse=True)[:5]


def test_several_grouping_factors_are_told_apart_by_word_and_by_level(tmp_path):
    import pandas as pd

    reference = find_reference_dir()
    data = pd.read_csv(reference / "data" / "Penicillin.csv")
    session = Session(data=data, output_dir=tmp_path)
    ask_ok(session, "LMM: diameter ~ 1 + (1 | plate) + (1 | sample)")
    fit = session.models[1].fit
    by_word = ask_ok(session, "show the BLUPs for sample F").steps[0].result.result
    assert by_word.group == "sample"
    assert by_word.effects[0].value == lookup_blups(fit, "sample", "F").effects[0].value
    by_level = ask_ok(session, "show the BLUPs for x").steps[0].result.result
    assert by_level.group == "plate"  # only plate has a level x
    exact_first = ask_ok(session, "show the BLUPs for a").steps[0].result.result
    assert (exact_first.group, exact_first.level) == ("plate", "a")
    vague = session.ask("top 3 subjects")
    assert "several grouping factors (plate, sample); say which" in str(vague.error)
    plates = ask_ok(session, "top 3 plates").steps[0].result.result
    assert plates.group == "plate" and len(plates.rows) == 3


def test_blups_of_a_named_factor_alone(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    ask_ok(session, "LMM: Reaction ~ Days + (1 | Subject)")
    answer = ask_ok(session, "show the BLUPs for subject")
    assert answer.steps[0].result.view == "blups"
    assert len(answer.to_json()[0]["random_effects"]) == 18


def test_the_plan_describes_the_lookup_and_the_ranking():
    from grammar import parse

    assert parse("show the BLUPs for patient P001").describe() == (
        "1. Look up one level's random effects (BLUPs) (group: patient; level: P001)"
    )
    assert parse("top 5 schools").describe() == (
        "1. Rank the levels by their random effects (group: schools; order: highest; top: 5)"
    )


@pytest.mark.parametrize("request_text, side", [
    ("which patients are above average?", "above"),
    ("which patients have higher pain than average?", "above"),
    ("which patients have lower pain than the others?", "below"),
])
def test_patients_on_one_side_of_the_average_intercept(pain, request_text, side):
    ranking = ask_ok(pain, request_text).steps[0].result.result
    values = {r.level: r.value for r in pain.models[1].fit.random_effects}
    wanted = {level for level, v in values.items() if (v > 0 if side == "above" else v < 0)}
    assert {r.level for r in ranking.rows} == wanted and 0 < len(wanted) < 80
    shown = [r.value for r in ranking.rows]
    assert shown == sorted(shown, reverse=(side == "above"))


def test_the_n_patients_with_the_highest_random_intercepts(pain):
    ranking = ask_ok(pain, "list the 6 patients with the highest random intercepts")
    rows = ranking.steps[0].result.result.rows
    values = [r.value for r in pain.models[1].fit.random_effects]
    assert [r.value for r in rows] == sorted(values, reverse=True)[:6]
