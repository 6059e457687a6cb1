"""Likelihood-ratio tests of the random effects (``engine.random_effects_tests``)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Bullets, Heading, Paragraph, code, table
from assistant.narrate.fit import group_words
from assistant.narrate.terms import INTERCEPT_NAMES


def random_tests_blocks(result: Any, model: Any) -> list[Block]:
    groups = {t.group for t in result.tests}
    method = "REML" if result.method == "REML" else "ML"
    blocks: list[Block] = [
        Heading(f"Tests of the random effects, {model.title}"),
        Paragraph(
            "Each line refits the model without one part of its random effects, with the "
            f"same fixed effects and the same rows ({method}, as fitted), and compares the "
            "two log-likelihoods (lmerTest's `ranova`). A variance cannot be negative, so "
            "zero lies at the edge of its range and the plain χ² p value is too large; the "
            "boundary-corrected p (a 50:50 mixture of χ² distributions) is the one to read."
        ),
        Bullets(tuple(_test_sentence(t, groups) for t in result.tests)),
    ]
    rows = [["(full model)", fmt.integer(result.npar), fmt.number(result.loglik),
             fmt.number(result.aic), "", "", "", ""]]
    for t in result.tests:
        rows.append(
            [
                t.label,
                fmt.integer(t.npar),
                fmt.number(t.loglik),
                fmt.number(t.aic),
                fmt.statistic(t.lrt),
                fmt.integer(t.df),
                fmt.p_cell(t.p),
                fmt.p_cell(t.p_boundary),
            ]
        )
    blocks.append(
        table(["Without", "npar", "logLik", "AIC", "LRT", "Df", "p", "p (boundary)"], rows,
              "lrrrrrrr")
    )
    troubled = [t for t in result.tests if t.singular or not t.converged]
    if troubled:
        blocks.append(
            Paragraph(
                "The reduced fit "
                + fmt.join_words([code(t.formula) for t in troubled])
                + " is itself singular or did not converge; read its line with care."
            )
        )
    return blocks


def _part_words(test: Any, groups: set[str]) -> str:
    group = group_words(test.group, groups)
    if test.column in INTERCEPT_NAMES:
        return f"the random intercept of {group}"
    return f"the random slope of {test.column} by {group}"


def _test_sentence(test: Any, groups: set[str]) -> str:
    verdict = (
        "the data support keeping it" if test.p_boundary < 0.05
        else "the data give no clear evidence for it (at the 5% level)"
    )
    approximate = "" if getattr(test, "boundary_exact", True) else " (approximately)"
    return (
        f"Without {_part_words(test, groups)}: χ²({test.df}) = {fmt.statistic(test.lrt)}, "
        f"{fmt.p_value(test.p_boundary)} corrected for the boundary{approximate} "
        f"({fmt.p_value(test.p)} uncorrected); {verdict}."
    )
