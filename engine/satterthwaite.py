"""Satterthwaite denominator degrees of freedom, as lmerTest computes them.

Kuznetsova, Brockhoff and Christensen (2017, JSS 82(13)), section 3: with the
variance parameters varpar = (theta, sigma), A = 2 H^-1 is their asymptotic
covariance, H the Hessian of the unprofiled (RE)ML deviance at the optimum (a
Moore-Penrose inverse over the positive eigenvalues, as lmerTest does). For a
contrast L, v = L Var(beta-hat) L', g_k = dv/d varpar_k and df = 2 v^2 / (g' A g).

The sigma-derivatives are analytic (the deviance is
logdet + pwrss / sigma^2 + nu log(2 pi sigma^2)). The theta-derivatives are finite
differences of the blocked Cholesky (evaluations of the model, none of size n):

* on models lme4 would check by derivatives (n <= 10,000 and at most 10 thetas), the
  way lmerTest takes them, through numDeriv (Gilbert and Varadhan): symmetric
  differences at four step sizes h0, h0/2, h0/4, h0/8 with h0 = 0.1 |theta_i| (1e-4
  where theta_i is near 0), combined by Richardson extrapolation, which removes the
  h^2, h^4 and h^6 error terms. Where the deviance is flat in a direction, a single
  small step loses the curvature in rounding (central differences with a step of 1e-4
  moved some df by 8e-4 relative, 1e-5 by 15%), while the extrapolated values agree
  with lmerTest's to about 1e-6;
* on larger models, where an evaluation costs milliseconds and 49 of them would
  dominate, one central difference with step 1e-4 |theta_i| (1 + 2d + d(d - 1)
  evaluations).

Multi-row contrasts use lmerTest's eigen-decomposition F test (``contestMD``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.distributions import f_upper
from engine.errors import LmmInputError
from engine.model import LmmModel, ThetaEvaluation
from engine.residual_deviance import ResidualDeviance

if TYPE_CHECKING:
    from engine.results import LmmFit

#: lmerTest's tolerance for positive eigenvalues of the Hessian.
EIGEN_TOL = 1e-8
#: Relative finite-difference step in theta (single central differences).
STEP = 1e-4
#: Richardson extrapolation (numDeriv's defaults): first step as a share of |theta_i|,
#: the absolute step where |theta_i| is below ``RICHARDSON_ZERO``, and the number of steps.
RICHARDSON_SHARE = 0.1
RICHARDSON_ZERO = 1e-4
RICHARDSON_LEVELS = 4
#: Models up to this size get the extrapolated derivatives (lme4's limits for its own
#: derivative checks, ``check.conv.nobsmax`` and ``nparmax``).
RICHARDSON_MAX_NOBS = 10_000
RICHARDSON_MAX_NTHETA = 10


@dataclass
class SatterthwaiteSetup:
    """Asymptotic covariance of varpar and the Jacobian of Var(beta-hat)."""

    vcov_varpar: np.ndarray
    jacobian: np.ndarray
    vcov_beta: np.ndarray
    hessian: np.ndarray

    def contrast_df(self, contrast: np.ndarray) -> float:
        """Satterthwaite df of one contrast (lmerTest's ``contest1D``)."""
        contrast = np.asarray(contrast, dtype=float)
        variance = float(contrast @ self.vcov_beta @ contrast)
        grad = np.einsum("i,kij,j->k", contrast, self.jacobian, contrast)
        denom = float(grad @ self.vcov_varpar @ grad)
        if denom <= 0:
            return float("inf")
        return 2.0 * variance**2 / denom


def richardson(estimates: list) -> object:
    """Richardson extrapolation of estimates at steps h, h/2, h/4, ... whose error is a
    series in even powers of h: each round cancels the leading term (factor 4^m)."""
    table = list(estimates)
    power = 4.0
    while len(table) > 1:
        table = [(power * table[k + 1] - table[k]) / (power - 1) for k in range(len(table) - 1)]
        power *= 4.0
    return table[0]


def uses_richardson(model: LmmModel) -> bool:
    """Whether the theta-derivatives are extrapolated (small models) or single steps."""
    return model.n <= RICHARDSON_MAX_NOBS and model.n_theta <= RICHARDSON_MAX_NTHETA


def satterthwaite_setup(
    model: LmmModel, theta: np.ndarray, sigma: float, reml: bool
) -> SatterthwaiteSetup:
    """Hessian of the unprofiled deviance and Jacobian of sigma^2 (R_X'R_X)^-1."""
    theta = np.asarray(theta, dtype=float)
    d = theta.size
    sigma2 = sigma**2
    dof = model.n - model.p if reml else model.n
    at = _memoised(model.evaluate)

    def theta_part(ev: ThetaEvaluation | _Pieces) -> float:
        logdet = ev.logdet_re + (ev.logdet_rx if reml else 0.0)
        return logdet + ev.pwrss / sigma2

    center = at(theta)
    unscaled = model.vcov_unscaled(center)
    levels = _first_steps(theta, uses_richardson(model))
    hess_theta, pwrss_grad, jac_theta, settled = _derivatives(
        theta, at, theta_part, lambda ev: sigma2 * model.vcov_unscaled(ev), levels
    )
    if not settled:
        # The finest steps' second differences are rounding: take the theta-part from
        # penalised residuals (engine.residual_deviance), which keeps its digits; the
        # Jacobian of Var(beta-hat), a first difference, stays the blocked factor's.
        residual = ResidualDeviance(model, reml)
        precise_at = _memoised(lambda point: _Pieces.of(residual.parts(point)))
        hess_theta, pwrss_grad, _, _ = _derivatives(theta, precise_at, theta_part, None, levels)
    p = unscaled.shape[0]
    hess = np.zeros((d + 1, d + 1))
    hess[:d, :d] = hess_theta
    hess[:d, d] = hess[d, :d] = -2.0 * pwrss_grad / sigma**3
    hess[d, d] = -2.0 * dof / sigma2 + 6.0 * center.pwrss / sigma2**2
    jac = np.zeros((d + 1, p, p))
    jac[:d] = jac_theta
    jac[d] = 2.0 * sigma * unscaled

    values, vectors = np.linalg.eigh(hess)
    positive = values > EIGEN_TOL
    inverse = (vectors[:, positive] / values[positive]) @ vectors[:, positive].T
    return SatterthwaiteSetup(
        vcov_varpar=2.0 * inverse,
        jacobian=jac,
        vcov_beta=sigma2 * unscaled,
        hessian=hess,
    )


Matrix = Callable[[ThetaEvaluation], np.ndarray]


def _shifted(theta: np.ndarray, moves: dict[int, float]) -> np.ndarray:
    point = theta.copy()
    for i, step in moves.items():
        point[i] += step
    return point


def _first_steps(theta: np.ndarray, richardson_steps: bool) -> list[np.ndarray]:
    """The step sizes per theta: one central step of 1e-4 max(|theta_i|, 1), or
    ``RICHARDSON_LEVELS`` halvings from 0.1 |theta_i| (1e-4 near 0), as numDeriv."""
    if not richardson_steps:
        return [STEP * np.maximum(np.abs(theta), 1.0)]
    first = np.where(
        np.abs(theta) > RICHARDSON_ZERO, RICHARDSON_SHARE * np.abs(theta), RICHARDSON_ZERO
    )
    return [first / 2.0**k for k in range(RICHARDSON_LEVELS)]


@dataclass(frozen=True)
class _Pieces:
    """The pieces of the unprofiled deviance at one theta that the derivatives read, as
    a ThetaEvaluation has them (here from penalised residuals)."""

    logdet_re: float
    logdet_rx: float
    pwrss: float

    @classmethod
    def of(cls, parts: tuple[float, float, float] | None) -> _Pieces | None:
        """From ``ResidualDeviance.parts`` (penalised RSS, log|M|, log|R_X|^2)."""
        if parts is None:
            return None
        pwrss, logdet_re, logdet_rx = parts
        return cls(logdet_re, logdet_rx, pwrss)


def _memoised(evaluate: Callable[[np.ndarray], Any]) -> Callable[[np.ndarray], Any]:
    """``evaluate`` once per theta (the difference schemes revisit points); a theta where
    it fails (None) stops the df with a message."""
    cache: dict[tuple[float, ...], Any] = {}

    def at(point: np.ndarray) -> Any:
        key = tuple(point.tolist())
        if key not in cache:
            value = evaluate(point)
            if value is None:
                raise LmmInputError(
                    "Satterthwaite degrees of freedom cannot be computed for this fit "
                    "(the model is degenerate near the optimum); use ddf='residual'."
                )
            cache[key] = value
        return cache[key]

    return at


#: The extrapolated second derivatives count as settled when leaving out the finest step
#: moves each by at most this share of the curvature along its directions: for a smooth
#: deviance the change is of order h^6, while rounding grows as 1 / h^2 at the finest
#: step.
SETTLED = 1e-4


def _derivatives(
    theta: np.ndarray, at: Callable, theta_part: Callable, vcov: Matrix | None,
    levels: list[np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, bool]:
    """(Hessian of theta_part, gradient of pwrss, Jacobian of vcov, settled) from
    symmetric differences at each step size in ``levels``, combined by
    :func:`richardson` (with one step size, plain central differences):
    1 + 2 d r + d (d - 1) r evaluations. ``settled``: with several step sizes, whether
    each second derivative moves by at most :data:`SETTLED` of the curvature along its
    directions when the finest step is left out (else the finest differences are rounding, not
    curvature). ``vcov`` None skips the Jacobian.

    A cross derivative takes f(x + h_i e_i + h_j e_j) + f(x - h_i e_i - h_j e_j) - 2 f(x),
    which is h_i^2 f_ii + h_j^2 f_jj + 2 h_i h_j f_ij + O(h^4), less the diagonal terms,
    so its error is again a series in even powers of h (numDeriv's ``genD`` scheme).
    """
    d = theta.size
    f0 = theta_part(at(theta))
    hess = np.zeros((d, d))
    coarse = np.zeros((d, d))
    pwrss_grad = np.zeros(d)
    jac = None
    for i in range(d):
        second, slope_pwrss, slope_vcov = [], [], []
        for h in levels:
            up, down = at(_shifted(theta, {i: h[i]})), at(_shifted(theta, {i: -h[i]}))
            second.append((theta_part(up) - 2 * f0 + theta_part(down)) / h[i] ** 2)
            slope_pwrss.append((up.pwrss - down.pwrss) / (2 * h[i]))
            if vcov is not None:
                slope_vcov.append((vcov(up) - vcov(down)) / (2 * h[i]))
        hess[i, i] = richardson(second)
        coarse[i, i] = richardson(second[:-1]) if len(second) > 1 else hess[i, i]
        pwrss_grad[i] = richardson(slope_pwrss)
        if vcov is not None:
            slope = richardson(slope_vcov)
            jac = np.zeros((d, *slope.shape)) if jac is None else jac
            jac[i] = slope
    for i in range(d):
        for j in range(i):
            cross = []
            for h in levels:
                pp = theta_part(at(_shifted(theta, {i: h[i], j: h[j]})))
                mm = theta_part(at(_shifted(theta, {i: -h[i], j: -h[j]})))
                along_axes = hess[i, i] * h[i] ** 2 + hess[j, j] * h[j] ** 2
                cross.append((pp + mm - 2 * f0 - along_axes) / (2 * h[i] * h[j]))
            hess[i, j] = hess[j, i] = richardson(cross)
            coarse[i, j] = coarse[j, i] = richardson(cross[:-1]) if len(cross) > 1 else hess[i, j]
    # each entry against its own directions' curvature: the smallest curvature is the
    # one that A = 2 H^-1 magnifies
    diagonal = np.abs(np.diagonal(hess))
    scale = np.sqrt(np.outer(diagonal, diagonal))
    settled = len(levels) < 2 or bool(np.all(np.abs(hess - coarse) <= SETTLED * scale))
    return hess, pwrss_grad, jac, settled


def fstat_ddf(nu: np.ndarray, tol: float = 1e-8) -> float:
    """Denominator df of an F built from independent t statistics (lmerTest)."""
    nu = np.asarray(nu, dtype=float)
    if nu.size == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < tol):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    e = float(np.sum(nu / (nu - 2)))
    return 2.0 * e / (e - nu.size)


def satterthwaite_f_test(fit: LmmFit, L: np.ndarray) -> tuple[float, int, float, float]:
    """F test of L beta = 0 with Satterthwaite df: (F, num_df, den_df, p).

    lmerTest's ``contestMD``: eigen-decompose L Var(beta) L' = P D P', form one
    t statistic per positive eigenvalue, F = mean of their squares, and combine their
    Satterthwaite df with :func:`fstat_ddf`.
    """
    L = np.atleast_2d(np.asarray(L, dtype=float))
    if L.shape[1] != fit.beta.size:
        raise LmmInputError(
            f"The contrast has {L.shape[1]} columns but the model has {fit.beta.size} "
            "fixed effects."
        )
    setup = fit.satterthwaite()
    vll = L @ setup.vcov_beta @ L.T
    values, vectors = np.linalg.eigh(vll)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    tol = max(np.sqrt(np.finfo(float).eps) * values[0], 0.0)
    rank = int(np.sum(values > tol))
    if rank == 0:
        return float("nan"), 0, float("nan"), float("nan")
    ptl = (vectors.T @ L)[:rank]
    t2 = (ptl @ fit.beta) ** 2 / values[:rank]
    f_value = float(np.sum(t2) / rank)
    nu = np.array(
        [
            2.0 * values[k] ** 2
            / float(
                (g := np.einsum("i,kij,j->k", ptl[k], setup.jacobian, ptl[k]))
                @ setup.vcov_varpar
                @ g
            )
            for k in range(rank)
        ]
    )
    den_df = fstat_ddf(nu)
    p_value = f_upper(f_value, rank, den_df)
    return f_value, rank, den_df, p_value
