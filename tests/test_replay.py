"""Transcript format and replay: parsing, rewriting, diffs, crashes, --update."""

from __future__ import annotations

import io
from pathlib import Path

from assistant.cli import main
from assistant.replay import parse_transcript, replay_transcript

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
def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_update_then_replay_matches(tmp_path):
    path = write(tmp_path, "t.txt", "# session: --sample pain_trial\n> describe the data\n"
                 "stale answer\n\n> what columns are there\n")
    status, out, _ = run(["replay", str(path), "--update"])
    assert status == 0, out
    assert "updated (2 of 2 answers changed)" in out
    refreshed = parse_transcript(path.read_text())
    assert "pain_score" in refreshed.exchanges[0].expected
    status, out, _ = run(["replay", str(path)])
    assert status == 0
    assert "all 2 answers match" in out


def test_a_mismatch_prints_a_unified_diff_and_exits_1(tmp_path):
    path = write(tmp_path, "t.txt", "# session: --sample pain_trial\n> describe the data\n")
    run(["replay", str(path), "--update"])
    good = parse_transcript(path.read_text()).exchanges[0].expected
    first = good.splitlines()[0]
    path.write_text(path.read_text().replace(first, first + " (edited)", 1))
    status, out, _ = run(["replay", str(path)])
    assert status == 1
    assert f"-{first} (edited)" in out
    assert f"+{first}" in out
    assert "request 1 expected" in out and "request 1 actual" in out
    assert "0 of 1 answers match" in out


def test_a_failed_request_is_recorded_with_its_message(tmp_path):
    path = write(tmp_path, "t.txt", "# session: --sample pain_trial\n"
                 "> LMM: pain_score ~ tme + (1 | patient)\n")
    status, _, _ = run(["replay", str(path), "--update"])
    assert status == 0
    answer = parse_transcript(path.read_text()).exchanges[0].expected
    assert "tme" in answer and "time" in answer  # the unknown column and the closest name


def test_a_crash_in_the_middle_still_reports_the_steps_that_passed(tmp_path, monkeypatch):
    path = write(tmp_path, "t.txt", "# session: --sample pain_trial\n> describe the data\n"
                 "\n> what columns are there\n\n> help\n")
    run(["replay", str(path), "--update"])
    from assistant.session import Session

    real_ask = Session.ask

    def ask_then_crash(self, text):
        if text == "what columns are there":
            raise RuntimeError("simulated crash")
        return real_ask(self, text)

    monkeypatch.setattr(Session, "ask", ask_then_crash)
    result = replay_transcript(path)
    assert result.passed == 1 and result.total == 3
    assert "request 2" in result.crash and "simulated crash" in result.crash
    status, out, err = run(["replay", str(path)])
    assert status == 1
    assert "1 of 3 answers match" in out
    assert "RuntimeError: simulated crash" in out
    assert "Traceback" not in out + err


def test_missing_transcript_is_a_problem_not_a_traceback(tmp_path):
    status, out, err = run(["replay", str(tmp_path / "nope.txt")])
    assert status == 2
    assert "does not exist" in err
    assert "Traceback" not in out + err


def test_unknown_session_option_is_reported(tmp_path):
    path = write(tmp_path, "t.txt", "# session: --frobnicate\n> help\n")
    status, _, err = run(["replay", str(path)])
    assert status == 2
    assert "--frobnicate" in err
