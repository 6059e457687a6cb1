"""Formulas built from words: `structure` requests and `modify_model` operations.

The assistant never edits formula text by string surgery: it reads the current
formula with :func:`grammar.formula.parse_formula`, changes the parts, writes lme4
text and parses that again, so every formula it builds is one the grammar accepts.
When there is no model yet, the outcome, time and grouping columns are guessed from
column names and types; when a guess is not possible the error says what to type.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from assistant.data_problems import outcome_problem
from assistant.errors import AssistantError
from engine.data import describe_data, looks_like_dates
from grammar.formula import FormulaError, ModelFormula, Var, parse_formula
from grammar.plan import STRUCTURES, random_part

EXAMPLE_REQUEST = "LMM: outcome ~ time + (1 | id)"

#: Words people use for "the grouping factor, whatever its column is called".
GROUP_ROLE_WORDS = frozenset(
    {
        "subject",
        "subjects",
        "id",
        "ids",
        "cluster",
        "clusters",
        "group",
        "groups",
        "individual",
        "individuals",
        "participant",
        "participants",
        "patient",
        "patients",
        "person",
        "unit",
    }
)


def group_column(name: str | None, columns: Any) -> str | None:
    """``name`` when it is a column; None when it is only a role word such as "subject"
    (the model's or the data's grouping factor is meant); the singular column for a
    plural ("patients" when the column is ``patient``); otherwise ``name`` unchanged,
    so that the missing column is reported."""
    if name is None or name in columns:
        return name
    # the plural of a column before a role word: "patients" is the column patient even
    # though "patients" is also a role word (words16: "random intercepts for patients")
    for ending in ("s", "es"):  # "patients", "batches"
        if name.endswith(ending) and name[: -len(ending)] in columns:
            return name[: -len(ending)]
    if name.lower() in GROUP_ROLE_WORDS:
        return None
    return name


@dataclass(frozen=True)
class ModelParts:
    """The pieces a structure request keeps or changes."""

    response: str
    intercept: bool
    fixed_terms: tuple[str, ...]
    group: str
    slope: str | None
    nested_in: str | None = None
    crossed_with: tuple[str, ...] = ()

    def formula(self, structure: str, *, uncorrelated: bool = False) -> str:
        """lme4 text for a named structure (``grammar.plan.random_part`` defines each one),
        plus a random intercept for each factor in ``crossed_with`` (crossed random effects).

        ``uncorrelated`` builds the random slope as ``(1 + x || g)``, intercept and slope
        without their correlation, for a request that names "random slope" next to
        "intercept + slope".
        """
        fixed = list(self.fixed_terms)
        if not self.intercept:
            fixed = ["0", *fixed]
        group = f"{self.nested_in}/{self.group}" if self.nested_in else self.group
        if structure not in STRUCTURES:
            raise AssistantError(f"The model structure {structure!r} is not one I can build.")
        if structure != "random_intercept" and self.slope is None:
            raise AssistantError(
                "A random slope needs a numeric predictor that varies within "
                f"{self.group}; name it, e.g. `fit a random slope for time by {self.group}`."
            )
        if uncorrelated:
            random = random_part("uncorrelated_slope", group, self.slope)
        else:
            random = random_part(structure, group, self.slope)
        crossed = [random_part("random_intercept", c) for c in self.crossed_with]
        rhs = " + ".join([*(fixed or ["1"]), random, *crossed])
        return f"{self.response} ~ {rhs}"


def check_formula(text: str) -> ModelFormula:
    """Parse a built formula; a failure here is reported as an assistant error."""
    try:
        return parse_formula(text)
    except FormulaError as err:
        raise AssistantError(str(err)) from None


# ------------------------------------------------------------ what a model is
def classify_structure(mf: ModelFormula) -> str:
    """Name the random-effects structure of a formula (a key of ``STRUCTURE_NAMES``)."""
    terms = mf.random_terms
    if not terms:
        return "custom"
    groups = {rt.group_label for rt in terms}
    if len(groups) > 1:
        labels = [tuple(v.text() for v in rt.group) for rt in terms]
        nested = any(set(a) < set(b) for a in labels for b in labels if a != b)
        return "nested" if nested else "crossed"
    with_slopes = [rt for rt in terms if rt.terms]
    if not with_slopes:
        return "random_intercept"
    has_intercept = any(rt.intercept for rt in terms)
    if not has_intercept:
        return "random_slope"
    if len(terms) == 1:
        return "intercept_and_slope"
    return "uncorrelated_slope"


def parts_from_formula(mf: ModelFormula, data: pd.DataFrame | None) -> ModelParts:
    """Keep a model's response, fixed part and grouping factor; find its slope variable."""
    if not mf.random_terms:
        raise AssistantError("The current model has no grouping factor to build on.")
    first = mf.random_terms[0]
    group_vars = first.group
    group = group_vars[-1].text() if len(group_vars) > 1 else first.group_label
    nested_in = None
    if len(group_vars) > 1 and any(
        len(rt.group) == 1 and rt.group[0] == group_vars[-1] for rt in mf.random_terms
    ):
        # lme4 names (1 | a/b) as b:a next to a; keep the nesting when rebuilding.
        nested_in, group = group_vars[-1].text(), group_vars[0].text()
    elif len(mf.random_terms) > 1 and len(group_vars) == 1:
        inner = [
            rt for rt in mf.random_terms if len(rt.group) == 2 and rt.group[1] == group_vars[0]
        ]
        if inner:
            nested_in, group = group_vars[0].text(), inner[0].group[0].text()
    slope = None
    for rt in mf.random_terms:
        if rt.terms:
            slope = rt.terms[0].label
            break
    if slope is None:
        slope = _slope_from_fixed(mf, data)
    return ModelParts(
        response=mf.response_label,
        intercept=mf.intercept,
        fixed_terms=tuple(t.label for t in mf.fixed_terms),
        group=group,
        slope=slope,
        nested_in=nested_in,
    )


