"""Estimated marginal means and pairwise comparisons (``engine.marginal_means``), also at
chosen values of other predictors (``at``), at each value of one (``by``: the simple
effects) and as simple slopes (``trend``)."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table
from assistant.narrate.fit import ddf_words

ADJUSTMENT_WORDS = {
    "tukey": "Tukey's method",
    "holm": "Holm's method",
    "bonferroni": "Bonferroni's method",
}


def marginal_means_blocks(result: Any, model: Any) -> list[Block]:
    level = fmt.level_percent(result.level)
    blocks: list[Block] = [Heading(f"{_title(result)}, {model.title}")]
    if result.focus is not None:
        blocks += [Paragraph(text) for text in _focus_sentences(result)]
    blocks.append(Paragraph(_grid_sentence(result)))
    by_column = [result.by] if result.by is not None else []
    what = f"Slope of {result.response}" if result.trend else f"Mean {result.response}"
    rows = [
        _by_cell(result, m.by_value)
        + [
            m.level,
            fmt.estimate(m.test.estimate, m.test.se),
            fmt.number(m.test.se),
            fmt.degrees_of_freedom(m.test.df),
            fmt.estimate(m.test.lower, m.test.se),
            fmt.estimate(m.test.upper, m.test.se),
        ]
        for m in result.means
    ]
    if result.trend:
        rows = [row + [fmt.statistic(m.test.t), fmt.p_cell(m.test.p)]
                for row, m in zip(rows, result.means, strict=True)]
    headers = [*by_column, result.factor, what, "SE", "df", f"{level} lower", f"{level} upper"]
    headers += ["t", "p"] if result.trend else []
    blocks.append(table(headers, rows, "l" * (1 + len(by_column)) + "r" * (len(headers) - 1
                                                                           - len(by_column))))
    blocks += [Paragraph(text) for text in _answer_sentences(result)]
    diff_rows = [
        _by_cell(result, d.by_value)
        + [
            f"{d.level1} − {d.level2}",
            fmt.estimate(d.test.estimate, d.test.se),
            fmt.number(d.test.se),
            fmt.degrees_of_freedom(d.test.df),
            fmt.statistic(d.test.t),
            fmt.p_cell(d.test.p),
        ]
        + ([fmt.p_cell(d.p_adjusted)] if result.adjustment != "none" else [])
        for d in result.differences
    ]
    headers = [*by_column, "Comparison", "Difference", "SE", "df", "t", "p"]
    if result.adjustment != "none":
        headers.append(f"p ({result.adjustment})")
    blocks.append(table(headers, diff_rows, "l" * (1 + len(by_column))
                        + "r" * (len(headers) - 1 - len(by_column))))
    if result.interacting and result.by is None and not result.at and not result.trend:
        others = fmt.join_words([f"`{v}`" for v in result.interacting])
        first = result.interacting[0]
        at_values = (
            "" if first in result.averaged_over
            else f"at chosen values with `pairwise comparisons of {result.factor} at {first} "
            "...` or "
        )
        blocks.append(
            Paragraph(
                f"{result.factor} interacts with {others} in this model, so its differences "
                f"change with {'it' if len(result.interacting) == 1 else 'them'}; these means "
                f"average over (or hold fixed) that change. Compare the levels {at_values}"
                f"at each {'level' if not at_values else 'value'} of {first} with "
                f"`marginal means of {result.factor} at each {first}`."
            )
        )
    return blocks


def _focus_sentences(result: Any) -> list[str]:
    """The answer for the one level a question asked about ("the slope of time in the
    control group"), before the table of every level."""
    rows = [m for m in result.means if m.level == result.focus]
    if not result.trend:
        return [f"For {result.focus}: mean {result.response} "
                f"{fmt.estimate(m.test.estimate, m.test.se)} ({_test_words(m.test, result.level)})."
                for m in rows]
    texts = []
    for m in rows:
        where = "" if m.by_value is None else f" at {result.by} {_shown(m.by_value)}"
        texts.append(
            f"In {result.factor} {result.focus}{where}, the mean {result.response} changes by "
            f"{fmt.estimate(m.test.estimate, m.test.se)} per unit of {result.trend} "
            f"(SE {fmt.number(m.test.se)}, {_test_words(m.test, result.level)})."
        )
    texts.append(
        f"That slope is the {result.trend} coefficient plus, for a level other than the "
        f"reference, the {result.trend}-by-{result.factor} interaction coefficient of that "
        "level; its SE, df and interval come from that sum of coefficients (a contrast), and "
        f"refitting with {result.focus} as the reference level gives the same numbers as its "
        f"{result.trend} coefficient. Every level's slope follows."
    )
    return texts


def _title(result: Any) -> str:
    if result.trend:
        return f"Slopes of {result.response} in {result.trend} for each level of {result.factor}"
    title = f"Estimated marginal means of {result.factor}"
    if result.by is not None:
        title += f" at each {result.by}" if _is_number(result.by_values[0]) else (
            f" within each level of {result.by}")
    if result.at:
        title += " at " + fmt.join_words(_settings(result.at))
    return title


def _by_cell(result: Any, value: Any) -> list[str]:
    return [] if result.by is None else [_shown(value)]


def _shown(value: Any) -> str:
    return fmt.value(float(value)) if _is_number(value) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _settings(at: dict[str, Any]) -> list[str]:
    return [f"{name} = {_shown(value)}" for name, value in at.items()]


def _grid_sentence(result: Any) -> str:
    parts = []
    if result.at:
        parts.append("with " + fmt.join_words(_settings(result.at)))
    if result.averaged_over:
        parts.append(
            "averaged with equal weights over the levels of "
            + fmt.join_words([f"`{f}`" for f in result.averaged_over])
        )
    held = {k: v for k, v in result.held_at_mean.items() if k != result.trend}
    if held:
        parts.append(
            "with "
            + fmt.join_words([f"{name} at its mean ({fmt.value(v)})" for name, v in held.items()])
        )
    if result.trend in result.held_at_mean:
        # the slope of a curved trend depends on where it is taken (emtrends: the mean)
        parts.append(
            f"slopes taken at {result.trend} = "
            f"{fmt.value(result.held_at_mean[result.trend])}, its mean"
        )
    grid = f" ({'; '.join(parts)})" if parts else ""
    df = ddf_words(result.df_method)
    where = ""
    if result.by is not None:
        values = fmt.join_words([_shown(v) for v in result.by_values])
        where = (f", at each value of {result.by} ({values})"
                 if _is_number(result.by_values[0])
                 else f", within each level of {result.by}")
    if result.trend:
        return (
            f"The change in the model's mean {result.response} per unit of {result.trend} "
            f"within each level of {result.factor}{where}{grid}: the simple slopes, as "
            f"emmeans' emtrends computes them; tests and intervals use {df}."
        )
    return (
        f"The model's mean {result.response} at each level of {result.factor}{where}{grid}, "
        f"as emmeans computes them; tests and intervals use {df}."
    )


def _answer_sentences(result: Any) -> list[str]:
    """The answer in words: per ``by`` value, the difference (two levels) or the pairs
    that differ; for slopes, each level's slope and whether they differ."""
    groups = result.by_values or (None,)
    sentences = []
    for value in groups:
        diffs = [d for d in result.differences if d.by_value == value]
        means = [m for m in result.means if m.by_value == value]
        where = (
            "" if value is None
            else f"At {result.by} {_shown(value)}, " if _is_number(value)
            else f"For {result.by} = {value}, "
        )
        if result.trend:
            sentences.append(_slopes_sentence(result, means, diffs, where))
        elif len(diffs) == 1:
            sentences.append(_difference_sentence(result, diffs[0], where))
        else:
            sentences.append(_pairs_sentence(result, diffs, where))
    if not result.trend and len(result.differences) > len(groups):
        sentences[-1] += " The intervals above are for single means, not adjusted."
    return sentences


def _test_words(test: Any, level: float) -> str:
    return (
        f"{fmt.level_percent(level)} CI {fmt.interval(test.lower, test.upper, test.se)}; "
        f"t({fmt.degrees_of_freedom(test.df)}) = {fmt.statistic(test.t)}, {fmt.p_value(test.p)}"
    )


def _difference_sentence(result: Any, d: Any, where: str) -> str:
    """ "At time 6, pain_score is 13.2 lower for treated than for control (…)": the second
    level against the first, the usual way to read a treatment effect."""
    test = d.test
    shift = -test.estimate
    direction = "higher" if shift > 0 else "lower"
    verdict = (
        "a significant difference at the 5% level" if test.p < 0.05
        else "not a significant difference at the 5% level"
    )
    subject = f"{where}{result.response}"
    return (
        f"{subject} is {fmt.magnitude(shift, test.se)} {direction} for {d.level2} than for "
        f"{d.level1} ({d.level2} − {d.level1} = {fmt.estimate(shift, test.se)}, "
        f"{fmt.level_percent(result.level)} CI "
        f"{fmt.interval(-test.upper, -test.lower, test.se)}; "
        f"t({fmt.degrees_of_freedom(test.df)}) = {fmt.statistic(-test.t)}, "
        f"{fmt.p_value(test.p)}): {verdict}."
    )


def _slopes_sentence(result: Any, means: list[Any], diffs: list[Any], where: str) -> str:
    per_level = "; ".join(
        f"{fmt.estimate(m.test.estimate, m.test.se)} for {m.level} "
        f"({_test_words(m.test, result.level)})"
        for m in means
    )
    lead = f"{where}per unit of {result.trend}" if where else f"Per unit of {result.trend}"
    text = f"{lead}, the mean {result.response} changes by {per_level}."
    if len(diffs) == 1:
        d = diffs[0]
        differ = "differ significantly" if d.test.p < 0.05 else "do not differ significantly"
        text += (
            f" The slopes {differ} at the 5% level ({d.level1} − {d.level2} = "
            f"{fmt.estimate(d.test.estimate, d.test.se)}, {_test_words(d.test, result.level)})."
        )
    elif diffs:
        text += " " + _pairs_sentence(result, diffs, "")
    return text


def _pairs_sentence(result: Any, diffs: list[Any], where: str) -> str:
    adjusted = result.adjustment != "none"
    p_of = (lambda d: d.p_adjusted) if adjusted else (lambda d: d.test.p)
    significant = [d for d in diffs if p_of(d) < 0.05]
    how = (
        f"after adjusting for {len(diffs)} comparisons by "
        f"{ADJUSTMENT_WORDS[result.adjustment]}"
        if adjusted
        else "without adjusting for the number of comparisons"
    )
    if not significant:
        head = f"none of the {len(diffs)} pairs differs significantly at the 5% level {how}."
    else:
        listed = "; ".join(
            f"{d.level1} − {d.level2} = {fmt.estimate(d.test.estimate, d.test.se)} "
            f"({fmt.p_value(p_of(d))})"
            for d in significant
        )
        head = (
            f"{len(significant)} of the {len(diffs)} pairs differ significantly at the 5% "
            f"level {how}: {listed}."
        )
    return where + head if where else head[:1].upper() + head[1:]
