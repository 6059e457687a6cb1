"""One level's random effects, and levels ranked by a random effect.

The numbers are the fit's conditional modes (BLUPs) and conditional SDs (lme4's
``ranef(m, condVar = TRUE)``, ``LmmFit.random_effects``). Each comes with the interval
b̂ ± z·cond_sd, z = Φ⁻¹((1 + level)/2) (1.96 for 95%): the interval lme4's caterpillar
plot (``dotplot(ranef(m, condVar = TRUE))``) draws, a prediction interval for the
level's deviation given the estimated variance parameters, which ignores their own
uncertainty. Where the random term has a fixed effect of the same name, the level's own
coefficient β̂ + b̂ is given too (lme4's ``coef(m)``).

Level names are matched as text, because the fit stores every level as text ("308"
for a numeric subject code): exactly, then ignoring case, then as the same number
("308.0" is level "308"), then by a unique trailing number ("12" is ``school_12``).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.distributions import normal_quantile
from engine.errors import LmmInputError

INTERCEPT = "(Intercept)"
#: The term of a ranking that asks for "the slope" without naming its variable.
ANY_SLOPE = "slope"
#: Orders a ranking can take; steepest and flattest compare sizes, |β̂ + b̂|.
ORDERS = ("highest", "lowest", "steepest", "flattest")
#: Sides of the average a ranking can keep (the sign of the BLUP).
SIDES = ("below", "above")


@dataclass(frozen=True)
class BlupRow:
    """One level's BLUP of one term, with its interval and, where defined, β̂ + b̂."""

    group: str
    term: str
    level: str
    value: float
    cond_sd: float
    lower: float
    upper: float
    coefficient: float | None  # fixed effect + BLUP (lme4's coef()); None without one

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group, "term": self.term, "level": self.level,
            "value": _finite(self.value), "cond_sd": _finite(self.cond_sd),
            "lower": _finite(self.lower), "upper": _finite(self.upper),
            "coefficient": _finite(self.coefficient),
        }


@dataclass(frozen=True)
class BlupLookup:
    """Every random effect of one level of one grouping factor."""

    group: str
    level: str  # as stored in the fit
    requested: str  # as asked for
    interval_level: float
    z: float  # the interval is value ± z·cond_sd
    effects: tuple[BlupRow, ...]  # one per random term of the factor, in lme4's order

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "blup_lookup", "group": self.group, "level": self.level,
            "requested": self.requested, "interval_level": self.interval_level, "z": self.z,
            "effects": [e.to_dict() for e in self.effects],
        }


@dataclass(frozen=True)
class BlupRanking:
    """Levels of a grouping factor ordered by one term's BLUP (or by |β̂ + b̂|)."""

    group: str
    term: str
    order: str  # one of ORDERS
    top: int | None  # None: every level
    n_levels: int
    interval_level: float
    z: float  # the interval is value ± z·cond_sd
    fixed_estimate: float | None  # the term's fixed effect, when the model has one
    by_size: bool  # True: ordered by |β̂ + b̂| (steepest, flattest), else by b̂
    rows: tuple[BlupRow, ...]  # ranked, at most ``top``
    n_excluding_zero: int  # of the rows shown, intervals that lie wholly above or below 0
    #: per row shown: whether its interval overlaps that of the level ranked just after it
    #: (over every level; False for the last level). Overlapping intervals mean the data
    #: do not settle the order of the two levels.
    overlaps_next: tuple[bool, ...] = ()
    #: "below" / "above": only the levels whose BLUP is below / above 0 were kept (their
    #: own coefficient below / above the fixed effect); None: every level was ranked
    side: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "blup_ranking", "group": self.group, "term": self.term, "side": self.side,
            "order": self.order, "top": self.top, "n_levels": self.n_levels,
            "interval_level": self.interval_level, "z": self.z,
            "fixed_estimate": _finite(self.fixed_estimate), "by_size": self.by_size,
            "n_excluding_zero": self.n_excluding_zero,
            "overlaps_next": list(self.overlaps_next),
            "rows": [r.to_dict() for r in self.rows],
        }


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def interval_z(level: float) -> float:
    """z = Φ⁻¹((1 + level)/2): 1.96 for 95%."""
    if not 0.0 < level < 1.0:
        raise LmmInputError(
            f"A confidence level must lie between 0 and 1, not {level}; use for example 0.95."
        )
    return float(normal_quantile(0.5 + level / 2.0))


