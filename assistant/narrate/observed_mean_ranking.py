"""Words for "which school has the highest average score?": the levels by their observed
mean outcome (engine.observed_mean_ranking), and the model's BLUP-ranked first level
beside them."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def _plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def observed_mean_ranking_blocks(answer: Any, model: Any) -> list[Block]:
    ranking = answer.ranking
    y, group = ranking.outcome, ranking.group
    groups = _plural(group)
    word = "highest" if ranking.descending else "lowest"
    leaders = ranking.leaders
    sizes = [c.n for c in ranking.cells]
    named = fmt.join_words([f"{c.levels[0]} ({fmt.number(c.mean)}, n = {fmt.integer(c.n)})"
                            for c in leaders])
    if len(leaders) == 1:
        lead = (f"{named} has the {word} observed mean {y}: the plain average of its "
                f"{fmt.integer(leaders[0].n)} non-missing values")
    else:
        lead = f"{named} share the {word} observed mean {y}"
    blocks: list[Block] = [
        Heading(f"{groups[:1].upper()}{groups[1:]} by their observed mean {y}, {word} first"),
        Paragraph(
            f"{lead}. Across the {fmt.integer(len(ranking.cells))} {groups} the number of "
            f"values per {group} runs from {fmt.integer(min(sizes))} to "
            f"{fmt.integer(max(sizes))}; a mean of few values is a noisy one."
            + (f" {fmt.integer(ranking.n_left_out)} rows with {y} or {group} missing are left "
               "out." if ranking.n_left_out else "")
        ),
        table(["Rank", group, "n", f"Mean {y}", "SD"],
              [[str(i + 1), c.levels[0], fmt.integer(c.n), fmt.number(c.mean),
                fmt.number(c.sd) if c.sd is not None else "–"]
               for i, c in enumerate(ranking.shown)], align="rlrrr"),
    ]
    note = _model_note(answer, model, leaders, word)
    if note:
        blocks.append(Paragraph(note))
    return blocks


def _model_note(answer: Any, model: Any, leaders: Any, word: str) -> str:
    """The model's ranking by the random intercept's BLUP, and why it may differ."""
    if answer.blup_first is None or not answer.blup_first.rows:
        return ""
    first = answer.blup_first.rows[0]
    group = answer.ranking.group
    adjusted = (f", adjusted for {fmt.join_words(list(answer.adjusted_for))}"
                if answer.adjusted_for else "")
    agrees = first.level in {c.levels[0] for c in leaders}
    verdict = (f"also puts {first.level} first" if agrees
               else f"puts {first.level} first instead")
    return (
        f"These are raw means. The model's ranking by each {group}'s random intercept "
        f"({model.title}: its BLUP{adjusted}, shrunk toward the average the more, the fewer "
        f"values a {group} has) can differ; it {verdict} (BLUP {fmt.number(first.value)}). Ask "
        f"`which {_plural(group)} have the {word} random intercepts` for that ranking."
    )
