"""Words for "what is the mean rating in condition A?": the observed mean of that level
beside the model's estimated marginal mean and its interval (engine.level_mean)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph


def level_mean_blocks(result: Any, model: Any) -> list[Block]:
    y, factor, level = result.response, result.factor, result.level
    test = result.estimate
    spread = (f", SD {fmt.number(result.observed_sd)}" if fmt.is_number(result.observed_sd)
              else "")
    observed = (
        f"Observed: the {fmt.plural(result.n, 'observation')} in {factor} {level} that the "
        f"model used have a mean {y} of {fmt.number(result.observed_mean)}{spread}."
    )
    estimated = (
        f"Estimated by {model.title}: {fmt.number(test.estimate)} "
        f"({fmt.level_percent(result.interval_level)} CI "
        f"{fmt.interval(test.lower, test.upper, test.se)}; SE {fmt.number(test.se)}), the "
        f"estimated marginal mean of {factor} {level}."
    )
    blocks: list[Block] = [
        Heading(f"Mean {y} in {factor} {level} ({model.title})"),
        Paragraph(observed),
        Paragraph(estimated),
        Paragraph(_why_they_differ(result)),
    ]
    return blocks


def _why_they_differ(result: Any) -> str:
    """What the model's number allows for, and why only it has an interval."""
    grid = []
    if result.averaged_over:
        grid.append(f"averages over {fmt.join_words(list(result.averaged_over))} with equal "
                    "weights")
    if result.held_at_mean:
        held = [f"{name} = {fmt.number(value)}" for name, value in result.held_at_mean.items()]
        grid.append(f"holds {fmt.join_words(held)} (their means)")
    where = f" It {' and '.join(grid)} (emmeans' reference grid)." if grid else ""
    return (
        "The model's mean weighs the groups by how much each one tells about the level, "
        "and its interval includes the variation between them." + where
        + " The observed mean weighs every row alike and gets no interval here, because "
        "rows from the same group are not independent."
    )
