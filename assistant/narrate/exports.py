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


def _several_models_words(result: ExportedFiles) -> str:
    """How a file of several models tells them apart."""
    kinds = {f.path.suffix.lower() for f in result.files if f.table != "comparison"}
    sentences = []
    if ".csv" in kinds:
        sentences.append(
            "Each CSV file is a long table: its `model` column holds the model number and "
            "`formula` the model's formula."
        )
    if ".json" in kinds:
        keys = fmt.join_words([f"`{key}`" for key in result.keys])
        sentences.append(f"The JSON file has one entry per model, keyed {keys}.")
    return " " + " ".join(sentences) if sentences else ""


def export_blocks(result: ExportedFiles) -> list[Block]:
    """One sentence listing the files, one naming any file replaced."""
    of_model = f" of {result.model.title}" if result.model is not None else ""
    if result.models:
        numbers = [str(m.number) for m in result.models]
        of_model = f" of model{'s' if len(numbers) > 1 else ''} {fmt.join_words(numbers)}"
    noun = "file" if len(result.files) == 1 else "files"
    text = f"Wrote {len(result.files)} {noun}{of_model}: " + fmt.join_words(
        [_file_words(f) for f in result.files]
    ) + "."
    if result.models:
        text += _several_models_words(result)
    if result.fixed_effects_for_results:
        text += (" A CSV file holds one table, so it has the fixed effects; `export the "
                 "results` writes every table.")
    replaced = [f"`{f.path}`" for f in result.files if f.overwritten]
    if replaced:
        text += f" Replaced the existing {'file' if len(replaced) == 1 else 'files'} " + (
            fmt.join_words(replaced) + "."
        )
    return [Paragraph(text)]
