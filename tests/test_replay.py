"""Transcript format and replay: parsing, rewriting, diffs, crashes, --update."""

from __future__ import annotations

from assistant.replay import parse_transcript

TRANSCRIPT = """\
# A short walk-through.
# session: --sample pain_trial
> describe the data
first answer line
  indented line

second paragraph

# a comment between exchanges
> help
\\> not a request, an answer line
\\# not a comment either
\\\\ a backslash line
"""


def test_transcript_is_split_into_requests_answers_and_comments():
    transcript = parse_transcript(TRANSCRIPT)
    assert [e.request for e in transcript.exchanges] == ["describe the data", "help"]
    assert transcript.exchanges[0].expected == (
        "first answer line\n  indented line\n\nsecond paragraph"
    )
    assert transcript.exchanges[0].preamble == [
        "# A short walk-through.", "# session: --sample pain_trial",
    ]
    assert transcript.exchanges[1].preamble == ["# a comment between exchanges"]
    assert transcript.session_args == ["--sample", "pain_trial"]
    assert transcript.exchanges[1].expected == (
        "> not a request, an answer line\n# not a comment either\n\\ a backslash line"
    )


def test_escaped_answer_lines_are_read_back_as_written():
    text = (
        "> help\n\\> looks like a request\n\\# looks like a comment\n"
        "\\\\ starts with a backslash\n"
    )
    transcript = parse_transcript(text)
    assert transcript.exchanges[0].expected == (
        "> looks like a request\n# looks like a comment\n\\ starts with a backslash"
    )
    assert transcript.render() == text


def test_rendering_with_new_answers_keeps_requests_and_comments():
    transcript = parse_transcript(TRANSCRIPT)
    rewritten = transcript.render(["new one", "new two\n# hash line"])
    again = parse_transcript(rewritten)
    assert [e.expected for e in again.exchanges] == ["new one", "new two\n# hash line"]
    assert [e.preamble for e in again.exchanges] == [e.preamble for e in transcript.exchanges]
    assert rewritten.startswith("# A short walk-through.\n# session: --sample pain_trial\n")
