"""``when`` expressions: ``input``/``operator``/``values`` and ``cel``.

Tekton ``WhenExpression.isTrue`` (pkg/apis/pipeline/v1/when_types.go): ``in`` is exact, whitespace-sensitive string
membership, ``notin`` its negation; all expressions must be true (AND). ``values`` may spread array refs. CEL
expressions (``cel:``, ``enable-cel-in-whenexpression``) are evaluated with cel-python after substitution and must
yield a bool (else ``CELEvaluationFailed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import celpy

from shipyard.errors import SpecError
from shipyard.pipelines.substitution import Scope, substitute, substitute_list
from shipyard.resources.tekton import WhenExpression


class CelError(SpecError):
    """A CEL when-expression did not compile or did not evaluate to a bool."""


def resolved(when: Sequence[WhenExpression], scope: Scope) -> list[dict[str, Any]]:
    """The expressions with references substituted, in Tekton's status shape (``skippedTasks[].whenExpressions``)."""
    out: list[dict[str, Any]] = []
    for w in when:
        if w.cel is not None:
            out.append({"cel": substitute(w.cel, scope)})
        else:
            out.append(
                {
                    "input": substitute(w.input or "", scope),
                    "operator": w.operator or "in",
                    "values": substitute_list(w.values or [], scope),
                }
            )
    return out


def evaluate_cel(expr: str) -> bool:
    env = celpy.Environment()
    try:
        program = env.program(env.compile(expr))
        result = program.evaluate({})
    except Exception as exc:  # cel-python raises its own tree (CELParseError, CELEvalError, ...)
        raise CelError(f"CEL expression {expr!r} failed: {exc}") from exc
    if isinstance(result, celpy.celtypes.BoolType | bool):
        return bool(result)
    raise CelError(f"CEL expression {expr!r} did not evaluate to a bool (got {type(result).__name__})")


def allows(resolved_when: Sequence[dict[str, Any]]) -> bool:
    """True when every expression holds (``WhenExpressions.AllowsExecution``)."""
    for w in resolved_when:
        if "cel" in w:
            if not evaluate_cel(w["cel"]):
                return False
            continue
        member = w["input"] in w["values"]
        if (w["operator"] == "in") != member:
            return False
    return True
