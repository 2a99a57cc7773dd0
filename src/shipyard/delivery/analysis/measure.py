"""One measurement: classify a provider result (``AR:utils/evaluate/evaluate.go EvaluateResult``) and update the
metric's counters (``AR:analysis/analysis.go runMeasurements``)."""

from __future__ import annotations

from typing import Any

from shipyard.delivery.expr import ExprRuntimeError, ExprSyntaxError, evaluate
from shipyard.delivery.phases import AnalysisPhase

ENV_FUNCS = ("asInt", "asFloat", "isNaN", "isInf", "isNil", "default")


def _condition(result: Any, expression: str, which: str) -> bool:
    try:
        value = evaluate(expression, {"result": result})
    except ExprSyntaxError as exc:
        raise ExprRuntimeError(f"{which} {expression!r} does not parse: {exc.problem} (column {exc.column})") from exc
    except ExprRuntimeError as exc:
        hint = ": metric result is nil or empty" if result is None or result == [] else ""
        raise ExprRuntimeError(f"could not evaluate {which} {expression!r}{hint}: {exc}") from exc
    if not isinstance(value, bool):
        raise ExprRuntimeError(f"expected bool, but got {type(value).__name__} from {which} {expression!r}")
    return value


def evaluate_result(result: Any, success: str | None, failure: str | None) -> tuple[AnalysisPhase, str]:
    """Phase of one measurement and, for Error, the message. Argo #368: no conditions at all ⇒ Successful."""
    try:
        ok = _condition(result, success, "successCondition") if success else False
        bad = _condition(result, failure, "failureCondition") if failure else False
    except ExprRuntimeError as exc:
        return AnalysisPhase.Error, str(exc)
    if not success and not failure:
        return AnalysisPhase.Successful, ""
    if success and not failure:
        bad = not ok
    elif failure and not success:
        ok = not bad
    if bad:
        return AnalysisPhase.Failed, ""
    if not ok:
        return AnalysisPhase.Inconclusive, ""
    return AnalysisPhase.Successful, ""


COUNTERS = ("count", "successful", "failed", "inconclusive", "error", "consecutiveError", "consecutiveSuccess")


def count_measurement(result: dict[str, Any], phase: AnalysisPhase) -> None:
    """Counters after one completed measurement. Errors do not count towards ``count``."""
    for key in COUNTERS:
        result.setdefault(key, 0)
    if phase is AnalysisPhase.Error:
        result["error"] += 1
        result["consecutiveError"] += 1
        result["consecutiveSuccess"] = 0
        return
    result["count"] += 1
    result["consecutiveError"] = 0
    if phase is AnalysisPhase.Successful:
        result["successful"] += 1
        result["consecutiveSuccess"] += 1
    else:
        result["consecutiveSuccess"] = 0
        result["failed" if phase is AnalysisPhase.Failed else "inconclusive"] += 1
