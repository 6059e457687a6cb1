"""Model comparisons (AIC/BIC, likelihood ratio tests) and the side-by-side comparisons
with repeated-measures ANOVA and ordinary least squares."""

from __future__ import annotations

from typing import Any

from assistant.narrate import fit_statistics as fit_statistics_words
from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Detail, Heading, Paragraph, code, table
from assistant.step_results import SessionComparison

REFIT_WORDS = {
    "requested": "All models were refitted with maximum likelihood (ML), as you asked.",
    "fixed_effects_differ": (
        "The models differ in their fixed effects, so I refitted them with maximum "
        "likelihood (ML): REML likelihoods of models with different fixed effects cannot "
        "be compared. The estimates you saw for each model are still the REML ones."
    ),
    "mixed_methods": (
        "Some models were fitted by REML and some by ML, so I refitted them all with ML to "
        "put them on the same footing."
    ),
    "same_fixed_effects": (
        "The models share their fixed effects and differ only in the random effects, so "
        "their REML likelihoods are comparable and no refit was needed."
    ),
    "already_ml": "All models were already fitted by maximum likelihood (ML).",
    "not_requested": "As asked, nothing was refitted.",
}


def _names(models: list[Any]) -> list[str]:
    """``2: random intercept model`` per model. Models that share a structure name also
    show their random part where it differs, and their fixed part where it does not."""
    words = [model.label or model.name for model in models]
    out = []
    for model, word in zip(models, words, strict=True):
        twins = [m for m, w in zip(models, words, strict=True) if w == word and m is not model]
        if twins and model.label is None:
            random = _random_text(model)
            if any(_random_text(m) != random for m in twins):
                word += f", {random}"
            if any(_random_text(m) == random for m in twins):
                word += f", fixed {model.fit.model_formula.fixed_text()}"
        out.append(f"{model.number}: {word}")
    return out


def _random_text(model: Any) -> str:
    return " + ".join(b.text() for b in model.fit.model_formula.written_random)


def comparison_blocks(result: SessionComparison) -> list[Block]:
    c = result.comparison
    records = c.table.to_dict(orient="records")
    show_ic = [k for k in ("AIC", "BIC") if k in result.criteria] or ["AIC", "BIC"]
    columns = ["Model", "npar", *show_ic, "logLik", "Chisq", "Df", "p"]
    if any(fmt.is_number(r.get("p_boundary")) for r in records):
        columns.append("p (boundary)")
    if result.r2:
        columns += ["R² marg.", "R² cond."]
    rows = []
    for i, (name, rec) in enumerate(zip(_names(result.models), records, strict=True)):
        row = [name, fmt.integer(rec["npar"])]
        row += [fmt.number(rec[k]) for k in show_ic]
        tested = fmt.is_number(rec["Df"]) and rec["Df"] > 0
        row += [
            fmt.number(rec["logLik"]),
            fmt.statistic(rec["Chisq"]) if tested else "",
            fmt.integer(rec["Df"]) if tested else "",
            fmt.p_cell(rec["p"]) if tested else "",
        ]
        if "p (boundary)" in columns:
            row.append(fmt.p_cell(rec.get("p_boundary")))
        if result.r2:
            row += [fmt.proportion(result.r2[i].r2_marginal),
                    fmt.proportion(result.r2[i].r2_conditional)]
        rows.append(row)
    blocks: list[Block] = [
        Heading("Model comparison"),
        Paragraph(REFIT_WORDS.get(c.refit_reason, "") + _duplicates_words(result)),
        table(columns, rows, "l" + "r" * (len(columns) - 1)),
        Paragraph(_best_sentence(result, records, show_ic)),
    ]
    if "LRT" in result.criteria:
        blocks.extend(_lrt_blocks(result, records))
    if result.r2:
        blocks.append(Paragraph(_r2_words(result)))
    blocks.append(
        Detail(tuple(Paragraph(f"Model {m.number}: {code(m.fit.formula)}") for m in result.models))
    )
    return blocks


