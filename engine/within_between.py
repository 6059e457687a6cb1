"""Within- and between-cluster parts of a predictor, and their two effects.

A predictor measured on the observations of clustered data (SES of students within
schools) mixes two relations: how the outcome changes with the predictor inside a
cluster, and how clusters with a higher average differ. One slope for both assumes they
are equal. Group-mean centering (Enders & Tofighi 2007, *Psychol. Methods* 12:121)
splits the predictor x into its cluster mean x̄_j (the between part) and the deviation
x − x̄_j (the within part); with both in the model (the "within-between" or hybrid model
of Mundlak 1978 and Bell & Jones 2015, *Political Sci. Res. Methods* 3:133):

- the within coefficient equals the fixed-effects (cluster-dummy) estimator exactly, since
  the within part is orthogonal to every cluster-constant column in V⁻¹'s metric;
- the between coefficient is the slope of the cluster means;
- their difference, between − within, is the contextual effect: what a cluster's mean
  adds beyond an observation's own value. Its Wald t test (with the fit's df method)
  asks whether one slope would do.

Means use the present values of each cluster; rows with a missing value or cluster stay
missing in both parts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.data import require_columns
from engine.errors import LmmInputError
from engine.marginal_means import ContrastTest, contrast_tests


@dataclass(frozen=True)
class WithinBetweenSplit:
    """The new columns ``between_name`` (x̄_j) and ``within_name`` (x − x̄_j) of
    ``column`` within ``group``. ``between_share`` is the share of the predictor's
    variance that lies between clusters: var(x̄_j over the rows) / var(x), both with
    divisor n − 1 over the rows where x is present."""

    column: str
    group: str
    between_name: str
    within_name: str
    n_clusters: int
    between_share: float
    data: pd.DataFrame = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "within_between_split",
            "column": self.column,
            "group": self.group,
            "between_name": self.between_name,
            "within_name": self.within_name,
            "n_clusters": self.n_clusters,
            "between_share": self.between_share,
        }


def split_within_between(df: pd.DataFrame, column: str, group: str) -> WithinBetweenSplit:
    """Add ``<column>_between`` and ``<column>_within`` to a copy of ``df``."""
    require_columns(df, [column, group])
    if column == group:
        raise LmmInputError(
            f"'{column}' cannot be split within itself; name the grouping factor, e.g. "
            f"`center {column} within school`."
        )
    x = df[column]
    if not pd.api.types.is_numeric_dtype(x) or pd.api.types.is_bool_dtype(x):
        raise LmmInputError(
            f"'{column}' is not numeric; only a numeric predictor has within- and "
            "between-cluster parts (a factor's levels can be compared within clusters as "
            "they are)."
        )
    values = x.to_numpy(dtype=float)
    clusters = df[group]
    present = ~np.isnan(values) & clusters.notna().to_numpy()
    codes, _ = pd.factorize(clusters[present], sort=False)
    n_clusters = int(codes.max()) + 1 if codes.size else 0
    if n_clusters < 2:
        raise LmmInputError(
            f"'{group}' has fewer than two levels with a value of '{column}', so there is "
            "nothing between clusters to separate; pick the grouping factor of the data."
        )
    kept = values[present]
    sums = np.bincount(codes, weights=kept, minlength=n_clusters)
    counts = np.bincount(codes, minlength=n_clusters)
    means = sums / counts
    between = np.full(values.size, np.nan)
    between[present] = means[codes]
    within = values - between
    if np.allclose(within[present], 0.0, atol=1e-12 * max(1.0, float(np.abs(kept).max()))):
        raise LmmInputError(
            f"'{column}' does not vary within any level of '{group}' (it describes the "
            f"{group} levels themselves), so it has no within part; use it as it is."
        )
    if np.ptp(means) == 0.0:
        raise LmmInputError(
            f"Every level of '{group}' has the same mean '{column}', so it has no between "
            "part; use it as it is."
        )
    total = float(np.var(kept, ddof=1))
    between_share = float(np.var(between[present], ddof=1)) / total
    between_name, within_name = f"{column}_between", f"{column}_within"
    out = df.copy()
    out[between_name] = between
    out[within_name] = within
    return WithinBetweenSplit(
        column=column,
        group=group,
        between_name=between_name,
        within_name=within_name,
        n_clusters=n_clusters,
        between_share=between_share,
        data=out,
    )


@dataclass(frozen=True)
class WithinBetweenEffects:
    """The within and between coefficients of a fitted within-between model and the
    contextual effect (between − within) with its Wald t test, in the fit's df method."""

    column: str
    group: str
    within: Any  # engine.results.FixedEffect of the within part
    between: Any  # engine.results.FixedEffect of the between part
    contextual: ContrastTest
    df_method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "within_between_effects",
            "column": self.column,
            "group": self.group,
            "within": asdict(self.within),
            "between": asdict(self.between),
            "contextual": asdict(self.contextual),
            "df_method": self.df_method,
        }


def within_between_effects(fit: Any, split: WithinBetweenSplit) -> WithinBetweenEffects:
    """The two slopes of ``split``'s parts in ``fit`` and their difference."""
    names = list(fit.fixed_names)
    missing = [n for n in (split.within_name, split.between_name) if n not in names]
    if missing:
        raise LmmInputError(
            f"The model has no term {', '.join(missing)}; fit it with both "
            f"{split.within_name} and {split.between_name} to compare the two effects."
        )
    row = np.zeros(len(names))
    row[names.index(split.between_name)] = 1.0
    row[names.index(split.within_name)] = -1.0
    (contextual,), df_method = contrast_tests(fit, row[None, :], fit.level)
    by_name = {fe.term: fe for fe in fit.fixed_effects}
    return WithinBetweenEffects(
        column=split.column,
        group=split.group,
        within=by_name[split.within_name],
        between=by_name[split.between_name],
        contextual=contextual,
        df_method=df_method,
    )
