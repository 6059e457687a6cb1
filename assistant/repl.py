"""The interactive chat (``lmm chat``), built on prompt_toolkit.

Input history is kept in a file (``~/.lmm_history`` unless ``--history-file``) and is
written as each line is entered; Ctrl-R searches it. Tab completes commands, request
words and the current data set's column names. A line ending in a backslash (or
Esc then Enter) continues on the next line. Ctrl-C drops the current input, Ctrl-D
leaves. An error is reported and the chat goes on.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.application.current import get_app
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.key_binding import KeyBindings

from assistant.cli import first_line
from assistant.replay import render_answer

PROMPT = "lmm> "
CONTINUATION_PROMPT = "...  "
DEFAULT_HISTORY_FILE = Path.home() / ".lmm_history"

COMMANDS: dict[str, str] = {
    ":help": "this list of chat commands (type 'help' for what you can ask)",
    ":plan on": "show the plan of each request before it runs",
    ":plan off": "run requests without showing their plan",
    ":detail on": "longer answers with every table",
    ":detail off": "short answers (the default)",
    ":columns": "the columns of the current data set",
    ":undo": "undo the last request that changed the data, the models or the options",
    ":history": "the requests so far, each with what it produced",
    ":quit": "leave the chat (Ctrl-D does the same)",
}

_WORD = re.compile(r"[\w.`]+$")


@dataclass
class ChatState:
    """What the chat commands can switch."""

    show_plan: bool = False
    detailed: bool = False
    running: bool = True


def _request_parser() -> Any:
    """The grammar's LALR parser of one request clause, or None if it cannot be built."""
    try:
        from grammar.request_parser import request_parser

        return request_parser()
    except Exception:  # noqa: BLE001 - completion is a convenience; the chat works without it
        return None


def _keyword_of(parser: Any, terminal_name: str) -> str | None:
    """The literal word a terminal of the grammar stands for (``"caterpillar"``), if any."""
    from grammar.request_parser import keyword_text

    try:
        text = keyword_text(parser.get_terminal(terminal_name).pattern)
    except KeyError:
        return None
    if text is not None and re.fullmatch(r"[A-Za-z][\w-]*", text):
        return text.lower()
    return None


def request_words() -> list[str]:
    """Every keyword of the request language, read from the grammar's terminals."""
    parser = _request_parser()
    if parser is None:
        return []
    words = {_keyword_of(parser, terminal.name) for terminal in parser.terminals}
    return sorted(word for word in words if word)


def sample_names() -> list[str]:
    """Names of the built-in samples (``use sample pa<Tab>``)."""
    try:
        from engine.samples import sample_names as names

        return list(names())
    except Exception:  # noqa: BLE001 - completion is a convenience
        return []


def next_words(text: str) -> list[str]:
    """The keywords the grammar accepts after ``text`` (the last clause of it), found with
    Lark's interactive parser; empty when ``text`` already cannot be parsed."""
    parser = _request_parser()
    if parser is None:
        return []
    clause = re.split(r"[;\n]", text)[-1]
    try:
        interactive = parser.parse_interactive(clause)
        interactive.exhaust_lexer()
        accepted = interactive.accepts()
    except Exception:  # noqa: BLE001 - any lexer or parser error means: no suggestion
        return []
    words = {_keyword_of(parser, name) for name in accepted}
    return sorted(word for word in words if word)


