"""Kenward-Roger (pbkrtest) SEs, df and p-values against the lme4/pbkrtest references."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from engine import fit_lmm
from engine import kenward_roger as kr
from engine.errors import LmmInputError
from tests.test_reference_cases import CASES, fitted, formulaic_name, load_case, load_data, rel_err

KR_CASES = [c for c in CASES if "se_kr" in load_case(c)["fixef"][0]]


def test_the_reference_has_kenward_roger_cases():
    assert len(KR_CASES) >= 7


@pytest.mark.parametrize("name", KR_CASES)
def test_se_df_p_match_pbkrtest(name):
    case, fit, data = load_case(name), fitted(name), load_data(name)
    table = kr.kenward_roger_table(fit)
    assert [fe.term for fe in table] == [formulaic_name(r["term"], data) for r in case["fixef"]]
    for fe, ref in zip(table, case["fixef"], strict=True):
        assert rel_err(fe.se, ref["se_kr"]) < 1e-3, ref["term"]
        assert rel_err(fe.df, ref["df_kr"]) < 1e-2, ref["term"]
        assert abs(fe.p - ref["p_kr"]) < 1e-8 or rel_err(fe.p, ref["p_kr"]) < 1e-2, ref["term"]
        assert fe.ci_lower < fe.estimate < fe.ci_upper


def test_fit_with_kenward_roger_ddf_uses_the_table():
    case = load_case("penicillin_crossed")
    fit = fit_lmm(case["formula"], load_data("penicillin_crossed"), ddf="kenward-roger")
    assert fit.ddf_method == "kenward-roger"
    ref = case["fixef"][0]
    fe = fit.fixed_effects[0]
    assert rel_err(fe.df, ref["df_kr"]) < 1e-2
    assert rel_err(fe.p, ref["p_kr"]) < 1e-2
    # Kenward-Roger and Satterthwaite differ here (5.487 and 5.4866 df): the right one is used.
    assert abs(fe.df - ref["df_kr"]) < abs(fe.df - ref["df_satterthwaite"])


def _dense_pbkrtest(fit) -> np.ndarray:
    """pbkrtest's vcovAdj written with the dense n x n V, as in the package."""
    model = fit.model
    X, Z = model.X, sp.csc_matrix(model.Z).toarray()
    sigma2 = fit.sigma**2
    G, gamma = [], []
    for term in model.terms:
        s, levels = len(term.columns), term.n_levels
        Zk = Z[:, term.z_slice]
        T = term.factor(fit.theta)
        cov = sigma2 * T @ T.T
        for j in range(s):
            for i in range(j, s):
                E = np.zeros((s, s))
                E[i, j] = E[j, i] = 1.0
                G.append(Zk @ np.kron(np.eye(levels), E) @ Zk.T)
                gamma.append(cov[i, j])
    G.append(np.eye(len(model.y)))
    gamma.append(sigma2)
    V = sum(g * Gr for g, Gr in zip(gamma, G, strict=True))
    Vi = np.linalg.inv(V)
    Phi = np.linalg.inv(X.T @ Vi @ X)
    m = len(G)
    P = [-X.T @ Vi @ Gr @ Vi @ X for Gr in G]
    Q = [[X.T @ Vi @ G[r] @ Vi @ G[s] @ Vi @ X for s in range(m)] for r in range(m)]
    info = np.array(
        [
            [
                np.trace(Vi @ G[r] @ Vi @ G[s])
                - 2 * np.trace(Phi @ Q[r][s])
                + np.trace(Phi @ P[r] @ Phi @ P[s])
                for s in range(m)
            ]
            for r in range(m)
        ]
    )
    W = 2 * np.linalg.inv(info)
    U = sum(W[r, s] * (Q[r][s] - P[r] @ Phi @ P[s]) for r in range(m) for s in range(m))
    return Phi + 2 * Phi @ U @ Phi


def test_woodbury_reduction_equals_the_dense_formulas_on_unbalanced_data():
    # Unbalanced (rows dropped unevenly), so the adjustment of the covariance is not zero.
    data = load_data("sleepstudy_slope")
    keep = np.ones(len(data), bool)
    keep[[0, 1, 2, 15, 33, 34, 60, 61, 62, 63, 100, 150, 151]] = False
    fit = fit_lmm("Reaction ~ Days + (Days | Subject)", data[keep].reset_index(drop=True))
    adj = kr.vcov_adjusted(fit)
    dense = _dense_pbkrtest(fit)
    np.testing.assert_allclose(adj.vcov_adjusted, dense, rtol=1e-7)
    assert not np.allclose(adj.vcov_adjusted, adj.vcov, rtol=1e-6)
    np.testing.assert_allclose(adj.vcov, fit.vcov_beta, rtol=1e-6)


def test_f_test_on_one_row_squares_the_t_statistic():
    fit = fitted("sleepstudy_uncorrelated")
    adj = kr.vcov_adjusted(fit)
    c = np.array([0.0, 1.0])
    t_res = kr.kenward_roger_contrast(fit, c, adjustment=adj)
    f_res = kr.kenward_roger_f_test(fit, c[None, :], adj)
    assert f_res.num_df == 1
    assert f_res.den_df == pytest.approx(t_res.df, rel=1e-10)
    assert f_res.F_unscaled == pytest.approx(t_res.t**2, rel=1e-10)


def test_large_models_are_declined_with_a_sentence(monkeypatch):
    case = load_case("sleepstudy_slope")
    fit = fit_lmm(case["formula"], load_data("sleepstudy_slope"))
    monkeypatch.setattr(kr, "MAX_RANDOM_EFFECTS", 10)
    with pytest.raises(LmmInputError, match="satterthwaite"):
        kr.kenward_roger_table(fit)


def test_the_adjustment_is_computed_once_per_fit():
    fit = fitted("orthodont_slope")
    assert kr.vcov_adjusted(fit) is kr.vcov_adjusted(fit)


def test_ml_fits_are_declined():
    fit = fitted("sleepstudy_slope_ml")
    with pytest.raises(LmmInputError, match="REML"):
        kr.vcov_adjusted(fit)


def test_variance_parameters_are_lme4_variance_components():
    fit = fitted("sleepstudy_uncorrelated")
    adj = kr.vcov_adjusted(fit)
    # (Days || Subject): two variances, no covariance, then the residual variance.
    expected = [vc.vcov for vc in fit.variance_components]
    np.testing.assert_allclose(adj.gamma, expected, rtol=1e-12)
    assert adj.W.shape == (3, 3)
