"""The profiled (RE)ML deviance with the penalised RSS formed from residuals, as lme4 does.

``LmmModel.deviance`` and the optimizer's kernel (engine.profiled_deviance) read the
penalised RSS off the last diagonal entry of the blocked Cholesky factor: r_yy^2 is a
difference of sums of squares, so it loses relative precision when the penalised RSS
is small next to ||y||^2 (a random slope on a covariate far from zero: about 1e-10 of
the criterion, 5e-8 absolute). lme4 (Bates et al. 2015, JSS 67(1), section 3.6)
instead solves the penalised system for (beta-hat, u) and forms

    pwrss = ||y - X beta-hat - Z Lambda u||^2 + ||u||^2,

whose error is of second order in the error of (beta-hat, u), since (beta-hat, u)
minimise it. The log-determinants are the blocked factor's, with one change: the
fixed-effects design is first replaced by the orthonormal Q of X = Q R0, and the
response by its least-squares residual on X. The deviance does not change (X and Q
span the same columns, beta-hat absorbs the fixed part of y, and
log|R_X|^2 = log|R_Q|^2 + log|R0|^2), but R_Q'R_Q = Q'V^-1 Q is no longer a
difference of cross-products of X's size: with a covariate of mean 1,000 and SD 1,
log|R_X|^2 otherwise carries noise of ~1e-8 in a REML criterion.

The finite differences of lme4's convergence checks divide the deviance's noise by
step^2 = 1e-8; with the kernel's noise that gave a Hessian with a negative eigenvalue
at lme4's own optimum. The checks (engine.lmm, engine.convergence) use this
evaluation; the optimizer does not, so its path and evaluation count stay lme4's.
"""

from __future__ import annotations

import math

import numpy as np

from engine.errors import LmmInputError
from engine.model import LOG_2PI, LmmModel


class ResidualDeviance:
    """REML criterion (Bates et al. 2015, eq. 41) or ML deviance (eq. 34) of ``model``
    at theta, with the residual-based penalised RSS; inf where it cannot be evaluated.

    Building it forms the cross-products of the orthonormalised design once (O(n)); a
    call then costs one blocked Cholesky, its back-substitution and one pass over the
    rows. Meant for the convergence checks of small models.
    """

    def __init__(self, model: LmmModel, reml: bool):
        self.reml = bool(reml)
        self.n, self.p = model.n, model.p
        self.logdet_r0 = 0.0
        self.model = model
        if model.p:
            q, r0 = np.linalg.qr(model.X)
            diagonal = np.abs(np.diagonal(r0))
            if np.all(diagonal > 0):
                # y less its least-squares fit on X: the same deviance, residuals of y's
                # spread around the fixed part rather than of y's size
                y = model.y - q @ (q.T @ model.y)
                self.logdet_r0 = 2.0 * float(np.sum(np.log(diagonal)))
                self.model = LmmModel(q, y, list(model.terms), model.fixed_names)

    def pwrss(self, theta: np.ndarray) -> tuple[float, float, float] | None:
        """(penalised RSS from the residuals, log|L_theta|^2, log|R_X|^2) at theta; None
        where the blocked Cholesky fails (theta outside the valid region)."""
        model = self.model
        ev = model.evaluate(np.asarray(theta, dtype=float))
        if ev is None:
            return None
        try:
            beta, u, b = model.conditional_modes(ev)
        except LmmInputError:
            return None
        residual = model.centred_y - model.X @ beta - model.Z @ b
        pwrss = float(residual @ residual) + float(u @ u)
        return pwrss, ev.logdet_re, ev.logdet_rx + self.logdet_r0

    def __call__(self, theta: np.ndarray) -> float:
        parts = self.pwrss(theta)
        if parts is None:
            return math.inf
        pwrss, logdet_re, logdet_rx = parts
        if not (pwrss > 0 and math.isfinite(pwrss)):
            return math.inf
        if self.reml:
            dof = self.n - self.p
            return float(logdet_re + logdet_rx + dof * (1 + LOG_2PI + math.log(pwrss / dof)))
        return float(logdet_re + self.n * (1 + LOG_2PI + math.log(pwrss / self.n)))


def residual_deviance_function(model: LmmModel, reml: bool) -> ResidualDeviance:
    """The residual-based profiled deviance of ``model`` as a function of theta (for the
    central differences of the convergence checks)."""
    return ResidualDeviance(model, reml)


def residual_deviance(model: LmmModel, theta: np.ndarray, reml: bool) -> float:
    """The residual-based profiled deviance at one theta (builds the function once)."""
    return ResidualDeviance(model, reml)(theta)
