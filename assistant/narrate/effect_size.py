"""The effect size of a fixed effect: Cohen's d of a factor with its denominator spelled
out (Westfall, Kenny & Judd 2014), or the standardized slope of a numeric predictor."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph


def effect_size_blocks(result: Any, model: Any) -> list[Block]:
    blocks: list[Block] = [Heading(f"Effect size of {result.variable}, {model.title}")]
    if result.kind == "numeric":
        blocks.append(Paragraph(_numeric(result)))
    else:
        for contrast in result.contrasts:
            blocks.append(Paragraph(_contrast(result, contrast)))
        blocks.append(Paragraph(_denominator_note(result, model)))
    if result.interactions:
        blocks.append(Paragraph(
            f"{result.variable} also enters {fmt.join_words(list(result.interactions))}, so its "
            "coefficient is the effect where the other variable of the interaction is at its "
            "reference level or zero, and so is this effect size."
        ))
    return blocks


def _numeric(result: Any) -> str:
    level = fmt.level_percent(result.level)
    return (
        f"{result.variable} is numeric, so the effect size is the standardized slope "
        f"β·SD({result.variable}) / SD({result.response}) = {fmt.number(result.estimate)} × "
        f"{fmt.number(result.sd_x)} / {fmt.number(result.sd_y)} = "
        f"{fmt.fixed(result.standardized, 2)} ({level} CI "
        f"{fmt.fixed(result.standardized_lower, 2)} to {fmt.fixed(result.standardized_upper, 2)}): "
        f"the change in {result.response}, in its standard deviations, per standard "
        f"deviation of {result.variable}. The SDs are sample SDs over the rows the model used "
        "and are treated as known in the interval. It is not a Cohen's d, which compares two "
        "groups."
    )


def _contrast(result: Any, c: Any) -> str:
    level = fmt.level_percent(result.level)
    versus = f"{c.level} vs {result.reference}" if result.reference else c.level
    parts = [_part_words(p, result, c) for p in c.parts]
    parts.append(f"residual variance {fmt.number(c.residual_variance)}")
    return (
        f"Cohen's d for {versus}: d = β / SD = {fmt.number(c.estimate)} / "
        f"{fmt.number(c.sd_total)} = {fmt.fixed(c.d, 2)} ({level} CI {fmt.fixed(c.d_lower, 2)} "
        f"to {fmt.fixed(c.d_upper, 2)}; {_size_label(c.d)} by Cohen's rough labels 0.2, 0.5, "
        f"0.8). SD = √({' + '.join(parts)}) = √{fmt.number(c.total_variance)}."
    )


def _part_words(part: Any, result: Any, c: Any) -> str:
    if part.intercept_only:
        return f"{part.group} intercept variance {fmt.number(part.variance)}"
    return (
        f"{part.group} random-effect variance averaged over {result.reference or 'the reference'}"
        f" and {c.level} {fmt.number(part.variance)} (with ±½ contrast codes: intercept "
        "variance + ¼ × slope variance)"
    )


def _denominator_note(result: Any, model: Any) -> str:
    groups = {p.group for c in result.contrasts for p in c.parts}
    crossed = (" For crossed random factors this is the d of Brysbaert & Stevens (2018)."
               if len(groups) > 1 else "")
    return (
        f"The denominator is the standard deviation of {result.response} around a condition's "
        "mean with every source of variation included: each random effect's variance and "
        f"the residual variance (Westfall, Kenny & Judd 2014).{crossed} The interval is the "
        f"coefficient's own interval divided by the same SD, treating the SD as known, so it "
        "is a little too narrow."
    )


def _size_label(d: float) -> str:
    size = abs(d)
    if size < 0.2:
        return "negligible"
    if size < 0.5:
        return "small"
    if size < 0.8:
        return "medium"
    return "large"
