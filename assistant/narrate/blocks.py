"""A tiny document model for narration, rendered as plain text, Markdown or HTML.

Narrators return a list of blocks; the three renderers below are the only code that
knows about output formats. Inline text may contain `code spans` in backticks and
**bold** in double asterisks; plain text keeps the backticks and drops the asterisks.
"""

from __future__ import annotations

import base64
import html
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of already formatted cells; ``align`` is ``"l"`` or ``"r"`` per column."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...] = ()
    caption: str = ""

    def alignment(self, i: int) -> str:
        return self.align[i] if i < len(self.align) else ("l" if i == 0 else "r")


@dataclass(frozen=True)
class Image:
    path: Path
    shown_as: str
    alt: str = ""


@dataclass(frozen=True)
class Detail:
    """Blocks shown only at the ``detailed`` level."""

    blocks: tuple[Block, ...] = field(default=())


Block = Heading | Paragraph | Bullets | Table | Image | Detail


def table(
    columns: list[str] | tuple[str, ...],
    rows: list[list[str]] | list[tuple[str, ...]],
    align: str = "",
    caption: str = "",
) -> Table:
    """Build a :class:`Table`; ``align`` is a string like ``"lrrr"``."""
    return Table(tuple(columns), tuple(tuple(r) for r in rows), tuple(align), caption)


def visible(blocks: list[Block] | tuple[Block, ...], detailed: bool) -> list[Block]:
    """The blocks to show at a level: :class:`Detail` blocks opened or dropped."""
    out: list[Block] = []
    for block in blocks:
        if isinstance(block, Detail):
            if detailed:
                out.extend(visible(block.blocks, detailed))
        else:
            out.append(block)
    return out


# ------------------------------------------------------------------ plain text
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")
#: A Markdown code span that itself contains backticks, as :func:`code` writes it.
_DOUBLE_CODE = re.compile(r"`` (.+?) ``")


def code(text: str) -> str:
    """``text`` as a code span; text with backticks (quoted column names) gets the
    double-backtick delimiters Markdown needs, which plain text and HTML unwrap."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _plain_inline(text: str) -> str:
    return _BOLD.sub(r"\1", _DOUBLE_CODE.sub(r"\1", text))


def display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (wide East Asian characters count twice)."""
    return sum(
        0
        if unicodedata.combining(ch)
        else (2 if unicodedata.east_asian_width(ch) in {"W", "F"} else 1)
        for ch in text
    )


def _pad(text: str, width: int, align: str) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if align == "r" else text + gap


def table_text(t: Table) -> str:
    """Monospace columns, a rule under the header, numbers right-aligned."""
    columns = [_plain_inline(c) for c in t.columns]
    rows = [[_plain_inline(c) for c in r] for r in t.rows]
    widths = [display_width(c) for c in columns]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], display_width(cell))
    lines = []
    if t.caption:
        lines.append(_plain_inline(t.caption))
    lines.append("  ".join(_pad(c, widths[i], t.alignment(i)) for i, c in enumerate(columns)))
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(_pad(c, widths[i], t.alignment(i)) for i, c in enumerate(row)))
    return "\n".join(line.rstrip() for line in lines)


def to_text(blocks: list[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(_plain_inline(block.text))
        elif isinstance(block, Paragraph):
            parts.append(_plain_inline(block.text))
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"- {_plain_inline(i)}" for i in block.items))
        elif isinstance(block, Table):
            parts.append(table_text(block))
        elif isinstance(block, Image) and not any(block.shown_as in p for p in parts):
            # the sentence introducing a figure usually names its file already
            parts.append(f"Figure: {block.shown_as}")
    return "\n\n".join(p for p in parts if p)


# -------------------------------------------------------------------- markdown
def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(blocks: list[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"#### {block.text}")
        elif isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, Bullets):
            parts.append("\n".join(f"- {i}" for i in block.items))
        elif isinstance(block, Table):
            lines = []
            if block.caption:
                lines.append(f"*{block.caption}*\n")
            lines.append("| " + " | ".join(_md_cell(c) for c in block.columns) + " |")
            lines.append(
                "|"
                + "|".join(
                    "---:" if block.alignment(i) == "r" else ":---"
                    for i in range(len(block.columns))
                )
                + "|"
            )
            for row in block.rows:
                lines.append("| " + " | ".join(_md_cell(c) for c in row) + " |")
            parts.append("\n".join(lines))
        elif isinstance(block, Image):
            parts.append(f"![{block.alt or block.shown_as}]({block.shown_as})")
    return "\n\n".join(p for p in parts if p)


# ------------------------------------------------------------------------ html
def _html_inline(text: str) -> str:
    pieces = _DOUBLE_CODE.split(text)
    out = []
    for i, piece in enumerate(pieces):
        escaped = html.escape(piece, quote=False)
        if i % 2:
            out.append(f"<code>{escaped}</code>")
        else:
            escaped = _CODE.sub(r"<code>\1</code>", escaped)
            out.append(_BOLD.sub(r"<strong>\1</strong>", escaped))
    return "".join(out)


def _image_src(path: Path) -> str:
    """An inline data URI for PNG/SVG files so notebooks show them without a server."""
    suffix = path.suffix.lower()
    mime = {".png": "image/png", ".svg": "image/svg+xml"}.get(suffix)
    if mime is None or not path.is_file():
        return html.escape(str(path))
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{mime};base64,{data}"


def to_html(blocks: list[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append(f"<h4>{_html_inline(block.text)}</h4>")
        elif isinstance(block, Paragraph):
            # a paragraph's own line breaks (a plan's numbered steps) stay breaks
            text = _html_inline(block.text).replace("\n", "<br>\n")
            parts.append(f"<p>{text}</p>")
        elif isinstance(block, Bullets):
            items = "".join(f"<li>{_html_inline(i)}</li>" for i in block.items)
            parts.append(f"<ul>{items}</ul>")
        elif isinstance(block, Table):
            cap = f"<caption>{_html_inline(block.caption)}</caption>" if block.caption else ""
            head = "".join(
                f'<th style="text-align:{"right" if block.alignment(i) == "r" else "left"}">'
                f"{_html_inline(c)}</th>"
                for i, c in enumerate(block.columns)
            )
            body = "".join(
                "<tr>"
                + "".join(
                    f'<td style="text-align:{"right" if block.alignment(i) == "r" else "left"}">'
                    f"{_html_inline(c)}</td>"
                    for i, c in enumerate(row)
                )
                + "</tr>"
                for row in block.rows
            )
            parts.append(
                f'<table class="lmm-table">{cap}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>"
            )
        elif isinstance(block, Image):
            alt = html.escape(block.alt or block.shown_as)
            if block.path.suffix.lower() in {".png", ".svg"}:
                parts.append(
                    f'<figure><img src="{_image_src(block.path)}" alt="{alt}">'
                    f"<figcaption>{html.escape(block.shown_as)}</figcaption></figure>"
                )
            else:
                parts.append(
                    f'<p><a href="{html.escape(str(block.path))}">'
                    f"{html.escape(block.shown_as)}</a></p>"
                )
    return "\n".join(parts)
