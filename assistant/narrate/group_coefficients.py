"""Words for each level's own coefficients (lme4's ``coef(m)``, engine.group_coefficients)."""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Detail, Heading, Paragraph, table
from assistant.narrate.terms import INTERCEPT_NAMES

#: Levels shown in the brief answer; the rest are in the detailed one and the JSON.
_TABLE_LIMIT = 40


def group_coefficient_blocks(result: Any, model: Any) -> list[Block]:
    """Per grouping factor: what the coefficients are, their spread, and the table."""
    blocks: list[Block] = [Heading(f"Each level's coefficients, {model.title}")]
    for coefficients in result.tables:
        blocks.extend(_table_blocks(coefficients))
    return blocks


def _term_name(term: str) -> str:
    return "intercept" if term in INTERCEPT_NAMES else f"{term} slope"


def _table_blocks(coefficients: Any) -> list[Block]:
    group = coefficients.group
    varying = list(coefficients.varying)
    fixed_only = [t for t in coefficients.terms if t not in coefficients.varying]
    text = (
        f"For each level of {group}, its own {fmt.join_words([_term_name(t) for t in varying])}: "
        f"the fixed effect plus that {group}'s BLUP (R's `coef()`)."
    )
    if fixed_only:
        fixed = dict(zip(coefficients.terms, coefficients.fixed, strict=True))
        same = fmt.join_words([f"{t} ({fmt.number(fixed[t])})" for t in fixed_only])
        text += (
            f" The other coefficients have no random effect for {group} and are the same "
            f"for every level: {same}."
        )
    blocks: list[Block] = [Paragraph(text)]
    spreads = []
    for term in varying:
        column = coefficients.column(term)
        low, high = int(np.argmin(column)), int(np.argmax(column))
        spreads.append(
            f"the {_term_name(term)} runs from {fmt.number(column[low])} ({group} "
            f"{coefficients.levels[low]}) to {fmt.number(column[high])} ({group} "
            f"{coefficients.levels[high]}), around the fixed effect "
            f"{fmt.number(coefficients.fixed[coefficients.terms.index(term)])}"
        )
    blocks.append(Paragraph(f"Across the {len(coefficients.levels)} levels, "
                            f"{'; '.join(spreads)}."))
    columns = [group, *coefficients.terms]
    rows = [[level, *(fmt.number(v) for v in row)]
            for level, row in zip(coefficients.levels, coefficients.values, strict=True)]
    align = "l" + "r" * len(coefficients.terms)
    caption = f"Coefficients per {group}"
    if len(rows) > _TABLE_LIMIT:
        blocks.append(Paragraph(f"The first {_TABLE_LIMIT} levels are shown here; all of "
                                "them are in the detailed answer and the JSON."))
        blocks.append(table(columns, rows[:_TABLE_LIMIT], align, caption=caption))
        blocks.append(Detail((table(columns, rows[_TABLE_LIMIT:], align),)))
    else:
        blocks.append(table(columns, rows, align, caption=caption))
    return blocks
