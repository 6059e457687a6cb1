"""Influential clusters: leave-one-level-out refits, Cook's distance and DFBETAS, in words
and a table."""

from __future__ import annotations

import math
from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, code, table
from assistant.narrate.terms import INTERCEPT_NAMES, readable_term

#: Rows of the table: the most influential levels.
TABLE_ROWS = 10


def influence_blocks(result: Any, model: Any) -> list[Block]:
    g, n = result.group, result.n_levels
    blocks: list[Block] = [Heading(f"Influential levels of {g}, {model.title}"),
                           Paragraph(_how(result, model)), Paragraph(_verdict(result))]
    for level in result.levels:
        if level.terms:
            blocks.append(Paragraph(_level_changes(level, result)))
    failed = [lv.level for lv in result.levels if not lv.converged]
    if failed:
        blocks.append(Paragraph(
            f"The refit without {fmt.join_words(failed[:5])}"
            f"{' and others' if len(failed) > 5 else ''} did not converge cleanly; read "
            f"{'its' if len(failed) == 1 else 'their'} values with care."
        ))
    names = list(result.fixed_names)
    rows = []
    for lv in result.levels[:TABLE_ROWS]:
        mark = " *" if lv.level in result.influential else ""
        rows.append([f"{lv.level}{mark}", fmt.integer(lv.n_rows),
                     fmt.fixed(lv.cooks_distance, 3)]
                    + [_signed(v) for v in lv.dfbetas])
    shown = "" if n <= TABLE_ROWS else f"; the {TABLE_ROWS} largest of {n}"
    blocks.append(table(
        [g, "Rows", "Cook's D"] + [f"DFBETAS {readable_term(t)}" for t in names],
        rows,
        align="lrr" + "r" * len(names),
        caption=(f"* above 4/G = {fmt.fixed(result.cutoff, 3)}{shown}. DFBETAS: the change "
                 "in each estimate when the level is left out, in standard errors of that "
                 "refit (lme4's dfbetas)"),
    ))
    return blocks


def _how(result: Any, model: Any) -> str:
    g, n = result.group, result.n_levels
    call = code(f'influence(fit, groups = "{g}")')
    text = (
        f"I fitted {model.title} {n} more times, each time without one of the {n} levels of "
        f"{g} (same formula, {result.method}, starting from the full fit's variance "
        f"parameters), as lme4's {call} does, and "
        "measured how far the fixed effects move."
    )
    if result.chosen_by == "most_levels":
        others = fmt.join_words(list(result.other_groups))
        other = result.other_groups[0]
        plural = other if other.endswith("s") else f"{other}s"
        text += (
            f" The model has other grouping factors ({others}); I left out levels of {g}, "
            f"the one with most levels. Name another to use it (`are there influential "
            f"{plural}?`)."
        )
    return text


def _verdict(result: Any) -> str:
    n, p = result.n_levels, result.p
    rule = (
        f"Cook's distance D = (β̂ − β̂₍₋g₎)ᵀ V⁻¹ (β̂ − β̂₍₋g₎) / p sums the moves of the p = {p} "
        "fixed effects, weighted by the full fit's covariance V of the estimates. The "
        f"usual cutoff is 4/G = 4/{n} = {fmt.fixed(result.cutoff, 3)} (G levels; "
        "Van der Meer et al. 2010, the influence.ME package): a rough guide to which levels "
        "deserve a look, not a test."
    )
    finite = [lv for lv in result.levels if math.isfinite(lv.cooks_distance)]
    if result.influential:
        above = [lv for lv in finite if lv.level in result.influential]
        listed = fmt.join_words([f"{lv.level} (D = {fmt.fixed(lv.cooks_distance, 3)})"
                                 for lv in above[:5]])
        more = f", and {len(above) - 5} more" if len(above) > 5 else ""
        found = (f"{len(above)} of the {n} levels exceed it: {listed}{more}.")
    elif finite:
        top = finite[0]
        found = (f"No level exceeds it; the largest is {top.level} "
                 f"(D = {fmt.fixed(top.cooks_distance, 3)}).")
    else:
        found = "No level could be compared with the full fit."
    return f"{rule} {found}"


def _level_changes(level: Any, result: Any) -> str:
    key = [t for t in level.terms if t.term not in INTERCEPT_NAMES] or list(level.terms)
    moves = [
        f"{readable_term(t.term)} goes from {fmt.number(t.estimate)} to "
        f"{fmt.number(t.estimate_without)} ({_signed(t.dfbetas)} standard errors)"
        for t in key
    ]
    changes = []
    for t in level.terms:
        name = readable_term(t.term)
        if t.sign_changes:
            changes.append(f"{name} changes sign")
        if t.significance_changes:
            now = "is no longer" if (t.p is not None and t.p < 0.05) else "becomes"
            changes.append(
                f"{name} {now} significant at 5% ({fmt.p_value(t.p)} with every level, "
                f"{fmt.p_value(t.p_without)} without {level.level})"
            )
    if changes:
        conclusion = "This changes a conclusion: " + "; ".join(changes) + "."
    else:
        conclusion = ("No coefficient changes sign or crosses p = 0.05: the conclusions stand "
                      "without it.")
    return (f"Without {level.level} ({fmt.plural(level.n_rows, 'row')}, D = "
            f"{fmt.fixed(level.cooks_distance, 3)}): " + "; ".join(moves) + f". {conclusion}")


def _signed(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:+.2f}".replace("-", "−")
