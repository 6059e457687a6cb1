"""Satterthwaite denominator degrees of freedom, as lmerTest computes them.

Kuznetsova, Brockhoff and Christensen (2017, JSS 82(13)), section 3: with the
variance parameters varpar = (theta, sigma), A = 2 H^-1 is their asymptotic
covariance, H the Hessian of the unprofiled (RE)ML deviance at the optimum (a
Moore-Penrose inverse over the positive eigenvalues, as lmerTest does). For a
contrast L, v = L Var(beta-hat) L', g_k = dv/d varpar_k and df = 2 v^2 / (g' A g).

The sigma-derivatives are analytic (the deviance is
logdet + pwrss / sigma^2 + nu log(2 pi sigma^2)); theta-derivatives are central
differences of the blocked Cholesky (a few evaluations of the model, none of size n).
Multi-row contrasts use lmerTest's eigen-decomposition F test (``contestMD``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.distributions import f_upper
from engine.errors import LmmInputError
from engine.model import LmmModel, ThetaEvaluation

if TYPE_CHECKING:
    from engine.results import LmmFit

#: lmerTest's tolerance for positive eigenvalues of the Hessian.
EIGEN_TOL = 1e-8
#: Relative finite-difference step in theta.
STEP = 1e-4


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


def satterthwaite_setup(
    model: LmmModel, theta: np.ndarray, sigma: float, reml: bool
) -> SatterthwaiteSetup:
    """Hessian of the unprofiled deviance and Jacobian of sigma^2 (R_X'R_X)^-1.

    Central differences in theta: 1 + 2d + d(d - 1) evaluations of the model.
    """
    theta = np.asarray(theta, dtype=float)
    d = theta.size
    sigma2 = sigma**2
    dof = model.n - model.p if reml else model.n
    steps = STEP * np.maximum(np.abs(theta), 1.0)

    cache: dict[tuple, ThetaEvaluation] = {}

    def at(offsets: tuple[tuple[int, int], ...]) -> ThetaEvaluation:
        key = tuple(sorted(offsets))
        if key not in cache:
            point = theta.copy()
            for i, sign in offsets:
                point[i] += sign * steps[i]
            ev = model.evaluate(point)
            if ev is None:
                raise LmmInputError(
                    "Satterthwaite degrees of freedom cannot be computed for this fit "
                    "(the model is degenerate near the optimum); use ddf='residual'."
                )
            cache[key] = ev
        return cache[key]

    def theta_part(ev: ThetaEvaluation) -> float:
        logdet = ev.logdet_re + (ev.logdet_rx if reml else 0.0)
        return logdet + ev.pwrss / sigma2

    center = at(())
    f0 = theta_part(center)
    hess = np.zeros((d + 1, d + 1))
    pwrss_grad = np.zeros(d)
    unscaled = model.vcov_unscaled(center)
    p = unscaled.shape[0]
    jac = np.zeros((d + 1, p, p))
    for i in range(d):
        up, down = at(((i, 1),)), at(((i, -1),))
        hess[i, i] = (theta_part(up) - 2 * f0 + theta_part(down)) / steps[i] ** 2
        pwrss_grad[i] = (up.pwrss - down.pwrss) / (2 * steps[i])
        jac[i] = sigma2 * (model.vcov_unscaled(up) - model.vcov_unscaled(down)) / (2 * steps[i])
    for i in range(d):
        for j in range(i):
            # Second-order accurate with two new points per pair:
            # f(++) + f(--) - f(+0) - f(-0) - f(0+) - f(0-) + 2 f(00) = 2 h_i h_j f_ij.
            pp = theta_part(at(((i, 1), (j, 1))))
            mm = theta_part(at(((i, -1), (j, -1))))
            axes = sum(theta_part(at(((k, sign),))) for k in (i, j) for sign in (1, -1))
            hess[i, j] = hess[j, i] = (pp + mm - axes + 2 * f0) / (2 * steps[i] * steps[j])
    hess[:d, d] = hess[d, :d] = -2.0 * pwrss_grad / sigma**3
    hess[d, d] = -2.0 * dof / sigma2 + 6.0 * center.pwrss / sigma2**2
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
