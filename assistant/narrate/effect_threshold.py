"""A fixed effect against a threshold that matters in practice, in words: the minimum-effect
test, the equivalence test (two one-sided tests) or the one-sided test of
``engine.effect_threshold``; and, when no threshold was given, why one is needed."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph
from assistant.narrate.tables import DDF_NAMES


def threshold_blocks(result: Any, model: Any) -> list[Block]:
    r = result
    change = _change_words(r.estimate, r.response)
    opening = (
        f"The {r.term} coefficient is {fmt.estimate(r.estimate, r.se)} "
        f"({fmt.level_percent(r.level)} CI {fmt.interval(r.ci_lower, r.ci_upper, r.se)}), "
        f"{change} of {fmt.magnitude(r.estimate, r.se)}."
    )
    test = _test_sentence(r)
    blocks: list[Block] = [
        Heading(f"{r.term} against the threshold {_threshold(r.threshold)}, {model.title}"),
        Paragraph(f"{opening} {test}"),
        Paragraph(_verdict(r)),
    ]
    if r.interactions:
        blocks.append(Paragraph(
            f"{r.term.split('[')[0]} also enters {fmt.join_words(list(r.interactions))}, so this "
            "coefficient is its effect where the other variable of the interaction is at its "
            "reference level or zero, not an average effect, and the test is about that "
            "point."
        ))
    if r.kind == "minimum_effect":
        blocks.append(Paragraph(
            "The usual test of the coefficient only asks whether it differs from zero; this "
            "one asks whether it is larger than the smallest effect you named, so it needs "
            "stronger evidence. The threshold should be fixed before looking at the data (for "
            "example a published minimal clinically important difference)."
        ))
    elif r.kind == "equivalence":
        blocks.append(Paragraph(
            "A coefficient that is not significantly different from zero does not show that "
            "the effect is small; this test does, by asking whether every value in the "
            f"{fmt.level_percent(1 - 2 * r.alpha)} interval lies between "
            f"{_threshold(-r.threshold)} and {_threshold(r.threshold)}."
        ))
    return blocks


def _threshold(value: float) -> str:
    """The threshold as the user typed it (``0.5``, not ``0.500``), with a true minus."""
    text = f"{abs(value):g}"
    return f"{fmt.MINUS}{text}" if value < 0 else text


def _change_words(value: float, response: str) -> str:
    return f"an increase in {response}" if value >= 0 else f"a decrease in {response}"


def _df_text(r: Any) -> str:
    if r.ddf_method == "asymptotic":
        return f"z = {fmt.statistic(r.t)} (normal approximation)"
    label = DDF_NAMES.get(r.ddf_method, r.ddf_method)
    return f"t({fmt.degrees_of_freedom(r.df)}) = {fmt.statistic(r.t)} ({label} df)"


def _test_sentence(r: Any) -> str:
    delta = _threshold(r.threshold)
    alpha = fmt.level_percent(r.alpha)
    if r.kind == "minimum_effect":
        return (
            f"Is its size beyond {delta}? Minimum-effect test of the null hypothesis that "
            f"the true effect is at most {delta} in size (Murphy & Myors 1999), on the side "
            f"of the estimate: {_df_text(r)}, one-sided {fmt.p_value(r.p)}, at the {alpha} "
            "level."
        )
    if r.kind == "equivalence":
        return (
            f"Is its size below {delta}? Equivalence test (Schuirmann's two one-sided tests) "
            f"of the null hypothesis that the true effect is {delta} or more in size: "
            f"t = {fmt.statistic(r.t_lower)} against −{delta} and "
            f"{fmt.statistic(r.t_upper)} against {delta} on {fmt.degrees_of_freedom(r.df)} "
            f"df; the larger of the two one-sided p values decides: {fmt.p_value(r.p)}."
        )
    relation = "above" if r.side > 0 else "below"
    null = "at most" if r.side > 0 else "at least"
    return (
        f"Is it {relation} {delta}? One-sided test of the null hypothesis that it is "
        f"{null} {delta}: {_df_text(r)}, one-sided {fmt.p_value(r.p)}."
    )


def _verdict(r: Any) -> str:
    delta = _threshold(r.threshold)
    confidence = fmt.level_percent(1 - r.alpha)
    bound = fmt.estimate(abs(r.bound), r.se)
    if r.kind == "minimum_effect":
        size = "decrease" if r.side < 0 else "increase"
        if r.supported:
            return (f"Yes: the data support an effect larger than {delta}. With {confidence} "
                    f"confidence the {size} is at least {bound}.")
        below = (" The estimate itself is below the threshold." if abs(r.estimate) <=
                 r.threshold else "")
        return (f"Not shown: an effect of {delta} or less is still consistent with the data; "
                f"with {confidence} confidence the {size} is at least {bound}, which does "
                f"not clear {delta}.{below}")
    if r.kind == "equivalence":
        interval = fmt.interval(r.tost_lower, r.tost_upper, r.se)
        if r.supported:
            return (f"Yes: the effect is smaller than {delta} in size. The "
                    f"{fmt.level_percent(1 - 2 * r.alpha)} interval, {interval}, lies inside "
                    f"−{delta} to {delta}.")
        return (f"Not shown: effects of {delta} or more in size are still consistent with the "
                f"data. The {fmt.level_percent(1 - 2 * r.alpha)} interval, {interval}, reaches "
                f"beyond −{delta} to {delta}.")
    relation = "above" if r.side > 0 else "below"
    bound_words = "at least" if r.side > 0 else "at most"
    signed = fmt.estimate(r.bound, r.se)
    if r.supported:
        return (f"Yes: the coefficient is {relation} {delta}; with {confidence} confidence it "
                f"is {bound_words} {signed}.")
    return (f"Not shown: a value of {delta} or on the other side of it is still consistent "
            f"with the data; with {confidence} confidence the coefficient is only known to "
            f"be {bound_words} {signed}.")


def threshold_needed_blocks(rows: Any, model: Any) -> list[Block]:
    """ "Is the treatment effect clinically meaningful?": the estimate, and the threshold
    the question needs."""
    blocks: list[Block] = [Heading(f"Is the effect meaningful? {model.title}")]
    level = fmt.level_percent(model.fit.level)
    for row in rows:
        blocks.append(Paragraph(
            f"The {row.term} coefficient is {fmt.estimate(row.estimate, row.se)} "
            f"({level} CI {fmt.interval(row.ci_lower, row.ci_upper, row.se)}; "
            f"{fmt.p_value(row.p)} against zero)."
        ))
    example = rows[0].term.split("[")[0] if rows else "treatment"
    blocks.append(Paragraph(
        "Whether an effect of this size matters is not a question the data can answer: it "
        "depends on the smallest difference that matters on this scale (in clinical work the "
        "minimal clinically important difference), which has to come from outside the study. "
        "Every value in the interval is compatible with the data, so compare both ends of it "
        "with that threshold. Name the threshold and I test the effect against it, e.g. "
        f"`is the {example} effect larger than 10?` (or `smaller than 10?` to show that it "
        "is negligible)."
    ))
    return blocks
