"""Words for files written by ``export_results``: which files, and which were replaced."""

from __future__ import annotations

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Paragraph
from assistant.step_results import ExportedFile, ExportedFiles

TABLE_WORDS = {
    "fixed_effects": "fixed effects",
    "variance_components": "variance components",
    "random_effects": "BLUPs",
    "fit": "the whole fit",
    "comparison": "model comparison",
}


def _file_words(file: ExportedFile) -> str:
    rows = "" if file.rows is None else f", {fmt.plural(file.rows, 'row')}"
    return f"`{file.path}` ({TABLE_WORDS.get(file.table, file.table)}{rows})"


def export_blocks(result: ExportedFiles) -> list[Block]:
    """One sentence listing the files, one naming any file replaced."""
    of_model = f" of {result.model.title}" if result.model is not None else ""
    noun = "file" if len(result.files) == 1 else "files"
    text = f"Wrote {len(result.files)} {noun}{of_model}: " + fmt.join_words(
        [_file_words(f) for f in result.files]
    ) + "."
    if result.fixed_effects_for_results:
        text += (" A CSV file holds one table, so it has the fixed effects; `export the "
                 "results` writes every table.")
    replaced = [f"`{f.path}`" for f in result.files if f.overwritten]
    if replaced:
        text += f" Replaced the existing {'file' if len(replaced) == 1 else 'files'} " + (
            fmt.join_words(replaced) + "."
        )
    return [Paragraph(text)]
