"""Confidence intervals for a fitted LMM: Wald-t and profile likelihood (lme4's ``confint``).

Profile intervals follow lme4's ``profile.merMod`` and ``confint.thpr``:

* The profiled quantity is always the **ML** deviance, also for REML fits (lme4's
  ``devfun2`` starts with ``refitML``); the base is the ML optimum.
* Variance parameters are profiled on the standard-deviation / correlation scale
  (``sd_<col>|<group>``, ``cor_<col2>.<col1>|<group>``, then ``sigma``), with the deviance
  written in (sd, cor, σ) and β profiled out: −2ℓ = log|L_θ|² + r²(θ)/σ² + n log(2πσ²)
  with θ = chol(DRD)/σ (Bates et al. 2015, JSS 67(1), section 5.1).
* A fixed effect β_j is profiled by moving x_j β_j into an offset and minimising the ML
  deviance over θ (σ and the other β profiled out).
* The limits are where the signed root ζ = sign(x − x̂)·√(dev(x) − dev(x̂)) equals
  ∓ qnorm((1 + level)/2). lme4 traces the whole profile and interpolates with splines; here
  each limit is bracketed and then found with Brent's method, which gives the same limits
  without the spline error. A limit that is not reached before a parameter bound (an SD at
  0, a correlation at ±1) is reported as that bound, as lme4 does.

Wald intervals cover the fixed effects only: estimate ± t quantile × SE with the fit's
denominator-df method (z for ``asymptotic``), as in the fit's coefficient table. Wald
intervals for variance parameters are not given (lme4 reports NA for them).
"""

from __future__ import annotations

from collections.abc import Callable

import nlopt
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import optimize, stats
from scipy.linalg import lapack

from engine.errors import LmmInputError

#: Largest number of random effects for the dense q×q profile evaluations.
MAX_RANDOM_EFFECTS = 2500

CONFINT_METHODS = ("wald", "profile")


# --------------------------------------------------------------------------- Wald
def wald_confint(fit, level: float = 0.95) -> pd.DataFrame:
    """Wald-t intervals for the fixed effects with the fit's df (z when df is infinite)."""
    _check_level(level)
    rows = []
    for fe in fit.fixed_effects:
        df = fe.df
        if df is None or not np.isfinite(df):
            quantile = stats.norm.ppf((1 + level) / 2)
        else:
            quantile = stats.t.ppf((1 + level) / 2, df)
        rows.append(
            {
                "parameter": fe.term,
                "lower": fe.estimate - quantile * fe.se,
                "upper": fe.estimate + quantile * fe.se,
            }
        )
    return pd.DataFrame(rows, columns=["parameter", "lower", "upper"])


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise LmmInputError(
            f"The confidence level must lie between 0 and 1 (got {level}); use e.g. 0.95."
        )


