"""What the answer says about column words it read loosely ("ses" for the column SES)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assistant.narrate.blocks import Block, Paragraph


def column_reading_blocks(readings: Iterable[Any]) -> list[Block]:
    """One sentence per distinct reading, said once per answer:
    "I took 'ses' to mean the column SES." """
    said: list[tuple[str, str]] = []
    for reading in readings:
        pair = (reading.word, reading.column)
        if pair not in said:
            said.append(pair)
    return [Paragraph(f"I took '{word}' to mean the column {column}.") for word, column in said]
