"""The largest grouping factor's blocks when its term is vector-valued (s1 >= 2).

For each level j, M_j = T1' A_j T1 + I (A_j = Z1j'Z1j) is factored as M_j = L_j L_j',
and the level's share of the rest block's Schur complement,
R_j'Z1j T1 M_j^-1 T1'Z1j'R_j, is formed as V_j'V_j with V_j = L_j^-1 T1'(Z1j'R_j), a
forward substitution: lme4 forms its R_ZX the same way (L^-1 Lambda'Z'X; Bates et al.
2015, JSS 67(1), section 3.2).

The alternative, sum_j a_j' W_j a_j with W_j = T1 M_j^-1 T1' taken from M_j's
adjugate, is linear in W_j and so cheaper per evaluation, but it subtracts large,
nearly equal products. With a random slope on a covariate far from zero (mean 1,000,
SD 80) it lost five significant digits of the REML criterion, which sent BOBYQA to a
worse optimum than lme4's. The squares in V_j'V_j lose nothing to cancellation.

Every function works entry by entry: an entry of the s x s blocks is one array over
the levels (or, for right-hand sides, an array whose last axis is the levels), so the
loops run over s, never over levels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from engine.log_sum import log_sum

_dot, _matmul, _sqrt = np.dot, np.matmul, np.sqrt
_divide, _multiply, _subtract = np.divide, np.multiply, np.subtract
_minimum = np.minimum.reduce
#: Writes sixteen coefficients into an array's memory as native doubles (cheaper than
#: NumPy's conversion of a nested list).
_pack_16 = struct.Struct("=16d").pack_into


@dataclass
class LevelFactors:
    """L_j for every level j: ``entries[k][i]`` holds L_j[k, i] (i <= k) over the levels,
    and ``pivots[k]`` holds L_j[k, k]^2, whose logs add up to log|M_j|."""

    entries: list[list[np.ndarray]]
    pivots: list[np.ndarray]

    @property
    def size(self) -> int:
        return len(self.entries)

    def solve_matrices(self, rhs: np.ndarray) -> np.ndarray:
        """L_j^-1 B for one s x s matrix B shared by every level: (levels, s, s)."""
        s, levels = self.size, self.entries[0][0].size
        # component k of column c is rhs[k, c] at every level
        columns = [np.repeat(np.asarray(rhs[k], dtype=float)[:, None], levels, axis=1)
                   for k in range(s)]
        solved = forward_substitute(self, columns)  # solved[k][c, j] = (L_j^-1 B)[k, c]
        return np.stack(solved).transpose(2, 0, 1)


class TwoColumnFactors(LevelFactors):
    """L_j for a two-column term, kept as the kernel uses it: ``ratio`` = M_j[1,0] /
    M_j[0,0] (= L_j[1,0] / L_j[0,0]), ``pivot_rows`` = (L_j[0,0]^2, L_j[1,1]^2) and
    ``roots`` = (L_j[0,0], L_j[1,1]), each (2, levels)."""

    def __init__(self, ratio: np.ndarray, pivot_rows: np.ndarray, roots: np.ndarray):
        self.ratio, self.pivot_rows, self.roots = ratio, pivot_rows, roots

    @property
    def entries(self) -> list[list[np.ndarray]]:  # type: ignore[override]
        l00, l11 = self.roots
        return [[l00], [self.ratio * l00, l11]]

    @property
    def pivots(self) -> list[np.ndarray]:  # type: ignore[override]
        return list(self.pivot_rows)


class VectorFirstTerm:
    """The fixed arrays of a vector-valued first term, and its two steps per theta.

    ``a11`` is (levels, s, s), A_j = Z1j'Z1j; ``a_parts`` (dense products only) holds
    the s components of Z1j'R_j, each (m, levels). Two columns, the common case of a
    random intercept and slope, get closed forms whose NumPy calls all write into
    arrays allocated here, with positional ``out`` arguments: this runs at every
    deviance evaluation, where a small model's time is NumPy's per-call overhead.
    The factors returned for two columns therefore live in those arrays, valid
    until the next call of :meth:`factor`. Wider terms use the general loops.
    """

    def __init__(self, a11: np.ndarray, a_parts: list[np.ndarray] | None):
        levels, s = a11.shape[0], a11.shape[1]
        self.size = s
        self.a_entries = [[np.ascontiguousarray(a11[:, r, c]) for c in range(r + 1)]
                          for r in range(s)]
        self.a_parts = a_parts
        if s != 2:
            return
        # rows (A_00, A_01, A_11, 1): M_j's entries are one matrix product with them
        self.a_rows = np.empty((4, levels))
        self.a_rows[0], self.a_rows[1] = a11[:, 0, 0], a11[:, 0, 1]
        self.a_rows[2], self.a_rows[3] = a11[:, 1, 1], 1.0
        # M_j's rows (m00, spare, m01, m11): rows 0-1 then hold the pivots
        # (L_00^2, L_11^2) side by side, so that one call takes both square roots
        self.coefficients = np.zeros(16)
        self.coefficient_bytes = memoryview(self.coefficients).cast("B")
        self.to_m = self.coefficients.reshape(4, 4)
        self.m_rows = np.empty((4, levels))
        self.m00, self.pivot, self.m01, self.m11 = self.m_rows
        self.pivot_rows = self.m_rows[:2]
        self.pivots_flat = self.pivot_rows.reshape(-1)
        self.ratio = np.empty(levels)
        self.roots = np.empty((2, levels))
        self.t_transposed = np.zeros((2, 2))
        if a_parts is not None:
            m = a_parts[0].shape[0]
            self.a_by_row = np.ascontiguousarray(np.stack(a_parts, axis=1))  # (m, 2, levels)
            self.scratch = np.empty((m, levels))

    def buffer(self, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A work buffer for :meth:`gram_2x2`: the (m, 2, levels) array, its two
        component views, and its flat (m, 2 levels) view with that view's transpose."""
        levels = self.a_rows.shape[1]
        array = np.empty((m, 2, levels))
        flat = array.reshape(m, -1)
        return array, array[:, 0, :], array[:, 1, :], flat, flat.T

    def factor(self, t: np.ndarray) -> LevelFactors | None:
        """Cholesky factors of M_j = T'A_jT + I over the levels (None if one is not
        positive definite in floating point)."""
        if self.size != 2:
            return factor_levels(self.a_entries, t)
        return self.factor_2x2(float(t[0, 0]), float(t[1, 0]), float(t[1, 1]))

    def factor_2x2(self, t0: float, t1: float, t2: float) -> TwoColumnFactors | None:
        """:meth:`factor` for T = (t0, 0; t1, t2)."""
        # rows of coefficients on (A_00, A_01, A_11, 1) giving M's 00, (spare), 01, 11
        _pack_16(
            self.coefficient_bytes, 0,
            t0 * t0, 2.0 * t0 * t1, t1 * t1, 1.0,
            0.0, 0.0, 0.0, 0.0,
            0.0, t0 * t2, t1 * t2, 0.0,
            0.0, 0.0, t2 * t2, 1.0,
        )
        _dot(self.to_m, self.a_rows, self.m_rows)
        m01, pivot = self.m01, self.pivot
        ratio = _divide(m01, self.m00, self.ratio)
        _multiply(ratio, m01, pivot)
        _subtract(self.m11, pivot, pivot)  # M_11 - M_01^2 / M_00
        if not _minimum(pivot) > 0.0:
            return None
        return TwoColumnFactors(ratio, self.pivot_rows, _sqrt(self.pivot_rows, self.roots))

    def gram(self, factors: LevelFactors, t: np.ndarray, buffer: np.ndarray) -> np.ndarray:
        """sum_j V_j'V_j, V_j = L_j^-1 T'(Z1j'R_j) (m x m); ``buffer`` is (m, s, levels)."""
        if self.size != 2:
            return gram_of_solved(factors, t, self.a_parts, buffer)
        work = (buffer, buffer[:, 0, :], buffer[:, 1, :], buffer.reshape(buffer.shape[0], -1))
        t0, t1, t2 = float(t[0, 0]), float(t[1, 0]), float(t[1, 1])
        return self.gram_2x2(factors, t0, t1, t2, (*work, work[3].T))

    def gram_2x2(
        self,
        factors: TwoColumnFactors,
        t0: float,
        t1: float,
        t2: float,
        work: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    ) -> np.ndarray:
        """:meth:`gram` for T = (t0, 0; t1, t2) and the factors of :meth:`factor_2x2`;
        ``work`` is :meth:`buffer`'s tuple."""
        array, c0, c1, flat, flat_t = work
        tt = self.t_transposed
        tt[0, 0], tt[0, 1], tt[1, 1] = t0, t1, t2
        # c = T'(Z1j'R_j) for every rest row and level, then the forward substitution
        # v0 = c0 / L_00, v1 = (c1 - L_10 v0) / L_11 = (c1 - ratio c0) / L_11
        _matmul(tt, self.a_by_row, array)
        _subtract(c1, _multiply(factors.ratio, c0, self.scratch), c1)
        _divide(array, factors.roots, array)
        return _dot(flat, flat_t)

    def inverse(self, factors: LevelFactors) -> np.ndarray:
        """M_j^-1 = L_j^-T L_j^-1 for every level, (levels, s, s). For two columns, with
        r = L_10 / L_00 and pivots p0 = L_00^2, p1 = L_11^2:
        (1/p0 + r^2/p1, -r/p1; -r/p1, 1/p1)."""
        if self.size != 2:
            inverse_factor = factors.solve_matrices(np.eye(self.size))
            return np.matmul(np.swapaxes(inverse_factor, 1, 2), inverse_factor)
        p0, p1 = factors.pivot_rows
        ratio = factors.ratio
        out = np.empty((ratio.size, 2, 2))
        out[:, 1, 1] = 1.0 / p1
        out[:, 0, 1] = out[:, 1, 0] = -ratio * out[:, 1, 1]
        out[:, 0, 0] = 1.0 / p0 + ratio * ratio * out[:, 1, 1]
        return out

    def log_determinant(self, factors: LevelFactors) -> float:
        """sum_j log|M_j|: the logs of the pivots L_j[k, k]^2."""
        if self.size == 2:
            return log_sum(self.pivots_flat)
        return sum(log_sum(pivot) for pivot in factors.pivots)


