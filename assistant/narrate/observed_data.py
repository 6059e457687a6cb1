"""The observed-data plot: what was drawn and the numbers the engine measured on it."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt


def _time(value: Any) -> str:
    return value if isinstance(value, str) else fmt.value(value)


def _count_of(count: int, group: str) -> str:
    """``80 patients``; ``3 levels of Batch`` when the name does not pluralise plainly."""
    if group.isalpha() and group.islower() and not group.endswith("s"):
        return fmt.plural(count, group)
    return f"{fmt.integer(count)} levels of {group}"


def _per_group(figure: Any) -> str:
    low, high = figure.per_group_min, figure.per_group_max
    counts = fmt.integer(low) if low == high else f"{fmt.integer(low)} to {fmt.integer(high)}"
    return f"{counts} observations per {figure.group}"


def observed_data_sentences(figure: Any) -> list[str]:
    """What the figure shows, the sample sizes, and the bold line's start and end."""
    out: list[str] = []
    sizes = (
        f"{_count_of(figure.n_groups, figure.group)}, "
        f"{fmt.plural(figure.n_observations, 'observation')}, {_per_group(figure)}"
    )
    if figure.layout == "clusters":
        out.append(
            f"Observed {figure.response} for each {figure.group}, one column of points per "
            f"{figure.group}, sorted by its mean ({sizes}); no time variable was found or "
            "named, so there are no trajectories."
            + (f" Points are coloured by {figure.by}." if figure.by else "")
        )
        spread = figure.clusters
        out.append(
            f"The {figure.group} means run from {fmt.number(spread.lowest_mean)} "
            f"({spread.lowest_level}) to {fmt.number(spread.highest_mean)} "
            f"({spread.highest_level}), SD {fmt.number(spread.sd_of_means)}; the overall "
            f"mean (dashed line) is {fmt.number(spread.overall_mean)}."
        )
    else:
        bold = (
            "the mean at each time value" if figure.summary == "mean"
            else f"a LOWESS smoother ({fmt.integer(figure.n_time_values)} distinct times, "
            "too many for a mean at each)"
        )
        out.append(
            f"Observed {figure.response} against {figure.time}: one thin line per "
            f"{figure.group} ({sizes}), with {bold} in bold"
            + (f", one panel per level of {figure.by}" if figure.by else "")
            + "."
        )
        drawn = figure.n_groups_drawn
        if drawn is not None and drawn < figure.n_groups:
            out.append(
                f"So many lines would fill the plot, so the thin lines and dots are those of "
                f"{_count_of(drawn, figure.group)} picked at random; the bold line and "
                f"the numbers here use all {fmt.integer(figure.n_observations)} observations."
            )
        what = "mean" if figure.summary == "mean" else "smoothed mean"
        for panel in figure.panels:
            values = (
                f"{what} {figure.response} {fmt.number(panel.start_value)} at "
                f"{figure.time} {_time(panel.first_time)} and "
                f"{fmt.number(panel.end_value)} at {figure.time} {_time(panel.last_time)}."
            )
            if panel.level is None:
                out.append(values[0].upper() + values[1:])
            else:
                out.append(f"{figure.by} = {panel.level} "
                           f"({_count_of(panel.n_groups, figure.group)}): {values}")
    if figure.n_dropped:
        out.append(
            f"{fmt.plural(figure.n_dropped, 'row')} with a missing value in these columns "
            f"{'was' if figure.n_dropped == 1 else 'were'} left out."
        )
    return out