def _slope_from_fixed(mf: ModelFormula, data: pd.DataFrame | None) -> str | None:
    """The fixed term most likely to be 'time': the engine's time guess, else any numeric."""
    simple = [t for t in mf.fixed_terms if t.order == 1 and isinstance(t.factors[0], Var)]
    names = [t.factors[0].name for t in simple]
    numeric = [n for n in names if data is None or _is_numeric(data, n)]
    if data is not None and numeric:
        guess = describe_data(data).time_guess
        if guess in numeric:
            return simple[names.index(guess)].label
    if numeric:
        return simple[names.index(numeric[0])].label
    return None


# ------------------------------------------------------- guessing from the data
def _is_numeric(data: pd.DataFrame, name: str) -> bool:
    return (
        name in data.columns
        and pd.api.types.is_numeric_dtype(data[name])
        and not (pd.api.types.is_bool_dtype(data[name]))
    )


def _quoted(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z.][A-Za-z0-9_.]*", name) else f"`{name}`"


def _cannot_guess(what: str, data: pd.DataFrame) -> AssistantError:
    problem = outcome_problem(data) if what == "outcome" else None
    if problem is not None:
        return AssistantError(problem)
    columns = ", ".join(map(str, data.columns[:12]))
    return AssistantError(
        f"I could not tell which column is the {what} (columns: {columns}). "
        f"Write the model out, e.g. `{EXAMPLE_REQUEST}`."
    )


@dataclass(frozen=True)
class GuessedParts:
    parts: ModelParts
    roles: dict[str, str]  # role -> column, for the narration to say what was assumed


