"""A factor's levels at the first time point (``engine.baseline_comparison``): the
observed means and SDs, then the model's marginal means there."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table
from assistant.narrate.marginal_means import marginal_means_blocks


def _time_text(result: Any) -> str:
    first = result.first_time
    shown = fmt.value(first) if isinstance(first, float) else str(first)
    return f"{result.time} = {shown}"


def _observed_sentence(result: Any) -> str:
    parts = [
        f"{o.level} {fmt.value(o.mean)} (SD {fmt.value(o.sd)}, n = {fmt.integer(o.n)})"
        for o in result.observed
    ]
    sentence = f"Observed mean {result.response} at {_time_text(result)}: {fmt.join_words(parts)}."
    diff = result.observed_difference
    if diff is not None:
        first, second = result.observed[0].level, result.observed[1].level
        sentence += (
            f" {second} − {first} = {fmt.estimate(diff.estimate, diff.se)} "
            f"({fmt.level_percent(result.level)} CI "
            f"{fmt.interval(diff.lower, diff.upper, diff.se)}; Welch's "
            f"t({fmt.degrees_of_freedom(diff.df)}) = {fmt.statistic(diff.t)}, "
            f"{fmt.p_value(diff.p)})."
        )
    return sentence


def _model_note(result: Any) -> str:
    if result.time_interacts:
        return (
            f"The model lets the {result.factor} difference change with {result.time}, so "
            f"its means below are its estimate at {_time_text(result)}."
        )
    return (
        f"The model has no {result.factor} by {result.time} interaction, so its "
        f"{result.factor} difference below is the same at every {result.time}: it is not an "
        f"estimate for {_time_text(result)} alone, the observed one above is. To let the "
        f"difference change over {result.time}, ask `does the {result.factor} effect change "
        f"over {result.time}?`."
    )


def baseline_comparison_blocks(result: Any, model: Any) -> list[Block]:
    rows = [
        [o.level, fmt.integer(o.n), fmt.value(o.mean), fmt.value(o.sd)]
        for o in result.observed
    ]
    blocks: list[Block] = [
        Heading(f"{result.factor} at the first time point ({_time_text(result)}), "
                f"{model.title}"),
        table([result.factor, "n", f"Mean {result.response}", "SD"], rows, "lrrr"),
        Paragraph(_observed_sentence(result)),
        Paragraph(
            "If the groups were randomised, a difference at the start is chance by design: "
            "it shows how balanced they were, not an effect of the groups."
        ),
        Paragraph(_model_note(result)),
    ]
    return blocks + marginal_means_blocks(result.model, model)