# --------------------------------------------------------- deviance from cross products
class _MLDeviance:
    """ML deviance of y − offset ~ X + ZΛu at θ, from cross products of Z, X and y.

    With C = Λ'Z'ZΛ + I = L L', the penalised residual sum of squares r²(θ) is
    y'y − c'c − d'R⁻¹d (c = L⁻¹Λ'Z'y, d = X'y − (L⁻¹Λ'Z'X)'c, R = X'X − (L⁻¹Λ'Z'X)'(L⁻¹Λ'Z'X)),
    and log|L_θ|² = 2 Σ log diag L. β is profiled out.
    """

    def __init__(self, model):
        Z = sp.csc_matrix(model.Z)
        X = np.asarray(model.X, dtype=float)
        y = np.asarray(model.y, dtype=float)
        self.model = model
        self.n = len(y)
        self.ZtZ = (Z.T @ Z).toarray()
        self.ZtX = np.asarray(Z.T @ X)
        self.Zty = np.asarray(Z.T @ y).ravel()
        self.XtX = X.T @ X
        self.Xty = X.T @ y
        self.yty = float(y @ y)
        self.eye = np.eye(self.ZtZ.shape[0])
        # Λθ is linear in θ: record where each θ_i lands once, then fill a dense array.
        n_theta = len(np.asarray(model.theta_lower))
        self._positions = []
        for i in range(n_theta):
            unit = np.zeros(n_theta)
            unit[i] = 1.0
            lam = sp.coo_matrix(model.lambda_of(unit))
            mask = lam.data != 0
            self._positions.append((lam.row[mask], lam.col[mask], lam.data[mask]))

    def lambda_dense(self, theta: np.ndarray) -> np.ndarray:
        lam = np.zeros_like(self.eye)
        for value, (rows, cols, data) in zip(theta, self._positions, strict=True):
            lam[rows, cols] += value * data
        return lam

    def pieces(self, theta, ZtX, Zty, XtX, Xty, yty) -> tuple[float, float, np.ndarray]:
        """(log|L_θ|², r²(θ), β̂(θ)) for the given cross products."""
        Lam = self.lambda_dense(theta)
        C = Lam.T @ self.ZtZ @ Lam + self.eye
        Lc, info = lapack.dpotrf(C, lower=1)
        if info != 0:
            return np.inf, np.inf, np.zeros(XtX.shape[0])
        # Small triangular solves are slow in threaded OpenBLAS; one LU solve is not.
        rhs = Lam.T @ np.column_stack([Zty, ZtX])
        gram = rhs.T @ np.linalg.solve(C, rhs)  # [c'c, c'CX; CX'c, CX'CX]
        ld = 2.0 * float(np.sum(np.log(np.diag(Lc))))
        if XtX.shape[0] == 0:
            return ld, float(yty - gram[0, 0]), np.zeros(0)
        R = XtX - gram[1:, 1:]
        d = Xty - gram[1:, 0]
        beta = np.linalg.solve(R, d)
        return ld, float(yty - gram[0, 0] - d @ beta), beta

    def full(self, theta) -> tuple[float, float, np.ndarray]:
        return self.pieces(theta, self.ZtX, self.Zty, self.XtX, self.Xty, self.yty)

    def profiled(self, ld: float, r2: float) -> float:
        """ML deviance with σ² profiled out: log|L|² + n(1 + log(2π r²/n))."""
        if not np.isfinite(ld) or r2 <= 0:
            return np.inf
        return ld + self.n * (1.0 + np.log(2.0 * np.pi * r2 / self.n))

    def with_sigma(self, ld: float, r2: float, sigma: float) -> float:
        """ML deviance at a given σ: log|L|² + r²/σ² + n log(2πσ²)."""
        if not np.isfinite(ld) or sigma <= 0:
            return np.inf
        return ld + r2 / sigma**2 + self.n * np.log(2.0 * np.pi * sigma**2)


def _minimize(fun: Callable[[np.ndarray], float], x0, lower, upper) -> tuple[np.ndarray, float]:
    """BOBYQA (NLopt) with bounds, as lme4's profile uses its fit's optimizer."""
    x0 = np.clip(np.asarray(x0, dtype=float), lower, upper)
    if x0.size == 0:
        return x0, float(fun(x0))
    opt = nlopt.opt(nlopt.LN_BOBYQA, x0.size)
    opt.set_min_objective(lambda x, grad: float(min(fun(x), 1e300)))
    opt.set_lower_bounds(np.asarray(lower, dtype=float))
    opt.set_upper_bounds(np.asarray(upper, dtype=float))
    opt.set_ftol_abs(1e-11)
    opt.set_xtol_abs(1e-9)
    opt.set_maxeval(20_000)
    step = np.where(np.abs(x0) > 0, 0.1 * np.abs(x0), 0.05)
    opt.set_initial_step(step)
    try:
        x = opt.optimize(x0)
        value = opt.last_optimum_value()
    except nlopt.RoundoffLimited:
        x, value = x0, float(fun(x0))
    return np.asarray(x), float(value)


# ------------------------------------------------------------- sd/cor parametrisation
def _tril_pairs(size: int) -> list[tuple[int, int]]:
    return [(i, j) for j in range(size) for i in range(j, size)]


