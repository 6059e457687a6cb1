"""R's own calls on a fitted model, as lme4 and lmerTest users type them, read as steps.

``confint(m1)``, ``ranef(m1)``, ``anova(m1, m2)``: nothing is evaluated. The parser
(the ``r_call`` rule of request.lark) reads the function's name, the models named inside
the parentheses and any ``name = value`` options; :func:`r_call_steps` turns them into
the step that answers the same question as the call does in R:

=====================  ==========================================================
call                   step (and the R behaviour it follows)
=====================  ==========================================================
``summary(m)``         fixed effects and variance components (lmerTest's summary)
``fixef(m)``           the fixed-effects report
``ranef(m)``           the BLUPs (lme4's conditional modes)
``coef(m)``            each level's coefficients β̂ + b̂ (lme4's ``coef()``)
``VarCorr(m)``         the variance components; ``sigma(m)`` too
``vcov(m)``            the covariance matrix of the fixed-effect estimates
``confint(m)``         profile-likelihood intervals, lme4's default method;
                       ``method = "Wald"`` and ``level = 0.9`` are read, and
                       ``method = "boot"`` (with ``nsim =``) is the parametric bootstrap
``anova(m)``           lmerTest's type III F tests (``ddf = "Kenward-Roger"``)
``anova(m1, m2, …)``   the likelihood-ratio comparison, refitted with ML as lme4's
                       ``anova()`` does (``refit = FALSE`` keeps the fits as they are)
``rand(m)``/``ranova``  lmerTest's likelihood-ratio tests of the random effects
``icc(m)``, ``r2(m)``   the ICC and Nakagawa's R² (the performance package's names)
``plot(m)``            residuals against fitted values (lme4's ``plot.merMod``)
=====================  ==========================================================

A call to any other function is refused with the list above (:func:`unsupported_call`).
"""

from __future__ import annotations

import re

from grammar.plan import (
    Anova,
    Blups,
    BootstrapIntervals,
    CompareModels,
    Confint,
    FitStatistics,
    FixedEffects,
    FixedEffectsVcov,
    GroupCoefficients,
    Icc,
    PlotResiduals,
    RandomEffectsTests,
    Step,
    VarianceComponents,
)

#: The calls read, as R spells them, in the order the refusal lists them.
SUPPORTED_CALLS = (
    "summary", "fixef", "ranef", "coef", "VarCorr", "vcov", "confint", "anova", "rand",
    "ranova", "icc", "r2", "sigma", "plot",
)
#: Calls other rules of the grammar read (each model's own criterion, the fit itself).
_READ_ELSEWHERE = ("AIC", "BIC", "logLik", "lmer")
#: Each supported call's options and the values they take (lower case, R's spelling).
_OPTIONS: dict[str, dict[str, tuple[str, ...] | None]] = {
    "confint": {"method": ("profile", "Wald", "boot"), "level": None, "nsim": None},
    "anova": {"ddf": ("Satterthwaite", "Kenward-Roger"), "refit": ("TRUE", "FALSE", "T", "F")},
}
_DDF = {"satterthwaite": "satterthwaite", "kenward-roger": "kenward-roger"}


class RCallError(Exception):
    """An R call that names a supported function but cannot be read as given."""


def r_call_steps(
    function: str, models: list[str | None], options: dict[str, str]
) -> list[Step]:
    """The steps that answer R's ``function(models..., options...)``.

    ``models`` are model references as the grammar builds them (None = the current model;
    an empty list too). Raises :class:`RCallError` for an option the call does not take,
    or several models where one is meant.
    """
    name = _canonical(function)
    _check_options(name, options)
    if name == "anova" and len(models) > 1:
        refit = "none" if options.get("refit") in ("false", "f") else "ml"
        return [CompareModels(("AIC", "BIC", "LRT"), tuple(m or "last" for m in models), refit)]
    if len(models) > 1:
        raise RCallError(
            f"{name}() takes one model, but {len(models)} were named; ask once per model, "
            f"e.g. `{name}(m1)`."
        )
    model = models[0] if models else None
    if name == "confint":
        level = _level(options.get("level"))
        if options.get("method") == "boot":
            return [BootstrapIntervals(model, level, _nsim(options.get("nsim")))]
        if "nsim" in options:
            raise RCallError('`nsim =` goes with `method = "boot"`: confint(m1, method = '
                             '"boot", nsim = 500).')
        return [Confint(model, options.get("method", "profile"), level)]
    if name == "anova":
        return [Anova(model, _DDF.get(options.get("ddf", ""), None))]
    return _SIMPLE[name](model)


