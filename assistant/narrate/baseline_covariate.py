"""The baseline taken out as a covariate and the refit, in words.

The numbers come from ``engine.baseline_covariate.BaselineCovariateResult`` and the
refitted model; nothing is computed here.
"""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph, code
from assistant.narrate.subset import listed
from assistant.step_results import BaselineCovariateOutcome


def _lacking(r: Any) -> str:
    """Who had no baseline or no follow-up, and what that cost."""
    parts = []
    n = len(r.subjects_without_baseline)
    if n:
        parts.append(
            f"{fmt.plural(n, r.subject)} had no {r.outcome} observed at the baseline and "
            f"{'was' if n == 1 else 'were'} dropped with "
            f"{'its' if n == 1 else 'their'} {fmt.plural(r.n_rows_without_baseline, 'later row')} "
            f"({listed(list(r.subjects_without_baseline))})"
        )
    else:
        parts.append(
            f"every {r.subject} had {r.outcome} observed at the baseline, so none was dropped"
        )
    m = len(r.subjects_without_follow_up)
    if m:
        parts.append(
            f"{fmt.plural(m, r.subject)} had a baseline but no later row and "
            f"{'drops' if m == 1 else 'drop'} out ({listed(list(r.subjects_without_follow_up))})"
        )
    return "; ".join(parts)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def baseline_covariate_blocks(
    outcome: BaselineCovariateOutcome, fit_blocks: list[Block]
) -> list[Block]:
    r = outcome.result
    at = f"{r.time} = {fmt.value(r.start)}"
    base = (f"added it to {outcome.base.title}" if outcome.base is not None
            else "added it to the usual model of the data")
    earlier = (f" and the {fmt.plural(r.n_earlier_rows, 'row')} before it"
               if r.n_earlier_rows else "")
    head = (
        f"Adjusted for the baseline: each {r.subject}'s {r.outcome} at {at} became the "
        f"covariate {r.column} (mean {fmt.number(r.baseline_mean)}, SD "
        f"{fmt.number(r.baseline_sd)} over {fmt.integer(r.n_subjects_after)} "
        f"{r.subject}s), the {fmt.plural(r.n_baseline_rows, 'row')} at {at}{earlier} left "
        f"the outcome, and I {base} and refitted it on the follow-up rows: "
        f"{fmt.integer(r.n_after)} of {fmt.integer(r.n_before)} rows of `{outcome.parent}`, "
        f"kept as `{outcome.name}`. {_sentence(_lacking(r))}."
    )
    notes = []
    if r.n_repeated_baseline:
        notes.append(
            f"{fmt.plural(r.n_repeated_baseline, r.subject)} had several rows at {at}; "
            "their mean is the baseline."
        )
    if r.n_no_time:
        notes.append(f"{fmt.plural(r.n_no_time, 'row')} with no {r.time} value left the data.")
    notes.append(
        f"The {r.column} coefficient is the change in follow-up {r.outcome} per unit of "
        f"baseline; the other effects are now adjusted for where each {r.subject} started. "
        f"Say {code('undo')} to go back."
    )
    return [Paragraph(head), *fit_blocks, Paragraph(" ".join(notes))]
