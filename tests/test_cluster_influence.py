"""Influential clusters: leave-one-level-out refits against lme4 1.1-31's
``influence(fit, groups = g)`` with ``cooks.distance()`` and ``dfbetas()``
(tests/data/influence: R script + JSON), and Cook's distance against its closed form
(beta - beta_(g))' V^-1 (beta - beta_(g)) / p from R's deleted estimates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.session import Session
from engine import fit_lmm
from engine import influence as influence_module
from engine.errors import LmmInputError
from engine.influence import cluster_influence
from engine.samples import load_sample

REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "influence" / "influence.json").read_text()
)
CASES = {case["name"]: case for case in REFERENCE["cases"]}
SAMPLE = {"sleepstudy_intercept": "sleepstudy", "sleepstudy_slope": "sleepstudy",
          "pain_trial": "pain_trial"}


@pytest.fixture(scope="module", params=sorted(CASES))
def case_and_result(request):
    case = CASES[request.param]
    fit = fit_lmm(case["formula"], load_sample(SAMPLE[case["name"]]))
    return case, fit, cluster_influence(fit)


def _by_level(result, case, attribute):
    by = {lv.level: lv for lv in result.levels}
    return np.array([getattr(by[level], attribute) for level in case["levels"]])


def test_deleted_estimates_equal_lme4_influence(case_and_result):
    case, fit, result = case_and_result
    assert result.group == case["group"]
    assert result.n_levels == len(case["levels"])
    assert list(result.fixed_names)[0] == "(Intercept)"
    np.testing.assert_allclose(_by_level(result, case, "beta"), case["beta_deleted"],
                               rtol=1e-4)
    sigma2 = _by_level(result, case, "sigma") ** 2
    np.testing.assert_allclose(sigma2, case["sigma2_deleted"], rtol=1e-4)


def test_cooks_distance_and_dfbetas_equal_lme4(case_and_result):
    case, fit, result = case_and_result
    np.testing.assert_allclose(_by_level(result, case, "cooks_distance_lme4"),
                               case["cooks_distance_lme4"], rtol=1e-4)
    np.testing.assert_allclose(_by_level(result, case, "dfbetas"), case["dfbetas_lme4"],
                               rtol=1e-4, atol=1e-4)


def test_cooks_distance_is_the_quadratic_form_over_p(case_and_result):
    """influence.ME's D_g from R's own deleted estimates and vcov; lme4's version is the
    same quadratic form times (G - p) / (G p)."""
    case, fit, result = case_and_result
    beta = np.array(case["beta"])
    vinv = np.linalg.inv(np.array(case["vcov"]))
    deleted = np.array(case["beta_deleted"])
    p, g = beta.size, deleted.shape[0]
    quad = np.array([(b - beta) @ vinv @ (b - beta) for b in deleted])
    np.testing.assert_allclose(_by_level(result, case, "cooks_distance"), quad / p,
                               rtol=1e-4)
    np.testing.assert_allclose(np.array(case["cooks_distance_lme4"]),
                               quad * (g - p) / (g * p), rtol=1e-10)
    # levels come most influential first; the cutoff is 4 / G
    d = [lv.cooks_distance for lv in result.levels]
    assert d == sorted(d, reverse=True)
    assert result.levels[0].level == case["levels"][int(np.argmax(quad))]
    assert result.cutoff == pytest.approx(4 / g)
    assert set(result.influential) == {lv for lv, q in zip(case["levels"], quad / p, strict=True)
                                       if q > 4 / g}


def test_the_most_influential_levels_are_refitted_in_full(case_and_result):
    case, fit, result = case_and_result
    top = result.levels[0]
    assert result.refitted[0] == top.level
    assert len(top.terms) == len(result.fixed_names)
    for term, beta_without in zip(top.terms, top.beta, strict=True):
        assert term.estimate_without == pytest.approx(beta_without, rel=1e-4)
        assert term.p_without is not None
    assert all(not lv.terms for lv in result.levels if lv.level not in result.refitted)


def test_crossed_model_uses_the_factor_with_most_levels_unless_one_is_named():
    fit = fit_lmm("rating ~ condition + (1 | rater) + (1 | item)", load_sample("ratings"))
    most = max(fit.ngroups, key=lambda g: fit.ngroups[g])
    chosen = influence_module.influence_group(fit, None)
    assert chosen == (most, "most_levels")
    other = next(g for g in fit.ngroups if g != most)
    assert influence_module.influence_group(fit, other) == (other, "named")
    with pytest.raises(LmmInputError, match="not a grouping factor"):
        influence_module.influence_group(fit, "school")


def test_too_many_levels_are_refused(monkeypatch):
    fit = fit_lmm("Reaction ~ Days + (1 | Subject)", load_sample("sleepstudy"))
    monkeypatch.setattr(influence_module, "MAX_LEVELS", 10)
    with pytest.raises(LmmInputError) as info:
        cluster_influence(fit)
    assert str(info.value).startswith("Subject has 18 levels: leaving each out means 18 refits")


def test_the_influence_question_names_the_levels_and_the_rule():
    session = Session(sample="pain_trial")
    assert session.ask("pain_score ~ time + treatment + (1 | patient)").ok
    answer = session.ask("which patients are influential?")
    assert answer.ok, answer.error
    text = answer.text()
    case = CASES["pain_trial"]
    beta = np.array(case["beta"])
    vinv = np.linalg.inv(np.array(case["vcov"]))
    d = [(b - beta) @ vinv @ (b - beta) / 3 for b in np.array(case["beta_deleted"])]
    top = case["levels"][int(np.argmax(d))]
    assert "4/G = 4/80 = 0.050" in text
    assert f"{top} (D = {max(d):.3f})" in text
    assert f"Without {top} (4 rows" in text
    assert "the conclusions stand without it" in text


def test_a_word_that_is_no_grouping_factor_is_refused():
    session = Session(sample="sleepstudy")
    assert session.ask("Reaction ~ Days + (1 | Subject)").ok
    answer = session.ask("are there influential schools?")
    assert not answer.ok
    assert "schools is not a grouping factor of" in str(answer.error)


def test_a_crossed_model_says_which_factor_it_left_out_and_how_to_ask_for_another():
    session = Session(sample="ratings")
    assert session.ask("rating ~ condition + (1 | rater) + (1 | item)").ok
    answer = session.ask("influence diagnostics")
    assert answer.ok, answer.error
    text = answer.text()
    fit = fit_lmm("rating ~ condition + (1 | rater) + (1 | item)", load_sample("ratings"))
    most = max(fit.ngroups, key=lambda g: fit.ngroups[g])
    other = next(g for g in fit.ngroups if g != most)
    assert f"I left out levels of {most}, the one with most levels" in text
    assert f"`are there influential {other}s?`" in text
    answer = session.ask(f"are there influential {other}s?")
    assert answer.ok, answer.error
    assert f"Influential levels of {other}" in answer.text()
