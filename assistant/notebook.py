"""The assistant in a Jupyter notebook.

>>> from assistant.notebook import Assistant
>>> lmm = Assistant(sample="pain_trial")          # or Assistant(data=df)
>>> lmm.ask("LMM: pain_score ~ time + treatment + (1 | patient)")   # renders as HTML
>>> lmm.widget()                                   # a small chat box

``%load_ext assistant.notebook`` registers ``%lmm REQUEST`` (one request) and
``%%lmm`` (one request per line of the cell); both share one session per kernel.
``%lmm --sample NAME`` or ``%lmm --data VARIABLE`` (a DataFrame in the notebook)
starts that shared session afresh.
"""

from __future__ import annotations

import base64
import html
import shlex
from pathlib import Path
from typing import Any

from assistant.cli import DEFAULT_OUTPUT_DIR
from assistant.errors import AssistantError
from assistant.replay import render_answer


class AssistantResult:
    """One answer, shown as HTML in a notebook and as plain text elsewhere."""

    def __init__(self, request: str, answer: Any, *, level: str = "detailed"):
        self.request = request
        self.answer = answer
        self.level = level

    @property
    def ok(self) -> bool:
        return bool(self.answer.ok)

    @property
    def error(self) -> Any:
        return self.answer.error

    @property
    def figures(self) -> list[Path]:
        return list(self.answer.figures)

    def text(self, level: str | None = None) -> str:
        return render_answer(self.answer, level=level or self.level)

    def to_json(self) -> list[dict]:
        return self.answer.to_json()

    def _repr_html_(self) -> str:
        return answer_html(self.answer, level=self.level)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()


def answer_html(answer: Any, *, level: str = "detailed") -> str:
    """The answer's HTML (its tables, its error) with every figure inline as a base64 <img>."""
    body = answer.html(level=level)
    error = getattr(answer, "error", None)
    if error is not None and html.escape(str(error)) not in body:
        body += f'<p class="lmm-error"><b>Error:</b> {html.escape(str(error))}</p>'
    for figure in getattr(answer, "figures", []):
        path = Path(figure)
        if path.suffix.lower() != ".png" or not path.exists():
            continue
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        if encoded[:64] in body:
            continue
        body += (f'<figure><img alt="{html.escape(path.name)}" '
                 f'src="data:image/png;base64,{encoded}"/>'
                 f"<figcaption>{html.escape(str(path))}</figcaption></figure>")
    return body


class Assistant:
    """A conversation with the assistant inside a notebook (one session).

    Answers show every table by default (``detailed=False`` gives the short answers).
    """

    def __init__(self, data: Any = None, *, sample: str | None = None,
                 data_path: str | Path | None = None,
                 output_dir: str | Path = DEFAULT_OUTPUT_DIR, detailed: bool = True):
        from assistant.session import Session

        kwargs: dict[str, Any] = {}
        if data is not None:
            kwargs["data"] = data
        if sample is not None:
            kwargs["sample"] = sample
        if data_path is not None:
            kwargs["data_path"] = str(data_path)
        self.session = Session(output_dir=Path(output_dir), **kwargs)
        self.results: list[AssistantResult] = []
        self.level = "detailed" if detailed else "brief"

    def ask(self, text: str) -> AssistantResult:
        """Run one request; the result shows its tables and figures as HTML."""
        return self._shown(text, self.session.ask(text))

    def undo(self) -> AssistantResult:
        """Undo the last request that changed the data, the models or the options."""
        return self._shown("undo", self.session.undo())

    def history(self) -> AssistantResult:
        """The requests so far, each with what it produced."""
        return self._shown("show the history", self.session.show_history())

    def _shown(self, text: str, answer: Any) -> AssistantResult:
        result = AssistantResult(text, answer, level=self.level)
        self.results.append(result)
        return result

    def columns(self) -> list[str]:
        return list(self.session.column_names())

    def widget(self) -> ChatBox:
        """A chat box: type a request, press Enter or Ask; answers pile up above."""
        return ChatBox(self)


