"""Requests and lme4 formulas, read by Lark grammars: text in, typed plans out.

``parse(text) -> Plan`` reads a request (grammar/request.lark); ``ParseError`` is the
one error it raises. The formula grammar lives in :mod:`grammar.formula`.
"""

from grammar.parse import ParseError, parse
from grammar.plan import Plan

__all__ = ["Plan", "ParseError", "parse"]
