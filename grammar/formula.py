"""The lme4 model-formula language: text to a typed formula, never to code.

``parse_formula("y ~ x * g + (1 + x | subject)")`` returns a :class:`ModelFormula`
whose fixed part is expanded into terms with R's formula algebra (Wilkinson and
Rogers 1973; Chambers and Hastie 1992, as implemented by R's ``terms()``) and whose
random part follows lme4's ``findbars``/``expandDoubleVerts`` rules (Bates et al.
2015, JSS 67(1), section 2.1):

* ``(x || g)`` becomes one uncorrelated term per fixed-effects term of ``x``;
* ``(1 | a/b)`` becomes ``(1 | a) + (1 | b:a)``, named the way lme4 names it.

Function calls are parsed, then checked against :data:`FORMULA_FUNCTIONS`, the one
whitelist of the project. The engine evaluates whitelisted calls with its own
implementations; no part of a formula is ever passed to ``eval``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

#: The only functions a formula may call, with their number of arguments and what
#: they do. The engine implements exactly these names (engine/transforms.py).
FORMULA_FUNCTIONS: dict[str, tuple[int, str]] = {
    "log": (1, "natural logarithm"),
    "log2": (1, "base-2 logarithm"),
    "log10": (1, "base-10 logarithm"),
    "log1p": (1, "log(1 + x)"),
    "exp": (1, "exponential"),
    "sqrt": (1, "square root"),
    "abs": (1, "absolute value"),
    "scale": (1, "centre on the mean and divide by the SD"),
    "center": (1, "subtract the mean"),
    "I": (1, "arithmetic as written: I(x^2), I(time - 3)"),
    "factor": (1, "treat a numeric column as a categorical factor"),
    "as.factor": (1, "treat a numeric column as a categorical factor"),
    "poly": (2, "orthogonal polynomial of the given degree, as R's poly(x, d)"),
}

#: Operators allowed inside function arguments, where they mean arithmetic.
ARITHMETIC_OPERATORS = frozenset({"+", "-", "*", "/", "^"})


class FormulaError(ValueError):
    """A formula that cannot be read. ``str(err)`` is a full sentence for a person."""

    def __init__(self, message: str, *, formula: str = "", column: int | None = None):
        self.message = message
        self.formula = formula
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        if self.column is None or not self.formula:
            return self.message
        caret = " " * (self.column - 1) + "^"
        return f"{self.message}\n    {self.formula}\n    {caret}"


# --------------------------------------------------------------------------- AST
@dataclass(frozen=True)
class Var:
    """A column of the data, by name."""

    name: str

    def text(self) -> str:
        if re.fullmatch(r"[A-Za-z.][A-Za-z0-9_.]*", self.name):
            return self.name
        return f"`{self.name}`"


@dataclass(frozen=True)
class Num:
    """A numeric literal (``0`` and ``1`` switch the intercept off and on)."""

    value: float
    literal: str

    def text(self) -> str:
        return self.literal


@dataclass(frozen=True)
class Call:
    """A whitelisted function applied to arguments, e.g. ``log(x)`` or ``I(x^2)``."""

    func: str
    args: tuple[Expr, ...]

    def text(self) -> str:
        return f"{self.func}({', '.join(a.text() for a in self.args)})"


@dataclass(frozen=True)
class BinOp:
    """A binary operator: formula algebra at top level, arithmetic inside a call."""

    op: str
    left: Expr
    right: Expr

    def text(self) -> str:
        if self.op in {":", "^", "/"}:
            return f"{_wrap(self.left, self.op)}{self.op}{_wrap(self.right, self.op)}"
        return f"{_wrap(self.left, self.op)} {self.op} {_wrap(self.right, self.op, right=True)}"


@dataclass(frozen=True)
class Neg:
    """Unary minus: ``-1`` in a formula, negation inside a call."""

    operand: Expr

    def text(self) -> str:
        return f"-{_wrap(self.operand, 'neg')}"


@dataclass(frozen=True)
class Bar:
    """A random-effects term as written: ``(lhs | group)`` or ``(lhs || group)``."""

    lhs: Expr
    group: Expr
    correlated: bool

    def text(self) -> str:
        bar = "|" if self.correlated else "||"
        return f"({self.lhs.text()} {bar} {self.group.text()})"


Expr = Var | Num | Call | BinOp | Neg | Bar

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, ":": 3, "neg": 4, "^": 5}


def _wrap(expr: Expr, parent: str, right: bool = False) -> str:
    inner = expr.op if isinstance(expr, BinOp) else ("neg" if isinstance(expr, Neg) else None)
    if inner is None:
        return expr.text()
    looser = _PRECEDENCE[inner] < _PRECEDENCE[parent]
    same_right = right and _PRECEDENCE[inner] == _PRECEDENCE[parent] and parent in {"-", "/"}
    return f"({expr.text()})" if looser or same_right else expr.text()


# ------------------------------------------------------------------ model terms
@dataclass(frozen=True)
class Term:
    """One fixed-effects term: a product of factors (``a``, ``a:b``, ``log(x):g``)."""

    factors: tuple[Expr, ...]

    @property
    def label(self) -> str:
        return ":".join(f.text() for f in self.factors)

    @property
    def key(self) -> frozenset[str]:
        return frozenset(f.text() for f in self.factors)

    @property
    def order(self) -> int:
        return len(self.factors)


@dataclass(frozen=True)
class RandomTerm:
    """One random-effects term after lme4's expansion.

    ``intercept`` and ``terms`` describe the columns of the term's model matrix;
    ``group`` is the grouping factor (several factors form their interaction, and
    the level labels join their values with ``:``, as lme4 does).
    ``from_double_bar`` marks the pieces of a ``||`` term.
    """

    intercept: bool
    terms: tuple[Term, ...]
    group: tuple[Expr, ...]
    from_double_bar: bool = False

    @property
    def group_label(self) -> str:
        return ":".join(g.text() for g in self.group)

    @property
    def group_variables(self) -> tuple[str, ...]:
        return tuple(name for g in self.group for name in variables_in(g))

    @property
    def lhs_text(self) -> str:
        head = "1" if self.intercept else "0"
        return " + ".join([head, *(t.label for t in self.terms)])

    def text(self) -> str:
        return f"({self.lhs_text} | {self.group_label})"


@dataclass(frozen=True)
class ModelFormula:
    """A parsed and expanded lme4 formula."""

    source: str
    response: Expr
    intercept: bool
    fixed_terms: tuple[Term, ...]
    random_terms: tuple[RandomTerm, ...]
    written_random: tuple[Bar, ...] = field(default=())
    #: Every column named in the written right-hand side, also those the expansion
    #: drops (``x:1``, ``x - x``): each must exist, as R's model frame requires.
    written_variables: tuple[str, ...] = field(default=())

    @property
    def response_label(self) -> str:
        return self.response.text()

    def fixed_text(self) -> str:
        """The fixed part alone, e.g. ``1 + x + g + x:g`` (``0 + ...`` without intercept)."""
        head = "1" if self.intercept else "0"
        return " + ".join([head, *(t.label for t in self.fixed_terms)])

    def text(self) -> str:
        """Canonical lme4 text: the fixed terms, then the random terms as written."""
        fixed = [t.label for t in self.fixed_terms]
        if not self.intercept:
            fixed = ["0", *fixed]
        elif not fixed:
            fixed = ["1"]
        rhs = " + ".join(fixed + [b.text() for b in self.written_random])
        return f"{self.response.text()} ~ {rhs}"

    def variables(self) -> tuple[str, ...]:
        """Every data column the formula uses, in order of first appearance."""
        seen: dict[str, None] = {}
        for name in variables_in(self.response):
            seen[name] = None
        for term in self.fixed_terms:
            for f in term.factors:
                for name in variables_in(f):
                    seen[name] = None
        for rt in self.random_terms:
            for term in rt.terms:
                for f in term.factors:
                    for name in variables_in(f):
                        seen[name] = None
            for name in rt.group_variables:
                seen[name] = None
        return tuple(seen)

    def grouping_variables(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for rt in self.random_terms:
            for name in rt.group_variables:
                seen[name] = None
        return tuple(seen)


def variables_in(expr: Expr) -> tuple[str, ...]:
    """Column names referenced by an expression (numbers and function names excluded)."""
    if isinstance(expr, Var):
        return (expr.name,)
    if isinstance(expr, Num):
        return ()
    if isinstance(expr, Call):
        return tuple(n for a in expr.args for n in variables_in(a))
    if isinstance(expr, BinOp):
        return variables_in(expr.left) + variables_in(expr.right)
    if isinstance(expr, Neg):
        return variables_in(expr.operand)
    return variables_in(expr.lhs) + variables_in(expr.group)


# ----------------------------------------------------------------------- parser
class _ToAst(Transformer):
    """Builds the AST; rule names match the labels in formula.lark."""

    def formula(self, items):
        return tuple(items)

    @v_args(inline=True)
    def add(self, a, b):
        return BinOp("+", a, b)

    @v_args(inline=True)
    def remove(self, a, b):
        return BinOp("-", a, b)

    @v_args(inline=True)
    def negate(self, a):
        return Neg(a)

    @v_args(inline=True)
    def sum(self, a):  # unary plus
        return a

    @v_args(inline=True)
    def cross(self, a, b):
        return BinOp("*", a, b)

    @v_args(inline=True)
    def nest(self, a, b):
        return BinOp("/", a, b)

    @v_args(inline=True)
    def interact(self, a, b):
        return BinOp(":", a, b)

    @v_args(inline=True)
    def power(self, a, b):
        return BinOp("^", a, b)

    @v_args(inline=True)
    def variable(self, tok: Token):
        return Var(str(tok))

    @v_args(inline=True)
    def quoted_variable(self, tok: Token):
        return Var(str(tok)[1:-1])

    @v_args(inline=True)
    def number(self, tok: Token):
        return Num(float(tok), str(tok))

    def call(self, items):
        name = items[0]
        args = items[1] if len(items) > 1 and items[1] is not None else ()
        return Call(str(name), tuple(args))

    def arguments(self, items):
        return tuple(items)

    @v_args(inline=True)
    def random_correlated(self, lhs, group):
        return Bar(lhs, group, True)

    @v_args(inline=True)
    def random_uncorrelated(self, lhs, group):
        return Bar(lhs, group, False)


#: The AST builder under a public name, for grammars that import formula.lark
#: (grammar/parse.py merges it into the request transformer).
FormulaToAst = _ToAst


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser with the AST builder run inside it: no parse tree is built,
    which saves a fifth of the time of parsing a formula."""
    path = Path(__file__).with_name("formula.lark")
    return Lark(
        path.read_text(), start=["formula", "sum"], parser="lalr", maybe_placeholders=True,
        transformer=_ToAst(),
    )


