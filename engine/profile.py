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
* Every deviance comes from the engine's own blocked evaluation (``LmmModel``); a profile
  whose estimated run time exceeds :data:`TIME_BUDGET_SECONDS` is declined in favour of
  Wald intervals.

Wald intervals cover the fixed effects only: estimate ± t quantile × SE with the fit's
denominator-df method (z for ``asymptotic``), as in the fit's coefficient table. Wald
intervals for variance parameters are not given (lme4 reports NA for them).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import nlopt
import numpy as np
import pandas as pd

from engine.blas_threads import fit_blas_threads
from engine.distributions import normal_quantile, t_quantile
from engine.errors import LmmInputError, about_minutes

CONFINT_METHODS = ("wald", "profile")

#: A limit is accepted when ζ is within this of ±qnorm((1 + level)/2): the limit is then
#: off by about 1e-6 standard errors, far below the spline error of lme4's own profile.
ZETA_TOL = 1e-6

#: Profiling is declined when it would take longer than this many seconds (estimated).
TIME_BUDGET_SECONDS = 120.0
#: Deviance evaluations one profiled parameter takes (both limits), measured on the
#: reference cases (about 250-400); used only to estimate the time of a profile.
EVALUATIONS_PER_PARAMETER = 400


# --------------------------------------------------------------------------- Wald
def wald_confint(fit, level: float = 0.95) -> pd.DataFrame:
    """Wald-t intervals for the fixed effects with the fit's df (z when df is infinite)."""
    _check_level(level)
    rows = []
    for fe in fit.fixed_effects:
        df = fe.df
        if df is None or not np.isfinite(df):
            quantile = normal_quantile((1 + level) / 2)
        else:
            quantile = t_quantile((1 + level) / 2, df)
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


def _minimize(fun: Callable[[np.ndarray], float], x0, lower, upper) -> tuple[np.ndarray, float]:
    """BOBYQA (NLopt) with bounds, as lme4's profile uses its fit's optimizer."""
    x0 = np.clip(np.asarray(x0, dtype=float), lower, upper)
    if x0.size == 0:
        return x0, float(fun(x0))
    opt = nlopt.opt(nlopt.LN_BOBYQA, x0.size)
    opt.set_min_objective(lambda x, grad: float(min(fun(x), 1e300)))
    opt.set_lower_bounds(np.asarray(lower, dtype=float))
    opt.set_upper_bounds(np.asarray(upper, dtype=float))
    opt.set_ftol_abs(1e-9)
    opt.set_xtol_abs(1e-7)
    opt.set_maxeval(20_000)
    step = np.where(np.abs(x0) > 0, 0.02 * np.abs(x0), 0.05)
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


class VarianceScale:
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
class _CloseEnough(Exception):
    def __init__(self, x: float):
        self.x = x


def _bracketed_root(f: Callable[[float], float], a: float, fa: float, b: float, fb: float) -> float:
    """Root of f between a and b (f(a) < 0 ≤ f(b)) by Brent's method.

    The endpoint values are taken as given and never recomputed: each value of ζ comes
    from an inner optimisation, and a re-evaluation could differ in the last digits.
    The search stops as soon as |f| < :data:`ZETA_TOL`.
    """
    from scipy import optimize  # imported here: only profiles need it

    known = {a: fa, b: fb}

    def g(x: float) -> float:
        value = known[x] if x in known else f(x)
        if abs(value) < ZETA_TOL:
            raise _CloseEnough(x)
        return value

    try:
        return optimize.brentq(g, min(a, b), max(a, b), xtol=1e-12, rtol=1e-10)
    except _CloseEnough as found:
        return found.x


def _limit(
    zeta: Callable[[float], float],
    estimate: float,
    direction: int,
    step: float,
    bound: float,
    target: float,
) -> float:
    """The x on one side of ``estimate`` where ζ(x) = direction·target (or the bound)."""

    def excess(v: float) -> float:
        return direction * zeta(v) - target  # < 0 inside the interval, ≥ 0 beyond it

    x_in, e_in = estimate, -target
    x = estimate + direction * step
    for _ in range(80):
        if (x - bound) * direction >= 0:
            x = bound
        e = excess(x)
        if e >= 0:
            return _bracketed_root(excess, x_in, e_in, x, e)
        if x == bound:
            return bound
        slope = (e - e_in) / abs(x - x_in)
        if slope > 0:
            move = max(1.2 * (-e) / slope, 0.2 * abs(x - x_in))
        else:
            move = 2.0 * abs(x - x_in)
        x_in, e_in = x, e
        x = x + direction * move
    return np.nan


