"""Session options (`use ML`, `use Kenward-Roger`, `save figures as svg`) and help."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.help_topics import help_topic
from assistant.state import DDF_METHODS, FIGURE_FORMATS, OPTIMIZERS, SessionState
from assistant.step_results import HelpAnswer, ModelView, OptionChanged
from assistant.steps.base import PlanContext, StepResult, step_field
from engine.samples import list_samples
from engine.variance import variance_explained

_METHODS = {
    "reml": "REML",
    "ml": "ML",
    "maximum likelihood": "ML",
    "restricted maximum likelihood": "REML",
}
_DDF = {
    "satterthwaite": "satterthwaite",
    "kenward-roger": "kenward-roger",
    "kenward_roger": "kenward-roger",
    "kenward roger": "kenward-roger",
    "kr": "kenward-roger",
    "residual": "residual",
    "asymptotic": "asymptotic",
    "z": "asymptotic",
    "wald": "asymptotic",
}
_OPTIMIZERS = {o: o for o in OPTIMIZERS} | {
    "lbfgsb": "l-bfgs-b",
    "l_bfgs_b": "l-bfgs-b",
    "lbfgs": "l-bfgs-b",
    "nelder_mead": "nelder-mead",
    "neldermead": "nelder-mead",
}


def _choose(value: Any, table: dict[str, str], what: str, choices: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    key = str(value).strip().lower()
    if key not in table:
        raise AssistantError(f"{value!r} is not a {what}; choose one of {', '.join(choices)}.")
    return table[key]


def normalise_method(value: Any) -> str | None:
    return _choose(value, _METHODS, "fitting method", ("REML", "ML"))


def normalise_ddf(value: Any) -> str | None:
    return _choose(value, _DDF, "degrees-of-freedom method", DDF_METHODS)


def normalise_optimizer(value: Any) -> str | None:
    return _choose(value, _OPTIMIZERS, "known optimizer", OPTIMIZERS)


def _max_iter(value: Any) -> int:
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise AssistantError(f"The iteration limit must be a positive whole number, not {value!r}.")
    return number


def _level(value: Any) -> float:
    try:
        number = float(str(value).rstrip("%"))
    except ValueError:
        number = -1.0
    if 1 < number < 100:
        number /= 100
    if not 0 < number < 1:
        raise AssistantError(
            f"A confidence level is a percentage between 0 and 100, like 95; not {value!r}."
        )
    return number


def _format(value: Any) -> str:
    text = str(value).strip().lower().lstrip(".")
    if text not in FIGURE_FORMATS:
        raise AssistantError(f"Figures can be saved as {', '.join(FIGURE_FORMATS)}, not {value!r}.")
    return text


def _output_dir(value: Any) -> Path:
    """A folder; a .csv or .json name is a file, which `save the results to` writes."""
    text = str(value)
    if Path(text).suffix.lower() in (".csv", ".json") and not text.endswith("/"):
        raise AssistantError(
            f"{text!r} is a file name, not a folder; to write the results to it, say "
            f"`save the results to {text}`, or name a folder such as `results/`."
        )
    return Path(text)


_SETTERS = {
    "method": normalise_method,
    "ddf": normalise_ddf,
    "optimizer": normalise_optimizer,
    "max_iter": _max_iter,
    "level": _level,
    "output_dir": _output_dir,
    "format": _format,
}


def set_option(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    name = step_field(step, "name")
    value = step_field(step, "value")
    setter = _SETTERS.get(str(name))
    if setter is None:
        raise AssistantError(f"There is no option {name!r}; the options are {', '.join(_SETTERS)}.")
    if value is None:
        raise AssistantError(f"Give a value for {name}, e.g. `use ML`.")
    clean = setter(value)
    previous = getattr(state.options, str(name))
    new_state = state.with_option_chosen(str(name), clean)
    clash = name in {"method", "ddf"} and not new_state.options.reml
    clash = clash and new_state.options.ddf == "kenward-roger"
    return StepResult(OptionChanged(str(name), clean, previous, clash), new_state)


def show_help(step: Any, state: SessionState, context: PlanContext) -> StepResult:
    topic = help_topic(step_field(step, "topic"))
    samples: tuple[tuple[str, str], ...] = ()
    if topic.key == "samples":
        samples = tuple((s.name, s.description) for s in list_samples())
    current = None
    model = state.last_model
    if topic.key == "icc" and model is not None:
        current = ModelView("icc", model, variance_explained(model.fit), True)
    if topic.key == "convergence" and model is not None:
        current = ModelView("convergence", model)
    return StepResult(HelpAnswer(topic, samples, current), state)


HANDLERS = {"set_option": set_option, "help": show_help}
