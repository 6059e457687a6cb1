"""Start-up cost: the parser cache (grammar/parser_cache.py), the keyword lexing that
makes a lexer state's first use cheaper, and the imports left for later."""

from __future__ import annotations

import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lark import Lark, Tree

from grammar import parser_cache
from grammar.parser_cache import MAGIC, cache_key, cached_parser
from grammar.request_parser import WORD_END, grammar_and_key, keyword_text, request_parser

GRAMMAR_DIR = Path(__file__).resolve().parent.parent / "grammar"
FORMULAS = [
    "y ~ x + (1 | g)",
    "Reaction ~ Days + (Days || Subject)",
    "log(y) ~ poly(x, 2) * f + (1 + x | a/b) + offset(w)",
    "y ~ 0 + x:z - 1 + (1 | a:b)",
    "`odd name` ~ I(x^2) + (1 | g)",
]


class Builds:
    """Builds a small LALR parser and counts how often it had to."""

    def __init__(self, grammar: str) -> None:
        self.grammar = grammar
        self.count = 0

    def __call__(self) -> Lark:
        self.count += 1
        return Lark(self.grammar, parser="lalr")


WORDS = 'start: WORD+\nWORD: /[a-z]+/\n%ignore " "\n'


def test_a_cached_parser_is_read_back_not_rebuilt(tmp_path):
    build = Builds(WORDS)
    first = cached_parser("words", cache_key(WORDS), build, directory=tmp_path)
    again = cached_parser("words", cache_key(WORDS), build, directory=tmp_path)
    assert build.count == 1
    assert first is not again
    assert again.parse("two words") == Tree("start", ["two", "words"])


def test_a_changed_grammar_is_rebuilt(tmp_path):
    cached_parser("words", cache_key(WORDS), Builds(WORDS), directory=tmp_path)
    changed = WORDS.replace("[a-z]", "[a-z0-9]")
    build = Builds(changed)
    parser = cached_parser("words", cache_key(changed), build, directory=tmp_path)
    assert build.count == 1
    assert parser.parse("r2 d2") == Tree("start", ["r2", "d2"])
    assert len(list(tmp_path.glob("words-*.pickle"))) == 2


def test_the_request_parser_key_follows_every_grammar_file(tmp_path):
    for name in ("request.lark", "formula.lark"):
        folder = tmp_path / name
        shutil.copytree(GRAMMAR_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        grammar, key = grammar_and_key(folder)
        assert (grammar, key) == grammar_and_key(GRAMMAR_DIR)
        with (folder / name).open("a") as file:
            file.write("\n// edited\n")
        assert grammar_and_key(folder)[1] != key


def _stored_file(tmp_path: Path) -> Path:
    cached_parser("words", cache_key(WORDS), Builds(WORDS), directory=tmp_path)
    (path,) = tmp_path.glob("words-*.pickle")
    return path


class Marker:
    """Unpickling this creates a file: proof that a file was unpickled."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def _plant(path: Path, header: bytes, marker: Path) -> None:
    path.write_bytes(header + pickle.dumps(Marker(marker)))


@pytest.mark.parametrize("header", [b"", MAGIC, MAGIC + b"0" * 64 + b"\n"])
def test_a_file_without_the_expected_header_is_never_unpickled(tmp_path, header):
    path = _stored_file(tmp_path)
    marker = tmp_path / "unpickled"
    _plant(path, header, marker)
    build = Builds(WORDS)
    parser = cached_parser("words", cache_key(WORDS), build, directory=tmp_path)
    assert not marker.exists()
    assert build.count == 1 and parser.parse("ok") == Tree("start", ["ok"])


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
@pytest.mark.parametrize("open_to_others", ["file", "folder"])
def test_a_file_others_may_write_is_never_unpickled(tmp_path, open_to_others):
    path = _stored_file(tmp_path)
    marker = tmp_path / "unpickled"
    _plant(path, MAGIC + cache_key(WORDS).encode() + b"\n", marker)
    (path if open_to_others == "file" else tmp_path).chmod(0o777)
    build = Builds(WORDS)
    cached_parser("words", cache_key(WORDS), build, directory=tmp_path)
    assert not marker.exists() and build.count == 1


def test_a_damaged_file_is_rebuilt(tmp_path):
    path = _stored_file(tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    build = Builds(WORDS)
    parser = cached_parser("words", cache_key(WORDS), build, directory=tmp_path)
    assert build.count == 1 and parser.parse("still fine") == Tree("start", ["still", "fine"])
    assert cached_parser("words", cache_key(WORDS), build, directory=tmp_path) is not None
    assert build.count == 1


def test_a_parser_read_back_parses_as_the_one_built(tmp_path):
    """The LALR table survives the file: lark tells shift from reduce by object identity."""
    text = (GRAMMAR_DIR / "formula.lark").read_text()
    options = {"start": ["formula", "sum"], "parser": "lalr", "propagate_positions": True}
    fresh = Lark(text, **options)
    cached_parser("formula", cache_key(text), lambda: Lark(text, **options), directory=tmp_path)
    read_back = parser_cache._read(next(tmp_path.glob("formula-*.pickle")), cache_key(text))
    assert read_back is not None
    for formula in FORMULAS:
        assert read_back.parse(formula, start="formula") == fresh.parse(formula, start="formula")


def test_old_cache_files_are_pruned(tmp_path):
    for version in range(parser_cache.KEEP_OLD + 3):
        grammar = WORDS + f"// version {version}\n"
        cached_parser("words", cache_key(grammar), Builds(grammar), directory=tmp_path)
    assert len(list(tmp_path.glob("words-*.pickle"))) == parser_cache.KEEP_OLD + 1


def test_word_end_refuses_the_characters_case_folding_lets_in():
    """WORD_END, checked case-sensitively, refuses exactly what the old case-insensitive
    check ``(?![A-Za-z0-9_]|\\.[A-Za-z0-9_])`` refused, for every character."""
    old = re.compile(r"(?i:x(?![A-Za-z0-9_]|\.[A-Za-z0-9_]))")
    new = re.compile(f"(?i:x{WORD_END})")
    differ = [
        hex(code) for code in range(sys.maxunicode + 1)
        for text in ("x" + chr(code), "x." + chr(code))
        if (old.match(text) is None) != (new.match(text) is None)
    ]
    assert differ == []
    assert new.match("X\u212a") is None and new.match("x.\u017f") is None
    assert new.match("x.") is not None and new.match("x ") is not None


@pytest.mark.parametrize(("text", "literal"), [("r²", "r²"), ("effect-size", "effect-size")])
def test_a_letter_literal_wins_over_the_keyword_at_its_start(text, literal):
    (token,) = request_parser().lex(text)
    assert keyword_text(request_parser().get_terminal(token.type).pattern) == literal


def test_importing_the_session_leaves_optional_libraries_unloaded():
    """matplotlib, statsmodels, scipy.stats/optimize, file readers and the REPL load when
    a request needs them, not with the package."""
    optional = ["matplotlib", "matplotlib.pyplot", "statsmodels", "scipy.stats",
                "scipy.optimize", "openpyxl", "formulaic", "prompt_toolkit"]
    code = ("import sys, assistant.session; "
            f"print(' '.join(m for m in {optional!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.split() == []