def parts_from_data(
    data: pd.DataFrame,
    summary: Any,
    *,
    suggested_formula: str | None = None,
    response: str | None = None,
    predictors: tuple[str, ...] | list[str] | None = None,
    group: str | None = None,
    slope: str | None = None,
    nested_in: str | None = None,
    crossed_with: tuple[str, ...] = (),
) -> GuessedParts:
    """Model parts from named columns; the rest from the data set's suggested model or
    from the engine's guesses (``engine.data.describe_data``: id, time, outcome)."""
    # a predictor "a:b" is the product of two columns ("time, treatment and their interaction")
    parts_named = [part for p in predictors or () for part in str(p).split(":")]
    for name in (response, group, slope, nested_in, *crossed_with, *parts_named):
        if name is not None and name not in data.columns:
            raise AssistantError(
                f"There is no column {name!r} in the data; "
                f"the columns are {', '.join(map(str, data.columns[:12]))}."
            )
    explicit = any(v for v in (response, predictors, group, nested_in))
    if suggested_formula and not explicit:
        parts = parts_from_formula(check_formula(suggested_formula), data)
        if slope:
            parts = replace(parts, slope=_quoted(slope))
        roles = {"outcome": parts.response, "grouping factor": parts.group}
        if parts.slope and parts.slope == summary.time_guess:
            # a slope variable that is not time-like (SES) is not called "time"
            roles["time"] = parts.slope
        return GuessedParts(parts, roles)
    if summary.layout == "wide" and not explicit:
        stubs = ", ".join(f"{s}_…" for s in summary.wide_stubs)
        raise AssistantError(
            f"The data are in wide format (repeated columns {stubs}); say "
            "`reshape from wide to long format first`, then fit the model."
        )
    group = group or summary.id_guess
    if group is None:
        raise _cannot_guess("grouping factor (subject, cluster)", data)
    taken = {group, *crossed_with} | ({nested_in} if nested_in else set())
    time = slope or (summary.time_guess if summary.time_guess not in taken else None)
    response = response or summary.outcome_guess
    if response is None or response in taken or response == time:
        raise _cannot_guess("outcome", data)
    skipped: list[str] = []
    # "analyze test_score by school": a predictor named that is the grouping factor is the
    # cluster its random intercept stands for, not also a fixed effect (one per level)
    predictors = [p for p in predictors or () if p != group]
    if predictors:
        fixed = list(predictors)
    else:
        others = [
            str(c)
            for c in data.columns
            if str(c) not in taken | {response, time} and not _looks_like_identifier(data, str(c))
        ]
        skipped = [
            c for c in others
            if looks_like_dates(data[c]) or (time is not None and _same_partition(data, c, time))
            or data[c].nunique(dropna=True) < 2 or _copies_outcome(data, c, response)
        ]
        others = [c for c in others if c not in skipped]
        fixed = ([time] if time else []) + others
    if slope is None and time is not None and time in fixed and _is_numeric(data, time):
        slope = time
    parts = ModelParts(
        response=_quoted(response),
        intercept=True,
        fixed_terms=tuple(":".join(_quoted(p) for p in str(f).split(":")) for f in fixed),
        group=_quoted(group),
        slope=_quoted(slope) if slope else None,
        nested_in=_quoted(nested_in) if nested_in else None,
        crossed_with=tuple(_quoted(c) for c in crossed_with),
    )
    roles = {"outcome": response, "grouping factor": group}
    if crossed_with:
        roles["crossed with"] = " and ".join(crossed_with)
    if time:
        roles["time"] = time
    if not predictors and skipped:
        roles["left out"] = (
            skipped[0] if len(skipped) == 1 else ", ".join(skipped[:-1]) + " and " + skipped[-1]
        )
    return GuessedParts(parts, roles)


#: A covariate correlated beyond this with the outcome is the outcome in other units.
COPY_CORRELATION = 0.9999


def _copies_outcome(data: pd.DataFrame, column: str, response: str) -> bool:
    """``column`` is numeric and a linear function of the outcome (Weight in pounds next to
    weight in kg): as a predictor it would explain the outcome by itself."""
    if not (_is_numeric(data, column) and _is_numeric(data, response)):
        return False
    pair = data[[column, response]].dropna()
    if len(pair) < 3 or pair[column].nunique() < 2 or pair[response].nunique() < 2:
        return False
    return bool(abs(pair[column].corr(pair[response])) > COPY_CORRELATION)


def _same_partition(data: pd.DataFrame, column: str, other: str) -> bool:
    """``column`` only relabels ``other`` (visit "week 4" for weeks 4): one-to-one values."""
    pair = data[[column, other]].dropna().drop_duplicates()
    return bool(
        len(pair)
        and not pair[column].duplicated().any()
        and not pair[other].duplicated().any()
    )


