"""The one place numbers become text.

Prose and tables both call these functions on the same result fields, so a number
can never read differently in a sentence and in the table beside it. Negative numbers
use the typographic minus sign (U+2212); p values follow APA style (no leading zero,
``p < .001`` below one in a thousand).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

MINUS = "\u2212"
MISSING = "NA"


#: The conventional level at which the narration calls a test result detected.
SIGNIFICANCE_LEVEL = 0.05

def is_number(value: object) -> bool:
    """True for a finite real number (NaN, None and infinities are not)."""
    try:
        return value is not None and math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _sign(text: str) -> str:
    return text.replace("-", MINUS) if text.startswith("-") else text


#: Significant digits kept before rounding for display. A fit's last few binary digits
#: depend on the CPU's BLAS kernels, so a value such as 62.25 arrives as 62.2499999999997
#: on one machine and 62.2500000000003 on another; cutting that noise first makes the
#: same fit read the same everywhere.
_DISPLAY_DIGITS = 12


def fixed(value: float | None, decimals: int) -> str:
    """``value`` with exactly ``decimals`` decimals and a true minus sign; ``NA`` if missing.

    Rounding is the schoolbook rule (halves away from zero) applied to the value cut to
    12 significant digits, so 62.25 reads 62.3 whatever noise the arithmetic left.
    """
    if not is_number(value):
        return MISSING
    v = float(value)
    if abs(v) < 1e15:
        step = Decimal(1).scaleb(-decimals)
        v_text = Decimal(f"{v:.{_DISPLAY_DIGITS}g}").quantize(step, rounding=ROUND_HALF_UP)
        text = f"{v_text:,.{decimals}f}"
    else:
        text = f"{v:,.{decimals}f}"
    if float(text.replace(",", "")) == 0:
        text = text.lstrip("-")
    return _sign(text)


def decimals_for(scale: float | None) -> int:
    """Decimals that show two significant digits of ``scale`` (e.g. of a standard error)."""
    if not is_number(scale) or float(scale) == 0:
        return 2
    return min(6, max(0, 1 - math.floor(math.log10(abs(float(scale))))))


#: Below this size fixed decimals would read as zero, so powers of ten are used instead.
TINY = 1e-5


def scientific(value: float | None, digits: int) -> str:
    """``value`` as ``7.52e−11`` with ``digits`` significant digits and true minus signs."""
    if not is_number(value):
        return MISSING
    mantissa, exponent = f"{float(value):.{max(0, digits - 1)}e}".split("e")
    return _sign(mantissa) + "e" + _sign(str(int(exponent)))


def number(value: float | None) -> str:
    """A general number: one decimal from 100 up, otherwise three significant digits
    (in powers of ten below 1e-5, where decimals would read as zero)."""
    if not is_number(value):
        return MISSING
    v = float(value)
    if abs(v) >= 100:
        return fixed(v, 1)
    if v == 0:
        return "0"
    if abs(v) < TINY:
        return scientific(v, 3)
    return fixed(v, min(6, max(0, 2 - math.floor(math.log10(abs(v))))))


def value(x: float | None) -> str:
    """A data value: whole numbers without decimals (``6``), others like :func:`number`."""
    if is_number(x) and float(x) == round(float(x)) and abs(float(x)) < 1e15:
        return integer(x)
    return number(x)


def value_range(low: float | None, high: float | None) -> str:
    """``17.3 to 87.0``: both ends with the same decimals (``1 to 6`` for whole numbers)."""
    ends = [value(low), value(high)]
    if not (is_number(low) and is_number(high)) or any("e" in end for end in ends):
        return f"{ends[0]} to {ends[1]}"
    places = max(len(end.split(".")[1]) if "." in end else 0 for end in ends)
    return f"{fixed(low, places)} to {fixed(high, places)}"


def estimate(value: float | None, se: float | None) -> str:
    """An estimate (or a CI bound) rounded to two significant digits of its SE.

    An SE below 1e-5 (a predictor on a huge scale) would need more than six decimals;
    such values are written in powers of ten, still to two significant digits of the SE.
    """
    if is_number(se) and 0 < abs(float(se)) < TINY and is_number(value):
        if float(value) == 0:
            return "0"
        places = math.floor(math.log10(abs(float(value)))) - math.floor(math.log10(abs(float(se))))
        return scientific(value, max(1, places + 2))
    return fixed(value, decimals_for(se))


def magnitude(value: float | None, se: float | None) -> str:
    """The absolute size of an estimate, for prose like "fell by 2.10 points"."""
    if not is_number(value):
        return MISSING
    return estimate(abs(float(value)), se)


def statistic(value: float | None) -> str:
    """A test statistic (t, F, chi-square): two decimals."""
    return fixed(value, 2)


def degrees_of_freedom(value: float | None) -> str:
    """Degrees of freedom: whole numbers as integers, approximations with one decimal."""
    if not is_number(value):
        return "\u221e" if value is not None and value == math.inf else MISSING
    v = float(value)
    return f"{int(round(v)):,}" if abs(v - round(v)) < 1e-9 else fixed(v, 1)


def p_value(p: float | None) -> str:
    """APA p value: ``p < .001``, else ``p = .034`` (three decimals, no leading zero)."""
    if not is_number(p):
        return "p = NA"
    v = float(p)
    if v < 0.001:
        return "p < .001"
    text = fixed(v, 3)
    if text == "1.000":
        return "p > .999"
    return f"p = {text[1:]}"


def p_cell(p: float | None) -> str:
    """A p value for a table cell: ``<.001`` or ``.034``."""
    text = p_value(p)
    if text == "p = NA":
        return ""
    return text[2:].replace("= ", "")


def integer(value: float | int | None) -> str:
    """A count with thousands separators."""
    if not is_number(value):
        return MISSING
    return f"{int(round(float(value))):,}"


def percent(fraction: float | None, decimals: int = 0) -> str:
    """A proportion as a percentage: 0.634 -> ``63%``."""
    if not is_number(fraction):
        return MISSING
    return fixed(100 * float(fraction), decimals) + "%"


def proportion(value: float | None) -> str:
    """A proportion such as an ICC: two decimals."""
    return fixed(value, 2)


def bounded(value: float | None) -> str:
    """APA style for a number that cannot exceed 1 in size (a correlation, R², an ICC):
    two decimals without the leading zero, ``.07``, ``−.45`` (``1.00`` stays)."""
    text = fixed(value, 2)
    if text.lstrip(MINUS).startswith("0."):
        return text.replace("0.", ".", 1)
    return text


def bracketed_interval(lower: float | None, upper: float | None, se: float | None) -> str:
    """APA's ``[7.2, 13.7]``: both bounds rounded like the estimate they belong to."""
    return f"[{estimate(lower, se)}, {estimate(upper, se)}]"


def level_percent(level: float) -> str:
    """A confidence level as a percentage: 0.95 -> ``95%``, 0.975 -> ``97.5%``."""
    pct = 100 * float(level)
    return f"{pct:g}%"


def interval(lower: float | None, upper: float | None, se: float | None = None) -> str:
    """``lower to upper``, both rounded like the estimate they belong to."""
    if se is None:
        return f"{number(lower)} to {number(upper)}"
    return f"{estimate(lower, se)} to {estimate(upper, se)}"


def join_words(words: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = [w for w in words if w]
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " and " + words[-1]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 patient``, ``3 patients`` (count formatted with :func:`integer`)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{integer(count)} {word}"