# --------------------------------------------------------------------- profile
def _check_time_budget(model, theta: np.ndarray, n_parameters: int) -> None:
    """Decline, in one sentence, a profile that would run for minutes."""
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        model.deviance(theta, reml=False)
        seconds.append(time.perf_counter() - start)
    per_evaluation = float(np.median(seconds))
    estimate = per_evaluation * EVALUATIONS_PER_PARAMETER * n_parameters
    if estimate > TIME_BUDGET_SECONDS:
        raise LmmInputError(
            f"Profile intervals for this model would take {about_minutes(estimate)} "
            f"({n_parameters} parameters, {per_evaluation * 1000:.0f} ms per deviance "
            "evaluation); use method='wald' instead."
        )


def profile_confint(fit, level: float = 0.95) -> pd.DataFrame:
    """lme4's ``confint(m, method = "profile", oldNames = FALSE)`` (ML profile deviance).

    Runs on one BLAS thread, as the fit does (engine.blas_threads): on a busy machine a
    second thread made each deviance evaluation of a large model many times slower,
    and the time estimate that decides whether to profile at all with it."""
    with fit_blas_threads():
        return _profile_confint(fit, level)


def _profile_confint(fit, level: float) -> pd.DataFrame:
    _check_level(level)
    from engine.model import LmmModel

    model = fit.model
    scale = VarianceScale(model)
    _check_time_budget(model, np.asarray(fit.theta, float), len(scale.names) + len(fit.beta))
    target = normal_quantile((1 + level) / 2)
    theta_lower = np.asarray(model.theta_lower, dtype=float)
    theta_upper = np.full_like(theta_lower, np.inf)

    # ML optimum (the base of lme4's profile), started from the fit's θ.
    theta_ml, base = _minimize(
        lambda t: model.deviance(t, reml=False), np.asarray(fit.theta, float), theta_lower,
        theta_upper,
    )
    solution = model.solve(theta_ml, reml=False)
    beta_ml = np.asarray(solution.beta, dtype=float)
    par_hat = scale.to_sdcor(theta_ml, float(np.sqrt(solution.sigma2)))

    def dev_sdcor(par: np.ndarray) -> float:
        mapped = scale.to_theta(par)
        if mapped is None:
            return np.inf
        theta, sigma = mapped
        return model.unprofiled_deviance(theta, sigma, reml=False)

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
            return float(np.sign(x - par_hat[w]) * np.sqrt(max(value - base, 0.0)))

        estimate = par_hat[w]
        kind = scale.kinds[w]
        if kind == "cor":
            step_lo = step_hi = 0.25 * (1 - abs(estimate)) + 0.05
        elif kind == "sigma":
            step_lo = step_hi = target * estimate / np.sqrt(2 * model.n)
        else:
            step_hi = 0.5 * estimate if estimate > 0 else 0.1 * par_hat[-1]
            step_lo = 0.5 * estimate
        lower = (
            scale.lower[w]
            if estimate <= scale.lower[w]
            else _limit(zeta, estimate, -1, step_lo, scale.lower[w], target)
        )
        start["x"] = par_hat[others].copy()
        upper = _limit(zeta, estimate, +1, step_hi, scale.upper[w], target)
        rows.append({"parameter": name, "lower": float(lower), "upper": float(upper)})

    X = np.asarray(model.X, dtype=float)
    y = np.asarray(model.y, dtype=float)
    se = np.sqrt(np.diag(np.asarray(fit.vcov_beta, dtype=float)))
    for j, name in enumerate(fit.fixed_names):
        keep = [k for k in range(X.shape[1]) if k != j]
        start = {"theta": theta_ml.copy()}

        def zeta_fixed(b: float, j=j, keep=keep, start=start) -> float:
            # β_j fixed at b: x_j b moves into an offset (lme4's fe.zeta).
            offset_model = LmmModel(X[:, keep], y - X[:, j] * b, list(model.terms))
            theta, value = _minimize(
                lambda t: offset_model.deviance(t, reml=False), start["theta"], theta_lower,
                theta_upper,
            )
            start["theta"] = theta
            return float(np.sign(b - beta_ml[j]) * np.sqrt(max(value - base, 0.0)))

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
