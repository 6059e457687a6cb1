"""A direct reader of plain lme4 formulas, giving the same AST as the grammar.

formula.lark stays the definition of the language and of its error messages. Its LALR
parse runs in Python, token by token, and costs 60-90 µs on a formula such as
``y ~ x * g + (1 | subject)``: a tenth of a whole small fit. This module reads the same
grammar by recursive descent, one function per precedence level of formula.lark
(sum, product, colon, power, atom), in about a tenth of that time.

It accepts only what it can read exactly as the grammar does, and returns ``None``
for anything else, so that the LALR parser decides (and words the error):

* tokens: names starting with a letter, unsigned numbers starting with a digit, the
  operators and brackets of formula.lark, whitespace between them. Backtick-quoted
  names, names starting with ``.`` or ``_`` (``.5`` is a number there) and any other
  character are left to the grammar;
* any syntax error, and nesting deeper than Python's recursion limit.

Every token class starts with its own character and the two-character operators
(``||``, ``**``) are read longest first, as Lark's lexer does, so the tokens are
Lark's; tests/test_formula_reader.py checks that both readers agree on valid and
invalid formulas.
"""

from __future__ import annotations

import re

from grammar.formula import Bar, BinOp, Call, Expr, Neg, Num, Var

_SPACE_CHARS = " \t\f\r\n"  # formula.lark's WS (common.WS)
_SPACE = f"[{_SPACE_CHARS}]*"
_TOKEN = (
    r"([A-Za-z][A-Za-z0-9_.]*)"  # NAME, without the names starting with '.' or '_'
    r"|(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)"  # NUMBER, without the ones starting with '.'
    r"|(\|\||\*\*|[~+\-*/:^|(),])"  # operators, the two-character ones first
)
_TOKENS = re.compile(f"{_SPACE}(?:{_TOKEN})")


class _NotRead(Exception):
    """The text is not a formula this reader reads; the grammar decides."""


def read_formula(text: str) -> tuple[Expr, Expr] | None:
    """(response, right-hand side) of ``text``, as formula.lark's ``formula`` rule gives
    them, or ``None`` when the text is outside this reader's subset or not a formula."""
    tokens = _tokens(text)
    if tokens is None:
        return None
    try:
        return _Reader(tokens).formula()
    except (_NotRead, RecursionError):
        return None


def _tokens(text: str) -> list[tuple[str, str, str]] | None:
    """(name, number, operator) per token, one of them non-empty; ``None`` when some
    character is not part of a token. Each token is the longest match at its place,
    as in Lark's lexer."""
    tokens = []
    end = 0
    for match in _TOKENS.finditer(text):
        if match.start() != end:
            return None
        tokens.append(match.groups())
        end = match.end()
    return None if text[end:].strip(_SPACE_CHARS) else tokens


class _Reader:
    """Recursive descent over formula.lark's rules; ``kinds[i]`` is "NAME", "NUMBER" or
    the operator itself, "" after the last token."""

    def __init__(self, tokens: list[tuple[str, str, str]]) -> None:
        self.kinds = [
            "NAME" if name else "NUMBER" if number else op for name, number, op in tokens
        ]
        self.kinds.append("")
        self.texts = [name or number or op for name, number, op in tokens]
        self.texts.append("")
        self.at = 0

    def _take(self, kind: str) -> None:
        if self.kinds[self.at] != kind:
            raise _NotRead
        self.at += 1

    def formula(self) -> tuple[Expr, Expr]:
        """``formula: sum "~" sum``."""
        response = self.sum()
        self._take("~")
        rhs = self.sum()
        self._take("")
        return response, rhs

    def sum(self) -> Expr:
        """``sum``: products joined by + and - (left to right); a leading - or +."""
        kind = self.kinds[self.at]
        if kind == "-":
            self.at += 1
            expr: Expr = Neg(self.product())
        else:
            if kind == "+":
                self.at += 1
            expr = self.product()
        while (kind := self.kinds[self.at]) in ("+", "-"):
            self.at += 1
            expr = BinOp(kind, expr, self.product())
        return expr

    def product(self) -> Expr:
        """``product``: colons joined by * and / (left to right)."""
        expr = self.colon()
        while (kind := self.kinds[self.at]) in ("*", "/"):
            self.at += 1
            expr = BinOp(kind, expr, self.colon())
        return expr

    def colon(self) -> Expr:
        """``colon``: powers joined by : (left to right)."""
        expr = self.power()
        while self.kinds[self.at] == ":":
            self.at += 1
            expr = BinOp(":", expr, self.power())
        return expr

    def power(self) -> Expr:
        """``power``: an atom, or two atoms joined by ^ or ** (not chained)."""
        expr = self.atom()
        if self.kinds[self.at] in ("^", "**"):
            self.at += 1
            expr = BinOp("^", expr, self.atom())
        return expr

    def atom(self) -> Expr:
        """``atom``: a name, a number, a call, a bracketed sum or a random term."""
        kind, text = self.kinds[self.at], self.texts[self.at]
        self.at += 1
        if kind == "NUMBER":
            return Num(float(text), text)
        if kind == "NAME":
            if self.kinds[self.at] != "(":
                return Var(text)
            self.at += 1
            return Call(text, self._arguments())
        if kind != "(":
            raise _NotRead
        inner = self.sum()
        closing = self.kinds[self.at]
        self.at += 1
        if closing == ")":
            return inner
        if closing not in ("|", "||"):
            raise _NotRead
        group = self.sum()
        self._take(")")
        return Bar(inner, group, closing == "|")

    def _arguments(self) -> tuple[Expr, ...]:
        """``arguments: sum ("," sum)*`` up to the closing bracket (none: ``f()``)."""
        if self.kinds[self.at] == ")":
            self.at += 1
            return ()
        args = [self.sum()]
        while self.kinds[self.at] == ",":
            self.at += 1
            args.append(self.sum())
        self._take(")")
        return tuple(args)
