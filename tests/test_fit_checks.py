"""The checks around a fit: singular fits, aliased columns, missing rows, bad input,
optimizers, df methods, F tests and the LmmFit methods."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from engine import LmmInputError, fit_lmm
from engine.satterthwaite import fstat_ddf, satterthwaite_f_test


@pytest.fixture(scope="module")
def sleepstudy(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "data" / "sleepstudy.csv")


@pytest.fixture(scope="module")
def case(reference_dir):
    def load(name: str) -> dict:
        return json.loads((reference_dir / "cases" / f"{name}.json").read_text())

    return load


def test_singular_fit_is_flagged_with_a_sentence(reference_dir):
    data = pd.read_csv(reference_dir / "data" / "Dyestuff2.csv")
    fit = fit_lmm("Yield ~ 1 + (1 | Batch)", data)
    assert fit.singular
    assert fit.theta[0] == 0.0
    assert any("singular" in w and "boundary" in w for w in fit.warnings)


def test_regular_fit_has_no_warnings(sleepstudy):
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy)
    assert not fit.singular
    assert fit.warnings == []


def test_aliased_column_is_dropped_and_named(sleepstudy, case):
    data = sleepstudy.assign(Days2=2 * sleepstudy["Days"])
    fit = fit_lmm("Reaction ~ Days + Days2 + (1 | Subject)", data)
    assert fit.fixed_names == ["(Intercept)", "Days"]
    assert fit.aliased == ["Days2"]
    assert any("'Days2'" in w for w in fit.warnings)
    ref = case("sleepstudy_intercept")
    assert fit.criterion == pytest.approx(ref["criterion"], rel=1e-6)


def test_missing_rows_are_dropped_and_counted(sleepstudy):
    data = sleepstudy.copy()
    data.loc[[0, 5, 9], "Reaction"] = np.nan
    data.loc[[5, 20], "Days"] = np.nan
    fit = fit_lmm("Reaction ~ Days + (1 | Subject)", data)
    assert fit.n_dropped == 4
    assert fit.dropped_by_variable == {"Reaction": 3, "Days": 2, "Subject": 0}
    assert fit.nobs == 176
    assert len(fit.data) == 176
    assert any(w.startswith("4 row(s) with missing values") for w in fit.warnings)
    complete = fit_lmm("Reaction ~ Days + (1 | Subject)", data.dropna())
    assert fit.criterion == pytest.approx(complete.criterion, rel=1e-12)


@pytest.mark.parametrize(
    "formula,data_change,message",
    [
        ("Reaction ~ Days + (1 | one)", {"one": "a"}, "only 1 level"),
        ("Reaction ~ Days + (1 | row)", {"row": "range"}, "as many levels"),
        ("Reacton ~ Days + (1 | Subject)", {}, "did you mean 'Reaction'"),
        ("label ~ Days + (1 | Subject)", {"label": "text"}, "not numeric"),
        ("empty ~ Days + (1 | Subject)", {"empty": np.nan}, "no values"),
        ("Reaction ~ big + (1 | Subject)", {"big": "inf"}, "infinite"),
        ("Reaction ~ Days + (1 | Subject", {}, "ends too early"),
        ("Reaction ~ Days", {}, "no random-effects term"),
    ],
)
def test_bad_input_is_refused_with_one_sentence(sleepstudy, formula, data_change, message):
    data = sleepstudy.copy()
    for column, value in data_change.items():
        if value == "range":
            data[column] = [f"r{i}" for i in range(len(data))]
        elif value == "text":
            data[column] = "x"
        elif value == "inf":
            data[column] = data["Days"].astype(float)
            data.loc[3, column] = np.inf
        else:
            data[column] = value
    with pytest.raises(LmmInputError, match=message):
        fit_lmm(formula, data)


def test_more_random_effects_than_observations_is_refused(sleepstudy):
    early = sleepstudy[sleepstudy["Days"] < 3]
    with pytest.raises(LmmInputError, match="54 random effects for 54 observations"):
        fit_lmm("Reaction ~ Days + (Days + I(Days^2) | Subject)", early)


def test_formula_errors_keep_the_grammar_message(sleepstudy):
    from grammar.formula import FormulaError, parse_formula

    formula = "Reaction ~ eval(Days) + (1 | Subject)"
    with pytest.raises(FormulaError) as grammar_err:
        parse_formula(formula)
    with pytest.raises(LmmInputError) as engine_err:
        fit_lmm(formula, sleepstudy)
    assert str(engine_err.value) == str(grammar_err.value)


def test_unknown_settings_are_refused(sleepstudy):
    with pytest.raises(LmmInputError, match="optimizer"):
        fit_lmm("Reaction ~ Days + (1 | Subject)", sleepstudy, optimizer="newton")
    with pytest.raises(LmmInputError, match="degrees-of-freedom"):
        fit_lmm("Reaction ~ Days + (1 | Subject)", sleepstudy, ddf="magic")
    with pytest.raises(LmmInputError, match="between 0 and 1"):
        fit_lmm("Reaction ~ Days + (1 | Subject)", sleepstudy, level=95)


@pytest.mark.parametrize("optimizer", ["l-bfgs-b", "nelder-mead", "powell"])
def test_other_optimizers_reach_lme4s_optimum(sleepstudy, case, optimizer):
    ref = case("sleepstudy_slope")
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy, optimizer=optimizer)
    assert fit.opt.optimizer == optimizer
    assert fit.criterion <= ref["criterion"] + 1e-6 * ref["criterion"]
    np.testing.assert_allclose(fit.theta, ref["theta"], rtol=1e-3, atol=1e-3)


def test_optimizer_record(sleepstudy):
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy, max_iter=5)
    assert fit.opt.evaluations <= 6
    assert not fit.converged
    assert any("stopped before converging" in w for w in fit.warnings)
    full = fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy)
    assert full.opt.converged and full.opt.evaluations > 10
    np.testing.assert_array_equal(full.opt.initial, [1.0, 0.0, 1.0])
    assert full.opt.max_abs_gradient < 2e-3


def test_residual_and_asymptotic_df(sleepstudy, case):
    ref = case("sleepstudy_slope")
    resid = fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy, ddf="residual")
    days = resid.fixed_effects[1]
    assert days.df == 178
    assert days.p == pytest.approx(2 * stats.t.sf(abs(days.t), 178))
    z = fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy, ddf="asymptotic", level=0.9)
    days = z.fixed_effects[1]
    assert days.df == np.inf
    assert days.p == pytest.approx(2 * stats.norm.sf(abs(days.t)))
    half = stats.norm.ppf(0.95) * ref["fixef"][1]["se"]
    assert days.ci_upper - days.estimate == pytest.approx(half, rel=1e-3)


def test_kenward_roger_delegates_or_is_refused(sleepstudy, case):
    if importlib.util.find_spec("engine.kenward_roger") is None:
        with pytest.raises(LmmInputError, match="Kenward-Roger"):
            fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy, ddf="kenward-roger")
        return
    ref = case("sleepstudy_slope")
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy, ddf="kenward-roger")
    assert fit.ddf_method == "kenward-roger"
    for fe, r in zip(fit.fixed_effects, ref["fixef"], strict=True):
        assert fe.df == pytest.approx(r["df_kr"], rel=1e-2)


def test_single_row_f_test_is_the_squared_t(reference_dir, case):
    data = pd.read_csv(reference_dir / "data" / "Orthodont.csv")
    ref = case("orthodont_interaction")
    fit = fit_lmm(ref["formula"], data)
    row = np.zeros(4)
    row[3] = 1.0
    f_value, num_df, den_df, p = satterthwaite_f_test(fit, row)
    coef = fit.fixed_effects[3]
    assert num_df == 1
    assert f_value == pytest.approx(coef.t**2, rel=1e-10)
    assert den_df == pytest.approx(coef.df, rel=1e-10)
    assert p == pytest.approx(coef.p, rel=1e-8)
    anova_row = next(r for r in ref["anova_type3"] if r["term"] == "age:Sex")
    assert f_value == pytest.approx(anova_row["F"], rel=1e-3)
    assert den_df == pytest.approx(anova_row["den_df"], rel=1e-2)


def test_multi_row_f_test_is_the_wald_statistic(reference_dir):
    data = pd.read_csv(reference_dir / "data" / "Orthodont.csv")
    fit = fit_lmm("distance ~ age * Sex + (age | Subject)", data)
    L = np.array([[0, 0, 1.0, 0], [0, 0, 0, 1.0]])
    f_value, num_df, den_df, p = satterthwaite_f_test(fit, L)
    beta = L @ fit.beta
    wald = beta @ np.linalg.solve(L @ fit.vcov_beta @ L.T, beta) / 2
    assert num_df == 2
    assert f_value == pytest.approx(wald, rel=1e-10)
    assert 2 < den_df < max(fe.df for fe in fit.fixed_effects) + 1
    assert p == pytest.approx(stats.f.sf(f_value, 2, den_df))


def test_fstat_ddf_rules():
    assert fstat_ddf(np.array([7.0])) == 7.0
    assert fstat_ddf(np.array([10.0, 10.0])) == 10.0
    assert fstat_ddf(np.array([1.5, 30.0])) == 2.0
    e = 10 / 8 + 20 / 18
    assert fstat_ddf(np.array([10.0, 20.0])) == pytest.approx(2 * e / (e - 2))


def test_fitted_residuals_and_icc(reference_dir, case):
    data = pd.read_csv(reference_dir / "data" / "Dyestuff.csv")
    ref = case("dyestuff")
    fit = fit_lmm(ref["formula"], data)
    np.testing.assert_allclose(fit.fitted() + fit.residuals(), data["Yield"].to_numpy())
    batch_a = fit.beta[0] + fit.random_effects[0].value
    np.testing.assert_allclose(fit.fitted()[:5], batch_a)
    tau2, sigma2 = ref["varcorr"][0]["vcov"], ref["varcorr"][1]["vcov"]
    assert fit.icc == pytest.approx(tau2 / (tau2 + sigma2), rel=1e-3)


def test_icc_is_none_for_random_slopes(sleepstudy):
    assert fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy).icc is None


def test_refit_with_ml_matches_the_ml_reference(sleepstudy, case):
    ref = case("sleepstudy_slope_ml")
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", sleepstudy).refit(reml=False)
    assert fit.method == "ML"
    assert fit.criterion <= ref["criterion"] * (1 + 1e-6)
    assert fit.aic == pytest.approx(ref["AIC"], rel=1e-6)


def test_l_bfgs_b_with_the_analytic_gradient_needs_few_evaluations(reference_dir, case):
    data = pd.read_csv(reference_dir / "data" / "Penicillin.csv")
    ref = case("penicillin_crossed")
    bobyqa = fit_lmm(ref["formula"], data)
    lbfgs = fit_lmm(ref["formula"], data, optimizer="l-bfgs-b")
    assert lbfgs.criterion <= ref["criterion"] * (1 + 1e-9)
    assert lbfgs.opt.evaluations < bobyqa.opt.evaluations
    assert lbfgs.opt.max_abs_gradient < 1e-3


def test_fit_blas_threads_sets_and_restores_openblas(monkeypatch):
    from engine import blas_threads

    controls = blas_threads._controls()
    assert controls, "numpy and scipy load OpenBLAS on this platform"
    before = [getter() for getter, _ in controls]
    with blas_threads.fit_blas_threads():
        assert all(getter() == 1 for getter, _ in controls)
    assert [getter() for getter, _ in controls] == before
    monkeypatch.setattr(blas_threads, "FIT_BLAS_THREADS", None)
    with blas_threads.fit_blas_threads():
        assert [getter() for getter, _ in controls] == before


def test_group_size_range_counts_observations_per_level(reference_dir):
    import pandas as pd

    from engine import fit_lmm

    data = pd.read_csv(reference_dir / "data" / "Orthodont.csv")
    fit = fit_lmm("distance ~ age + (1 | Subject)", data.iloc[:-3])
    assert fit.group_size_range("Subject") == (1, 4.0, 4)
