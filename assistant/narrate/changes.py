"""How a model was changed into a new one, and advice on the terms a change added."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph, code
from assistant.narrate.terms import readable_term


def _terms(variables: tuple[str, ...]) -> str:
    """``age``; ``time squared (`I(time^2)`)`` for a squared term."""
    words = []
    for name in variables:
        readable = readable_term(name)
        words.append(f"{readable} ({code(name)})" if readable != name else name)
    return fmt.join_words(words)


#: What the empty model is, for the answer that fits it.
NULL_MODEL_WORDS = (
    "this is the empty (null, unconditional) model, an intercept and a random intercept "
    "per group, whose ICC is the share of the outcome's variance between the groups "
    "before any predictor explains part of it"
)


def change_words(change: Any) -> str:
    """``adding time squared (`I(time^2)`) to the fixed part``, for "Built from model 1 by …"."""
    names = tuple(change.variables)
    operation = change.operation
    if operation == "within_between":
        within, between = getattr(change, "implied", ("", ""))
        return (
            f"replacing {_terms(names)} by its within part ({code(within)}) and its cluster "
            f"mean ({code(between)})"
        )
    if operation == "add_covariate":
        implied = tuple(getattr(change, "implied", ()))
        if implied:
            return (
                f"adding {_terms(names)} to the fixed part, with {_terms(implied)} on "
                f"{'its' if len(implied) == 1 else 'their'} own (an interaction needs its "
                "main effects)"
            )
        return f"adding {_terms(names)} to the fixed part"
    if operation == "drop_term":
        return f"dropping {_terms(names)} from the fixed part"
    if operation == "drop_variable":
        implied = tuple(getattr(change, "implied", ()))
        if implied:
            return (
                f"dropping {_terms(names)} from the fixed part together with every term "
                f"containing {'it' if len(names) == 1 else 'them'}: "
                f"{_terms((*names, *implied))} (an interaction cannot stay without its main "
                "effects)"
            )
        return f"dropping {_terms(names)} from the fixed part"
    if operation == "null_model":
        outcome = f" and taking {_terms(names)} as the outcome" if names else ""
        return f"dropping every predictor and random slope{outcome}: {NULL_MODEL_WORDS}"
    if operation == "drop_interaction":
        return f"dropping the interaction {_terms(names)}" if names else "dropping its interaction"
    if operation == "add_random_slope":
        return f"adding a random slope for {_terms(names)}" if names else "adding a random slope"
    if operation == "remove_random_slope":
        return "removing the random slope" + (f" for {_terms(names)}" if names else "")
    if operation == "remove_random_term":
        return f"removing the random effects of {_terms(names)}"
    if operation == "keep_random_term":
        return f"keeping only the random effects of {_terms(names)}"
    if operation == "uncorrelated":
        return "making the random effects uncorrelated"
    if operation == "as_factor":
        return (f"treating {_terms(names)} as categorical in the fixed part (one mean per "
                "value instead of a straight line; the random part is unchanged)")
    if operation == "center_at" and len(names) == 2:
        return (f"centring {names[0]} at {names[1]} ({code(f'I({names[0]} - {names[1]})')} "
                f"in place of {names[0]}): the intercept is now the expected outcome at "
                f"{names[0]} = {names[1]} for the reference level of each factor, and a "
                f"factor's effect that interacts with {names[0]} is its effect at "
                f"{names[0]} = {names[1]}; the fit itself is the same")
    return operation.replace("_", " ")


def centring_blocks(quadratics: tuple[Any, ...]) -> list[Block]:
    """For each squared term of an uncentred variable: the correlation of its linear and
    quadratic estimates, and that centring the variable first reduces it."""
    out: list[Block] = []
    for term in quadratics:
        if term.centred or term.linear_term is None or term.correlation is None:
            continue
        variable = term.variable
        out.append(Paragraph(
            f"{variable} is not centred (mean {fmt.number(term.mean)}), so the estimates of "
            f"{variable} and {variable} squared are correlated (r = "
            f"{fmt.fixed(term.correlation, 2)}). Centring {variable} first "
            f"({code('center ' + variable)}, then fit the model again) reduces the "
            "correlation between the linear and quadratic terms without changing the "
            "fitted curve."
        ))
    return out
