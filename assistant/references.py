"""Model references ("model 2", "the last model", "both models", "the random slope
model", "model baseline") resolved against the models a session has fitted."""

from __future__ import annotations

import difflib
import re

from assistant.errors import AssistantError
from assistant.state import STRUCTURE_NAMES, FittedModel, SessionState
from grammar.plan import referenced_label

NO_MODEL = (
    "There is no fitted model yet. Fit one first, e.g. `LMM: y ~ x + (1 | id)`, "
    "or `fit a random intercept model`."
)
NO_DATA = (
    "There is no data yet. Load a file (`load visits.csv`) or pick a sample "
    "(`use sample pain_trial`) first."
)

#: The model fitted just before the newest one: a plan that changes the current model
#: and then compares the two refers to the old one so ("does school size moderate ...").
BEFORE_LAST = "before_last"
_ALL = {"all", "both", "every", "all models", "both models", "the models"}
_LAST = {"last", "current", "latest", "the last model", "the current model", "it", "this"}
#: Structures a reference may also mean when no model has exactly that structure.
_RELATED = {
    "random_slope": ("intercept_and_slope", "uncorrelated_slope"),
    "intercept_and_slope": ("uncorrelated_slope", "random_slope"),
    "uncorrelated_slope": ("intercept_and_slope",),
}


def model_list(state: SessionState) -> str:
    return "; ".join(f"{m.number} ({m.label or m.name})" for m in state.models.values())


def require_model(state: SessionState) -> FittedModel:
    model = state.last_model
    if model is None:
        raise AssistantError(NO_MODEL)
    return model


def _normalise(ref: str) -> str:
    text = ref.strip().lower()
    text = re.sub(r"^(the\s+)", "", text)
    text = re.sub(r"\s*model$", "", text).strip()
    return text.replace(" ", "_").replace("-", "_")


def resolve_one(state: SessionState, ref: str | int | None) -> FittedModel:
    """One model for a reference; ``None`` means the last model fitted."""
    models = resolve(state, ref)
    if len(models) != 1:
        raise AssistantError(
            f"That names {len(models)} models; name one, e.g. `model {models[-1].number}`."
        )
    return models[0]


def resolve(state: SessionState, ref: str | int | None) -> list[FittedModel]:
    """The models a reference names, in the order they were fitted."""
    if not state.models:
        raise AssistantError(NO_MODEL)
    if ref is None:
        return [require_model(state)]
    if isinstance(ref, str) and (label := referenced_label(ref)) is not None:
        return [_by_label(state, label)]
    if isinstance(ref, int) or str(ref).strip().isdigit():
        return [_by_number(state, int(ref))]
    text = str(ref).strip().lower()
    match = re.fullmatch(r"(?:the\s+)?model\s+(\d+)", text)
    if match:
        return [_by_number(state, int(match.group(1)))]
    if text in _LAST or _normalise(text) in _LAST:
        return [require_model(state)]
    if text in _ALL or _normalise(text) in _ALL:
        return list(state.models.values())
    if text == BEFORE_LAST:
        return [_before_last(state)]
    key = _normalise(text)
    by_label = [m for m in state.models.values() if m.label and m.label.lower() == text]
    if by_label:
        return [by_label[-1]]
    structure = _structure_key(key)
    if structure is not None:
        for candidate in (structure, *_RELATED.get(structure, ())):
            found = [m for m in state.models.values() if m.structure == candidate]
            if found:
                return [found[-1]]
        raise AssistantError(
            f"No {STRUCTURE_NAMES[structure]} has been fitted; the models are {model_list(state)}. "
            f"Fit one first, or refer to a model by number, e.g. `model {_last_number(state)}`."
        )
    raise AssistantError(
        f"I do not know which model {ref!r} means; the models are {model_list(state)}. "
        "Refer to one by number, e.g. `model 1`."
    )


def _before_last(state: SessionState) -> FittedModel:
    numbers = sorted(state.models)
    if len(numbers) < 2:
        raise AssistantError(f"There is only one model ({model_list(state)}) to compare.")
    return state.models[numbers[-2]]


def _structure_key(key: str) -> str | None:
    if key in STRUCTURE_NAMES:
        return key
    for structure, words in STRUCTURE_NAMES.items():
        if key == words.replace(" model", "").replace(" ", "_"):
            return structure
    return None


def _by_number(state: SessionState, number: int) -> FittedModel:
    model = state.models.get(number)
    if model is None:
        raise AssistantError(
            f"There is no model {number}; the models are {model_list(state)}. "
            f"Refer to one of them by number, e.g. `model {_last_number(state)}`."
        )
    return model


#: R users' names for fitted models: m1, m2, mod1, model_2, fit3.
_R_STYLE_NAME = re.compile(r"(?:m|mod|model|fit)_?(\d+)", re.IGNORECASE)


#: One-word names of structures ("the slope model"), used when no model has that label.
_STRUCTURE_SHORTHAND = {
    "slope": "random_slope",
    "slopes": "random_slope",
    "intercept": "random_intercept",
    "uncorrelated": "uncorrelated_slope",
    "nested": "nested",
    "crossed": "crossed",
}


def _by_label(state: SessionState, label: str) -> FittedModel:
    """The model fitted with this label (case-insensitive; the latest if several share it).

    A name no model has but that reads like R code's ``m2`` or ``fit2`` is model 2.
    """
    wanted = label.strip().casefold()
    found = [m for m in state.models.values() if m.label and m.label.casefold() == wanted]
    if found:
        return found[-1]
    r_style = _R_STYLE_NAME.fullmatch(wanted)
    if r_style and int(r_style.group(1)) in state.models:
        return state.models[int(r_style.group(1))]
    labels = [m.label.casefold() for m in state.models.values() if m.label]
    near_label = difflib.get_close_matches(wanted, labels, n=1, cutoff=0.6)
    if wanted in _STRUCTURE_SHORTHAND and not near_label:
        # "the slope model": no model is called "slope" (or nearly), so the structure is meant
        return resolve(state, _STRUCTURE_SHORTHAND[wanted])[0]
    raise AssistantError(_unknown_label(state, label))


def _unknown_label(state: SessionState, label: str) -> str:
    """No model has this label: the closest label if one is near, and every model."""
    labels = {m.label.casefold(): m.label for m in state.models.values() if m.label}
    close = difflib.get_close_matches(label.casefold(), list(labels), n=1, cutoff=0.6)
    models = [f"{m.number} ({m.label or m.name})" for m in state.models.values()]
    listed = (
        f"The only model is {models[0]}."
        if len(models) == 1
        else f"The models are {', '.join(models[:-1])} and {models[-1]}."
    )
    if close:
        return f"There is no model called {label!r}; did you mean {labels[close[0]]!r}? {listed}"
    if not labels:
        return (
            f"There is no model called {label!r}: no model has been given a name. {listed} "
            f"Refer to one by number, e.g. `model {_last_number(state)}`, or name a model "
            "when you fit it (`... called baseline`)."
        )
    return (
        f"There is no model called {label!r}. {listed} Refer to one by its name or number, "
        f"e.g. `model {_last_number(state)}`."
    )


def _last_number(state: SessionState) -> int:
    return max(state.models, default=1)


def resolve_many(
    state: SessionState, refs: list[str] | tuple[str, ...] | None
) -> list[FittedModel]:
    """Several references (empty = every model), without repeats, in order of fitting."""
    if not state.models:
        raise AssistantError(NO_MODEL)
    chosen: dict[int, FittedModel] = {}
    for ref in refs or ["all"]:
        for model in resolve(state, ref):
            chosen[model.number] = model
    return [chosen[n] for n in sorted(chosen)]
