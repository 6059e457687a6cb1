"""Arbitrary text only ever yields a Plan or a ParseError."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grammar import ParseError, Plan, parse
from grammar.parse import EXAMPLE_REQUESTS

EXAMPLES = int(os.environ.get("LMM_FUZZ_EXAMPLES", "200"))
WORDS = sorted({w for e in EXAMPLE_REQUESTS for w in e.replace(";", " ").split()})


def _parse_or_error(text: str) -> None:
    try:
        plan = parse(text)
    except ParseError as err:
        assert isinstance(err.position, int) and err.position >= 0
        assert len(err.suggestions) <= 3
        assert str(err)
    else:
        assert isinstance(plan, Plan)
        plan.to_dict()
        plan.describe()


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text(text):
    _parse_or_error(text)


@pytest.mark.fuzz
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([*WORDS, ";", ",", "and", "then", "(", ")", "~", "|", "`"]),
                max_size=25))
def test_shuffled_request_words(words):
    _parse_or_error(" ".join(words))
