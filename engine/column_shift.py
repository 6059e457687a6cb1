"""Fixed-effect columns shifted along earlier columns, for the digits of the cross-products.

A column far from zero for its spread (a year, a date, a weight in grams) makes X'X and
Z'X large and nearly equal products whose differences, inside the Cholesky factor of
the profiled deviance, lose about (mean / SD)^2 of the digits. Replacing X by X_c = X T
with T = I - N, where N holds a few shifts m_k at (source s_k, target t_k), subtracts
m_k times column s_k from column t_k. N is acyclic (no column is shifted along itself,
directly or through others), so T is unit triangular after a permutation and det T = 1:
X_c spans the same space as X, the profiled REML criterion and ML deviance are the same
function of theta, and beta = T beta_c, Var(beta) = T Var(beta_c) T', R_X = R_Xc T^-1.

Two kinds of shift (Bates et al. 2015, JSS 67(1), on the conditioning of X; the
interaction form is this project's):

* along the intercept column by the column's mean (x -> x - mean(x));
* along an earlier 0/1 column d for a column that is zero wherever d is zero, by its
  mean where d = 1: the interaction column x:fB = x 1[f = B] of a treatment-coded
  factor becomes (x - mean(x | f = B)) 1[f = B]. Without it x:fB is nearly
  mean(x | B) times fB, and X'X loses as many digits as for x itself. Where X has no
  column for the level (x:fA in ``y ~ f + x:f``), d is the intercept less the other
  levels' columns, 1 - fB - fC, so the shift runs along several columns.

Not covered: three-way interactions (x:fB:hC is shifted only if X has the column
fB:hC), numeric:numeric products (x:z is not zero off a 0/1 column), and factors
coded other than by 0/1 columns (sum or Helmert contrasts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: A fixed-effect column is centred for the cross-products when its mean exceeds this
#: many of its SDs (as the response, engine.model.CENTRE_RESPONSE_RATIO); for a shift
#: along a 0/1 column, the mean and SD are those where that column is 1.
CENTRE_COLUMN_RATIO = 100.0


def intercept_column(
    X: np.ndarray, means: np.ndarray | None = None, variance: np.ndarray | None = None
) -> int | None:
    """The first column of X that is all ones, or None: the direction along which a
    shift of y or of another column leaves the profiled deviance unchanged. ``means``
    and ``variance`` (of X's columns, when the caller has them) narrow the search to
    the columns with mean 1 and no spread, which are then checked value by value."""
    if means is None or variance is None:
        ones = np.flatnonzero(np.all(X == 1.0, axis=0))
        return int(ones[0]) if ones.size else None
    for j in np.flatnonzero((means == 1.0) & (variance == 0.0)).tolist():
        if np.all(X[:, j] == 1.0):
            return j
    return None


@dataclass(frozen=True)
class ColumnShift:
    """X_c = X T, T = I - N: column ``targets[k]`` less ``amounts[k]`` times column
    ``sources[k]`` of X (module docstring). ``column`` is the intercept column or None."""

    column: int | None
    targets: np.ndarray
    sources: np.ndarray
    amounts: np.ndarray
    p: int

    @classmethod
    def of(
        cls,
        X: np.ndarray,
        ratio: float | None = None,
        random_columns: Iterable[np.ndarray] | None = None,
    ) -> ColumnShift | None:
        """The shifts of X, or None when there is nothing to shift.

        Along a 0/1 column (or a 0/1 combination of earlier columns,
        :func:`indicator_support`): a column zero off its support whose mean there
        exceeds :data:`CENTRE_COLUMN_RATIO` SDs there. Along the intercept: every other
        column (``ratio`` None) or only those whose mean exceeds ``ratio`` SDs. Columns
        equal to a column of ``random_columns`` (the random-effects terms' values), or,
        for a shift along d, equal to one on d's support, stay as they are: the same
        variable uncentred in Z keeps Z'X ill-conditioned whatever X does.
        """
        n, p = X.shape
        if p < 2 or n == 0:
            return None
        randoms = [np.asarray(c, dtype=float) for c in random_columns or []]
        keep = np.zeros(p, dtype=bool)
        for column in randoms:
            keep |= np.all(X == column[:, None], axis=0)
        column_means = X.mean(axis=0)
        # The spread only decides which columns qualify (a threshold of 100 SDs), so the
        # one-pass variance serves; where it cancels to nothing the column qualifies, as
        # it should. It costs a third of X.std on a small design.
        squares = np.einsum("ij,ij->j", X, X)
        variance = np.maximum(squares / n - column_means * column_means, 0.0)
        sd = np.sqrt(variance)
        spread = None if ratio is None else sd
        # A shift along a 0/1 column needs one: for it, sum v^2 = sum v, sums of whole
        # numbers that are exact, so squares / n equals its mean to the last bit.
        indicator_like = (squares / n == column_means) & (column_means > 0) & (column_means < 1)
        entries = (
            _indicator_shifts(X, keep, randoms, column_means, sd) if indicator_like.any() else []
        )
        j = intercept_column(X, column_means, variance)
        if j is not None:
            means = column_means
            means[j] = 0.0
            if spread is not None:
                means[~(np.abs(means) > ratio * spread)] = 0.0
            means[keep] = 0.0
            for target, _, _ in entries:
                means[target] = 0.0
            if not np.all(np.isfinite(means)):
                return None
            entries = [(int(t), j, float(means[t])) for t in np.flatnonzero(means)] + entries
        if not entries:
            return None
        targets, sources, amounts = zip(*entries, strict=True)
        return cls(j, np.array(targets), np.array(sources), np.array(amounts, dtype=float), p)

    @property
    def means(self) -> np.ndarray:
        """Each column's shift (0 for columns left as they are)."""
        out = np.zeros(self.p)
        out[self.targets] = self.amounts
        return out

    def _shifts(self) -> np.ndarray:
        """N: row s holds the amounts by which the target columns move along column s."""
        out = np.zeros((self.p, self.p))
        out[self.sources, self.targets] = self.amounts
        return out

    def centred(self, X: np.ndarray) -> np.ndarray:
        """X T: each target column less its amount times its source column of X."""
        shifts = self._shifts()
        out = X
        for s in np.unique(self.sources):
            out = out - np.outer(X[:, s], shifts[s])
        return out

    def beta(self, beta_c: np.ndarray) -> np.ndarray:
        """T beta_c: coefficients of the original columns."""
        shifts = self._shifts()
        out = np.array(beta_c, dtype=float)
        for s in np.unique(self.sources):
            out[s] -= float(shifts[s] @ beta_c)
        return out

    def matrix(self) -> np.ndarray:
        """T itself."""
        return np.eye(self.p) - self._shifts()

    def inverse(self) -> np.ndarray:
        """T^-1 = I + N + N^2 + ..., a finite sum since N is nilpotent (I + N when no
        source column is itself shifted)."""
        shifts = self._shifts()
        out = np.eye(self.p)
        power = shifts
        while np.any(power):
            out = out + power
            power = power @ shifts
        return out

    def covariance(self, vcov_c: np.ndarray) -> np.ndarray:
        """T V T', symmetric: the covariance of the original coefficients."""
        t = self.matrix()
        out = t @ vcov_c @ t.T
        return (out + out.T) / 2


def far_on_nonzero(
    X: np.ndarray, ratio: float, mean: np.ndarray | None = None, sd: np.ndarray | None = None
) -> np.ndarray:
    """Which columns with a zero, other than 0/1 columns, may have a mean beyond
    ``ratio`` SDs on a set of rows that holds all their nonzero values.

    A necessary condition, from sums alone: on such a set of N rows, k of them zeros,
    mean^2 > ratio^2 var gives mean^2 > ratio^2 var on the nonzero values alone (the
    zeros only add spread), i.e. n_nz * sum(v^2) < (1 + 1/ratio^2) (sum v)^2; the test
    allows twice that slack for rounding. Columns that fail it need no further look,
    which keeps the common case (no such column) to a few passes over X. ``mean`` and
    ``sd`` (population): the columns' moments, when the caller has them.
    """
    n, p = X.shape
    counts = np.count_nonzero(X, axis=0).tolist()
    out = np.zeros(p, dtype=bool)
    if not any(0 < count < n for count in counts):  # no column is zero off a support
        return out
    if mean is None or sd is None:
        total, squares = X.sum(axis=0), np.einsum("ij,ij->j", X, X)
    else:
        total, squares = mean * n, (sd * sd + mean * mean) * n
    slack = 1.0 + 2.0 / ratio**2
    # In Python floats: X has few columns, and a dozen NumPy calls on arrays that short
    # cost more than the loop (an overflow is inf and a NaN compares false, as in NumPy).
    for j, (count, t, q) in enumerate(zip(counts, total.tolist(), squares.tolist(),
                                          strict=True)):
        # sum (v - 1)^2 over the nonzero values is 0 for a 0/1 column, up to rounding
        if 0 < count < n and q * count <= t * t * slack and not abs(q - 2.0 * t + count) <= (
            1e-9 * count
        ):
            out[j] = True
    return out


def indicator_columns(X: np.ndarray) -> tuple[list[int], list[int]]:
    """(indicators, others): the 0/1 columns of X that are neither all 0 nor all 1, and
    the other columns with a zero in them (those that may be zero off an indicator's
    support). Columns without a zero are in neither list."""
    zero = X == 0
    has_zero = zero.any(axis=0)
    if not has_zero.any():
        return [], []
    binary = (zero | (X == 1)).all(axis=0)
    indicators = has_zero & binary & ~zero.all(axis=0)
    return np.flatnonzero(indicators).tolist(), np.flatnonzero(has_zero & ~binary).tolist()


def indicator_support(
    X: np.ndarray,
    target: int,
    indicators: list[int],
    intercept: int | None = None,
    ones: np.ndarray | None = None,
) -> tuple[list[tuple[int, float]], np.ndarray] | None:
    """(combination, support) for column ``target``: a 0/1 combination of earlier
    columns, as (column, coefficient) pairs, that is 1 wherever the target is nonzero,
    and the rows where it is 1 (a boolean mask); None when there is none. ``ones``:
    X == 1, when the caller has it.

    The combination is the earlier indicator with the fewest ones that covers the
    target's nonzero rows (fB for x:fB); failing that, the intercept less the earlier
    indicators, disjoint from each other, that are 0 wherever the target is nonzero
    (1 - fB - fC for x:fA when only fB and fC are in X).
    """
    earlier = [s for s in indicators if s < target]
    if not earlier:
        return None
    ones = X[:, earlier] == 1 if ones is None else ones[:, earlier]
    on_nonzero = ones[X[:, target] != 0]
    covering = np.flatnonzero(on_nonzero.all(axis=0))
    if covering.size:
        counts = ones[:, covering].sum(axis=0)
        k = int(covering[np.argmin(counts)])  # the first of the smallest
        return [(earlier[k], 1.0)], ones[:, k].copy()
    if intercept is None or intercept > target:
        return None
    off = np.flatnonzero(~on_nonzero.any(axis=0))
    if not off.size:
        return None
    covered = ones[:, off].sum(axis=1)
    if np.any(covered > 1):
        return None
    return [(intercept, 1.0)] + [(earlier[k], -1.0) for k in off.tolist()], covered == 0


def _indicator_shifts(
    X: np.ndarray,
    keep: np.ndarray,
    randoms: list[np.ndarray],
    mean: np.ndarray | None = None,
    sd: np.ndarray | None = None,
) -> list[tuple[int, int, float]]:
    """(target, source, amount) for columns zero off the support of a 0/1 combination of
    earlier columns (:func:`indicator_support`) whose mean there exceeds
    CENTRE_COLUMN_RATIO SDs there (population SDs, as for the intercept shift)."""
    entries: list[tuple[int, int, float]] = []
    possible = far_on_nonzero(X, CENTRE_COLUMN_RATIO, mean, sd) & ~keep
    if not possible.any():
        return entries
    indicators, candidates = indicator_columns(X)
    if not indicators:
        return entries
    intercept = intercept_column(X)
    ones = X == 1
    for t in (t for t in candidates if possible[t]):
        found = None if keep[t] else indicator_support(X, t, indicators, intercept, ones)
        if found is None:
            continue
        combination, on = found
        values = X[on, t]
        mean, sd = float(values.mean()), float(values.std())
        if not (np.isfinite(mean) and abs(mean) > CENTRE_COLUMN_RATIO * sd):
            continue
        if any(np.array_equal(values, r[on]) for r in randoms):
            continue
        entries.extend((t, s, coefficient * mean) for s, coefficient in combination)
    return entries
