"""The condition language: the expr-lang subset Argo users write (reference §2.9), evaluated without eval."""

from __future__ import annotations

import math
from typing import Any

import pytest

from shipyard.delivery.expr import ExprRuntimeError, ExprSyntaxError, evaluate

CASES: list[tuple[str, Any, Any]] = [
    ("result[0] >= 0.95", [0.99], True),
    ("result[0] <= 0.95", [0.99], False),
    ("len(result) == 0 || result[0] >= 0.95", [], True),
    ("all(result, {# > 0})", [1, 2, 3], True),
    ("all(result, {# > 0})", [1, 0], False),
    ("any(result, {# > 2})", [1, 3], True),
    ("none(result, {# > 2})", [1, 2], True),
    ("count(result, {# > 1}) == 2", [1, 2, 3], True),
    ("len(filter(result, {# > 1})) == 2", [1, 2, 3], True),
    ("map(result, {# * 2})[1] == 4", [1, 2], True),
    ("isNaN(result) || result >= 0.95", math.nan, True),
    ("isInf(result)", math.inf, True),
    ("result >= 0.95", math.inf, True),
    ("result >= 0.95", math.nan, False),
    ("isNil(result)", None, True),
    ("default(result, 0) >= 0.9", None, False),
    ("default(result, 1) >= 0.9", None, True),
    ("asInt(result) == 1", "1", True),
    ("asFloat(result) > 0.5", "0.75", True),
    ("result == 'true'", "true", True),
    ('result == "ok" and not false', "ok", True),
    ("!(result in [1, 2])", 3, True),
    ("result not in [1, 2]", 2, False),
    ("result.status == 'up' && result.count > 3", {"status": "up", "count": 4}, True),
    ("result.missing == nil", {}, True),
    ("(1 + 2) * 3 - 4 / 2 == 7", None, True),
    ("2 ** 3 == 8 && 7 % 3 == 1", None, True),
    ("result[-1] == 3", [1, 2, 3], True),
    ("result > 1 ? true : false", 2, True),
    ("'canary' in result", {"canary": 1}, True),
    ("result contains 'err'", "an error", True),
    ("result contains 'xyz'", "an error", False),
    ("result matches '^v[0-9]+$'", "v12", True),
    ("result startsWith 'v'", "v1", True),
    ("1 == 1.0", None, True),
]


@pytest.mark.parametrize(("src", "result", "want"), CASES, ids=[c[0] for c in CASES])
def test_evaluates(src: str, result: Any, want: Any) -> None:
    assert evaluate(src, {"result": result}) == want


@pytest.mark.parametrize(
    ("src", "column", "problem"),
    [
        ("result[0] >= )", 14, "unexpected token ')'"),
        ("result[0] >=", 13, "unexpected end of expression"),
        ("result[0 >= 1", 14, "expected ']'"),
        ("len(result", 11, "expected ',' or ')'"),
        ("result @ 1", 8, "unexpected character '@'"),
        ("", 1, "empty expression"),
    ],
    ids=["dangling-operator", "missing-operand", "unclosed-index", "unclosed-call", "bad-char", "empty"],
)
def test_syntax_errors_point_at_the_column(src: str, column: int, problem: str) -> None:
    with pytest.raises(ExprSyntaxError) as info:
        evaluate(src, {"result": 1})
    assert info.value.column == column
    assert info.value.problem.startswith(problem)
    assert str(info.value).splitlines()[-1] == " | " + " " * (column - 1) + "^"


@pytest.mark.parametrize(
    ("src", "result"),
    [
        ("result[0] >= 0.95", []),
        ("a == true", 1),
        ("result > 1", "x"),
        ("result.x", None),
        ("asInt(result)", "abc"),
        ("__import__('os')", None),
        ("result.__class__", {}),
        ("unknownFn(result)", 1),
        ("result + 1", [1]),
    ],
    ids=[
        "index-empty",
        "unknown-name",
        "compare-string-int",
        "field-of-nil",
        "asInt-garbage",
        "no-python-builtins",
        "no-dunder-attrs",
        "unknown-function",
        "list-plus-int",
    ],
)
def test_runtime_errors_are_errors_not_crashes(src: str, result: Any) -> None:
    with pytest.raises(ExprRuntimeError):
        value = evaluate(src, {"result": result})
        if src == "result.__class__":
            assert value is None  # a dict lookup, never a Python attribute
            raise ExprRuntimeError("ok")