def _r2_words(result: SessionComparison) -> str:
    """What the R² columns say, whose fits they are, and that they choose no model."""
    text = fit_statistics_words.highest_r2_sentence(result.models, result.r2)
    if result.comparison.refitted_with_ml and any(s.method == "REML" for s in result.r2):
        text += (
            " The R² are those of the models as you fitted them; the ML refits serve the "
            "likelihoods, AIC and BIC only."
        )
    return (
        f"{text} R² (Nakagawa and Schielzeth: marginal for the fixed effects alone, "
        "conditional for fixed plus random effects) does not penalise extra parameters, so "
        "it describes the models but does not choose between them."
    )


def _duplicates_words(result: SessionComparison) -> str:
    if not result.duplicates:
        return ""
    pairs = [f"model {a} (same as model {b})" for a, b in result.duplicates]
    return f" Left out {fmt.join_words(pairs)}."


def _best_sentence(result: SessionComparison, records: list[dict], criteria: list[str]) -> str:
    pieces = []
    for key in criteria:
        best = min(range(len(records)), key=lambda i: records[i][key])
        pieces.append(
            f"{key} is lowest for model {result.models[best].number} "
            f"({fmt.number(records[best][key])})"
        )
    return (
        "Lower is better: "
        + fmt.join_words(pieces)
        + ". BIC penalises extra parameters more than AIC, so it favours simpler models."
    )


def _lrt_sentence(small: Any, large: Any, rec: dict) -> str:
    if not fmt.is_number(rec["Df"]) or rec["Df"] <= 0:
        return (
            f"Models {small.number} and {large.number} have the same number of parameters, "
            "so they are not nested and no likelihood ratio test applies; compare them by "
            "AIC and BIC."
        )
    test = f"χ²({fmt.integer(rec['Df'])}) = {fmt.statistic(rec['Chisq'])}, {fmt.p_value(rec['p'])}"
    p_used = rec["p_boundary"] if fmt.is_number(rec.get("p_boundary")) else rec["p"]
    verdict = (
        "the larger model fits significantly better"
        if fmt.is_number(p_used) and p_used < 0.05
        else "the extra parameters do not improve the fit significantly"
    )
    text = f"Model {large.number} vs model {small.number}: {test}; {verdict}."
    text += _added_terms_words(small, large, int(rec["Df"]))
    if fmt.is_number(rec.get("p_boundary")):
        text += (
            " This test asks whether a variance is zero, which is the edge of its possible "
            "values, so the plain χ² p value is too large; corrected for the boundary (a "
            f"50:50 mix of χ² distributions), {fmt.p_value(rec['p_boundary'])}."
        )
        if rec.get("boundary_exact") is False:
            text += (
                " That mix is exact when one random effect is added; this comparison adds "
                "several at once, so the corrected p is an approximation."
            )
    return text


def _added_terms_words(small: Any, large: Any, df: int) -> str:
    """What a likelihood ratio test with several df tests, when the larger model only adds
    fixed-effect columns: those columns together. An interaction tested together with
    its main effect is not a test of the interaction alone."""
    if df < 2 or small.fit.theta.size != large.fit.theta.size:
        return ""
    if _random_text(small) != _random_text(large):
        return ""
    added = [name for name in large.fit.fixed_names if name not in small.fit.fixed_names]
    if len(added) != df:
        return ""
    words = (
        f" The test has {fmt.integer(df)} degrees of freedom because model {large.number} "
        f"adds {fmt.integer(df)} fixed-effect columns ({fmt.join_words([code(a) for a in added])})"
        ", and it tests them together."
    )
    interactions = [a for a in added if ":" in a]
    if interactions and len(interactions) < len(added):
        words += (
            f" The interaction on its own is tested by its row in the fixed-effects table "
            f"({code(interactions[0])})."
        )
    return words


def _lrt_blocks(result: SessionComparison, records: list[dict]) -> list[Block]:
    c = result.comparison
    if not c.lrt_valid:
        return [
            Paragraph(
                "The likelihood ratio tests are not valid here: REML fits with different "
                "fixed effects were compared without a refit. Ask again with `refit ML`."
            )
        ]
    sentences = [
        _lrt_sentence(result.models[i - 1], result.models[i], records[i])
        for i in range(1, len(records))
    ]
    for small, large, pair in result.pairwise:
        sentences.append(_lrt_sentence(small, large, pair.table.to_dict(orient="records")[1]))
    return [Paragraph(s) for s in sentences]
