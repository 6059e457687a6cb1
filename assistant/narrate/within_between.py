"""Within- and between-cluster effects in words (numbers from engine.within_between)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from assistant.narrate import fit as fit_words
from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, code
from assistant.step_results import WithinBetweenOutcome


def _split_sentence(outcome: WithinBetweenOutcome) -> str:
    s = outcome.split
    return (
        f"Split {s.column} into its {s.group} mean ({code(s.between_name)}) and each row's "
        f"deviation from that mean ({code(s.within_name)}), two new columns of "
        f"{code(outcome.dataset)}. {fmt.percent(s.between_share)} of the variance of "
        f"{s.column} lies between the {fmt.integer(s.n_clusters)} levels of {s.group}, the "
        "rest within them."
    )


def _effect_words(fe: Any, fit: Any) -> str:
    level = fit_words.confidence_level(fit)
    return f"({fit_words.interval_words(fe, level)}; {fit_words.test_words(fe, fit)})"


def _change(value: float, se: float) -> str:
    word = "higher" if value >= 0 else "lower"
    return f"{fmt.magnitude(value, se)} {word}"


def effects_sentences(outcome: WithinBetweenOutcome) -> str:
    """The within slope, the between slope and the contextual effect, in words."""
    e, fit = outcome.effects, outcome.fitted.fit
    s = outcome.split
    response = fit.response_name
    c = e.contextual
    contextual = SimpleNamespace(
        ci_lower=c.lower, ci_upper=c.upper, se=c.se, df=c.df, t=c.t, p=c.p
    )
    text = (
        f"Within a {s.group}, a row with {s.column} one unit above its {s.group} mean has "
        f"{response} {_change(e.within.estimate, e.within.se)} {_effect_words(e.within, fit)}; "
        "this within slope is what an analysis with one dummy per "
        f"{s.group} (fixed effects) would give. Between levels of {s.group}, one whose mean "
        f"{s.column} is one unit higher has {response} "
        f"{_change(e.between.estimate, e.between.se)} {_effect_words(e.between, fit)}. "
        f"The contextual effect, between minus within, is {fmt.estimate(c.estimate, c.se)} "
        f"{_effect_words(contextual, fit)}: "
    )
    if c.p < fmt.SIGNIFICANCE_LEVEL:
        return text + (
            f"the two slopes differ, so a single {s.column} slope would mix two different "
            f"relations; report both, and read the between slope as a property of the "
            f"{s.group} levels, not of their members."
        )
    return text + (
        f"the data do not show that the two slopes differ, so a single {s.column} slope "
        f"(as in model {outcome.base.number}) summarises both, although a test that is not "
        "significant does not prove them equal."
    )


def within_between_blocks(outcome: WithinBetweenOutcome) -> list[Block]:
    blocks: list[Block] = [Paragraph(_split_sentence(outcome))]
    s = outcome.split
    if outcome.fitted is None:
        where = (
            f"Model {outcome.base.number} does not use {s.column} as a main effect, so "
            "nothing was refitted"
            if outcome.base is not None
            else "No model was fitted to these data yet"
        )
        blocks.append(
            Paragraph(
                f"{where}; to separate the two effects, fit a model with both parts, e.g. "
                f"{code(f'LMM: outcome ~ {s.within_name} + {s.between_name} + (1 | {s.group})')}."
            )
        )
        return blocks
    blocks.append(Heading(f"Within- and between-{s.group} effects of {s.column}"))
    blocks.append(Paragraph(effects_sentences(outcome)))
    return blocks


def fitted_blocks(outcome: WithinBetweenOutcome, fit_blocks: list[Block]) -> list[Block]:
    """The split, then the refitted model as any fit is told, then the two effects."""
    head = [Paragraph(_split_sentence(outcome))]
    return head + fit_blocks + within_between_blocks(outcome)[1:]
