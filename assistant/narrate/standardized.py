"""Standardized fixed effects (``engine.standardized``): a table in SDs of the outcome
and what the numbers mean."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def standardized_blocks(result: Any, model: Any) -> list[Block]:
    shown = [c for c in result.coefficients if c.kind != "intercept"]
    response = result.response
    blocks: list[Block] = [Heading(f"Standardized fixed effects, {model.title}")]
    if not shown:
        blocks.append(Paragraph(
            "The model has no predictors in its fixed part, so there is nothing to standardize."
        ))
        return blocks
    numeric = [c for c in shown if c.kind == "numeric"]
    factors = [c for c in shown if c.kind == "factor"]
    said = [
        f"Each numeric coefficient is put in standard deviations: β·sd(x)/sd({response}), "
        f"the change in {response}, in SDs of {response} ({fmt.number(result.sd_y)}), "
        "per SD of the predictor (SDs over the "
        f"{fmt.integer(result.nobs)} rows the model used)."
    ]
    if factors:
        said.append(
            "A factor's coefficients compare groups, so they are not divided by an SD of "
            f"the predictor: the standardized difference β/sd({response}) is given instead "
            f"(the group difference in SDs of {response})."
        )
    if result.equals_z_scored_refit:
        said.append(
            "With main effects only, these equal the coefficients of the same model refitted "
            f"with {response} and the numeric predictors converted to z-scores."
        )
    else:
        said.append(
            "The model has interactions or transformed terms, so a standardized "
            "coefficient here uses the SD of the product or transformed column and is not "
            "what a refit on z-scored variables would give; read it with care."
        )
    blocks.append(Paragraph(" ".join(said)))
    if numeric:
        largest = max(numeric, key=lambda c: abs(c.standardized))
        size = fmt.fixed(abs(largest.standardized), 2)
        direction = "more" if largest.standardized > 0 else "less"
        blocks.append(Paragraph(
            f"The largest standardized effect is {largest.name}: one SD "
            f"({fmt.number(largest.sd_x)}) more goes with {size} SD {direction} {response}."
        ))
    rows = []
    for c in shown:
        rows.append([
            c.name,
            "numeric" if c.kind == "numeric" else "factor level",
            fmt.estimate(c.estimate, c.se),
            fmt.number(c.sd_x) if c.sd_x is not None else "",
            fmt.fixed(c.standardized, 3),
            fmt.fixed(c.standardized_se, 3),
            f"{fmt.fixed(c.standardized_lower, 3)} to {fmt.fixed(c.standardized_upper, 3)}",
        ])
    level = fmt.level_percent(float(getattr(model.fit, "level", 0.95)))
    blocks.append(table(
        ["Term", "Kind", "Estimate", "SD of x", "Standardized", "SE", f"{level} CI (std.)"],
        rows, "llrrrrr",
    ))
    return blocks
