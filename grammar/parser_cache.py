"""A per-user cache of built Lark parsers, pickled whole.

lark's own cache (``cache=True``) stores a serialized form that takes about a second to
turn back into the request grammar's ~11,000-state parse table; unpickling the finished
:class:`lark.Lark` object takes a fraction of that. Each file is keyed on everything
the parser is built from (the caller's :func:`cache_key`: grammar texts, lark's and
Python's versions), so a changed grammar is rebuilt, never served stale.

Only files this project wrote are ever unpickled: they live in a directory of the
user's own (``$LMM_CACHE_DIR``, else ``$XDG_CACHE_HOME/lmm-assistant``, else
``~/.cache/lmm-assistant``), created private, and a file is read only when the
directory and the file belong to the user, no one else may write them, and the file
starts with this module's header and the expected key. Anything else, or any failure
to read, means a rebuild.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import re
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import lark
from lark import Lark
from lark.parsers.lalr_analysis import Reduce, Shift

MAGIC = b"lmm-assistant parser cache v1\n"
#: Cache files of one parser name kept besides the newest: checkouts with other grammars
#: (worktrees, branches) share the directory; each file is ~5 MB.
KEEP_OLD = 7
#: Objects of the running program a built parser refers to, stored by name: lark's
#: lexers keep the ``re`` module (which cannot be pickled), and its LALR parser tells a
#: shift from a reduce by the identity of these two action objects (copies would not do).
_SHARED: dict[str, object] = {"re": re, "Shift": Shift, "Reduce": Reduce}


def cache_dir() -> Path:
    """The directory of this user's parser caches (it may not exist yet)."""
    explicit = os.environ.get("LMM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lmm-assistant"


def cache_key(*parts: str | bytes) -> str:
    """A SHA-256 of ``parts``, lark's and Python's versions and this module's source (a
    file stores what lark, Python and this module make of the parser)."""
    digest = hashlib.sha256()
    for part in (lark.__version__, sys.version, Path(__file__).read_bytes(), *parts):
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


def cached_parser(name: str, key: str, build: Callable[[], Lark],
                  directory: Path | None = None) -> Lark:
    """The parser ``build()`` makes, from the cache when a file with ``key`` is there.

    A missing, stale, foreign or unreadable file is rebuilt and written anew; a cache
    that cannot be written only costs the rebuild next time. A new file is read back at
    once, so that every run parses with a parser that went through the file.
    """
    folder = cache_dir() if directory is None else directory
    path = folder / f"{name}-{key[:32]}.pickle"
    parser = _read(path, key)
    if parser is not None:
        return parser
    built = build()
    _drop_build_state(built)
    _share_equal_actions(built)
    try:
        _write(path, key, built)
    except (OSError, pickle.PicklingError, TypeError):
        return built
    _prune(folder, name, keep=path)
    reread = _read(path, key)
    return reread if reread is not None else built


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> str | None:
        for name, shared in _SHARED.items():
            if obj is shared:
                return name
        return None


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> object:
        if pid not in _SHARED:
            raise pickle.UnpicklingError(f"unknown shared object {pid!r}")
        return _SHARED[pid]


def _private(info: os.stat_result) -> bool:
    """Owned by this user and writable by no one else."""
    if not hasattr(os, "getuid"):
        return True
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path, key: str) -> Lark | None:
    try:
        if not _private(path.parent.stat()):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    expected = key.encode() + b"\n"
    with os.fdopen(fd, "rb") as file:
        try:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode) or not _private(info):
                return None
            if (file.readline(len(MAGIC)) != MAGIC
                    or file.readline(len(expected)) != expected):
                return None
        except OSError:
            return None
        return _unpickle(file)


def _unpickle(file: IO[bytes]) -> Lark | None:
    # The collector would walk the growing object graph again and again while hundreds
    # of thousands of table entries are created; loading takes about twice as long.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        parser = _Unpickler(file).load()
    except Exception:  # noqa: BLE001 - a damaged or outdated file can fail in any way
        return None
    finally:
        if was_enabled:
            gc.enable()
    return parser if isinstance(parser, Lark) else None


def _write(path: Path, key: str, parser: Lark) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(MAGIC + key.encode() + b"\n")
            _Pickler(file, protocol=pickle.HIGHEST_PROTOCOL).dump(parser)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _prune(folder: Path, name: str, keep: Path) -> None:
    """Remove all but the newest :data:`KEEP_OLD` other cache files of ``name``."""
    others = [p for p in folder.glob(f"{name}-*.pickle") if p != keep]
    try:
        others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[KEEP_OLD:]:
            old.unlink(missing_ok=True)
    except OSError:
        return


def _drop_build_state(parser: Lark) -> None:
    """Leave out what only building needed, as lark's own cache does: the grammar's
    parse trees (~40,000 objects for the request grammar) and the ignore list."""
    for name in ("grammar", "ignore_tokens"):
        vars(parser).pop(name, None)


def _share_equal_actions(parser: Lark) -> None:
    """Make equal entries of an LALR parse table one tuple object.

    lark creates a new ``(action, argument)`` tuple for each of the ~230,000 entries
    though only ~18,000 differ; shared, the pickle is smaller and loads twice as fast.
    Tuples are immutable, so the parser behaves the same.
    """
    table = getattr(getattr(parser.parser, "parser", None), "_parse_table", None)
    states = getattr(table, "states", None)
    if not isinstance(states, dict):
        return
    shared: dict[tuple[object, object], tuple[object, object]] = {}
    for actions in states.values():
        for token, entry in actions.items():
            action, argument = entry
            # a state number by value, a rule by identity (equal rules may differ in alias)
            identity = argument if isinstance(argument, int) else id(argument)
            actions[token] = shared.setdefault((action, identity), entry)
