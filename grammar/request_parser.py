"""The LALR parser of one request clause: grammar/request.lark with formula.lark imported.

lark caches the parse tables between runs (``cache=True``), keyed on the grammar files.
"""

from functools import lru_cache
from pathlib import Path

from lark import Lark


@lru_cache(maxsize=1)
def request_parser() -> Lark:
    """The LALR parser of one clause (request.lark with the formula grammar imported)."""
    here = Path(__file__).parent
    return Lark(
        (here / "request.lark").read_text(),
        parser="lalr",
        import_paths=[str(here)],
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )
