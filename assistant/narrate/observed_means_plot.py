"""The observed means with error bars (``engine.plots.observed_means``): the file, what
the bars are, and the mean and interval of each cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Image, Paragraph, table


def _bars_sentence(figure: Any) -> str:
    means = figure.means
    if figure.bars == "ci":
        upper = fmt.level_percent(0.5 + means.level / 2)
        what = (f"each bar is the {fmt.level_percent(means.level)} confidence interval of "
                f"its cell's mean, mean ± t × SD/√n with t the {upper} point of the t "
                "distribution on n − 1 degrees of freedom")
    elif figure.bars == "se":
        what = "each bar is ± 1 standard error of its cell's mean (SD/√n)"
    else:
        what = "each bar is ± 1 standard deviation of the cell's values"
    return (
        f"The points are the observed means of {means.outcome}; {what}. These are plain "
        "per-cell summaries of the data: they treat the values in a cell as independent and "
        "ignore that the same subjects (or clusters) give values to several cells, unlike "
        "the model's estimated marginal means (`plot the fitted trajectory with a CI band`)."
    )


def observed_means_plot_blocks(figure: Any, paths: list[Path]) -> list[Block]:
    """Where the figure is, what the bars are, and one table row per cell."""
    means = figure.means
    files = fmt.join_words([f"`{p}`" for p in paths])
    split = f" and {means.group}" if means.group else ""
    head = (f"Observed mean {means.outcome} by {means.x}{split} (from the data, not a model) "
            f"saved as {files}.")
    sentence = _bars_sentence(figure)
    if means.n_left_out:
        sentence += (f" {fmt.plural(means.n_left_out, 'row')} with a missing value "
                     f"{'is' if means.n_left_out == 1 else 'are'} left out of "
                     f"{'its cell' if means.n_left_out == 1 else 'their cells'}.")
    if any(c.sd is None for c in means.cells):
        sentence += " A cell with one value has no bar."
    level = fmt.level_percent(means.level)
    rows = []
    for c in means.cells:
        interval = ("–" if c.lower is None
                    else f"{fmt.value(c.lower)} to {fmt.value(c.upper)}")
        rows.append([
            *([c.group] if means.group else []), fmt.value(c.x) if means.x_numeric else c.x,
            fmt.integer(c.n), fmt.value(c.mean),
            "–" if c.sd is None else fmt.value(c.sd), "–" if c.se is None else fmt.value(c.se),
            interval,
        ])
    header = [*([means.group] if means.group else []), means.x, "n", "Mean", "SD", "SE",
              f"{level} CI"]
    return [
        Paragraph(head),
        Paragraph(sentence),
        table(header, rows, "l" * (2 if means.group else 1) + "rrrrr"),
        *[Image(p, shown_as=str(p), alt=p.stem.replace("_", " ")) for p in paths],
    ]
