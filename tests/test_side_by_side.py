"""RM-ANOVA and OLS next to the LMM (engine/side_by_side.py)."""

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from engine.errors import LmmInputError
from engine.lmm import fit_lmm
from engine.samples import load_sample
from engine.side_by_side import (
    greenhouse_geisser_epsilon,
    lmm_term_test,
    ols_side_by_side,
    rm_anova_side_by_side,
)

PAIN_FORMULA = "pain_score ~ time + treatment + (1 | patient)"


@pytest.fixture(scope="module")
def pain():
    return load_sample("pain_trial")


@pytest.fixture(scope="module")
def pain_fit(pain):
    return fit_lmm(PAIN_FORMULA, pain)


def _one_way_rm_anova_by_hand(wide: np.ndarray) -> tuple[float, float, float, float]:
    n, k = wide.shape
    grand = wide.mean()
    ss_within_factor = n * np.sum((wide.mean(axis=0) - grand) ** 2)
    ss_subjects = k * np.sum((wide.mean(axis=1) - grand) ** 2)
    ss_error = np.sum((wide - grand) ** 2) - ss_within_factor - ss_subjects
    df1, df2 = k - 1, (k - 1) * (n - 1)
    F = (ss_within_factor / df1) / (ss_error / df2)
    return F, df1, df2, stats.f.sf(F, df1, df2)


def test_rm_anova_on_complete_cases_matches_sums_of_squares(pain, pain_fit):
    result = rm_anova_side_by_side(pain_fit)
    assert result.applicable and result.within == ["time"] and result.subject == "patient"
    visits = pain.groupby("patient").size()
    complete = visits.index[visits == 4]
    assert result.n_subjects_complete == len(complete)
    assert result.n_subjects_dropped == 80 - len(complete)
    assert result.n_rows_used == 4 * len(complete)
    assert result.n_rows_dropped == len(pain) - 4 * len(complete)
    wide = pain[pain["patient"].isin(complete)].pivot(
        index="patient", columns="time", values="pain_score"
    ).to_numpy()
    F, df1, df2, p = _one_way_rm_anova_by_hand(wide)
    assert result.rm_anova.F == pytest.approx(F, rel=1e-10)
    assert (result.rm_anova.num_df, result.rm_anova.den_df) == (df1, df2)
    assert result.rm_anova.p == pytest.approx(p, rel=1e-8)
    # the LMM side uses every row and treats time as numeric, with treatment left out of RM-ANOVA
    assert result.lmm_nobs == len(pain) and result.lmm_ngroups == 80
    assert result.lmm_term == "time" and result.lmm_within_coding == "numeric"
    assert result.lmm.num_df == 1 and result.ignored_terms == ["treatment"]
    anova = pain_fit.anova().set_index("term").loc["time"]
    assert (result.lmm.F, result.lmm.den_df, result.lmm.p) == (
        anova["F"], anova["den_df"], anova["p"]
    )
    json.dumps(result.to_dict(), allow_nan=False)


def test_balanced_data_rm_anova_equals_lmm_with_factor_time():
    """On complete balanced data RM-ANOVA is the random-intercept LMM with a factor."""
    sleep = load_sample("sleepstudy")
    result = rm_anova_side_by_side(sleep, subject="Subject", within="Days", outcome="Reaction")
    assert result.n_subjects_dropped == 0 and result.n_rows_dropped == 0
    assert result.lmm_formula == "Reaction ~ factor(Days) + (1 | Subject)"
    assert result.lmm_within_coding == "factor"
    assert result.rm_anova.num_df == 9 and result.rm_anova.den_df == 153
    assert result.lmm.F == pytest.approx(result.rm_anova.F, rel=1e-6)
    assert result.lmm.num_df == 9 and result.lmm.method == "satterthwaite"
    # Satterthwaite's df is the exact (k - 1)(n - 1) of the balanced design
    assert result.lmm.den_df == pytest.approx(153, rel=1e-2)
    assert result.lmm.p == pytest.approx(result.rm_anova.p, rel=1e-2)


def test_greenhouse_geisser_epsilon_bounds():
    rng = np.random.default_rng(1)
    k, n = 4, 30
    contrasts = np.linalg.svd(np.eye(k) - 1.0 / k)[0][:, : k - 1].T
    scores = rng.normal(size=(n, k))
    scores -= scores.mean(axis=0)
    whitened = scores @ np.linalg.inv(np.linalg.cholesky(np.cov(scores, rowvar=False)).T)
    # sphericity holds exactly: intercepts plus contrasts with identity covariance
    spherical = whitened[:, :1] * 3.0 + whitened[:, 1:] @ contrasts
    assert greenhouse_geisser_epsilon(spherical) == pytest.approx(1.0, rel=1e-10)
    # all the within-subject variation along one contrast: the lower bound 1 / (k - 1)
    one_direction = whitened[:, :1] @ contrasts[:1]
    assert greenhouse_geisser_epsilon(one_direction) == pytest.approx(1 / (k - 1), rel=1e-10)


