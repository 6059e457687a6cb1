"""The numerical linear mixed model: the profiled (RE)ML deviance of Bates et al. (2015).

Model: y = X beta + Z Lambda_theta u + e, u ~ N(0, s^2 I), e ~ N(0, s^2 I) (lme4's
parameterisation, JSS 67(1), section 3). The deviance is evaluated the way
MixedModels.jl organises it:

1. Random-effects terms are sorted by number of levels, largest first, when they are
   not in that order already (lme4's order of Z's columns and of theta, ties
   included: :func:`lme4_term_order`). The first term's block Z1'Z1 is block diagonal:
   one s1 x s1 block per level.
2. Everything else (the other terms' columns, X and y) forms the "rest" of width m.
   The cross-products Z1'Z1 (per level), R'Z1 and R'R (R = [Z2 .. ZK, X, y]) are
   built once; nothing of size n is touched during the optimisation.
3. For each theta: M_j = T1' A_j T1 + I per level, then the Schur complement
   S = Lambda_r' (R'R - R'Z1 T1 M^-1 T1' Z1'R) Lambda_r + I_re, whose Cholesky factor
   holds the remaining random-effects block, R_X' and sqrt(penalised RSS) as its
   last diagonal element. The Z1-part of the product is a sum over levels. For a
   scalar first term it is linear in W_j = T1^2 / M_j, computed either densely (narrow
   rest) or from precomputed index pairs (a fixed sparsity pattern: only the values
   change with theta). For a vector-valued one it is sum_j V_j'V_j with
   V_j = L_j^-1 T1' Z1j'R_j from per-level Cholesky factors (engine.first_term), which
   keeps the digits that the W-linear form loses to cancellation.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack, solve_triangular

from engine.column_shift import CENTRE_COLUMN_RATIO, ColumnShift, intercept_column
from engine.design import RandomTermDesign
from engine.errors import LmmInputError
from engine.first_term import LevelFactors, VectorFirstTerm

LOG_2PI = float(np.log(2 * np.pi))
#: Dense rest-block products are used while l1 * m^2 * s1^2 stays below this.
DENSE_WORK_LIMIT = 1e7
#: The dense rest block must fit in memory comfortably (m x m doubles).
MAX_REST_WIDTH = 8_000
#: Above this many precomputed index pairs the product is a sparse matrix product.
MAX_PAIRS = 30_000_000
#: Products summed row by row (LmmModel._row_products) up to this many entries;
#: above, the rest block's cross-products are sparse matrix products.
MAX_ROW_PRODUCTS = 2_000_000


@dataclass(kw_only=True)
class TermStructure(RandomTermDesign):
    """One random-effects term in lme4's order, with its place in theta and in Z."""

    theta_slice: slice
    z_slice: slice

    @property
    def n_theta(self) -> int:
        return self.theta_slice.stop - self.theta_slice.start

    def lower_bounds(self) -> np.ndarray:
        return np.array(_theta_bounds(self.n_columns))

    def covariance(self, theta: np.ndarray, sigma2: float) -> np.ndarray:
        """The term's random-effect covariance sigma^2 T T' (its block of lme4's
        ``VarCorr``)."""
        t = self.factor(theta)
        return sigma2 * (t @ t.T)

    def factor(self, theta: np.ndarray) -> np.ndarray:
        """Relative covariance factor T (lower triangular, filled column by column)."""
        s = self.n_columns
        k = self.theta_slice.start
        if s == 1:
            return np.array([[theta[k]]], dtype=float)
        if s == 2:
            return np.array([[theta[k], 0.0], [theta[k + 1], theta[k + 2]]], dtype=float)
        t = np.zeros((s, s))
        rows, cols = _lower_indices(s)
        t[rows, cols] = theta[self.theta_slice]
        return t


def _level_sums(
    codes: np.ndarray, n_levels: int, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """(levels, a, b): sums over the rows of each level of left[:, a] * right[:, b].

    One ``np.bincount`` for all pairs of columns; it adds the products row by row,
    as one bincount per pair does. The products and their bins are laid out pair by
    pair with the rows innermost (long loops instead of a * b-long ones); each bin
    still receives its products in row order. (With one right column, row by row
    costs no more.)
    """
    a, b = left.shape[1], right.shape[1]
    if b == 1:
        products = left * right
        index = codes[:, None] * a + np.arange(a)
    else:
        products = left.T[:, None, :] * right.T[None, :, :]
        index = codes * (a * b) + np.arange(a * b).reshape(a, b, 1)
    sums = np.bincount(index.reshape(-1), weights=products.reshape(-1), minlength=n_levels * a * b)
    return sums.reshape(n_levels, a, b)


def _dense(matrix: np.ndarray | sp.spmatrix) -> np.ndarray:
    return matrix.toarray() if sp.issparse(matrix) else matrix


@lru_cache(maxsize=64)
def _upper_indices(size: int) -> tuple[np.ndarray, np.ndarray]:
    """np.triu_indices(size), cached and read-only."""
    rows, cols = np.triu_indices(size)
    rows.setflags(write=False)
    cols.setflags(write=False)
    return rows, cols


@lru_cache(maxsize=32)
def _theta_bounds(s: int) -> tuple[float, ...]:
    """Lower bounds of an s-column term's theta (T's lower triangle by columns): 0 for a
    standard deviation (the diagonal), -inf for the rest."""
    return tuple(0.0 if i == j else -np.inf for j in range(s) for i in range(j, s))


@lru_cache(maxsize=32)
def _lower_indices(s: int) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(i, j) for j in range(s) for i in range(j, s)]
    return np.array([p[0] for p in pairs], dtype=int), np.array([p[1] for p in pairs], dtype=int)


