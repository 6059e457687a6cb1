"""Words for "which subject deteriorates fastest?": the levels ranked by their own slope
(engine.own_slopes), led by how the words of change were read for this outcome."""

from __future__ import annotations

import math
from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table

_WORDS = {"worsens": "getting worse", "improves": "improving", "rises": "rising",
          "falls": "falling"}


def _noun(group: str) -> str:
    return group[:1].lower() + group[1:] if group[1:].islower() else group


def _plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def change_ranking_blocks(answer: Any, model: Any) -> list[Block]:
    ranking = answer.ranking
    y, x = ranking.response, ranking.variable
    group = _noun(ranking.group)
    groups = _plural(group)
    motion = "rises" if answer.rising else "falls"
    speed = "fastest" if answer.fastest else "slowest"
    shown = ranking.shown
    if not shown:
        return [Paragraph(f"No {group} has a random slope to rank.")]
    lead = shown[0]
    blocks: list[Block] = [
        Heading(f"{groups[:1].upper()}{groups[1:]} whose {y} {motion} {speed} "
                f"({model.title})"),
        Paragraph(_reading(answer, y, groups)),
        Paragraph(_directions(ranking, groups, y, x)),
        Paragraph(
            f"{group[:1].upper()}{group[1:]} {lead.level} comes first: its own {x} slope is "
            f"{fmt.number(lead.own)} ({y} changes by {fmt.number(lead.own)} per unit of {x}), "
            f"the fixed {fmt.number(lead.fixed)} plus its BLUP {_signed(lead.blup)}."
        ),
        table(["Rank", ranking.group, f"Own {x} slope", "Fixed part", "BLUP", "Cond. SD"],
              [[str(i + 1), r.level, fmt.number(r.own), fmt.number(r.fixed),
                _signed(r.blup), fmt.number(r.cond_sd)] for i, r in enumerate(shown)],
              align="rlrrrr"),
        Paragraph(_shrinkage(ranking, group, groups)),
    ]
    certainty = _close_call(shown, group)
    if certainty:
        blocks.append(Paragraph(certainty))
    return blocks


def _directions(ranking: Any, groups: str, y: str, x: str) -> str:
    """How many levels' own slopes go up and how many go down."""
    total = len(ranking.rows)
    rising, falling = ranking.n_rising, ranking.n_falling
    if rising == 0:
        return (f"None of the {fmt.integer(total)} {groups} has a rising own slope: by the "
                f"model, {y} goes down over {x} for every one of them.")
    if falling == 0:
        return (f"All {fmt.integer(total)} {groups} have a rising own slope: by the model, "
                f"{y} goes up over {x} for every one of them.")
    return (f"{fmt.integer(rising)} of the {fmt.integer(total)} {groups} have a rising own "
            f"slope ({y} goes up over {x}) and {fmt.integer(falling)} a falling one.")


def _signed(value: float) -> str:
    text = fmt.number(value)
    return text if text.startswith(("-", "\u2212")) else "+" + text


def _reading(answer: Any, y: str, groups: str) -> str:
    """How the words of change were read: which way is worse for this outcome."""
    rising = "a rising" if answer.rising else "a falling"
    order = "fastest" if answer.fastest else "slowest"
    steep = "steepest rise" if answer.rising == answer.fastest else "steepest fall"
    if answer.asked in ("rises", "falls"):
        return (f"Ranked by each {groups[:-1]}'s own slope, {steep} first: the {groups} "
                f"whose {y} is {_WORDS[answer.asked]} {order}.")
    worse = "higher" if (answer.asked == "worsens") == answer.rising else "lower"
    if answer.polarity_known:
        basis = f"a {worse} {y} is worse"
    else:
        basis = (f"nothing in the data says which way {y} is worse, so I took a {worse} {y} "
                 "as worse")
    other = "lower" if worse == "higher" else "higher"
    return (
        f"I read '{_WORDS[answer.asked]}' as {rising} {y} ({basis}), so the {groups} are "
        f"ranked by their own slope, {steep} first. If a {other} {y} is worse, ask "
        f"which {groups} {'fall' if answer.rising else 'rise'} {order} instead."
    )


def _shrinkage(ranking: Any, group: str, groups: str) -> str:
    fixed = ("the fixed slope of its own group (the model's interaction)"
             if ranking.fixed_varies else "the fixed slope")
    return (
        f"Each own slope is {fixed} plus the {group}'s BLUP: a shrunken estimate, pulled "
        f"toward the average slope the more, the less data the {group} has, so the "
        f"spread of these slopes is smaller than that of slopes fitted {group} by "
        f"{group}. The conditional SD is the BLUP's uncertainty (lme4's condVar); it "
        "leaves out the uncertainty of the fixed slope, which "
        f"{'the ' + groups + ' of one group' if ranking.fixed_varies else 'all ' + groups} "
        "share."
    )


def _close_call(shown: Any, group: str) -> str:
    """Whether the first two are told apart: their difference against the spread of the
    difference of two independent BLUPs (a rough guide, not a test)."""
    if len(shown) < 2:
        return ""
    first, second = shown[0], shown[1]
    spread = math.hypot(first.cond_sd, second.cond_sd)
    if abs(first.own - second.own) >= 2 * spread:
        return ""
    groups = _plural(group)
    return (
        f"{groups[:1].upper()}{groups[1:]} {first.level} and {second.level} differ by "
        f"{fmt.number(abs(first.own - second.own))}, less than twice the uncertainty of "
        f"that difference (about {fmt.number(spread)}), so the data do not settle which "
        "of them is first; read the order as rough positions."
    )
