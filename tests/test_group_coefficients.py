"""engine.group_coefficients: lme4's ``coef(m)``, each level's β̂ + b̂, against the
reference fixef and ranef (coef is their sum, a closed form of the reference numbers),
and the ``coef(m1)`` request end to end.

Tolerance: a coefficient is a fixed effect (1e-4 relative) plus a BLUP (1e-3 of the
group's SD, reference README), so it is held to the BLUP's tolerance plus the fixed one.
"""

from __future__ import annotations

import pytest

from assistant.session import Session
from engine.errors import LmmInputError
from engine.group_coefficients import group_coefficients
from tests.test_blups import case, fit_of, fixef, ref_ranef


def group_sd(name: str, group: str, term: str) -> float:
    """The SD of a group's term; ``(Days || Subject)`` lists Days under ``Subject.1``."""
    return next(v["sdcor"] for v in case(name)["varcorr"]
                if v["grp"].split(".")[0] == group and v["var1"] == term and not v.get("var2"))


@pytest.mark.parametrize("name", ["sleepstudy_slope", "sleepstudy_uncorrelated"])
def test_each_subjects_intercept_and_slope_is_lme4s_fixef_plus_ranef(name):
    result = group_coefficients(fit_of(name))
    [table] = result.tables
    assert table.group == "Subject"
    assert table.terms == ("(Intercept)", "Days") and table.varying == table.terms
    assert len(table.levels) == 18
    for term in table.terms:
        ranef = ref_ranef(name, "Subject", term)
        tol = 1e-3 * group_sd(name, "Subject", term) + 1e-4 * abs(fixef(name, term))
        for level, value in zip(table.levels, table.column(term), strict=True):
            assert value == pytest.approx(fixef(name, term) + ranef[level]["value"], abs=tol)


def test_subject_308_has_lme4s_coefficients():
    # coef(lmer(Reaction ~ Days + (Days | Subject), sleepstudy))$Subject["308", ]
    table = group_coefficients(fit_of("sleepstudy_slope")).table("Subject")
    row = table.values[table.levels.index("308")]
    expected = [fixef("sleepstudy_slope", t)
                + ref_ranef("sleepstudy_slope", "Subject", t)["308"]["value"]
                for t in table.terms]
    assert row == pytest.approx(expected, abs=1e-2)
    assert row == pytest.approx([253.66, 19.67], abs=5e-3)


def test_terms_without_a_random_effect_are_the_fixed_effect_for_every_level():
    name = "orthodont_interaction"  # distance ~ age * Sex + (1 | Subject)
    table = group_coefficients(fit_of(name)).table("Subject")
    assert table.varying == ("(Intercept)",)
    fixed = dict(zip(table.terms, table.fixed, strict=True))
    for term in table.terms[1:]:
        assert set(table.column(term)) == {fixed[term]}
    ranef = ref_ranef(name, "Subject", "(Intercept)")
    tol = 1e-3 * group_sd(name, "Subject", "(Intercept)") + 1e-4 * abs(fixed["(Intercept)"])
    for level, value in zip(table.levels, table.column("(Intercept)"), strict=True):
        assert value == pytest.approx(fixed["(Intercept)"] + ranef[level]["value"], abs=tol)


def test_crossed_factors_give_one_table_each():
    result = group_coefficients(fit_of("penicillin_crossed"))
    assert [t.group for t in result.tables] == [g["group"] for g in _first_of_each_group(
        case("penicillin_crossed")["ranef"])]
    assert result.to_dict()["kind"] == "group_coefficients"


def _first_of_each_group(rows: list[dict]) -> list[dict]:
    seen: dict[str, dict] = {}
    for row in rows:
        seen.setdefault(row["group"], row)
    return list(seen.values())


def test_a_random_slope_without_its_fixed_effect_is_refused_as_in_lme4():
    from engine import fit_lmm
    from engine.samples import load_sample

    fit = fit_lmm("Reaction ~ 1 + (Days | Subject)", load_sample("sleepstudy"))
    with pytest.raises(LmmInputError, match="no fixed effect to be added to"):
        group_coefficients(fit)


def test_coef_request_answers_with_the_table(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask("fit Reaction ~ Days + (Days | Subject) called m1").ok
    answer = session.ask("coef(m1)")
    assert answer.ok, answer.error
    result = answer.steps[0].result.result
    assert result.table("Subject").column("Days").min() == pytest.approx(-0.2849, abs=5e-3)
    text = answer.text()
    assert "the Days slope runs from −0.285 (Subject 335) to 19.7 (Subject 308)" in text
    assert answer.to_json()[0]["kind"] == "group_coefficients"
