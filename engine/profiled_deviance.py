"""The profiled (RE)ML deviance alone, as the optimizer calls it (Bates et al. 2015).

``LmmModel.evaluate`` keeps every piece of the blocked Cholesky for ``solve`` and the
inference code. The optimizer needs one number per theta, and on small models an
evaluation costs numpy's per-call overhead, not arithmetic. This kernel computes
``LmmModel.deviance`` (JSS 67(1), eq. 34 for ML, eq. 41 for REML) with the same
floating-point operations in the same order, so the two agree bit for bit and the
optimizer's path does not depend on which one it calls. It saves the rest:

* no rest-term T_k matrices, no M_j^-1, no ThetaEvaluation record;
* only the upper triangle of the rest block S is formed (it is what LAPACK's lower
  Cholesky of S' reads), scaled by the rest terms' theta, in preallocated arrays
  that ``dpotrf`` factors in place;
* every NumPy call writes into a preallocated array given as a positional ``out``
  (a keyword costs more than the arithmetic here), and the logs of R's diagonal and of the
  scaled penalised RSS are one ``np.log`` call (NumPy's log of a value does not
  depend on the array it sits in).

Models whose rest block is built from index pairs or sparse products (many levels
in the rest) or whose later terms are vector-valued use ``LmmModel.deviance``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from scipy.linalg import lapack

from engine.model import LOG_2PI

_sum = np.add.reduce
_add, _subtract, _multiply, _divide = np.add, np.subtract, np.multiply, np.divide
_square, _log, _dot = np.square, np.log, np.dot
_potrf = lapack.dpotrf

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
        #: What the penalised RSS is divided by inside the log: n - p (REML) or n (ML).
        self.rss_divisor = self.dof if reml else model.n
        #: A vector-valued first term and no other: S is R'R minus the Gram matrix.
        self.gram_only = self.s1 > 1 and not rest_terms
        self.a_rest = model._a_rest
        if self.s1 == 1:
            self.outer = model._outer
            self.a00 = np.ascontiguousarray(model._a11[:, 0, 0])
            self.m_diag = np.empty(self.l1)
            self.w = np.empty(self.l1)
            self.work = np.empty(self.l1)
        else:
            self.first = first
            self.blocks = model._vector_blocks
            if self.s1 == 2:
                self.v_work = self.blocks.buffer(m)
            else:
                self.v_buffer = np.empty((m, self.s1, self.l1))

    def _first_block(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """sum_j log|M_j| and the first term's share of S's upper entries, computed as
        ``LmmModel.evaluate`` does (``_first_block`` or ``_vector_first``)."""
        if self.s1 == 1:
            lam2 = theta[self.first_theta] ** 2  # a NumPy scalar's square, as evaluate's
            m_diag = _multiply(self.a00, lam2, self.m_diag)
            _add(m_diag, 1.0, m_diag)
            logdet = float(_sum(_log(m_diag, self.work)))
            w = _divide(1.0, m_diag, self.w)
            _multiply(w, lam2, w)
            # np.dot and the @ of LmmModel._first_product run the same BLAS product.
            return logdet, _dot(w, self.outer, self.values)
        logdet, gram = self._vector_gram(theta)
        if gram is None:
            return math.inf, self.values
        return logdet, gram.reshape(-1).take(self.upper_positions, 0, self.values)

    def _vector_gram(self, theta: np.ndarray) -> tuple[float, np.ndarray | None]:
        """A vector-valued first term: sum_j log|M_j| and sum_j V_j'V_j, as
        ``LmmModel._vector_first`` computes them (None where an M_j fails)."""
        blocks = self.blocks
        if self.s1 == 2:
            k = self.first_theta
            t0, t1, t2 = theta[k : k + 3].tolist()
            factors = blocks.factor_2x2(t0, t1, t2)
            if factors is None:
                return math.inf, None
            return (blocks.log_determinant(factors),
                    blocks.gram_2x2(factors, t0, t1, t2, self.v_work))
        t = self.first.factor(theta)
        factors = blocks.factor(t)
        if factors is None:
            return math.inf, None
        return blocks.log_determinant(factors), blocks.gram(factors, t, self.v_buffer)

    def __call__(self, theta: np.ndarray) -> float:
        if self.gram_only:
            logdet, gram = self._vector_gram(theta)
            if gram is None:
                return math.inf
            # S = R'R - gram, the whole matrix at once (no rest terms to scale)
            return self._finish(logdet, _subtract(self.a_rest, gram, self.schur))
        logdet, values = self._first_block(theta)
        if not math.isfinite(logdet):
            return math.inf
        _subtract(self.a_upper, values, values)
        if self.theta_ext is not None:
            ext = self.theta_ext
            ext[: self.n_theta] = theta
            _multiply(values, ext[self.row_theta], values)
            _multiply(values, ext[self.col_theta], values)
        if self.re_diagonal is not None:
            _add(values, self.re_diagonal, values)
        self.schur_flat[self.upper_positions] = values
        return self._finish(logdet, self.schur)

    def _finish(self, logdet: float, schur: np.ndarray) -> float:
        """The deviance from the first term's log-determinant and S (its upper triangle:
        S's transpose is a Fortran-ordered array whose lower triangle dpotrf factors in
        place)."""
        # lower=1, clean=0, overwrite_a=1, passed by position (f2py's keyword parsing
        # costs a third of the call on these small matrices)
        chol, info = _potrf(schur.T, 1, 0, 1)
        if info != 0:
            return math.inf
        pwrss = float(chol[-1, -1] ** 2)
        if pwrss <= 0:
            return math.inf
        # The same operations, in the same order, as LmmModel.evaluate and
        # profiled_deviance, so that the optimizer sees exactly LmmModel.deviance. The
        # last diagonal entry (sqrt(pwrss)) is not needed any more: it takes the ratio
        # whose log the deviance needs, so that one np.log call gives every log.
        chol[-1, -1] = pwrss / self.rss_divisor
        logs = _log(chol.diagonal())
        listed = logs.tolist()
        m_re, p = self.m_re, self.p
        logdet_rest = 2.0 * _block_sum(logs, listed, 0, m_re) if m_re else 0.0
        logdet_rx = 2.0 * _block_sum(logs, listed, m_re, m_re + p)
        log_ratio = listed[-1]
        if self.reml:
            value = logdet + logdet_rest + logdet_rx + self.dof * (1 + LOG_2PI + log_ratio)
        else:
            value = logdet + logdet_rest + self.n * (1 + LOG_2PI + log_ratio)
        return float(value)


def _block_sum(values: np.ndarray, listed: list[float], lo: int, hi: int) -> float:
    """``np.add.reduce(values[lo:hi])``; fewer than eight values are added in Python
    (``listed`` is ``values.tolist()``): NumPy's pairwise summation adds a block that
    short one by one from zero, left to right, which the loop repeats exactly."""
    if hi - lo >= 8:
        return float(_sum(values[lo:hi]))
    total = 0.0
    for value in listed[lo:hi]:
        total += value
    return total
