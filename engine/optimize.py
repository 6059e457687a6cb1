"""Bound-constrained minimisation of the profiled deviance, with a record of the run.

The default is BOBYQA (Powell 2009) from NLopt, with the settings lme4's ``nloptwrap``
runs it with: ``xtol_abs = 1e-8``, ``ftol_abs = 1e-8``, ``maxeval = 1e5`` set by lme4,
plus ``xtol_rel = 1e-4``, the default nloptr fills in for every option lme4 leaves
unset, and NLopt's default initial step. With these the run follows lme4's evaluation
by evaluation. scipy's L-BFGS-B (with an analytic gradient when the model provides
one), Nelder-Mead and Powell are the alternatives.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import nlopt
import numpy as np

from engine.errors import LmmInputError
from engine.hessian_check import HessianCheck

if TYPE_CHECKING:
    from engine.centred_search import CentredSearch

OPTIMIZERS = ("bobyqa", "l-bfgs-b", "nelder-mead", "powell")

#: lme4's nloptwrap defaults, and nloptr's default relative x tolerance (which lme4 inherits).
XTOL_ABS = 1e-8
FTOL_ABS = 1e-8
XTOL_REL = 1e-4
MAX_EVAL = 100_000
#: What the optimizer sees where the deviance is not finite.
INVALID = 1e300
#: lme4's ``deriv12`` step (absolute).
DERIV_STEP = 1e-4


@dataclass
class OptSummary:
    """What the optimizer did: lme4's ``optinfo`` / MixedModels.jl's ``OptSummary``."""

    optimizer: str
    initial: np.ndarray
    final: np.ndarray
    fmin: float
    evaluations: int
    gradient: np.ndarray
    return_code: str
    converged: bool
    seconds: float
    max_iter: int | None = None
    #: The central differences behind ``gradient`` (derivative-free fits), reused for the
    #: Hessian of the convergence check.
    differences: CentralDifferences | None = field(default=None, repr=False, compare=False)
    #: lme4's ``check.conv.hess`` at ``final`` (None where lme4 skips it: large models,
    #: singular fits, an unknown gradient).
    hessian_check: HessianCheck | None = None
    #: A lower optimum found by the second search in centred coordinates
    #: (engine.centred_search.CentredSearch), else None.
    centred_search: CentredSearch | None = None

    @property
    def max_abs_gradient(self) -> float:
        return float(np.max(np.abs(self.gradient))) if self.gradient.size else 0.0

    def to_dict(self) -> dict:
        """JSON-safe record for the fit result, lme4's ``optinfo`` in short: no timings
        and no optimizer message (scipy's is English prose), so the JSON stays
        deterministic and free of words."""
        return {
            "optimizer": self.optimizer,
            "evaluations": int(self.evaluations),
            "converged": bool(self.converged),
            "max_iter": None if self.max_iter is None else int(self.max_iter),
            "gradient": [float(g) if math.isfinite(g) else None for g in self.gradient],
            "hessian_check": None if self.hessian_check is None else self.hessian_check.to_dict(),
            "centred_search": (
                None if self.centred_search is None else self.centred_search.to_dict()
            ),
        }


def finite_difference_gradient(
    fun: Callable[[np.ndarray], float], x: np.ndarray, lower: np.ndarray, step: float = 1e-4
) -> np.ndarray:
    """Central differences (one-sided forward at a lower bound), as lme4's ``deriv12``."""
    grad = np.zeros_like(x)
    f0 = fun(x)
    for i in range(x.size):
        h = step * max(abs(x[i]), 1.0) if x[i] != 0 else step
        up = x.copy()
        up[i] += h
        down = x.copy()
        down[i] -= h
        if down[i] < lower[i]:
            grad[i] = (fun(up) - f0) / h
        else:
            grad[i] = (fun(up) - fun(down)) / (2 * h)
    return grad


def finite_difference_hessian(
    fun: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-4
) -> np.ndarray:
    """Central second differences of ``fun`` at x (lme4's ``deriv12`` Hessian)."""
    d = x.size
    h = step * np.maximum(np.abs(x), 1.0)
    f0 = fun(x)
    hess = np.zeros((d, d))

    def shifted(*moves: tuple[int, float]) -> float:
        point = x.copy()
        for i, sign in moves:
            point[i] += sign * h[i]
        return fun(point)

    for i in range(d):
        hess[i, i] = (shifted((i, 1)) - 2 * f0 + shifted((i, -1))) / h[i] ** 2
        for j in range(i):
            value = (
                shifted((i, 1), (j, 1))
                - shifted((i, 1), (j, -1))
                - shifted((i, -1), (j, 1))
                + shifted((i, -1), (j, -1))
            ) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = value
    return hess


class CentralDifferences:
    """lme4's ``deriv12`` at x, in two stages: the gradient first, the Hessian on demand.

    Steps are absolute (``delta = 1e-4``), as in lme4; f(x) is the optimizer's minimum
    (lme4 passes ``fx = opt$value``), so the gradient costs 2 d evaluations. The
    one-dimensional steps are kept, so the Hessian adds only the 2 d (d - 1) cross
    evaluations. Unlike lme4, a coordinate whose backward step would cross its lower
    bound gets a forward difference (lme4 skips the check for such singular fits).
    """

    def __init__(
        self,
        fun: Callable[[np.ndarray], float],
        x: np.ndarray,
        f0: float,
        lower: np.ndarray,
        step: float = DERIV_STEP,
    ):
        self.fun, self.x, self.f0, self.step = fun, np.asarray(x, dtype=float), f0, step
        self._hessian: np.ndarray | None = None
        d = self.x.size
        up, down, gradient = [0.0] * d, [math.nan] * d, [0.0] * d
        x, bounds = self.x.tolist(), np.asarray(lower, dtype=float).tolist()
        # Python floats: the same IEEE arithmetic as NumPy's scalars, without their
        # warnings machinery
        for i in range(d):
            point = self.x.copy()
            point[i] += step
            up[i] = float(fun(point))
            if x[i] - step < bounds[i]:
                gradient[i] = (up[i] - f0) / step
                continue
            point[i] = x[i] - step
            down[i] = float(fun(point))
            # Both sides infinite (the deviance is undefined around x) leaves NaN, an
            # unknown gradient, which the convergence check does not read as an alarm.
            gradient[i] = (up[i] - down[i]) / (2 * step)
        self.up, self.down, self.gradient = np.array(up), np.array(down), np.array(gradient)

    def hessian(self) -> np.ndarray:
        """lme4's ``deriv12`` Hessian (central second differences, step ``delta``).

        Computed once: the gradient check and the Hessian check share it.
        """
        if self._hessian is not None:
            return self._hessian
        x, h, d = self.x, self.step, self.x.size
        if np.any(np.isnan(self.down)):
            raise ValueError("the Hessian needs central differences in every coordinate")
        hess = np.diag((self.up - 2 * self.f0 + self.down) / h**2)

        def shifted(i: int, si: float, j: int, sj: float) -> float:
            point = x.copy()
            point[i] += si * h
            point[j] += sj * h
            return self.fun(point)

        for j in range(d):
            for i in range(j):
                value = (
                    shifted(i, 1, j, 1)
                    - shifted(i, 1, j, -1)
                    - shifted(i, -1, j, 1)
                    + shifted(i, -1, j, -1)
                ) / (4 * h * h)
                hess[i, j] = hess[j, i] = value
        self._hessian = hess
        return hess


def scaled_gradient_size(hessian: np.ndarray, gradient: np.ndarray) -> float:
    """lme4's ``check.conv.grad`` statistic: max_i min(|(R^-1 g)_i|, |g_i|), H = R'R.

    The gradient is scaled by the Cholesky factor of the Hessian, so that a flat
    direction of the deviance does not raise a false alarm (lme4's ``checkConv``).
    An indefinite Hessian leaves the plain gradient.
    """
    try:
        chol = np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return float(np.max(np.abs(gradient)))
    scaled = np.linalg.solve(chol.T, gradient)
    return float(np.max(np.minimum(np.abs(scaled), np.abs(gradient))))


def minimize(
    fun: Callable[[np.ndarray], float],
    x0: np.ndarray,
    lower: np.ndarray,
    *,
    optimizer: str = "bobyqa",
    max_iter: int | None = None,
    gradient: Callable[[np.ndarray], tuple[float, np.ndarray]] | None = None,
) -> OptSummary:
    """Minimise ``fun`` over x >= lower; ``gradient`` returns (value, grad) if available.

    The analytic gradient drives L-BFGS-B and gives the final gradient of the record;
    without it, the final gradient is lme4's central difference (:class:`CentralDifferences`).
    """
    name = optimizer.lower().replace("_", "-")
    if name not in OPTIMIZERS:
        raise LmmInputError(
            f"The optimizer '{optimizer}' is not available; choose one of "
            + ", ".join(OPTIMIZERS)
            + "."
        )
    if max_iter is not None and max_iter < 1:
        raise LmmInputError("The maximum number of iterations must be at least 1.")
    x0 = np.asarray(x0, dtype=float)
    lower = np.asarray(lower, dtype=float)
    count = [0]

    def counted(x: np.ndarray) -> float:
        count[0] += 1
        value = float(fun(np.asarray(x, dtype=float)))
        return value if math.isfinite(value) else INVALID

    start = time.perf_counter()
    if name == "bobyqa":
        x, fmin, code, converged = _bobyqa(fun, x0, lower, max_iter, count)
    else:
        x, fmin, code, converged = _scipy(name, counted, x0, lower, max_iter, gradient, count)
    seconds = time.perf_counter() - start
    evaluations = count[0]
    differences = None
    if gradient is not None:
        grad = np.asarray(gradient(x)[1], dtype=float)
    else:
        differences = CentralDifferences(fun, x, float(fmin), lower)
        grad = differences.gradient
    return OptSummary(
        optimizer=name,
        initial=x0,
        final=x,
        fmin=float(fmin),
        evaluations=evaluations,
        gradient=grad,
        return_code=code,
        converged=converged,
        seconds=seconds,
        max_iter=max_iter,
        differences=differences,
    )


_NLOPT_CODES = {
    nlopt.SUCCESS: "success",
    nlopt.STOPVAL_REACHED: "stopval_reached",
    nlopt.FTOL_REACHED: "ftol_reached",
    nlopt.XTOL_REACHED: "xtol_reached",
    nlopt.MAXEVAL_REACHED: "maxeval_reached",
    nlopt.MAXTIME_REACHED: "maxtime_reached",
}


def _bobyqa(fun, x0, lower, max_iter, count):
    """NLopt's BOBYQA. When NLopt gives up (roundoff errors, a generic failure) it raises
    instead of returning; then the best point it evaluated is kept and the fit is marked
    as not converged, as lme4 does for a negative NLopt status.

    The callback is the only Python layer between NLopt and ``fun``: on small models
    an evaluation costs a few microseconds, as much as a wrapper call."""
    n = x0.size
    best: list = [math.inf, x0.copy()]

    def objective(x, grad):
        count[0] += 1
        value = float(fun(x))
        if not math.isfinite(value):
            value = INVALID
        if value < best[0]:
            best[0], best[1] = value, x.copy()
        return value

    opt = nlopt.opt(nlopt.LN_BOBYQA, n)
    opt.set_lower_bounds([bound if math.isfinite(bound) else -math.inf for bound in lower.tolist()])
    opt.set_min_objective(objective)
    opt.set_xtol_abs(XTOL_ABS)
    opt.set_xtol_rel(XTOL_REL)
    opt.set_ftol_abs(FTOL_ABS)
    opt.set_maxeval(max_iter if max_iter is not None else MAX_EVAL)
    try:
        x = opt.optimize(x0.tolist())
    except nlopt.RoundoffLimited:
        return best[1], best[0], "roundoff_limited", False
    except RuntimeError:  # NLOPT_FAILURE
        return best[1], best[0], "failure", False
    code = opt.last_optimize_result()
    fmin = opt.last_optimum_value()
    converged = code in (nlopt.SUCCESS, nlopt.FTOL_REACHED, nlopt.XTOL_REACHED)
    return np.asarray(x), fmin, _NLOPT_CODES.get(code, str(code)), converged


def _scipy(name, fun, x0, lower, max_iter, gradient, count):
    from scipy import optimize as sciopt  # imported here: only these optimizers need it

    bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
    options: dict = {}
    if name == "l-bfgs-b":
        if max_iter is not None:
            options["maxfun"] = max_iter
        options.update({"ftol": 1e-10, "gtol": 1e-5})
        if gradient is not None:

            def value_and_grad(x):
                count[0] += 1
                value, grad = gradient(np.asarray(x, dtype=float))
                if not np.isfinite(value):
                    return 1e300, np.zeros_like(x)
                return value, grad

            res = sciopt.minimize(
                value_and_grad, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=options
            )
        else:
            res = sciopt.minimize(fun, x0, method="L-BFGS-B", bounds=bounds, options=options)
    elif name == "nelder-mead":
        options.update({"xatol": 1e-8, "fatol": 1e-10, "maxfev": max_iter or 20_000})
        res = sciopt.minimize(fun, x0, method="Nelder-Mead", bounds=bounds, options=options)
    else:
        options.update({"xtol": 1e-8, "ftol": 1e-12, "maxfev": max_iter or 20_000})
        res = sciopt.minimize(fun, x0, method="Powell", bounds=bounds, options=options)
    return np.asarray(res.x), float(res.fun), str(res.message), bool(res.success)
