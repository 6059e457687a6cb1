"""How many rows each level of a grouping factor has (``engine.cluster_sizes``)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def _rows_word(result: Any) -> str:
    return result.unit or ("rows" if result.unit_column is None else result.unit_column)


def _levels(pairs: tuple[tuple[str, int], ...], n_at_extreme: int, group: str) -> str:
    """The levels named with their sizes, or how many share the extreme size when more
    do than are named (naming a few of 50 equal ones would single them out)."""
    if n_at_extreme > len(pairs):
        return f"{fmt.integer(n_at_extreme)} levels of {group} with {fmt.integer(pairs[0][1])}"
    return fmt.join_words([f"{level} ({fmt.integer(size)})" for level, size in pairs])


def cluster_sizes_blocks(result: Any) -> list[Block]:
    """The number of clusters and rows, the spread of the cluster sizes, and the smallest
    and largest clusters by name."""
    group, rows = result.group, _rows_word(result)
    low, high = result.minimum, result.maximum
    spread = (
        f"every {group} has {fmt.integer(low)}" if low == high
        else f"{fmt.integer(low)} to {fmt.integer(high)} per {group}, median "
        f"{fmt.value(result.median)}, mean {fmt.value(result.mean)}, the middle half "
        f"between {fmt.value(result.lower_quartile)} and {fmt.value(result.upper_quartile)}"
    )
    sentences = [
        f"{fmt.integer(result.n_units)} {rows} in {fmt.integer(result.n_clusters)} levels of "
        f"{group}: {spread}."
    ]
    if low != high and result.smallest:
        sentences.append(
            f"Smallest: {_levels(result.smallest, result.n_at_minimum, group)}; largest: "
            f"{_levels(result.largest, result.n_at_maximum, group)}."
        )
    if result.n_missing_group:
        missing = group if result.unit_column is None else f"{group} or {result.unit_column}"
        sentences.append(
            f"{fmt.plural(result.n_missing_group, 'row')} with no {missing} "
            f"{'is' if result.n_missing_group == 1 else 'are'} not counted."
        )
    statistics = [
        ["smallest", fmt.integer(low)],
        ["lower quartile", fmt.value(result.lower_quartile)],
        ["median", fmt.value(result.median)],
        ["upper quartile", fmt.value(result.upper_quartile)],
        ["largest", fmt.integer(high)],
        ["mean", fmt.value(result.mean)],
    ]
    blocks: list[Block] = [
        Heading(f"{rows.capitalize()} per {group}"),
        Paragraph(" ".join(sentences)),
        table([f"{rows} per {group}", "value"], statistics, "lr"),
    ]
    if low != high and result.size_counts:
        blocks.append(table(
            [f"{rows} per {group}", f"levels of {group}"],
            [[fmt.integer(size), fmt.integer(n)] for size, n in result.size_counts], "rr",
        ))
    return blocks