def _looks_like_identifier(data: pd.DataFrame, name: str) -> bool:
    """A column that labels rows rather than measuring something (a name ending in id/code/
    no, or text with more distinct values than max(20, a quarter of the rows)): never a
    guessed predictor, since a factor with nearly one level per row leaves no residual."""
    words = [w for w in re.split(r"[^a-z]+", name.lower()) if w]
    if words and words[-1] in {"id", "code", "no"}:
        return True
    column = data[name]
    # Any text-like column (object, pandas string, categorical) counts, not only object:
    # the samples' ``student`` is a pandas string column. Dates are left to the caller,
    # which names them as left out.
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    if column.nunique(dropna=True) <= max(20, len(column) // 4):
        return False
    return not looks_like_dates(column)


# ------------------------------------------------------------ modify_model
def modify_formula(
    mf: ModelFormula,
    operation: str,
    variables: list[str] | tuple[str, ...],
    group: str | None = None,
) -> str:
    """lme4 text for the model after one ``modify_model`` operation (``group``: the
    grouping factor of an added random slope, when the request names one)."""
    variables = [formula_label(v) for v in variables if v]
    fixed = [t.label for t in mf.fixed_terms]
    bars = list(mf.written_random)
    if operation == "null_model":
        return null_model_formula(mf)
    if operation == "add_or_drop_term":
        operation = add_or_drop(mf, variables)
    if operation == "as_factor":
        return _as_factor_formula(mf, variables)
    if operation == "center_at":
        return _centred_at_formula(mf, variables)
    if operation in {"add_covariate", "drop_term", "drop_variable", "drop_interaction",
                     "replace_term"}:
        if operation == "replace_term":
            # variables[0] -> variables[1:] in its place ("SES" -> "SES_within + SES_between")
            _need(variables[1:], "the term to replace and what replaces it")
            if variables[0] not in fixed:
                raise AssistantError(
                    f"The model has no fixed term {variables[0]!r}; its terms are "
                    f"{', '.join(fixed)}."
                )
            at = fixed.index(variables[0])
            fixed[at : at + 1] = variables[1:]
        elif operation == "add_covariate":
            _need(variables, "the covariate to add, e.g. `add age`")
            for v in variables:
                present = _term_in(v, fixed)
                if present is not None:
                    written = "" if present == v else f" (as {present})"
                    raise AssistantError(f"{v} is already in the model{written}.")
                # an interaction comes with its main effects (the hierarchy principle):
                # without them its coefficient depends on how the variables are coded
                fixed.extend(part for part in _main_effects(v) if _term_in(part, fixed) is None)
                fixed.append(v)
        elif operation == "drop_term":
            _need(variables, "the term to drop, e.g. `drop age`")
            for v in variables:
                if v not in fixed:
                    raise AssistantError(
                        f"The model has no fixed term {v!r}; its terms are {', '.join(fixed)}."
                    )
                if any(":" in f and v in f.split(":") for f in fixed if f != v):
                    raise AssistantError(
                        f"{v} is part of an interaction; drop the interaction first."
                    )
                fixed.remove(v)
        elif operation == "drop_variable":
            fixed = [f for f in fixed if f not in terms_containing(mf, variables)]
        else:
            interactions = [f for f in fixed if ":" in f]
            if variables:
                wanted = set(variables)
                interactions = [f for f in interactions if wanted <= set(f.split(":"))]
            if not interactions:
                raise AssistantError("The model has no interaction to drop.")
            fixed = [f for f in fixed if f not in interactions]
        head = [] if mf.intercept else ["0"]
        rhs = " + ".join([*head, *(fixed or ["1"]), *(b.text() for b in bars)])
        return f"{mf.response_label} ~ {rhs}"
    return _modify_random(mf, operation, variables, fixed, group)


def _as_factor_formula(mf: ModelFormula, variables: list[str]) -> str:
    """``mf`` with each variable as ``factor(variable)`` in the fixed part ("fit time as
    categorical": one mean per value instead of a line); the random part as written, so
    a random slope keeps the variable numeric."""
    _need(variables, "the variable to treat as categorical, e.g. `fit time as categorical`")
    fixed = [t.label for t in mf.fixed_terms]
    for v in variables:
        if not any(v in f.split(":") for f in fixed):
            raise AssistantError(
                f"The model has no fixed term {v!r}; its terms are {', '.join(fixed)}."
            )
    fixed = [":".join(f"factor({p})" if p in variables else p for p in f.split(":"))
             for f in fixed]
    head = [] if mf.intercept else ["0"]
    rhs = " + ".join([*head, *fixed, *(b.text() for b in mf.written_random)])
    return f"{mf.response_label} ~ {rhs}"


def _centred_at_formula(mf: ModelFormula, parts: list[str]) -> str:
    """``mf`` with ``x`` replaced by ``I(x - c)`` in every fixed and random term ("center
    time at month 6"): the same model, reparametrised so that the intercept and the
    effects interacting with ``x`` are those at ``x = c``."""
    _need(parts[1:], "the variable and the value to center it at, e.g. `center time at 6`")
    variable, value = parts[0], float(parts[1].strip("`"))
    pattern = re.compile(rf"(?<![\w.`]){re.escape(variable)}(?![\w.`(])")
    rhs = mf.text().split("~", 1)[1]
    if not pattern.search(rhs):
        raise AssistantError(
            f"The model has no predictor {variable!r} to center; its formula is `{mf.text()}`."
        )
    if re.search(rf"\w\(\s*{re.escape(variable)}\b", rhs):
        raise AssistantError(
            f"{variable} is inside a function in the model; center it in the formula "
            f"yourself, e.g. `I({variable} - {value:g})`."
        )
    shifted = f"I({variable} - {value:g})" if value >= 0 else f"I({variable} + {-value:g})"
    return f"{mf.response_label} ~ {pattern.sub(shifted, rhs).strip()}"


def null_model_formula(mf: ModelFormula, outcome: str | None = None) -> str:
    """The empty (unconditional) model of ``mf``: its outcome (or the column ``outcome``)
    with an intercept only and a random intercept for each of its grouping factors
    (Raudenbush & Bryk 2002, the one-way random-effects ANOVA; its ICC is the
    unconditional one)."""
    if not mf.random_terms:
        raise AssistantError("The model has no grouping factor for an empty model to keep.")
    groups = list(dict.fromkeys(rt.group_label for rt in mf.random_terms))
    response = mf.response_label if outcome is None else formula_label(outcome)
    if outcome is not None and outcome in groups:
        raise AssistantError(
            f"`{outcome}` is the model's grouping factor; an empty model needs a numeric outcome."
        )
    same_outcome = response == mf.response_label
    if same_outcome and not mf.fixed_terms and all(
        not rt.terms and rt.intercept for rt in mf.random_terms
    ):
        raise AssistantError("The model is already the empty model: it has no predictors.")
    random = " + ".join(f"(1 | {g})" for g in groups)
    return f"{response} ~ 1 + {random}"


def terms_containing(mf: ModelFormula, variables: list[str] | tuple[str, ...]) -> list[str]:
    """The fixed terms that ``drop_variable`` removes: each variable's own term and every
    interaction it is part of ("compare to the model without treatment" in
    ``time * treatment``: treatment and time:treatment, so that no interaction is left
    without its main effect); a variable in no term is refused."""
    fixed = [t.label for t in mf.fixed_terms]
    _need(list(variables), "the term to drop, e.g. `compare to the model without age`")
    removed: list[str] = []
    for v in variables:
        found = [f for f in fixed if f == v or v in f.split(":") or _term_in(v, [f]) == f]
        if not found:
            raise AssistantError(
                f"The model has no fixed term {v!r}; its terms are {', '.join(fixed)}."
            )
        removed.extend(f for f in found if f not in removed)
    return removed


def add_or_drop(mf: ModelFormula, variables: list[str]) -> str:
    """``"drop_variable"`` when the model has every variable as a fixed term (with any
    interaction it is part of), ``"add_covariate"`` when it has none of them ("compare
    with and without school size")."""
    fixed = [t.label for t in mf.fixed_terms]
    present = [v for v in variables if _term_in(v, fixed) is not None]
    if present and len(present) < len(variables):
        raise AssistantError(
            f"The model has {', '.join(present)} but not the others; compare with and "
            "without one variable at a time."
        )
    return "drop_variable" if present else "add_covariate"


def _term_in(label: str, terms: list[str]) -> str | None:
    """The term of ``terms`` that is ``label``, its variables in any order (``b:a`` is
    ``a:b``), or None."""
    key = sorted(label.split(":"))
    return next((t for t in terms if sorted(t.split(":")) == key), None)


def _main_effects(label: str) -> list[str]:
    """The lower-order terms an interaction label implies: ``a`` and ``b`` for ``a:b``;
    ``a``, ``b``, ``c``, ``a:b``, ``a:c`` and ``b:c`` for ``a:b:c``."""
    parts = label.split(":")
    if len(parts) < 2:
        return []
    return [":".join(combo) for size in range(1, len(parts))
            for combo in itertools.combinations(parts, size)]


def formula_label(name: str) -> str:
    """A column as the formula's term labels spell it: `pain score` in backticks; names,
    quoted names, calls and interactions as they are."""
    if name.startswith("`") or "(" in name or ":" in name:
        return name
    return _quoted(name)


def _need(variables: list[str], what: str) -> None:
    if not variables:
        raise AssistantError(f"Say which variable: {what}.")


def _modify_random(
    mf: ModelFormula, operation: str, variables: list[str], fixed: list[str], group: str | None
) -> str:
    if not mf.random_terms:
        raise AssistantError("The model has no random effects to change.")
    terms = [
        {
            "intercept": rt.intercept,
            "slopes": [t.label for t in rt.terms],
            "group": rt.group_label,
            "correlated": not rt.from_double_bar,
        }
        for rt in mf.random_terms
    ]
    first_group = terms[0]["group"]
    if operation == "add_random_slope":
        if not variables:
            parts = parts_from_formula(mf, None)
            if parts.slope is None:
                raise AssistantError(
                    "Say which variable gets a random slope, e.g. `add a random slope for time`."
                )
            variables = [parts.slope]
        target = terms[0]
        if group is not None:
            matching = [t for t in terms if t["group"] == group]
            if matching:
                target = matching[0]
            else:  # a slope by a factor with no random term yet: the slope alone
                target = {"intercept": False, "slopes": [], "group": group, "correlated": True}
                terms.append(target)
        grouping = {*mf.grouping_variables(), target["group"]}
        for v in variables:
            if v in grouping or v.strip("`") in grouping:
                others = [f for f in fixed if f not in grouping and _quoted(f) == f]
                example = f", e.g. `add a random slope for {others[0]}`" if others else ""
                raise AssistantError(
                    f"{v} is a grouping factor of the model, so it cannot also have a random "
                    f"slope; give the slope to a predictor that varies within {target['group']}"
                    f"{example}."
                )
            if v in target["slopes"]:
                raise AssistantError(
                    f"{v} already has a random slope by {target['group']}; there is nothing to add."
                )
            target["slopes"].append(v)
    elif operation == "add_random_intercept":
        if group is None:
            raise AssistantError(
                "Say which grouping factor gets the random intercept, "
                "e.g. `add a random intercept for item`."
            )
        if group in fixed:
            raise AssistantError(
                f"{group} is a fixed effect of the model; drop it first if its levels "
                "should be random effects instead."
            )
        matching = [t for t in terms if t["group"] == group]
        if any(t["intercept"] for t in matching):
            raise AssistantError(
                f"The model already has a random intercept for {group}; there is nothing to add."
            )
        if matching:
            matching[0]["intercept"] = True
        else:
            terms.append({"intercept": True, "slopes": [], "group": _quoted(group),
                          "correlated": True})
    elif operation == "remove_random_slope":
        removed = False
        for t in terms:
            keep = [s for s in t["slopes"] if variables and s not in variables]
            removed = removed or len(keep) < len(t["slopes"])
            t["slopes"] = keep
        if not removed:
            raise AssistantError("The model has no such random slope to remove.")
        terms = [t for t in terms if t["intercept"] or t["slopes"]]
        if not terms:
            terms = [{"intercept": True, "slopes": [], "group": first_group, "correlated": True}]
    elif operation in {"remove_random_term", "keep_random_term"}:
        terms = _random_terms_kept(terms, group, keep=operation == "keep_random_term")
    elif operation == "uncorrelated":
        if not any(t["slopes"] and t["correlated"] for t in terms):
            raise AssistantError(
                "The model has no correlated random slope; there is no correlation to remove."
            )
        for t in terms:
            t["correlated"] = False
    else:
        raise AssistantError(f"I do not know how to {operation.replace('_', ' ')}.")
    random = _merge_random(terms)
    head = [] if mf.intercept else ["0"]
    rhs = " + ".join([*head, *(fixed or ["1"]), *random])
    return f"{mf.response_label} ~ {rhs}"


def _random_terms_kept(terms: list[dict], group: str | None, *, keep: bool) -> list[dict]:
    """The random terms of the grouping factor ``group`` alone (``keep``), or all the
    others; a model with none left is refused (it would be no mixed model)."""
    groups = list(dict.fromkeys(str(t["group"]) for t in terms))
    if group is None and len(groups) == 1:  # a role word ("patients") for the one factor
        group = groups[0]
    if group is None or group not in groups:
        raise AssistantError(
            f"Say which grouping factor: the model's are {', '.join(groups)}."
            if group is None else
            f"The model has no random term for {group}; its grouping factors are "
            f"{', '.join(groups)}."
        )
    kept = [t for t in terms if (t["group"] == group) == keep]
    if not kept:
        raise AssistantError(
            f"Without {'the other grouping factors' if keep else group} the model has no "
            "random effects left, so it is no mixed model; compare with ordinary regression "
            "instead (`compare with OLS`)."
        )
    if len(kept) == len(terms):
        raise AssistantError(
            f"The model's only grouping factor is {group}; there is nothing to leave out."
        )
    return kept


def _merge_random(terms: list[dict]) -> list[str]:
    """Write random terms back, joining the uncorrelated pieces of one group into ``||``."""
    out: list[str] = []
    seen_uncorrelated: dict[str, dict] = {}
    order: list[tuple[str, str]] = []
    for t in terms:
        if t["correlated"]:
            order.append(("c", _bar(t, "|")))
            continue
        merged = seen_uncorrelated.get(t["group"])
        if merged is None:
            merged = {"intercept": False, "slopes": [], "group": t["group"]}
            seen_uncorrelated[t["group"]] = merged
            order.append(("u", t["group"]))
        merged["intercept"] = merged["intercept"] or t["intercept"]
        merged["slopes"] += [s for s in t["slopes"] if s not in merged["slopes"]]
    for tag, value in order:
        if tag == "c":
            out.append(value)
        else:
            m = seen_uncorrelated[value]
            bar = "||" if m["slopes"] else "|"
            out.append(_bar(m, bar))
    return out


def _bar(t: dict, bar: str) -> str:
    lhs = ["1" if t["intercept"] else "0", *t["slopes"]]
    return f"({' + '.join(lhs)} {bar} {t['group']})"


def with_structure(parts: ModelParts, **changes: Any) -> ModelParts:
    return replace(parts, **{k: v for k, v in changes.items() if v is not None and v != ()})


def with_crossed_intercepts(formula: str, groups: list[str]) -> str:
    """A word-built model's formula with its random part rewritten as one random intercept
    per grouping factor in ``groups`` (crossed random effects), the fixed part kept."""
    mf = check_formula(formula)
    fixed = [t.label for t in mf.fixed_terms]
    head = [] if mf.intercept else ["0"]
    random = [random_part("random_intercept", _quoted(g)) for g in groups]
    return f"{mf.response_label} ~ {' + '.join([*head, *(fixed or ['1']), *random])}"
