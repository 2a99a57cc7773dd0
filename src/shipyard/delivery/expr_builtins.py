"""Functions callable from conditions: expr-lang builtins plus Argo's env (``AR:utils/evaluate/evaluate.go``:
``asInt``, ``asFloat``, ``isNaN``, ``isInf``, ``isNil``, ``default``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from shipyard.resources.analysis_expr import Node

Env = Mapping[str, Any]
Fn = Callable[[Env, Any], Any]


def _err(msg: str) -> Exception:
    from shipyard.delivery.expr import ExprRuntimeError

    return ExprRuntimeError(msg)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _len(v: Any) -> int:
    if isinstance(v, list | tuple | str | dict):
        return len(v)
    raise _err(f"invalid argument for len (type {type(v).__name__ if v is not None else 'nil'})")


def _as_int(v: Any) -> int:
    if isinstance(v, bool):
        raise _err("asInt: cannot convert bool")
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise _err(f"asInt: cannot convert {v}")
        return int(v)
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            raise _err(f'strconv.ParseInt: parsing "{v}": invalid syntax') from None
    raise _err(f"asInt: cannot convert {v!r}")


def _as_float(v: Any) -> float:
    if _is_num(v):
        return float(v)
    if isinstance(v, str):
        text = v.strip()
        try:
            return float({"+Inf": "inf", "-Inf": "-inf", "NaN": "nan", "Inf": "inf"}.get(text, text))
        except ValueError:
            raise _err(f'strconv.ParseFloat: parsing "{v}": invalid syntax') from None
    raise _err(f"asFloat: cannot convert {v!r}")


def _is_nan(v: Any) -> bool:
    if not _is_num(v):
        raise _err(f"isNaN: argument must be a number, got {v!r}")
    return isinstance(v, float) and math.isnan(v)


def _is_inf(v: Any) -> bool:
    if not _is_num(v):
        raise _err(f"isInf: argument must be a number, got {v!r}")
    return isinstance(v, float) and math.isinf(v)


def _minmax(pick: Callable[..., Any]) -> Callable[..., Any]:
    def fn(*args: Any) -> Any:
        vals = list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
        if not vals or not all(_is_num(v) for v in vals):
            raise _err("min/max need numbers")
        return pick(vals)

    return fn


_SIMPLE: dict[str, Callable[..., Any]] = {
    "len": _len,
    "asInt": _as_int,
    "asFloat": _as_float,
    "isNaN": _is_nan,
    "isInf": _is_inf,
    "isNil": lambda v: v is None,
    "default": lambda v, d: d if v is None else v,
    "abs": lambda v: abs(v) if _is_num(v) else (_ for _ in ()).throw(_err("abs needs a number")),
    "int": _as_int,
    "float": _as_float,
    "string": lambda v: str(v),
    "min": _minmax(min),
    "max": _minmax(max),
    "sum": lambda v: (
        sum(v)
        if isinstance(v, list) and all(_is_num(x) for x in v)
        else (_ for _ in ()).throw(_err("sum needs an array of numbers"))
    ),
    "first": lambda v: v[0] if isinstance(v, list) and v else None,
    "last": lambda v: v[-1] if isinstance(v, list) and v else None,
    "lower": lambda v: str(v).lower(),
    "upper": lambda v: str(v).upper(),
    "trim": lambda v: str(v).strip(),
}
_ARITY: dict[str, tuple[int, int]] = {"default": (2, 2), "min": (1, 99), "max": (1, 99)}
_PREDICATES = ("all", "any", "none", "one", "filter", "map", "count")


def _predicate_call(name: str, seq_fn: Fn, body: Fn) -> Fn:
    def call(env: Env, el: Any) -> Any:
        seq = seq_fn(env, el)
        if seq is None:
            seq = []
        if not isinstance(seq, list | tuple):
            raise _err(f"{name}: cannot iterate over {type(seq).__name__}")

        def test(x: Any) -> bool:
            v = body(env, x)
            if not isinstance(v, bool):
                raise _err(f"{name}: predicate must return bool")
            return v

        if name == "all":
            return all(test(x) for x in seq)
        if name == "any":
            return any(test(x) for x in seq)
        if name == "none":
            return not any(test(x) for x in seq)
        if name == "one":
            return sum(1 for x in seq if test(x)) == 1
        if name == "filter":
            return [x for x in seq if test(x)]
        if name == "count":
            return sum(1 for x in seq if test(x))
        return [body(env, x) for x in seq]

    return call


def compile_call(name: str, args: tuple[Node, ...], compile_node: Callable[[Node], Fn], col: int) -> Fn:
    if name in _PREDICATES:
        if len(args) != 2 or args[1][0] != "closure":
            raise _err(f"{name}(array, {{predicate}}) takes an array and a {{...}} predicate (column {col})")
        return _predicate_call(name, compile_node(args[0]), compile_node(args[1][1]))
    fn = _SIMPLE.get(name)
    if fn is None:
        known = ", ".join(sorted([*_SIMPLE, *_PREDICATES]))
        raise _err(f"unknown function {name}() at column {col} (known: {known})")
    lo, hi = _ARITY.get(name, (1, 1))
    if not lo <= len(args) <= hi:
        raise _err(f"{name} expects {lo} argument{'s' if lo != 1 else ''}, got {len(args)}")
    compiled = [compile_node(a) for a in args]
    return lambda env, el: fn(*(c(env, el) for c in compiled))
