"""The crossing of two grouping factors, one fixed term's share of the variance, and a
coefficient for another number of units, in words."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, code, table
from engine.crossing import FULLY_CROSSED, NESTED


def crossing_blocks(answer: Any, model: Any) -> list[Block]:
    data, rows = answer.data, answer.model_rows
    a, b = data.first, data.second
    how = {"model": f"the grouping factors of {model.title if model else 'the model'}",
           "named": "the factors named",
           "guessed": "the two categorical columns with most repeated levels"}[answer.chosen]
    blocks: list[Block] = [Heading(f"Is {a} crossed with {b}?")]
    blocks.append(Paragraph(f"{_verdict(data)} ({a} and {b}: {how}). " + _cells(data, "data")))
    if rows is not None and rows.cells_present != data.cells_present:
        blocks.append(Paragraph(
            f"In the {fmt.integer(rows.n_rows)} rows {model.title} was fitted to (rows with "
            f"a missing value left out), {_cells(rows, 'model rows')[0].lower()}"
            f"{_cells(rows, 'model rows')[1:]} So the model's design is "
            f"{_design_words(rows)}; crossed random effects handle the empty cells without "
            "any change, as long as each level keeps several observations."
        ))
    blocks.append(table(
        ["Rows", "n", f"{a} levels", f"{b} levels", "Cells present", "Possible", "Share",
         f"{b} per {a}", f"{a} per {b}"],
        [[label, fmt.integer(t.n_rows), str(t.n_first), str(t.n_second),
          fmt.integer(t.cells_present), fmt.integer(t.cells_possible),
          fmt.percent(t.share_present, 1), _span(t.second_per_first),
          _span(t.first_per_second)]
         for label, t in (("all data", data), ("model rows", rows)) if t is not None],
    ))
    return blocks


def _verdict(t: Any) -> str:
    if t.design == FULLY_CROSSED:
        return "Yes: the design is fully crossed"
    if t.design == NESTED:
        inner = t.second if t.nested_in == t.first else t.first
        return f"No: {inner} is nested in {t.nested_in}, not crossed with it"
    return "Partly: the design is crossed but not fully"


def _design_words(t: Any) -> str:
    return {FULLY_CROSSED: "fully crossed", NESTED: "nested"}.get(t.design, "partially crossed")


def _cells(t: Any, where: str) -> str:
    per_cell = (f"each with {t.min_per_cell} observation" + ("s" if t.min_per_cell > 1 else "")
                if t.min_per_cell == t.max_per_cell
                else f"with {t.min_per_cell} to {t.max_per_cell} observations each")
    return (
        f"Of the {t.n_first} × {t.n_second} = {fmt.integer(t.cells_possible)} possible "
        f"combinations of {t.first} and {t.second}, {fmt.integer(t.cells_present)} "
        f"({fmt.percent(t.share_present, 1)}) occur in the {where}, {per_cell}; each "
        f"{t.first} has {_span(t.second_per_first)} {t.second} levels and each {t.second} "
        f"{_span(t.first_per_second)} {t.first} levels."
    )


def _span(pair: tuple[int, int]) -> str:
    low, high = pair
    return str(low) if low == high else f"{low} to {high}"


def term_variance_blocks(result: Any, model: Any) -> list[Block]:
    term = result.term
    dropped = fmt.join_words([f"`{d}`" for d in result.dropped if d != term])
    blocks: list[Block] = [Heading(f"Variance explained by {term}, {model.title}")]
    blocks.append(Paragraph(
        f"{term} explains {fmt.percent(result.part_r2, 1)} of the variance in "
        f"{model.fit.response_name}: the marginal R² (Nakagawa and Schielzeth 2013) is "
        f"{fmt.fixed(result.r2_marginal_full, 3)} with it and "
        f"{fmt.fixed(result.r2_marginal_reduced, 3)} without it ({code(result.reduced_formula)},"
        f" refitted to the same rows by {result.method}). That difference is the part R² of "
        f"{term} (Stoffel, Nakagawa and Schielzeth 2021, the partR2 package)."
        + (f" Leaving {term} out also leaves out {dropped}, which contains it, so this is "
           f"the share of {term} with its interactions." if dropped else "")
    ))
    moved = [c for c in result.components if c.reduction is not None]
    if moved:
        biggest = max(moved, key=lambda c: c.reduction)
        where = ("the residual variance" if biggest.group == "Residual"
                 else f"the {biggest.group} variance")
        blocks.append(Paragraph(
            "Measured instead as the proportional reduction in variance components "
            "(Raudenbush and Bryk 2002), (σ² without − σ² with) / σ² without: "
            f"{term} accounts for {fmt.percent(biggest.reduction, 1)} of {where}"
            + (", the level at which it varies" if biggest.reduction > 0.05 else "")
            + ". The table gives every component; a negative share means the component "
            "grew when the term was added."
        ))
    blocks.append(table(
        ["Component", f"Without {term}", f"With {term}", "Reduction"],
        [[("Residual" if c.group == "Residual" else f"{c.group} {c.term}".strip()),
          fmt.number(c.reduced), fmt.number(c.full),
          "–" if c.reduction is None else fmt.percent(c.reduction, 1)]
         for c in result.components],
    ))
    return blocks


def rescaled_blocks(result: Any, model: Any) -> list[Block]:
    row, old = result.rescaled, result.original
    per = f"{result.per:,g}"
    level = fmt.level_percent(result.level)
    fit = model.fit
    return [
        Heading(f"`{result.term}` per {per} units, {model.title}"),
        Paragraph(
            f"Per {per} units of {result.term}, {fit.response_name} changes by "
            f"{fmt.estimate(row.estimate, row.se)} (SE {fmt.number(row.se)}, {level} CI "
            f"{fmt.interval(row.ci_lower, row.ci_upper, row.se)}; "
            f"t({fmt.degrees_of_freedom(row.df)}) = {fmt.statistic(row.t)}, "
            f"{fmt.p_value(row.p)}). This is the coefficient per unit, "
            f"{fmt.estimate(old.estimate, old.se)} (SE {fmt.number(old.se)}), times {per}: "
            f"the same as refitting with {result.term} divided by {per}. Rescaling changes "
            "the estimate, its SE and its interval together, so t, its degrees of freedom "
            "and p stay the same."
        ),
    ]


def balance_blocks(answer: Any, model: Any) -> list[Block]:
    """ "Is the design balanced?": the counts per level and per cell, led by the verdict
    on the rows the model used (else the whole data)."""
    from engine.design_balance import pair_balanced

    main = answer.model_rows if answer.model_rows is not None else answer.data
    where = (f"the {fmt.integer(main.n_rows)} rows {model.title} was fitted to"
             if answer.model_rows is not None else f"the {fmt.integer(main.n_rows)} rows")
    how = ("the model's grouping factors and categorical predictors"
           if answer.chosen == "model" else "the categorical columns whose levels repeat")
    factors = fmt.join_words(list(answer.factors))
    verdict = ("Yes: the design is balanced" if main.balanced
               else "No: the design is unbalanced")
    blocks: list[Block] = [Heading("Is the design balanced?")]
    parts = [_level_words(c) for c in main.levels]
    parts += [_pair_words(c) for c in main.cells]
    counts = "; ".join(parts)
    blocks.append(Paragraph(
        f"{verdict} in {where} (counting {factors}: {how}). "
        f"{counts[0].upper()}{counts[1:]}."
    ))
    if answer.model_rows is not None and answer.data.n_rows != main.n_rows:
        blocks.append(Paragraph(
            f"The whole data have {fmt.integer(answer.data.n_rows)} rows, and there the "
            f"design is {'balanced' if answer.data.balanced else 'unbalanced'}; the "
            f"{fmt.integer(answer.data.n_rows - main.n_rows)} rows the model left out "
            "(a missing value) "
            + ("are what unbalance it." if answer.data.balanced and not main.balanced
               else "change the counts above.")
        ))
    blocks.append(Paragraph(
        "A mixed model needs no balance: unequal counts and empty cells enter the "
        "likelihood as they are, where repeated-measures ANOVA would drop every unit with "
        "a missing cell. Imbalance still shows in two places: a level with few "
        "observations has its random effect pulled further toward zero, and the "
        "degrees of freedom (Satterthwaite, Kenward-Roger) no longer equal the classical "
        "ANOVA ones."
    ))
    rows = [[c.factor, f"{c.n_levels} levels", _span((c.minimum, c.maximum)),
             "yes" if c.balanced else "no"] for c in main.levels]
    rows += [[f"{c.first} × {c.second}",
              f"{fmt.integer(c.cells_present)} of {fmt.integer(c.cells_possible)} cells",
              _span((c.min_per_cell, c.max_per_cell)),
              "yes" if pair_balanced(c) else "no"] for c in main.cells]
    blocks.append(table(["Factor or pair", "Levels or cells", "Observations each",
                         "Balanced"], rows))
    return blocks


def _level_words(c: Any) -> str:
    if c.balanced:
        return f"each of the {c.n_levels} levels of {c.factor} has {c.minimum} observations"
    return (f"the {c.n_levels} levels of {c.factor} have {c.minimum} ({c.smallest}) to "
            f"{c.maximum} ({c.largest}) observations")


def _pair_words(t: Any) -> str:
    per_cell = (f"{t.min_per_cell} each" if t.min_per_cell == t.max_per_cell
                else f"{t.min_per_cell} to {t.max_per_cell} each")
    nested = ""
    if t.design == NESTED:
        inner = t.second if t.nested_in == t.first else t.first
        nested = f", {inner} being nested in {t.nested_in}"
    return (f"{fmt.integer(t.cells_present)} of the {fmt.integer(t.cells_possible)} "
            f"{t.first} × {t.second} cells hold observations ({per_cell}{nested})")
