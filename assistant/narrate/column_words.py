"""What the answer says about column words it read loosely ("ses" for the column SES)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assistant.narrate.blocks import Block, Paragraph
from assistant.narrate.interaction_test import interaction_choice_paragraph


def column_reading_blocks(readings: Iterable[Any]) -> list[Block]:
    """One sentence per distinct reading, said once per answer:
    "I took 'ses' to mean the column SES." """
    said: list[tuple[str, str]] = []
    choices: list[Block] = []
    for reading in readings:
        if getattr(reading, "kind", None) == "interaction_choice":
            choices.append(interaction_choice_paragraph(reading))
            continue
        pair = (reading.word, reading.column)
        if pair not in said:
            said.append(pair)
    columns: list[Block] = [
        Paragraph(f"I took '{word}' to mean the column {column}.") for word, column in said
    ]
    return columns + choices
