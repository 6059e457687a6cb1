"""Scripted transcripts: read, replay against a fresh session, diff, rewrite.

A transcript is plain text::

    # session: --sample pain_trial        (optional directive: --sample NAME | --data PATH,
    #                                      and --detailed for long answers)
    # any other line starting with '#' is a comment
    > LMM: pain_score ~ time + treatment + (1 | patient)
    the expected answer, as many lines as it takes

    > the next request
    ...

An answer runs from the line after its request to the next request or comment line;
blank lines at its end only separate it from what follows. An answer line that would
itself start with ``>``, ``#`` or ``\\`` is written with one leading backslash.
"""

from __future__ import annotations

import argparse
import difflib
import shlex
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from assistant.cli import first_line, open_session

SESSION_DIRECTIVE = "# session:"
OUTPUT_PLACEHOLDER = "lmm-output"
_ESCAPED_STARTS = (">", "#", "\\")


@dataclass
class Exchange:
    """One request of a transcript, the lines before it, and its expected answer."""

    request: str
    expected: str
    preamble: list[str] = field(default_factory=list)  # comment and blank lines, verbatim


@dataclass
class Transcript:
    """A parsed transcript file."""

    exchanges: list[Exchange]
    trailer: list[str] = field(default_factory=list)  # comments after the last answer
    session_args: list[str] = field(default_factory=list)

    def render(self, answers: list[str] | None = None) -> str:
        """The file's text, with ``answers`` (when given) in place of the expected ones."""
        lines: list[str] = []
        for index, exchange in enumerate(self.exchanges):
            lines.extend(exchange.preamble)
            lines.append(f"> {exchange.request}")
            answer = exchange.expected if answers is None else answers[index]
            lines.extend(escape_answer_line(line) for line in answer.splitlines())
            lines.append("")
        lines.extend(self.trailer)
        while lines and not lines[-1].strip():
            lines.pop()
        return "\n".join(lines) + "\n"


def escape_answer_line(line: str) -> str:
    """Protect an answer line that would read as a request or a comment."""
    return "\\" + line if line.startswith(_ESCAPED_STARTS) else line


def unescape_answer_line(line: str) -> str:
    return line[1:] if line.startswith("\\") else line


def parse_transcript(text: str) -> Transcript:
    """Split a transcript's text into its exchanges (see the module docstring)."""
    exchanges: list[Exchange] = []
    pending: list[str] = []  # comment/blank lines waiting for the next request
    session_args: list[str] = []
    answer: list[str] | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.startswith(">"):
            _close_answer(exchanges, answer)
            exchanges.append(Exchange(request=line[1:].strip(), expected="", preamble=pending))
            pending, answer = [], []
        elif line.startswith("#"):
            _close_answer(exchanges, answer)
            answer = None
            if line.startswith(SESSION_DIRECTIVE):
                session_args.extend(shlex.split(line[len(SESSION_DIRECTIVE):]))
            pending.append(line)
        elif answer is not None:
            answer.append(unescape_answer_line(line))
        elif line.strip() or pending:
            pending.append(line)
    _close_answer(exchanges, answer)
    while pending and not pending[0].strip():
        pending.pop(0)
    return Transcript(exchanges=exchanges, trailer=pending, session_args=session_args)


def _close_answer(exchanges: list[Exchange], answer: list[str] | None) -> None:
    if answer is None or not exchanges:
        return
    while answer and not answer[-1].strip():
        answer.pop()
    exchanges[-1].expected = "\n".join(answer)


def _session_options(args: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=SESSION_DIRECTIVE, add_help=False, exit_on_error=False)
    parser.add_argument("--sample")
    parser.add_argument("--data")
    parser.add_argument("--detailed", action="store_true")
    try:
        return parser.parse_args(args)
    except (argparse.ArgumentError, SystemExit) as err:
        raise TranscriptError(f"The '# session:' line has an option it does not know "
                              f"({' '.join(args)}); use --sample NAME, --data PATH, --detailed."
                              ) from err


class TranscriptError(ValueError):
    """A transcript that cannot be read (missing file, bad directive)."""


