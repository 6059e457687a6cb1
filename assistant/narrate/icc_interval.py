"""The ICC with its confidence interval (``engine.icc_interval``), in words."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table
from assistant.narrate.variance import icc_meaning


def icc_interval_blocks(result: Any, model: Any) -> list[Block]:
    level = fmt.level_percent(result.level)
    blocks: list[Block] = [Heading(f"ICC with its {level} confidence interval, {model.title}")]
    if result.method == "profile":
        row = result.limits[0]
        blocks.append(Paragraph(
            f"ICC = {fmt.proportion(row.estimate)} ({level} CI {fmt.proportion(row.lower)} to "
            f"{fmt.proportion(row.upper)}): between {fmt.percent(row.lower)} and "
            f"{fmt.percent(row.upper)} of the variance not explained by the fixed effects "
            f"plausibly lies between levels of {row.group}. {icc_meaning(row.estimate)}"
        ))
        blocks.append(Paragraph(_profile_how(result, row)))
        return blocks
    blocks.append(table(
        ["Grouping factor", "ICC", f"{level} interval"],
        [[row.group, fmt.proportion(row.estimate),
          f"{fmt.proportion(row.lower)} to {fmt.proportion(row.upper)}"]
         for row in result.limits],
    ))
    blocks.append(Paragraph(_bootstrap_how(result)))
    return blocks


def _profile_how(result: Any, row: Any) -> str:
    text = (
        f"The interval is the profile-likelihood one: the values of the ICC whose "
        f"{result.criterion} criterion, with the fixed effects and the residual variance "
        f"re-estimated, lies within the χ²(1) cutoff of its minimum. It follows the "
        f"ICC's own scale, so it need not be symmetric and stays between 0 and 1."
    )
    if result.lower_at_zero:
        text += (
            f" The lower limit is 0: the data are compatible with no variation between "
            f"levels of {row.group} at all."
        )
    return text


def _bootstrap_how(result: Any) -> str:
    text = (
        f"Each ICC is the share of the variance (not explained by the fixed effects) that two "
        f"observations sharing that level have in common. Its interval is the parametric "
        f"bootstrap's percentile interval: {fmt.integer(result.n_used)} of {result.nsim} "
        f"responses simulated from the fitted model and refitted by {result.criterion} "
        f"(seed {result.seed}; the same seed gives the same interval)."
    )
    if result.n_singular:
        text += (
            f" {fmt.integer(result.n_singular)} refits had a variance at zero, which puts "
            f"weight at the lower end."
        )
    return text
