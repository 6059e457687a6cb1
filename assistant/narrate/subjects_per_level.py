"""How many subjects each level of a factor has (``engine.subjects_per_level``)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table

#: Subjects in several levels named in the text, at most.
SHOWN = 5


def subjects_per_level_blocks(result: Any) -> list[Block]:
    """The count of distinct subjects per level, then what a factor that changes within
    subjects means for those counts."""
    subject, factor = result.subject, result.factor
    parts = [
        f"{level} {fmt.integer(count)}"
        for level, count in zip(result.levels, result.counts, strict=True)
    ]
    sentences = [
        f"{fmt.integer(result.n_subjects)} levels of {subject} across "
        f"{fmt.plural(len(result.levels), 'level')} of {factor}: {fmt.join_words(parts)} "
        f"(each {subject} counted once, however many rows it has)."
    ]
    several = result.in_several
    if several:
        shown = fmt.join_words(list(several[:SHOWN]))
        more = f" and {fmt.integer(len(several) - SHOWN)} more" if len(several) > SHOWN else ""
        sentences.append(
            f"{factor} changes within {fmt.plural(len(several), 'level')} of {subject} "
            f"({shown}{more}), which count in each of their levels, so the counts add up "
            f"to more than {fmt.integer(result.n_subjects)}."
        )
    else:
        sentences.append(f"{factor} stays the same within every {subject}.")
    rows = [
        [level, fmt.integer(count), fmt.integer(n_rows)]
        for level, count, n_rows in zip(result.levels, result.counts, result.rows, strict=True)
    ]
    return [
        Heading(f"{subject} per level of {factor}"),
        Paragraph(" ".join(sentences)),
        table([factor, subject, "rows"], rows, "lrr"),
    ]
