"""Evaluate Argo Rollouts conditions: the expr-lang subset parsed by ``resources.analysis_expr``, compiled to closures.

Semantics follow expr-lang as Argo uses it (``AR:utils/evaluate/evaluate.go``): ints and floats compare and add
across types, ``/`` is always float division, indexing out of range or a field of nil is a runtime error, and
the env offers ``result``, ``asInt``, ``asFloat``, ``isNaN``, ``isInf``, ``isNil`` and ``default`` besides the
builtins (``len``, ``all``, ``any``, ``none``, ``one``, ``filter``, ``map``, ``count``, ``abs``, ``min``, ``max``...).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from shipyard.errors import ShipyardError
from shipyard.resources.analysis_expr import ExprSyntaxError, Node, parse

__all__ = ["ExprRuntimeError", "ExprSyntaxError", "compile_expr", "evaluate"]

Env = Mapping[str, Any]
Fn = Callable[[Env, Any], Any]  # (env, current closure element) -> value


class ExprRuntimeError(ShipyardError):
    """The expression parsed but could not be evaluated against this value (Argo: measurement Error)."""


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _type(v: Any) -> str:
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float64"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list | tuple):
        return "array"
    if isinstance(v, dict):
        return "map"
    return type(v).__name__


def _bool(v: Any, what: str) -> bool:
    if not isinstance(v, bool):
        raise ExprRuntimeError(f"invalid operation: {what} on non-bool ({_type(v)})")
    return v


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "==":
        if _num(a) and _num(b):
            return bool(a == b)
        return bool(type(a) is type(b) and a == b) or (a is None and b is None)
    if op == "!=":
        return not _compare("==", a, b)
    if not ((_num(a) and _num(b)) or (isinstance(a, str) and isinstance(b, str))):
        raise ExprRuntimeError(f"invalid operation: {_type(a)} {op} {_type(b)}")
    if op == "<":
        return bool(a < b)
    if op == ">":
        return bool(a > b)
    if op == "<=":
        return bool(a <= b)
    return bool(a >= b)


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if op == "+" and isinstance(a, list) and isinstance(b, list):
        return a + b
    if not (_num(a) and _num(b)):
        raise ExprRuntimeError(f"invalid operation: {_type(a)} {op} {_type(b)}")
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0:
            return math.copysign(math.inf, a) if a else math.nan
        return a / b
    if op == "%":
        if not (isinstance(a, int) and isinstance(b, int)):
            raise ExprRuntimeError(f"invalid operation: {_type(a)} % {_type(b)}")
        if b == 0:
            raise ExprRuntimeError("integer divide by zero")
        return int(math.fmod(a, b))
    return float(a) ** float(b)


def _member(op: str, a: Any, b: Any) -> bool:
    if op == "in":
        if isinstance(b, list | tuple):
            return any(_compare("==", a, x) for x in b)
        if isinstance(b, dict):
            return a in b
        if b is None:
            return False
        raise ExprRuntimeError(f"invalid operation: in on {_type(b)}")
    if not (isinstance(a, str) and isinstance(b, str)):
        raise ExprRuntimeError(f"invalid operation: {_type(a)} {op} {_type(b)}")
    if op == "contains":
        return b in a
    if op == "startsWith":
        return a.startswith(b)
    if op == "endsWith":
        return a.endswith(b)
    return re.search(b, a) is not None


def _index(base: Any, key: Any) -> Any:
    if isinstance(base, list | tuple | str):
        if not isinstance(key, int) or isinstance(key, bool):
            raise ExprRuntimeError(f"cannot index {_type(base)} with {_type(key)}")
        n = len(base)
        i = key + n if key < 0 else key
        if not 0 <= i < n:
            raise ExprRuntimeError(f"index out of range: {key} (array length is {n})")
        return base[i]
    if isinstance(base, dict):
        return base.get(key)
    if base is None:
        raise ExprRuntimeError(f"cannot fetch {key} from nil")
    raise ExprRuntimeError(f"cannot fetch {key} from {_type(base)}")


def _compile(node: Node) -> Fn:
    tag = node[0]
    if tag == "lit":
        value = node[1]
        return lambda env, el: value
    if tag == "var":
        name = node[1]

        def var(env: Env, el: Any) -> Any:
            if name not in env:
                raise ExprRuntimeError(f"unknown name {name}")
            return env[name]

        return var
    if tag == "elem":
        return lambda env, el: el
    if tag == "list":
        items = [_compile(n) for n in node[1]]
        return lambda env, el: [f(env, el) for f in items]
    if tag == "closure":
        raise ExprRuntimeError("a predicate {...} is only allowed as a function argument")
    if tag == "if":
        c, t, o = (_compile(n) for n in node[1:4])
        return lambda env, el: t(env, el) if _bool(c(env, el), "?:") else o(env, el)
    if tag == "unary":
        op, f = node[1], _compile(node[2])
        if op == "!":
            return lambda env, el: not _bool(f(env, el), "!")

        def neg(env: Env, el: Any) -> Any:
            v = f(env, el)
            if not _num(v):
                raise ExprRuntimeError(f"invalid operation: {op} {_type(v)}")
            return -v if op == "-" else v

        return neg
    if tag in ("index", "optindex"):
        base, key = _compile(node[1]), _compile(node[2])
        if tag == "optindex":
            return lambda env, el: None if (b := base(env, el)) is None else _index(b, key(env, el))
        return lambda env, el: _index(base(env, el), key(env, el))
    if tag == "bin":
        return _compile_binary(node)
    if tag == "call":
        from shipyard.delivery.expr_builtins import compile_call

        return compile_call(node[1], node[2], _compile, node[3])
    raise ExprRuntimeError(f"unknown node {tag}")


def _compile_binary(node: Node) -> Fn:
    op, left, right = node[1], _compile(node[2]), _compile(node[3])
    if op == "&&":
        return lambda env, el: _bool(left(env, el), "&&") and _bool(right(env, el), "&&")
    if op == "||":
        return lambda env, el: _bool(left(env, el), "||") or _bool(right(env, el), "||")
    if op == "??":
        return lambda env, el: v if (v := left(env, el)) is not None else right(env, el)
    if op in ("==", "!=", "<", ">", "<=", ">="):
        return lambda env, el: _compare(op, left(env, el), right(env, el))
    if op in ("in", "contains", "startsWith", "endsWith", "matches"):
        return lambda env, el: _member(op, left(env, el), right(env, el))
    if op == "not in":
        return lambda env, el: not _member("in", left(env, el), right(env, el))
    if op == "..":
        return lambda env, el: list(range(left(env, el), right(env, el) + 1))
    return lambda env, el: _arith(op, left(env, el), right(env, el))


@lru_cache(maxsize=1024)
def compile_expr(src: str) -> Fn:
    """Parse and compile once; ``ExprSyntaxError`` (with the column) on bad syntax."""
    return _compile(parse(src))


def evaluate(src: str, env: Env) -> Any:
    """Evaluate ``src``; runtime problems are ``ExprRuntimeError`` (Python errors never escape)."""
    fn = compile_expr(src)
    try:
        return fn(env, None)
    except ExprRuntimeError:
        raise
    except (TypeError, ValueError, OverflowError, re.error, RecursionError) as exc:
        raise ExprRuntimeError(str(exc)) from exc
