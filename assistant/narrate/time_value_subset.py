"""Rows kept or dropped by the time column's values ("exclude the first two days"), in
words. The numbers come from ``engine.time_value_subset.TimeValueSubsetResult``."""

from __future__ import annotations

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph
from assistant.narrate.subset import (
    follow_up,
    guessed_columns,
    kept_rows_head,
    levels_remain,
    listed,
    lost_levels_note,
    single_valued_note,
)
from assistant.step_results import TimeValueSubset


def _values(values: tuple[float, ...]) -> str:
    return listed([f"{v:g}" for v in values])


def _roles(outcome: TimeValueSubset) -> str:
    r = outcome.result
    guess = guessed_columns(outcome.guessed, r.subject, r.time)
    return f" ({guess})" if guess else ""


def time_value_subset_blocks(outcome: TimeValueSubset) -> list[Block]:
    r = outcome.result
    at = f"{r.time} = {_values(r.values_named)}"
    if r.n_removed == 0:
        return [Paragraph(
            f"Keeping the rows at {at} keeps every row of `{outcome.parent}`; nothing was "
            f"removed, so `{outcome.parent}` is unchanged and stays the current data."
        )]
    did = f"dropped the rows at {at}" if r.action == "drop" else f"kept only the rows at {at}"
    n_left = fmt.plural(len(r.values_left), "value")
    left = f"{r.time} now takes {n_left}: {_values(r.values_left)}"
    blocks: list[Block] = [Paragraph(
        f"{kept_rows_head(r, outcome.parent, outcome.name)}: {did}{_roles(outcome)}; "
        f"{left}. {levels_remain(r)}"
    )]
    notes = []
    if r.subjects_lost:
        notes.append(lost_levels_note(r.subjects_lost, r.subject))
    if r.n_no_time:
        fate = "left out" if r.action == "keep" else "kept"
        verb = "was" if r.n_no_time == 1 else "were"
        notes.append(f"{fmt.plural(r.n_no_time, 'row')} with no {r.time} value {verb} {fate}.")
    if r.single_valued:
        notes.append(single_valued_note(r.single_valued))
    if notes:
        blocks.append(Paragraph(" ".join(notes)))
    blocks.append(follow_up(outcome.parent, outcome.parent_model, outcome.refit_follows))
    return blocks
