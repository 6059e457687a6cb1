"""Data sets: what was loaded, what the columns hold, reshapes, transforms and the
missing-data audit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.narrate import numbers as fmt
from assistant.narrate.blocks import Block, Detail, Paragraph, code, table
from assistant.step_results import DatasetLoaded
from engine.missing_codes import stray_text_fix, treat_as_missing_request

MAX_LEVELS = 6
SOURCE_WORDS = {
    "sample": "Loaded the sample",
    "file": "Loaded",
    "reshape": "Reshaped to long format as",
    "transform": "Transformed columns of",
    "missing_codes": "Changed",
    "given": "Using",
    "switch": "Switched to",
}


def dataset_blocks(result: DatasetLoaded) -> list[Block]:
    head = (
        f"{SOURCE_WORDS.get(result.source, 'Using')} `{result.name}`: "
        f"{fmt.plural(result.nrows, 'row')} and {fmt.plural(len(result.columns), 'column')}."
    )
    if result.description:
        head += f" {result.description}"
    blocks: list[Block] = [Paragraph(head)]
    if result.source == "reshape" and result.engine_result is not None:
        blocks.append(Paragraph(reshape_sentence(result.engine_result)))
    if result.source == "transform" and result.engine_result is not None:
        blocks.append(Paragraph(transform_sentence(result.engine_result)))
    if result.source == "missing_codes" and result.engine_result is not None:
        blocks.append(Paragraph(missing_codes_sentence(result.engine_result)))
    if result.summary is not None:
        blocks.append(Paragraph(roles_sentence(result.summary)))
        blocks.extend(Paragraph(text) for text in read_note_sentences(result.summary.read_notes))
        blocks.extend(Paragraph(text) for text in stray_text_sentences(result.summary))
        blocks.append(Detail(tuple(summary_blocks(result.summary, heading=False))))
    return blocks


def roles_sentence(summary: Any) -> str:
    parts = []
    if summary.id_guess:
        parts.append(f"{summary.id_guess} the grouping factor")
    if summary.time_guess:
        parts.append(f"{summary.time_guess} the time")
    if summary.outcome_guess:
        parts.append(f"{summary.outcome_guess} the outcome")
    if summary.layout == "wide":
        stubs = fmt.join_words([f"{s}_…" for s in summary.wide_stubs])
        return (
            f"The data look wide (one row per subject, repeated columns {stubs}); "
            "say `reshape from wide to long format first` before fitting."
        )
    if not parts:
        return "Columns: " + ", ".join(c.name for c in summary.columns) + "."
    return (
        "Columns: "
        + ", ".join(c.name for c in summary.columns)
        + ". Roles I would guess: "
        + fmt.join_words(parts)
        + "."
    )


def stray_text_sentences(summary: Any) -> list[str]:
    """One sentence per column of numbers that a few words turned into text."""
    sentences = []
    for col in summary.columns:
        stray = getattr(col, "stray_text", None)
        if not stray:
            continue
        entries = fmt.join_words([f"'{v}'" for v in stray])
        word = "entry" if len(stray) == 1 else "entries"
        sentences.append(
            f"`{col.name}` holds numbers but was read as text because of the {word} "
            f"{entries}; {stray_text_fix(stray)}."
        )
    return sentences + missing_code_sentences(
        [col.missing_code for col in summary.columns if getattr(col, "missing_code", None)]
    )


def read_note_sentences(notes: Sequence[Any]) -> list[str]:
    """What reading the file changed (``engine.read_notes.ReadNote``), one sentence per kind."""
    sentences = []
    sheet = [n for n in notes if n.kind == "sheet"]
    if sheet:
        others = fmt.join_words([f"'{o}'" for o in sheet[0].others])
        one = len(sheet[0].others) == 1
        sentences.append(
            f"Read the sheet '{sheet[0].detail}'; the workbook's other "
            f"{'sheet' if one else 'sheets'}, {others}, {'was' if one else 'were'} not read "
            f"(to analyse {'it' if one else 'one of them'}, save it as a file of its own)."
        )
    units = [n for n in notes if n.kind == "unit"]
    if units:
        parts = fmt.join_words([f"`{n.column}` ({n.detail})" for n in units])
        sentences.append(
            f"Read {parts} as numbers: every filled cell held a number followed by that unit."
        )
    grouped = [f"`{n.column}`" for n in notes if n.kind == "thousands"]
    if grouped:
        sentences.append(
            f"Read {fmt.join_words(grouped)} as numbers without the commas that group "
            "their thousands."
        )
    trimmed = [f"`{n.column}`" for n in notes if n.kind == "name_trimmed"]
    if trimmed:
        sentences.append(
            f"Removed the spaces around the {'name' if len(trimmed) == 1 else 'names'} "
            f"{fmt.join_words(trimmed)} in the file's header."
        )
    empty = [n.column for n in notes if n.kind == "empty_column"]
    if empty:
        columns = "a column" if len(empty) == 1 else f"{len(empty)} columns"
        sentences.append(
            f"Left out {columns} with neither a header nor values (a separator at the end of "
            "each line)."
        )
    return sentences


def missing_code_sentences(codes: Sequence[Any]) -> list[str]:
    """One sentence per numeric column with a value that looks like a missing-value code
    (``engine.missing_codes.SuspectedCode``)."""
    sentences = []
    for suspect in codes:
        value = str(int(suspect.value))
        others = fmt.value_range(suspect.other_min, suspect.other_max)
        sentences.append(
            f"`{suspect.column}` has the value {value} in {fmt.plural(suspect.count, 'row')}, "
            f"far outside its other values ({others}); it looks like a code for a missing "
            "value, which is analysed as a real measurement until you say "
            f"`{treat_as_missing_request([suspect.value])}`."
        )
    return sentences


def missing_codes_sentence(result: Any) -> str:
    """What ``treat -99 as missing`` changed (``engine.missing_codes.MissingCodeResult``)."""
    codes = fmt.join_words([f"'{c}'" for c in result.codes])
    parts = [
        f"{fmt.plural(cell.count, 'cell')} in `{cell.column}`" for cell in result.changed
    ]
    text = f"Marked {codes} as missing: {fmt.join_words(parts)}."
    numeric = [f"`{cell.column}`" for cell in result.changed if cell.now_numeric]
    if numeric:
        holds = "now holds" if len(numeric) == 1 else "now hold"
        text += f" {fmt.join_words(numeric)} {holds} numbers."
    return text + " Models fitted from now on leave those rows out; `undo` brings the values back."


def _dates_detail(col: Any) -> str:
    """ "2024-01-15 to 2024-03-29 (74 days), 30 distinct values"."""
    if col.first is None:
        return "no values"
    distinct = fmt.plural(col.n_unique, "distinct value")
    if col.first == col.last:
        return f"{col.first} only, {distinct}"
    days = fmt.plural(round(col.span_days), "day") if col.span_days >= 1 else (
        f"{fmt.number(col.span_days * 24)} hours"
    )
    return f"{col.first} to {col.last} ({days}), {distinct}"


def dates_sentence(summary: Any) -> str | None:
    """What to do with date columns before a model can use them."""
    dated = [c.name for c in summary.columns if c.kind == "datetime"]
    if not dated:
        return None
    one = len(dated) == 1
    names = fmt.join_words([f"`{name}`" for name in dated])
    return (
        f"{names} {'holds' if one else 'hold'} dates, which a model cannot use as they "
        "are; for time in a model, turn them into the days since the first date with "
        f"{code(f'convert {dated[0]} to days')}."
    )


def summary_blocks(summary: Any, heading: bool = True) -> list[Block]:
    rows = []
    for col in summary.columns:
        if col.kind == "numeric":
            detail = (
                f"{fmt.value_range(col.minimum, col.maximum)}, mean "
                f"{fmt.number(col.mean)}, SD {fmt.number(col.sd)}"
            )
            infinite = getattr(col, "n_infinite", 0)
            if infinite:
                detail += (
                    f" (without {fmt.plural(infinite, 'infinite value')}: replace "
                    f"{'it' if infinite == 1 else 'them'} or mark as missing before fitting)"
                )
        elif col.kind == "datetime":
            detail = _dates_detail(col)
        else:
            levels = ", ".join((col.levels or [])[:MAX_LEVELS])
            more = (col.n_levels or 0) - len((col.levels or [])[:MAX_LEVELS])
            detail = f"{fmt.integer(col.n_levels)} levels: {levels}" + (
                f", … ({fmt.integer(more)} more)" if more > 0 else ""
            )
        kind = "date/time" if col.kind == "datetime" else col.kind
        rows.append([col.name, kind, fmt.integer(col.n_missing), detail])
    blocks: list[Block] = []
    if heading:
        blocks.append(
            Paragraph(
                f"The data have {fmt.plural(summary.n_rows, 'row')} and "
                f"{fmt.plural(summary.n_columns, 'column')}; "
                f"{fmt.integer(summary.n_complete_rows)} rows have no missing value. "
                + roles_sentence(summary)
            )
        )
        notes = getattr(summary, "read_notes", ())
        blocks.extend(Paragraph(text) for text in read_note_sentences(notes))
        blocks.extend(Paragraph(text) for text in stray_text_sentences(summary))
        dates = dates_sentence(summary)
        if dates:
            blocks.append(Paragraph(dates))
    blocks.append(table(["Column", "Kind", "Missing", "Values"], rows, "llrl"))
    return blocks


def reshape_sentence(result: Any) -> str:
    times = ", ".join(fmt.value(t) for t in result.time_values)
    measures = fmt.join_words(list(result.value_columns))
    created = " (a new id column, one per row of the wide data)" if result.id_created else ""
    text = (
        f"{fmt.plural(result.n_subjects, 'subject')} identified by {result.id_column}{created}; "
        f"{measures} at {result.time_name} = {times}; {fmt.integer(result.n_rows_wide)} wide "
        f"rows became {fmt.integer(result.n_rows_long)} long rows."
    )
    cells = result.n_missing_cells
    if cells:
        left_out = result.n_rows_wide * len(result.time_values) - result.n_rows_long
        empty = f" {fmt.plural(cells, 'cell')} {'was' if cells == 1 else 'were'} empty; "
        if left_out >= cells:
            text += (
                empty + "those rows stay out, and a mixed model uses every other observation "
                "of those subjects."
            )
        elif left_out == 0:
            one = cells == 1
            text += (
                empty + f"{'its row is' if one else 'their rows are'} kept because another "
                "measure was observed there, and a model of that measure leaves "
                f"{'it' if one else 'them'} out."
            )
        else:
            # several measures: a row stays when one of its measures was observed
            text += (
                empty + f"{fmt.plural(left_out, 'row')} with every measure empty "
                f"{'stays' if left_out == 1 else 'stay'} out; the other empty cells are "
                "missing values in rows that are kept, and a model of that measure leaves "
                "them out."
            )
    unlisted = list(getattr(result, "unlisted", []) or [])
    if unlisted:
        names = fmt.join_words(unlisted)
        text += (
            f" {names} {'has' if len(unlisted) == 1 else 'have'} the same name pattern but "
            f"{'was' if len(unlisted) == 1 else 'were'} not among the visits named, so "
            f"{'it stays a column' if len(unlisted) == 1 else 'they stay columns'} (the same "
            f"value on every row of a subject); to include {'it' if len(unlisted) == 1 else 'them'}"
            f" as a visit, name {'it' if len(unlisted) == 1 else 'them'} too, or say "
            "`reshape to long` to take every numbered column."
        )
    return text


def transform_sentence(result: Any) -> str:
    pieces = []
    for t in result.transforms:
        if t.operation == "center":
            pieces.append(f"{t.column} centred (mean {fmt.number(t.center)} subtracted)")
        elif t.operation == "scale":
            pieces.append(f"{t.column} divided by its SD ({fmt.number(t.scale)})")
        elif t.operation == "standardize":
            pieces.append(
                f"{t.column} standardized (mean {fmt.number(t.center)}, SD {fmt.number(t.scale)})"
            )
        elif t.operation == "log":
            pieces.append(f"{t.column} replaced by its natural log")
        elif t.operation == "days":
            pieces.append(f"{t.column} replaced by the days since its first date, {t.origin[:10]}")
        else:
            pieces.append(
                f"{t.column} made a factor with {fmt.integer(len(t.levels or []))} levels"
            )
    return (
        "Changed: "
        + fmt.join_words(pieces)
        + ". Models fitted from now on use the new values; earlier models keep theirs."
    )