_SIMPLE = {
    "summary": lambda m: [FixedEffects(m), VarianceComponents(m)],
    "fixef": lambda m: [FixedEffects(m)],
    "ranef": lambda m: [Blups(m)],
    "coef": lambda m: [GroupCoefficients(m)],
    "varcorr": lambda m: [VarianceComponents(m)],
    "sigma": lambda m: [VarianceComponents(m)],
    "vcov": lambda m: [FixedEffectsVcov(m)],
    "rand": lambda m: [RandomEffectsTests(m)],
    "ranova": lambda m: [RandomEffectsTests(m)],
    "icc": lambda m: [Icc(m)],
    "r2": lambda m: [FitStatistics(m, measure="r2")],
    "plot": lambda m: [PlotResiduals(m)],
}


def _canonical(function: str) -> str:
    name = function.strip().casefold()
    if name not in {c.casefold() for c in SUPPORTED_CALLS}:
        raise RCallError(unsupported_call(function))
    return name


def _check_options(name: str, options: dict[str, str]) -> None:
    allowed = _OPTIONS.get(name, {})
    for key, value in options.items():
        if key not in allowed:
            takes = (
                f"it takes {_listed([f'`{k} =`' for k in allowed])}" if allowed
                else "it takes only the model"
            )
            raise RCallError(f"{name}() has no option `{key}` here: {takes}.")
        values = allowed[key]
        if values is not None and value not in {v.casefold() for v in values}:
            shown = [f'`{key} = "{v}"`' for v in values if len(v) > 1]
            raise RCallError(
                f'{name}() with `{key} = "{value}"` is not available: use {_listed(shown)}.'
            )
        if key == "level" and _level(value) is None:
            raise RCallError(
                f"The confidence level {value!r} is not a number between 0 and 1; "
                "write e.g. `level = 0.9`."
            )


def _nsim(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise RCallError(
            f"`nsim = {text}` is not a number of simulations; write e.g. `nsim = 500`."
        )
    return int(text)


def _level(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if 1 < value < 100:
        value /= 100
    return round(value, 6) if 0 < value < 1 else None


def _listed(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def supported_calls_text() -> str:
    """The supported calls as a sentence part: `summary()`, `fixef()`, … and `plot()`."""
    return _listed([f"`{c}()`" for c in SUPPORTED_CALLS + _READ_ELSEWHERE[:-1]])


def unsupported_call(function: str) -> str:
    """The refusal for a call to a function that is not read."""
    hint = ""
    if function.casefold() in ("predict", "fitted", "simulate"):
        hint = " For predictions ask in words, e.g. `predict y at x 3` or `plot the fitted lines`."
    return (
        f"I do not run R code, and {function}() is not one of the R calls I read as a "
        f"request. On a fitted model I read {supported_calls_text()} "
        f"(e.g. `confint(m1)`, `anova(m1, m2)`), or ask in words.{hint}"
    )


#: A clause that starts as a call: a name, then an opening parenthesis.
_CALL_START = re.compile(r"\s*([A-Za-z][A-Za-z0-9_.]*)\s*\(")


def call_refusal(clause: str) -> str | None:
    """The refusal for a clause that is one call (its first parenthesis closes at the end,
    an end mark aside) to a function not read; None for any other clause: a formula such
    as ``log(y) ~ x + (1 | g)``, ``lmer(...)``, or a call read that failed otherwise."""
    match = _CALL_START.match(clause)
    body = clause.rstrip().rstrip(".!?").rstrip()
    if match is None or _closing_parenthesis(body, match.end() - 1) != len(body) - 1:
        return None
    function = match.group(1)
    if function.casefold() in {c.casefold() for c in SUPPORTED_CALLS + _READ_ELSEWHERE}:
        return None
    return unsupported_call(function)


def _closing_parenthesis(text: str, opening: int) -> int | None:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return None
