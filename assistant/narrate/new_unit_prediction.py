"""Words for prediction intervals of a new unit (``engine.new_unit_prediction``): where a
subject the model has not seen, and one measurement of it, would fall."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Detail, Heading, Paragraph, table
from assistant.narrate.predictions import (
    line_ends,
    prediction_blocks,
    row_keys,
)


def _unit_word(intervals: Any) -> str:
    if intervals.unit:
        return str(intervals.unit)
    return intervals.groups[0] if len(intervals.groups) == 1 else "unit"


def _fewest_levels(intervals: Any, model: Any) -> tuple[str, int] | None:
    counts = getattr(getattr(model, "fit", None), "ngroups", None) or {}
    known = [(group, int(counts[group])) for group in intervals.groups if group in counts]
    return min(known, key=lambda pair: pair[1]) if known else None


def _caveat(intervals: Any, model: Any) -> str:
    text = (
        "The intervals treat the estimated variances as the true ones (the usual plug-in "
        "normal interval), so they are somewhat too narrow when those variances are "
        "uncertain"
    )
    fewest = _fewest_levels(intervals, model)
    if fewest is not None:
        group, count = fewest
        levels = fmt.plural(count, f"level of {group}", f"levels of {group}")
        text += f"; here they rest on {levels}"
    return text + "."


def _who(intervals: Any) -> str:
    """ "a new subject", or with crossed factors "a new rater with a new item"."""
    unit = _unit_word(intervals)
    others = [g for g in intervals.groups if g.casefold() != unit.casefold()]
    if len(intervals.groups) < 2 or not others:
        return f"a new {unit}"
    if len(others) == len(intervals.groups):  # the unit named is none of the factors
        return "a new level of " + fmt.join_words(list(intervals.groups))
    return f"a new {unit} with a new " + fmt.join_words(others)


def _one_row(intervals: Any, rec: dict, model: Any) -> list[Block]:
    who = _who(intervals)
    level = fmt.level_percent(intervals.level)
    sd = rec["sd_observation"]
    population = intervals.population.frame.to_dict(orient="records")[0]
    one_new = fmt.interval(rec["observation_lower"], rec["observation_upper"], sd)
    several = len(intervals.groups) > 1
    effects = "their random effects are" if several else "its random effects are"
    text = (
        f"For {who}, which the model has not seen, the best guess is still the population "
        f"prediction {fmt.estimate(rec['estimate'], sd)}, but {effects} unknown: they move "
        f"its mean away from the population mean with SD {fmt.number(rec['sd_between'])}. "
        f"With {level} probability the mean for {who} lies within "
        f"{fmt.interval(rec['unit_lower'], rec['unit_upper'], sd)}, and a single new "
        f"measurement within {one_new} "
        f"(adding the residual SD {fmt.number(intervals.residual_sd)}). The {level} CI "
        f"{fmt.interval(population['lower'], population['upper'], population['se'])} above "
        "says where the population mean lies, not where one new unit falls."
    )
    if several:
        text += (
            " No level of " + fmt.join_words(list(intervals.groups)) + " is named, so the "
            "random effects of each are drawn afresh."
        )
    return [Paragraph(text)]


def _rows(intervals: Any, records: list[dict]) -> list[list[str]]:
    keys = row_keys(intervals.population)
    rows = []
    for rec in records:
        sd = rec["sd_observation"]
        cells = [fmt.value(rec[k]) if isinstance(rec[k], float) else str(rec[k]) for k in keys]
        cells += [fmt.estimate(rec["estimate"], sd),
                  fmt.interval(rec["unit_lower"], rec["unit_upper"], sd),
                  fmt.interval(rec["observation_lower"], rec["observation_upper"], sd)]
        rows.append(cells)
    return rows


def new_unit_blocks(intervals: Any, model: Any) -> list[Block]:
    """The population prediction with its CI, then the new unit's intervals."""
    blocks = prediction_blocks(intervals.population, model)
    unit = _unit_word(intervals)
    level = fmt.level_percent(intervals.level)
    blocks.append(Heading(f"Prediction intervals for a new {unit}"))
    records = intervals.frame.to_dict(orient="records")
    if len(records) == 1:
        blocks.extend(_one_row(intervals, records[0], model))
    else:
        blocks.append(Paragraph(
            f"A new {unit} has its own random effects, which the data say nothing about, so "
            f"its values scatter around the population prediction. The {level} interval for "
            f"the new {unit}'s own mean adds that between-{unit} spread to the uncertainty of "
            "the fixed effects; the interval for a single new measurement adds the residual "
            f"SD {fmt.number(intervals.residual_sd)} as well. Intervals are for "
            f"{_who(intervals)}."
        ))
        keys = row_keys(intervals.population)
        columns = [*keys, "Predicted", f"New {unit}'s mean ({level})",
                   f"One new measurement ({level})"]
        align = "r" * (len(keys) + 3)
        brief = line_ends(records, intervals.population)
        if len(brief) < len(records):
            blocks.append(table(columns, _rows(intervals, brief), align))
            blocks.append(Detail((table(columns, _rows(intervals, records), align),)))
        else:
            blocks.append(table(columns, _rows(intervals, records), align))
    blocks.append(Paragraph(_caveat(intervals, model)))
    return blocks