def render_answer(answer: Any, *, level: str = "brief", output_dir: Path | None = None) -> str:
    """The plain text shown for ``answer``: its narration, then the error of a failed
    step. With ``output_dir`` (a temporary folder during replay) that folder is written
    as ``lmm-output`` so that transcripts do not depend on where they ran."""
    text = answer.text(level=level).rstrip()
    error = getattr(answer, "error", None)
    if error is not None and str(error).strip() not in text:
        text = (text + "\n" if text else "") + f"Error: {error}"
    if output_dir is not None:
        text = text.replace(str(output_dir.resolve()), OUTPUT_PLACEHOLDER)
        text = text.replace(str(output_dir), OUTPUT_PLACEHOLDER)
    return "\n".join(line.rstrip() for line in text.splitlines())


@dataclass
class ReplayResult:
    """What replaying one transcript found."""

    path: Path
    total: int
    passed: int
    answers: list[str]
    diffs: list[str]
    crash: str | None = None

    @property
    def ok(self) -> bool:
        return self.crash is None and not self.diffs


def replay_transcript(path: Path) -> ReplayResult:
    """Run every request of the transcript at ``path`` in one fresh session."""
    transcript = read_transcript(path)
    options = _session_options(transcript.session_args)
    data = str((path.parent / options.data).resolve()) if options.data else None
    level = "detailed" if options.detailed else "brief"
    answers: list[str] = []
    diffs: list[str] = []
    passed = 0
    with tempfile.TemporaryDirectory(prefix="lmm-replay-") as folder:
        output_dir = Path(folder)
        session = open_session(data=data, sample=options.sample, out=output_dir)
        for number, exchange in enumerate(transcript.exchanges, start=1):
            try:
                answer = session.ask(exchange.request)
                actual = render_answer(answer, level=level, output_dir=output_dir)
            except Exception as err:  # noqa: BLE001 - a crash is reported, not raised
                crash = (f"request {number} ('> {exchange.request}') crashed: "
                         f"{type(err).__name__}: {first_line(str(err))}")
                answers.extend(e.expected for e in transcript.exchanges[number - 1:])
                return ReplayResult(path, len(transcript.exchanges), passed, answers, diffs,
                                    crash=crash)
            answers.append(actual)
            if actual == exchange.expected:
                passed += 1
            else:
                diffs.append(answer_diff(path, number, exchange, actual))
    return ReplayResult(path, len(transcript.exchanges), passed, answers, diffs)


def read_transcript(path: Path) -> Transcript:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise TranscriptError(f"The transcript {path} does not exist; check the path.") from err
    except (OSError, UnicodeDecodeError) as err:
        raise TranscriptError(f"The transcript {path} cannot be read as UTF-8 text.") from err
    transcript = parse_transcript(text)
    if not transcript.exchanges:
        raise TranscriptError(f"The transcript {path} has no requests; "
                              "write each one on a line starting with '> '.")
    return transcript


def answer_diff(path: Path, number: int, exchange: Exchange, actual: str) -> str:
    """A unified diff of one answer: expected (-) against what the session said (+)."""
    lines = difflib.unified_diff(
        exchange.expected.splitlines(), actual.splitlines(),
        fromfile=f"{path} request {number} expected",
        tofile=f"{path} request {number} actual", lineterm="",
    )
    return f"> {exchange.request}\n" + "\n".join(lines)


def replay_files(paths: list[Path], *, update: bool, stdout: TextIO, stderr: TextIO) -> int:
    """Replay each transcript; print a summary line each and the diffs of mismatches.

    Returns 0 when every answer matches (or, with ``update``, once the files are
    rewritten), 1 on a mismatch or a crash, 2 when a transcript cannot be read.
    """
    status = 0
    for path in paths:
        try:
            result = replay_transcript(path)
        except TranscriptError as err:
            stderr.write(f"lmm: {err}\n")
            status = max(status, 2)
            continue
        if update:
            if result.crash is None:
                transcript = read_transcript(path)
                path.write_text(transcript.render(result.answers), encoding="utf-8")
                changed = len(result.diffs)
                stdout.write(f"{path}: updated ({changed} of {result.total} answers changed)\n")
            else:
                stdout.write(f"{path}: not updated, {result.passed} of {result.total} "
                             f"answers matched before {result.crash}\n")
                status = max(status, 1)
            continue
        for diff in result.diffs:
            stdout.write(diff + "\n\n")
        if result.ok:
            stdout.write(f"{path}: all {result.total} answers match\n")
        else:
            stdout.write(f"{path}: {result.passed} of {result.total} answers match\n")
            if result.crash is not None:
                stdout.write(f"{path}: {result.crash}\n")
            status = max(status, 1)
    return status
