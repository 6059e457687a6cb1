"""Ceiling and floor effects: the shares at the outcome's bounds against Terwee et al.'s
15% criterion, and the skewness of the outcome and of the residuals."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph

_WORDS = {"ceiling": ("ceiling", "maximum", "highest"), "floor": ("floor", "minimum", "lowest")}


def ceiling_floor_blocks(result: Any, model: Any) -> list[Block]:
    title = {"ceiling": "A ceiling effect?", "floor": "A floor effect?",
             "both": "Ceiling or floor effects?"}[result.asked]
    blocks: list[Block] = [Heading(f"{title} {result.response}, {model.title}")]
    blocks.append(Paragraph(" ".join(_bound_sentence(result, b) for b in result.bounds)))
    rule = (
        f"The rule: more than {fmt.percent(result.criterion)} of the observations at the "
        "lowest or highest possible score is a floor or ceiling effect (Terwee et al. 2007); "
        f"values within {fmt.number(result.bounds[0].tolerance)} of a bound (0.5% of the "
        "range) count as at it."
    )
    if not any(b.given for b in result.bounds):
        rule += (
            f" I used the observed extremes, {fmt.number(result.minimum)} and "
            f"{fmt.number(result.maximum)}: they are the scale's bounds only if "
            f"{result.response} cannot go beyond them. Name the scale's bound to use it "
            "(`is there a ceiling effect at 100?`)."
        )
    blocks.append(Paragraph(rule))
    blocks.append(Paragraph(_skewness(result)))
    return blocks


def _bound_sentence(result: Any, b: Any) -> str:
    word, extreme, _ = _WORDS[b.side]
    where = (f"the scale's {extreme} you gave, {fmt.number(b.bound)}" if b.given
             else f"the observed {extreme}, {fmt.number(b.bound)}")
    share = (f"{fmt.integer(b.n_at)} of {fmt.integer(result.n)} observations "
             f"({fmt.percent(b.share, 1)}) are at {where}")
    limit = fmt.percent(result.criterion)
    if b.exceeds:
        verdict = f"more than {limit}: a {word} effect by the usual rule."
    else:
        verdict = f"not more than {limit}: no {word} effect by the usual rule."
    text = f"{share}; {verdict}"
    if b.n_beyond:
        beyond = "above" if b.side == "ceiling" else "below"
        text += (f" {fmt.integer(b.n_beyond)} observations lie {beyond} {fmt.number(b.bound)}, "
                 f"so it is not the {extreme} of these data; check the bound.")
    return text[0].upper() + text[1:]


def _skewness(result: Any) -> str:
    parts = []
    if result.outcome_skewness is not None:
        parts.append(f"the skewness of {result.response} is "
                     f"{fmt.fixed(result.outcome_skewness, 2)}")
    if result.residual_skewness is not None:
        parts.append(f"that of the model's residuals {fmt.fixed(result.residual_skewness, 2)}")
    if not parts:
        return "The skewness could not be computed."
    text = "Shape: " + " and ".join(parts) + " (adjusted Fisher-Pearson G1). "
    text += (
        "Scores piling up at a ceiling leave a long tail to the low side (negative skew); at "
        "a floor, to the high side (positive skew). "
    )
    r = result.residual_skewness
    if r is not None and abs(r) >= 1:
        text += ("The residuals are clearly skewed, so the assumption of normal errors fits "
                 "poorly; a bounded outcome may need a transformation or a censored (tobit) "
                 "model.")
    else:
        text += "The residuals are not strongly skewed (|G1| below 1)."
    return text
