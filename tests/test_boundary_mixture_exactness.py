"""The 50:50 χ²(df−1)/χ²(df) mixture is the null distribution of the likelihood-ratio
statistic when one random-effect column is added (Self and Liang 1987; Stram and Lee
1994); a comparison that adds several at once (a three-level factor's slope) is flagged,
and the answer calls its corrected p an approximation."""

from __future__ import annotations

import pytest
from scipy import stats

from assistant.session import Session
from engine import fit_lmm
from engine.compare import added_random_columns, compare_models
from engine.random_effects_tests import random_effects_tests
from engine.samples import load_sample
from tests.test_words14_requests import _three_arm_data


def _mixture(chisq: float, df: int) -> float:
    return 0.5 * stats.chi2.sf(chisq, df - 1) + 0.5 * stats.chi2.sf(chisq, df)


def test_one_added_column_is_exact_and_two_are_not():
    sleep = load_sample("sleepstudy")
    small = fit_lmm("Reaction ~ Days + (1 | Subject)", sleep)
    large = fit_lmm("Reaction ~ Days + (Days | Subject)", sleep)
    assert added_random_columns(small, large) == 1
    row = compare_models([small, large]).table.iloc[1]
    assert row["boundary_exact"] is True
    assert row["p_boundary"] == pytest.approx(_mixture(row["Chisq"], 2), rel=1e-9)

    arms = _three_arm_data()
    small = fit_lmm("score ~ arm + (1 | rater)", arms)
    large = fit_lmm("score ~ arm + (1 + arm | rater)", arms)
    assert added_random_columns(small, large) == 2
    row = compare_models([small, large]).table.iloc[1]
    assert row["Df"] == 5 and row["boundary_exact"] is False
    assert row["p_boundary"] == pytest.approx(_mixture(row["Chisq"], 5), rel=1e-9)


def test_ranova_flags_a_factor_slope_and_not_a_numeric_one():
    tests = random_effects_tests(fit_lmm("score ~ arm + (1 + arm | rater)", _three_arm_data()))
    (slope,) = [t for t in tests.tests if t.column != "(Intercept)"]
    assert slope.df == 5 and slope.boundary_exact is False
    sleep = random_effects_tests(
        fit_lmm("Reaction ~ Days + (Days | Subject)", load_sample("sleepstudy")))
    assert all(t.boundary_exact for t in sleep.tests)


def test_the_answer_calls_the_several_column_correction_an_approximation(tmp_path):
    session = Session(data=_three_arm_data(), output_dir=tmp_path)
    assert session.ask("fit score ~ arm + (1 | rater)").ok
    assert session.ask("fit score ~ arm + (1 + arm | rater)").ok
    text = session.ask("compare models 1 and 2").text()
    assert "adds several at once, so the corrected p is an approximation" in text
    ranova = session.ask("test the random effects").text()
    assert "corrected for the boundary (approximately)" in ranova
    sleep = Session(sample="sleepstudy", output_dir=tmp_path)
    assert sleep.ask("fit Reaction ~ Days + (1 | Subject)").ok
    assert sleep.ask("fit Reaction ~ Days + (Days | Subject)").ok
    assert "approximation" not in sleep.ask("compare models 1 and 2").text()