def blup_rows(fit: Any, level: float = 0.95) -> list[BlupRow]:
    """Every BLUP of the fit with its interval, in lme4's ``ranef`` order."""
    z = interval_z(level)
    fixed = dict(zip(fit.fixed_names, (float(b) for b in fit.beta), strict=True))
    return [
        BlupRow(
            group=e.group, term=e.term, level=str(e.level), value=float(e.value),
            cond_sd=float(e.cond_sd), lower=float(e.value - z * e.cond_sd),
            upper=float(e.value + z * e.cond_sd),
            coefficient=fixed[e.term] + float(e.value) if e.term in fixed else None,
        )
        for e in fit.random_effects
    ]


def _blup_keys(fit: Any) -> tuple[list[str], list[str], list[Any]]:
    """(group, term, level) of every BLUP: the fit's columns when it keeps them (no
    object per BLUP), else read off its rows."""
    columns = getattr(fit, "random_effect_columns", None)
    if columns is not None:
        return columns.group, columns.term, columns.level
    rows = fit.random_effects
    return [e.group for e in rows], [e.term for e in rows], [e.level for e in rows]


def level_blups(fit: Any, group: str, level: str) -> dict[str, float]:
    """The BLUP of each random term for one level (as text) of ``group``."""
    columns = getattr(fit, "random_effect_columns", None)
    if columns is None:
        return {e.term: float(e.value) for e in fit.random_effects
                if e.group == group and str(e.level) == level}
    return {
        t: v for g, t, lv, v in zip(columns.group, columns.term, columns.level,
                                    columns.value.tolist(), strict=True)
        if g == group and str(lv) == level
    }


def grouping_factors(fit: Any) -> list[str]:
    """The fit's grouping factors, in lme4's order."""
    return list(dict.fromkeys(_blup_keys(fit)[0]))


def levels_of(fit: Any, group: str) -> list[str]:
    """The levels of one grouping factor, in the fit's order."""
    groups, _, levels = _blup_keys(fit)
    return list(dict.fromkeys(str(lv) for g, lv in zip(groups, levels, strict=True)
                              if g == group))


