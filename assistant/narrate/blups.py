"""Words for BLUPs: the whole table, one level's random effects, and rankings of levels.

Numbers come from ``engine.blups`` (BLUP, conditional SD, the interval b̂ ± z·cond_sd
of lme4's caterpillar plot, and the level's own coefficient β̂ + b̂ where it exists).
"""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Detail, Heading, Paragraph, table
from assistant.narrate.terms import INTERCEPT_NAMES

_TABLE_LIMIT = 40
#: The detailed view lists at most this many BLUPs; past it (125,000 subjects with two
#: effects each took 7 s to put into words) the rest are left to the JSON and the export.
_DETAIL_LIMIT = 2_000


def blup_blocks(
    model: Any, group: str | None = None, levels: tuple[str, ...] | None = None
) -> list[Block]:
    """Every BLUP of the model (of one grouping factor when ``group`` is given, of some
    of its levels when ``levels`` are)."""
    fit = model.fit
    effects = [e for e in fit.random_effects if group is None or e.group == group]
    if levels is not None:
        effects = [e for e in effects if str(e.level) in levels]
    rows = [
        [e.group, e.term, str(e.level), fmt.number(e.value), fmt.number(e.cond_sd)]
        for e in effects[:_DETAIL_LIMIT]
    ]
    columns = ["Group", "Term", "Level", "BLUP", "Cond. SD"]
    of_group = f" for {group}" if group is not None else ""
    if levels is not None:
        of_group = f" for the first {fmt.plural(len(levels), 'level')} of {group}"
    blocks: list[Block] = [
        Heading(f"BLUPs of {model.title}{of_group}"),
        Paragraph(
            f"{fmt.plural(len(effects), 'predicted random effect')}: each level's deviation "
            "from the population average, shrunk toward zero in proportion to how little "
            "data it has. The conditional SD is its uncertainty."
        ),
    ]
    if len(effects) > _DETAIL_LIMIT:
        blocks.append(Paragraph(
            f"The first {_TABLE_LIMIT} are shown here and the first "
            f"{fmt.integer(_DETAIL_LIMIT)} in the detailed view; all "
            f"{fmt.integer(len(effects))} are in the JSON, and `export the results` writes "
            "them to a CSV file."
        ))
    elif len(rows) > _TABLE_LIMIT:
        blocks.append(
            Paragraph(f"The first {_TABLE_LIMIT} are shown here; all of them are in the JSON.")
        )
    if len(rows) > _TABLE_LIMIT:
        blocks.append(table(columns, rows[:_TABLE_LIMIT], "lllrr"))
        blocks.append(Detail((table(columns, rows[_TABLE_LIMIT:], "lllrr"),)))
    else:
        blocks.append(table(columns, rows, "lllrr"))
    return blocks


def _is_intercept(term: str) -> bool:
    return term in INTERCEPT_NAMES


def _effect_name(term: str) -> str:
    return "random intercept" if _is_intercept(term) else f"random slope for {term}"


def _level_name(group: str, level: str) -> str:
    """``Patient P001``; a level that already says its factor (``school_12``) alone."""
    if level.casefold().startswith(group.casefold()):
        return level
    return f"{group[:1].upper()}{group[1:]} {level}"


def _signed(value: float, decimals: int) -> str:
    text = fmt.fixed(value, decimals)
    return "+" + text if value > 0 and text.strip("0.") else text


def _interval_words(level: float, z: float) -> str:
    return (
        f"The {fmt.level_percent(level)} intervals are the BLUP ± {z:.2f} conditional SDs, "
        "as lme4's caterpillar plot draws them; they leave out the uncertainty in the "
        "estimated variances."
    )


