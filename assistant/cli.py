"""The ``lmm`` command line (CONTRACTS §1): chat, ask, plan, replay, samples.

Exit status: 0 on success, 2 for a request or data problem (one message on stderr,
never a traceback), 1 when a replayed transcript does not match.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

EXIT_OK = 0
EXIT_MISMATCH = 1
EXIT_PROBLEM = 2

DEFAULT_OUTPUT_DIR = Path("lmm-output")


class CliProblem(Exception):
    """A problem the user can fix; the CLI prints it on one line and exits 2."""


# --------------------------------------------------------------------------- session
def open_session(
    *, data: str | None = None, sample: str | None = None, out: str | Path | None = None
) -> Any:
    """Build the one :class:`assistant.session.Session` a command talks to.

    ``data`` is a file path, ``sample`` a built-in sample name (at most one of them);
    ``out`` is the folder figures are written to.
    """
    from assistant.session import Session

    kwargs: dict[str, Any] = {}
    if data is not None:
        path = Path(data)
        if not path.exists():
            from engine.data import missing_file_message

            raise CliProblem(missing_file_message(path))
        if path.is_dir():
            raise CliProblem(f"{data} is a folder, not a data file; give the path of a file.")
        kwargs["data_path"] = str(path)
    if sample is not None:
        kwargs["sample"] = sample
    output_dir = Path(out) if out is not None else DEFAULT_OUTPUT_DIR
    session = Session(output_dir=output_dir, **kwargs)
    load_request_parser()
    return session


def load_request_parser() -> None:
    """Load the request grammar's parser before the first request and exempt what is
    loaded by then from garbage collection.

    The parser's ~240,000 objects, like the modules, live as long as the command; left
    to the collector, they would be walked again by every collection of the oldest
    generation (about a sixth of the time of a one-request ``lmm ask``). ``gc.freeze``
    sets aside everything loaded so far: modules, the session and its data, the parser.
    It is done once per process (a test may open many sessions).
    """
    from grammar.request_parser import request_parser

    if gc.get_freeze_count():
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        request_parser()
        gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


def answer_message(answer: Any) -> str:
    """The one message of a failed answer (its AssistantError)."""
    error = getattr(answer, "error", None)
    return str(error) if error is not None else "The request could not be carried out."


def narration_of_done_steps(answer: Any, level: str) -> str:
    """A failed answer's text without its error (which goes to stderr on its own)."""
    text = answer.text(level=level)
    message = answer_message(answer).strip()
    if message and message in text:
        text = text.replace(message, "")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --------------------------------------------------------------------------- commands
