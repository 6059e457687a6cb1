"""Likelihood-ratio tests of the random effects against lmerTest's ``ranova``.

Expected values from R on this machine (lme4 1.1-31, lmerTest), data from
../shared/reference/data and engine/sample_data, e.g.

    ranova(lmer(Reaction ~ Days + (Days | Subject), sleepstudy))
    ranova(lmer(strength ~ 1 + (1 | batch/cask), Pastes))
    ranova(lmer(pain_score ~ time + treatment + (1 | patient), pain_trial, REML = FALSE))
"""

from __future__ import annotations

import pandas as pd
import pytest

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.random_effects_tests import random_effects_tests
from engine.samples import load_sample
from tests.conftest import find_reference_dir

# case: (formula, data, REML, full logLik, {label: (npar, logLik, LRT, df, p)})
CASES = {
    "sleepstudy_slope": (
        "Reaction ~ Days + (Days | Subject)", "sleepstudy", True, -871.814135979976,
        {"Days in (1 + Days | Subject)": (4, -893.232542697461, 42.8368134349691, 2,
                                         4.99004143060735e-10)},
    ),
    "sleepstudy_uncorrelated": (
        "Reaction ~ Days + (Days || Subject)", "sleepstudy", True, -871.834646790741,
        {"(1 | Subject)": (4, -883.262513742785, 22.8557339040888, 1, 1.74627589670900e-06),
         "(0 + Days | Subject)": (4, -893.232542697461, 42.7957918134400, 1,
                                  6.07627309942783e-11)},
    ),
    "sleepstudy_slope_ml": (
        "Reaction ~ Days + (Days | Subject)", "sleepstudy", False, -875.969672244495,
        {"Days in (1 + Days | Subject)": (4, -897.039321502613, 42.1392985162349, 2,
                                         7.07241263839854e-10)},
    ),
    "pastes_nested": (
        "strength ~ 1 + (1 | batch/cask)", "Pastes", True, -123.495372926744,
        {"(1 | cask:batch)": (3, -150.797705365492, 54.604664877496106, 1,
                              1.47385370218874e-13),
         "(1 | batch)": (3, -123.824200890180, 0.657655926872565, 1, 4.17388710959074e-01)},
    ),
    "penicillin_crossed": (
        "diameter ~ 1 + (1 | plate) + (1 | sample)", "Penicillin", True, -165.430294499802,
        {"(1 | plate)": (3, -217.958930822271, 105.057272644938, 1, 1.18656152763166e-24),
         "(1 | sample)": (3, -306.628012003603, 282.395435007602, 1, 2.25734086708434e-63)},
    ),
    # the last random term removed: the linear model's REML / ML log-likelihood
    "pain_reml": (
        "pain_score ~ time + treatment + (1 | patient)", "pain_trial", True,
        -950.236905467665,
        {"(1 | patient)": (4, -1017.288763296122, 134.103715656914, 1, 5.18546330856601e-31)},
    ),
    "pain_ml": (
        "pain_score ~ time + treatment + (1 | patient)", "pain_trial", False,
        -951.250928031536,
        {"(1 | patient)": (4, -1017.810176153509, 133.118496243947, 1, 8.51732715698103e-31)},
    ),
}


def _data(name: str) -> pd.DataFrame:
    if name == "pain_trial":
        return load_sample(name)
    return pd.read_csv(find_reference_dir() / "data" / f"{name}.csv")


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_ranova_matches_lmertest(case):
    formula, data, reml, full, expected = CASES[case]
    result = random_effects_tests(fit_lmm(formula, _data(data), reml=reml, ddf="residual"))
    assert result.loglik == pytest.approx(full, abs=1e-6)
    assert {t.label for t in result.tests} == set(expected)
    for test in result.tests:
        npar, loglik, lrt, df, p = expected[test.label]
        assert (test.npar, test.df) == (npar, df)
        assert test.loglik == pytest.approx(loglik, abs=1e-6)
        assert test.lrt == pytest.approx(lrt, abs=2e-6)
        assert test.p == pytest.approx(p, rel=1e-4)
        # the 50:50 mixture of chi2(df - 1) and chi2(df): half the p value for df = 1
        if df == 1:
            assert test.p_boundary == pytest.approx(test.p / 2, rel=1e-12)
        assert test.p_boundary < test.p


def test_a_random_slope_term_loses_one_slope_at_a_time():
    fit = fit_lmm("pain_score ~ time + age + (1 + time + age | patient)", load_sample("pain_trial"),
                  ddf="residual")
    result = random_effects_tests(fit)
    assert [(t.label, t.column, t.formula) for t in result.tests] == [
        ("time in (1 + time + age | patient)", "time",
         "pain_score ~ 1 + time + age + (1 + age | patient)"),
        ("age in (1 + time + age | patient)", "age",
         "pain_score ~ 1 + time + age + (1 + time | patient)"),
    ]
    # each drops one variance and its two correlations
    assert [t.df for t in result.tests] == [3, 3]


def test_session_answers_is_the_random_slope_needed(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    assert session.ask("fit Reaction ~ Days + (Days | Subject)").ok
    answer = session.ask("is the random slope needed?")
    assert answer.ok, answer.error
    (step,) = answer.steps
    (test,) = step.result.result.tests
    assert test.lrt == pytest.approx(42.8368134349691, abs=2e-6)
    text = answer.text()
    assert "Without the random slope of Days by Subject: χ²(2) = 42.84" in text
    assert "the data support keeping it" in text
    assert list(session.models) == [1]  # the reduced fits are not filed as models