def lookup_blocks(lookup: Any, model: Any) -> list[Block]:
    """One level's random effects, one sentence each."""
    name = _level_name(lookup.group, lookup.level)
    response = model.fit.response_name
    average = f"the average {_noun(lookup.group)}"
    sentences = []
    for e in lookup.effects:
        places = fmt.decimals_for(e.cond_sd)
        size = fmt.fixed(abs(e.value), places)
        side = "above" if e.value > 0 else "below"
        head = (
            f"{name}: {_effect_name(e.term)} {_signed(e.value, places)} (conditional SD "
            f"{fmt.fixed(e.cond_sd, places)}; {fmt.level_percent(lookup.interval_level)} "
            f"interval {fmt.fixed(e.lower, places)} to {fmt.fixed(e.upper, places)})"
        )
        if fmt.fixed(e.value, places).lstrip("−-").strip("0.") == "":
            meaning = f"i.e. {lookup.level} is at the level of {average}"
        elif _is_intercept(e.term):
            meaning = f"i.e. {lookup.level}'s baseline {response} is {size} {side} {average}'s"
        elif e.coefficient is not None:
            meaning = (
                f"i.e. {lookup.level}'s {response} changes by "
                f"{fmt.fixed(e.coefficient, places)} per unit of {e.term}, against "
                f"{fmt.fixed(e.coefficient - e.value, places)} for {average}"
            )
        else:
            meaning = f"i.e. {lookup.level}'s {e.term} slope is {size} {side} {average}'s"
        sentences.append(f"{head}, {meaning}.")
    return [
        Heading(f"Random effects of {name} in {model.title}"),
        *(Paragraph(s) for s in sentences),
        Paragraph(_interval_words(lookup.interval_level, lookup.z)),
    ]


def _noun(group: str) -> str:
    """A factor's name as a noun in prose: ``Subject`` reads ``subject``."""
    return group[:1].lower() + group[1:] if group[1:].islower() else group


def _plural(word: str) -> str:
    return word if word.endswith("s") else word + "s"


def ranking_blocks(ranking: Any, model: Any) -> list[Block]:
    """A ranked table of levels with one sentence of what it shows."""
    group = _noun(ranking.group)
    groups = _plural(group)
    effect = _effect_name(ranking.term)
    shown = len(ranking.rows)
    if getattr(ranking, "side", None) is not None:
        return _side_blocks(ranking, model, group, groups, effect)
    if ranking.top is None:
        title = f"{groups[:1].upper()}{groups[1:]} ranked by {effect}, {ranking.order} first"
        which = f"All {fmt.plural(ranking.n_levels, group, groups)}"
    else:
        title = f"{groups[:1].upper()}{groups[1:]} with the {ranking.order} {effect}"
        which = f"The {shown} of {fmt.plural(ranking.n_levels, group, groups)}"
    own = "intercept" if _is_intercept(ranking.term) else f"{ranking.term} slope"
    if ranking.by_size:
        if ranking.fixed_estimate is not None:
            basis = (
                f"ordered by the size of each one's own {own} (the fixed "
                f"{fmt.number(ranking.fixed_estimate)} plus its BLUP)"
            )
        else:
            basis = f"ordered by the size of the BLUP of the {effect}"
    else:
        basis = f"ordered by the BLUP of the {effect}"
    excluding = (
        _excluding_words(ranking.n_excluding_zero, shown)
        if shown > 1 else
        f"Its interval {'excludes' if ranking.n_excluding_zero else 'includes'} 0."
    )
    return [
        Heading(f"{title} ({model.title})"),
        Paragraph(f"{which}, {basis}. {excluding}"),
        _ranking_table(ranking, own, ranked=True),
        Paragraph(_interval_words(ranking.interval_level, ranking.z)),
        *_overlap_paragraph(ranking, group, groups),
    ]


def _ranking_table(ranking: Any, own: str, *, ranked: bool) -> Block:
    """The levels' BLUPs, conditional SDs and intervals (with a rank column when
    ``ranked``), and each level's own coefficient when the ranking has them."""
    places = fmt.decimals_for(min((r.cond_sd for r in ranking.rows), default=None))
    with_own = any(r.coefficient is not None for r in ranking.rows)
    percent = fmt.level_percent(ranking.interval_level)
    columns = ["Rank"] * ranked + [ranking.group, "BLUP", "Cond. SD", f"{percent} interval"]
    if with_own:
        columns.append(f"Own {own}")
    rows = []
    for rank, r in enumerate(ranking.rows, 1):
        row = [str(rank)] * ranked + [
            r.level, _signed(r.value, places), fmt.fixed(r.cond_sd, places),
            f"{fmt.fixed(r.lower, places)} to {fmt.fixed(r.upper, places)}",
        ]
        if with_own:
            row.append(fmt.fixed(r.coefficient, places) if r.coefficient is not None else "")
        rows.append(row)
    return table(columns, rows, "r" * ranked + "lrrr" + ("r" if with_own else ""))


