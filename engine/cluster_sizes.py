"""How many units each level of a grouping factor has ("how many students per school?").

In two-level data such as students in schools, the cluster size is the number of
distinct students in a school (of its rows, when no column identifies the students). Its
spread matters for the model: small clusters shrink their random effects strongly toward
zero, and the design effect grows with the mean cluster size (Kish 1965). Rows whose
grouping value is missing belong to no cluster and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.errors import LmmInputError
from engine.transforms import format_level

#: The smallest and largest clusters named, at most, at each end.
NAMED = 3
#: At most this many distinct cluster sizes are tabulated one row each.
MAX_SIZE_ROWS = 12


@dataclass(frozen=True)
class ClusterSizes:
    """Units per level of ``group``: how many levels (``n_clusters``) and units
    (``n_units``: rows, or the distinct ``unit_column`` values summed over the levels)
    there are, the sizes' minimum, quartiles, median, maximum and mean, and the smallest
    and largest levels (up to ``NAMED`` each, with their sizes). ``unit``
    is what is counted as the question names it ("students"), or None; ``unit_column``
    the column whose distinct values are counted (None: rows are counted)."""

    group: str
    unit: str | None
    unit_column: str | None
    n_clusters: int
    n_units: int
    n_missing_group: int
    minimum: int
    lower_quartile: float
    median: float
    upper_quartile: float
    maximum: int
    mean: float
    smallest: tuple[tuple[str, int], ...]
    largest: tuple[tuple[str, int], ...]
    #: how many levels have the smallest and the largest size
    n_at_minimum: int
    n_at_maximum: int
    #: (size, number of levels of that size) in increasing size, when there are at most
    #: ``MAX_SIZE_ROWS`` distinct sizes (a per-patient count table); else empty
    size_counts: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "cluster_sizes", "group": self.group, "unit": self.unit,
            "unit_column": self.unit_column,
            "n_clusters": self.n_clusters,
            "n_units": self.n_units, "n_missing_group": self.n_missing_group,
            "min": self.minimum, "q1": self.lower_quartile, "median": self.median,
            "q3": self.upper_quartile, "max": self.maximum, "mean": self.mean,
            "smallest": [{"level": k, "size": v} for k, v in self.smallest],
            "largest": [{"level": k, "size": v} for k, v in self.largest],
            "n_at_min": self.n_at_minimum, "n_at_max": self.n_at_maximum,
            "size_counts": [{"size": k, "levels": v} for k, v in self.size_counts],
        }


def cluster_sizes(
    data: pd.DataFrame, group: str, unit: str | None = None, unit_column: str | None = None,
    *, measure: bool = False,
) -> ClusterSizes:
    """Count the distinct ``unit_column`` values (or the rows) in each level of ``group``
    (quartiles by numpy's linear rule, R's ``quantile`` type 7). ``measure``: the
    ``unit_column`` is a measurement ("ratings per rater"), not an identifier, so the rows
    holding a value of it are counted (equal ratings are still two ratings)."""
    for name in (group, unit_column):
        if name is not None and name not in data.columns:
            raise LmmInputError(f"There is no column called {name!r} in the data.")
    if unit_column == group:
        raise LmmInputError(
            f"Counting {group} within its own levels says nothing; ask for what each {group} "
            "holds, e.g. observations."
        )
    frame = data[[group] if unit_column is None else [group, unit_column]].dropna()
    keys = frame[group].map(format_level)
    if keys.empty:
        raise LmmInputError(f"No row has a value of {group}, so there are no groups to count.")
    if unit_column is None or measure:
        counts = keys.value_counts(sort=False)
    else:
        counts = frame[unit_column].groupby(keys, sort=False).nunique()
    sizes = counts.to_numpy(dtype=int)
    q1, median, q3 = np.percentile(sizes, [25, 50, 75])
    by_size = sorted(counts.items(), key=lambda kv: (kv[1], str(kv[0])))
    named = min(NAMED, len(by_size) // 2)
    return ClusterSizes(
        group=group,
        unit=unit,
        unit_column=unit_column,
        n_clusters=int(len(counts)),
        n_units=int(sizes.sum()),
        n_missing_group=int(len(data) - len(frame)),
        minimum=int(sizes.min()),
        lower_quartile=float(q1),
        median=float(median),
        upper_quartile=float(q3),
        maximum=int(sizes.max()),
        mean=float(sizes.mean()),
        smallest=tuple((str(k), int(v)) for k, v in by_size[:named]),
        largest=tuple((str(k), int(v)) for k, v in reversed(by_size[len(by_size) - named:])),
        n_at_minimum=int((sizes == sizes.min()).sum()),
        n_at_maximum=int((sizes == sizes.max()).sum()),
        size_counts=_size_counts(sizes),
    )


def _size_counts(sizes: np.ndarray) -> tuple[tuple[int, int], ...]:
    """How many levels have each size, smallest size first (empty above
    ``MAX_SIZE_ROWS`` distinct sizes, where the quartiles say more)."""
    values, counts = np.unique(sizes, return_counts=True)
    if len(values) > MAX_SIZE_ROWS:
        return ()
    return tuple((int(v), int(c)) for v, c in zip(values, counts, strict=True))
