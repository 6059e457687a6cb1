"""Why the data offer no outcome to analyse, in one sentence with its fix.

Asked when a model or plot cannot find its outcome: wide data (one column per time point)
and a column of numbers read as text because of a few words ('missing', '.') are the
usual causes in people's own files.
"""

from __future__ import annotations

import pandas as pd

from engine.data import describe_data
from engine.missing_codes import stray_text_fix


def outcome_problem(data: pd.DataFrame) -> str | None:
    """The sentence naming why no column can serve as the outcome, or None."""
    summary = describe_data(data)
    if summary.layout == "wide":
        stubs = ", ".join(f"{s}_…" for s in summary.wide_stubs)
        return (
            f"The data are in wide format (repeated columns {stubs}); say "
            "`reshape from wide to long format first`, then ask again."
        )
    for column in summary.columns:
        if column.stray_text:
            entries = ", ".join(f"'{v}'" for v in column.stray_text)
            word = "entry" if len(column.stray_text) == 1 else "entries"
            return (
                f"`{column.name}` holds numbers but was read as text because of the {word} "
                f"{entries}, so I could not use it as the outcome; "
                f"{stray_text_fix(column.stray_text)}."
            )
    return None
