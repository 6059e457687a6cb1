"""What the answer says about column words it read loosely ("ses" for the column SES)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from assistant.narrate.blocks import Block, Paragraph
from assistant.narrate.interaction_test import interaction_choice_paragraph


def column_reading_blocks(readings: Iterable[Any]) -> list[Block]:
    """One sentence per distinct reading, said once per answer:
    "I took 'ses' to mean the column SES." """
    said: list[str] = []
    choices: list[Block] = []
    for reading in readings:
        if getattr(reading, "kind", None) == "interaction_choice":
            choices.append(interaction_choice_paragraph(reading))
            continue
        sentence = _reading_sentence(reading)
        if sentence not in said:
            said.append(sentence)
    columns: list[Block] = [Paragraph(sentence) for sentence in said]
    return columns + choices


def _reading_sentence(reading: Any) -> str:
    rule = getattr(reading, "rule", "")
    group = getattr(reading, "group", None)
    if rule == "random_slope":
        return (
            f"I took '{reading.word}' to mean the random slope of {reading.column} by "
            f"{group}, the model's only random slope."
        )
    if rule == "within_predictor":
        return (
            f"I took '{reading.word}' to mean the slope of {reading.column}: it is the "
            f"model's only numeric predictor that changes within each {group}, so the only "
            f"slope that can vary between levels of {group}."
        )
    if rule == "each_within_predictor":
        return (
            f"For '{reading.word}' I tested a random slope of {reading.column} by {group}: "
            f"{reading.column} changes within each {group}, so its slope can vary between "
            f"levels of {group}."
        )
    return f"I took '{reading.word}' to mean the column {reading.column}."
