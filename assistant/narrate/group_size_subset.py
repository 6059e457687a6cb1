"""Whole subjects dropped or kept by their number of usable rows, in words.

The numbers come from ``engine.group_size_subset.GroupSizeSubsetResult``; nothing is
computed here.
"""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph
from assistant.narrate.subset import (
    follow_up,
    kept_rows_head,
    levels_remain,
    lost_levels_note,
    single_valued_note,
)
from assistant.step_results import GroupSizeSubset
from grammar.plan import SIZE_BOUND_WORDS


def _bound(r: Any) -> str:
    """ "fewer than 2 usable rows", "at least 3 usable rows"."""
    rows = "usable row" if r.count == 1 else "usable rows"
    return f"{SIZE_BOUND_WORDS[r.operator]} {r.count} {rows}"


def _counted(r: Any) -> str:
    """What makes a row count toward its subject."""
    if not r.counted:
        return "every row counts"
    return f"a row counts when it has a value for {fmt.join_words(list(r.counted))}"


def _sizes(r: Any) -> str:
    """ "Before: 3 patients had 2 usable rows, 27 had 3 and 50 had 4." """
    parts = []
    for index, (size, n) in enumerate(sorted(r.sizes.items())):
        who = f"{fmt.integer(n)} {r.group}{'' if n == 1 else 's'}" if index == 0 else fmt.integer(n)
        rows = f" usable row{'' if size == 1 else 's'}" if index == 0 else ""
        parts.append(f"{who} had {fmt.integer(size)}{rows}")
    return f"Before: {fmt.join_words(parts)}."


def _what_changed(r: Any) -> str:
    lost = r.n_subjects_removed
    levels = f"{fmt.integer(lost)} {r.group}{'' if lost == 1 else 's'}"
    rows = fmt.plural(r.n_removed, "row")
    if r.action == "drop":
        return f"removed the {levels} with {_bound(r)} ({rows})"
    kept = fmt.integer(r.n_subjects_after)
    return (f"kept the {kept} {r.group}{'' if r.n_subjects_after == 1 else 's'} with "
            f"{_bound(r)} and removed the other {levels} ({rows})")


def group_size_subset_blocks(outcome: GroupSizeSubset) -> list[Block]:
    r = outcome.result
    guess = f"; {r.group} is my guess for the subject column" if outcome.guessed else ""
    if r.n_removed == 0:
        who = "No" if r.action == "drop" else "Every"
        return [
            Paragraph(
                f"{who} {r.group} of `{outcome.parent}` has {_bound(r)}{guess}, and "
                f"{_counted(r)}. {_sizes(r)} Nothing was removed, so `{outcome.parent}` is "
                "unchanged and stays the current data."
            )
        ]
    blocks: list[Block] = [
        Paragraph(
            f"{kept_rows_head(r, outcome.parent, outcome.name)}: {_what_changed(r)}"
            f"{guess}, and {_counted(r)}. {levels_remain(r)}"
        )
    ]
    notes = [lost_levels_note(r.subjects_lost, r.group), _sizes(r)]
    if r.n_rows_unassigned:
        one = r.n_rows_unassigned == 1
        fate = ("stays in" if one else "stay in") if r.action == "drop" else (
            "was left out" if one else "were left out")
        notes.append(
            f"{fmt.plural(r.n_rows_unassigned, 'row')} with no {r.group} value {fate}."
        )
    if r.single_valued:
        notes.append(single_valued_note(r.single_valued))
    blocks.append(Paragraph(" ".join(notes)))
    blocks.append(follow_up(outcome.parent, outcome.parent_model, outcome.refit_follows))
    return blocks
