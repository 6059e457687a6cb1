"""The covariance matrix of the fixed-effect estimates (R's ``vcov()``) and their
correlations (the "Correlation of Fixed Effects" of lme4's ``summary()``)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph, table
from assistant.narrate.terms import readable_term

#: Correlations of estimates beyond this size get a sentence about what they mean.
STRONG_CORRELATION = 0.8


def covariance_blocks(result: Any, model: Any) -> list[Block]:
    """The intro, the covariance table, the correlation table (lower triangle, three
    decimals as lme4 prints it) and the strongest correlation in words."""
    terms = list(result.terms)
    whose = f" of {model.title}" if model is not None else ""
    blocks: list[Block] = [Paragraph(
        f"Covariance matrix of the fixed-effect estimates{whose} (R's `vcov()`): the "
        "diagonal holds each estimate's variance, the square of its standard error."
    )]
    rows = [[term, *(fmt.number(v) for v in result.vcov[i])] for i, term in enumerate(terms)]
    blocks.append(table(["Term", *terms], rows, "l" + "r" * len(terms),
                        caption="Covariance of the estimates"))
    if len(terms) < 2:
        return blocks
    corr_rows = [
        [term, *(fmt.fixed(result.correlation[i, j], 3) if j < i else "" for j in
                 range(len(terms) - 1))]
        for i, term in enumerate(terms) if i > 0
    ]
    blocks.append(table(["Term", *terms[:-1]], corr_rows, "l" + "r" * (len(terms) - 1),
                        caption="Correlation of the estimates"))
    first, second, r = result.largest_correlation
    if fmt.fixed(abs(r), 2) == "0.00":
        # orthogonal columns (poly(), balanced centred designs): no pair stands out
        blocks.append(Paragraph(
            "The estimates are uncorrelated: every correlation rounds to 0.00."
        ))
        return blocks
    text = (
        f"The strongest correlation is between the {readable_term(first)} and "
        f"{readable_term(second)} estimates (r = {fmt.fixed(r, 2)})."
    )
    if abs(r) >= STRONG_CORRELATION:
        text += (
            " Estimates this strongly correlated are hard for the data to tell apart; "
            "centring a covariate (or its squared term's variable) often reduces it."
        )
    blocks.append(Paragraph(text))
    return blocks
