"""Words for "is there autocorrelation in the residuals?" (engine.residual_autocorrelation):
the lag table, the verdict at lag 1 against the model's own benchmark, and what to do."""

from __future__ import annotations

from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Heading, Paragraph, table


def residual_autocorrelation_blocks(result: Any, model: Any) -> list[Block]:
    group = result.group
    has_benchmark = all(lag.model_implied is not None for lag in result.lags)
    header = ["Lag", "Observed", "Model implies", "Pairs", "95% band (no autocorrelation)"]
    rows = [
        [
            fmt.integer(lag.lag),
            fmt.fixed(lag.autocorrelation, 2),
            fmt.fixed(lag.model_implied, 2) if has_benchmark else "–",
            fmt.integer(lag.pairs),
            f"±{fmt.fixed(lag.bound, 2)}",
        ]
        for lag in result.lags[1:]
    ]
    blocks: list[Block] = [
        Heading(f"Autocorrelation of the residuals within {group}, {model.title}"),
        Paragraph(_verdict(result, has_benchmark, _has_slope(model, result.time))),
        table(header, rows, "rrrrr"),
        Paragraph(_how(result, has_benchmark)),
    ]
    spacing = _spacing_note(result)
    if spacing:
        blocks.append(Paragraph(spacing))
    return blocks


def _has_slope(model: Any, time: str) -> bool:
    """Whether the model already has a random slope for ``time``."""
    terms = model.fit.model_formula.random_terms
    return any(term.label == time for random_term in terms for term in random_term.terms)


def _verdict(result: Any, has_benchmark: bool, has_slope: bool) -> str:
    lag = result.lag_one
    group, time = result.group, result.time
    observed = fmt.fixed(lag.autocorrelation, 2)
    band = fmt.fixed(lag.bound, 2)
    if not has_benchmark:
        if abs(lag.autocorrelation) > lag.bound:
            return (
                f"Residuals one step of {time} apart correlate at {observed} (the band for no "
                f"autocorrelation is ±{band}). The model has other grouping factors, so I "
                "cannot say how much of this its own fit produces; read it with care."
            )
        return (
            f"Residuals one step of {time} apart correlate at {observed}, inside the band "
            f"for no autocorrelation (±{band}): no sign of serial dependence."
        )
    implied = fmt.fixed(lag.model_implied, 2)
    if lag.excess > lag.bound:
        return (
            f"Yes. Residuals of the same {group} one step of {time} apart correlate at "
            f"{observed}, while the fitted model implies {implied} for its own residuals; the "
            f"gap is wider than the ±{band} band for chance. Neighbouring observations "
            "are more alike than the random effects explain, so the standard errors of "
            f"effects that change over {time} are likely too small. "
            + ("" if has_slope else
               f"A random slope for {time} often takes up part of this (`add a random slope "
               f"for {time}`, then ask again). ")
            + "The usual remedy is a model with autoregressive (AR(1)) residuals, such as "
            "nlme's corAR1 or glmmTMB's ar1(), which neither lme4 nor this engine fits."
        )
    if lag.excess < -lag.bound:
        return (
            f"Residuals of the same {group} one step of {time} apart correlate at "
            f"{observed}, lower than the {implied} the fitted model implies (beyond ±{band}). "
            "This is not the positive serial dependence that makes standard errors too "
            f"small. It can come from a {time} trend the fixed effects do not follow (ask "
            f"`is the effect of {time} linear?`) or from how the measurements were taken."
        )
    return (
        f"No clear sign. Residuals of the same {group} one step of {time} apart correlate "
        f"at {observed}, close to the {implied} the fitted model implies for its own "
        f"residuals (the difference is within ±{band})."
    )


def _how(result: Any, has_benchmark: bool) -> str:
    text = (
        f"How this is computed: each {result.group}'s conditional residuals (observed minus "
        f"fitted, with its random effects) in order of {result.time}; the autocorrelation at "
        "lag k is the mean product of residuals k observations apart over the mean square "
        "(Pinheiro and Bates 2000, the empirical ACF of nlme). "
    )
    if has_benchmark:
        text += (
            "Residuals of a mixed model lean negative at short lags even when the model is "
            "right, because estimating each subject's random effects takes out its own level; "
            "the column 'Model implies' is that built-in correlation, from the covariance "
            "the fitted model gives its residuals (σ²P, with P the REML projection), so the "
            "evidence is the gap between the two columns."
        )
    return text


def _spacing_note(result: Any) -> str:
    parts = []
    if not result.equally_spaced:
        parts.append(f"the values of {result.time} are not evenly spaced")
    if result.subjects_with_gaps:
        parts.append(
            f"{fmt.plural(result.subjects_with_gaps, result.group)} skipped a {result.time} "
            "point and came back"
        )
    if not parts:
        return ""
    return (
        "Lags count observations, not units of time, and here "
        + " and ".join(parts)
        + ", so one lag mixes different time gaps; read the table as a rough check."
    )
