"""Words for "how many patients dropped out before month 6?" (engine.dropout_timing)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def dropout_before_blocks(result: Any) -> list[Block]:
    subject, time = result.subject, result.time
    cutoff = _time(result.cutoff)
    n = result.n_dropped_before
    subjects = fmt.plural(result.n_subjects, subject, f"{subject}s")
    if n == 0:
        lead = (f"None of the {subjects} dropped out before {time} {cutoff}: every one was "
                f"seen at {time} {cutoff} or later.")
        return [Heading(f"Dropout before {time} {cutoff}"), Paragraph(lead)]
    lasts = fmt.join_words([f"{time} {_time(v.time)} ({fmt.integer(v.n_subjects)})"
                            for v in result.by_last_visit])
    lead = (
        f"{fmt.integer(n)} of {subjects} dropped out before {time} {cutoff}: they have no "
        f"observation at {time} {cutoff} or later. Their last visit was at {lasts}."
    )
    if result.n_with_earlier_gap:
        lead += (f" {fmt.integer(result.n_with_earlier_gap)} of them had also missed a visit "
                 "before leaving.")
    rows = [[_time(v.time), fmt.integer(v.n_subjects)] for v in result.by_last_visit]
    return [Heading(f"Dropout before {time} {cutoff}"), Paragraph(lead),
            table([f"Last {time} seen", f"{subject}s"], rows)]


def _time(value: float) -> str:
    """A time point as the data write it: 6, not 6.00; 2.5 as 2.5."""
    return f"{value:g}"
