"""What a session remembers: data sets, fitted models and options.

A :class:`SessionState` is replaced, never edited in place: the executor works on a
copy and the session keeps the copy only when a step succeeds, so a failed step
cannot leave half a change behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

#: Words for each random-effects structure, as the narration and model references use them.
STRUCTURE_NAMES: dict[str, str] = {
    "random_intercept": "random intercept model",
    "random_slope": "random slope model",
    "intercept_and_slope": "random intercept and slope model",
    "uncorrelated_slope": "uncorrelated intercept and slope model",
    "nested": "nested random intercept model",
    "crossed": "crossed random effects model",
    "custom": "mixed model",
}

DDF_METHODS = ("satterthwaite", "kenward-roger", "residual", "asymptotic")
OPTIMIZERS = ("bobyqa", "l-bfgs-b", "nelder-mead", "powell")
FIGURE_FORMATS = ("png", "svg", "pdf")


@dataclass
class SessionOptions:
    """Defaults for every fit and figure of the session.

    Front ends may assign fields directly (``session.options.output_dir = folder``);
    the executor itself replaces the whole object, so an earlier state never changes.
    """

    method: str = "REML"
    ddf: str = "satterthwaite"
    optimizer: str = "bobyqa"
    max_iter: int | None = None
    level: float = 0.95
    output_dir: Path = Path("lmm-output")
    format: str = "png"

    @property
    def reml(self) -> bool:
        return self.method == "REML"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "ddf": self.ddf,
            "optimizer": self.optimizer,
            "max_iter": self.max_iter,
            "level": self.level,
            "output_dir": str(self.output_dir),
            "format": self.format,
        }


@dataclass(frozen=True)
class FittedModel:
    """A model the session fitted: its number, its name in words, and the engine fit."""

    number: int
    structure: str
    fit: Any  # engine.results.LmmFit
    dataset: str
    label: str | None = None
    audit: Any = None  # engine.convergence.ConvergenceAudit when the ladder ran

    @property
    def name(self) -> str:
        return STRUCTURE_NAMES.get(self.structure, STRUCTURE_NAMES["custom"])

    @property
    def title(self) -> str:
        """``Model 2 (random slope model)``."""
        return f"Model {self.number} ({self.label or self.name})"


@dataclass(frozen=True)
class SessionState:
    """Everything a step can change. Data frames are never modified in place."""

    datasets: dict[str, pd.DataFrame] = field(default_factory=dict)
    current_data_name: str | None = None
    models: dict[int, FittedModel] = field(default_factory=dict)
    options: SessionOptions = field(default_factory=SessionOptions)
    #: A model the data set's provider suggests (built-in samples), by data set name.
    suggested_formulas: dict[str, str] = field(default_factory=dict)
    #: The last model comparison run (assistant.step_results.SessionComparison), for export.
    last_comparison: Any = None
    #: For each option the user set: the number of the newest model at that moment, so
    #: that a setting chosen after a model was fitted applies when that model is refitted
    #: or reported ("the most recent choice wins").
    options_set_after: dict[str, int] = field(default_factory=dict)
    #: For each data set cut from another (a subset, the rows without a model's
    #: outliers): the data set it was cut from.
    subset_of: dict[str, str] = field(default_factory=dict)
    #: Column roles the person described (assistant/steps/study.py), by data set name:
    #: role ("outcome", "time", "group", "nested_in", "treatment", "covariates") -> the
    #: column (covariates: several, joined by ", ").
    study_roles: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def data(self) -> pd.DataFrame | None:
        if self.current_data_name is None:
            return None
        return self.datasets.get(self.current_data_name)

    @property
    def last_model(self) -> FittedModel | None:
        return self.models[max(self.models)] if self.models else None

    def with_dataset(
        self, name: str, frame: pd.DataFrame, suggested_formula: str | None = None
    ) -> SessionState:
        datasets = dict(self.datasets)
        datasets[name] = frame
        hints = dict(self.suggested_formulas)
        if suggested_formula:
            hints[name] = suggested_formula
        return replace(self, datasets=datasets, current_data_name=name, suggested_formulas=hints)

    def with_subset(
        self, name: str, frame: pd.DataFrame, parent: str, *, current: bool = True
    ) -> SessionState:
        """A data set cut from ``parent`` (made current unless ``current`` is False); it
        shares the parent's suggested model."""
        parents = dict(self.subset_of)
        parents[name] = parent
        if current:
            state = self.with_dataset(name, frame, self.suggested_formulas.get(parent))
        else:
            datasets = dict(self.datasets)
            datasets[name] = frame
            state = replace(self, datasets=datasets)
        return replace(state, subset_of=parents)

    def current_subset_of(self, model: FittedModel) -> str | None:
        """The current data set's name when it was cut (directly or in steps) from the
        data set ``model`` was fitted to, so that refits and changes of the model use the
        rows kept; None otherwise."""
        name = self.current_data_name
        seen: set[str] = set()
        while name is not None and name not in seen:
            seen.add(name)
            parent = self.subset_of.get(name)
            if parent == model.dataset:
                return self.current_data_name
            name = parent
        return None

    def with_study_roles(self, roles: dict[str, str]) -> SessionState:
        """The current data set's described roles updated with ``roles`` (a role said
        again replaces the one said before)."""
        name = self.current_data_name or "data"
        described = dict(self.study_roles)
        described[name] = {**described.get(name, {}), **roles}
        return replace(self, study_roles=described)

    @property
    def described_roles(self) -> dict[str, str]:
        """The roles described for the current data set (empty when none)."""
        return self.study_roles.get(self.current_data_name or "data", {})

    def with_model(self, model: FittedModel) -> SessionState:
        models = dict(self.models)
        models[model.number] = model
        return replace(self, models=models)

    def with_options(self, **changes: Any) -> SessionState:
        return replace(self, options=replace(self.options, **changes))

    def with_option_chosen(self, name: str, value: Any) -> SessionState:
        """The option set by the user now, remembered as newer than every model so far."""
        chosen = dict(self.options_set_after)
        chosen[name] = max(self.models, default=0)
        return replace(self.with_options(**{name: value}), options_set_after=chosen)

    def newer_option(self, model: FittedModel, name: str) -> Any:
        """The session's value of option ``name`` when the user chose it after ``model`` was
        fitted; None when the model's own setting is the newer choice."""
        if self.options_set_after.get(name, -1) >= model.number:
            return getattr(self.options, name)
        return None

    def newer_data(self, model: FittedModel) -> pd.DataFrame | None:
        """The model's data set as it is now, when it was transformed after the model was
        fitted (the fit keeps the frame it was given); None when it is unchanged or gone."""
        current = self.datasets.get(model.dataset)
        fitted = getattr(model.fit, "source_data", None)
        if current is None or fitted is None or current is fitted:
            return None
        return current

    def next_model_number(self) -> int:
        return max(self.models, default=0) + 1
