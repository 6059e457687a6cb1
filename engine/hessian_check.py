"""lme4's Hessian convergence check (``check.conv.hess`` in ``checkConv``/``checkHess``).

After the fit, lme4 takes the finite-difference Hessian of the profiled deviance over
theta at the optimum (``deriv12``: central differences, absolute step 1e-4, the same
points as the gradient plus four per pair of parameters) and looks at its eigenvalues,
with tolerance 1e-6, in this order:

1. any eigenvalue below -tol: the optimum is a saddle or the optimizer stopped short
   ("degenerate Hessian with k negative eigenvalues", a convergence failure);
2. otherwise, any eigenvalue within tol of zero, or no Cholesky factor: the Hessian is
   numerically singular, some direction of theta is not determined by the data;
3. otherwise, two independent flags, "nearly unidentifiable": the largest eigenvalue
   above 1/tol, and the ratio smallest/largest below tol (usually badly scaled
   predictors).

lme4 runs the check only where it computes the derivatives (fewer than 1e4 observations
and fewer than 10 theta parameters since lme4 1.1-38) and only for non-singular fits.
The numbers live here; the narration words them.

One addition to lme4's rule: ``noise``, the size a second difference of the deviance
can reach from rounding alone. Central differences with step h divide the deviance's
rounding error by h^2 = 1e-8, so an eigenvalue between tol and noise in size is not
resolved from zero: its sign is rounding. It is not counted as negative, and the
verdict does not rest on it (the flags of step 3 need every eigenvalue resolved);
``n_unresolved`` counts such eigenvalues. With noise 0 the rule is lme4's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import lapack

#: lme4's ``check.conv.hess`` tolerance.
HESSIAN_TOL = 1e-6

#: Outcomes, most serious first.
HESSIAN_OK = "ok"
HESSIAN_NOT_FINITE = "not_finite"
HESSIAN_NEGATIVE = "negative_eigenvalues"
HESSIAN_SINGULAR = "near_zero_eigenvalues"
HESSIAN_UNIDENTIFIABLE = "nearly_unidentifiable"


@dataclass(frozen=True)
class HessianCheck:
    """The eigenvalues of the deviance's Hessian over theta at the optimum, and lme4's verdict.

    ``eigenvalues`` are in decreasing order (as R's ``eigen``). ``eigenvalue_ratio`` is
    smallest / largest when every eigenvalue is positive (lme4 reports the inverse,
    ``cond.H``), else None. ``large_eigenvalue`` and ``large_ratio`` are lme4's two
    "nearly unidentifiable" flags, set only when no eigenvalue is negative or near zero.
    """

    hessian: np.ndarray = field(repr=False, compare=False)
    eigenvalues: tuple[float, ...]
    n_negative: int
    n_near_zero: int
    positive_definite: bool
    eigenvalue_ratio: float | None
    large_eigenvalue: bool
    large_ratio: bool
    tolerance: float = HESSIAN_TOL
    #: Eigenvalues smaller than this in size are rounding in the differences, not resolved.
    noise: float = 0.0
    #: Eigenvalues of size between ``tolerance`` and ``noise``.
    n_unresolved: int = 0
    #: Where this check is a second look with a more precise deviance, the first
    #: look's outcome (engine.lmm._check_hessian), else None.
    first_look: str | None = None

    @property
    def outcome(self) -> str:
        """One of the ``HESSIAN_*`` codes, in lme4's order of precedence."""
        if not all(math.isfinite(v) for v in self.eigenvalues):
            return HESSIAN_NOT_FINITE
        if self.n_negative:
            return HESSIAN_NEGATIVE
        if self.n_near_zero or not (self.positive_definite or self.n_unresolved):
            return HESSIAN_SINGULAR
        if self.large_eigenvalue or self.large_ratio:
            return HESSIAN_UNIDENTIFIABLE
        return HESSIAN_OK

    @property
    def ok(self) -> bool:
        return self.outcome == HESSIAN_OK

    @property
    def failed_to_converge(self) -> bool:
        """True for the outcome lme4 words as a convergence failure (negative eigenvalues)."""
        return self.outcome == HESSIAN_NEGATIVE

    def to_dict(self) -> dict:
        """JSON-safe: the verdict, the Hessian (lme4's ``optinfo$derivs$Hessian``) and its
        eigenvalues (non-finite numbers as None)."""
        return {
            "outcome": self.outcome,
            "hessian": [[_finite_or_none(v) for v in row] for row in self.hessian],
            "eigenvalues": [_finite_or_none(v) for v in self.eigenvalues],
            "n_negative": int(self.n_negative),
            "n_near_zero": int(self.n_near_zero),
            "positive_definite": bool(self.positive_definite),
            "eigenvalue_ratio": _finite_or_none(self.eigenvalue_ratio),
            "large_eigenvalue": bool(self.large_eigenvalue),
            "large_ratio": bool(self.large_ratio),
            "tolerance": self.tolerance,
            "noise": self.noise,
            "n_unresolved": int(self.n_unresolved),
            "first_look": self.first_look,
        }


def check_hessian(
    hessian: np.ndarray, tol: float = HESSIAN_TOL, noise: float = 0.0
) -> HessianCheck:
    """lme4's ``checkHess`` on a symmetric Hessian (of the profiled deviance over theta);
    eigenvalues of size between tol and ``noise`` are unresolved (see the module note).

    The eigenvalues are counted as Python floats: on the 2 x 2 and 3 x 3 Hessians of
    small fits, NumPy's per-call overhead costs more than the decomposition.
    """
    hessian = np.asarray(hessian, dtype=float)
    if not all(map(math.isfinite, hessian.ravel().tolist())):
        nan = (math.nan,) * hessian.shape[0]
        return HessianCheck(hessian, nan, 0, 0, False, None, False, False, tol, noise)
    if hessian.shape == (1, 1):  # one theta: no LAPACK call needed
        values = [float(hessian[0, 0])]
    else:
        values = _eigenvalues(hessian)[::-1].tolist()
    n_negative = sum(v < -max(tol, noise) for v in values)
    n_near_zero = sum(abs(v) < tol for v in values)
    n_unresolved = sum(tol <= abs(v) < noise for v in values)
    positive_definite = values[-1] > 0 and _has_cholesky(hessian)
    checked = n_negative == 0 and n_near_zero == 0 and n_unresolved == 0 and positive_definite
    largest, smallest = values[0], values[-1]
    return HessianCheck(
        hessian=hessian,
        eigenvalues=tuple(values),
        n_negative=n_negative,
        n_near_zero=n_near_zero,
        positive_definite=positive_definite,
        eigenvalue_ratio=smallest / largest if smallest > 0 else None,
        large_eigenvalue=checked and largest * tol > 1,
        large_ratio=checked and smallest / largest < tol,
        tolerance=tol,
        noise=noise,
        n_unresolved=n_unresolved,
    )


def _eigenvalues(hessian: np.ndarray) -> np.ndarray:
    """Eigenvalues in increasing order: LAPACK's ``dsyevd`` on the lower triangle, the
    routine behind ``np.linalg.eigvalsh``, called directly (its wrapper costs more than
    the decomposition of a small Hessian)."""
    values, _, info = lapack.dsyevd(hessian, 0, 1)  # compute_v=0, lower=1
    if info != 0:
        raise np.linalg.LinAlgError("Eigenvalues did not converge")
    return values


def _has_cholesky(hessian: np.ndarray) -> bool:
    """Whether LAPACK's Cholesky (``dpotrf``) of the Hessian succeeds, as R's ``chol``."""
    if hessian.shape == (1, 1):
        return bool(hessian[0, 0] > 0)
    _, info = lapack.dpotrf(hessian, 1)  # lower
    return info == 0


def _finite_or_none(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None
