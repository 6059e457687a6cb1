"""Text that does not start like a request gets the start-of-request answer."""

import pytest

from grammar import ParseError, parse


@pytest.mark.parametrize("text", ["purple monkey dishwasher", "asdf", "qwerty uiop 123"])
def test_gibberish_is_told_how_requests_start(text):
    with pytest.raises(ParseError) as info:
        parse(text)
    err = info.value
    assert str(err).startswith(f"I did not recognise {text!r} as a request.")
    assert "'fit'" in err.expected and "formula like y ~ x + (1 | g)" in err.expected
    assert err.position == 0
    assert err.suggestions == ("help", "use sample pain_trial", "describe the data")


def test_misspelt_verb_still_gets_the_corrected_request_first():
    with pytest.raises(ParseError) as info:
        parse("shwo the BLUPs")
    assert info.value.suggestions[0] == "show the BLUPs"
