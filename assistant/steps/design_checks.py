"""Steps about the design and one term's share of the variance: how fully two grouping
factors are crossed (engine.crossing) and the variance a fixed term explains
(engine.term_variance)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from assistant.errors import AssistantError
from assistant.references import resolve_one
from assistant.state import SessionState
from assistant.step_results import EngineResult
from assistant.steps.base import PlanContext, StepResult, step_field
from assistant.steps.blups import grouping_factor_named
from assistant.steps.data import model_on_current_data
from engine.blups import grouping_factors
from engine.crossing import CrossingTable, crossing_table
from engine.design_balance import DesignBalance, design_balance
from engine.errors import LmmInputError
from engine.term_variance import term_variance_explained


@dataclass(frozen=True)
class CrossingAnswer:
    """The crossing of two grouping factors in the whole data (``data``) and, when a model
    of the data uses them, in the rows it was fitted to (``model_rows``). ``chosen``: how
    the two factors were picked ("model", "named", "guessed")."""

    data: CrossingTable
    model_rows: CrossingTable | None
    chosen: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "design_crossing", "data": self.data.to_dict(), "chosen": self.chosen,
                "model_rows": None if self.model_rows is None else self.model_rows.to_dict()}


def design_crossing(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The combinations of two grouping factors' levels present, of all possible."""
    data = state.data
    if data is None:
        raise AssistantError("There are no data yet; load a file or a sample first.")
    named = [str(g) for g in step_field(step, "groups", ()) or ()]
    model = model_on_current_data(state, None)
    if step_field(step, "model") is not None:
        model = resolve_one(state, step_field(step, "model"))
    groups = grouping_factors(model.fit) if model is not None else []
    if named:
        pair = [grouping_factor_named(g, [str(c) for c in data.columns]) or g for g in named]
        chosen = "named"
    elif len(groups) >= 2:
        pair, chosen = list(groups[:2]), "model"
    else:
        pair, chosen = _guessed_pair(data), "guessed"
    if len(pair) != 2:
        raise AssistantError(
            "Name the two grouping factors, e.g. `are rater and item fully crossed?`."
        )
    try:
        whole = crossing_table(data, pair[0], pair[1])
        rows = None
        if model is not None and set(pair) <= set(model.fit.data.columns):
            rows = crossing_table(model.fit.data, pair[0], pair[1])
    except LmmInputError as err:
        raise AssistantError(str(err)) from None
    answer = CrossingAnswer(whole, rows, chosen)
    return StepResult(EngineResult("design_crossing", answer, model), state)


def _guessed_pair(data: pd.DataFrame) -> list[str]:
    """The two categorical columns with most levels that repeat (each level on several
    rows): the likely grouping factors of data without a model."""
    candidates = []
    for name in data.columns:
        column = data[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            continue
        levels = column.nunique()
        if 2 < levels < len(column.dropna()):
            candidates.append((levels, str(name)))
    candidates.sort(reverse=True)
    return [name for _, name in candidates[:2]] if len(candidates) >= 2 else []


@dataclass(frozen=True)
class BalanceAnswer:
    """The balance of the design's ``factors`` (the model's grouping factors and
    categorical predictors, else the data's categorical columns with repeated levels) in
    the whole data (``data``) and in the rows the model was fitted to (``model_rows``,
    None without a model). ``chosen``: "model" or "guessed"."""

    data: DesignBalance
    model_rows: DesignBalance | None
    factors: tuple[str, ...]
    chosen: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "design_balance", "factors": list(self.factors), "chosen": self.chosen,
                "data": self.data.to_dict(),
                "model_rows": None if self.model_rows is None else self.model_rows.to_dict()}


def balance(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The observations per level of each factor of the design and per cell of each pair."""
    data = state.data
    if data is None:
        raise AssistantError("There are no data yet; load a file or a sample first.")
    model = model_on_current_data(state, None)
    if step_field(step, "model") is not None:
        model = resolve_one(state, step_field(step, "model"))
    if model is not None:
        factors, chosen = _model_factors(model.fit, data), "model"
    else:
        factors, chosen = _categorical_columns(data), "guessed"
    try:
        whole = design_balance(data, factors)
        rows = design_balance(model.fit.data, factors) if model is not None else None
    except LmmInputError as err:
        raise AssistantError(str(err)) from None
    answer = BalanceAnswer(whole, rows, tuple(factors), chosen)
    return StepResult(EngineResult("design_balance", answer, model), state)


def _model_factors(fit: Any, data: pd.DataFrame) -> list[str]:
    """The model's grouping factors that are columns, then its categorical predictors."""
    groups = [g for g in grouping_factors(fit) if g in data.columns and g in fit.data.columns]
    predictors = [
        str(c) for c in fit.data.columns
        if c != fit.response_name and str(c) not in groups and c in data.columns
        and not (pd.api.types.is_numeric_dtype(fit.data[c])
                 and not pd.api.types.is_bool_dtype(fit.data[c]))
    ]
    return groups + predictors


def _categorical_columns(data: pd.DataFrame) -> list[str]:
    """Data without a model: the categorical columns whose levels repeat, at most three
    (most levels first)."""
    found = []
    for name in data.columns:
        column = data[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            continue
        if 1 < column.nunique() < len(column.dropna()):
            found.append((column.nunique(), str(name)))
    found.sort(reverse=True)
    return [name for _, name in found[:3]]


def term_variance(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    """The variance one fixed term explains: part R² and the reduction of each variance
    component when the term is left out."""
    model = resolve_one(state, step_field(step, "model"))
    term = step_field(step, "term")
    try:
        result = term_variance_explained(model.fit, term)
    except LmmInputError as err:
        raise AssistantError(str(err).replace("The model", model.title, 1)) from None
    return StepResult(EngineResult("term_variance_explained", result, model), state)


HANDLERS = {
    "design_crossing": design_crossing,
    "term_variance_explained": term_variance,
    "design_balance": balance,
}
