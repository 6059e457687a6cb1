"""How many subjects are in each level of a factor ("how many patients are in each group?").

The count is of distinct subjects, not of rows: a patient seen at four visits counts once
in the treatment arm. A factor that changes within some subjects (a crossover, or an
error in the data) puts those subjects in more than one level; they are listed, because
the counts then add up to more than the number of subjects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from engine.errors import LmmInputError
from engine.transforms import format_level


@dataclass(frozen=True)
class SubjectsPerLevel:
    """Distinct ``subject`` values in each level of ``factor`` (levels sorted, rows with
    either value missing left out); ``in_several``: subjects found in more than one level."""

    subject: str
    factor: str
    levels: tuple[str, ...]
    counts: tuple[int, ...]
    rows: tuple[int, ...]
    n_subjects: int
    in_several: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "subjects_per_level",
            "subject": self.subject,
            "factor": self.factor,
            "levels": [
                {"level": level, "subjects": count, "rows": rows}
                for level, count, rows in zip(self.levels, self.counts, self.rows, strict=True)
            ],
            "n_subjects": self.n_subjects,
            "in_several": list(self.in_several),
        }


def subjects_per_level(data: pd.DataFrame, subject: str, factor: str) -> SubjectsPerLevel:
    """Count the distinct subjects in each level of ``factor``."""
    for name in (subject, factor):
        if name not in data.columns:
            raise LmmInputError(f"There is no column called {name!r} in the data.")
    if subject == factor:
        raise LmmInputError(
            f"Counting {subject} within its own levels says nothing; name another column, "
            "e.g. the treatment arm."
        )
    frame = data[[subject, factor]].dropna()
    if frame.empty:
        raise LmmInputError(f"No row has both {subject} and {factor}.")
    keys = frame[factor].map(format_level)
    subjects = frame[subject].map(format_level)
    per_level = subjects.groupby(keys, sort=True).nunique()
    rows = keys.value_counts().reindex(per_level.index)
    levels_of_subject = keys.groupby(subjects, sort=True).nunique()
    return SubjectsPerLevel(
        subject=subject,
        factor=factor,
        levels=tuple(str(v) for v in per_level.index),
        counts=tuple(int(v) for v in per_level.to_numpy()),
        rows=tuple(int(v) for v in rows.to_numpy()),
        n_subjects=int(subjects.nunique()),
        in_several=tuple(str(s) for s in levels_of_subject[levels_of_subject > 1].index),
    )
