"""Kish's design effect and the effective sample size, in words."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, code


def design_effect_blocks(result: Any, model: Any) -> list[Block]:
    g = result.group
    m = fmt.number(result.mean_cluster_size)
    sizes = (f"{result.min_cluster_size} to {result.max_cluster_size}"
             if result.min_cluster_size != result.max_cluster_size
             else str(result.min_cluster_size))
    main = (
        f"Design effect (Kish 1965): deff = 1 + (m − 1) × ICC = 1 + ({m} − 1) × "
        f"{fmt.fixed(result.icc, 3)} = {fmt.fixed(result.deff, 2)}. The {fmt.integer(result.n)} "
        f"observations in {result.n_clusters} levels of {g} carry about as much information "
        f"about the mean as {fmt.integer(round(result.effective_n))} independent ones "
        f"(effective sample size n / deff)."
    )
    how = (
        f"m is the mean cluster size, n / J = {m} (sizes range {sizes}); some authors use "
        f"sum(m_j²) / n instead, which is larger when sizes vary. The ICC is the "
        f"unconditional one, from the intercept-only model {code(result.null_formula)} "
        f"fitted to the same rows by {result.method}: between-{g} variance "
        f"{fmt.number(result.between_variance)}, residual variance "
        f"{fmt.number(result.residual_variance)}. The design effect describes the "
        "clustering of the outcome itself, before any predictor."
    )
    blocks: list[Block] = [Heading(f"Design effect, {model.title}"), Paragraph(main),
                           Paragraph(how)]
    if result.conditional_icc is not None and model.fit.model_formula.fixed_terms:
        blocks.append(Paragraph(
            f"{model.title} itself reports the conditional ICC, "
            f"{fmt.fixed(result.conditional_icc, 3)}: the share between levels of {g} of the "
            "variance its predictors leave unexplained. With it the design effect is "
            f"{fmt.fixed(result.conditional_deff, 2)} (effective sample size "
            f"{fmt.integer(round(result.conditional_effective_n))}): the inflation that "
            "remains after adjusting for the predictors."
        ))
    return blocks
