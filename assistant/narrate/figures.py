"""Figures: where each file is and what stands out in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Bullets, Image, Paragraph
from assistant.narrate.observed_data import observed_data_sentences
from assistant.narrate.observed_means_plot import observed_means_plot_blocks
from assistant.narrate.terms import INTERCEPT_NAMES

FUNNEL_WORDS = (
    "The spread of the residuals changes with the fitted values (ratio of SDs, top third to "
    "bottom third: {ratio}); a transformed outcome (e.g. log) or a variance model may fit "
    "better."
)


def _images(paths: list[Path]) -> list[Block]:
    return [Image(path, shown_as=str(path), alt=path.stem.replace("_", " ")) for path in paths]


def figure_blocks(figure: Any, model: Any, paths: list[Path]) -> list[Block]:
    kind = type(figure).__name__
    if kind == "ObservedMeansFigure":
        return observed_means_plot_blocks(figure, paths)
    if kind == "CaterpillarFigure":
        words = caterpillar_sentences(figure, model)
    elif kind == "TrajectoryFigure":
        words = trajectory_sentences(figure, model)
    elif kind == "ResidualFigure":
        words = residual_sentences(figure.checks, model)
    elif kind == "ObservedDataFigure":
        words = observed_data_sentences(figure)
    else:
        words = []
    files = fmt.join_words([f"`{p}`" for p in paths])
    noun = "Figure" if len(paths) == 1 else "Figures"
    if model:
        head = f"{noun} for {model.title} saved as {files}."
    elif kind == "ObservedDataFigure":
        head = f"{noun} of the data (no model) saved as {files}."
    else:
        head = f"{noun}: {files}."
    blocks: list[Block] = [Paragraph(head)]
    if words:
        blocks.append(Bullets(tuple(words)))
    blocks.extend(_images(paths))
    return blocks


def _who(group: str, count: int) -> str:
    """``6 patients``, ``1 patient``, ``3 Batch levels`` (a name ending in s is not
    pluralised by guesswork)."""
    if count == 1:
        noun = group
    elif group.endswith("s") or not group.isalpha():
        noun = f"{group} levels"
    else:
        noun = f"{group}s"
    return f"{fmt.integer(count)} {noun}"


def _listed(levels: tuple[str, ...], count: int) -> str:
    return ", ".join(levels[:8]) + (", …" if count > 8 else "")


def caterpillar_sentences(figure: Any, model: Any) -> list[str]:
    """Per panel: how many levels have intervals above or below zero, and which."""
    level = fmt.level_percent(figure.level)
    out = []
    for panel in figure.panels:
        intercept = panel.term in INTERCEPT_NAMES
        what = "intercepts" if intercept else f"{panel.term} slopes"
        high, low = (
            ("sit above average", "below")
            if intercept
            else (
                f"have a larger {panel.term} slope than average",
                "a smaller one",
            )
        )
        text = (
            f"{panel.group} {what}: {fmt.integer(panel.n_levels)} levels sorted with "
            f"{level} intervals. "
        )
        pieces = []
        if panel.n_above:
            pieces.append(
                f"{_who(panel.group, panel.n_above)} {high} "
                f"({_listed(panel.levels_above, panel.n_above)})"
            )
        if panel.n_below:
            pieces.append(
                f"{_who(panel.group, panel.n_below)} {low} "
                f"({_listed(panel.levels_below, panel.n_below)})"
            )
        if pieces:
            # the intervals are one per level, unadjusted: some exclude zero by chance
            text += (
                fmt.join_words(pieces) + ": their intervals exclude zero. Each interval "
                f"is for one level alone, not adjusted for looking at all "
                f"{fmt.integer(panel.n_levels)}, so a few may exclude zero by chance."
            )
        else:
            text += "Every interval includes zero: no level stands out."
        out.append(text)
    return out


def trajectory_sentences(figure: Any, model: Any) -> list[str]:
    level = fmt.level_percent(figure.level)
    out = [
        f"The line is the population average of {figure.response} over {figure.time}"
        + (f", with a {level} confidence band" if figure.band else "")
        + (f", one panel per level of {figure.by}" if figure.by else "")
        + "."
    ]
    if figure.overlay_blups and figure.group and figure.levels_named:
        own = "; ".join(
            f"{level}: " + ", ".join(f"{term} {fmt.number(value)}" for term, value in terms)
            for level, terms in figure.level_coefficients
        )
        out.append(
            f"The coloured lines are the fitted lines of {figure.group} "
            f"{fmt.join_words(list(figure.levels_shown))}: each level's own coefficients, "
            f"the fixed effects plus its BLUPs (lme4's coef()), drawn at its observed "
            f"{figure.time} values. {own}."
        )
    elif figure.overlay_blups and figure.group and figure.levels_shown:
        out.append(
            f"The coloured lines are the fitted lines (fixed effects plus each one's BLUPs) "
            f"of {_who(figure.group, len(figure.levels_shown))}, chosen evenly "
            f"over the ranking of their random intercepts, lowest first: "
            f"{fmt.join_words(list(figure.levels_shown))}."
        )
    elif figure.overlay_blups and figure.group:
        out.append(
            f"The thin lines are the {fmt.integer(figure.n_subjects)} {figure.group} "
            "trajectories the model predicts (fixed effects plus each one's BLUPs)."
        )
    grid = figure.predictions
    if grid.averaged_over:
        out.append(
            "Averaged with equal weights over " + fmt.join_words(list(grid.averaged_over)) + "."
        )
    if grid.held_at_mean:
        held = [f"{k} = {fmt.number(v)}" for k, v in grid.held_at_mean.items()]
        out.append("Other predictors held at their means: " + fmt.join_words(held) + ".")
    return out


def data_rows(rows: Any, model: Any) -> list[int]:
    """Model-frame positions (0-based) as 1-based rows of the model's data set, the
    numbering `exclude rows ...` uses: the same numbers unless the fit dropped rows with
    missing values."""
    fit = getattr(model, "fit", None)
    if fit is None or not getattr(fit, "n_dropped", 0):
        return [int(r) + 1 for r in rows]
    source = fit.source_data if fit.source_data is not None else fit.data
    positions = fit.model_frame.source_positions(len(source))
    return [int(positions[r]) + 1 for r in rows]


def residual_sentences(checks: Any, model: Any) -> list[str]:
    out = []
    for finding in checks.findings:
        if finding.code == "funnel":
            out.append(FUNNEL_WORDS.format(ratio=fmt.number(checks.sd_ratio_top_bottom)))
        elif finding.code == "heavy_tails":
            out.append(
                f"The residuals have heavier tails than a normal distribution (excess "
                f"kurtosis {fmt.number(checks.excess_kurtosis)}; "
                f"{fmt.integer(checks.n_beyond_3)} beyond ±3 SD where about "
                f"{fmt.fixed(checks.expected_beyond_3, 1)} are expected). Fixed-effect "
                "estimates stay unbiased, but check the extreme rows."
            )
        elif finding.code == "outlying_observations":
            out.append(
                f"{fmt.plural(len(finding.rows), 'observation')} "
                f"{'lies' if len(finding.rows) == 1 else 'lie'} beyond "
                f"±{fmt.number(checks.outlier_threshold)} residual SDs "
                f"({'row' if len(finding.rows) == 1 else 'rows'} "
                f"{', '.join(str(r) for r in data_rows(finding.rows[:10], model))}); "
                f"check {'it' if len(finding.rows) == 1 else 'them'} for errors."
            )
        elif finding.code == "extreme_levels":
            what = "intercept" if finding.term in INTERCEPT_NAMES else f"{finding.term} slope"
            count = len(finding.levels)
            verb = f"has an extreme {what}" if count == 1 else f"have extreme {what}s"
            out.append(
                f"{_who(str(finding.group), count)} {verb} "
                f"({', '.join(finding.levels[:8])}): far from the others, perhaps a subgroup."
            )
    if not out:
        out.append(
            "Nothing stands out: no funnel shape, tails close to normal, no outlying "
            "observations and no extreme levels."
        )
    return out