class _VarianceScale:
    """Maps lme4's θ (and σ) to and from the sd/cor vector of ``profile``'s ``devfun2``."""

    def __init__(self, model):
        self.terms = list(model.terms)
        self.sizes = [len(t.columns) for t in self.terms]
        self.slices = [t.theta_slice for t in self.terms]
        self.n_theta = sum(s * (s + 1) // 2 for s in self.sizes)
        kinds = []
        names = []
        for term, size in zip(self.terms, self.sizes, strict=True):
            cols = list(term.columns)
            for i, j in _tril_pairs(size):
                if i == j:
                    kinds.append("sd")
                    names.append(f"sd_{cols[i]}|{term.group}")
                else:
                    kinds.append("cor")
                    names.append(f"cor_{cols[i]}.{cols[j]}|{term.group}")
        self.kinds = kinds + ["sigma"]
        self.names = names + ["sigma"]
        self.lower = np.array([-1.0 if k == "cor" else 0.0 for k in self.kinds])
        self.upper = np.array([1.0 if k == "cor" else np.inf for k in self.kinds])

    def to_sdcor(self, theta: np.ndarray, sigma: float) -> np.ndarray:
        out = []
        for size, sl in zip(self.sizes, self.slices, strict=True):
            T = np.zeros((size, size))
            rows, cols = zip(*_tril_pairs(size), strict=True)
            T[list(rows), list(cols)] = theta[sl]
            cov = sigma**2 * T @ T.T
            sd = np.sqrt(np.diag(cov))
            for i, j in _tril_pairs(size):
                if i == j:
                    out.append(sd[i])
                else:
                    out.append(cov[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else 0.0)
        return np.array(out + [sigma])

    def to_theta(self, par: np.ndarray) -> tuple[np.ndarray, float] | None:
        sigma = float(par[-1])
        if sigma <= 0:
            return None
        theta = np.zeros(self.n_theta)
        pos = 0
        for size, sl in zip(self.sizes, self.slices, strict=True):
            pairs = _tril_pairs(size)
            values = par[pos : pos + len(pairs)]
            pos += len(pairs)
            sd = np.zeros(size)
            corr = np.eye(size)
            for v, (i, j) in zip(values, pairs, strict=True):
                if i == j:
                    sd[i] = v
                else:
                    corr[i, j] = corr[j, i] = v
            try:
                chol_r = np.linalg.cholesky(corr) if size > 1 else np.ones((1, 1))
            except np.linalg.LinAlgError:
                return None
            T = (sd[:, None] * chol_r) / sigma
            rows, cols = zip(*pairs, strict=True)
            theta[sl] = T[list(rows), list(cols)]
        return theta, sigma


# ----------------------------------------------------------------- root finding
def _limit(
    zeta: Callable[[float], float],
    estimate: float,
    direction: int,
    step: float,
    bound: float,
    target: float,
) -> float:
    """The x on one side of ``estimate`` where ζ(x) = direction·target (or the bound)."""
    x_in, z_in = estimate, 0.0
    x = estimate + direction * step
    for _ in range(80):
        if (x - bound) * direction >= 0:
            x = bound
        z = zeta(x)
        if direction * z >= target:
            return optimize.brentq(
                lambda v: zeta(v) - direction * target,
                min(x_in, x),
                max(x_in, x),
                xtol=1e-10 * max(1.0, abs(x)),
                rtol=1e-10,
            )
        if x == bound:
            return bound
        slope = (z - z_in) / (x - x_in)
        if slope * direction > 0:
            needed = (direction * target - z) / slope
            move = max(abs(needed) * 1.3, abs(x - x_in) * 0.5)
        else:
            move = 2.0 * abs(x - x_in)
        x_in, z_in = x, z
        x = x + direction * move
    return np.nan


# --------------------------------------------------------------------- profile
def profile_confint(fit, level: float = 0.95) -> pd.DataFrame:
    """lme4's ``confint(m, method = "profile", oldNames = FALSE)`` (ML profile deviance)."""
    _check_level(level)
    model = fit.model
    q = model.Z.shape[1]
    if q > MAX_RANDOM_EFFECTS:
        raise LmmInputError(
            f"Profile intervals need dense matrices over all {q} random effects, more than "
            f"the {MAX_RANDOM_EFFECTS} handled in reasonable time; use method='wald' instead."
        )
    dev = _MLDeviance(model)
    scale = _VarianceScale(model)
    target = float(stats.norm.ppf((1 + level) / 2))
    theta_lower = np.asarray(model.theta_lower, dtype=float)
    theta_upper = np.full_like(theta_lower, np.inf)

    # ML optimum (the base of lme4's profile), started from the fit's θ.
    theta_ml, base = _minimize(
        lambda t: dev.profiled(*dev.full(t)[:2]), np.asarray(fit.theta, float), theta_lower,
        theta_upper,
    )
    ld, r2, beta_ml = dev.full(theta_ml)
    sigma_ml = np.sqrt(r2 / dev.n)
    par_hat = scale.to_sdcor(theta_ml, sigma_ml)

    def dev_sdcor(par: np.ndarray) -> float:
        mapped = scale.to_theta(par)
        if mapped is None:
            return np.inf
        theta, sigma = mapped
        ld_, r2_, _ = dev.full(theta)
        return dev.with_sigma(ld_, r2_, sigma)

    rows = []
    for w, name in enumerate(scale.names):
        others = [k for k in range(len(par_hat)) if k != w]
        start = {"x": par_hat[others].copy()}

        def zeta(x: float, w=w, others=others, start=start) -> float:
            def inner(o: np.ndarray) -> float:
                par = np.empty(len(par_hat))
                par[w] = x
                par[others] = o
                return dev_sdcor(par)

            o, value = _minimize(inner, start["x"], scale.lower[others], scale.upper[others])
            start["x"] = o
            diff = max(value - base, 0.0)
            return float(np.sign(x - par_hat[w]) * np.sqrt(diff))

        estimate = par_hat[w]
        kind = scale.kinds[w]
        if kind == "cor":
            step_lo = step_hi = 0.25 * (1 - abs(estimate)) + 0.05
        elif kind == "sigma":
            step_lo = step_hi = target * estimate / np.sqrt(2 * dev.n)
        else:
            step_hi = 0.5 * estimate if estimate > 0 else 0.1 * sigma_ml
            step_lo = 0.5 * estimate
        lower = (
            scale.lower[w]
            if estimate <= scale.lower[w]
            else _limit(zeta, estimate, -1, step_lo, scale.lower[w], target)
        )
        start["x"] = par_hat[others].copy()
        upper = _limit(zeta, estimate, +1, step_hi, scale.upper[w], target)
        rows.append({"parameter": name, "lower": float(lower), "upper": float(upper)})

    se = np.sqrt(np.diag(np.asarray(fit.vcov_beta, dtype=float)))
    for j, name in enumerate(fit.fixed_names):
        keep = [k for k in range(len(beta_ml)) if k != j]
        xj_Z = dev.ZtX[:, j]
        XtX_keep = dev.XtX[np.ix_(keep, keep)]
        ZtX_keep = dev.ZtX[:, keep]
        start = {"theta": theta_ml.copy()}

        def zeta_fixed(b: float, j=j, keep=keep, xj_Z=xj_Z, XtX_keep=XtX_keep,
                       ZtX_keep=ZtX_keep, start=start) -> float:
            Zty = dev.Zty - xj_Z * b
            Xty = dev.Xty[keep] - dev.XtX[keep, j] * b
            yty = dev.yty - 2 * b * dev.Xty[j] + b * b * dev.XtX[j, j]

            def inner(theta: np.ndarray) -> float:
                ld_, r2_, _ = dev.pieces(theta, ZtX_keep, Zty, XtX_keep, Xty, yty)
                return dev.profiled(ld_, r2_)

            theta, value = _minimize(inner, start["theta"], theta_lower, theta_upper)
            start["theta"] = theta
            diff = max(value - base, 0.0)
            return float(np.sign(b - beta_ml[j]) * np.sqrt(diff))

        step = target * se[j]
        lower = _limit(zeta_fixed, beta_ml[j], -1, step, -np.inf, target)
        start["theta"] = theta_ml.copy()
        upper = _limit(zeta_fixed, beta_ml[j], +1, step, np.inf, target)
        rows.append({"parameter": str(name), "lower": float(lower), "upper": float(upper)})
    return pd.DataFrame(rows, columns=["parameter", "lower", "upper"])


def confint(fit, method: str = "wald", level: float = 0.95) -> pd.DataFrame:
    """Confidence intervals (CONTRACTS §5): ``method`` is ``"wald"`` or ``"profile"``."""
    name = str(method).lower()
    if name not in CONFINT_METHODS:
        raise LmmInputError(
            f"Unknown confidence-interval method '{method}'; use 'wald' or 'profile'."
        )
    if name == "wald":
        return wald_confint(fit, level)
    return profile_confint(fit, level)
