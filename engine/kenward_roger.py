"""Kenward-Roger inference for the fixed effects of a REML fit, as pbkrtest computes it.

Kenward and Roger (1997, Biometrics 53: 983-997) correct the small-sample bias of the
plug-in covariance of the fixed effects and approximate the distribution of the Wald
statistic by a scaled F with estimated denominator degrees of freedom. This module follows
pbkrtest (Halekoh and Højsgaard 2014, JSS 59(9)): ``vcovAdj`` and ``.KR_adjust``.

The marginal covariance of y is written as a sum of known matrices,
V = Σ_r γ_r G_r + σ² I, with one γ_r per variance or covariance of each random-effects
term (the lower triangle of its covariance matrix) and σ² last. pbkrtest inverts the dense
n×n matrix V. Here every quantity is reduced with the Woodbury identity to cross products
in the space of the q random effects (Z'Z, Z'X, X'X), so the cost grows with q³ rather than
n³; above :data:`MAX_RANDOM_EFFECTS` the computation is declined with a sentence that
recommends Satterthwaite's method instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from engine.column_shift import ColumnShift
from engine.distributions import f_upper, t_quantile, t_two_sided_p
from engine.errors import LmmInputError

#: Largest number of random effects (columns of Z) for which dense q×q work is accepted.
MAX_RANDOM_EFFECTS = 2500


@dataclass(frozen=True)
class KenwardRogerAdjustment:
    """pbkrtest's ``vcovAdj`` result.

    ``vcov`` is the plug-in Φ = (X'V⁻¹X)⁻¹, ``vcov_adjusted`` is Φ_A = Φ + 2Φ U Φ,
    ``P`` are the matrices P_r = -X'V⁻¹G_rV⁻¹X and ``W`` is 2·IE⁻¹, the inverse of the
    expected (REML) information of the variance parameters γ (σ² last).

    ``centred`` is the same adjustment for the basis X T in which it was computed
    (engine.column_shift.ColumnShift) and ``basis`` is T, so that L β = (L T) β_c;
    the df are read off that basis, whose Φ and P_r are free of the large, nearly
    cancelling entries that the original basis's carry.
    """

    vcov: np.ndarray
    vcov_adjusted: np.ndarray
    P: tuple[np.ndarray, ...]
    W: np.ndarray
    gamma: np.ndarray
    centred: KenwardRogerAdjustment | None = None
    basis: np.ndarray | None = None


@dataclass(frozen=True)
class KenwardRogerFTest:
    """The Kenward-Roger F test of H0: Lβ = 0 (pbkrtest's ``KRmodcomp`` with a matrix L).

    ``F`` is the scaled statistic λ·F_unscaled that is compared with F(num_df, den_df);
    ``F_unscaled`` is the Wald statistic built on Φ_A divided by ``num_df``.
    """

    F: float
    num_df: int
    den_df: float
    p: float
    F_unscaled: float
    scaling: float


@dataclass(frozen=True)
class _RandomTermLayout:
    """Where one random-effects term sits in Z: first column, levels, columns per level."""

    offset: int
    n_levels: int
    n_columns: int

    @property
    def size(self) -> int:
        return self.n_levels * self.n_columns


def _term_layouts(model) -> list[_RandomTermLayout]:
    layouts = []
    offset = 0
    for term in model.terms:
        n_columns = len(term.columns)
        layouts.append(_RandomTermLayout(offset, int(term.n_levels), n_columns))
        offset += int(term.n_levels) * n_columns
    if offset != model.Z.shape[1]:
        raise LmmInputError(
            "Kenward-Roger could not match the random-effects terms to the columns of Z; "
            "use Satterthwaite's method for this model."
        )
    return layouts


def _lower_pairs(size: int) -> list[tuple[int, int]]:
    """Lower-triangle positions in R's column-major ``lower.tri(, diag = TRUE)`` order."""
    return [(i, j) for j in range(size) for i in range(j, size)]


def _select(rows: np.ndarray, layout: _RandomTermLayout, a: int, b: int) -> np.ndarray:
    """M·rows for M = I_levels ⊗ E_ab (E_ab symmetric, ones at (a, b) and (b, a)).

    ``rows`` has ``layout.size`` rows in lme4's order (levels outermost).
    """
    shaped = rows.reshape(layout.n_levels, layout.n_columns, -1)
    out = np.zeros_like(shaped)
    out[:, a, :] = shaped[:, b, :]
    if a != b:
        out[:, b, :] = shaped[:, a, :]
    return out.reshape(rows.shape)


def kenward_roger_obstacle(n_random_effects: int, reml: bool) -> str | None:
    """Why Kenward-Roger df cannot be computed for a model with ``n_random_effects``
    random effects fitted by REML (``reml``) or ML, as a sentence; None when they can."""
    if n_random_effects > MAX_RANDOM_EFFECTS:
        return (
            f"Kenward-Roger needs dense matrices over all {n_random_effects:,} random effects "
            f"of this model, more than the {MAX_RANDOM_EFFECTS:,} it handles in reasonable "
            "time and memory"
        )
    if not reml:
        return "Kenward-Roger's method is defined for REML fits only"
    return None


def _check_applicable(fit) -> None:
    obstacle = kenward_roger_obstacle(fit.model.Z.shape[1], fit.reml)
    if obstacle is not None:
        advice = "refit the model with REML or " if not fit.reml else ""
        raise LmmInputError(f"{obstacle}; {advice}use ddf='satterthwaite' instead.")


def vcov_adjusted(fit) -> KenwardRogerAdjustment:
    """Kenward-Roger adjusted covariance of β̂ at the REML estimates (pbkrtest ``vcovAdj``).

    Computed once per fit and kept in the fit's cache (the coefficient table and the
    type III table both use it).
    """
    cache = getattr(fit, "_cache", None)
    if isinstance(cache, dict) and "kenward_roger" in cache:
        return cache["kenward_roger"]
    adjustment = _vcov_adjusted(fit)
    if isinstance(cache, dict):
        cache["kenward_roger"] = adjustment
    return adjustment


def _vcov_adjusted(fit) -> KenwardRogerAdjustment:
    """pbkrtest's ``vcovAdj``, computed with the predictors centred along the intercept.

    The adjustment is equivariant under a nonsingular change of the fixed-effects basis
    X -> XT: Φ and Φ_A become T⁻¹ΦT⁻ᵀ, every P_r becomes T'P_rT, and W and γ do not
    change (Kenward and Roger 1997, section 2). With T unit upper triangular (each
    column minus its mean times the intercept), centring costs nothing in exactness but
    keeps X'X and Z'X free of the large, nearly equal products that a predictor far
    from zero (a year, a weight in grams) brings; without it the adjusted SEs of such a
    model moved by several percent when the predictor was merely shifted.
    """
    _check_applicable(fit)
    X = np.asarray(fit.model.X, dtype=float)
    shift = ColumnShift.of(X)
    if shift is None:
        return _vcov_adjusted_in_basis(fit, X)
    adj = _vcov_adjusted_in_basis(fit, shift.centred(X))
    # beta = T beta_c, so Var(beta) = T Var(beta_c) T'; the X'...X matrices map back
    # with T^-T (.) T^-1
    T_inv = shift.inverse()
    back = shift.covariance

    return KenwardRogerAdjustment(
        vcov=back(adj.vcov),
        vcov_adjusted=back(adj.vcov_adjusted),
        P=tuple(T_inv.T @ P @ T_inv for P in adj.P),
        W=adj.W,
        gamma=adj.gamma,
        centred=adj,
        basis=shift.matrix(),
    )


def _vcov_adjusted_in_basis(fit, X: np.ndarray) -> KenwardRogerAdjustment:
    """:func:`_vcov_adjusted` for the fixed-effects design ``X`` as given."""
    model = fit.model
    Z = sp.csc_matrix(model.Z)
    n, p = X.shape
    sigma2 = float(fit.sigma) ** 2
    theta = np.asarray(fit.theta, dtype=float)
    Lam = sp.csc_matrix(model.lambda_of(theta)).toarray()
    layouts = _term_layouts(model)

    # Cross products; every V⁻¹ product below follows from the Woodbury identity
    # V⁻¹ = σ⁻²(I − Z K Z') with K = Λ(Λ'Z'ZΛ + I)⁻¹Λ'.
    A = (Z.T @ Z).toarray()
    B = np.asarray(Z.T @ X)
    XtX = X.T @ X
    C = Lam.T @ A @ Lam + np.eye(A.shape[0])
    C_chol = np.linalg.cholesky(C)
    half = np.linalg.solve(C_chol, Lam.T)  # L_C⁻¹Λ'
    K = half.T @ half
    AK = A @ K
    KB = K @ B
    ImAK = np.eye(A.shape[0]) - AK
    ZtVX = (B - A @ KB) / sigma2  # Z'V⁻¹X
    ZtVZ = (A - AK @ A) / sigma2  # Z'V⁻¹Z
    XtVX = (XtX - B.T @ KB) / sigma2  # X'V⁻¹X
    ZtV2Z = ImAK @ A @ ImAK.T / sigma2**2  # Z'V⁻²Z
    ZtV2X = ImAK @ (B - A @ KB) / sigma2**2  # Z'V⁻²X
    R = B - A @ KB  # Z'(X − ZKB)
    RtR = XtX - 2 * B.T @ KB + KB.T @ A @ KB  # (X − ZKB)'(X − ZKB)
    XtV2X = RtR / sigma2**2
    XtV3X = (RtR - R.T @ K @ R) / sigma2**3
    trace_V2 = (n - 2 * np.trace(K @ A) + np.sum(AK * AK.T)) / sigma2**2

    # One entry per variance parameter: (layout, a, b) for random terms, None for σ².
    params: list[tuple[_RandomTermLayout, int, int] | None] = []
    gamma = []
    for term, layout in zip(model.terms, layouts, strict=True):
        T = np.zeros((layout.n_columns, layout.n_columns))
        rows, cols = zip(*_lower_pairs(layout.n_columns), strict=True)
        T[list(rows), list(cols)] = theta[term.theta_slice]
        cov = sigma2 * T @ T.T
        for a, b in _lower_pairs(layout.n_columns):
            params.append((layout, a, b))
            gamma.append(cov[a, b])
    params.append(None)
    gamma.append(sigma2)
    m = len(params)

    def block(M: np.ndarray, k: _RandomTermLayout, j: _RandomTermLayout | None = None):
        j = k if j is None else j
        return M[k.offset : k.offset + k.size, j.offset : j.offset + j.size]

    def rows_of(M: np.ndarray, k: _RandomTermLayout) -> np.ndarray:
        return M[k.offset : k.offset + k.size]

    # G_r V⁻¹ X expressed through Z_k: GX[r] = M_r Z_k'V⁻¹X (None for σ², where G = I).
    sel_ZtVX = [None if par is None else _select(rows_of(ZtVX, par[0]), *par) for par in params]
    P = []
    for r, par in enumerate(params):
        if par is None:
            P.append(-XtV2X)
        else:
            P.append(-(rows_of(ZtVX, par[0]).T @ sel_ZtVX[r]))

    Q = np.empty((m, m), dtype=object)
    K_trace = np.zeros((m, m))
    for r, pr in enumerate(params):
        for s in range(r, m):
            ps = params[s]
            if pr is not None and ps is not None:
                # X'V⁻¹ G_r V⁻¹ G_s V⁻¹X = (M_r Z_k'V⁻¹X)' (Z_k'V⁻¹Z_l) (M_s Z_l'V⁻¹X)
                Vkl = block(ZtVZ, pr[0], ps[0])
                Q[r, s] = sel_ZtVX[r].T @ Vkl @ sel_ZtVX[s]
                left = _select(Vkl, *pr)
                right = _select(Vkl.T, *ps).T
                K_trace[r, s] = np.sum(left * right)
            elif pr is not None:
                Q[r, s] = sel_ZtVX[r].T @ rows_of(ZtV2X, pr[0])
                K_trace[r, s] = np.trace(_select(block(ZtV2Z, pr[0]), *pr))
            else:
                Q[r, s] = XtV3X
                K_trace[r, s] = trace_V2
            Q[s, r] = Q[r, s].T
            K_trace[s, r] = K_trace[r, s]

    Phi = np.linalg.inv(XtVX)
    Phi = (Phi + Phi.T) / 2
    info2 = np.zeros((m, m))
    for r in range(m):
        PhiP = Phi @ P[r]
        for s in range(r, m):
            info2[r, s] = (
                K_trace[r, s] - 2 * np.sum(Phi * Q[r, s]) + np.sum(PhiP * (P[s] @ Phi))
            )
            info2[s, r] = info2[r, s]
    W = 2 * _information_inverse(info2)
    W = (W + W.T) / 2

    U = np.zeros((p, p))
    for r in range(m):
        for s in range(m):
            U += W[r, s] * (Q[r, s] - P[r] @ Phi @ P[s])
    Phi_adjusted = Phi + 2 * Phi @ U @ Phi
    Phi_adjusted = (Phi_adjusted + Phi_adjusted.T) / 2
    return KenwardRogerAdjustment(
        vcov=Phi,
        vcov_adjusted=Phi_adjusted,
        P=tuple(P),
        W=W,
        gamma=np.asarray(gamma),
    )


def _information_inverse(info: np.ndarray) -> np.ndarray:
    """The inverse of the expected information of the variance parameters, or its
    Moore-Penrose inverse where it is singular.

    Singularity is judged on the information scaled to unit diagonal: the parameters'
    units differ by powers of the covariates' scale (a slope variance on x = 1,000 +- 100
    against an intercept variance), so the unscaled eigenvalues span 1e-12 to 1e6 on a
    well-conditioned problem, and a cut-off on them (or numpy's relative one in pinv)
    dropped a parameter that the data determine (an intercept's Kenward-Roger df of 852
    on 42 rows, where the Satterthwaite df is 10.7).
    """
    scale = np.sqrt(np.abs(np.diagonal(info)))
    if not np.all(scale > 0):
        return np.linalg.pinv(info)
    scaled = info / np.outer(scale, scale)
    if np.min(np.abs(np.linalg.eigvalsh(scaled))) > 1e-10:
        inverse = np.linalg.inv(scaled)
    else:
        inverse = np.linalg.pinv(scaled)
    return inverse / np.outer(scale, scale)


def _div_zero(x: float, y: float, tol: float = 1e-14) -> float:
    """pbkrtest's ``.divZero``: 0/0 is taken as 1."""
    if abs(x) < tol and abs(y) < tol:
        return 1.0
    return x / y


def _ddf_and_scaling(adj: KenwardRogerAdjustment, L: np.ndarray) -> tuple[float, float, int]:
    """Denominator df and F scaling λ of Kenward and Roger (1997), section 4 (pbkrtest).

    Both are invariant under a change of basis (L -> L T, Φ -> T⁻¹ΦT⁻ᵀ,
    P_r -> T'P_rT leave every trace below unchanged), so they are computed in the
    centred basis when the adjustment has one."""
    if adj.centred is not None and adj.basis is not None:
        return _ddf_and_scaling(adj.centred, L @ adj.basis)
    Phi = adj.vcov
    q = int(np.linalg.matrix_rank(L))
    Theta = L.T @ np.linalg.solve(L @ Phi @ L.T, L)
    ThetaPhi = Theta @ Phi
    u = [ThetaPhi @ P @ Phi for P in adj.P]
    A1 = 0.0
    A2 = 0.0
    m = len(u)
    for r in range(m):
        for s in range(r, m):
            e = 1.0 if r == s else 2.0
            A1 += e * adj.W[r, s] * np.trace(u[r]) * np.trace(u[s])
            A2 += e * adj.W[r, s] * np.sum(u[r] * u[s].T)
    B = (A1 + 6 * A2) / (2 * q)
    g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
    denom = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / denom, (q - g) / denom, (q + 2 - g) / denom
    V0 = 1 + c1 * B
    V1 = 1 - c2 * B
    V2 = 1 - c3 * B
    if abs(V0) < 1e-10:
        V0 = 0.0
    rho = (_div_zero(1 - A2 / q, V1)) ** 2 * V0 / V2 / q
    df2 = 4 + (q + 2) / (q * rho - 1)
    scaling = 1.0 if abs(df2 - 2) < 1e-2 else df2 * (1 - A2 / q) / (df2 - 2)
    return float(df2), float(scaling), q


def kenward_roger_f_test(
    fit, L: np.ndarray, adjustment: KenwardRogerAdjustment | None = None
) -> KenwardRogerFTest:
    """Kenward-Roger F test of Lβ = 0, as pbkrtest's ``KRmodcomp(model, L)``."""
    L = np.atleast_2d(np.asarray(L, dtype=float))
    adj = vcov_adjusted(fit) if adjustment is None else adjustment
    df2, scaling, q = _ddf_and_scaling(adj, L)
    Lb = L @ np.asarray(fit.beta, dtype=float)
    wald = float(Lb @ np.linalg.solve(L @ adj.vcov_adjusted @ L.T, Lb))
    F_unscaled = wald / q
    F = scaling * F_unscaled
    return KenwardRogerFTest(
        F=F,
        num_df=q,
        den_df=df2,
        p=f_upper(F, q, df2),
        F_unscaled=F_unscaled,
        scaling=scaling,
    )


@dataclass(frozen=True)
class KenwardRogerContrast:
    """One contrast c'β tested with Kenward-Roger: adjusted SE, df, t and two-sided p."""

    estimate: float
    se: float
    df: float
    t: float
    p: float
    ci_lower: float
    ci_upper: float


def kenward_roger_contrast(
    fit, c: np.ndarray, level: float = 0.95, adjustment: KenwardRogerAdjustment | None = None
) -> KenwardRogerContrast:
    """t test of c'β with Φ_A and pbkrtest's ``Lb_ddf`` df, as lmerTest's ``contest1D``."""
    adj = vcov_adjusted(fit) if adjustment is None else adjustment
    c = np.asarray(c, dtype=float).ravel()
    df, _, _ = _ddf_and_scaling(adj, c.reshape(1, -1))
    estimate = float(c @ np.asarray(fit.beta, dtype=float))
    se = float(np.sqrt(c @ adj.vcov_adjusted @ c))
    t = estimate / se
    half = t_quantile((1 + level) / 2, df) * se
    return KenwardRogerContrast(
        estimate=estimate,
        se=se,
        df=df,
        t=t,
        p=t_two_sided_p(t, df),
        ci_lower=estimate - half,
        ci_upper=estimate + half,
    )


def kenward_roger_table(fit, level: float | None = None) -> list:
    """Every fixed effect with Kenward-Roger SE, df, t, p and Wald-t CI (lmerTest/pbkrtest)."""
    from engine.results import FixedEffect

    level = float(getattr(fit, "level", 0.95) if level is None else level)
    adj = vcov_adjusted(fit)
    names = list(fit.fixed_names)
    rows = []
    for j, name in enumerate(names):
        c = np.zeros(len(names))
        c[j] = 1.0
        res = kenward_roger_contrast(fit, c, level, adj)
        rows.append(
            FixedEffect(
                term=name,
                estimate=res.estimate,
                se=res.se,
                df=res.df,
                t=res.t,
                p=res.p,
                ci_lower=res.ci_lower,
                ci_upper=res.ci_upper,
            )
        )
    return rows
