"""Type III tests and confidence-interval tables for one model."""

from __future__ import annotations

import pandas as pd

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table
from assistant.step_results import ModelTable
from engine.data import is_centred

#: The df methods' short names ("tests use Satterthwaite df").
DDF_NAMES = {"satterthwaite": "Satterthwaite", "kenward-roger": "Kenward-Roger",
             "residual": "residual", "asymptotic": "asymptotic (z)"}


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
    blocks: list[Block] = [
        Heading(f"Type III tests for {result.model.title}"),
        Paragraph(
            f"Each term is tested given all the others, with {ddf} denominator degrees of "
            f"freedom: {'; '.join(sentences)}."
        ),
        table(["Term", "F", "num df", "den df", "p"], rows, "lrrrr"),
    ]
    note = _covariate_zero_note([str(t) for t in frame["term"]], result.model.fit.data)
    if note:
        blocks.append(Paragraph(note))
    return blocks


def _covariate_zero_note(terms: list[str], data: pd.DataFrame) -> str | None:
    """lmerTest's type III test of a term that interacts with a numeric covariate tests
    it where the covariate is 0 (covariates are not centred), which may lie outside the
    data: say so for each such term."""
    notes: list[str] = []
    covariates: list[str] = []
    for term in terms:
        if ":" in term or term not in data.columns:
            continue
        partners = []
        for other in terms:
            pieces = other.split(":")
            if term not in pieces or len(pieces) < 2:
                continue
            partners += [
                p for p in pieces if p != term and p not in partners and _uncentred(data, p)
            ]
        if partners:
            covariates += partners
            where = fmt.join_words([f"{p} = 0" for p in partners])
            notes.append(f"{term} is tested at {where}")
    if not notes:
        return None
    columns = list(dict.fromkeys(covariates))
    commands = " and ".join(f"`center {c}`" for c in columns)
    return (
        f"Because of the interaction{'s' if len(notes) > 1 else ''}, "
        f"{fmt.join_words(notes)}, not at the mean; to test "
        f"{'it' if len(notes) == 1 else 'them'} at the mean instead, centre first "
        f"({commands}) and fit the model again."
    )


def _uncentred(data: pd.DataFrame, column: str) -> bool:
    """A numeric column of the model frame whose zero is not its mean."""
    if column not in data.columns or not pd.api.types.is_numeric_dtype(data[column]):
        return False
    return not is_centred(data[column])


def parameter_words(name: str) -> str:
    """What a row of lme4's interval table (profile names) is, in words."""
    if name == "sigma":
        return "residual SD"
    if name.startswith("sd_"):
        term, _, group = name[3:].partition("|")
        return f"SD of the {group} {'intercept' if term == '(Intercept)' else term + ' slope'}"
    if name.startswith("cor_"):
        terms, _, group = name[4:].partition("|")
        first, _, second = terms.partition(".")
        words = sorted(
            ("intercept" if t == "(Intercept)" else f"{t} slope" for t in (first, second)),
            key=lambda w: w != "intercept",
        )
        return f"correlation of the {group} {words[0]} and {words[1]}"
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
        meaning = "fixed effect" if name in se_by_term else parameter_words(name)
        rows.append([name, meaning, lower, upper])
    level = fmt.level_percent(result.level or 0.95)
    how = (
        "profile likelihood (the interval holds the values the likelihood ratio test "
        "would not reject)"
        if result.method == "profile"
        else "Wald intervals (estimate ± a t quantile times the SE)"
    )
    if result.method == "profile" and getattr(fit, "reml", False):
        how += (
            ". The profile is of the ML likelihood, as lme4 computes it also for a REML fit, "
            "so the intervals for the SDs surround the ML estimates, which are somewhat "
            "smaller than the REML ones the fit reports"
        )
    return [
        Heading(f"{level} confidence intervals for {result.model.title}"),
        Paragraph(f"Method: {how}."),
        table(["Parameter", "Meaning", "Lower", "Upper"], rows, "llrr"),
    ]