#: The response is centred for the cross-products when its mean exceeds this many SDs.
CENTRE_RESPONSE_RATIO = 100.0


def fixed_part_removed(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(g, y - X g): g is y's mean on the intercept column when that mean is far from
    zero (more than CENTRE_RESPONSE_RATIO SDs of y), zeros otherwise.

    The profiled deviance is the same for y and y - X g whatever g is (beta-hat absorbs
    X g), but the penalised RSS, read off the last diagonal entry of the Cholesky factor,
    is a difference of sums of squares that loses digits in proportion to (mean / SD)^2:
    a response near 1e6 with residual SD 1 put the REML criterion 0.02 off, near 1e8
    37 off. Centring such a response leaves numbers of its spread's size. Responses
    closer to zero keep their bits, so ordinary fits follow the same optimizer path as
    before. (lme4 avoids the loss by forming the penalised RSS from the residuals.)
    """
    return response_shift(intercept_column(X), X.shape[1], y)


def response_shift(
    intercept: int | None, p: int, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fixed_part_removed` for a design whose intercept column (or None) and
    width ``p`` are known: a new response of the same design need not search X again."""
    g = np.zeros(p)
    if y.size == 0 or not np.all(np.isfinite(y)):
        return g, y
    mean = float(np.mean(y))
    if intercept is None or abs(mean) <= CENTRE_RESPONSE_RATIO * float(np.std(y)):
        return g, y
    g[intercept] = mean
    return g, y - mean


@dataclass
class ThetaEvaluation:
    """The blocked Cholesky at one theta (everything the deviance and solve need)."""

    theta: np.ndarray
    logdet_re: float
    logdet_rx: float
    pwrss: float
    rest_factor: np.ndarray
    first_inverse: np.ndarray
    factors: list[np.ndarray]


@dataclass
class Solution:
    """Conditional estimates at theta: beta-hat, spherical u, b = Lambda u, sigma^2."""

    theta: np.ndarray
    beta: np.ndarray
    u: np.ndarray
    b: np.ndarray
    sigma2: float
    pwrss: float
    rx: np.ndarray
    vcov_unscaled: np.ndarray


@lru_cache(maxsize=64)
def _lower_triangle(p: int) -> np.ndarray:
    """A p x p mask of the lower triangle (``np.tril``'s, built once per size)."""
    mask = np.tri(p)
    mask.setflags(write=False)
    return mask


def lme4_term_order(n_levels: list[int]) -> list[int]:
    """The order of the random-effects terms in Z and theta, as lme4's ``mkReTrms``.

    Terms stay in formula order unless a later term has more levels than an earlier
    one; then they are sorted by number of levels, largest first, and terms with equal
    numbers of levels end in the reverse of their formula order (lme4 reverses an
    ascending stable sort). ``(1 | g) + (0 + z | g) + (1 | h)`` with more levels in h
    becomes h, then z within g, then g's intercept.
    """
    if not any(later > earlier for earlier, later in pairwise(n_levels)):
        return list(range(len(n_levels)))
    return sorted(range(len(n_levels)), key=lambda k: n_levels[k])[::-1]


class LmmModel:
    """Profiled (RE)ML deviance of a linear mixed model, with lme4's structure.

    Attributes used by the inference modules: ``X``, ``y``, ``Z`` (CSC, columns in
    lme4's order), ``terms`` (list of :class:`TermStructure`), ``theta_lower``,
    ``theta_start``, ``n``, ``p``, ``q``, ``fixed_names``. The cross-products use
    ``centred_X`` (:class:`ColumnShift`) and ``centred_y`` (:func:`fixed_part_removed`);
    ``solve`` and ``vcov_unscaled`` map back to X's columns and y.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        random_terms: list[RandomTermDesign],
        fixed_names: list[str] | None = None,
    ):
        self.X = np.ascontiguousarray(X, dtype=float)
        self.y = np.ascontiguousarray(y, dtype=float)
        self.n, self.p = self.X.shape
        self.fixed_names = list(fixed_names or [f"x{i}" for i in range(self.p)])
        order = lme4_term_order([rt.n_levels for rt in random_terms])
        self.terms: list[TermStructure] = []
        t_off = z_off = 0
        for k in order:
            rt = random_terms[k]
            s = rt.n_columns
            nt = s * (s + 1) // 2
            q = rt.n_levels * s
            self.terms.append(
                TermStructure(
                    group=rt.group,
                    columns=list(rt.columns),
                    levels=list(rt.levels),
                    codes=np.asarray(rt.codes, dtype=np.int64),
                    matrix=np.asarray(rt.matrix, dtype=float),
                    theta_slice=slice(t_off, t_off + nt),
                    z_slice=slice(z_off, z_off + q),
                    from_double_bar=rt.from_double_bar,
                )
            )
            t_off += nt
            z_off += q
        self.q = z_off
        lower = [bound for t in self.terms for bound in _theta_bounds(t.n_columns)]
        self.theta_lower = np.array(lower)
        self.theta_start = np.array([1.0 if bound == 0.0 else 0.0 for bound in lower])
        self._z: sp.csc_matrix | None = None
        self._precompute()

    def with_response(self, y: np.ndarray) -> LmmModel:
        """The same model with response ``y`` (lme4's ``refit(m, newresp)``).

        The design is shared, not rebuilt: what depends on X and Z alone (the centring
        of X, its intercept column, the within-level sums of Z1 and X) is kept, and the
        cross-products involving y are formed again; every array equals a fresh model's,
        bit for bit (each within-level sum adds the same products in the same order).
        On 1,000,000 rows and 125,000 levels of (1 | g) a bootstrap refit took 0.39 s
        before (90% of it re-deriving the design), 0.13 s now.
        """
        y = np.ascontiguousarray(y, dtype=float)
        if y.shape != self.y.shape:
            raise LmmInputError(
                f"The new response has {y.size} values but the model has {self.n} rows."
            )
        new = copy.copy(self)
        new.y = y
        new._precompute(same_design=True)
        return new

    # ------------------------------------------------------------ structure
    @property
    def n_theta(self) -> int:
        return self.theta_lower.size

    def _term_z(self, term: TermStructure) -> sp.csc_matrix:
        s = term.n_columns
        rows = np.repeat(np.arange(self.n), s)
        cols = (term.codes[:, None] * s + np.arange(s)[None, :]).reshape(-1)
        return sp.csc_matrix(
            (term.matrix.reshape(-1), (rows, cols)), shape=(self.n, term.n_levels * s)
        )

    @property
    def Z(self) -> sp.csc_matrix:
        """The random-effects model matrix (n x q, CSC), columns in lme4's order."""
        if self._z is None:
            self._z = sp.hstack([self._term_z(t) for t in self.terms], format="csc")
        return self._z

    def lambda_of(self, theta: np.ndarray) -> sp.csc_matrix:
        """Lambda_theta: block diagonal, I_(levels) kron T_k for each term."""
        blocks = [sp.kron(sp.identity(t.n_levels), t.factor(theta)) for t in self.terms]
        return sp.block_diag(blocks, format="csc")

    def _precompute(self, same_design: bool = False) -> None:
        """The cross-products of the profiled deviance. ``same_design``: X and Z are
        those of the model this one was copied from (:meth:`with_response`), so the
        parts that depend on them alone are already in place."""
        first = self.terms[0]
        s1, l1 = first.n_columns, first.n_levels
        m1 = first.matrix
        rest_terms = self.terms[1:]
        if not same_design:
            #: X with its far-from-zero columns centred (ColumnShift); the
            #: cross-products and everything read off the Cholesky factor are for this
            #: design, and ``solve`` and ``vcov_unscaled`` map back to X's columns.
            self.fixed_shift = ColumnShift.of(self.X, CENTRE_COLUMN_RATIO)
            if self.fixed_shift is not None:  # rare: compare columns only then
                self.fixed_shift = ColumnShift.of(
                    self.X, CENTRE_COLUMN_RATIO, random_columns=self._random_columns()
                )
            self.centred_X = (
                self.X if self.fixed_shift is None else self.fixed_shift.centred(self.X)
            )
            self._intercept = intercept_column(self.centred_X)
        self._beta_shift, self.centred_y = response_shift(self._intercept, self.p, self.y)
        xy = np.concatenate([self.centred_X, self.centred_y[:, None]], axis=1)
        if rest_terms:
            if not same_design:
                self._a11 = _level_sums(first.codes, l1, m1, m1)
        else:
            # One grouping factor: Z1'Z1's blocks and [X y]'Z1 are sums within levels.
            # Those of Z1 and X are formed once per design, y's for each response;
            # each sum adds the same products in the same order as one pass would.
            if not same_design:
                design = _level_sums(
                    first.codes, l1, np.concatenate([m1, self.centred_X], axis=1), m1
                )
                self._a11 = np.ascontiguousarray(design[:, :s1])
                self._x_cross = design[:, s1:].transpose(1, 0, 2)
            y_cross = _level_sums(first.codes, l1, self.centred_y[:, None], m1)
            cross = np.concatenate([self._x_cross, y_cross.transpose(1, 0, 2)], axis=0)
            self._a_rest = xy.T @ xy
            self._a_r1 = np.ascontiguousarray(cross).reshape(xy.shape[1], l1 * s1)
        self._m_re = sum(t.n_levels * t.n_columns for t in rest_terms)
        self._m = self._m_re + self.p + 1
        if self._m > MAX_REST_WIDTH:
            raise LmmInputError(
                f"The model has {self._m_re} random effects outside its largest grouping "
                "factor, more than this engine can handle in memory; simplify the "
                "random-effects part."
            )
        self._rest_offsets = self._rest_offsets_of()
        if not rest_terms:
            pass  # formed with Z1'Z1 above
        elif self._fits_row_products(l1 * s1):
            self._a_rest, self._a_r1 = self._row_products(xy)
        else:
            rest_parts = [self._term_z(t) for t in rest_terms]
            rest_parts.append(sp.csc_matrix(xy))
            rest = sp.hstack(rest_parts, format="csc")
            z1 = self._term_z(first)
            self._a_rest = np.asarray((rest.T @ rest).toarray())
            self._a_r1 = sp.csr_matrix(rest.T @ z1)
        m = self._m
        self._dense_first = l1 * m * m * s1 * s1 <= DENSE_WORK_LIMIT
        self._first_product_ready = False
        if s1 == 1:
            self._prepare_first_product()
        else:
            self._prepare_vector_first(l1, s1, m)
        self._rest_all_scalar = all(t.n_columns == 1 for t in rest_terms)
        # Each rest column's term among the rest terms (scalar terms); X and y get the
        # position after them. (Not needed without rest terms: nothing is scaled.)
        self._rest_scale_index = None
        if rest_terms:
            self._rest_scale_index = np.full(self._m, len(rest_terms))
            for k, (lo, hi) in enumerate(self._rest_offsets):
                self._rest_scale_index[lo:hi] = k

    @property
    def centred_columns(self) -> np.ndarray:
        """Which columns of X the cross-products use shifted (:class:`ColumnShift`)."""
        found = np.zeros(self.p, dtype=bool)
        if self.fixed_shift is not None:
            found[self.fixed_shift.targets] = True
        return found

    def _random_columns(self) -> list[np.ndarray]:
        """The random-effects terms' columns (values per row), which X's columns are
        compared with: a fixed column equal to one, or equal to one where the 0/1
        column it would be shifted along is 1 (x:fB for a random slope on x), stays
        unshifted. The same variable, uncentred in Z as the model has it, keeps Z'Z
        and Z'X as ill-conditioned as before, so centring X alone would not restore
        the digits; it would only move the optimizer's path on such a surface (a
        random slope on x = 1,000 +- 1.2: BOBYQA then stopped 0.07 above lme4's
        optimum on tests/data/ill_conditioned_slope/ml_ridge.csv).
        """
        return [column for term in self.terms for column in np.asarray(term.matrix).T]

    def _prepare_first_product(self) -> None:
        """Precomputations of :meth:`_first_product` (sum_j A_j W_j A_j', linear in W).

        Scalar first terms use it at every evaluation; vector-valued ones only for the
        analytic gradient (``engine.gradient``), so there it is built on first use.
        """
        first = self.terms[0]
        s1, l1 = first.n_columns, first.n_levels
        m = self._m
        if self._dense_first:
            # A[c][r, j]: component c of level j's block in row r of the rest
            a = _dense(self._a_r1).reshape(m, l1, s1).transpose(2, 0, 1)
            # With W_j symmetric, sum_j A_j W_j A_j' only needs W's upper triangle and
            # the upper triangle of the result: Q[(a<=b, j), (r<=c)] holds
            # A[a][r,j] A[b][c,j] (+ A[b][r,j] A[a][c,j] when a < b), so the product for
            # a new theta is one vector-matrix product with W's upper triangle, entry
            # by entry over the levels. Q is filled one (a, b) pair at a time.
            wa, wb = _upper_indices(s1)
            ra, rc = _upper_indices(m)
            left, right = a[:, ra], a[:, rc]
            # C order: BLAS sums in an order that depends on the layout
            if s1 == 1:  # the same products without the (empty) off-diagonal part
                self._outer = np.ascontiguousarray((left[0] * right[0]).T)
            else:
                outer = np.empty((wa.size, l1, ra.size))
                for k, (x, y) in enumerate(zip(wa.tolist(), wb.tolist(), strict=True)):
                    block = left[x] * right[y]
                    if x != y:
                        block += left[y] * right[x]
                    outer[k] = block.T
                self._outer = outer.reshape(wa.size * l1, ra.size)
            self._w_upper = (wa, wb)
            self._g_upper = (ra, rc)
        else:
            self._prepare_pairs(l1, s1, m)
        self._first_product_ready = True

    def _prepare_vector_first(self, l1: int, s1: int, m: int) -> None:
        """Arrays of :meth:`_first_gram` (engine.first_term): A_j's lower entries over
        the levels and, for a dense product, Z1j'R_j's s1 components as (m, levels)."""
        parts = None
        if self._dense_first:
            a = _dense(self._a_r1).reshape(m, l1, s1)
            parts = [np.ascontiguousarray(a[:, :, k]) for k in range(s1)]
            self._g_upper = _upper_indices(m)
        else:
            self._a_r1_transpose = sp.csr_matrix(self._a_r1).T.tocsr()
        self._vector_blocks = VectorFirstTerm(self._a11, parts)

    def _fits_row_products(self, width1: int) -> bool:
        """Whether the rest block's cross-products are cheap to form row by row."""
        per_row = sum(t.n_columns for t in self.terms[1:]) + self.p + 1
        size = self.n * per_row * max(per_row, self.terms[0].n_columns)
        return size <= MAX_ROW_PRODUCTS and self._m * width1 <= MAX_ROW_PRODUCTS

    def _row_products(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """R'R and R'Z1 (dense) for R = [Z2 .. ZK, X, y], summed over rows in order.

        Each row of R has few nonzeros (s_k per term, then X and y); their pairwise
        products are added into place with one ``np.bincount``, observation by
        observation. That is the order in which scipy's sparse product sums them,
        so the result is the same to the last bit, without building R.
        """
        n, m = self.n, self._m
        columns, values = [], []
        for (lo, _), term in zip(self._rest_offsets, self.terms[1:], strict=True):
            s = term.n_columns
            columns.append(lo + term.codes[:, None] * s + np.arange(s))
            values.append(term.matrix)
        columns.append(np.broadcast_to(np.arange(self._m_re, m), (n, m - self._m_re)))
        values.append(xy)
        cols = np.hstack(columns)
        vals = np.hstack(values)
        a_rest = np.bincount(
            (cols[:, :, None] * m + cols[:, None, :]).reshape(-1),
            weights=(vals[:, :, None] * vals[:, None, :]).reshape(-1),
            minlength=m * m,
        ).reshape(m, m)
        first = self.terms[0]
        s1 = first.n_columns
        width1 = first.n_levels * s1
        cols1 = first.codes[:, None] * s1 + np.arange(s1)
        a_r1 = np.bincount(
            (cols[:, :, None] * width1 + cols1[:, None, :]).reshape(-1),
            weights=(vals[:, :, None] * first.matrix[:, None, :]).reshape(-1),
            minlength=m * width1,
        ).reshape(m, width1)
        return a_rest, a_r1

    def _rest_offsets_of(self) -> list[tuple[int, int]]:
        offsets, off = [], 0
        for t in self.terms[1:]:
            width = t.n_levels * t.n_columns
            offsets.append((off, off + width))
            off += width
        return offsets

    def _a_r1_transpose_times(self, vec: np.ndarray) -> np.ndarray:
        """(R'Z1)' vec, summed row by row as scipy's sparse product does."""
        a_r1 = self._a_r1
        if sp.issparse(a_r1):
            return a_r1.T @ vec
        if a_r1.shape[1] > 1 and a_r1.flags.c_contiguous:
            # A reduction over the rows (the outer axis) adds them one after another
            # from ``initial``, as the loop below does; one column (or rows that are
            # not contiguous) would be summed pairwise instead.
            return np.add.reduce(a_r1 * vec[:, None], axis=0, initial=0.0)
        out = np.zeros(a_r1.shape[1])
        for row, value in zip(a_r1, vec.tolist(), strict=True):
            out += row * value
        return out

    def _prepare_pairs(self, l1: int, s1: int, m: int) -> None:
        """Index pairs for sum_j A_j W_j A_j' over levels j of the first term."""
        coo = sp.coo_matrix(self._a_r1)
        level = coo.col // s1
        comp = coo.col % s1
        keys = level.astype(np.int64) * m + coo.row
        ukeys, inverse = np.unique(keys, return_inverse=True)
        values = np.zeros((ukeys.size, s1))
        np.add.at(values, (inverse, comp), coo.data)
        u_level = ukeys // m
        u_row = ukeys % m
        counts = np.bincount(u_level, minlength=l1)
        if float(np.sum(counts * (counts + 1) / 2)) * s1 * s1 > MAX_PAIRS:
            self._pair_matrix = None
            return
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rep = counts[u_level]
        left = np.repeat(np.arange(ukeys.size), rep)
        block_start = np.repeat(np.cumsum(rep) - rep, rep)
        right = np.repeat(starts[u_level], rep) + (np.arange(left.size) - block_start)
        keep = u_row[left] <= u_row[right]
        left, right = left[keep], right[keep]
        target = u_row[left] * m + u_row[right]
        prod = (values[left][:, :, None] * values[right][:, None, :]).reshape(-1)
        columns = (u_level[left][:, None] * (s1 * s1) + np.arange(s1 * s1)[None, :]).reshape(-1)
        # One row per entry of the upper triangle of the m x m result, one column per
        # (level, a, b): the product for a new theta is a sparse matrix-vector product
        # with vec(W). The CSR conversion sums contributions to the same entry; empty
        # rows are then dropped, and each kept row remembers both of its positions.
        full = sp.csr_matrix(
            (prod, (np.repeat(target, s1 * s1), columns)), shape=(m * m, l1 * s1 * s1)
        )
        kept = np.flatnonzero(np.diff(full.indptr))
        indptr = np.concatenate([[0], full.indptr[kept + 1]])
        self._pair_matrix = sp.csr_matrix(
            (full.data, full.indices, indptr), shape=(kept.size, l1 * s1 * s1)
        )
        rows, cols = np.divmod(kept, m)
        self._pair_positions = (kept, cols * m + rows)

    # ------------------------------------------------------------ evaluation
    def factors(self, theta: np.ndarray) -> list[np.ndarray]:
        return [t.factor(theta) for t in self.terms]

    def _first_block(self, t1: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Scalar first term: sum_j log M_j, M^-1 and W = T1 M^-1 T1' for
        M_j = T1^2 A_j + 1, as (levels, 1, 1) arrays."""
        lam2 = t1[0, 0] ** 2
        mdiag = lam2 * self._a11[:, 0, 0] + 1.0
        inv = (1.0 / mdiag)[:, None, None]
        return float(np.log(mdiag).sum()), inv, lam2 * inv

    def _vector_first(self, t1: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
        """Vector-valued first term: sum_j log|M_j|, M^-1 (levels, s1, s1) and
        sum_j V_j'V_j (m x m), by per-level Cholesky factors (engine.first_term);
        None if an M_j is not positive definite in floating point."""
        factors = self._vector_blocks.factor(t1)
        if factors is None:
            return None
        logdet = self._vector_blocks.log_determinant(factors)
        gram = self._first_gram(factors, t1)
        return logdet, self._vector_blocks.inverse(factors), gram

    def _first_gram(self, factors: LevelFactors, t1: np.ndarray) -> np.ndarray:
        """sum_j V_j'V_j with V_j = L_j^-1 T1'(Z1j'R_j), the first term's share of the
        rest block's Schur complement (m x m)."""
        if self._dense_first:
            first = self.terms[0]
            buffer = np.empty((self._m, first.n_columns, first.n_levels))
            return self._vector_blocks.gram(factors, t1, buffer)
        first = self.terms[0]
        s1, l1 = first.n_columns, first.n_levels
        blocks = factors.solve_matrices(t1.T)
        solve = sp.bsr_matrix((blocks, np.arange(l1), np.arange(l1 + 1)), shape=(l1 * s1,) * 2)
        v = solve @ self._a_r1_transpose
        return np.asarray((v.T @ v).toarray())

    def _first_product(self, w: np.ndarray) -> np.ndarray:
        """sum over levels j of A_rj W_j A_rj' (m x m)."""
        if not self._first_product_ready:
            self._prepare_first_product()
        m = self._m
        if self._dense_first:
            wa, wb = self._w_upper
            ra, rc = self._g_upper
            upper = w.reshape(-1) if w.shape[1] == 1 else w[:, wa, wb].T.reshape(-1)
            values = upper @ self._outer
            out = np.empty((m, m))
            out[ra, rc] = values
            out[rc, ra] = values
            return out
        if self._pair_matrix is None:
            l1, s1 = w.shape[0], w.shape[1]
            blocks = sp.bsr_matrix((w, np.arange(l1), np.arange(l1 + 1)), shape=(l1 * s1,) * 2)
            a_r1 = sp.csr_matrix(self._a_r1)
            return np.asarray((a_r1 @ (blocks @ a_r1.T)).toarray())
        values = self._pair_matrix @ w.reshape(-1)
        out = np.zeros(m * m)
        upper, lower = self._pair_positions
        out[lower] = values
        out[upper] = values
        return out.reshape(m, m)

    def _scale_rest(self, s: np.ndarray, factors: list[np.ndarray]) -> np.ndarray:
        """Lambda_r' S Lambda_r for the rest block (X and y columns are not scaled)."""
        rest_factors = factors[1:]
        if not rest_factors:
            return s
        if self._rest_all_scalar:
            scale = np.array([*(t[0, 0] for t in rest_factors), 1.0])[self._rest_scale_index]
            s *= scale[:, None]
            s *= scale[None, :]
            return s
        for (lo, hi), t in zip(self._rest_offsets, rest_factors, strict=True):
            k = t.shape[0]
            block = s[lo:hi].reshape((hi - lo) // k, k, -1)
            s[lo:hi] = np.matmul(t.T, block).reshape(hi - lo, -1)
            block = s[:, lo:hi].reshape(s.shape[0], (hi - lo) // k, k)
            s[:, lo:hi] = np.matmul(block, t).reshape(s.shape[0], hi - lo)
        return s

    def evaluate(self, theta: np.ndarray) -> ThetaEvaluation | None:
        """Blocked Cholesky at theta; ``None`` if it fails (not positive definite)."""
        theta = np.asarray(theta, dtype=float)
        factors = self.factors(theta)
        if factors[0].shape[0] == 1:
            logdet1, inv, w = self._first_block(factors[0])
            if not math.isfinite(logdet1):
                return None
            schur = self._first_product(w)
        else:
            vector = self._vector_first(factors[0])
            if vector is None:
                return None
            logdet1, inv, schur = vector
        np.subtract(self._a_rest, schur, out=schur)
        schur = self._scale_rest(schur, factors)
        m_re = self._m_re
        if m_re:
            schur.reshape(-1)[: m_re * (self._m + 1) : self._m + 1] += 1.0
        # S is symmetric, so its transpose is the same matrix in Fortran order: LAPACK
        # then factors it in place, without a copy.
        chol, info = lapack.dpotrf(schur.T, 1, 1, 1)  # lower, clean, overwrite_a
        if info != 0:
            return None
        log_diag = np.log(chol.diagonal())
        logdet_rest = 2.0 * float(log_diag[:m_re].sum())
        logdet_rx = 2.0 * float(log_diag[m_re : m_re + self.p].sum())
        return ThetaEvaluation(
            theta=theta,
            logdet_re=logdet1 + logdet_rest,
            logdet_rx=logdet_rx,
            pwrss=float(chol[-1, -1] ** 2),
            rest_factor=chol,
            first_inverse=inv,
            factors=factors,
        )

    def profiled_deviance(self, ev: ThetaEvaluation, reml: bool) -> float:
        """Bates et al. (2015) eq. 34 (ML) and eq. 41 (REML)."""
        if reml:
            dof = self.n - self.p
            return ev.logdet_re + ev.logdet_rx + dof * (1 + LOG_2PI + np.log(ev.pwrss / dof))
        return ev.logdet_re + self.n * (1 + LOG_2PI + np.log(ev.pwrss / self.n))

    def deviance(self, theta: np.ndarray, reml: bool = True) -> float:
        """The profiled objective: REML criterion or ML deviance at theta (inf if invalid)."""
        ev = self.evaluate(theta)
        if ev is None or ev.pwrss <= 0:
            return np.inf
        return float(self.profiled_deviance(ev, reml))

    def deviance_and_gradient(
        self, theta: np.ndarray, reml: bool = True
    ) -> tuple[float, np.ndarray]:
        """The profiled objective and its analytic gradient (engine.gradient).

        On the boundary (a singular T_k) the gradient falls back to central
        differences, one-sided at a bound.
        """
        from engine.gradient import deviance_gradient
        from engine.optimize import finite_difference_gradient

        theta = np.asarray(theta, dtype=float)
        ev = self.evaluate(theta)
        if ev is None or ev.pwrss <= 0:
            return np.inf, np.zeros_like(theta)
        value = float(self.profiled_deviance(ev, reml))
        grad = deviance_gradient(self, ev, reml)
        if grad is None:
            grad = finite_difference_gradient(
                lambda th: self.deviance(th, reml), theta, self.theta_lower
            )
        return value, grad

    def unprofiled_deviance(
        self, theta: np.ndarray, sigma: float, reml: bool = True, ev: ThetaEvaluation | None = None
    ) -> float:
        """-2 log-likelihood (REML: restricted) at (theta, sigma), as lmerTest's devfun_vp."""
        ev = ev if ev is not None else self.evaluate(theta)
        if ev is None:
            return np.inf
        sigma2 = sigma**2
        dof = self.n - self.p if reml else self.n
        value = ev.logdet_re + ev.pwrss / sigma2 + dof * (LOG_2PI + np.log(sigma2))
        return float(value + (ev.logdet_rx if reml else 0.0))

    def vcov_unscaled(self, ev: ThetaEvaluation) -> np.ndarray:
        """(R_X' R_X)^-1: Var(beta-hat) / sigma^2 at this theta."""
        m_re, p = self._m_re, self.p
        lxx = ev.rest_factor[m_re : m_re + p, m_re : m_re + p]
        if p == 0:
            return np.zeros((0, 0))
        inv, _ = lapack.dtrtri(lxx, 1)  # lower
        inv *= _lower_triangle(p)  # dtrtri leaves the input's upper triangle in place
        vcov = inv.T @ inv
        return vcov if self.fixed_shift is None else self.fixed_shift.covariance(vcov)

    def solve(self, theta: np.ndarray, reml: bool = True) -> Solution:
        """beta-hat, u, b = Lambda u, sigma^2-hat and R_X at theta."""
        ev = self.evaluate(theta)
        if ev is None:
            raise LmmInputError(
                "The model could not be evaluated at these variance parameters; "
                "check the data for constant or duplicated columns."
            )
        chol = ev.rest_factor
        m_re, p = self._m_re, self.p
        # LAPACK's triangular solve, which scipy's solve_triangular wraps in ~10 µs of checks.
        x2, info = lapack.dtrtrs(chol[:-1, :-1], chol[-1, :-1], 1, 1)  # lower, trans
        if info != 0:
            raise LmmInputError(
                "The model could not be evaluated at these variance parameters; "
                "check the data for constant or duplicated columns."
            )
        u_rest = x2[:m_re]
        beta = x2[m_re:]  # for the response less X beta_shift (see fixed_part_removed)
        b_rest = self._apply_rest_lambda(u_rest, ev.factors)
        vec = np.concatenate([b_rest, beta, [-1.0]])
        rhs = -self._a_r1_transpose_times(vec)
        first = self.terms[0]
        s1 = first.n_columns
        t1 = ev.factors[0]
        rhs = rhs.reshape(first.n_levels, s1) @ t1
        u1 = np.matmul(ev.first_inverse, rhs[:, :, None])[:, :, 0]
        u = np.concatenate([u1.reshape(-1), u_rest])
        b = np.concatenate([(u1 @ t1.T).reshape(-1), b_rest])
        dof = self.n - self.p if reml else self.n
        lxx = chol[m_re : m_re + p, m_re : m_re + p]
        beta = beta + self._beta_shift
        rx = lxx.T.copy()
        if self.fixed_shift is not None:
            beta = self.fixed_shift.beta(beta)
            rx = rx @ self.fixed_shift.inverse()
        return Solution(
            theta=np.asarray(theta, dtype=float),
            beta=beta,
            u=u,
            b=b,
            sigma2=ev.pwrss / dof,
            pwrss=ev.pwrss,
            rx=rx,
            vcov_unscaled=self.vcov_unscaled(ev),
        )

    def random_fits(self, ev: ThetaEvaluation) -> tuple[np.ndarray, np.ndarray]:
        """(U, B = Lambda U) for the columns of [X y]: U = (Lambda'Z'Z Lambda + I)^-1
        Lambda'Z'[X y], each column's penalised least-squares fit on Z Lambda alone, by
        back-substitution in ev's blocked factor (q x (p + 1) each; X as ``centred_X``,
        y as ``centred_y``).

        X's and y's rows of the factor hold L_22^-1 of their Schur products with the
        rest terms, which gives the rest terms' part; the first term's part then follows
        level by level from M_j^-1, as in :meth:`solve`.
        """
        chol, m_re, k = ev.rest_factor, self._m_re, self.p + 1
        if m_re:
            # LAPACK's triangular solve, as in solve (scipy's wrapper costs more here)
            u_rest, _ = lapack.dtrtrs(chol[:m_re, :m_re], chol[m_re:, :m_re].T, 1, 1)
            b_rest = np.empty_like(u_rest)
            for c in range(k):
                b_rest[:, c] = self._apply_rest_lambda(u_rest[:, c], ev.factors)
        else:
            u_rest = b_rest = np.zeros((0, k))
        # Z1'([X y] - Z_rest b_rest), from the cross-products R'Z1
        rhs = np.asarray(self._a_r1.T @ np.concatenate([-b_rest, np.eye(k)]))
        first = self.terms[0]
        s1, l1 = first.n_columns, first.n_levels
        t1 = ev.factors[0]
        rhs = np.matmul(t1.T, rhs.reshape(l1, s1, k))  # T1' per level
        u1 = np.matmul(ev.first_inverse, rhs)
        b1 = np.matmul(t1, u1)
        u = np.concatenate([u1.reshape(l1 * s1, k), u_rest])
        b = np.concatenate([b1.reshape(l1 * s1, k), b_rest])
        return u, b

    def _apply_rest_lambda(self, u_rest: np.ndarray, factors: list[np.ndarray]) -> np.ndarray:
        out = np.empty_like(u_rest)
        for (lo, hi), t in zip(self._rest_offsets, factors[1:], strict=True):
            k = t.shape[0]
            out[lo:hi] = (u_rest[lo:hi].reshape(-1, k) @ t.T).reshape(-1)
        return out

    def conditional_covariances(self, theta: np.ndarray, sigma2: float) -> list[np.ndarray]:
        """Per term, (levels, s, s) blocks of sigma^2 Lambda (L L')^-1 Lambda'.

        This is lme4's ``condVar`` (``ranef(m, condVar = TRUE)``): the conditional
        covariance of the random effects given the data and beta-hat. Only the
        diagonal blocks are formed, term by term.
        """
        ev = self.evaluate(theta)
        if ev is None:
            raise LmmInputError("The conditional variances cannot be computed at this theta.")
        m_re = self._m_re
        first = self.terms[0]
        s1, l1 = first.n_columns, first.n_levels
        t1 = ev.factors[0]
        block11 = ev.first_inverse.copy()
        out_rest: list[np.ndarray] = []
        if m_re:
            l22 = ev.rest_factor[:m_re, :m_re]
            # F = A_re,1 blockdiag(T1 M_j^-1), then rows scaled by Lambda_r'.
            tm = np.matmul(t1, ev.first_inverse)
            bsr = sp.bsr_matrix(
                (tm, np.arange(l1), np.arange(l1 + 1)), shape=(l1 * s1, l1 * s1)
            )
            f = (sp.csr_matrix(self._a_r1[:m_re]) @ bsr).toarray()
            f = self._scale_rest_rows(f, ev.factors)
            e = solve_triangular(l22, f, lower=True, check_finite=False)
            e3 = e.reshape(m_re, l1, s1)
            block11 = block11 + np.einsum("mja,mjb->jab", e3, e3)
            linv = solve_triangular(l22, np.eye(m_re), lower=True, check_finite=False)
            for (lo, hi), term, t in zip(
                self._rest_offsets, self.terms[1:], ev.factors[1:], strict=True
            ):
                k = term.n_columns
                cols = linv[:, lo:hi].reshape(m_re, term.n_levels, k)
                blocks = np.einsum("mja,mjb->jab", cols, cols)
                out_rest.append(sigma2 * np.matmul(np.matmul(t, blocks), t.T))
        first_cov = sigma2 * np.matmul(np.matmul(t1, block11), t1.T)
        return [first_cov, *out_rest]

    def _scale_rest_rows(self, f: np.ndarray, factors: list[np.ndarray]) -> np.ndarray:
        for (lo, hi), t in zip(self._rest_offsets, factors[1:], strict=True):
            k = t.shape[0]
            block = f[lo:hi].reshape((hi - lo) // k, k, -1)
            f[lo:hi] = np.matmul(t.T, block).reshape(hi - lo, -1)
        return f
