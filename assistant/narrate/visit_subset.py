"""Each subject's first or last time points kept or dropped, in words.

The numbers come from ``engine.visit_subset.VisitSubsetResult``; nothing is computed here.
"""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph, code
from assistant.narrate.subset import (
    follow_up,
    guessed_columns,
    kept_rows_head,
    levels_remain,
    lost_levels_note,
    single_valued_note,
)
from assistant.step_results import VisitSubset


def _which(r: Any) -> str:
    """ "first 3 time points", "last time point", "time points 2 to 4"."""
    if r.start == 1:
        noun = "time point" if r.stop == 1 else f"{r.stop} time points"
        return f"{r.from_end} {noun}"
    counted = "" if r.from_end == "first" else " counted from the last"
    return f"time points {r.start} to {r.stop}{counted}"


def _roles(outcome: VisitSubset) -> str:
    """Which columns were used, and which of them the session guessed."""
    r = outcome.result
    ranked = f"ranked by {r.time} within each {r.subject}"
    guess = guessed_columns(outcome.guessed, r.subject, r.time)
    return f"{ranked}; {guess}" if guess else ranked


def _levels(count: int, subject: str) -> str:
    """ "1 level of patient", "3 levels of patient"."""
    return f"{fmt.plural(count, 'level')} of {subject}"


def visit_subset_blocks(outcome: VisitSubset) -> list[Block]:
    r = outcome.result
    which = f"each {r.subject}'s {_which(r)}"
    if r.n_removed == 0:
        kept = "keeps every row" if r.action == "keep" else "matches no row"
        return [
            Paragraph(
                f"Selecting {which} ({_roles(outcome)}) {kept} of `{outcome.parent}`: no "
                f"{r.subject} has more than {fmt.plural(r.max_time_points, 'time point')}. "
                f"Nothing was removed, so `{outcome.parent}` is unchanged and stays the "
                "current data."
            )
        ]
    did = f"kept {which}" if r.action == "keep" else f"removed {which}"
    blocks: list[Block] = [
        Paragraph(
            f"{kept_rows_head(r, outcome.parent, outcome.name)}: {did} "
            f"({_roles(outcome)}). {levels_remain(r)}"
        )
    ]
    notes = []
    if r.subjects_lost:
        notes.append(lost_levels_note(r.subjects_lost, r.subject))
    if r.n_subjects_short and r.action == "keep" and r.start == 1:
        notes.append(
            f"{_levels(r.n_subjects_short, r.subject)} had fewer than {r.stop} time points "
            "and keep all they have."
        )
    if r.n_unranked:
        one = r.n_unranked == 1
        if r.action == "keep":
            fate = "was left out" if one else "were left out"
        else:
            fate = "stays in" if one else "stay in"
        notes.append(
            f"{fmt.plural(r.n_unranked, 'row')} with no {r.subject} or {r.time} value cannot "
            f"be placed in order and {fate}."
        )
    if outcome.other_times:
        others = fmt.join_words(list(outcome.other_times))
        notes.append(
            f"{others} also {'varies' if len(outcome.other_times) == 1 else 'vary'} within "
            f"{r.subject}; to count time points by it, say "
            f"{code(f'switch to {outcome.parent}')} and then e.g. "
            f"{code(f'keep the first 3 visits by {outcome.other_times[0]}')}."
        )
    if r.single_valued:
        notes.append(single_valued_note(r.single_valued))
    if notes:
        blocks.append(Paragraph(" ".join(notes)))
    blocks.append(follow_up(outcome.parent, outcome.parent_model, outcome.refit_follows))
    return blocks