def run_ask(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``lmm ask``: run each request in order in one session."""
    session = open_session(data=args.data, sample=args.sample, out=args.out)
    level = "detailed" if args.detailed else "brief"
    results: list[dict] = []
    status = EXIT_OK
    for number, request in enumerate(args.requests, start=1):
        answer = session.ask(request)
        if args.json:
            results.extend(answer.to_json())
        else:
            narration = answer.text(level=level) if answer.ok else narration_of_done_steps(
                answer, level)
            if narration.strip():
                stdout.write(("\n" if number > 1 else "") + narration.rstrip("\n") + "\n")
        if not answer.ok:
            prefix = f"request {number}: " if len(args.requests) > 1 else ""
            stderr.write(f"lmm: {prefix}{answer_message(answer)}\n")
            status = EXIT_PROBLEM
            break
    if args.json:
        stdout.write(json.dumps(results, indent=2, allow_nan=False) + "\n")
    return status


def run_plan(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``lmm plan``: show what the grammar makes of a request, without running it."""
    from grammar.parse import ParseError, parse

    try:
        plan = parse(args.request)
    except ParseError as err:
        raise CliProblem(str(err)) from err
    if args.json:
        stdout.write(json.dumps(plan.to_dict(), indent=2, allow_nan=False) + "\n")
    else:
        stdout.write(plan.describe().rstrip("\n") + "\n")
    return EXIT_OK


def run_replay(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``lmm replay``: replay transcripts; 1 with a diff when an answer differs."""
    from assistant.replay import replay_files

    return replay_files([Path(name) for name in args.files], update=args.update,
                        stdout=stdout, stderr=stderr)


def run_samples(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``lmm samples``: one line per built-in sample data set."""
    from engine.samples import list_samples

    for line in sample_lines(list_samples()):
        stdout.write(line + "\n")
    return EXIT_OK


def sample_lines(samples: Any) -> list[str]:
    """Render the engine's sample list as ``name  description`` lines."""
    entries: list[tuple[str, str]] = []
    if isinstance(samples, dict):
        entries = [(str(name), str(info)) for name, info in samples.items()]
    else:
        for sample in samples:
            if isinstance(sample, str):
                entries.append((sample, ""))
            else:
                name = str(getattr(sample, "name", sample))
                description = str(getattr(sample, "description", "") or "")
                rows = getattr(sample, "n_rows", None)
                entries.append((name, f"({rows} rows) {description}" if rows else description))
    width = max((len(name) for name, _ in entries), default=0)
    return [f"{name:<{width}}  {text}".rstrip() for name, text in entries]


def run_chat(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``lmm chat``: the interactive REPL."""
    from assistant.repl import run_repl

    session = open_session(data=args.data, sample=args.sample, out=args.out)
    return run_repl(session, history_file=args.history_file, show_plan=args.show_plan,
                    detailed=args.detailed)


# --------------------------------------------------------------------------- parser
def _add_data_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="PATH",
                        help="a CSV, TSV, Excel or Parquet file to analyse")
    source.add_argument("--sample", metavar="NAME",
                        help="a built-in sample data set (see `lmm samples`)")
    parser.add_argument("--out", metavar="DIR", default=str(DEFAULT_OUTPUT_DIR),
                        help="folder for figures (default: ./lmm-output/)")
    parser.add_argument("--detailed", action="store_true",
                        help="longer answers: every table and the optimizer's record")


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree of ``lmm``; every command has its own ``--help``."""
    parser = argparse.ArgumentParser(
        prog="lmm",
        description="A natural-language assistant for linear mixed models.",
        epilog='Example: lmm ask --sample pain_trial '
               '"LMM: pain_score ~ time + treatment + (1 | patient)"',
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    chat = commands.add_parser("chat", help="interactive chat (history, completion, plots)",
                               description="Start an interactive chat session.")
    _add_data_options(chat)
    chat.add_argument("--show-plan", action="store_true",
                      help="show the plan of each request before it runs")
    chat.add_argument("--history-file", metavar="PATH", default=None,
                      help="where to keep the input history (default: ~/.lmm_history)")
    chat.set_defaults(handler=run_chat)

    ask = commands.add_parser("ask", help="run requests in one session and print the answers",
                              description="Run the requests in order in one session.")
    ask.add_argument("requests", nargs="+", metavar="REQUEST", help="a request in plain words")
    _add_data_options(ask)
    ask.add_argument("--json", action="store_true",
                     help="print one JSON array with one result object per executed step")
    ask.set_defaults(handler=run_ask)

    plan = commands.add_parser("plan", help="show the plan of a request without running it",
                               description="Show the plan the grammar makes of REQUEST.")
    plan.add_argument("request", metavar="REQUEST")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.set_defaults(handler=run_plan)

    replay = commands.add_parser("replay", help="replay scripted transcripts",
                                 description="Replay transcripts and compare every answer.")
    replay.add_argument("files", nargs="+", metavar="FILE")
    replay.add_argument("--update", action="store_true",
                        help="rewrite the expected answers with the current ones")
    replay.set_defaults(handler=run_replay)

    samples = commands.add_parser("samples", help="list the built-in sample data sets",
                                  description="List the built-in sample data sets.")
    samples.set_defaults(handler=run_samples)
    return parser


def user_problem_types() -> tuple[type[BaseException], ...]:
    """The exceptions that are a user's problem (exit 2 with their message).

    The engine's error type is included only once the engine is loaded: ``lmm plan``
    and ``lmm replay --help`` never import it, so they start in a fraction of the time.
    """
    from assistant.errors import AssistantError

    types: list[type[BaseException]] = [CliProblem, AssistantError, OSError]
    engine_errors = sys.modules.get("engine.errors")
    if engine_errors is not None:
        types.append(engine_errors.LmmInputError)
    return tuple(types)


def first_line(text: str) -> str:
    """The first non-empty line of ``text`` (for one-line internal-error messages)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run ``lmm``; returns the exit status (the console script passes it to sys.exit)."""
    stdout = stdout if stdout is not None else sys.stdout
    stderr = stderr if stderr is not None else sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2)
        return int(stop.code or 0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return args.handler(args, stdout, stderr)
    except user_problem_types() as err:
        message = str(err).strip() or type(err).__name__
        stderr.write(f"lmm: {message}\n")
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        stderr.write("lmm: interrupted\n")
        return EXIT_PROBLEM
    except Exception as err:  # noqa: BLE001 - the last guard: one line, never a traceback
        detail = first_line(str(err))
        stderr.write(f"lmm: internal error ({type(err).__name__}{': ' + detail if detail else ''});"
                     " please report it with the request that caused it.\n")
        return EXIT_PROBLEM


if __name__ == "__main__":
    sys.exit(main())
