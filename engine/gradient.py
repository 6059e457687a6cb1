"""Analytic gradient of the profiled (RE)ML deviance with respect to theta.

Write Omega for the augmented system Lambda~' [Z X y]'[Z X y] Lambda~ + diag(I_q, 0) whose
blocked Cholesky the model computes, and l_1, l_2, l_3 for the log determinants of
its leading blocks (random effects; plus X; plus y). Then log|L|^2 = l_1,
log|R_X|^2 = l_2 - l_1, log r^2 = l_3 - l_2, so

    ML:   d = l_1 + n log r^2 + const,       REML: d = l_2 + (n - p) log r^2 + const.

For an element (a, b) of T_k, d l_i / d theta = 2 tr(Omega_i^-1 Lambda~' Phi dLambda~),
and with Lambda~' Phi Lambda~ = Omega - D this is

    2 [ l_k (T_k^-1)_ba - (B_ik T_k^-1)_ba ],

B_ik being the sum over the levels of term k of the diagonal s_k x s_k blocks of
Omega_i^-1 (the same trace identity MixedModels.jl's gradient rests on; it needs every
T_k invertible, so on the boundary the caller falls back to finite differences).
Omega_i^-1's blocks come from the inverse of the rest block S (LAPACK potri) and two
low-rank downdates; the first term's blocks from M_j^-1 and products
sum_j A_j W_j A_j' that reuse the model's precomputed structure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.linalg import lapack

if TYPE_CHECKING:
    from engine.model import LmmModel, ThetaEvaluation


class _NestedInverses:
    """The inverses of the leading blocks S_1 (RE), S_2 (RE + X) and S_3 = S of the rest
    block, from the lower triangle of S^-1 only (LAPACK potri) and low-rank downdates:
    S_2^-1 = P_22 - v v' (v = P_2y / sqrt(P_yy)), S_1^-1 = S_2^-1[RE] - U C^-1 U'.
    Nothing m x m is copied; traces and block sums are read off directly.
    """

    def __init__(self, lower: np.ndarray, m_re: int, p: int):
        self.lower = lower
        self.m_re = m_re
        m = lower.shape[0]
        self.v = lower[-1, :-1] / np.sqrt(lower[-1, -1])
        v_re, v_x = self.v[:m_re], self.v[m_re:]
        self.u = lower[m_re : m - 1, :m_re].T - np.outer(v_re, v_x)
        c = np.tril(lower[m_re : m - 1, m_re : m - 1])
        c = c + np.tril(c, -1).T - np.outer(v_x, v_x)
        self.w = np.linalg.solve(c, self.u.T).T if p else np.zeros((m_re, 0))

    def traces(self, k_full: np.ndarray) -> tuple[float, float, float]:
        """tr(S_i^-1 K_i) for the three leading blocks of a symmetric K."""
        m_re = self.m_re
        m = k_full.shape[0]
        lower_rows = np.cumsum((self.lower * k_full).sum(axis=1))
        diag = np.cumsum(np.diag(self.lower) * np.diag(k_full))

        def leading(size: int) -> float:
            return 2.0 * lower_rows[size - 1] - diag[size - 1] if size else 0.0

        k2 = k_full[:-1, :-1]
        t3 = leading(m)
        t2 = leading(m - 1) - float(self.v @ k2 @ self.v)
        if not m_re:
            return 0.0, t2, t3
        k1 = k_full[:m_re, :m_re]
        v_re = self.v[:m_re]
        t1 = leading(m_re) - float(v_re @ k1 @ v_re) - float(np.sum((k1 @ self.w) * self.u))
        return t1, t2, t3

    def block_sums(self, lo: int, hi: int, s: int) -> list[np.ndarray]:
        """Sum over levels of the s x s diagonal blocks of S_1^-1, S_2^-1, S_3^-1."""
        levels = (hi - lo) // s
        idx = np.arange(lo, hi).reshape(levels, s)
        blocks = self.lower[idx[:, :, None], idx[:, None, :]]
        blocks = np.tril(blocks) + np.swapaxes(np.tril(blocks, -1), 1, 2)
        d3 = blocks.sum(axis=0)
        vv = self.v[lo:hi].reshape(levels, s)
        d2 = d3 - vv.T @ vv
        uu = self.u[lo:hi].reshape(levels, s, -1)
        ww = self.w[lo:hi].reshape(levels, s, -1)
        d1 = d2 - np.einsum("jap,jbp->ab", ww, uu)
        return [d1, d2, d3]


def deviance_gradient(model: LmmModel, ev: ThetaEvaluation, reml: bool) -> np.ndarray | None:
    """d deviance / d theta at ``ev``; ``None`` when a vector term's T_k is singular.

    A scalar term at theta_k = 0 has derivative 0 there: the deviance depends on
    theta_k only through theta_k^2.
    """
    inverses_t: list[np.ndarray | None] = []
    for t in ev.factors:
        if np.any(np.abs(np.diag(t)) < 1e-10):
            if t.shape[0] > 1:
                return None
            inverses_t.append(None)
        else:
            inverses_t.append(np.linalg.inv(t))
    m_re, p = model._m_re, model.p
    lower, info = lapack.dpotri(ev.rest_factor, lower=1)
    if info != 0:
        return None
    nested = _NestedInverses(lower, m_re, p)

    first = model.terms[0]
    s1 = first.n_columns
    t1 = ev.factors[0]
    minv = ev.first_inverse
    # sums[i][k]: B_ik, the level-summed diagonal blocks of Omega_i^-1 for term k.
    sums: list[list[np.ndarray]] = [[np.sum(minv, axis=0).copy()] for _ in range(3)]
    tm = np.matmul(t1, minv)
    for a in range(s1):
        for b in range(a, s1):
            # W_j = T1 M_j^-1 e_b e_a' M_j^-1 T1', symmetrised (only traces with a
            # symmetric matrix are taken).
            w = np.matmul(tm[:, :, b : b + 1], np.swapaxes(tm[:, :, a : a + 1], 1, 2))
            w = 0.5 * (w + np.swapaxes(w, 1, 2))
            k_mat = model._scale_rest(model._first_product(w), ev.factors)
            for i, value in enumerate(nested.traces(k_mat)):
                sums[i][0][a, b] += value
                if a != b:
                    sums[i][0][b, a] += value
    for (lo, hi), term in zip(model._rest_offsets, model.terms[1:], strict=True):
        for i, block in enumerate(nested.block_sums(lo, hi, term.n_columns)):
            sums[i].append(block)

    dlogdet = np.zeros((3, model.n_theta))
    for k, term in enumerate(model.terms):
        s = term.n_columns
        rows, cols = _lower(s)
        tinv = inverses_t[k]
        if tinv is None:
            continue
        for i in range(3):
            prod = sums[i][k] @ tinv
            values = 2.0 * (term.n_levels * tinv[cols, rows] - prod[cols, rows])
            dlogdet[i, term.theta_slice] = values
    dlog_r2 = dlogdet[2] - dlogdet[1]
    if reml:
        return dlogdet[1] + (model.n - p) * dlog_r2
    return dlogdet[0] + model.n * dlog_r2


def _lower(s: int) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(i, j) for j in range(s) for i in range(j, s)]
    return np.array([q[0] for q in pairs], dtype=int), np.array([q[1] for q in pairs], dtype=int)
