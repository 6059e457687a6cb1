"""The notebook front end: HTML results, the chat widget, and the %lmm magics.

``test_notebook_runs_in_a_real_kernel`` executes tests/notebooks/assistant_tour.ipynb
with nbclient in a kernel started from this virtual environment's Python.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assistant.notebook import Assistant, lmm_line_magic

NOTEBOOK = Path(__file__).parent / "notebooks" / "assistant_tour.ipynb"


@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> Assistant:
    from engine.samples import load_sample

    assistant = Assistant(data=load_sample("pain_trial"),
                          output_dir=tmp_path_factory.mktemp("figures"))
    assistant.ask("LMM: pain_score ~ time + treatment + (1 | patient)")
    return assistant


def test_a_fit_renders_as_html_tables(fitted):
    result = fitted.ask("report variance components")
    assert result.ok
    page = result._repr_html_()
    assert "<table" in page
    assert "patient" in page
    assert "Traceback" not in page


def test_figures_are_inline_base64_images(fitted):
    result = fitted.ask("caterpillar plot of random intercepts")
    assert result.ok, result.error
    assert result.figures and all(Path(p).exists() for p in result.figures)
    assert 'src="data:image/png;base64,' in result._repr_html_()


def test_a_bad_request_renders_its_error(fitted):
    result = fitted.ask("LMM: pain_score ~ tme + (1 | patient)")
    assert not result.ok
    assert "tme" in result._repr_html_()
    assert "tme" in str(result)


def test_widget_asks_shows_answers_and_clears(fitted):
    import ipywidgets

    chat = fitted.widget()
    assert isinstance(chat.box, ipywidgets.VBox)
    assert isinstance(chat.request, ipywidgets.Text)
    chat.request.value = "report variance components"  # pressing Enter in the box
    assert "<table" in chat.answers.value
    assert "&gt; report variance components" in chat.answers.value
    assert chat.request.value == ""
    chat.clear_button.click()
    assert chat.answers.value == ""
    chat.ask_button.click()  # nothing typed: nothing asked
    assert chat.answers.value == ""


def test_line_magic_keeps_one_session_and_restarts_on_sample():
    assert lmm_line_magic("--sample sleepstudy") is None
    result = lmm_line_magic("LMM: Reaction ~ Days + (1 | Subject)")
    assert result.ok
    assert "<table" in result._repr_html_()
    assert lmm_line_magic("report variance components").ok  # same session, model 1 is there


def kernel_spec(folder: Path) -> str:
    """A kernel spec named lmm-test that starts this very Python (the venv's)."""
    spec_dir = folder / "kernels" / "lmm-test"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "lmm-test", "language": "python",
    }))
    return "lmm-test"


def test_notebook_runs_in_a_real_kernel(tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    name = kernel_spec(tmp_path / "jupyter")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    output_dir = tmp_path / "figures"
    monkeypatch.setenv("LMM_TEST_OUTPUT", str(output_dir))
    client = NotebookClient(notebook, kernel_name=name, timeout=120,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    def html_of(cell) -> str:
        return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)

    fit, caterpillar, magic_start, magic_fit, cell_magic, widget = notebook.cells
    assert "<table" in html_of(fit) and "treatment" in html_of(fit)
    assert 'src="data:image/png;base64,' in html_of(caterpillar)
    assert list(output_dir.glob("*.png"))
    assert magic_start.outputs == []
    assert "<table" in html_of(magic_fit) and "Days" in html_of(magic_fit)
    shown = [o["data"]["text/html"] for o in cell_magic.outputs if "text/html" in o.get("data", {})]
    assert len(shown) == 2
    assert "<table" in shown[0]
    assert "Dayz" in shown[1]  # the error names the unknown column
    printed = "".join(o.get("text", "") for o in widget.outputs)
    assert "True VBox" in printed and "''" in printed
    assert not any(o.get("output_type") == "error" for c in notebook.cells for o in c.outputs)