def match_level(levels: Sequence[str], text: str) -> str | None:
    """The stored level ``text`` names, or None (see the module docstring for the rules)."""
    wanted = str(text).strip()
    if wanted in levels:
        return wanted
    folded = [lv for lv in levels if lv.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    tagged = _tagged_number(wanted)
    if tagged is not None:
        same_tag = [lv for lv in levels if _tagged_number(lv) == tagged]
        if len(same_tag) == 1:
            return same_tag[0]
    number = _as_number(wanted)
    if number is not None:
        same = [lv for lv in levels if _as_number(lv) == number]
        if len(same) == 1:
            return same[0]
        if number == int(number):
            tails = [lv for lv in levels if _trailing_number(lv) == int(number)]
            if len(tails) == 1:
                return tails[0]
    return None


def _as_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _tagged_number(text: str) -> tuple[str, int] | None:
    """``("p", 1)`` for ``P001`` or ``p1``: a prefix of letters and a number."""
    found = re.fullmatch(r"([A-Za-z]+)[_\-. ]?(\d+)", text)
    return (found.group(1).casefold(), int(found.group(2))) if found else None


def _trailing_number(text: str) -> int | None:
    found = re.search(r"(\d+)$", text)
    return int(found.group(1)) if found and not text.isdigit() else None


def require_level(fit: Any, group: str, text: str) -> str:
    """The stored level of ``group`` that ``text`` names; a clear error when none does."""
    levels = levels_of(fit, group)
    found = match_level(levels, text)
    if found is not None:
        return found
    close = difflib.get_close_matches(str(text), levels, n=3, cutoff=0.6)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    listed = "are" if len(levels) <= 5 else "include"
    raise LmmInputError(
        f"{group} has no level {text!r}{hint}; its {len(levels)} levels {listed} "
        f"{', '.join(levels[:5])}."
    )


def lookup_blups(fit: Any, group: str, text: str, level: float = 0.95) -> BlupLookup:
    """Every random effect of the level of ``group`` that ``text`` names."""
    _require_group(fit, group)
    stored = require_level(fit, group, text)
    effects = tuple(r for r in blup_rows(fit, level) if r.group == group and r.level == stored)
    return BlupLookup(group, stored, str(text), level, interval_z(level), effects)


def _require_group(fit: Any, group: str) -> None:
    groups = grouping_factors(fit)
    if group not in groups:
        raise LmmInputError(
            f"{group!r} is not a grouping factor of the model; its grouping factors are "
            f"{', '.join(groups)}."
        )


def terms_of(fit: Any, group: str) -> list[str]:
    """The random terms of one grouping factor, in lme4's order."""
    groups, terms, _ = _blup_keys(fit)
    return list(dict.fromkeys(t for g, t in zip(groups, terms, strict=True) if g == group))


def resolve_term(fit: Any, group: str, term: str | None) -> str:
    """The term a ranking orders by: None is the intercept (or the only term),
    :data:`ANY_SLOPE` the factor's one random slope, otherwise a term by name."""
    terms = terms_of(fit, group)
    slopes = [t for t in terms if t != INTERCEPT]
    if term is None:
        return INTERCEPT if INTERCEPT in terms else terms[0]
    if term in terms:
        return term
    folded = [t for t in terms if t.casefold() == term.casefold()]
    if len(folded) == 1:
        return folded[0]
    if term == ANY_SLOPE:
        if len(slopes) == 1:
            return slopes[0]
        if not slopes:
            raise LmmInputError(
                f"The model has no random slope for {group}, only a random intercept; fit "
                f"one first, e.g. `add a random slope for <variable>`."
            )
        raise LmmInputError(
            f"{group} has random slopes for {', '.join(slopes)}; name one, e.g. "
            f"`rank {group} by their {slopes[0]} slope`."
        )
    raise LmmInputError(
        f"{group} has no random effect for {term!r}; its random effects are "
        f"{', '.join(terms)}."
    )


def rank_blups(
    fit: Any,
    group: str,
    term: str | None = None,
    order: str = "highest",
    top: int | None = None,
    level: float = 0.95,
    side: str | None = None,
) -> BlupRanking:
    """The levels of ``group`` ordered by one term's BLUP.

    ``side`` ``"below"`` (``"above"``) keeps only the levels whose BLUP is below (above)
    zero: whose own coefficient β̂ + b̂ lies below (above) the average, the fixed effect.

    ``highest``/``lowest`` order by the BLUP b̂ itself; ``steepest``/``flattest`` by the
    size of the level's own coefficient |β̂ + b̂| (or |b̂| when the term has no fixed
    effect), so that "steepest" means the fastest change in either direction.
    Ties keep the fit's level order. ``top`` None keeps every level.
    """
    if order not in ORDERS:
        raise LmmInputError(f"A ranking is by {', '.join(ORDERS)}, not {order!r}.")
    if top is not None and top < 1:
        raise LmmInputError(f"Ask for at least one level, not {top}.")
    _require_group(fit, group)
    chosen = resolve_term(fit, group, term)
    rows = [r for r in blup_rows(fit, level) if r.group == group and r.term == chosen]
    n_levels = len(rows)
    if side is not None:
        if side not in SIDES:
            raise LmmInputError(f"A side is {' or '.join(SIDES)}, not {side!r}.")
        rows = [r for r in rows if (r.value < 0 if side == "below" else r.value > 0)]
    fixed = dict(zip(fit.fixed_names, (float(b) for b in fit.beta), strict=True))
    by_size = order in ("steepest", "flattest")

    def key(row: BlupRow) -> float:
        if by_size:
            return abs(row.coefficient if row.coefficient is not None else row.value)
        return row.value

    descending = order in ("highest", "steepest")
    ranked = sorted(rows, key=key, reverse=descending)
    shown = tuple(ranked if top is None else ranked[:top])
    excluding = sum(1 for r in shown if r.lower > 0 or r.upper < 0)
    overlaps = tuple(
        i + 1 < len(ranked)
        and ranked[i].lower <= ranked[i + 1].upper
        and ranked[i + 1].lower <= ranked[i].upper
        for i in range(len(shown))
    )
    return BlupRanking(
        group=group, term=chosen, order=order, top=top, n_levels=n_levels,
        interval_level=level, z=interval_z(level), fixed_estimate=fixed.get(chosen),
        by_size=by_size, rows=shown, n_excluding_zero=excluding, overlaps_next=overlaps,
        side=side,
    )
