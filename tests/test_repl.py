"""The chat REPL: answers, errors that do not end it, history, completion, commands.

Most tests drive prompt_toolkit through a pipe input (fast, in-process); one runs
``python -m assistant.cli chat`` in a pseudo-terminal with pexpect.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from assistant.cli import open_session
from assistant.repl import COMMANDS, ChatCompleter, join_lines, run_repl

FIT = "LMM: pain_score ~ time + treatment + (1 | patient)"
BAD = "LMM: pain_score ~ tme + (1 | patient)"
CTRL_C = "\x03"
CTRL_D = "\x04"


def chat(keys: list[str], tmp_path: Path, **options) -> tuple[int, str, object]:
    """Type ``keys`` into a chat on pain_trial; return status, what it printed, the session."""
    session = open_session(sample="pain_trial", out=tmp_path / "figures")
    out = io.StringIO()
    with create_pipe_input() as pipe:
        for key in keys:
            pipe.send_text(key)
        status = run_repl(session, history_file=tmp_path / "history", input=pipe,
                          output=DummyOutput(), out=out, **options)
    return status, out.getvalue(), session


def test_fit_then_bad_request_then_good_one_keeps_the_session(tmp_path):
    status, printed, session = chat(
        [FIT + "\r", BAD + "\r", "report variance components\r", CTRL_D], tmp_path)
    assert status == 0
    assert printed.startswith("lmm chat")
    fit_at = printed.index("treatment")
    error_at = printed.index("tme")
    assert fit_at < error_at
    after_error = printed[error_at:]
    assert "did you mean 'time'" in after_error
    assert "Variance components of Model 1" in after_error  # answered after the error
    assert printed.rstrip().endswith("Bye.")
    assert len(session.models) == 1


def test_history_is_written_as_it_goes(tmp_path):
    chat(["describe the data\r", ":plan on\r", CTRL_D], tmp_path)
    history = (tmp_path / "history").read_text()
    assert "+describe the data" in history and "+:plan on" in history


def test_ctrl_c_drops_the_current_input_and_the_chat_goes_on(tmp_path):
    status, printed, session = chat(["LMM: half typed" + CTRL_C, FIT + "\r", CTRL_D], tmp_path)
    assert status == 0
    assert "half typed" not in printed
    assert len(session.models) == 1


def test_a_trailing_backslash_continues_the_request(tmp_path):
    status, printed, session = chat(
        ["LMM: pain_score ~ time \\\r", "+ treatment + (1 | patient)\r", CTRL_D], tmp_path)
    assert status == 0
    assert len(session.models) == 1
    assert session.models[1].fit.formula.replace(" ", "") == \
        "pain_score~time+treatment+(1|patient)"


def test_show_plan_prints_the_plan_before_the_answer(tmp_path):
    _, printed, _ = chat([":plan on\r", "describe the data\r", ":plan off\r",
                          "describe the data\r", CTRL_D], tmp_path)
    assert "Plans are shown on." in printed
    assert printed.count("Plan:") == 1
    assert "Plans are shown off." in printed


def test_show_plan_flag(tmp_path):
    _, printed, _ = chat(["describe the data\r", CTRL_D], tmp_path, show_plan=True)
    assert "Plan:" in printed


def test_figures_are_saved_and_their_paths_printed(tmp_path):
    _, printed, _ = chat([FIT + "\r", "caterpillar plot of random intercepts\r", CTRL_D],
                         tmp_path)
    figures = list((tmp_path / "figures").glob("*.png"))
    assert figures
    assert figures[0].name in printed


def test_unknown_chat_command_and_quit(tmp_path):
    status, printed, _ = chat([":frob\r", ":quit\r"], tmp_path)
    assert status == 0
    assert "Unknown chat command :frob" in printed


def test_quit_or_exit_without_the_colon_also_leaves(tmp_path):
    for word in ("quit\r", "Exit\r", "bye!\r"):
        status, printed, session = chat([word, FIT + "\r"], tmp_path)
        assert status == 0
        assert "Bye." in printed
        assert "did not recognise" not in printed
        assert not session.models  # the chat ended before the fit


def test_join_lines_makes_one_request():
    assert join_lines("LMM: y ~ x \\\n  + (1 | g)") == "LMM: y ~ x + (1 | g)"
    assert join_lines("  \n ") == ""


def completions(completer: ChatCompleter, text: str) -> list[str]:
    document = Document(text, len(text))
    return [c.text for c in completer.get_completions(document, CompleteEvent())]


def test_completion_of_columns_commands_and_request_words():
    completer = ChatCompleter(lambda: ["pain_score", "patient", "my col", "time"],
                              ["plot", "predict", "patients"])
    assert completions(completer, "LMM: pa") == ["pain_score", "patient", "patients"]
    assert completions(completer, "LMM: y ~ my") == ["`my col`"]
    assert completions(completer, ":pl") == [":plan on", ":plan off"]
    assert completions(completer, "pl") == ["plot"]
    assert set(completions(completer, ":")) == set(COMMANDS)


def test_completion_reads_the_sessions_columns(tmp_path):
    session = open_session(sample="pain_trial", out=tmp_path)
    completer = ChatCompleter(session.column_names, [])
    assert completions(completer, "LMM: pain_") == ["pain_score"]


def test_request_words_come_from_the_grammar():
    from assistant.repl import request_words

    words = request_words()
    assert {"caterpillar", "compare", "reshape"} <= set(words)


def test_next_words_come_from_the_grammars_interactive_parser():
    from assistant.repl import next_words

    assert {"intercept", "slope"} <= set(next_words("LMM with random "))
    assert "fit" in next_words("")
    assert next_words("LMM: y ~ ) (") == []  # already unreadable: nothing to offer


def test_tab_after_a_partial_word_offers_what_the_grammar_expects_first():
    from assistant.repl import next_words, request_words, sample_names

    completer = ChatCompleter(lambda: [], request_words() + sample_names(), next_words)
    assert completions(completer, "LMM with random sl")[:2] == ["slope", "slopes"]
    assert "pain_trial" in completions(completer, "use sample pa")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_chat_in_a_pseudo_terminal(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    env = dict(os.environ, HOME=str(tmp_path), PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm",
               MPLBACKEND="Agg")
    child = pexpect.spawn(sys.executable, ["-m", "assistant.cli", "chat", "--sample",
                                           "pain_trial", "--out", str(tmp_path / "out")],
                          env=env, cwd=str(tmp_path), encoding="utf-8", timeout=60,
                          dimensions=(40, 200))
    child.expect("lmm>")
    child.sendline(FIT)
    child.expect(r"Model 1 \(random intercept model\)")
    child.expect("lmm>")
    child.sendline(BAD)
    child.expect("did you mean 'time'")
    child.expect("lmm>")
    child.sendline("report variance components")
    child.expect("Variance components of Model 1")
    child.expect("lmm>")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "Traceback" not in (child.before or "")
    assert "report variance components" in (tmp_path / ".lmm_history").read_text()


def test_completion_offers_the_names_given_to_models(tmp_path):
    from assistant.repl import model_names_of

    session = open_session(sample="sleepstudy", out=tmp_path)
    assert session.ask("LMM: Reaction ~ Days + (1 | Subject) called baseline").ok
    assert session.ask("LMM: Reaction ~ Days + (Days | Subject) called 'by day'").ok
    completer = ChatCompleter(session.column_names, ["compare", "by"], lambda _t: [],
                              model_names_of(session))
    assert completions(completer, "compare bas") == ["baseline"]
    assert completions(completer, "compare baseline and b") == ["baseline", "`by day`", "by"]
    document = Document("compare ba", len("compare ba"))
    (offer,) = completer.get_completions(document, CompleteEvent())
    assert offer.display_meta_text == "model"
