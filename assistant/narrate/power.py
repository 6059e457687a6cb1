"""Words for a simulated power analysis (``engine.power.PowerAnalysis``)."""

from __future__ import annotations

import re
from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def _spoken(coefficient: str) -> str:
    """A coefficient as a request names it: treatment[T.treated] -> treatment,
    time:treatment[T.treated] -> time by treatment interaction."""
    parts = [re.sub(r"\[.*?\]", "", part) for part in coefficient.split(":")]
    return parts[0] if len(parts) == 1 else " by ".join(parts) + " interaction"


def _plural(word: str) -> str:
    return word if word.endswith("s") else f"{word}s"


def _interval(point: Any) -> str:
    return f"{fmt.percent(point.lower)} to {fmt.percent(point.upper)}"


def _what_was_simulated(result: Any, model: Any) -> str:
    effect = fmt.number(result.effect)
    source = " (the fitted estimate)" if result.effect_from_fit else (
        f" (the fit estimated {fmt.number(result.fitted_effect)})")
    return (
        f"Each of {fmt.integer(result.nsim)} simulated data sets takes {model.title} as the "
        f"truth, with the coefficient {result.coefficient} = {effect}{source} and the other "
        "fixed effects, the variance components and the residual SD as fitted; it draws new "
        f"random effects and residuals, refits the model ({result.method}) and tests "
        f"{result.coefficient} with the two-sided t test and Satterthwaite df of the "
        f"coefficient table, at α = {result.alpha:g}. The power is the share of "
        "data sets in which the test is significant, with its exact (Clopper-Pearson) "
        f"{fmt.level_percent(result.level)} interval for the simulation error."
    )


def _single(result: Any, point: Any) -> str:
    goal = fmt.percent(result.target)
    verdict = (f"at or above the {goal} usually planned for" if point.power >= result.target
               else f"below the {goal} usually planned for")
    return (
        f"Estimated power: {fmt.percent(point.power)} ({fmt.level_percent(result.level)} CI "
        f"{_interval(point)}): the test was significant in {fmt.integer(point.n_significant)} "
        f"of {fmt.integer(point.n_simulations)} simulations, {verdict}."
    )


def _curve(result: Any) -> list[Block]:
    group = result.group
    rows = [
        [fmt.integer(p.n_levels), fmt.integer(p.n_obs), fmt.percent(p.power), _interval(p)]
        for p in result.points
    ]
    blocks: list[Block] = [
        Paragraph(
            f"Designs with other numbers of {_plural(group)}: fewer keep a random subset of the "
            f"observed {group}s; more add copies of randomly chosen observed {group}s, each "
            f"with its own rows (covariates, times, missed visits) under a new label, as "
            f"simr's `extend` does. The data have {fmt.integer(result.observed_levels)}."
        ),
        table([_plural(group), "Observations", "Power",
               f"{fmt.level_percent(result.level)} CI"], rows, "rrrr"),
    ]
    goal = fmt.percent(result.target)
    adequate = result.smallest_adequate()
    if adequate is not None:
        text = (f"The smallest design here that reaches {goal} power has "
                f"{fmt.integer(adequate.n_levels)} {_plural(group)} (power "
                f"{fmt.percent(adequate.power)}, CI {_interval(adequate)}).")
        if adequate is result.points[0] and len(result.points) > 1:
            text += " Even the smallest size tried reaches it; fewer may do."
        elif adequate.lower < result.target:
            text += (" Its interval still reaches below the target: run more simulations "
                     "(e.g. `with 1000 simulations`) before relying on that number.")
    else:
        largest = max(result.points, key=lambda p: p.n_obs)
        text = (f"None of these sizes reaches {goal} power; the largest, "
                f"{fmt.integer(largest.n_levels)} {_plural(group)}, gives "
                f"{fmt.percent(largest.power)}. Try larger numbers, e.g. `power for "
                f"{_spoken(result.coefficient)} with {2 * largest.n_levels} {_plural(group)}`.")
    blocks.append(Paragraph(text))
    return blocks


def _caveats(result: Any) -> list[Block]:
    blocks: list[Block] = []
    if result.effect_from_fit:
        blocks.append(Paragraph(
            "The assumed effect is this study's own estimate. Power computed that way ('post "
            "hoc' or 'observed' power) only restates the study's p value (Hoenig & Heisey "
            "2001); to plan a study, give the smallest effect that would matter, e.g. "
            f"`power to detect a {_spoken(result.coefficient)} effect of "
            f"{result.fitted_effect / 2:.3g}`."
        ))
    failed = sum(p.n_failed for p in result.points)
    if failed:
        blocks.append(Paragraph(
            f"{fmt.plural(failed, 'simulated data set')} could not be refitted and "
            f"{'was' if failed == 1 else 'were'} left out of the counts."
        ))
    return blocks


def power_blocks(result: Any, model: Any) -> list[Block]:
    """What was simulated, the power (one size or a curve), and the caveats."""
    blocks: list[Block] = [
        Heading(f"Power of the test of {result.coefficient} by simulation, {model.title}"),
        Paragraph(_what_was_simulated(result, model)),
    ]
    if result.group is None or len(result.points) == 1 and (
            result.points[0].n_levels == result.observed_levels):
        blocks.append(Paragraph(_single(result, result.points[0])))
    else:
        blocks.extend(_curve(result))
    blocks.extend(_caveats(result))
    return blocks
