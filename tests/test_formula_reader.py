"""grammar.formula_reader reads formulas exactly as formula.lark's LALR parser does.

Whenever the direct reader returns an AST, the grammar must give the same one; it may
decline (``None``), and then the grammar parses or words the error. Checked on every
formula written in the test suite and the shared reference cases, on formulas built
from the grammar's rules, and on random token soup (valid and invalid).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from grammar.formula import _parser, parse_formula
from grammar.formula_reader import read_formula

EXAMPLES = int(os.environ.get("LMM_FUZZ_EXAMPLES", "300"))
ROOT = Path(__file__).resolve().parents[1]


def grammar_parse(text: str):
    """formula.lark's parse, or None where it refuses the text."""
    try:
        return _parser().parse(text, start="formula")
    except LarkError:
        return None


def assert_agrees(text: str) -> None:
    read = read_formula(text)
    if read is not None:
        assert read == grammar_parse(text), text


def written_formulas() -> list[str]:
    """Every string literal with a '~' in the tests and the reference cases."""
    found: set[str] = set()
    sources = list((ROOT / "tests").glob("*.py"))
    sources += list((ROOT.parent.parent / "shared" / "reference").glob("cases/*.json"))
    for path in sources:
        for literal in re.findall(r'"([^"\n]*~[^"\n]*)"', path.read_text()):
            found.add(literal.strip())
    return sorted(found)


@pytest.mark.parametrize(
    "text",
    [
        "Yield ~ 1 + (1 | Batch)",
        "distance ~ age * Sex + (age | Subject)",
        "Reaction ~ Days + (Days || Subject)",
        "strength ~ 1 + (1 | batch/cask)",
        "y ~ poly(x, 2) + log(z + 1)^2 + I(t**2) + (x || g:h) - 1",
        "y ~ f()",
        "-y ~ +x - 1",
        "y~x*z/w:v+(1|g)",
        "y ~ 1.5e-3 + 2. + 10E2 + x.1 + a_b",
        " \ty ~\n x\r\f",
    ],
)
def test_common_formulas_are_read_as_the_grammar_reads_them(text):
    read = read_formula(text)
    assert read is not None
    assert read == grammar_parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "y ~ `my x` + (1 | g)",  # backticks
        "y ~ .5 + x",  # a number starting with '.'
        "y ~ .x + _z",  # names starting with '.' or '_'
        "y ~ x + (1 | )",
        "y ~ x ~ z",
        "~ x",
        "y ~ x^2^3",
        "y ~ x ** * 2",
        "y ~ (x | | g)",
        "y ~ (x ||| g)",
        "y ~ - - x",
        "y ~ f(x,)",
        "y ~ 2x",
        "y ~ x $ z",
        "y ~ " + "(" * 3000 + "x" + ")" * 3000,
    ],
)
def test_anything_else_is_left_to_the_grammar(text):
    assert read_formula(text) is None


def test_every_written_formula_agrees():
    formulas = written_formulas()
    assert len(formulas) > 50
    read = 0
    for text in formulas:
        assert_agrees(text)
        read += read_formula(text) is not None
    assert read > len(formulas) / 2


def test_the_fast_path_keeps_errors_and_results():
    """parse_formula gives the grammar's message where the reader declines."""
    with pytest.raises(ValueError, match="ends too early"):
        parse_formula("y ~ x +")
    assert parse_formula("y ~ x + (1 | g)").fixed_terms[0].label == "x"


# ---------------------------------------------------------------- generated text
NAMES = st.sampled_from(["x", "y", "g", "ab.c", "x1", "t_2", "log", "poly", "I", "B"])
NUMBERS = st.sampled_from(["0", "1", "2", "2.5", "1e3", "1.", "3E-2", "10"])
SPACE = st.sampled_from(["", " ", "  ", "\t", "\n"])


def _bracket(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        inner.map(lambda s: f"({s})"),
        st.tuples(inner, st.sampled_from(["|", "||"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(NAMES, st.lists(inner, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
    )


def _joined(parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    ops = st.sampled_from(["+", "-", "*", "/", ":", "^", "**"])
    return st.tuples(parts, st.lists(st.tuples(SPACE, ops, SPACE, parts), max_size=3)).map(
        lambda t: t[0] + "".join("".join(step) for step in t[1])
    )


SUMS = st.recursive(
    st.one_of(NAMES, NUMBERS),
    lambda inner: _joined(st.one_of(inner, _bracket(inner))),
    max_leaves=12,
)
SIGNED = st.tuples(st.sampled_from(["", "-", "+", "- "]), SUMS).map("".join)


@settings(max_examples=EXAMPLES, deadline=None)
@given(SIGNED, SPACE, SIGNED)
def test_generated_formulas_agree(lhs, space, rhs):
    text = f"{lhs}{space}~{space}{rhs}"
    assert_agrees(text)
    if grammar_parse(text) is not None:
        assert read_formula(text) is not None, text  # the grammar's words are read too


SOUP = st.lists(
    st.one_of(
        NAMES, NUMBERS, SPACE,
        st.sampled_from(["~", "+", "-", "*", "/", ":", "^", "**", "|", "||", "(", ")", ",",
                         "`a b`", ".5", "_z", "$", "'", "1.2.3", "e5", "é"]),
    ),
    max_size=25,
).map("".join)


@settings(max_examples=EXAMPLES, deadline=None)
@given(SOUP)
def test_token_soup_agrees(text):
    assert_agrees(text)
