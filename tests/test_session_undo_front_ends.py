"""Undo and history in the chat (``:undo``, ``:history``), the notebook and transcripts:
each front end goes through the same session functions."""

from __future__ import annotations

import io
from pathlib import Path

from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from assistant.cli import main, open_session
from assistant.notebook import Assistant
from assistant.repl import COMMANDS, run_repl
from assistant.replay import replay_transcript

FIT = "LMM: pain_score ~ time + treatment + (1 | patient)"
TRANSCRIPT = Path(__file__).parent.parent / "transcripts" / "undo_and_history.txt"


def chat(keys: list[str], tmp_path: Path) -> tuple[str, object]:
    session = open_session(sample="pain_trial", out=tmp_path / "figures")
    out = io.StringIO()
    with create_pipe_input() as pipe:
        for key in keys:
            pipe.send_text(key)
        run_repl(session, history_file=tmp_path / "history", input=pipe,
                 output=DummyOutput(), out=out)
    return out.getvalue(), session


def test_chat_commands_undo_and_history(tmp_path):
    assert ":undo" in COMMANDS and ":history" in COMMANDS
    printed, session = chat([FIT + "\r", ":history\r", ":undo\r", ":undo\r", "\x04"], tmp_path)
    assert session.models == {}
    assert f"`{FIT}`: fitted model 1" in printed
    assert f"Undid `{FIT}`: Model 1 (random intercept model) is removed" in printed
    assert "There is nothing more to undo" in printed
    # the chat commands are requests of the session like any other
    assert [a.request for a in session.history] == [FIT, "show the history", "undo", "undo"]


def test_chat_undo_equals_the_typed_request(tmp_path):
    by_command, _ = chat([FIT + "\r", ":undo\r", "\x04"], tmp_path / "a")
    by_words, _ = chat([FIT + "\r", "undo that\r", "\x04"], tmp_path / "b")
    assert by_command == by_words


def test_notebook_undo_and_history(tmp_path):
    assistant = Assistant(sample="pain_trial", output_dir=tmp_path)
    assistant.ask(FIT)
    history = assistant.history()
    assert history.ok and "fitted model 1" in history.text()
    assert "<ul>" in history._repr_html_()
    undone = assistant.undo()
    assert undone.ok and assistant.session.models == {}
    assert "Undid" in undone._repr_html_()
    chat_box = assistant.widget()
    chat_box.submit(FIT)
    chat_box.submit("show me the plan")
    assert "1. Fit a linear mixed model" in chat_box.answers.value
    chat_box.submit("undo")
    assert assistant.session.models == {}


def test_transcript_with_undo_replays_identically():
    result = replay_transcript(TRANSCRIPT)
    assert result.crash is None
    assert result.diffs == []
    assert result.passed == result.total >= 8


def test_cli_undo_with_nothing_to_undo_is_not_an_error():
    out, err = io.StringIO(), io.StringIO()
    status = main(["ask", "--sample", "pain_trial", "undo"], stdout=out, stderr=err)
    assert status == 0 and err.getvalue() == ""
    assert out.getvalue().startswith("There is nothing to undo")
