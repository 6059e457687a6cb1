"""Population-level predictions (``engine.predict.PredictionGrid``)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Detail, Heading, Paragraph, table

MAX_ROWS_BRIEF = 12


def row_keys(grid: Any) -> list[str]:
    """The predictor columns a row is told apart by, then the ones the user fixed."""
    varying = ([grid.time] if grid.time else []) + list(grid.factors)
    fixed = [k for k in getattr(grid, "fixed_at", {}) if k in grid.frame and k not in varying]
    return varying + fixed


def _rows(grid: Any, records: list[dict]) -> list[list[str]]:
    keys = row_keys(grid)
    rows = []
    for rec in records:
        cells = [fmt.value(rec[k]) if isinstance(rec[k], float) else str(rec[k]) for k in keys]
        se = rec["se"]
        cells += [
            fmt.estimate(rec["estimate"], se),
            fmt.number(se),
            fmt.estimate(rec["lower"], se),
            fmt.estimate(rec["upper"], se),
        ]
        rows.append(cells)
    return rows


def line_ends(records: list[dict], grid: Any) -> list[dict]:
    """First and last time point of each factor combination, for the brief table."""
    if grid.time is None or len(records) <= MAX_ROWS_BRIEF:
        return records
    by_combo: dict[tuple, list[dict]] = {}
    for rec in records:
        by_combo.setdefault(tuple(rec[f] for f in grid.factors), []).append(rec)
    out = []
    for group in by_combo.values():
        out.extend([group[0], group[-1]] if len(group) > 1 else group)
    return out


def _one_prediction(grid: Any, rec: dict, level: str) -> str:
    """One point's prediction in words: x'β̂, its SE √(x'Vx) and the Wald-t interval."""
    se = rec["se"]
    df = rec.get("df")
    method = str(getattr(grid, "df_method", "")).replace("-", " ").title()
    test = "a normal (z) interval" if not fmt.is_number(df) or df == float("inf") else (
        f"a t interval with {fmt.degrees_of_freedom(df)} {method} df")
    return (
        f"The predicted {grid.response} is {fmt.estimate(rec['estimate'], se)} (SE "
        f"{fmt.number(se)}; {level} CI {fmt.interval(rec['lower'], rec['upper'], se)}, "
        f"{test}). It is the model's mean for these values with every random effect at "
        "zero: the expected value for a typical unit, not for one particular unit."
    )


def prediction_blocks(grid: Any, model: Any) -> list[Block]:
    records = grid.frame.to_dict(orient="records")
    keys = row_keys(grid)
    level = fmt.level_percent(grid.level)
    columns = [*keys, f"Predicted {grid.response}", "SE", f"{level} lower", f"{level} upper"]
    align = "r" * len(keys) + "rrrr"
    brief = line_ends(records, grid)
    text = (
        f"Population-average predictions of {grid.response} (fixed effects only) with "
        f"{level} confidence intervals."
    )
    if grid.averaged_over:
        text += (
            " Averaged with equal weights over " + fmt.join_words(list(grid.averaged_over)) + "."
        )
    fixed = getattr(grid, "fixed_at", {})
    if fixed:
        text += " At " + fmt.join_words([f"{k} = {v}" for k, v in fixed.items()]) + "."
    for name, (value, low, high) in getattr(grid, "outside_range", {}).items():
        text += (
            f" {name} = {fmt.value(value)} lies outside the values in the data "
            f"({fmt.value_range(low, high)}): this prediction extends the model's "
            f"trend beyond what was observed, so treat it with caution."
        )
    # a predictor whose only column was dropped as aliased plays no part in x'beta
    aliased = set(getattr(getattr(model, "fit", None), "aliased", None) or ())
    held_items = {k: v for k, v in grid.held_at_mean.items() if k not in aliased}
    if held_items:
        held = [f"{k} = {fmt.number(v)}" for k, v in held_items.items()]
        text += " Other predictors at their means: " + fmt.join_words(held) + "."
    left_out = [k for k in grid.held_at_mean if k in aliased]
    if left_out:
        text += (
            f" {fmt.join_words(left_out)} {'was' if len(left_out) == 1 else 'were'} left out "
            "of the model (aliased), so the predictions do not depend on "
            f"{'it' if len(left_out) == 1 else 'them'}."
        )
    blocks: list[Block] = [Heading(f"Predictions from {model.title}"), Paragraph(text)]
    if len(records) == 1:
        blocks.append(Paragraph(_one_prediction(grid, records[0], level)))
    if len(brief) < len(records):
        blocks.append(Paragraph("Start and end of each line (all points at the detailed level):"))
        blocks.append(table(columns, _rows(grid, brief), align))
        blocks.append(Detail((table(columns, _rows(grid, records), align),)))
    else:
        blocks.append(table(columns, _rows(grid, records), align))
    return blocks
