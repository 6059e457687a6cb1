"""Narration: typed results in, words and tables out (plain text, Markdown, HTML).

Pure functions. :func:`narrate_outcome` picks the narrator for a result; each
narrator returns blocks (:mod:`assistant.narrate.blocks`), and every number in them is
formatted by :mod:`assistant.narrate.numbers` from the result's own fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.narrate.blocks import Block, Paragraph

STEP_WORDS = {
    "use_sample": "load the sample",
    "load_data": "load the data file",
    "reshape_long": "reshape to long format",
    "describe_data": "describe the data",
    "fit_lmm": "fit the model",
    "modify_model": "change the model",
    "compare_models": "compare the models",
    "variance_components": "report the variance components",
    "icc": "report the ICC",
    "fixed_effects": "report the fixed effects",
    "blups": "report the BLUPs",
    "anova": "run the type III tests",
    "confint": "compute the confidence intervals",
    "predict": "compute the predictions",
    "missing_data": "audit the missing data",
    "compare_rm_anova": "compare with RM-ANOVA",
    "compare_ols": "compare with OLS",
    "plot_caterpillar": "draw the caterpillar plot",
    "plot_trajectory": "draw the trajectory plot",
    "plot_residuals": "draw the residual plots",
    "fix_convergence": "run the convergence remedies",
    "set_option": "change the option",
    "transform": "transform the columns",
    "help": "show help",
}


def step_words(step: Any) -> str:
    kind = getattr(step, "kind", str(step))
    words = STEP_WORDS.get(kind, kind.replace("_", " "))
    if kind == "fit_lmm":
        formula = getattr(step, "formula", None)
        structure = getattr(step, "structure", None)
        if formula:
            return f"fit `{formula}`"
        if structure:
            return f"fit the {structure.replace('_', ' ')} model"
    return words


def skipped_blocks(steps: list[Any]) -> list[Block]:
    names = [step_words(s) for s in steps]
    from assistant.narrate.numbers import join_words

    noun = "step was" if len(names) == 1 else "steps were"
    return [
        Paragraph(
            f"Because of this, {len(names)} later {noun} skipped: {join_words(names)}. "
            "Fix the problem and ask again."
        )
    ]


def narrate_outcome(result: Any, figures: list[Path], detailed: bool) -> list[Block]:
    """Blocks for one finished step (``Detail`` blocks hold the detailed-only parts)."""
    from assistant.narrate import dispatch

    return dispatch.narrate(result, figures, detailed)
