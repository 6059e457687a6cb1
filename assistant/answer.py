"""What one request produced: the plan, an outcome per step, and the one error.

An :class:`Answer` renders itself as plain text (terminal and transcripts), Markdown
or HTML (notebooks), and as JSON (``lmm ask --json``): one JSON-safe dict per executed
step, a fit being exactly its ``fit.to_dict()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.narrate.blocks import Block, Paragraph, to_html, to_markdown, to_text, visible
from assistant.narrate.column_words import column_reading_blocks
from assistant.narrate.dispatch import narrate_outcome, skipped_blocks
from assistant.step_results import json_safe

LEVELS = ("brief", "detailed")


@dataclass
class StepOutcome:
    """One step of the plan: ``status`` is ``done``, ``failed`` or ``skipped``.

    ``result`` is the typed result (an engine object, or a type from
    :mod:`assistant.step_results` that carries one); ``figures`` the files written.
    """

    kind: str
    status: str
    result: Any = None
    figures: list[Path] = field(default_factory=list)
    step: Any = None
    message: str = ""
    #: column words read loosely (``assistant.column_words.ColumnReading``)
    readings: tuple[Any, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "done"


@dataclass
class Answer:
    request: str
    plan: Any  # grammar.plan.Plan, or None when the request did not parse
    steps: list[StepOutcome]
    error: AssistantError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def figures(self) -> list[Path]:
        return [path for outcome in self.steps for path in outcome.figures]

    # ----------------------------------------------------------- rendering
    def blocks(self, level: str = "brief") -> list[Block]:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
        detailed = level == "detailed"
        out: list[Block] = column_reading_blocks(
            [reading for outcome in self.steps for reading in outcome.readings]
        )
        for outcome in self.steps:
            if outcome.status == "done":
                out.extend(narrate_outcome(outcome.result, outcome.figures, detailed))
        if self.error is not None:
            out.append(Paragraph(str(self.error)))
        skipped = [o.step for o in self.steps if o.status == "skipped"]
        if skipped:
            out.extend(skipped_blocks(skipped))
        return visible(out, detailed)

    def text(self, level: str = "brief") -> str:
        """Plain text; deterministic, so transcripts can replay it."""
        return to_text(self.blocks(level))

    def markdown(self, level: str = "brief") -> str:
        return to_markdown(self.blocks(level))

    def html(self, level: str = "brief") -> str:
        return f'<div class="lmm-answer">{to_html(self.blocks(level))}</div>'

    def to_json(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per executed step (CONTRACTS §1/§3)."""
        items = []
        for outcome in self.steps:
            if outcome.status == "done" and outcome.result is not None:
                item = json_safe(outcome.result.to_dict())
                items.append(item)
        return items
