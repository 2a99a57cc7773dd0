"""Tokenizer and Pratt parser for the expr-lang subset Argo Rollouts conditions are written in
(``result[0] >= 0.95``, ``len(result) == 0 || result[0] >= 0.95``, ``all(result, {# > 0})``, ...).

It lives with the AnalysisTemplate model so lint can check conditions; the parser builds a small tuple AST;
``delivery.expr`` compiles it to closures. No Python ``eval`` anywhere.
Syntax errors are ``ExprSyntaxError`` carrying the 1-based column and a caret line under the expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from shipyard.errors import SpecError

Node = tuple[Any, ...]


class ExprSyntaxError(SpecError):
    def __init__(self, expression: str, column: int, problem: str) -> None:
        self.expression = expression
        self.column = column
        self.problem = problem
        caret = " " * (column - 1) + "^"
        super().__init__(f"{problem} (1:{column})\n | {expression}\n | {caret}")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # num, str, ident, op, eof
    value: Any
    col: int


_TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
    |(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<ident>[A-Za-z_$][A-Za-z0-9_$]*)
    |(?P<op>\*\*|==|!=|<=|>=|&&|\|\||\?\?|\.\.|[-+*/%<>!()\[\]{},.#?:])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def tokenize(src: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None:
            raise ExprSyntaxError(src, pos + 1, f"unexpected character {src[pos]!r}")
        kind = m.lastgroup or ""
        text = m.group(0)
        if kind == "num":
            value: Any = float(text) if any(c in text for c in ".eE") else int(text)
            out.append(Token("num", value, pos + 1))
        elif kind == "str":
            out.append(Token("str", _unquote(text), pos + 1))
        elif kind in ("ident", "op"):
            out.append(Token(kind, text, pos + 1))
        pos = m.end()
    out.append(Token("eof", None, len(src) + 1))
    return out


# Binary operators: token -> (precedence, right-assoc). Words are operators too (expr's ``and``/``or``/``in``).
_BINARY = {
    "??": (1, False),
    "||": (2, False),
    "or": (2, False),
    "&&": (3, False),
    "and": (3, False),
    "==": (4, False),
    "!=": (4, False),
    "<": (4, False),
    ">": (4, False),
    "<=": (4, False),
    ">=": (4, False),
    "in": (4, False),
    "not in": (4, False),
    "matches": (4, False),
    "contains": (4, False),
    "startsWith": (4, False),
    "endsWith": (4, False),
    "..": (5, False),
    "+": (6, False),
    "-": (6, False),
    "*": (7, False),
    "/": (7, False),
    "%": (7, False),
    "**": (9, True),
}
_CANON = {"or": "||", "and": "&&"}
_UNARY_PREC = 8


class Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.toks = tokenize(src)
        self.i = 0

    def peek(self) -> Token:
        return self.toks[self.i]

    def next(self) -> Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, tok: Token, problem: str | None = None) -> ExprSyntaxError:
        if problem is None:
            problem = "unexpected end of expression" if tok.kind == "eof" else f"unexpected token {tok.value!r}"
        return ExprSyntaxError(self.src, tok.col, problem)

    def expect(self, value: str) -> Token:
        tok = self.next()
        if tok.kind != "op" or tok.value != value:
            raise self.fail(tok, f"expected {value!r}" + ("" if tok.kind == "eof" else f", got {tok.value!r}"))
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "eof":
            raise self.fail(self.peek(), "empty expression")
        node = self.expression(0)
        tok = self.peek()
        if tok.kind != "eof":
            raise self.fail(tok)
        return node

    def _binary_op(self) -> str | None:
        tok = self.peek()
        if tok.kind == "op" and tok.value in _BINARY:
            return str(tok.value)
        if tok.kind == "ident":
            if tok.value == "not" and self.toks[self.i + 1].kind == "ident" and self.toks[self.i + 1].value == "in":
                return "not in"
            if tok.value in _BINARY:
                return str(tok.value)
        return None

    def expression(self, min_prec: int) -> Node:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value == "?" and min_prec == 0:
                self.next()
                then = self.expression(0)
                self.expect(":")
                other = self.expression(0)
                left = ("if", left, then, other)
                continue
            op = self._binary_op()
            if op is None:
                return left
            prec, right_assoc = _BINARY[op]
            if prec < min_prec:
                return left
            self.next()
            if op == "not in":
                self.next()
            right = self.expression(prec if right_assoc else prec + 1)
            left = ("bin", _CANON.get(op, op), left, right, tok.col)

    def unary(self) -> Node:
        tok = self.peek()
        if (tok.kind == "op" and tok.value in ("!", "-", "+")) or (tok.kind == "ident" and tok.value == "not"):
            self.next()
            operand = self.expression(_UNARY_PREC)
            return ("unary", "!" if tok.value == "not" else tok.value, operand, tok.col)
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value == "[":
                self.next()
                idx = self.expression(0)
                self.expect("]")
                node = ("index", node, idx, tok.col)
            elif tok.kind == "op" and tok.value == ".":
                self.next()
                name = self.next()
                if name.kind != "ident":
                    raise self.fail(name, "expected a field name after '.'")
                node = ("index", node, ("lit", name.value), name.col)
            elif tok.kind == "op" and tok.value == "?" and self.toks[self.i + 1].value == ".":
                self.next()
                self.next()
                name = self.next()
                node = ("optindex", node, ("lit", name.value), name.col)
            else:
                return node

    def primary(self) -> Node:
        tok = self.next()
        if tok.kind in ("num", "str"):
            return ("lit", tok.value)
        if tok.kind == "ident":
            if tok.value in ("true", "false"):
                return ("lit", tok.value == "true")
            if tok.value in ("nil", "null"):
                return ("lit", None)
            if self.peek().kind == "op" and self.peek().value == "(":
                self.next()
                args = self.arguments(")")
                return ("call", tok.value, tuple(args), tok.col)
            return ("var", tok.value, tok.col)
        if tok.kind == "op":
            if tok.value == "(":
                inner = self.expression(0)
                self.expect(")")
                return inner
            if tok.value == "[":
                return ("list", tuple(self.arguments("]")))
            if tok.value == "#":
                return ("elem",)
            if tok.value == "{":
                body = self.expression(0)
                self.expect("}")
                return ("closure", body)
        raise self.fail(tok)

    def arguments(self, close: str) -> list[Node]:
        args: list[Node] = []
        if self.peek().kind == "op" and self.peek().value == close:
            self.next()
            return args
        while True:
            args.append(self.expression(0))
            tok = self.next()
            if tok.kind == "op" and tok.value == close:
                return args
            if tok.kind != "op" or tok.value != ",":
                raise self.fail(
                    tok, f"expected ',' or {close!r}" + ("" if tok.kind == "eof" else f", got {tok.value!r}")
                )


def parse(src: str) -> Node:
    return Parser(src).parse()