_TOKEN_WORDS = {
    "NAME": "a column name",
    "QUOTED_NAME": "a `quoted column name`",
    "NUMBER": "a number",
    "LPAR": "'('",
    "RPAR": "')'",
    "TILDE": "'~'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "COLON": "':'",
    "VBAR": "'|'",
    "__ANON_0": "'||'",
    "COMMA": "','",
    "CIRCUMFLEX": "'^'",
    "$END": "the end of the formula",
}


def _describe_expected(expected: set[str]) -> str:
    words = sorted({_TOKEN_WORDS.get(e, e.lower()) for e in expected})
    if len(words) > 5:
        important = [w for w in words if w in {"a column name", "a number", "'('", "')'"}]
        words = important or words[:5]
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]


def _syntax_error(text: str, err: LarkError) -> FormulaError:
    if isinstance(err, UnexpectedEOF) or (
        isinstance(err, UnexpectedToken) and err.token.type == "$END"
    ):
        opened = text.count("(") - text.count(")")
        problem = (" A '(' is never closed; add the missing ')'." if opened > 0 else
                   " Finish it with a term, e.g. `y ~ x + (1 | group)`.")
        return FormulaError(
            f"The formula ends too early; it needs something after the last symbol.{problem}",
            formula=text,
            column=len(text) + 1,
        )
    if isinstance(err, UnexpectedCharacters):
        char = text[err.pos_in_stream] if err.pos_in_stream < len(text) else "?"
        hint = ""
        if char in "'\"":
            hint = " Quote column names with backticks, like `my column`."
        elif char in "[]{};=@$!&<>":
            hint = " Formulas use only names, numbers and + - * / : ^ | ( )."
        return FormulaError(
            f"The character {char!r} cannot appear in a formula.{hint}",
            formula=text,
            column=err.column,
        )
    if isinstance(err, UnexpectedToken):
        if err.token.type == "RPAR" and text.count(")") > text.count("("):
            return FormulaError(
                "There is a ')' with no matching '('; remove it or add the '(' it closes.",
                formula=text, column=err.column
            )
        expected = _describe_expected(set(err.expected))
        return FormulaError(
            f"Unexpected {str(err.token)!r} in the formula; expected {expected}.",
            formula=text,
            column=err.column,
        )
    return FormulaError(f"The formula could not be read: {err}", formula=text)


