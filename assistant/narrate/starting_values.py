"""Levels ranked by the model's prediction at the start ("which patient has the highest
baseline pain?", "who starts highest?"), in words.

The numbers come from ``engine.starting_values.StartingValueRanking``; nothing is
computed here.
"""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def _plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def _signed(value: float) -> str:
    text = fmt.number(value)
    return text if text.startswith(("-", "\u2212")) else "+" + text


def _when(ranking: Any) -> str:
    """ "at time = 0", or "at any visit" when the model has no time predictor."""
    if ranking.time is None:
        return "at any visit"
    return f"at {ranking.time} = {fmt.value(ranking.start)}"


def starting_ranking_blocks(ranking: Any, model: Any) -> list[Block]:
    group, y = ranking.group, ranking.response
    groups = _plural(group)
    shown = ranking.shown
    if not shown:
        return [Paragraph(f"No {group} has a random effect to rank.")]
    end = "highest" if ranking.descending else "lowest"
    when = _when(ranking)
    lead = shown[0]
    fixed = (f"the fixed part at the {group}'s own covariates (it differs between "
             f"{groups})" if ranking.fixed_varies
             else "the fixed part, the same for every " + group)
    basis = (
        f"Ranked by each {group}'s predicted {y} {when}: {fixed} plus the {group}'s "
        "BLUPs, as lme4's predict() for that level; the BLUP alone would leave the fixed "
        "effects out."
    )
    if ranking.time is None:
        basis += (f" The model has no time predictor, so its prediction for a {group} is "
                  "the same at every visit.")
    first = (
        f"{group[:1].upper()}{group[1:]} {lead.level} comes first: predicted "
        f"{fmt.number(lead.predicted)}, the fixed part {fmt.number(lead.fixed)} plus its "
        f"BLUPs {_signed(lead.deviation)}"
    )
    if lead.observed is not None:
        first += f"; its observed {y} {when} is {fmt.number(lead.observed)}"
    blocks: list[Block] = [
        Heading(f"{groups[:1].upper()}{groups[1:]} with the {end} predicted {y} {when} "
                f"({model.title})"),
        Paragraph(basis),
        Paragraph(first + "."),
    ]
    observed_head = f"Observed {when}" if ranking.time is not None else None
    head = ["Rank", group, "Predicted", "Fixed part", "BLUPs", "Cond. SD"]
    align = "rlrrrr"
    if observed_head:
        head.append(observed_head)
        align += "r"
    rows = []
    for i, r in enumerate(shown):
        row = [str(i + 1), r.level, fmt.number(r.predicted), fmt.number(r.fixed),
               _signed(r.deviation), fmt.number(r.cond_sd)]
        if observed_head:
            row.append("–" if r.observed is None else fmt.number(r.observed))
        rows.append(row)
    blocks.append(table(head, rows, align=align))
    notes = [
        f"The BLUPs are shrunken toward zero, the more so the less data a {group} has, "
        "so the predictions are closer together than the observed values; the conditional "
        "SD (lme4's condVar) is the intercept BLUP's uncertainty alone."
    ]
    if ranking.time is not None and ranking.n_unobserved:
        notes.append(
            f"{fmt.plural(ranking.n_unobserved, group)} of {fmt.integer(len(ranking.rows))} "
            f"{'has' if ranking.n_unobserved == 1 else 'have'} no observed {y} {when}; "
            "the model still predicts one."
        )
    if ranking.covariates_change:
        n = len(ranking.covariates_change)
        notes.append(
            f"For {fmt.plural(n, group)} a covariate changes over time, so the fixed part "
            f"uses {'its' if n == 1 else 'their'} earliest row."
        )
    blocks.append(Paragraph(" ".join(notes)))
    return blocks