def _side_blocks(ranking: Any, model: Any, group: str, groups: str, effect: str) -> list[Block]:
    """The levels on one side of the average ("which subjects have slopes below average?"):
    how many, what the average is, and how many of them the data tell apart from it."""
    shown = len(ranking.rows)
    side = ranking.side
    own = "intercept" if _is_intercept(ranking.term) else f"{ranking.term} slope"
    average = (
        f"the average {own} (the fixed effect, {fmt.number(ranking.fixed_estimate)})"
        if ranking.fixed_estimate is not None else f"the average {own}"
    )
    article = "an" if own[0] in "aeiou" else "a"
    title = f"{groups[:1].upper()}{groups[1:]} with {article} {own} {side} average"
    if not shown:
        return [Heading(f"{title} ({model.title})"),
                Paragraph(f"No {group} has a BLUP of the {effect} {side} 0.")]
    lead = (
        f"{shown} of {fmt.plural(ranking.n_levels, group, groups)} have a BLUP of the "
        f"{effect} {side} 0, so their own {own} lies {side} {average}; "
        f"{'lowest' if side == 'below' else 'highest'} first."
    )
    sure = ranking.n_excluding_zero
    certainty = (
        f"For {sure} of them the {fmt.level_percent(ranking.interval_level)} interval lies "
        f"wholly {side} 0; for the others the data do not rule out an average {own}."
        if sure < shown else
        f"Every one of their {fmt.level_percent(ranking.interval_level)} intervals lies "
        f"wholly {side} 0."
    )
    return [
        Heading(f"{title} ({model.title})"),
        Paragraph(f"{lead} {certainty}"),
        _ranking_table(ranking, own, ranked=False),
        Paragraph(_interval_words(ranking.interval_level, ranking.z)),
    ]


def asked_ranking_blocks(asked: Any, model: Any) -> list[Block]:
    """A ranking asked for as "harshest", "most lenient", "best" or "worst", led by how
    that was read: harsh raters give low values of the outcome, so the lowest random
    intercepts; the best levels have the highest outcome, which may not be what is best."""
    ranking = asked.ranking
    groups = _plural(_noun(ranking.group))
    outcome = model.fit.response_name
    low = ranking.order == "lowest"
    if asked.asked in ("best", "worst"):
        other = "worst" if asked.asked == "best" else "best"
        reading = Paragraph(
            f"I read '{asked.asked}' as the {groups} with the "
            f"{'lowest' if low else 'highest'} {outcome} once the other terms of the model "
            f"are allowed for: those with the {'lowest' if low else 'highest'} random "
            f"intercepts. If a lower {outcome} is better, ask for the {other} {groups} instead."
        )
        return [reading, *ranking_blocks(ranking, model)]
    reading = Paragraph(
        f"I read '{asked.asked}' as the {groups} who give the {'lowest' if low else 'highest'} "
        f"{outcome} values once the other terms of the model are allowed for: those with "
        f"the {'lowest' if low else 'highest'} random intercepts, "
        f"{'lowest' if low else 'highest'} first. Sign convention: a BLUP is how far that "
        f"level's {outcome} sits from the average level's, other terms held equal; negative "
        "means lower (harsher), positive higher (more lenient)."
    )
    return [reading, *ranking_blocks(ranking, model)]


def _overlap_paragraph(ranking: Any, group: str, groups: str) -> list[Block]:
    """How settled the order is: intervals of neighbouring ranks that overlap."""
    flags = ranking.overlaps_next
    if not flags or not any(flags):
        return []
    count = sum(flags)
    shown = len(flags)
    which = "Each interval" if count == shown else f"{count} of these {shown} intervals"
    verb = "overlaps" if count == 1 or count == shown else "overlap"
    return [Paragraph(
        f"{which} {verb} the interval of the {group} ranked "
        f"just after it: where intervals overlap the data do not settle which of those "
        f"{groups} is higher, so the ranks are uncertain; read them as rough positions, "
        "not a league table."
    )]


def _excluding_words(count: int, shown: int) -> str:
    """``1 of these 5 intervals excludes 0.``, ``None of these 5 ...``, ``3 of ... exclude``."""
    if count == 0:
        return f"None of these {shown} intervals excludes 0."
    if count == shown:
        return f"All {shown} intervals exclude 0."
    verb = "excludes" if count == 1 else "exclude"
    return f"{count} of these {shown} intervals {verb} 0."
