"""Who dropped out before a given time ("how many patients dropped out before month 6?").

A subject dropped out before time t when it has no observation at or after t but has one
before it: its last visit was before t and it never came back. Counted per last visit,
with how many of them had also missed a visit before leaving (their dropout was not the
plain monotone kind the missing-data audit counts). An observation is a row whose
analysed variables and time are all present, as in :mod:`engine.missing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from engine.data import require_columns
from engine.errors import LmmInputError


@dataclass(frozen=True)
class LastVisit:
    """Subjects whose last observation was at ``time``."""

    time: float
    n_subjects: int


@dataclass(frozen=True)
class DropoutBefore:
    subject: str
    time: str
    cutoff: float
    n_subjects: int
    n_dropped_before: int
    #: of those, subjects that had also missed a visit before their last one
    n_with_earlier_gap: int
    by_last_visit: tuple[LastVisit, ...]
    first_time: float
    last_time: float

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["by_last_visit"] = [asdict(v) for v in self.by_last_visit]
        return {"kind": "dropout_before", **out}


def dropout_before(
    df: pd.DataFrame, subject: str, time: str, cutoff: float,
    variables: Sequence[str] | None = None,
) -> DropoutBefore:
    """Subjects last seen before ``cutoff`` (no observation at or after it)."""
    require_columns(df, [subject, time])
    variables = [str(c) for c in df.columns if c not in (subject, time)] \
        if variables is None else list(variables)
    frame = df[df[subject].notna()]
    if not pd.api.types.is_numeric_dtype(frame[time]):
        raise LmmInputError(
            f"{time} is not numeric, so 'before {cutoff:g}' has no order to follow; ask how "
            "many dropped out instead."
        )
    observed = frame[frame[[*variables, time]].notna().all(axis=1)]
    times = sorted(float(t) for t in pd.unique(observed[time]))
    if not times:
        raise LmmInputError("The data have no complete observations to count dropout from.")
    if not times[0] < cutoff <= times[-1]:
        raise LmmInputError(
            f"Time {cutoff:g} is outside the visits after the first ({times[0]:g} to "
            f"{times[-1]:g}); ask about a time in that range."
        )
    subjects = pd.unique(frame[subject])
    seen = observed.groupby(subject, sort=False)[time].agg(list).reindex(subjects)
    dropped: dict[float, int] = {}
    with_gap = 0
    for visits in seen:
        if not isinstance(visits, list) or not visits:
            continue
        last = max(float(v) for v in visits)
        if last >= cutoff:
            continue
        dropped[last] = dropped.get(last, 0) + 1
        expected = [t for t in times if t <= last]
        if len(set(float(v) for v in visits)) < len(expected):
            with_gap += 1
    return DropoutBefore(
        subject=subject, time=time, cutoff=float(cutoff), n_subjects=int(len(subjects)),
        n_dropped_before=sum(dropped.values()), n_with_earlier_gap=with_gap,
        by_last_visit=tuple(LastVisit(t, dropped[t]) for t in sorted(dropped)),
        first_time=times[0], last_time=times[-1],
    )