class ChatBox:
    """An ipywidgets chat: an answers area, a request box, Ask and Clear buttons.

    ``box`` is the ipywidgets VBox; the chat box displays as it in a notebook.
    """

    def __init__(self, assistant: Assistant):
        import ipywidgets as widgets

        self.assistant = assistant
        self.answers = widgets.HTML(value="")
        self.request = widgets.Text(
            placeholder="e.g. LMM: pain_score ~ time + treatment + (1 | patient)",
            continuous_update=False, layout=widgets.Layout(width="70%"))
        self.ask_button = widgets.Button(description="Ask", button_style="primary")
        self.clear_button = widgets.Button(description="Clear")
        self.request.observe(self._on_enter, names="value")
        self.ask_button.on_click(lambda _button: self.submit())
        self.clear_button.on_click(lambda _button: self.clear())
        self.box = widgets.VBox(children=[
            self.answers,
            widgets.HBox([self.request, self.ask_button, self.clear_button]),
        ])

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.box._repr_mimebundle_(**kwargs)

    def _on_enter(self, change: dict) -> None:
        if change.get("new"):
            self.submit()

    def submit(self, text: str | None = None) -> AssistantResult | None:
        """Ask the typed request (or ``text``) and add the answer to the area."""
        request = (text if text is not None else self.request.value).strip()
        if not request:
            return None
        result = self.assistant.ask(request)
        self.answers.value += (f'<div class="lmm-request"><b>&gt; {html.escape(request)}</b>'
                               f"</div>{result._repr_html_()}")
        self.request.unobserve(self._on_enter, names="value")
        self.request.value = ""
        self.request.observe(self._on_enter, names="value")
        return result

    def clear(self) -> None:
        """Empty the answers area (the session and its models stay)."""
        self.answers.value = ""


# --------------------------------------------------------------------------- magics
_SHARED: dict[str, Assistant] = {}


def _shared_assistant() -> Assistant:
    if "assistant" not in _SHARED:
        _SHARED["assistant"] = Assistant()
    return _SHARED["assistant"]


#: How ``%lmm`` starts a session, said when its options are not understood.
MAGIC_USAGE = ("start the session with `%lmm --sample NAME` (see `lmm samples`) or "
               "`%lmm --data VARIABLE` (a DataFrame of the notebook), then ask a request")


def _start_shared(words: list[str], user_namespace: dict) -> list[str]:
    """Handle a leading ``--sample NAME`` or ``--data VARIABLE``; return the other words.

    A bad option raises :class:`AssistantError` and leaves the shared session as it was
    (the new one replaces it only once it has started)."""
    option = words[0]
    if option not in ("--sample", "--data"):
        raise AssistantError(f"`%lmm` has no option {option}; {MAGIC_USAGE}.")
    if len(words) < 2:
        what = "a sample name" if option == "--sample" else "a DataFrame variable"
        raise AssistantError(f"{option} needs {what} after it; {MAGIC_USAGE}.")
    if option == "--sample":
        _SHARED["assistant"] = Assistant(sample=words[1])
        return words[2:]
    if words[1] not in user_namespace:
        raise AssistantError(f"There is no variable {words[1]} in the notebook; "
                             "create the DataFrame first.")
    _SHARED["assistant"] = Assistant(data=user_namespace[words[1]])
    return words[2:]


def _magic_error(line: str, message: str) -> AssistantResult:
    """A failed ``%lmm`` line shown like any failed request (no traceback)."""
    from assistant.answer import Answer

    return AssistantResult(line, Answer(line, None, [], AssistantError(message)))


def lmm_line_magic(line: str, user_namespace: dict | None = None) -> AssistantResult | None:
    """``%lmm REQUEST``: run one request in the notebook's shared session."""
    stripped = line.strip()
    if stripped.startswith("--"):
        try:
            words = _start_shared(shlex.split(stripped), user_namespace or {})
        except AssistantError as err:
            return _magic_error(stripped, str(err))
        except ValueError:  # shlex: an unclosed quote
            return _magic_error(stripped, "The line has a quote that is never closed; "
                                          "close it or leave the quotes out.")
        stripped = " ".join(words)
        if not stripped:
            return None
    if not stripped:
        return None
    return _shared_assistant().ask(stripped)


def lmm_cell_magic(line: str, cell: str, user_namespace: dict | None = None) -> None:
    """``%%lmm``: run each non-empty line of the cell as a request and show each answer."""
    from IPython.display import display

    if line.strip():
        first = lmm_line_magic(line, user_namespace)
        if first is not None:
            display(first)
    for request in cell.splitlines():
        if request.strip() and not request.lstrip().startswith("#"):
            display(_shared_assistant().ask(request.strip()))


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%lmm`` and ``%%lmm`` (``%load_ext assistant.notebook``)."""
    ipython.register_magic_function(
        lambda line: lmm_line_magic(line, ipython.user_ns), magic_kind="line", magic_name="lmm")
    ipython.register_magic_function(
        lambda line, cell: lmm_cell_magic(line, cell, ipython.user_ns),
        magic_kind="cell", magic_name="lmm")
