"""The profiled (RE)ML deviance from penalised residuals, for the convergence checks.

``LmmModel.deviance`` and the optimizer's kernel (engine.profiled_deviance) read the
penalised RSS and log|R_X| off the blocked Cholesky factor of the cross-products. Both
are differences of sums of squares: r_yy^2 loses relative precision when the penalised
RSS is small next to ||y||^2, and R_X'R_X = X'X - X'Z Lambda M^-1 Lambda'Z'X when the
random effects absorb most of a column of X (a covariate of mean 1,000 and SD 1 beside
a random intercept); the first term's log|M_j| loses digits when Z_j's columns are
nearly collinear (a random slope on such a covariate). The noise is 1e-11 to 1e-10
of the criterion, 1e-8 absolute, between neighbouring thetas.

lme4's convergence checks (``deriv12``) divide that noise by step^2 = 1e-8: on the ML
fit of tests/data/ill_conditioned_slope's ml_ridge.csv the Hessian had an eigenvalue of
-1.06 at lme4's own optimum, where a 50-digit evaluation gives +3.5e-5. This module
evaluates the same deviance (Bates et al. 2015, JSS 67(1), eqs. 34 and 41) without
forming those differences:

* lme4 forms the penalised RSS from residuals, ||y - X beta - Z Lambda u||^2 + ||u||^2,
  whose error is of second order in that of (beta, u). Here each column of [X y] gets
  its penalised fit on Z Lambda alone, U = M^-1 Lambda'Z'[X y], by back-substitution
  in the blocked factor (``LmmModel.random_fits``), and its penalised residual
  W = [[X y] - Z Lambda U; U]. Then W_X'W_X = R_X'R_X and min_beta ||W_y - W_X beta||^2
  is the penalised RSS, both second order in U's error; a QR factorisation of W
  (Householder, never W'W) gives log|R_X|^2 and the penalised RSS.
* log|M| for the first term is the sum over levels of log|R_j|^2, R_j from a QR of
  [Z_j T_1; I] (the levels batched by size, padded with zero rows to a power of two);
  the other terms' log-determinant is the blocked factor's.

At lme4's optimum of ml_ridge the value is 2e-12 from the 50-digit one (the kernel's
4.6e-8, lme4's 5e-11), and the Hessian's eigenvalues agree with the 50-digit Hessian's
to 4e-4 (the smallest is 3.5e-5, below what step-1e-4 differences of any
double-precision deviance resolve; engine.hessian_check's ``noise``). The Hessian check
(engine.lmm._check_hessian, where the kernel's verdict is not plainly fine) and the
convergence audit (engine.convergence) use this evaluation; the optimizer does not, so
its path and its evaluation count stay lme4's. A call costs about 1 ms on sleepstudy,
15 kernel evaluations: meant for the checks of small models (lme4 runs its checks below
10,000 observations).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from engine.model import LOG_2PI, LmmModel, TermStructure


class ResidualDeviance:
    """REML criterion or ML deviance of ``model`` at theta from penalised residuals;
    inf where the blocked Cholesky fails. Building it arranges the first term's rows by
    level once (O(n))."""

    def __init__(self, model: LmmModel, reml: bool):
        self.model, self.reml = model, bool(reml)
        self.xy = np.concatenate([model.centred_X, model.centred_y[:, None]], axis=1)
        self.first_levels = _LevelRows(model.terms[0])

    def parts(self, theta: np.ndarray) -> tuple[float, float, float] | None:
        """(penalised RSS, log|Lambda'Z'Z Lambda + I|, log|R_X|^2) at theta; None where
        the blocked Cholesky fails or R_X is singular."""
        model = self.model
        ev = model.evaluate(np.asarray(theta, dtype=float))
        if ev is None:
            return None
        u, b = model.random_fits(ev)
        residuals = np.concatenate([self.xy - model.Z @ b, u])
        diagonal = np.abs(np.diagonal(np.linalg.qr(residuals, mode="r")))
        p = model.p
        if not np.all(diagonal[:p] > 0):
            return None
        m_re = model.q - self.first_levels.width
        logdet_rest = 2.0 * float(np.sum(np.log(np.diagonal(ev.rest_factor)[:m_re])))
        logdet_re = self.first_levels.log_determinant(ev.factors[0]) + logdet_rest
        logdet_rx = 2.0 * float(np.sum(np.log(diagonal[:p])))
        return float(diagonal[p] ** 2), logdet_re, logdet_rx

    def __call__(self, theta: np.ndarray) -> float:
        parts = self.parts(theta)
        if parts is None:
            return math.inf
        pwrss, logdet_re, logdet_rx = parts
        if not (pwrss > 0 and math.isfinite(pwrss)):
            return math.inf
        n, p = self.model.n, self.model.p
        if self.reml:
            dof = n - p
            return float(logdet_re + logdet_rx + dof * (1 + LOG_2PI + math.log(pwrss / dof)))
        return float(logdet_re + n * (1 + LOG_2PI + math.log(pwrss / n)))


class _LevelRows:
    """A term's rows grouped by level, for sum_j log|T'Z_j'Z_j T + I| by batched QR of
    [Z_j T; I]: levels with up to 2^k rows share one (levels, 2^k + s, s) array (zero
    rows change no R factor), so a few batched calls cover every level."""

    def __init__(self, term: TermStructure):
        s, n_levels = term.n_columns, term.n_levels
        sizes = np.bincount(term.codes, minlength=n_levels)
        order = np.argsort(term.codes, kind="stable")
        codes = term.codes[order]
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        within = np.arange(codes.size) - starts[codes]
        padded = 2 ** np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64)
        self.s, self.width = s, s * n_levels
        self.batches: list[tuple[np.ndarray, int]] = []
        for size in np.unique(padded[sizes > 0]).tolist():
            levels = np.flatnonzero((padded == size) & (sizes > 0))
            slot = np.full(n_levels, -1)
            slot[levels] = np.arange(levels.size)
            rows = np.zeros((levels.size, size, s))
            mine = slot[codes] >= 0
            rows[slot[codes][mine], within[mine]] = term.matrix[order][mine]
            self.batches.append((rows, size))

    def log_determinant(self, t: np.ndarray) -> float:
        total = 0.0
        identity = np.eye(self.s)
        for rows, size in self.batches:
            stacked = np.empty((rows.shape[0], size + self.s, self.s))
            np.matmul(rows, t, out=stacked[:, :size])
            stacked[:, size:] = identity
            r = np.linalg.qr(stacked, mode="r")
            total += 2.0 * float(np.sum(np.log(np.abs(np.diagonal(r, axis1=1, axis2=2)))))
        return total


def residual_deviance_function(model: LmmModel, reml: bool) -> ResidualDeviance:
    """The penalised-residual profiled deviance of ``model`` as a function of theta (for
    the central differences of the convergence checks)."""
    return ResidualDeviance(model, reml)


def deferred_residual_deviance(model: LmmModel, reml: bool) -> Callable[[np.ndarray], float]:
    """:func:`residual_deviance_function`, built on its first call: the fit passes it to
    the Hessian check, which needs it only where the kernel's verdict is not plainly
    fine, and building it (arranging the first term's rows by level) costs about 0.1 ms,
    a few percent of a small fit."""
    built: list[ResidualDeviance] = []

    def deviance(theta: np.ndarray) -> float:
        if not built:
            built.append(ResidualDeviance(model, reml))
        return built[0](theta)

    return deviance


def residual_deviance(model: LmmModel, theta: np.ndarray, reml: bool) -> float:
    """The penalised-residual profiled deviance at one theta."""
    return ResidualDeviance(model, reml)(theta)
