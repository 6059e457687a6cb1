"""The lme4 formula grammar: every construct expands as R and lme4 expand it."""

import pytest

from grammar.formula import FormulaError, parse_formula


def labels(text: str) -> list[str]:
    return [t.label for t in parse_formula(text).fixed_terms]


def random(text: str) -> list[tuple[str, str]]:
    return [(r.lhs_text, r.group_label) for r in parse_formula(text).random_terms]


def test_crossing_expands_to_main_effects_and_interaction():
    assert labels("y ~ a * b + (1 | g)") == ["a", "b", "a:b"]


def test_terms_are_ordered_by_degree_like_r():
    assert labels("y ~ a:b + c + (1 | g)") == ["c", "a:b"]


def test_power_and_removal():
    assert labels("y ~ (a + b + c)^2 - a:b + (1 | g)") == ["a", "b", "c", "a:c", "b:c"]


def test_nesting_in_fixed_part():
    assert labels("y ~ a / b + (1 | g)") == ["a", "a:b"]


@pytest.mark.parametrize(
    "text", ["y ~ 0 + x + (1 | g)", "y ~ x - 1 + (1 | g)", "y ~ -1 + x + (1|g)"]
)
def test_intercept_can_be_removed(text):
    assert parse_formula(text).intercept is False


def test_scalar_and_vector_random_terms():
    assert random("y ~ x + (1 | g)") == [("1", "g")]
    assert random("y ~ x + (1 + x | g)") == [("1 + x", "g")]
    assert random("y ~ x + (x | g)") == [("1 + x", "g")]
    assert random("y ~ x + (0 + x | g)") == [("0 + x", "g")]


def test_double_bar_splits_into_uncorrelated_terms():
    terms = parse_formula("Reaction ~ Days + (Days || Subject)").random_terms
    assert [(t.lhs_text, t.group_label) for t in terms] == [
        ("1", "Subject"),
        ("0 + Days", "Subject"),
    ]
    assert all(t.from_double_bar for t in terms)


def test_nested_grouping_is_named_like_lme4():
    assert random("strength ~ 1 + (1 | batch/cask)") == [("1", "batch"), ("1", "cask:batch")]
    assert random("y ~ 1 + (1 | a/b/c)") == [("1", "a"), ("1", "b:a"), ("1", "c:b:a")]


def test_crossed_and_interaction_grouping():
    assert random("y ~ 1 + (1 | plate) + (1 | sample)") == [("1", "plate"), ("1", "sample")]
    assert random("y ~ 1 + (1 | a:b)") == [("1", "a:b")]


def test_backticked_names_and_whitelisted_functions():
    f = parse_formula("log(y) ~ `pain score` + I(time^2) + scale(age) + (1 | `patient id`)")
    assert f.variables() == ("y", "pain score", "time", "age", "patient id")
    assert [t.label for t in f.fixed_terms] == ["`pain score`", "I(time^2)", "scale(age)"]


def test_canonical_text_round_trips():
    f = parse_formula("distance ~ age * Sex + (age | Subject)")
    assert parse_formula(f.text()).fixed_terms == f.fixed_terms


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("y ~ __import__(os)", "not allowed"),
        ('y ~ __import__("os")', "cannot appear"),
        ("y ~ x.__class__", "double underscores"),
        ("y ~ open(f)", "not allowed"),
        ("y ~ I(lambda: 1)", "cannot be used inside I()"),
        ("y ~ I([x for x in y])", "cannot appear"),
        ("y ~ (x", "never closed"),
        ("y ~ x)", "no matching"),
        ("y x", "needs a '~'"),
        ("", "empty"),
        ("y ~ x + 2", "only 0 and 1"),
        ("y ~ log(x, 2)", "takes 1 argument"),
        ("y ~ x * (1 | g)", "added with '+'"),
        ("y ~ x + (0 | g)", "at least an intercept"),
        ("m1: y ~ x + (1 | g)", "write `m1 <- lmer(...)` or add `called m1`"),
    ],
)
def test_refusals_are_sentences(text, fragment):
    with pytest.raises(FormulaError, match=None) as info:
        parse_formula(text)
    assert fragment in str(info.value)


def test_parses_are_kept_and_can_be_forgotten():
    """A formula text is parsed once (ModelFormula is immutable); a failed parse raises
    again every time; the benchmarks forget the parses so that they time them."""
    from grammar.formula import clear_parse_cache

    first = parse_formula("y ~ x + (1 | g)")
    assert parse_formula("  y ~ x + (1 | g) ") is first
    clear_parse_cache()
    again = parse_formula("y ~ x + (1 | g)")
    assert again is not first and again == first
    for _ in range(2):
        with pytest.raises(FormulaError):
            parse_formula("y ~ x + (1 | )")
