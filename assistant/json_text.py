"""Indented JSON text for result files, fast on long lists of flat rows.

:func:`indented_json` gives exactly the text of ``json.dumps(json_safe(value), indent=2,
allow_nan=False)``. The standard library writes indented JSON with its pure-Python encoder,
one call per value, which takes seconds for the fit JSON of a model with 250,000 BLUPs.
Here a list of dicts that all have the same keys and only scalar values (a table's rows)
is written column by column: each column's values are turned into JSON text together,
and the rows are joined in one call.
"""

from __future__ import annotations

import json
import math
from itertools import chain, repeat
from json.encoder import encode_basestring_ascii
from typing import Any

import numpy as np

from assistant.step_results import json_safe

_INDENT = "  "
_SCALARS = (str, int, float, bool, type(None))


def indented_json(value: Any) -> str:
    """``json.dumps(json_safe(value), indent=2, allow_nan=False)``, the same characters."""
    return "".join(_encode(value, 0))


def _encode(value: Any, level: int) -> list[str]:
    kind = type(value)
    if kind is dict:
        return _encode_dict(value, level)
    if kind is list or kind is tuple:
        return _encode_list(value, level)
    if kind in _SCALARS:
        return [_scalar(value)]
    safe = json_safe(value)
    if type(safe) in (dict, list):
        return _encode(safe, level)
    return [_scalar(safe)]


def _encode_dict(value: dict, level: int) -> list[str]:
    if not value:
        return ["{}"]
    if not all(type(key) is str for key in value):
        value = {str(key): item for key, item in value.items()}  # as json_safe does
    inner = "\n" + _INDENT * (level + 1)
    parts = ["{"]
    for i, (key, item) in enumerate(value.items()):
        parts.append(("," if i else "") + inner + encode_basestring_ascii(str(key)) + ": ")
        parts.extend(_encode(item, level + 1))
    parts.append("\n" + _INDENT * level + "}")
    return parts


def _encode_list(value: list | tuple, level: int) -> list[str]:
    if not value:
        return ["[]"]
    rows = _flat_rows(value)
    if rows is not None:
        return [_encode_rows(value, rows, level)]
    return _encode_list_general(value, level)


def _flat_rows(value: list | tuple) -> tuple[str, ...] | None:
    """The shared keys when every item is a non-empty dict with the same string keys in
    the same order, else None."""
    first = value[0]
    if type(first) is not dict or not first:
        return None
    keys = tuple(first)
    if not all(type(k) is str for k in keys):
        return None
    for row in value:
        if type(row) is not dict or tuple(row) != keys:
            return None
    return keys


def _encode_rows(value: list | tuple, keys: tuple[str, ...], level: int) -> str:
    """A list of flat rows, column by column; falls back to the general path for a column
    that holds a list, a dict or another object that is not a plain scalar."""
    columns = []
    for key in keys:
        column = [row[key] for row in value]
        texts = _column_texts(column)
        if texts is None:
            return "".join(_encode_list_general(value, level))
        columns.append(texts)
    # each row is: opening brace, each key with its value, closing brace; the pieces are
    # interleaved with the columns and joined once
    row_indent = "\n" + _INDENT * (level + 1)
    field_indent = "\n" + _INDENT * (level + 2)
    n = len(value)
    pieces: list[Any] = []
    for i, (key, texts) in enumerate(zip(keys, columns, strict=True)):
        opening = row_indent + "{" if i == 0 else ","
        pieces += [repeat(opening + field_indent + encode_basestring_ascii(key) + ": ", n), texts]
    pieces.append(repeat(row_indent + "},", n))
    body = "".join(chain.from_iterable(zip(*pieces, strict=True)))
    return "[" + body[:-1] + "\n" + _INDENT * level + "]"


def _encode_list_general(value: list | tuple, level: int) -> list[str]:
    """A non-empty list item by item, as the standard encoder writes it."""
    inner = "\n" + _INDENT * (level + 1)
    parts = ["["]
    for i, item in enumerate(value):
        parts.append(("," if i else "") + inner)
        parts.extend(_encode(item, level + 1))
    parts.append("\n" + _INDENT * level + "]")
    return parts


def _column_texts(column: list) -> list[str] | None:
    """The JSON text of each value of one column, or None when one is not a scalar."""
    kinds = set(map(type, column))
    if kinds == {float}:
        texts = list(map(float.__repr__, column))
        for i in np.flatnonzero(~np.isfinite(np.asarray(column, dtype=float))).tolist():
            texts[i] = "null"
        return texts
    if kinds == {str}:
        return list(map(encode_basestring_ascii, column))
    texts = []
    for item in column:
        if type(item) not in _SCALARS:
            item = json_safe(item)
            if type(item) in (dict, list):
                return None
        texts.append(_scalar(item))
    return texts


def _scalar(value: Any) -> str:
    """One plain value as ``json.dumps`` writes it once ``json_safe`` has made it plain."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if kind is float:
        return float.__repr__(value) if math.isfinite(value) else "null"
    if kind is int:
        return int.__repr__(value)
    # anything else is written (or refused) as json.dumps does
    return json.dumps(json_safe(value), allow_nan=False)
