"""Parametric bootstrap intervals (``engine.bootstrap``), beside the Wald and profile ones."""

from __future__ import annotations

from typing import Any

import pandas as pd

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, code, table
from assistant.narrate.tables import parameter_words
from assistant.step_results import BootstrapReport

#: Shown where a method gives no interval (Wald, for the variance parameters).
NO_INTERVAL = "–"


def bootstrap_blocks(report: BootstrapReport, model: Any) -> list[Block]:
    boot = report.bootstrap
    fit = model.fit
    se_by_term = {fe.term: fe.se for fe in fit.fixed_effects}
    wald = _limits(report.wald)
    profile = _limits(report.profile) if report.profile is not None else None
    rows = []
    for row in boot.intervals:
        se = se_by_term.get(row.parameter) if row.kind == "fixed" else None
        meaning = "fixed effect" if row.kind == "fixed" else parameter_words(row.parameter)
        cells = [
            row.parameter,
            meaning,
            fmt.estimate(row.estimate, se) if se is not None else fmt.number(row.estimate),
            fmt.interval(row.lower, row.upper, se),
            _cell(wald, row.parameter, se),
        ]
        if profile is not None:
            cells.append(_cell(profile, row.parameter, se))
        rows.append(cells)
    columns = ["Parameter", "Meaning", "Estimate", "Bootstrap", "Wald"]
    if profile is not None:
        columns.append("Profile")
    level = fmt.level_percent(boot.level)
    blocks: list[Block] = [
        Heading(f"{level} parametric bootstrap confidence intervals for {model.title}"),
        Paragraph(_method_sentence(boot)),
        table(columns, rows, "llrrrr"[: len(columns)]),
        Paragraph(_refit_sentence(boot)),
        Paragraph(
            "The parametric bootstrap takes the fitted model as true (normal random effects "
            "and residuals with the estimated variances), so it frees the intervals from "
            "large-sample approximations but not from the model's own assumptions."
        ),
        Paragraph(_comparison_sentence(fit, profile is not None)),
    ]
    return blocks


def _limits(frame: pd.DataFrame) -> dict[str, tuple[float, float]]:
    return {
        str(rec["parameter"]): (rec["lower"], rec["upper"])
        for rec in frame.to_dict(orient="records")
    }


def _cell(limits: dict[str, tuple[float, float]], parameter: str, se: float | None) -> str:
    if parameter not in limits:
        return NO_INTERVAL
    return fmt.interval(*limits[parameter], se)


def _percentile(fraction: float) -> str:
    return f"{100 * fraction:g}th"


def _method_sentence(boot: Any) -> str:
    low, high = _percentile((1 - boot.level) / 2), _percentile((1 + boot.level) / 2)
    return (
        f"{fmt.integer(boot.nsim)} times, a new response was simulated from the fitted model "
        "(new random effects and new residuals, drawn with the estimated variances) and the "
        f"model was fitted to it again by {boot.method}; each interval runs from the {low} "
        f"to the {high} percentile of those estimates (lme4's `confint(method = \"boot\")`). "
        f"The random seed was {boot.seed}: asking again {code(f'with seed {boot.seed}')} "
        "gives the same intervals, another seed slightly different ones."
    )


def _refit_sentence(boot: Any) -> str:
    parts = []
    if boot.n_failed:
        parts.append(f"{fmt.integer(boot.n_failed)} failed and {_were(boot.n_failed)} left out")
    if boot.n_not_converged:
        parts.append(f"{fmt.integer(boot.n_not_converged)} stopped before converging")
    if boot.n_singular:
        parts.append(
            f"{fmt.integer(boot.n_singular)} {_were(boot.n_singular)} singular (a standard "
            "deviation estimated as zero or a correlation at ±1)"
        )
    if not parts:
        return f"All {fmt.integer(boot.nsim)} refits converged, none of them singular."
    return f"Of the {fmt.integer(boot.nsim)} refits, {fmt.join_words(parts)}."


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _comparison_sentence(fit: Any, with_profile: bool) -> str:
    text = (
        "Wald intervals (estimate ± a t quantile times the SE) exist for the fixed effects "
        "only"
    )
    if not with_profile:
        return text + "; the profile intervals would take too long for this model."
    if fit.reml:
        return text + (
            "; the profile intervals come from the ML likelihood (as lme4's do, also for a "
            "REML fit), so for the SDs they surround the somewhat smaller ML estimates."
        )
    return text + (
        "; the profile intervals hold the values a likelihood ratio test would not reject."
    )