def parse_expression(text: str) -> Expr:
    """Parse the right-hand side of a formula (or any part of it) into an AST."""
    try:
        return _parser().parse(text, start="sum")
    except LarkError as err:
        raise _syntax_error(text, err) from None


def parse_formula(text: str) -> ModelFormula:
    """Parse and expand an lme4 formula.

    Raises :class:`FormulaError` with a sentence a person can act on; no other
    exception escapes.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError(
            "The formula is empty. Write it as `outcome ~ predictors + (1 | group)`."
        )
    if len(text) > 5000:
        raise FormulaError("The formula is longer than 5,000 characters, which is not plausible.")
    return _parse_stripped(text.strip())


def clear_parse_cache() -> None:
    """Forget the parses kept by :func:`parse_formula` (benchmarks time the parse too)."""
    _parse_stripped.cache_clear()


@lru_cache(maxsize=256)
def _parse_stripped(text: str) -> ModelFormula:
    """The parse of a stripped formula text; a ModelFormula is immutable, so refits and
    repeated requests share one parse (a failed parse raises again each time)."""
    if "~" not in text:
        raise FormulaError(
            "A formula needs a '~' between the outcome and the predictors, "
            "e.g. `score ~ time + (1 | id)`.",
            formula=text,
        )
    try:
        response, rhs = _parser().parse(text, start="formula")
    except LarkError as err:
        raise _syntax_error(text, err) from None
    return build_model_formula(response, rhs, source=text)


def build_model_formula(response: Expr, rhs: Expr, *, source: str = "") -> ModelFormula:
    """Check and expand an already parsed response and right-hand side."""
    source = source or f"{response.text()} ~ {rhs.text()}"
    if isinstance(response, BinOp) and response.op == ":" and isinstance(response.left, Var):
        # "fit m1: y ~ x + (1 | g)" reads as the outcome m1:y
        raise FormulaError(
            f"The outcome cannot be an interaction ({response.text()}). To name a model, "
            f"write `{response.left.name} <- lmer(...)` or add `called {response.left.name}` "
            "after the formula.",
            formula=source,
        )
    _check_value_expression(response, source, where="the outcome")
    if isinstance(response, Bar) or _contains_bar(response):
        raise FormulaError("The outcome cannot be a random-effects term.", formula=source)
    bars: list[Bar] = []
    fixed_expr = _split_bars(rhs, bars, source)
    intercept, terms = (True, []) if fixed_expr is None else _expand(fixed_expr, source)
    intercept = True if intercept is None else intercept
    terms = sorted(terms, key=lambda t: t.order)  # R orders terms by degree, stably
    random_terms: list[RandomTerm] = []
    for bar in bars:
        random_terms.extend(_expand_bar(bar, source))
    return ModelFormula(
        source=source,
        response=response,
        intercept=intercept,
        fixed_terms=tuple(terms),
        random_terms=tuple(random_terms),
        written_random=tuple(bars),
        written_variables=tuple(dict.fromkeys(variables_in(rhs))),
    )


# -------------------------------------------------------------------- expansion
def _contains_bar(expr: Expr) -> bool:
    if isinstance(expr, Bar):
        return True
    if isinstance(expr, BinOp):
        return _contains_bar(expr.left) or _contains_bar(expr.right)
    if isinstance(expr, Neg):
        return _contains_bar(expr.operand)
    if isinstance(expr, Call):
        return any(_contains_bar(a) for a in expr.args)
    return False


def _split_bars(expr: Expr, bars: list[Bar], source: str) -> Expr | None:
    """Remove the top-level random terms from a sum; return what is left (or None)."""
    if isinstance(expr, Bar):
        bars.append(expr)
        return None
    if isinstance(expr, BinOp) and expr.op == "+":
        left = _split_bars(expr.left, bars, source)
        right = _split_bars(expr.right, bars, source)
        if left is None:
            return right
        if right is None:
            return left
        return BinOp("+", left, right)
    if _contains_bar(expr):
        raise FormulaError(
            "Random-effects terms like (1 | g) must be added with '+'; they cannot be "
            "multiplied, nested or removed.",
            formula=source,
        )
    return expr


def _check_value_expression(expr: Expr, source: str, *, where: str) -> None:
    """Check a factor expression (a column or a whitelisted call with arithmetic args)."""
    if isinstance(expr, Var):
        if "__" in expr.name and not source.count("`"):
            raise FormulaError(
                f"The name {expr.name!r} is not accepted: names with double underscores "
                "look like Python internals. Quote a real column with backticks.",
                formula=source,
            )
        return
    if isinstance(expr, Call):
        _check_call(expr, source)
        return
    raise FormulaError(
        f"{where.capitalize()} must be a column or a function of columns.", formula=source
    )


def _check_call(call: Call, source: str) -> None:
    spec = FORMULA_FUNCTIONS.get(call.func)
    if spec is None:
        allowed = ", ".join(sorted(FORMULA_FUNCTIONS))
        raise FormulaError(
            f"The function {call.func}() is not allowed in a formula. "
            f"Allowed functions: {allowed}.",
            formula=source,
        )
    arity = spec[0]
    if len(call.args) != arity:
        noun = "argument" if arity == 1 else "arguments"
        raise FormulaError(
            f"{call.func}() takes {arity} {noun}, but {len(call.args)} were given.",
            formula=source,
        )
    for arg in call.args:
        _check_arithmetic(arg, call, source)
    if call.func == "poly":
        degree = call.args[1]
        if not (
            isinstance(degree, Num) and degree.value == int(degree.value) and degree.value >= 1
        ):
            raise FormulaError(
                "poly(x, d) needs a whole-number degree d of at least 1.", formula=source
            )


def _check_arithmetic(expr: Expr, call: Call, source: str) -> None:
    if isinstance(expr, Var):
        _check_value_expression(expr, source, where="an argument")
    elif isinstance(expr, Num):
        return
    elif isinstance(expr, Call):
        _check_call(expr, source)
    elif isinstance(expr, Neg):
        _check_arithmetic(expr.operand, call, source)
    elif isinstance(expr, BinOp):
        if expr.op not in ARITHMETIC_OPERATORS:
            raise FormulaError(
                f"The operator {expr.op!r} cannot be used inside {call.func}(); "
                "only + - * / ^ are arithmetic there.",
                formula=source,
            )
        _check_arithmetic(expr.left, call, source)
        _check_arithmetic(expr.right, call, source)
    else:
        raise FormulaError(
            f"A random-effects term cannot appear inside {call.func}().", formula=source
        )


_TermList = list[Term]


def _union(a: _TermList, b: _TermList) -> _TermList:
    out = list(a)
    keys = {t.key for t in a}
    for t in b:
        if t.key not in keys:
            out.append(t)
            keys.add(t.key)
    return out


def _product(a: _TermList, b: _TermList) -> _TermList:
    out: _TermList = []
    for ta in a:
        for tb in b:
            factors = list(ta.factors)
            have = {f.text() for f in factors}
            for f in tb.factors:
                if f.text() not in have:
                    factors.append(f)
                    have.add(f.text())
            out = _union(out, [Term(tuple(factors))])
    return out


def _expand(expr: Expr, source: str) -> tuple[bool | None, _TermList]:
    """R's formula algebra: returns (explicit intercept or None, ordered terms)."""
    if isinstance(expr, Num):
        if expr.value == 1:
            return True, []
        if expr.value == 0:
            return False, []
        raise FormulaError(
            f"The number {expr.literal} cannot be a term; only 0 and 1 (the intercept) can.",
            formula=source,
        )
    if isinstance(expr, Var | Call):
        _check_value_expression(expr, source, where="a term")
        return None, [Term((expr,))]
    if isinstance(expr, Neg):
        inner_icpt, _ = _expand(expr.operand, source)
        if inner_icpt is True:
            return False, []
        if inner_icpt is False:
            return True, []
        return None, []
    if isinstance(expr, Bar):
        raise FormulaError("A random-effects term cannot appear here.", formula=source)
    op = expr.op
    if op == "^":
        if not (
            isinstance(expr.right, Num)
            and expr.right.value == int(expr.right.value)
            and expr.right.value >= 1
        ):
            raise FormulaError(
                "The power in (a + b)^k must be a whole number of at least 1.", formula=source
            )
        icpt, base = _expand(expr.left, source)
        result: _TermList = list(base)
        for k in range(2, int(expr.right.value) + 1):
            for combo in combinations(base, k):
                acc = [combo[0]]
                for t in combo[1:]:
                    acc = _product(acc, [t])
                result = _union(result, acc)
        return icpt, result
    li, left = _expand(expr.left, source)
    ri, right = _expand(expr.right, source)
    if op == "+":
        return (ri if ri is not None else li), _union(left, right)
    if op == "-":
        removed = {t.key for t in right}
        icpt = li
        if ri is True:
            icpt = False
        elif ri is False:
            icpt = True
        return icpt, [t for t in left if t.key not in removed]
    if op == ":":
        return None, _product(left, right)
    if op == "*":
        return li if li is not None else ri, _union(_union(left, right), _product(left, right))
    if op == "/":
        all_factors: list[Expr] = []
        for t in left:
            for f in t.factors:
                if f.text() not in {g.text() for g in all_factors}:
                    all_factors.append(f)
        nested = _product([Term(tuple(all_factors))], right) if all_factors else right
        return li, _union(left, nested)
    raise FormulaError(f"The operator {op!r} is not understood here.", formula=source)


