"""Column names written in plain words: the one rule that maps a word to a column.

A request in words ("add a random slope for ses", "does school size moderate the effect
of SES?") names columns the way people write them, not as the data spell them. Every
plain-word step has its column fields read through :func:`resolve_column_word` before
it runs (:func:`resolve_step_columns`, called by the executor), so one rule holds
everywhere:

1. the exact name;
2. else the one column equal to the word ignoring case (``ses`` -> ``SES``);
3. else the one column equal to it when spaces, underscores, dots and hyphens count as
   the same separator (``school size`` -> ``school_size``);
4. else the one column whose name begins with the word's words, case and separators
   aside (``pain`` -> ``pain_score``, ``reaction`` -> ``reaction_time``; never part of
   a word: ``pain`` is not ``painkiller``).

A word that two columns match at the first rule that matches any is refused, naming
the candidates; at the fourth rule, whose match is a guess, several candidates leave
the word as written. A word no column matches is left as written: the step's own checks
then read it as a role word ("subjects") or a plural ("schools"), or say that the
column does not exist. Formulas the user typed in lme4 syntax are never touched: R is
case-sensitive there and the engine's "did you mean" hint stays.

A question's outcome and predictor in the user's own words ("reaction time", "day") get
a looser fit by stems and prefixes (:func:`columns_for_words`, below), used by the
steps that answer such questions.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, is_dataclass, replace
from typing import Any

from assistant.errors import AssistantError
from grammar.text import separator_key

#: A quadratic term the grammar builds from a column word ("add a quadratic term for age").
_SQUARED = re.compile(r"I\((?P<name>.+)\^2\)")


@dataclass(frozen=True)
class ColumnReading:
    """A column word that is not the column's exact name, and the column it was taken
    to mean; ``rule`` is ``"case"``, ``"separators"`` or ``"prefix"``, or for words that
    meant a slope ``"random_slope"`` (the model's one random slope by ``group``) or
    ``"within_predictor"`` (its one predictor that changes within ``group``) or
    ``"each_within_predictor"`` (one of the predictors that change within ``group``, each
    tested: "should I add random slopes?")."""

    word: str
    column: str
    rule: str
    #: the grouping factor, for the readings of "the slope" (``assistant.step_refinement``)
    group: str | None = None


def resolve_column_word(word: str, columns: Iterable[Any]) -> ColumnReading | None:
    """The column ``word`` names by the rules above: ``None`` when it is the exact name
    of a column or names none; a :class:`ColumnReading` when a looser rule found one.

    Raises :class:`AssistantError` when the word matches several columns equally well.
    """
    names = [str(c) for c in columns]
    if word in names:
        return None
    rules = (
        ("case", lambda name: name.casefold() == word.casefold()),
        ("separators", lambda name: separator_key(name) == separator_key(word)),
    )
    for rule, matches in rules:
        found = [name for name in names if matches(name)]
        if len(found) == 1:
            return ColumnReading(word, found[0], rule)
        if len(found) > 1:
            listed = " or ".join(f"'{name}'" for name in found)
            raise AssistantError(
                f"'{word}' could mean the column {listed}; write the column's name exactly "
                "as the data spell it."
            )
    wanted = _words_of(word)
    found = [name for name in names if _starts_with_words(_words_of(name), wanted)]
    return ColumnReading(word, found[0], "prefix") if len(found) == 1 else None


def _words_of(text: str) -> tuple[str, ...]:
    return tuple(part for part in separator_key(text).split("_") if part)


def _starts_with_words(name: tuple[str, ...], word: tuple[str, ...]) -> bool:
    return 0 < len(word) < len(name) and name[: len(word)] == word


#: Per plain-word step kind, the fields that hold column names (a word, or a tuple of
#: words). ``fit_lmm`` fields are plain words even next to a formula; the formula itself
#: is never resolved.
COLUMN_FIELDS: dict[str, tuple[str, ...]] = {
    "transform": ("columns",),
    "subset_data": ("column",),
    "within_between": ("column", "group"),
    "subset_visits": ("subject", "by"),
    "fit_lmm": ("response", "predictors", "group", "slope", "nested_in", "crossed_with"),
    "modify_model": ("variables", "group"),
    "marginal_means": ("factor",),
    "fixed_effects": ("term",),
    "random_effects_tests": ("slope",),
    "interaction_test": ("variables",),
    "linearity_test": ("variable",),
    "explain_coefficient": ("term",),
    "blups": ("group", "term"),
    "missing_data": ("per", "related_to"),
    "plot_data": ("outcome", "over", "group", "by"),
    "plot_observed_means": ("outcome", "over", "by"),
    "residual_variance_by_group": ("column",),
    "plot_trajectory": ("by", "over"),
    "plot_caterpillar": ("term",),
    "reshape_long": ("id_column", "columns"),
    "term_variance_explained": ("term",),
    "design_crossing": ("groups",),
    "predict": ("at",),
}


def resolve_step_columns(
    step: Any, columns: Sequence[Any]
) -> tuple[Any, tuple[ColumnReading, ...]]:
    """``step`` with its column words replaced by the columns they name, and the
    readings that were not exact (for the answer to say once what it took each to mean).
    Steps of other kinds, and fields they do not have, are returned unchanged."""
    readings: list[ColumnReading] = []
    changes: dict[str, Any] = {}
    for name in COLUMN_FIELDS.get(getattr(step, "kind", ""), ()):
        if not hasattr(step, name):
            continue
        value = getattr(step, name)
        resolved = _resolved_value(name, value, columns, readings)
        if resolved != value:
            changes[name] = resolved
    return _with_fields(step, changes), _distinct(readings)


def _with_fields(step: Any, changes: dict[str, Any]) -> Any:
    """A copy of ``step`` with ``changes`` (a plan step is a frozen dataclass; ``run``
    also takes any object with the fields as attributes)."""
    if not changes:
        return step
    if is_dataclass(step) and not isinstance(step, type):
        return replace(step, **changes)
    changed = copy.copy(step)
    for name, value in changes.items():
        setattr(changed, name, value)
    return changed


def _resolved_value(
    field_name: str, value: Any, columns: Sequence[Any], readings: list[ColumnReading]
) -> Any:
    if value is None:
        return None
    if field_name == "at":  # (column, value) pairs of a prediction
        return tuple((_resolved_term(str(c), columns, readings), v) for c, v in value)
    if isinstance(value, tuple | list):
        return tuple(_resolved_term(str(v), columns, readings) for v in value)
    return _resolved_term(str(value), columns, readings)


def _resolved_term(text: str, columns: Sequence[Any], readings: list[ColumnReading]) -> str:
    """A column word, an interaction ``a:b`` of them, or a squared term ``I(a^2)``."""
    squared = _SQUARED.fullmatch(text)
    if squared is not None:
        return f"I({_resolved_term(squared.group('name'), columns, readings)}^2)"
    if ":" in text:
        return ":".join(_resolved_term(part, columns, readings) for part in text.split(":"))
    reading = resolve_column_word(text, columns)
    if reading is None:
        return text
    readings.append(reading)
    return reading.column


def _distinct(readings: list[ColumnReading]) -> tuple[ColumnReading, ...]:
    seen: dict[tuple[str, str], ColumnReading] = {}
    for reading in readings:
        seen.setdefault((reading.word, reading.column), reading)
    return tuple(seen.values())


# ------------------------------------------------------- a question's outcome and predictor
# A question in the data's own words ("how much does reaction time increase per day?")
# names its outcome and predictor more loosely than a column word: "reaction time" is
# ``Reaction``, "day" is ``Days``, "pain" is ``pain_score``. Words and column names are
# compared as lists of stems (case folded, split at spaces, underscores, dots and
# hyphens, a plural "s" dropped). A column fits exactly when the stems are equal, by
# words when one list begins with the other, and by letters when the column's stems,
# joined, begin with the words' (at least three letters: "temp" and ``temperature``).
# Only the best kind of fit counts; when several columns fit that way the session asks
# which one is meant rather than pick one.

_SPLIT = re.compile(r"[\s_.\-]+")
#: The shortest word a letter-prefix fit accepts ("temp" for temperature, not "t").
MIN_PREFIX_LETTERS = 3


def singular_forms(word: str) -> tuple[str, ...]:
    """What a plural word may be the plural of, likeliest first ("controls": control;
    "boxes": boxe, box); empty for a word without a plural ending."""
    forms = [word[:-1]] if word.endswith("s") and len(word) > 1 else []
    if word.endswith("es") and len(word) > 2:
        forms.append(word[:-2])
    return tuple(forms)


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _stems(text: str) -> tuple[str, ...]:
    return tuple(_stem(part) for part in _SPLIT.split(text.strip().casefold()) if part)


def _begins(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    return 0 < len(shorter) < len(longer) and longer[: len(shorter)] == shorter


def columns_for_words(words: str, names: Iterable[str]) -> list[str]:
    """The columns among ``names`` that ``words`` fit best (empty when none fits): the
    column :func:`resolve_column_word` finds, else the best fit by stems."""
    names = [str(n) for n in names]
    if words in names:
        return [words]
    try:  # the strict rule of every column word first: one column in any case or spacing
        strict = resolve_column_word(words, names)
    except AssistantError:
        strict = None  # several columns that way: the stems below may still decide
    if strict is not None:
        return [strict.column]
    wanted = _stems(words)
    if not wanted:
        return []
    exact = [n for n in names if _stems(n) == wanted]
    if exact:
        return exact
    by_words = [
        n for n in names if _begins(_stems(n), wanted) or _begins(wanted, _stems(n))
    ]
    if by_words:
        return by_words
    letters = "".join(wanted)
    if len(letters) < MIN_PREFIX_LETTERS:
        return []
    return [n for n in names if "".join(_stems(n)).startswith(letters)]


def columns_with_stems(words: str, names: Iterable[str]) -> list[str]:
    """The columns among ``names`` whose words have the same stems as ``words`` ("day"
    for ``Days``), case and separators aside; a typo ("pain_scor") fits none."""
    wanted = _stems(words)
    return [str(n) for n in names if wanted and _stems(str(n)) == wanted]


def _listed(names: list[str]) -> str:
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def predictor_for_words(words: str, predictors: Iterable[str], title: str) -> str | None:
    """The one predictor ``words`` name; None when none fits. Several fits raise an
    AssistantError that asks which one is meant."""
    found = columns_for_words(words, predictors)
    if len(found) > 1:
        raise AssistantError(
            f"'{words}' could mean {_listed(found)} in {title}; say which one, e.g. "
            f"`what is the effect of {found[0]}`."
        )
    return found[0] if found else None


def null_outcome_column(words: str, columns: Iterable[Any]) -> str:
    """The one column ``words`` name as an outcome ("reaction time" for ``Reaction``,
    "test score" for ``test_score``); an AssistantError naming the columns otherwise."""
    names = [str(c) for c in columns]
    found = columns_for_words(words, names)
    if len(found) == 1:
        return found[0]
    if found:
        raise AssistantError(
            f"'{words}' could mean {_listed(found)}; say which column is the outcome, e.g. "
            f"`fit an empty model for {found[0]}`."
        )
    raise AssistantError(
        f"No column of the data is called '{words}' (the columns are {', '.join(names)}); "
        "say which column is the outcome."
    )


def check_outcome(words: str, model: Any) -> None:
    """Raise an AssistantError unless ``words`` name the model's response.

    The model's own response settles a tie: "pain" fits ``pain_score`` and
    ``pain_baseline``, but a model of ``pain_score`` can only be about that one.
    """
    fit = model.fit
    response = str(fit.response_name)
    source = getattr(fit, "source_data", None)
    columns = [str(c) for c in (source.columns if source is not None else fit.data.columns)]
    if response not in columns:
        columns.append(response)
    found = columns_for_words(words, columns)
    if response in found:
        return
    if len(found) == 1:
        raise AssistantError(
            f"{model.title} is a model of `{response}`, not `{found[0]}`; fit a model of "
            f"`{found[0]}` first to ask about it."
        )
    if found:
        raise AssistantError(
            f"'{words}' could mean {_listed(found)}, and {model.title} is a model of "
            f"`{response}`; say which column you mean."
        )
    raise AssistantError(
        f"No column of the data is called '{words}'; {model.title} is a model of "
        f"`{response}` (the columns are {', '.join(columns)}). Say which column you mean."
    )
