"""Type III tests and confidence-interval tables for one model."""

from __future__ import annotations

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table
from assistant.step_results import ModelTable

DDF_NAMES = {"satterthwaite": "Satterthwaite", "kenward-roger": "Kenward-Roger"}


def model_table_blocks(result: ModelTable) -> list[Block]:
    if result.kind == "anova":
        return anova_blocks(result)
    return confint_blocks(result)


def anova_blocks(result: ModelTable) -> list[Block]:
    frame = result.table
    rows = []
    sentences = []
    for rec in frame.to_dict(orient="records"):
        f = fmt.statistic(rec["F"])
        df1 = fmt.degrees_of_freedom(rec["num_df"])
        df2 = fmt.degrees_of_freedom(rec["den_df"])
        rows.append([str(rec["term"]), f, df1, df2, fmt.p_cell(rec["p"])])
        sentences.append(f"{rec['term']}: F({df1}, {df2}) = {f}, {fmt.p_value(rec['p'])}")
    ddf = DDF_NAMES.get(result.method, result.method)
    return [
        Heading(f"Type III tests for {result.model.title}"),
        Paragraph(
            f"Each term is tested given all the others, with {ddf} denominator degrees of "
            f"freedom: {'; '.join(sentences)}."
        ),
        table(["Term", "F", "num df", "den df", "p"], rows, "lrrrr"),
    ]


def _parameter_words(name: str) -> str:
    if name == "sigma":
        return "residual SD"
    if name.startswith("sd_"):
        term, _, group = name[3:].partition("|")
        return f"SD of the {group} {'intercept' if term == '(Intercept)' else term + ' slope'}"
    if name.startswith("cor_"):
        terms, _, group = name[4:].partition("|")
        return f"correlation of {terms.replace('.', ' and ', 1)} by {group}"
    return name


def confint_blocks(result: ModelTable) -> list[Block]:
    frame = result.table
    fit = result.model.fit
    se_by_term = {fe.term: fe.se for fe in fit.fixed_effects}
    rows = []
    for rec in frame.to_dict(orient="records"):
        name = str(rec["parameter"])
        se = se_by_term.get(name)
        if se is not None:
            lower, upper = fmt.estimate(rec["lower"], se), fmt.estimate(rec["upper"], se)
        else:
            lower, upper = fmt.number(rec["lower"]), fmt.number(rec["upper"])
        rows.append([name, _parameter_words(name) if name not in se_by_term else "", lower, upper])
    level = fmt.level_percent(result.level or 0.95)
    how = (
        "profile likelihood (the interval holds the values the likelihood ratio test "
        "would not reject)"
        if result.method == "profile"
        else "Wald intervals (estimate ± a t quantile times the SE)"
    )
    return [
        Heading(f"{level} confidence intervals for {result.model.title}"),
        Paragraph(f"Method: {how}."),
        table(["Parameter", "Meaning", "Lower", "Upper"], rows, "llrr"),
    ]
