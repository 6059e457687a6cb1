"""Words for "is the drop in pain from baseline to month 6 bigger in the treated group?"
(engine.change_between_times): each group's change, the difference of the changes, and
what the model assumed."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table
from assistant.narrate.tables import DDF_NAMES


def change_between_times_blocks(result: Any, model: Any) -> list[Block]:
    y, time = result.response, result.time
    span = f"from {time} = {fmt.value(result.start)} to {time} = {fmt.value(result.end)}"
    level = fmt.level_percent(result.level)
    rows = [
        [c.level, fmt.estimate(c.test.estimate, c.test.se), fmt.number(c.test.se),
         fmt.estimate(c.test.lower, c.test.se), fmt.estimate(c.test.upper, c.test.se),
         fmt.degrees_of_freedom(c.test.df), fmt.statistic(c.test.t), fmt.p_cell(c.test.p)]
        for c in result.changes
    ]
    blocks: list[Block] = [
        Heading(f"Change in {y} {span} by {result.factor}, {model.title}"),
        Paragraph(_lead(result, span, level)),
        table([result.factor, "Change", "SE", f"{level} lower", f"{level} upper", "df", "t",
               "p"], rows, "lrrrrrrr"),
    ]
    if result.differences:
        diff_rows = [
            [f"{d.level1} − {d.level2}", fmt.estimate(d.test.estimate, d.test.se),
             fmt.number(d.test.se), fmt.estimate(d.test.lower, d.test.se),
             fmt.estimate(d.test.upper, d.test.se), fmt.degrees_of_freedom(d.test.df),
             fmt.statistic(d.test.t), fmt.p_cell(d.test.p)]
            for d in result.differences
        ]
        blocks.append(table(["Difference of changes", "Estimate", "SE", f"{level} lower",
                             f"{level} upper", "df", "t", "p"], diff_rows, "lrrrrrrr"))
    blocks.append(Paragraph(_how(result)))
    return blocks


def _lead(result: Any, span: str, level: str) -> str:
    y = result.response
    changes = "; ".join(
        f"{c.level} {fmt.estimate(c.test.estimate, c.test.se)} ({level} CI "
        f"{_interval(c.test)})"
        for c in result.changes
    )
    text = f"By the model, {y} changes {span} by: {changes}."
    if not result.time_interacts:
        return text + (
            f" The model has no {result.time} × {result.factor} interaction, so it gives every "
            f"level of {result.factor} the same change by construction; to let the changes "
            f"differ, fit `{y} ~ {result.time} * {result.factor}` with the same random effects "
            "and ask again."
        )
    if len(result.differences) == 1:
        d = result.differences[0]
        verdict = ("a difference the data support at the 5% level" if d.test.p < 0.05
                   else "the data do not show that the changes differ")
        text += (
            f" The change in {d.level1} minus that in {d.level2} is "
            f"{fmt.estimate(d.test.estimate, d.test.se)} ({level} CI "
            f"{_interval(d.test)}; t({fmt.degrees_of_freedom(d.test.df)}) "
            f"= {fmt.statistic(d.test.t)}, {fmt.p_value(d.test.p)}): {verdict}."
        )
    return text


def _interval(test: Any) -> str:
    return f"{fmt.estimate(test.lower, test.se)} to {fmt.estimate(test.upper, test.se)}"


def _how(result: Any) -> str:
    held = (f" Other factors ({', '.join(result.averaged_over)}) are averaged with equal "
            "weights." if result.averaged_over else "")
    return (
        f"Each change is the model's mean at {result.time} = {fmt.value(result.end)} minus its "
        f"mean at {result.time} = {fmt.value(result.start)} in that group (emmeans' reference "
        "grid; continuous covariates at their means)." + held + " Tests use "
        f"{DDF_NAMES.get(result.df_method, result.df_method)} degrees of freedom, as lmerTest's "
        "contest1D does. This compares the model's fitted changes, which use every "
        "observation, not only the patients seen at both times."
    )
