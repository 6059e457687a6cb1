"""Which of two grouping factors varies more (``engine.variance_contrast``): the larger
first, by how much (SDs and the ratio of variances), with profile intervals and what
their overlap does and does not say."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def _plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def variance_contrast_blocks(contrast: Any, model: Any) -> list[Block]:
    first, second = contrast.first, contrast.second
    larger, smaller = (first, second) if first.variance >= second.variance else (second, first)
    ratio = larger.variance / smaller.variance if smaller.variance > 0 else float("inf")
    percent = fmt.level_percent(contrast.level)
    if smaller.variance > 0:
        how_much = (f"the {larger.group} variance is {fmt.number(ratio)} times the "
                    f"{smaller.group} variance")
    else:
        how_much = f"the {smaller.group} variance is estimated at zero"
    lead = (
        f"{_plural(larger.group).capitalize() if larger.group.islower() else larger.group} "
        f"vary more than {_plural(smaller.group)}: the SD of the {larger.group} intercepts "
        f"is {fmt.number(larger.sd)} against {fmt.number(smaller.sd)} for "
        f"{_plural(smaller.group)} ({how_much}: {fmt.number(larger.variance)} against "
        f"{fmt.number(smaller.variance)}; the residual variance is "
        f"{fmt.number(contrast.residual_variance)})."
    )
    if contrast.intervals_overlap:
        settled = (
            f"The {percent} profile intervals of the two SDs overlap, so these data do not "
            f"clearly show which factor varies more (overlapping intervals are a rough "
            "guide, not a test)."
        )
    else:
        settled = (
            f"The {percent} profile intervals of the two SDs do not overlap: "
            f"{_plural(larger.group)} vary more than {_plural(smaller.group)}."
        )
    rows = [
        [v.group, fmt.number(v.variance), fmt.number(v.sd),
         f"{fmt.number(v.sd_lower)} to {fmt.number(v.sd_upper)}"]
        for v in (larger, smaller)
    ]
    blocks: list[Block] = [
        Heading(f"{larger.group} against {smaller.group} variation ({model.title})"),
        Paragraph(lead),
        table(["Group", "Intercept variance", "SD", f"{percent} profile CI of SD"], rows,
              "lrrr"),
        Paragraph(settled),
    ]
    with_slopes = [v.group for v in (first, second) if v.has_slopes]
    if with_slopes:
        blocks.append(Paragraph(
            f"{fmt.join_words(with_slopes)} also {'has' if len(with_slopes) == 1 else 'have'} "
            "random slopes: the intercept variance compared here is the variation where "
            "the slope variables are 0."
        ))
    return blocks
