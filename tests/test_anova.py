"""Type III F tests (lmerTest's anova(m, type = 3)) against the references."""

from __future__ import annotations

import numpy as np
import pytest

from engine import fit_lmm
from engine.anova import type3_anova, type3_contrasts
from engine.errors import LmmInputError
from engine.kenward_roger import kenward_roger_contrast
from tests.test_reference_cases import CASES, fitted, load_case, load_data, rel_err

ANOVA_CASES = [c for c in CASES if "anova_type3" in load_case(c)]


def test_the_reference_has_anova_cases():
    assert set(ANOVA_CASES) >= {"orthodont_interaction", "orthodont_slope"}


@pytest.mark.parametrize("name", ANOVA_CASES)
def test_satterthwaite_type3_table_matches_lmertest(name):
    table = fitted(name).anova()
    refs = load_case(name)["anova_type3"]
    assert list(table.columns) == ["term", "F", "num_df", "den_df", "p"]
    assert list(table["term"]) == [r["term"] for r in refs]
    for (_, row), ref in zip(table.iterrows(), refs, strict=True):
        assert rel_err(row["F"], ref["F"]) < 1e-3, ref["term"]
        assert row["num_df"] == ref["num_df"]
        assert rel_err(row["den_df"], ref["den_df"]) < 1e-2, ref["term"]
        assert abs(row["p"] - ref["p"]) < 1e-8 or rel_err(row["p"], ref["p"]) < 1e-2


def test_type3_contrast_for_a_covariate_in_an_interaction_is_its_average_slope():
    # In age * Sex (treatment coding), the type III hypothesis for age is the slope of age
    # averaged over the two sexes: beta_age + beta_age:SexMale / 2 = 0.
    contrasts = type3_contrasts(fitted("orthodont_interaction"))
    np.testing.assert_allclose(contrasts["age"], [[0.0, 1.0, 0.0, 0.5]], atol=1e-12)
    np.testing.assert_allclose(contrasts["Sex"], [[0.0, 0.0, 1.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(contrasts["age:Sex"], [[0.0, 0.0, 0.0, 1.0]], atol=1e-12)


def test_kenward_roger_type3_uses_the_adjusted_one_df_tests():
    fit = fitted("orthodont_slope")
    table = type3_anova(fit, "kenward-roger")
    contrasts = type3_contrasts(fit)
    for _, row in table.iterrows():
        t = kenward_roger_contrast(fit, contrasts[row["term"]][0])
        assert row["den_df"] == pytest.approx(t.df, rel=1e-10)
        # pbkrtest's F scaling is 1 when the adjustment vanishes (balanced data).
        assert row["F"] == pytest.approx(t.t**2, rel=1e-6)
    # pbkrtest's df for the balanced Orthodont design is exactly 25 (lmerTest KR output).
    np.testing.assert_allclose(table["den_df"], 25.0, rtol=1e-6)


def test_factor_with_three_levels_gets_a_two_df_test():
    data = load_data("sleepstudy_slope").copy()
    data["phase"] = np.select([data["Days"] < 3, data["Days"] < 6], ["a", "b"], "c")
    fit = fit_lmm("Reaction ~ phase + (1 | Subject)", data)
    table = fit.anova()
    assert list(table["term"]) == ["phase"]
    assert table["num_df"].iloc[0] == 2
    # One term only: the F test of both phase coefficients, F = Wald / 2.
    beta, V = fit.beta[1:], fit.vcov_beta[1:, 1:]
    wald = float(beta @ np.linalg.solve(V, beta))
    assert table["F"].iloc[0] == pytest.approx(wald / 2, rel=1e-8)


def test_unknown_ddf_is_refused():
    with pytest.raises(LmmInputError, match="satterthwaite"):
        type3_anova(fitted("orthodont_interaction"), "bogus")


@pytest.mark.parametrize("ddf", ["satterthwaite", "kenward-roger"])
def test_within_subject_factor_matches_the_exact_split_plot_f_test(ddf):
    # Balanced random-intercept model, factor varying within subjects: the REML F test
    # equals the classical F of y ~ subject + phase (fixed subjects), on (2, 160) df.
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    data = load_data("sleepstudy_slope").copy()
    data["phase"] = np.select([data["Days"] < 3, data["Days"] < 6], ["a", "b"], "c")
    fit = fit_lmm("Reaction ~ phase + (1 | Subject)", data)
    classical = sm.stats.anova_lm(smf.ols("Reaction ~ C(Subject) + phase", data).fit(), typ=2)
    row = type3_anova(fit, ddf).iloc[0]
    assert row["F"] == pytest.approx(classical.loc["phase", "F"], rel=1e-6)
    assert row["num_df"] == 2
    assert row["den_df"] == pytest.approx(classical.loc["Residual", "df"], rel=1e-4)
    assert row["p"] == pytest.approx(classical.loc["phase", "PR(>F)"], rel=1e-3)