def factor_levels(a_entries: list[list[np.ndarray]], t: np.ndarray) -> LevelFactors | None:
    """Cholesky factors of M_j = T'A_jT + I over the levels; None when one of them is
    not positive definite in floating point.

    ``a_entries[r][c]`` (c <= r) holds A_j[r, c] over the levels; ``t`` is T (s x s,
    lower triangular). Row by row (Cholesky-Banachiewicz), vectorised over the levels.
    """
    s = t.shape[0]
    m_entries = [[_congruence_entry(a_entries, t, r, c) for c in range(r + 1)] for r in range(s)]
    entries: list[list[np.ndarray]] = []
    pivots: list[np.ndarray] = []
    for k in range(s):
        row: list[np.ndarray] = []
        for i in range(k):
            value = m_entries[k][i]
            for p in range(i):
                value = value - row[p] * entries[i][p]
            row.append(value / entries[i][i])
        pivot = m_entries[k][k] + 1.0
        for p in range(k):
            pivot = pivot - row[p] * row[p]
        if not pivot.min() > 0.0:
            return None
        pivots.append(pivot)
        row.append(np.sqrt(pivot))
        entries.append(row)
    return LevelFactors(entries, pivots)


def _congruence_entry(
    a_entries: list[list[np.ndarray]], t: np.ndarray, r: int, c: int
) -> np.ndarray:
    """(T'A T)[r, c] = sum over a >= r, b >= c of T[a, r] A[a, b] T[b, c], over levels."""
    total: np.ndarray | None = None
    s = t.shape[0]
    for a in range(r, s):
        for b in range(c, s):
            coefficient = float(t[a, r]) * float(t[b, c])
            if coefficient == 0.0:
                continue
            entry = a_entries[a][b] if b <= a else a_entries[b][a]
            term = entry * coefficient
            total = term if total is None else total + term
    return total if total is not None else np.zeros_like(a_entries[0][0])


