"""The profiled (RE)ML deviance alone, as the optimizer calls it (Bates et al. 2015).

``LmmModel.evaluate`` keeps every piece of the blocked Cholesky for ``solve`` and the
inference code. The optimizer needs one number per theta, and on small models an
evaluation costs numpy's per-call overhead, not arithmetic. This kernel computes
``LmmModel.deviance`` (JSS 67(1), eq. 34 for ML, eq. 41 for REML) with the same
floating-point operations in the same order, so the two agree bit for bit and the
optimizer's path does not depend on which one it calls. It saves the rest:

* no T_k matrices, no M_j^-1, no ThetaEvaluation record;
* only the upper triangle of the rest block S is formed (it is what LAPACK's lower
  Cholesky of S' reads), scaled by the rest terms' theta, in preallocated arrays
  that ``dpotrf`` factors in place.

Models whose rest block is built from index pairs or sparse products (many levels
in the rest) or whose later terms are vector-valued use ``LmmModel.deviance``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from scipy.linalg import lapack

from engine.model import LOG_2PI, blocks_2x2

_sum = np.add.reduce

if TYPE_CHECKING:
    from engine.model import LmmModel



def deviance_function(model: LmmModel, reml: bool) -> Callable[[np.ndarray], float]:
    """The profiled objective of ``model`` as a function of theta (inf where invalid)."""
    rest_terms = model.terms[1:]
    if model._dense_first and all(t.n_columns == 1 for t in rest_terms):
        return ProfiledDeviance(model, reml)
    return lambda theta: model.deviance(theta, reml)


class ProfiledDeviance:
    """REML criterion or ML deviance at theta, equal to ``LmmModel.deviance``.

    Needs the model's dense first-term product (``model._dense_first``) and scalar
    rest terms. Not thread-safe: the work arrays are reused between calls.
    """

    def __init__(self, model: LmmModel, reml: bool):
        first = model.terms[0]
        self.model = model
        self.s1 = first.n_columns
        self.l1 = first.n_levels
        m, m_re, p = model._m, model._m_re, model.p
        ra, rc = model._g_upper
        self.outer = model._outer
        self.a_upper = model._a_rest[ra, rc]
        self.values = np.empty(ra.size)
        self.schur = np.zeros((m, m))
        self.schur_flat = self.schur.reshape(-1)
        self.upper_positions = ra * m + rc
        self.re_diagonal = ((ra == rc) & (ra < m_re)).astype(float) if m_re else None
        self.first_theta = first.theta_slice.start
        self.n_theta = model.n_theta
        if rest_terms := model.terms[1:]:
            # Each rest column's theta (scalar terms); X and y columns get 1.
            column_theta = np.full(m, self.n_theta)
            for (lo, hi), term in zip(model._rest_offsets, rest_terms, strict=True):
                column_theta[lo:hi] = term.theta_slice.start
            self.theta_ext = np.ones(self.n_theta + 1)
            self.row_theta = column_theta[ra]
            self.col_theta = column_theta[rc]
        else:
            self.theta_ext = None
        self.m_re, self.p, self.n, self.reml = m_re, p, model.n, reml
        self.dof = model.n - p
        if self.s1 == 1:
            self.a00 = np.ascontiguousarray(model._a11[:, 0, 0])
            self.m_diag = np.empty(self.l1)
            self.w = np.empty(self.l1)
            self.work = np.empty(self.l1)
        elif self.s1 == 2:
            self.a_rows = model._a11_rows
            self.blocks_work = {
                "to_m": np.zeros((3, 4)),
                "to_w": np.zeros((3, 3)),
                "m_rows": np.empty((3, self.l1)),
                "w_rows": np.empty((3, self.l1)),
                "det": np.empty(self.l1),
                "square": np.empty(self.l1),
            }
            self.blocks_work["to_m"][0, 3] = self.blocks_work["to_m"][2, 3] = 1.0
        else:
            self.w_upper = model._w_upper

    def _first_block(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """sum_j log|M_j| and W's upper entries, entry by entry over levels (``_outer``'s rows),
        computed as ``LmmModel._first_block`` does."""
        s1, k = self.s1, self.first_theta
        if s1 == 1:
            lam2 = np.float64(theta[k]) ** 2
            m_diag = np.multiply(self.a00, lam2, out=self.m_diag)
            m_diag += 1.0
            logdet = float(_sum(np.log(m_diag, out=self.work)))
            w = np.divide(1.0, m_diag, out=self.w)
            w *= lam2
            return logdet, w
        if s1 == 2:
            t = (float(theta[k]), float(theta[k + 1]), float(theta[k + 2]))
            logdet, _, _, w_rows = blocks_2x2(self.a_rows, t, self.blocks_work)
            return logdet, w_rows.reshape(-1)
        factors = self.model.terms[0].factor(theta)
        logdet, _, w = self.model._first_block(factors)
        wa, wb = self.w_upper
        return logdet, w[:, wa, wb].T.reshape(-1)

    def __call__(self, theta: np.ndarray) -> float:
        logdet, w = self._first_block(theta)
        if not math.isfinite(logdet):
            return math.inf
        # np.dot and the @ of LmmModel._first_product run the same BLAS product.
        values = np.dot(w, self.outer, out=self.values)
        np.subtract(self.a_upper, values, out=values)
        if self.theta_ext is not None:
            ext = self.theta_ext
            ext[: self.n_theta] = theta
            values *= ext[self.row_theta]
            values *= ext[self.col_theta]
        if self.re_diagonal is not None:
            values += self.re_diagonal
        self.schur_flat[self.upper_positions] = values
        # The transpose is S's upper triangle as a Fortran-ordered lower triangle.
        chol, info = lapack.dpotrf(self.schur.T, lower=1, clean=0, overwrite_a=1)
        if info != 0:
            return math.inf
        # The same operations, in the same order, as LmmModel.evaluate and
        # profiled_deviance, so that the optimizer sees exactly LmmModel.deviance
        # (np.add.reduce is ndarray.sum without its Python wrapper).
        m_re, p = self.m_re, self.p
        if m_re + p <= 2:
            # numpy's log of one value equals its log within an array.
            log_diagonal = [np.log(v) for v in chol.diagonal()[: m_re + p].tolist()]
        else:
            log_diagonal = np.log(chol.diagonal())
        logdet_rest = 2.0 * _reduce(log_diagonal[:m_re]) if m_re else 0.0
        logdet_rx = 2.0 * _reduce(log_diagonal[m_re : m_re + p])
        pwrss = float(chol[-1, -1] ** 2)
        if pwrss <= 0:
            return math.inf
        if self.reml:
            dof = self.dof
            value = logdet + logdet_rest + logdet_rx + dof * (1 + LOG_2PI + np.log(pwrss / dof))
        else:
            value = logdet + logdet_rest + self.n * (1 + LOG_2PI + np.log(pwrss / self.n))
        return float(value)


def _reduce(values: np.ndarray | list) -> float:
    """``np.add.reduce(values)``; up to two values are added without the ufunc call
    (numpy returns 0, the single value, or the sum of the two)."""
    size = len(values)
    if size == 0:
        return 0.0
    if size == 1:
        return float(values[0])
    if size == 2:
        return float(values[0]) + float(values[1])
    return float(_sum(values))