def _group_factors(expr: Expr, source: str) -> list[tuple[Expr, ...]]:
    """Grouping factors of a bar: ``g``, ``a:b`` (one interaction), ``a/b`` (nested)."""
    if isinstance(expr, Var | Call):
        _check_value_expression(expr, source, where="a grouping factor")
        return [(expr,)]
    if isinstance(expr, BinOp) and expr.op == ":":
        left = _group_factors(expr.left, source)
        right = _group_factors(expr.right, source)
        if len(left) != 1 or len(right) != 1:
            raise FormulaError(
                "Nesting with '/' cannot be combined with ':' inside a grouping "
                "term; write (1 | a) + (1 | a:b) instead.",
                formula=source,
            )
        return [left[0] + right[0]]
    if isinstance(expr, BinOp) and expr.op == "/":
        outer = _group_factors(expr.left, source)
        inner = _group_factors(expr.right, source)
        if len(inner) != 1:
            raise FormulaError("Write a nested grouping as (1 | a/b/c).", formula=source)
        innermost = outer[-1]
        # lme4 names the nested factor inner:outer, e.g. (1 | batch/cask) -> cask:batch.
        return outer + [inner[0] + innermost]
    raise FormulaError(
        "After '|' comes the grouping factor: a column, a:b, or a/b for nesting.",
        formula=source,
    )


def _expand_bar(bar: Bar, source: str) -> list[RandomTerm]:
    icpt, terms = _expand(bar.lhs, source)
    intercept = True if icpt is None else icpt
    if not intercept and not terms:
        raise FormulaError(
            "A random-effects term needs at least an intercept or one variable.", formula=source
        )
    groups = _group_factors(bar.group, source)
    out: list[RandomTerm] = []
    for group in groups:
        if bar.correlated:
            out.append(RandomTerm(intercept, tuple(terms), group))
            continue
        if intercept:
            out.append(RandomTerm(True, (), group, from_double_bar=True))
        for term in terms:
            out.append(RandomTerm(False, (term,), group, from_double_bar=True))
    return out
