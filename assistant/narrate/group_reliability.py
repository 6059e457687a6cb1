"""Words for "how reliable are the patient means?": Raudenbush & Bryk's reliability of each
group's mean (engine.group_mean_reliability)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, code, table


def group_reliability_blocks(result: Any, model: Any) -> list[Block]:
    g = result.group
    rows = [[fmt.integer(s.n), fmt.integer(s.n_groups), fmt.fixed(s.reliability, 2)]
            for s in result.by_size]
    mean = fmt.fixed(result.mean_reliability, 2)
    spread = (f"from {fmt.fixed(result.min_reliability, 2)} for the {g}s with the fewest "
              f"observations to {fmt.fixed(result.max_reliability, 2)} for those with the most"
              if result.min_reliability < result.max_reliability else "the same for every "
              f"{g}")
    main = (
        f"The average reliability of a {g}'s mean is {mean} ({spread}): λ = τ² / (τ² + σ²/n), "
        f"with between-{g} variance τ² = {fmt.number(result.tau2)} and residual variance "
        f"σ² = {fmt.number(result.sigma2)} (Raudenbush & Bryk 2002). It is the share of the "
        f"variance of the observed {g} means that is true difference between {g}s rather "
        "than measurement noise, and also the factor by which the model shrinks each "
        f"{g}'s mean toward the overall line (its BLUP is λ times its mean residual)."
    )
    blocks: list[Block] = [
        Heading(f"Reliability of the {g} means, {model.title}"),
        Paragraph(main),
        table(["Observations", f"{g}s", "Reliability"], rows),
    ]
    if result.refitted_formula is not None:
        blocks.append(Paragraph(
            f"{model.title} has random slopes, so the variances come from its random-intercept "
            f"version, {code(result.refitted_formula)}: a {g} mean is one number per {g}, "
            "which a random intercept describes."
        ))
    blocks.append(Paragraph(
        "The means are of the outcome after the fixed effects are taken out. Values above "
        "0.8 are usually called good; low values mean the observed means of single "
        f"{g}s mostly reflect noise, so rank {g}s by their BLUPs, not by raw means."
    ))
    return blocks
