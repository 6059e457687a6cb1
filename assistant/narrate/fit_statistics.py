"""How well a model fits, in words: log-likelihood, AIC, BIC, the REML criterion or
deviance, and Nakagawa and Schielzeth's marginal and conditional R².

The numbers are ``engine.fit_statistics.FitStatistics`` (lme4's definitions; R² with
Johnson's 2014 extension for random slopes). For REML fits the likelihood, AIC and BIC
are the REML ones, as lme4 reports them, and the text says so.
"""

from __future__ import annotations

from typing import Any

from assistant.narrate import fit as fit_words
from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, code, table
from assistant.step_results import FitStatisticsReport
from engine.fit_statistics import (
    ISSUE_DIFFERENT_DATA,
    ISSUE_MIXED_METHODS,
    ISSUE_REML_FIXED_EFFECTS_DIFFER,
)

REML_CAVEAT = (
    "These are REML likelihoods, as lme4 reports them: they compare only models with the "
    "same fixed effects. To compare models whose fixed effects differ, refit them by ML "
    "(`compare models` does this and adds likelihood-ratio tests)."
)
ML_NOTE = (
    "These are ML likelihoods: they compare any models of the same outcome on the same "
    "rows; the lower the AIC or BIC, the better the balance of fit and complexity."
)
R2_MEANING = (
    "Marginal R² is the share of variance the fixed effects explain; conditional R² the "
    "share fixed and random effects explain together (Nakagawa and Schielzeth 2013, with "
    "Johnson's 2014 extension for random slopes)."
)
ISSUE_WORDS = {
    ISSUE_DIFFERENT_DATA: (
        "These models were fitted to different outcomes or rows, so their likelihoods, AIC "
        "and BIC cannot be compared with each other."
    ),
    ISSUE_MIXED_METHODS: (
        "Some of these models were fitted by REML and some by ML, so their likelihoods, AIC "
        "and BIC cannot be compared with each other; `compare models` refits them by ML."
    ),
    ISSUE_REML_FIXED_EFFECTS_DIFFER: (
        "These REML fits have different fixed effects, so their REML likelihoods, AIC and "
        "BIC cannot be compared with each other; `compare models` refits them by ML and "
        "tests them."
    ),
}


def observations_words(stats: Any) -> str:
    """``180 observations in 18 levels of Subject``."""
    labels = set(stats.ngroups)
    groups = [
        f"{fmt.integer(count)} levels of {fit_words.group_words(group, labels)}"
        for group, count in stats.ngroups.items()
    ]
    return f"{fmt.plural(stats.nobs, 'observation')} in {fmt.join_words(groups)}"


def criterion_words(stats: Any) -> str:
    """The fit's own −2 log-likelihood: the REML criterion or the deviance."""
    if stats.reml:
        return f"REML criterion {fmt.number(stats.reml_criterion)} (−2 × the REML log-likelihood)"
    return f"deviance {fmt.number(stats.deviance)} (−2 × the log-likelihood)"


def likelihood_sentence(stats: Any) -> str:
    """``log-likelihood −871.8 (REML), AIC 1755.6, BIC 1774.8 on 6 parameters; ...``"""
    kind = " (REML)" if stats.reml else " (ML)"
    return (
        f"Log-likelihood {fmt.number(stats.loglik)}{kind}, AIC {fmt.number(stats.aic)}, "
        f"BIC {fmt.number(stats.bic)} on {fmt.plural(stats.npar, 'parameter')}, "
        f"{observations_words(stats)}; {criterion_words(stats)}; residual SD "
        f"{fmt.number(stats.sigma)}."
    )


def r2_sentence(stats: Any) -> str:
    """``marginal R² 0.28 (fixed effects alone), conditional R² 0.80 (fixed plus random)``."""
    return (
        f"Marginal R² {fmt.proportion(stats.r2_marginal)} (fixed effects alone), conditional "
        f"R² {fmt.proportion(stats.r2_conditional)} (fixed plus random effects)."
    )


R2_NOT_A_CRITERION = (
    "R² does not penalise extra parameters, so it says how much variance each model "
    "accounts for but does not choose between them; `compare models` does that with AIC, "
    "BIC and likelihood-ratio tests."
)
R2_MIXED_METHODS = (
    "REML and ML estimate the variances a little differently, so a REML fit and an ML fit "
    "of the same model can differ slightly in R² for that reason alone."
)
R2_DIFFERENT_DATA = (
    "These models were fitted to different outcomes or rows, so each R² describes its own "
    "data."
)


def variance_parts_sentence(stats: Any) -> str:
    """The three variances behind the R² (Nakagawa and Schielzeth's σ²_f, σ²_r, σ²_ε)."""
    fixed = f"fixed effects {fmt.number(stats.var_fixed)}"
    if stats.var_fixed == 0:
        fixed += " (the fixed part is the intercept alone, so the marginal R² is 0)"
    return (
        f"The variance parts behind them: {fixed}, random effects "
        f"{fmt.number(stats.var_random)} and residual {fmt.number(stats.var_residual)}."
    )