class ChatCompleter(Completer):
    """Completes chat commands, column names of the session's data, the names given to
    fitted models ("... called baseline") and request words.

    With nothing typed of the current word it offers the words the grammar expects next;
    otherwise columns first, then model names, then keywords (those the grammar expects
    next first).
    """

    def __init__(self, column_names: Callable[[], Iterable[str]], words: Iterable[str],
                 next_words: Callable[[str], list[str]] = lambda _text: [],
                 model_names: Callable[[], Iterable[str]] = lambda: ()):
        self._column_names = column_names
        self._words = sorted(set(words))
        self._next_words = next_words
        self._model_names = model_names

    def get_completions(self, document: Document,
                        complete_event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        if text.lstrip().startswith(":"):
            typed = text.lstrip()
            for command, meaning in COMMANDS.items():
                if command.startswith(typed) and command != typed:
                    yield Completion(command, start_position=-len(typed), display_meta=meaning)
            return
        match = _WORD.search(text)
        prefix = match.group(0) if match else ""
        bare = prefix.lstrip("`").lower()
        typed_before = text[: len(text) - len(prefix)]
        expected = self._next_words(typed_before)
        if not bare:
            for word in expected:
                yield Completion(word, display_meta="next word")
            return
        columns = _names_or_none(self._column_names)
        models = [m for m in _names_or_none(self._model_names) if m not in columns]
        for names, meta in ((columns, "column"), (models, "model")):
            for name in names:
                if name.lower().startswith(bare) and name != prefix:
                    yield Completion(_quoted(name), start_position=-len(prefix),
                                     display_meta=meta)
        ranked = [w for w in expected if w in self._words] + [
            w for w in self._words if w not in expected]
        for word in ranked:
            if word.lower().startswith(bare) and word != prefix and word not in columns:
                yield Completion(word, start_position=-len(prefix))


def _names_or_none(source: Callable[[], Iterable[str]]) -> list[str]:
    try:
        return list(source())
    except Exception:  # noqa: BLE001 - completion must never break the prompt
        return []


def _quoted(name: str) -> str:
    """A name as a request can spell it: bare when it is one word, else in backticks."""
    return name if re.fullmatch(r"[A-Za-z_.][\w.]*", name) else f"`{name}`"


def model_names_of(session: Any) -> Callable[[], list[str]]:
    """The names the session's models were given, for completion."""
    return lambda: [m.label for m in session.models.values() if m.label]


def continuation_bindings() -> KeyBindings:
    """Enter after a trailing backslash, or Esc then Enter, starts a new line."""
    bindings = KeyBindings()

    @Condition
    def ends_with_backslash() -> bool:
        return get_app().current_buffer.document.text_before_cursor.endswith("\\")

    @bindings.add("enter", filter=ends_with_backslash)
    def _continue_line(event: Any) -> None:
        buffer = event.current_buffer
        buffer.delete_before_cursor(1)
        buffer.insert_text("\n")

    @bindings.add("escape", "enter")
    def _new_line(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    return bindings


def join_lines(text: str) -> str:
    """One request from multi-line input: continuation backslashes and breaks become spaces."""
    lines = [line.rstrip().removesuffix("\\").strip() for line in text.splitlines()]
    return " ".join(line for line in lines if line)


def open_history(path: str | Path | None) -> History:
    """A file history at ``path`` (default ``~/.lmm_history``), or memory if it cannot be used."""
    target = Path(path).expanduser() if path else DEFAULT_HISTORY_FILE
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(exist_ok=True)
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(target))


def banner(session: Any) -> str:
    """A few lines saying what is loaded and how to start."""
    data_name = getattr(session, "current_data_name", None)
    try:
        columns = list(session.column_names())
    except Exception:  # noqa: BLE001 - the banner must not fail
        columns = []
    if data_name:
        shown = ", ".join(columns[:8]) + (", ..." if len(columns) > 8 else "")
        data_line = f"Data: {data_name} (columns: {shown})." if columns else f"Data: {data_name}."
        example = "Try:  LMM: pain_score ~ time + treatment + (1 | patient)" \
            if data_name == "pain_trial" else "Try:  describe the data"
    else:
        data_line = "No data loaded yet: 'use sample pain_trial' or 'load my_data.csv'."
        example = "Try:  use sample pain_trial"
    return "\n".join([
        "lmm chat: linear mixed models in plain words.",
        data_line,
        example,
        "'help' lists what you can ask; ':help' the chat commands; Tab completes; Ctrl-D leaves.",
        "End a line with \\ (or press Esc, Enter) to continue it on the next line.",
    ])


# Typed without the colon, these end the chat as :quit does; none of them is a request.
LEAVING_WORDS = frozenset({"quit", "exit", "bye", "goodbye", "q"})


class Chat:
    """One chat: reads requests, runs them in the session, prints the answers."""

    def __init__(self, session: Any, *, state: ChatState, out: TextIO):
        self.session = session
        self.state = state
        self.out = out

    def say(self, text: str) -> None:
        self.out.write(text.rstrip("\n") + "\n")
        self.out.flush()

    def handle(self, raw: str) -> None:
        """Run one input: a chat command or a request. Never raises for a bad request."""
        text = join_lines(raw)
        if not text:
            return
        if text.startswith(":"):
            self.command(text)
            return
        if text.lower().rstrip(".!") in LEAVING_WORDS:
            self.state.running = False
            return
        try:
            if self.state.show_plan:
                self.show_plan(text)
            self.say_answer(self.session.ask(text))
        except KeyboardInterrupt:
            self.say("Cancelled.")
        except Exception as err:  # noqa: BLE001 - an error never ends the chat
            detail = first_line(str(err))
            self.say(f"Internal error ({type(err).__name__}{': ' + detail if detail else ''}); "
                     "the session is unchanged, try another request.")

    def say_answer(self, answer: Any) -> None:
        level = "detailed" if self.state.detailed else "brief"
        self.say(render_answer(answer, level=level))

    def show_plan(self, text: str) -> None:
        from grammar.parse import ParseError, parse

        try:
            plan = parse(text)
        except ParseError:
            return  # the answer explains the problem
        self.say("Plan:\n" + plan.describe().rstrip())

    def command(self, text: str) -> None:
        words = text.split()
        name, arg = words[0].lower(), (words[1].lower() if len(words) > 1 else "")
        if name in (":quit", ":exit", ":q"):
            self.state.running = False
        elif name == ":help":
            width = max(len(c) for c in COMMANDS)
            self.say("\n".join(f"{c:<{width}}  {m}" for c, m in COMMANDS.items()))
        elif name in (":plan", ":detail") and arg in ("on", "off", ""):
            attribute = "show_plan" if name == ":plan" else "detailed"
            if arg:
                setattr(self.state, attribute, arg == "on")
            label = "Plans are shown" if name == ":plan" else "Detailed answers are"
            self.say(f"{label} {'on' if getattr(self.state, attribute) else 'off'}.")
        elif name == ":undo":
            self.say_answer(self.session.undo())
        elif name == ":history":
            self.say_answer(self.session.show_history())
        elif name == ":columns":
            columns = list(self.session.column_names())
            self.say(", ".join(columns) if columns else "No data loaded yet.")
        else:
            self.say(f"Unknown chat command {words[0]}; type :help for the list.")


def run_repl(session: Any, *, history_file: str | Path | None = None, show_plan: bool = False,
             detailed: bool = False, input: Any = None, output: Any = None,
             out: TextIO | None = None) -> int:
    """Run the chat until Ctrl-D or :quit; returns the exit status (0).

    ``input``/``output`` are prompt_toolkit objects (tests pass a pipe input and a
    dummy output); ``out`` is where answers go (default stdout).
    """
    out = out if out is not None else sys.stdout
    chat = Chat(session, state=ChatState(show_plan=show_plan, detailed=detailed), out=out)
    chat.say(banner(session))
    if input is None and not sys.stdin.isatty():
        return _run_plain(chat, sys.stdin)
    prompt = PromptSession(
        history=open_history(history_file),
        completer=ChatCompleter(session.column_names, request_words() + sample_names(),
                                next_words, model_names_of(session)),
        complete_while_typing=False,
        key_bindings=continuation_bindings(),
        prompt_continuation=CONTINUATION_PROMPT,
        enable_history_search=False,
        input=input,
        output=output,
    )
    while chat.state.running:
        try:
            raw = prompt.prompt(PROMPT)
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        chat.handle(raw)
    chat.say("Bye.")
    return 0


def _run_plain(chat: Chat, lines: TextIO) -> int:
    """Without a terminal (input piped in), read one request per line."""
    pending = ""
    for line in lines:
        pending += line
        if line.rstrip("\n").endswith("\\"):
            continue
        chat.handle(pending)
        pending = ""
        if not chat.state.running:
            break
    if pending:
        chat.handle(pending)
    chat.say("Bye.")
    return 0
