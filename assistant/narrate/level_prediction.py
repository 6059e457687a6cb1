"""Words for a prediction for one known level of a grouping factor
(``engine.level_prediction.LevelPrediction``: lme4's ``predict(m, newdata)``)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Detail, Heading, Paragraph, table
from assistant.narrate.terms import INTERCEPT_NAMES

#: Rows shown in the brief answer when no predictor value was fixed (a whole curve).
MAX_ROWS_BRIEF = 12


def _who(prediction: Any) -> str:
    group, level = prediction.group, prediction.level
    return level if level.casefold().startswith(group.casefold()) else f"{group} {level}"


def _values(record: dict, keys: list[str]) -> str:
    return fmt.join_words([f"{k} = {fmt.value(record[k])}" if isinstance(record[k], float)
                           else f"{k} = {record[k]}" for k in keys])


def _blup_words(prediction: Any) -> str:
    parts = []
    for term, value in prediction.blups.items():
        what = "random intercept" if term in INTERCEPT_NAMES else f"random slope for {term}"
        parts.append(f"{what} {fmt.number(value)}")
    return fmt.join_words(parts)


def level_prediction_blocks(prediction: Any, model: Any) -> list[Block]:
    """The level's own prediction, how it splits into the population part and the level's
    BLUPs, and the population prediction for a new level with its interval."""
    who = _who(prediction)
    keys = [c for c in prediction.frame.columns if c not in ("population", "deviation",
                                                             "estimate")]
    records = prediction.frame.to_dict(orient="records")
    population = prediction.population.frame.to_dict(orient="records")
    level = fmt.level_percent(prediction.population.level)
    response = prediction.response
    blocks: list[Block] = [Heading(f"Prediction for {who}, {model.title}")]
    if len(records) == 1:
        rec, pop = records[0], population[0]
        at = f" at {_values(rec, keys)}" if keys else ""
        blocks.append(Paragraph(
            f"Predicted {response} for {who}{at}: {fmt.number(rec['estimate'])}. That is the "
            f"population prediction {fmt.number(rec['population'])} plus {who}'s own "
            f"deviation {fmt.number(rec['deviation'])} (its BLUPs: {_blup_words(prediction)}), "
            "as lme4's `predict(m, newdata)` computes it."
        ))
        blocks.append(Paragraph(
            f"For a new {prediction.group}, whose random effects are unknown and so taken as "
            f"zero (`re.form = NA`), the prediction is {fmt.number(pop['estimate'])} "
            f"({level} CI {fmt.interval(pop['lower'], pop['upper'], pop['se'])}, an interval "
            f"for the population mean; where one new {prediction.group} would fall, ask for "
            f"`prediction interval for a new {prediction.group}`). The "
            f"{who} prediction has no interval here: lme4 gives none, because its "
            "uncertainty would have to combine the fixed effects' with the BLUPs' own."
        ))
        return blocks
    blocks.append(Paragraph(
        f"Predicted {response} for {who} (population prediction plus its BLUPs: "
        f"{_blup_words(prediction)}), beside the population prediction for a new "
        f"{prediction.group} with its {level} confidence interval."
    ))
    columns = [*keys, who, "Population", f"{level} lower", f"{level} upper"]
    rows = [
        [*(fmt.value(r[k]) if isinstance(r[k], float) else str(r[k]) for k in keys),
         fmt.number(r["estimate"]), fmt.number(r["population"]),
         fmt.estimate(p["lower"], p["se"]), fmt.estimate(p["upper"], p["se"])]
        for r, p in zip(records, population, strict=True)
    ]
    align = "r" * (len(keys) + 4)
    if len(rows) > MAX_ROWS_BRIEF:
        step = max(1, len(rows) // MAX_ROWS_BRIEF)
        blocks.append(table(columns, rows[::step], align))
        blocks.append(Detail((table(columns, rows, align),)))
    else:
        blocks.append(table(columns, rows, align))
    return blocks
