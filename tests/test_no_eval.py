"""No user text is ever evaluated: no eval/exec (or their cousins) anywhere in the code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("assistant", "engine", "grammar", "benchmarks", "tests")

#: Built-ins that run text as code.
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__", "execfile"}
#: Methods that evaluate expression strings (pandas' DataFrame.eval/query, pd.eval).
FORBIDDEN_METHODS = {"eval", "exec", "query"}


def python_files() -> list[Path]:
    files: list[Path] = []
    for folder in SOURCE_DIRS:
        files.extend(sorted((ROOT / folder).rglob("*.py")))
    return files


def evaluating_calls(source: str) -> list[tuple[int, str]]:
    """(line, name) of every call that would evaluate text as code."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in FORBIDDEN_BUILTINS:
            found.append((node.lineno, func.id))
        elif isinstance(func, ast.Attribute) and func.attr in FORBIDDEN_METHODS:
            found.append((node.lineno, "." + func.attr))
    return found


def test_the_checker_catches_every_form_of_evaluation():
    sample = (
        "eval('1')\nexec('x = 1')\ncompile('1', 'f', 'eval')\n__import__('os')\n"
        "df.eval('a + b')\ndf.query('a > 1')\npd.eval('1 + 1')\n"
        "builtins.exec('x')\n"
    )
    assert [name for _, name in evaluating_calls(sample)] == [
        "eval", "exec", "compile", "__import__", ".eval", ".query", ".eval", ".exec",
    ]
    assert evaluating_calls("text = 'never eval(x) or exec(y)'  # eval(z)\n") == []


def test_the_source_tree_is_scanned():
    names = {path.parent.name for path in python_files()}
    assert {"assistant", "grammar", "engine"} <= names


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_eval_or_exec_in(path: Path):
    calls = evaluating_calls(path.read_text(encoding="utf-8"))
    assert calls == [], f"{path.relative_to(ROOT)} evaluates text as code at {calls}"