def r2_table(report: FitStatisticsReport) -> Any:
    """One row per model: its R² and the variance parts they are built from."""
    rows = [
        [
            model.title,
            code(model.fit.formula),
            stats.method,
            fmt.proportion(stats.r2_marginal),
            fmt.proportion(stats.r2_conditional),
            fmt.number(stats.var_fixed),
            fmt.number(stats.var_random),
            fmt.number(stats.var_residual),
        ]
        for model, stats in zip(report.models, report.statistics, strict=True)
    ]
    return table(
        ["Model", "Formula", "Method", "R² marg.", "R² cond.", "Var. fixed", "Var. random",
         "Var. residual"],
        rows,
        "lllrrrrr",
        caption="R² of each model (Nakagawa and Schielzeth)",
    )


def highest_r2_sentence(models: Any, statistics: Any) -> str:
    """Which model's fixed effects, and which model's fixed plus random effects, explain
    the most variance (as shown, to two decimals)."""
    pieces = []
    for field, words in (("r2_marginal", "Marginal R²"), ("r2_conditional", "conditional R²")):
        values = [getattr(stats, field) for stats in statistics]
        shown = [fmt.proportion(v) for v in values]
        top = shown[max(range(len(values)), key=lambda i: values[i])]
        tied = [model.title for model, text in zip(models, shown, strict=True) if text == top]
        if len(tied) == len(models):
            pieces.append(f"{words} is {top} for every model")
        else:
            pieces.append(f"{words} is highest for {fmt.join_words(tied)} ({top})")
    return f"{pieces[0]}; {pieces[1]}."


def r2_blocks(report: FitStatisticsReport) -> list[Block]:
    """The answer to "R2 for each model": R² sentences for one model, a table for several."""
    blocks: list[Block] = []
    if report.focus is not None:
        stats = report.statistics[report.models.index(report.focus)]
        blocks.append(Heading(f"R² of {report.focus.title}"))
        blocks.append(Paragraph(f"{r2_sentence(stats)} {variance_parts_sentence(stats)}"))
        blocks.extend(fit_words.trouble_blocks(report.focus.fit))
    else:
        blocks.append(Heading(f"R² of the {len(report.models)} models"))
    if len(report.models) > 1:
        blocks.append(r2_table(report))
        notes = [highest_r2_sentence(report.models, report.statistics), R2_NOT_A_CRITERION]
        if report.comparability == ISSUE_DIFFERENT_DATA:
            notes.append(R2_DIFFERENT_DATA)
        elif len({stats.method for stats in report.statistics}) > 1:
            notes.append(R2_MIXED_METHODS)
        blocks.append(Paragraph(" ".join(notes)))
    blocks.append(Paragraph(R2_MEANING))
    return blocks


def fit_statistics_table(report: FitStatisticsReport) -> Any:
    rows = []
    for model, stats in zip(report.models, report.statistics, strict=True):
        own = stats.reml_criterion if stats.reml else stats.deviance
        rows.append(
            [
                model.title,
                stats.method,
                fmt.integer(stats.npar),
                fmt.number(stats.loglik),
                fmt.number(stats.aic),
                fmt.number(stats.bic),
                fmt.number(own),
                fmt.proportion(stats.r2_marginal),
                fmt.proportion(stats.r2_conditional),
            ]
        )
    return table(
        ["Model", "Method", "npar", "logLik", "AIC", "BIC", "−2 logLik", "R² marg.", "R² cond."],
        rows,
        "llrrrrrrr",
        caption="Fit statistics (each model's own criterion)",
    )


def best_sentence(report: FitStatisticsReport) -> str:
    """For comparable fits: which model has the lowest AIC and the lowest BIC."""
    pairs = list(zip(report.models, report.statistics, strict=True))
    by_aic = min(pairs, key=lambda pair: pair[1].aic)
    by_bic = min(pairs, key=lambda pair: pair[1].bic)
    return (
        "Their likelihoods can be compared (same outcome, rows and criterion"
        + (", and the same fixed effects" if by_aic[1].reml else "")
        + f"): AIC is lowest for {by_aic[0].title} ({fmt.number(by_aic[1].aic)}) and BIC "
        f"for {by_bic[0].title} ({fmt.number(by_bic[1].bic)}); lower is better."
    )


def fit_statistics_blocks(report: FitStatisticsReport) -> list[Block]:
    """The focus model in sentences, then a table when several models are shown."""
    if report.measure == "r2":
        return r2_blocks(report)
    blocks: list[Block] = []
    if report.focus is not None:
        index = report.models.index(report.focus)
        stats = report.statistics[index]
        blocks.append(Heading(f"How well {report.focus.title} fits"))
        blocks.append(Paragraph(f"{likelihood_sentence(stats)} {r2_sentence(stats)}"))
        blocks.extend(fit_words.trouble_blocks(report.focus.fit))
    else:
        blocks.append(Heading(f"How well the {len(report.models)} models fit"))
    methods = {stats.method for stats in report.statistics}
    if len(report.models) > 1:
        blocks.append(fit_statistics_table(report))
        issue = ISSUE_WORDS.get(report.comparability or "")
        blocks.append(Paragraph(issue or best_sentence(report)))
    if methods == {"REML"}:
        blocks.append(Paragraph(REML_CAVEAT))
    elif methods == {"ML"}:
        blocks.append(Paragraph(ML_NOTE))
    blocks.append(Paragraph(R2_MEANING))
    return blocks
