"""Outlying observations and clusters (engine.outliers) and the requests that list them.

The sleepstudy values come from R 4.2.2 / lme4 1.1-31:
``m <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy); z <- resid(m) / sigma(m)``,
the rows with ``abs(z) > qnorm(1 - 0.025 / 180)`` (= 3.63518819835), most extreme first.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.session import Session
from engine.lmm import fit_lmm
from engine.outliers import outlier_report
from engine.samples import load_sample
from engine.sensitivity import outlier_sensitivity

# (1-based row, Subject, Reaction, fitted, z) from R
R_OUTLIERS = [
    (57, "332", 454.1619, 321.6153265, 5.179260373),
    (8, "308", 290.1486, 391.3274879, -3.953567345),
    (60, "332", 253.8644, 352.2006534, -3.842491340),
]


@pytest.fixture(scope="module")
def sleep_fit():
    return fit_lmm("Reaction ~ Days + (Days | Subject)", load_sample("sleepstudy"))


def test_outlying_observations_equal_lme4s_standardized_residuals(sleep_fit):
    report = outlier_report(sleep_fit)
    assert report.threshold == pytest.approx(3.63518819835, abs=1e-10)
    assert report.nobs == 180 and report.extreme_levels == ()
    assert len(report.observations) == len(R_OUTLIERS)
    for found, (row, subject, observed, fitted, z) in zip(report.observations, R_OUTLIERS,
                                                          strict=True):
        assert found.source_row + 1 == row and found.levels == (("Subject", subject),)
        assert found.observed == pytest.approx(observed, abs=1e-9)
        assert found.fitted == pytest.approx(fitted, abs=1e-5)
        assert found.standardized == pytest.approx(z, abs=1e-6)


def test_the_report_and_the_outlier_refit_name_the_same_rows(sleep_fit):
    report = outlier_report(sleep_fit)
    refit = outlier_sensitivity(sleep_fit)
    assert tuple(o.row for o in report.observations) == refit.rows
    assert tuple(o.standardized for o in report.observations) == refit.z


def test_rows_are_numbered_in_the_data_when_the_fit_drops_missing_values():
    data = load_sample("sleepstudy")
    data.loc[[2, 4], "Reaction"] = np.nan  # two rows before the outlier in row 57
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", data)
    first = outlier_report(fit).observations[0]
    assert first.source_row + 1 == 57 and first.row == 54


def test_an_extreme_cluster_is_its_blup_over_the_sd_of_the_others():
    fit = fit_lmm("pain_score ~ time + treatment + (1 | patient)", load_sample("pain_trial"))
    report = outlier_report(fit)
    assert report.observations == ()
    (extreme,) = report.extreme_levels
    blups = {e.level: e.value for e in fit.random_effects}
    others = [v for level, v in blups.items() if level != extreme.level]
    assert extreme.level == max(blups, key=blups.get) == "P069"
    assert extreme.blup == pytest.approx(blups["P069"], abs=1e-12)
    assert extreme.standardized == pytest.approx(blups["P069"] / np.std(others, ddof=1),
                                                 rel=1e-12)
    assert extreme.standardized > extreme.threshold and extreme.n_levels == 80


def test_the_requests(tmp_path):
    session = Session(sample="sleepstudy", output_dir=tmp_path)
    before = session.ask("are there any outliers?")
    assert before.ok and before.steps[0].result.topic.key == "subsets"
    assert session.ask("LMM: Reaction ~ Days + (Days | Subject)").ok
    answer = session.ask("are there any outliers?")
    assert answer.ok, answer.error
    report = answer.steps[0].result.result
    assert [o.source_row + 1 for o in report.observations] == [57, 8, 60]
    text = answer.text()
    assert "3 observations of 180 are outlying" in text and "5.18" in text
    assert session.ask("check for outliers").steps[0].result.result == report