def test_not_applicable_designs(pain, pain_fit):
    sleep_fit = fit_lmm("Reaction ~ Days + (Days | Subject)", load_sample("sleepstudy"))
    too_many = rm_anova_side_by_side(sleep_fit, max_levels=5)
    assert not too_many.applicable
    assert (too_many.reason, too_many.variable) == ("too_many_levels", "Days")
    assert too_many.n_levels == 10

    between_only = fit_lmm("pain_score ~ treatment + (1 | patient)", pain)
    assert rm_anova_side_by_side(between_only).reason == "no_repeated_factor"

    assert rm_anova_side_by_side(pain_fit, between=["treatment"]).reason == (
        "between_subject_factors"
    )

    schools = fit_lmm("test_score ~ SES + school_size + (1 | school)", load_sample("schools"))
    continuous = rm_anova_side_by_side(schools)
    assert continuous.reason == "too_many_levels" and continuous.variable == "SES"

    penicillin = pd.read_csv("/work/shared/reference/data/Penicillin.csv")
    crossed = fit_lmm("diameter ~ 1 + (1 | plate) + (1 | sample)", penicillin)
    assert rm_anova_side_by_side(crossed).reason == "several_grouping_factors"
    json.dumps(continuous.to_dict(), allow_nan=False)


def test_too_few_complete_subjects():
    df = pd.DataFrame({"s": ["a", "a", "b", "c"], "t": [0, 1, 0, 1], "y": [1.0, 2.0, 3.0, 5.0]})
    result = rm_anova_side_by_side(df, subject="s", within="t", outcome="y")
    assert result.reason == "too_few_complete_subjects" and result.n_subjects_complete == 1


def test_data_without_names_is_refused():
    with pytest.raises(LmmInputError, match="Name the within and outcome"):
        rm_anova_side_by_side(load_sample("pain_trial"), subject="patient")


def test_one_column_term_falls_back_to_its_t_test(pain_fit, monkeypatch):
    def no_anova(*args, **kwargs):
        raise ImportError("no anova")

    monkeypatch.setattr(pain_fit, "anova", no_anova)
    test = lmm_term_test(pain_fit, "time")
    index = pain_fit.fixed_names.index("time")
    coefficient = pain_fit.fixed_effects[index]
    t = pain_fit.beta[index] / np.sqrt(pain_fit.vcov_beta[index, index])
    assert test.method == "satterthwaite"
    assert test.F == pytest.approx(t**2, rel=1e-10)
    assert (test.den_df, test.p) == (coefficient.df, coefficient.p)


def test_wald_fallback_for_a_factor_term(monkeypatch):
    fit = fit_lmm("pain_score ~ factor(time) + (1 | patient)", load_sample("pain_trial"))

    def no_anova(*args, **kwargs):
        raise ImportError("no anova")

    monkeypatch.setattr(fit, "anova", no_anova)
    test = lmm_term_test(fit, "factor(time)")
    columns = fit.fixed_term_columns["factor(time)"]
    beta = fit.beta[columns]
    chisq = beta @ np.linalg.inv(fit.vcov_beta[np.ix_(columns, columns)]) @ beta
    assert test.method == "wald_chisq" and test.den_df is None and test.num_df == 3
    assert test.F == pytest.approx(chisq / 3, rel=1e-10)
    assert test.p == pytest.approx(stats.chi2.sf(chisq, 3), rel=1e-8)


def test_ols_matches_statsmodels_and_the_design_effect(pain, pain_fit):
    result = ols_side_by_side(pain_fit)
    ols = smf.ols("pain_score ~ time + treatment", data=pain).fit()
    by_term = {c.term: c for c in result.coefficients}
    names = {"(Intercept)": "Intercept", "time": "time",
             "treatment[T.treated]": "treatment[T.treated]"}
    for ours, theirs in names.items():
        assert by_term[ours].ols_estimate == pytest.approx(ols.params[theirs], rel=1e-10)
        assert by_term[ours].ols_se == pytest.approx(ols.bse[theirs], rel=1e-10)
        lmm = next(fe for fe in pain_fit.fixed_effects if fe.term == ours)
        assert by_term[ours].se_ratio == pytest.approx(ols.bse[theirs] / lmm.se, rel=1e-10)
    # within-patient time: OLS SE too large; between-patient treatment: too small
    assert by_term["time"].varies_within_group and by_term["time"].se_ratio > 1
    assert not by_term["treatment[T.treated]"].varies_within_group
    assert by_term["treatment[T.treated]"].se_ratio < 1
    m_bar = len(pain) / 80
    assert result.mean_cluster_size == pytest.approx(m_bar)
    assert result.icc_kind == "icc" and result.icc == pytest.approx(pain_fit.icc)
    assert result.design_effect == pytest.approx(1 + (m_bar - 1) * pain_fit.icc, rel=1e-12)
    assert result.ols_sigma == pytest.approx(np.sqrt(ols.scale), rel=1e-10)
    json.dumps(result.to_dict(), allow_nan=False)


def test_ols_with_random_slope_uses_the_adjusted_icc():
    from engine.variance import variance_explained

    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", load_sample("sleepstudy"))
    result = ols_side_by_side(fit)
    assert result.icc_kind == "icc_adjusted"
    assert result.icc == pytest.approx(variance_explained(fit).icc_adjusted)
    assert result.design_effect == pytest.approx(1 + 9 * result.icc)
