"""Is one level higher than another? (``step_results.LevelComparisonAnswer``): the
difference in the order the question named the levels, its interval and test, then the
answer to the question asked, direction first, significance second."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph

#: The level a difference must reach to be called statistically significant.
ALPHA = 0.05


def level_comparison_blocks(answer: Any, model: Any) -> list[Block]:
    diff = answer.difference
    test = diff.test
    factor, first, second = diff.factor, diff.first, diff.second
    observed = "higher" if test.estimate > 0 else "lower"
    size = fmt.magnitude(test.estimate, test.se)
    interval = (
        f"{fmt.level_percent(diff.level)} CI for {first} − {second}: "
        f"{fmt.interval(test.lower, test.upper, test.se)}"
    )
    if diff.df_method == "asymptotic" or not fmt.is_number(test.df):
        statistic = f"z = {fmt.statistic(test.t)}"
    else:
        statistic = f"t({fmt.degrees_of_freedom(test.df)}) = {fmt.statistic(test.t)}"
    if test.estimate == 0:
        finding = f"In {factor} {first}, {diff.response} is the same as in {factor} {second}"
    else:
        finding = (
            f"In {factor} {first}, {diff.response} is {size} {observed} than in "
            f"{factor} {second}"
        )
    blocks: list[Block] = [
        Heading(f"{factor} {first} against {factor} {second} ({model.title})"),
        Paragraph(f"{finding} ({interval}; {statistic}, {fmt.p_value(test.p)})."),
        Paragraph(_verdict(answer, observed)),
    ]
    notes = _grid_notes(diff)
    if notes:
        blocks.append(Paragraph(notes))
    return blocks


def _verdict(answer: Any, observed: str) -> str:
    """The answer to the question as asked: "is B higher than A?"."""
    diff = answer.difference
    asked = answer.direction
    first, second = diff.first, diff.second
    significant = fmt.is_number(diff.test.p) and diff.test.p < ALPHA
    percent = fmt.level_percent(1 - ALPHA)
    if observed == asked and significant:
        return (
            f"Yes: {first} is {asked} than {second}, and the difference is statistically "
            f"significant (its {percent} interval excludes 0)."
        )
    if observed == asked:
        return (
            f"Not clearly: {first} is {asked} than {second} in these data, but the "
            f"difference is not statistically significant (its {percent} interval includes "
            f"0), so the data do not show that {first} is {asked}."
        )
    if significant:
        return (
            f"No: {first} is {observed}, not {asked}, than {second}, and that difference "
            "is statistically significant."
        )
    return (
        f"No: {first} is {observed}, not {asked}, than {second} in these data, and the "
        "difference is not statistically significant either way."
    )


def _grid_notes(diff: Any) -> str:
    """Where the difference is taken when other predictors are in the model."""
    notes = []
    if diff.averaged_over:
        notes.append(
            f"It averages over {fmt.join_words(list(diff.averaged_over))} with equal "
            "weights (emmeans' reference grid)"
        )
    if diff.interacting:
        notes.append(
            f"{diff.factor} interacts with {fmt.join_words(list(diff.interacting))}, so "
            "the difference changes with it; this one is at the reference grid"
        )
    return ("; ".join(notes) + ".") if notes else ""
