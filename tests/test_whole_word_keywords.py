"""Keywords of the request grammar match whole words only (grammar/request_parser.py).

Before, a keyword literal also matched the start of a longer word wherever the parser
expected the keyword and not a name: "p" ate the "p" of "patient" and of "paper",
"estimate" the start of "estimated".
"""

import pytest

from grammar import ParseError, parse
from grammar.errors import _keywords
from grammar.request_parser import keyword_text, request_parser


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(token.type, token.value) for token in request_parser().lex(text)]


@pytest.mark.parametrize("word", ["patient", "papers", "estimating", "fitness", "formula1"])
def test_a_longer_word_is_one_name(word):
    assert _tokens(word) == [("NAME", word)]


@pytest.mark.parametrize("word", ["estimate", "Estimate", "p", "or", "REML"])
def test_a_keyword_alone_is_its_terminal(word):
    ((kind, value),) = _tokens(word)
    assert kind != "NAME" and value == word
    assert keyword_text(request_parser().get_terminal(kind).pattern).lower() == word.lower()


def test_a_dotted_name_is_not_split_at_a_keyword():
    assert _tokens("time.1") == [("NAME", "time.1")]


def test_a_keyword_before_a_sentence_end_is_still_the_keyword():
    plan = parse("compare AIC.")
    assert [step.kind for step in plan.steps] == ["compare_models"]


def test_r_squared_symbol_is_not_read_as_the_letter_r():
    plan = parse("r² of model 1")
    assert [step.kind for step in plan.steps] == ["fit_statistics"]


@pytest.mark.parametrize(
    ("request_text", "word"),
    [
        ("what is the estimated fnord of time", "estimated"),
        ("what is patient P001 fnord", "patient"),
    ],
)
def test_a_refusal_points_at_the_whole_word(request_text, word):
    with pytest.raises(ParseError) as caught:
        parse(request_text)
    position = caught.value.position
    assert request_text[position:].split()[0] != word[1:]
    assert caught.value.suggestions


def test_error_listings_still_name_keywords_by_their_text():
    words = _keywords()
    assert {"estimate", "caterpillar", "compare", "report"} <= set(words)
    assert all(word.isalpha() for word in words)


def test_keyword_text_of_a_kind_of_word_is_none():
    assert keyword_text(request_parser().get_terminal("NAME").pattern) is None
