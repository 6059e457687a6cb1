"""Prototype kernel for large crossed random-intercept models (not wired into the fit).

Two measured ideas for models whose random-effects terms are all scalar intercepts,
such as InstEval's ``y ~ service + (1|s) + (1|d) + (1|dept:service)``; see
benchmarks/README.md for the timings.

1. :func:`moment_start`: lme4's starting point for such models, now used by the fit
   and defined in engine.start (re-exported here for the benchmarks).
2. :class:`ScalarCrossedDeviance`: the profiled (RE)ML deviance of Bates et al.
   (2015, JSS 67(1), eqs. 34 and 41) with the first (largest) term eliminated in
   closed form and the Schur complement of the remaining columns built only on its
   fixed sparsity pattern: one sparse matrix-vector product gives its values, which
   are scaled by Lambda and written into the lower triangle of a dense array that
   LAPACK's ``dpotrf`` factors. Nothing of size m x m is touched besides that array.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack

from engine.model import LmmModel
from engine.start import is_scalar_intercept_model, moment_start

__all__ = ["ScalarCrossedDeviance", "is_scalar_intercept_model", "moment_start"]

LOG_2PI = float(np.log(2 * np.pi))


class ScalarCrossedDeviance:
    """The profiled deviance of a scalar-random-intercept model on a sparse pattern.

    Built once from ``model.terms``, ``model.X`` and ``model.y`` (O(n) work); each call
    costs one sparse matrix-vector product over the index pairs of the first term's
    levels plus one dense Cholesky of the remaining random effects, X and y.
    """

    def __init__(self, model: LmmModel):
        if not is_scalar_intercept_model(model):
            raise ValueError("ScalarCrossedDeviance needs scalar random intercepts only")
        self.n, self.p = model.X.shape
        first, rest_terms = model.terms[0], model.terms[1:]
        n = self.n
        self._counts = np.bincount(first.codes, minlength=first.n_levels).astype(float)
        blocks = [
            sp.csc_matrix((np.ones(n), (np.arange(n), t.codes)), shape=(n, t.n_levels))
            for t in rest_terms
        ]
        blocks.append(sp.csc_matrix(np.column_stack([model.X, model.y])))
        rest = sp.hstack(blocks, format="csc")
        self.m = rest.shape[1]
        self.m_re = self.m - self.p - 1
        z1 = sp.csc_matrix((np.ones(n), (np.arange(n), first.codes)), shape=(n, first.n_levels))
        a_r1 = sp.csc_matrix(rest.T @ z1)
        a_rest = sp.tril(rest.T @ rest, format="coo")
        self._build_pattern(a_r1, a_rest)
        self._widths = [t.n_levels for t in rest_terms]

    def _build_pattern(self, a_r1: sp.csc_matrix, a_rest: sp.coo_matrix) -> None:
        """Lower-triangle pattern of A_rest - A_r1 W A_r1' and the pair matrix onto it."""
        m = self.m
        a_r1.sort_indices()
        per_level = np.diff(a_r1.indptr)
        level_of = np.repeat(np.arange(per_level.size), per_level)
        rows, values = a_r1.indices, a_r1.data
        # Every ordered pair (i, k) of non-zeros within one level's column.
        rep = per_level[level_of]
        left = np.repeat(np.arange(rows.size), rep)
        offsets = np.arange(left.size) - np.repeat(np.cumsum(rep) - rep, rep)
        right = np.repeat(a_r1.indptr[level_of], rep) + offsets
        keep = rows[left] >= rows[right]
        left, right = left[keep], right[keep]
        pair_keys = rows[left].astype(np.int64) * m + rows[right]
        rest_keys = a_rest.row.astype(np.int64) * m + a_rest.col
        diag_keys = np.arange(m, dtype=np.int64) * (m + 1)
        keys = np.unique(np.concatenate([pair_keys, rest_keys, diag_keys]))
        self._rows, self._cols = keys // m, keys % m
        self._rest_values = np.zeros(keys.size)
        np.add.at(self._rest_values, np.searchsorted(keys, rest_keys), a_rest.data)
        self._pairs = sp.csr_matrix(
            (values[left] * values[right], (np.searchsorted(keys, pair_keys), level_of[left])),
            shape=(keys.size, per_level.size),
        )
        self._diag_positions = np.searchsorted(keys, diag_keys[: self.m_re])

    def _scale(self, theta: np.ndarray) -> np.ndarray:
        """Per column of the rest block: its term's theta, 1 for X and y."""
        return np.concatenate([np.repeat(theta[1:], self._widths), np.ones(self.p + 1)])

    def factor(self, theta: np.ndarray) -> tuple[float, np.ndarray] | None:
        """log det of the first block and the lower Cholesky factor of the rest."""
        lam2 = float(theta[0]) ** 2
        first_diag = lam2 * self._counts + 1.0
        weights = lam2 / first_diag
        values = self._rest_values - self._pairs @ weights
        scale = self._scale(np.asarray(theta, dtype=float))
        values *= scale[self._rows] * scale[self._cols]
        values[self._diag_positions] += 1.0
        dense = np.zeros((self.m, self.m), order="F")
        dense[self._rows, self._cols] = values
        chol, info = lapack.dpotrf(dense, lower=1, clean=0, overwrite_a=1)
        if info != 0:
            return None
        return float(np.sum(np.log(first_diag))), chol

    def deviance(self, theta: np.ndarray, reml: bool = True) -> float:
        """REML criterion or ML deviance at theta (inf where the factorization fails)."""
        out = self.factor(np.asarray(theta, dtype=float))
        if out is None:
            return np.inf
        logdet_first, chol = out
        diag = np.diagonal(chol)
        m_re, p = self.m_re, self.p
        logdet_re = logdet_first + 2.0 * float(np.sum(np.log(diag[:m_re])))
        pwrss = float(diag[-1] ** 2)
        if not pwrss > 0:
            return np.inf
        if reml:
            dof = self.n - p
            logdet_rx = 2.0 * float(np.sum(np.log(diag[m_re : m_re + p])))
            return logdet_re + logdet_rx + dof * (1.0 + LOG_2PI + np.log(pwrss / dof))
        return logdet_re + self.n * (1.0 + LOG_2PI + np.log(pwrss / self.n))