def forward_substitute(factors: LevelFactors, rhs: list[np.ndarray]) -> list[np.ndarray]:
    """Solve L_j v_j = c_j for every level j. ``rhs[k]`` is component k of the
    right-hand sides, an array whose last axis runs over the levels; so is each
    component of the result."""
    solved: list[np.ndarray] = []
    for k in range(factors.size):
        row = factors.entries[k]
        value = rhs[k]
        for i in range(k):
            value = value - row[i] * solved[i]
        solved.append(value / row[k])
    return solved


def transposed_factor_times(t: np.ndarray, parts: list[np.ndarray]) -> list[np.ndarray]:
    """Components of T'a_j for every level: component k is sum over i >= k of
    T[i, k] * parts[i] (``parts[i]``: component i of a_j, levels on the last axis)."""
    s = t.shape[0]
    out = []
    for k in range(s):
        total = parts[k] * float(t[k, k])
        for i in range(k + 1, s):
            coefficient = float(t[i, k])
            if coefficient != 0.0:
                total = total + parts[i] * coefficient
        out.append(total)
    return out


def gram_of_solved(
    factors: LevelFactors, t: np.ndarray, parts: list[np.ndarray], buffer: np.ndarray
) -> np.ndarray:
    """sum_j V_j'V_j with V_j = L_j^-1 T'a_j: the m x m matrix subtracted from the rest
    block. ``parts[i]`` is (m, levels); ``buffer`` is (m, s, levels) and receives V."""
    solved = forward_substitute(factors, transposed_factor_times(t, parts))
    for k, values in enumerate(solved):
        buffer[:, k, :] = values
    flat = buffer.reshape(buffer.shape[0], -1)
    return flat @ flat.T
