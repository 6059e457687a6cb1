"""Do the random effects look normal? (``engine.blup_normality`` and the QQ plots)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Bullets, Heading, Image, Paragraph
from assistant.narrate.terms import INTERCEPT_NAMES

#: Below this many levels a normality test has little power to see anything.
FEW_LEVELS = 20


def _term_words(group: str, term: str) -> str:
    what = "intercepts" if term in INTERCEPT_NAMES else f"{term} slopes"
    return f"{group} {what}"


def _sentence(t: Any) -> str:
    head = f"{_term_words(t.group, t.term)} ({fmt.integer(t.n_levels)} levels)"
    if t.shapiro_w is None:
        return f"{head}: too few distinct BLUPs for a Shapiro-Wilk test."
    moments = []
    if t.skewness is not None:
        moments.append(f"skewness {fmt.fixed(t.skewness, 2)}")
    if t.excess_kurtosis is not None:
        moments.append(f"excess kurtosis {fmt.fixed(t.excess_kurtosis, 2)}")
    detail = f"; {', '.join(moments)} (both 0 for a normal)" if moments else ""
    if t.shapiro_p < 0.05:
        verdict = "the BLUPs depart from a normal shape (at the 5% level)"
    else:
        verdict = "no clear departure from a normal shape"
    few = " With so few levels the test can miss real departures." if (
        t.n_levels < FEW_LEVELS) else ""
    return (
        f"{head}: Shapiro-Wilk W = {fmt.fixed(t.shapiro_w, 3)}, {fmt.p_value(t.shapiro_p)}"
        f"{detail}: {verdict}.{few}"
    )


def normality_blocks(result: Any, model: Any, paths: list[Path]) -> list[Block]:
    blocks: list[Block] = [Heading(f"Are the random effects normal? {model.title}")]
    if not result.terms:
        blocks.append(Paragraph("The model has no random effects to check."))
        return blocks
    blocks.append(Bullets(tuple(_sentence(t) for t in result.terms)))
    blocks.append(Paragraph(
        "BLUPs are shrunken toward zero, the more so for levels with little data, so their "
        "spread is not that of the true effects and the test is only a rough guide; the QQ "
        "plots (points near the line mean a normal shape) are the better look. Moderate "
        "non-normality of the random effects changes the fixed-effect estimates little."
    ))
    blocks.extend(
        Image(path, shown_as=str(path), alt=path.stem.replace("_", " ")) for path in paths
    )
    return blocks
