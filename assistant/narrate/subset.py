"""Subsets of the data and the refit without outliers, in words.

The numbers come from ``engine.subset.SubsetResult`` and
``engine.sensitivity.OutlierSensitivity``; nothing is computed here.
"""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Detail, Heading, Paragraph, code, table
from assistant.narrate.fit import trouble_blocks
from assistant.step_results import DataSubset, OutlierRefit

#: How many row numbers or levels a sentence lists before "and N more".
SHOWN = 10

OPERATOR_WORDS = {"==": "is", "!=": "is not", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def listed(items: list[str], limit: int = SHOWN) -> str:
    """``a, b and c``; past ``limit`` items, ``a, b, … and 12 more``."""
    if len(items) <= limit:
        return fmt.join_words(items)
    return ", ".join(items[:limit]) + f" and {fmt.integer(len(items) - limit)} more"


def _nothing_removed(outcome: DataSubset) -> str:
    """A rule that matched no row to remove (a centred column compared in its old units)."""
    r, parent = outcome.result, outcome.parent
    unchanged = f"so nothing was removed: `{parent}` is unchanged and stays the current data."
    if r.rule == "rows":
        return f"Those are all the rows of `{parent}`, {unchanged}"
    if r.action == "keep":
        return f"Every row of `{parent}` is one where {_rule_words(r)}, {unchanged}"
    return f"There is no row where {_rule_words(r)} in `{parent}`, {unchanged}"


def _values(result: Any) -> str:
    return fmt.join_words([fmt.value(v) if isinstance(v, float) else str(v)
                           for v in result.values])


def _rule_words(result: Any) -> str:
    """The rows the request named, after "where": "treatment is treated", "age > 70"."""
    if result.rule == "missing":
        state = "is missing" if result.operator == "is_missing" else "is not missing"
        return f"{result.column} {state}"
    if result.operator == "==":
        return f"{result.column} is {' or '.join(_value_texts(result))}"
    return f"{result.column} {OPERATOR_WORDS[result.operator]} {_values(result)}"


def _value_texts(result: Any) -> list[str]:
    return [fmt.value(v) if isinstance(v, float) else str(v) for v in result.values]


def _of_levels(result: Any) -> str:
    """ "patient P001", "patients P001 and P002": levels of the subjects' column."""
    column = result.column
    if all(str(v).casefold().startswith(column.casefold()) for v in result.values):
        return _values(result)  # "school_12", not "school school_12"
    if len(result.values) > 1 and not column.endswith("s"):
        column += "s"
    return f"{column} {_values(result)}"


def _what_changed(r: Any) -> str:
    rows = fmt.plural(r.n_removed, "row")
    if r.rule == "rows":
        numbers = listed([str(v) for v in r.values])
        word = "row" if len(r.values) == 1 else "rows"
        if r.action == "drop":
            return f"removed {word} {numbers}"
        return f"kept {word} {numbers} and removed the other {rows}"
    by_subject = r.rule == "levels" and r.column == r.group
    if r.action == "drop" and by_subject and r.operator == "==":
        return f"removed the {rows} of {_of_levels(r)}"
    if r.action == "keep" and by_subject and r.operator == "==":
        return f"kept {_of_levels(r)} and removed the other {rows}"
    if r.action == "drop":
        return f"removed the {rows} where {_rule_words(r)}"
    return f"kept the rows where {_rule_words(r)} and removed the other {rows}"


def subset_blocks(outcome: DataSubset) -> list[Block]:
    r = outcome.result
    if r.n_removed == 0:
        return [Paragraph(_nothing_removed(outcome))]
    head = f"{kept_rows_head(r, outcome.parent, outcome.name)}: {_what_changed(r)}."
    blocks: list[Block] = [Paragraph(head)]
    notes = []
    named_subjects = r.rule == "levels" and r.column == r.group and r.action == "drop"
    if r.groups_lost and r.group and not named_subjects:
        lost = len(r.groups_lost)
        notes.append(
            f"{fmt.integer(lost)} of {fmt.integer(r.n_groups_before)} levels of {r.group} "
            f"{'has' if lost == 1 else 'have'} no rows left ({listed(list(r.groups_lost))}); "
            f"{fmt.integer(r.n_groups_after)} remain."
        )
    if r.n_missing_compared and r.rule == "compare":
        notes.append(
            f"{fmt.plural(r.n_missing_compared, 'row')} with no {r.column} value "
            f"{'counts' if r.n_missing_compared == 1 else 'count'} as not matching."
        )
    if r.single_valued:
        notes.append(single_valued_note(r.single_valued))
    if notes:
        blocks.append(Paragraph(" ".join(notes)))
    blocks.append(follow_up(outcome.parent, outcome.parent_model, outcome.refit_follows))
    if r.rule != "rows" and r.removed_rows:
        removed = listed([str(i) for i in r.removed_rows], 30)
        blocks.append(
            Detail((Paragraph(f"Rows removed (numbered as in `{outcome.parent}`): {removed}."),))
        )
    return blocks


def kept_rows_head(result: Any, parent: str, name: str) -> str:
    """ "Kept 144 of 180 rows of `sleepstudy` as `sleepstudy_subset`" (no full stop)."""
    return (
        f"Kept {fmt.integer(result.n_after)} of {fmt.integer(result.n_before)} rows of "
        f"`{parent}` as `{name}`"
    )


def levels_remain(result: Any) -> str:
    """ "18 of 18 levels of Subject remain." for a subset counted by subject."""
    return (
        f"{fmt.integer(result.n_subjects_after)} of {fmt.integer(result.n_subjects_before)} "
        f"levels of {result.subject} remain."
    )


def guessed_columns(guessed: Any, subject: str, time: str) -> str | None:
    """ "Subject is my guess for the subject column", for the roles (``subject``,
    ``time``) that the session guessed rather than the request or the model named; None
    when it guessed none."""
    if not guessed:
        return None
    if len(guessed) == 2:
        return f"{subject} and {time} are my guesses for the subject and time columns"
    role = guessed[0]
    return f"{subject if role == 'subject' else time} is my guess for the {role} column"


def single_valued_note(columns: Any) -> str:
    """The columns a subset leaves with one value, which no model on it can use."""
    one = len(columns) == 1
    return (
        f"The column{'' if one else 's'} {fmt.join_words(list(columns))} now "
        f"{'takes' if one else 'take'} a single value, so leave {'it' if one else 'them'} "
        "out of models fitted on these rows."
    )


def lost_levels_note(lost: Any, subject: str) -> str:
    """The levels of the subject factor a subset left without any row."""
    count = len(lost)
    return (
        f"{fmt.plural(count, 'level')} of {subject} {'has' if count == 1 else 'have'} no "
        f"rows left ({listed(list(lost))})."
    )


def follow_up(parent: str, parent_model: Any, refit_follows: bool) -> Paragraph:
    """What the new data set is used for, and the way back."""
    back = f"Say {code('switch to ' + parent)} to go back."
    if parent_model is None:
        return Paragraph(f"Models fitted from now on use these rows. {back}")
    number = parent_model.number
    follow = (
        "Models fitted from now on use these rows, and so do refits and changes of "
        f"models of `{parent}`; the models already fitted keep their data. {back}"
    )
    if not refit_follows:
        follow += f" Say {code(f'refit model {number}')} to fit model {number} on these rows."
    return Paragraph(follow)


def _significant(p: float | None) -> bool | None:
    return None if p is None else p < fmt.SIGNIFICANCE_LEVEL


def outlier_refit_blocks(outcome: OutlierRefit) -> list[Block]:
    r = outcome.result
    base = outcome.model
    rule = f"|standardized residual| > {fmt.number(r.threshold)}, the residual diagnostics' rule"
    if not r.found or outcome.refitted is None:
        blocks: list[Block] = [
            Paragraph(
                f"{base.title} has no outlying observations ({rule}), so there is nothing to "
                "leave out; no model was fitted."
            )
        ]
        blocks.extend(_extreme_levels_blocks(r, base))
        return blocks
    numbers = [str(i + 1) for i in r.source_rows]
    refit = outcome.refitted
    blocks: list[Block] = [
        Heading(f"{base.title} without its outlying observations"),
        Paragraph(
            f"{base.title} has {fmt.plural(len(r.rows), 'outlying observation')} ({rule}): "
            f"{'row' if len(numbers) == 1 else 'rows'} {listed(numbers)} of "
            f"`{base.dataset}`. Refitted the same formula without "
            f"{'it' if len(numbers) == 1 else 'them'} as {refit.title}, on "
            f"{fmt.integer(refit.fit.nobs)} of {fmt.integer(r.nobs_all)} rows "
            f"(data set `{outcome.dataset}`; the current data set is unchanged)."
        ),
    ]
    blocks.extend(trouble_blocks(refit.fit))
    rows = []
    for t in r.terms:
        rows.append([
            t.term,
            fmt.estimate(t.estimate_all, t.se_all), fmt.estimate(t.se_all, t.se_all),
            fmt.p_cell(t.p_all),
            fmt.estimate(t.estimate_without, t.se_without),
            fmt.estimate(t.se_without, t.se_without), fmt.p_cell(t.p_without),
            fmt.fixed(t.shift_in_se, 2),
        ])
    blocks.append(
        table(
            ["Term", "Estimate (all)", "SE", "p", "Estimate (without)", "SE", "p",
             "Shift (SEs)"],
            rows,
            "lrrrrrrr",
        )
    )
    blocks.append(Paragraph(_verdict(r)))
    blocks.append(Detail((_variance_table(base.fit, refit.fit),)))
    blocks.extend(_extreme_levels_blocks(r, base))
    return blocks


def _variance_table(fit: Any, refit: Any) -> Block:
    """lme4's VarCorr rows (SDs and correlations) of both fits side by side."""
    after = {(v.group, v.var1, v.var2): v.sdcor for v in refit.variance_components}
    rows = []
    for v in fit.variance_components:
        if v.var1 is None:
            what = "SD"
        elif v.var2 is None:
            what = f"SD of {v.var1}"
        else:
            what = f"correlation of {v.var1} and {v.var2}"
        rows.append([v.group, what, fmt.number(v.sdcor),
                     fmt.number(after.get((v.group, v.var1, v.var2)))])
    return table(["Group", "Parameter", "All rows", "Without outliers"], rows, "llrr")


def _extreme_levels_blocks(r: Any, base: Any) -> list[Block]:
    """Whole clusters the diagnostics call extreme stay in: say how to check them."""
    if not r.extreme_levels:
        return []
    parts = []
    for group, term, levels in r.extreme_levels:
        what = "intercept" if term == "(Intercept)" else f"{term} slope"
        parts.append(f"{group} {listed(list(levels), 5)} ({what})")
    group, _, levels = r.extreme_levels[0]
    return [
        Paragraph(
            f"The diagnostics also call {fmt.join_words(parts)} extreme; a whole cluster is "
            f"not an outlying observation, so it stays in. To see its influence, say "
            f"{code(f'exclude {group} {levels[0]}')} and then {code(f'refit model {base.number}')}."
        )
    ]


def _verdict(r: Any) -> str:
    """The largest shift, any change of significance, and the residual SD."""
    if not r.terms:
        return "No fixed effect could be compared."
    largest = max(r.terms, key=lambda t: abs(t.shift_in_se))
    sentences = [
        f"The largest change is in {largest.term}: "
        f"{fmt.estimate(largest.estimate_all, largest.se_all)} → "
        f"{fmt.estimate(largest.estimate_without, largest.se_without)}, "
        f"{fmt.fixed(abs(largest.shift_in_se), 2)} standard errors of the full-data estimate."
    ]
    flipped = [t for t in r.terms
               if _significant(t.p_all) is not None and _significant(t.p_without) is not None
               and _significant(t.p_all) != _significant(t.p_without)]
    if flipped:
        parts = [
            f"{t.term} is {'significant' if _significant(t.p_all) else 'not significant'} at "
            f"5% with every row but {'not ' if _significant(t.p_all) else ''}without the outliers"
            for t in flipped
        ]
        sentences.append(fmt.join_words(parts).capitalize()[0] + fmt.join_words(parts)[1:] + ".")
    else:
        sentences.append("No fixed effect changes its significance at 5%.")
    if r.sigma_all is not None and r.sigma_without is not None:
        sentences.append(
            f"The residual SD goes from {fmt.number(r.sigma_all)} to "
            f"{fmt.number(r.sigma_without)}."
        )
    return " ".join(sentences)
