"""Words for "did anyone get worse?" asked of a model without a random slope
(engine.shared_slope): every level shares the fixed slope, so they all move together."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph

_WORDS = {"worsens": "getting worse", "improves": "improving", "rises": "rising",
          "falls": "falling"}

#: Levels named for one shared slope when there are several slopes.
_NAMED = 4


def _noun(group: str) -> str:
    return group[:1].lower() + group[1:] if group[1:].islower() else group


def _plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def _slope_words(test: Any, y: str, x: str, level: float) -> str:
    """``Reaction rises by 10.5 per unit of Days (95% CI 8.9 to 12.1; t(161) = 13.02,
    p < .001)``."""
    motion = "rises" if test.estimate > 0 else "falls" if test.estimate < 0 else "stays level"
    size = fmt.magnitude(test.estimate, test.se)
    return (f"{y} {motion} by {size} per unit of {x} ({fmt.level_percent(level)} CI "
            f"{fmt.interval(test.lower, test.upper, test.se)}; t({fmt.degrees_of_freedom(test.df)})"
            f" = {fmt.statistic(test.t)}, {fmt.p_value(test.p)})")


def _settled(test: Any) -> bool:
    """Whether the interval leaves out zero, so the direction is known."""
    return test.lower > 0 or test.upper < 0


def shared_slope_blocks(answer: Any, model: Any) -> list[Block]:
    shared = answer.slopes
    y, x = shared.response, shared.variable
    group = _noun(shared.group)
    groups = _plural(group)
    total = fmt.integer(shared.n_levels)
    shared_words = f"one shared {x} slope" if len(shared.slopes) == 1 else f"shared {x} slopes"
    blocks: list[Block] = [
        Heading(f"{groups[:1].upper()}{groups[1:]} {_WORDS[answer.asked]}: {shared_words} "
                f"({model.title})"),
    ]
    if len(shared.slopes) == 1:
        (slope,) = shared.slopes
        blocks.append(Paragraph(
            f"{model.title} has no random slope for {x} by {shared.group}, so it gives all "
            f"{total} {groups} the same {x} slope, the fixed one: "
            f"{_slope_words(slope.test, y, x, shared.level)}. By this model all {total} "
            f"{groups} therefore move together, each at that same rate; none can go the "
            "other way."
        ))
    else:
        parts = []
        for slope in shared.slopes:
            named = ", ".join(slope.levels[:_NAMED]) + (", …" if len(slope.levels) > _NAMED
                                                       else "")
            parts.append(f"{fmt.integer(len(slope.levels))} {groups} ({named}): "
                         f"{_slope_words(slope.test, y, x, shared.level)}")
        blocks.append(Paragraph(
            f"{model.title} has no random slope for {x} by {shared.group}, so each "
            f"{group}'s {x} slope is a fixed one, shared by every {group} of its group "
            f"(the model's interaction): {'; '.join(parts)}. Within each of these groups "
            f"all {groups} rise together or fall together."
        ))
    blocks.append(Paragraph(_verdict(answer, y, groups, total)))
    blocks.append(Paragraph(
        f"Whether some {groups} are {_WORDS[answer.asked]} and others are not is a question "
        f"for a model that lets the slope differ by {shared.group}: `add a random slope for "
        f"{x}`, then ask again."
    ))
    return blocks


def _verdict(answer: Any, y: str, groups: str, total: str) -> str:
    """What the shared slope(s) say about the question, in the reading taken."""
    shared = answer.slopes
    if answer.asked in ("rises", "falls"):
        reading = f"'{_WORDS[answer.asked]}' as a {'rising' if answer.rising else 'falling'} {y}"
    else:
        worse = "higher" if (answer.asked == "worsens") == answer.rising else "lower"
        basis = (f"a {worse} {y} is worse" if answer.polarity_known else
                 f"nothing in the data says which way {y} is worse, so I took a {worse} "
                 f"{y} as worse")
        reading = (f"'{_WORDS[answer.asked]}' as a {'rising' if answer.rising else 'falling'}"
                   f" {y} ({basis})")
    asked = _WORDS[answer.asked]
    if len(shared.slopes) == 1:
        test = shared.slopes[0].test
        if not _settled(test):
            outcome = (f"the interval of the shared slope includes zero, so the data do not "
                       f"say whether the {groups} rise or fall")
        elif (test.estimate > 0) == answer.rising:
            outcome = f"by this model all {total} {groups} are {asked}, at the same rate"
        else:
            outcome = f"by this model none of the {total} {groups} is {asked}"
        return f"I read {reading}: {outcome}."
    moving = [s for s in shared.slopes
              if _settled(s.test) and (s.test.estimate > 0) == answer.rising]
    count = sum(len(s.levels) for s in moving)
    if count == shared.n_levels:
        return f"I read {reading}: by this model all {total} {groups} are {asked}."
    return (f"I read {reading}: by this model {fmt.integer(count)} of the {total} {groups} "
            f"are {asked} (those whose shared slope has its interval on that side of zero).")
