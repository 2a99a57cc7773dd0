"""Measurement classification (A14, AR:utils/evaluate/evaluate_test.go) and result shapes (A17)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from shipyard.delivery.analysis.measure import count_measurement, evaluate_result
from shipyard.delivery.phases import AnalysisPhase as P

A14 = [
    ("true", "false", P.Successful),
    ("true", "true", P.Failed),
    ("false", "false", P.Inconclusive),
    ("", "", P.Successful),
    ("false", "", P.Failed),
    ("", "false", P.Successful),
    ("a == true", "false", P.Error),
    ("a == true", "", P.Error),
]


@pytest.mark.parametrize(("success", "failure", "want"), A14, ids=[f"A14-({s!r},{f!r})" for s, f, _ in A14])
def test_A14_classification(success: str, failure: str, want: P) -> None:
    assert evaluate_result(True, success or None, failure or None)[0] is want


A17: list[tuple[Any, str | None, str | None, P]] = [
    ([0.99], "result[0] >= 0.95", None, P.Successful),
    ([], "result[0] >= 0.95", None, P.Error),
    ([], "len(result) == 0 || result[0] >= 0.95", None, P.Successful),
    (math.nan, "isNaN(result) || result >= 0.95", None, P.Successful),
    (math.nan, "result >= 0.95", "result < 0.95", P.Inconclusive),
    (math.nan, "result >= 0.95", None, P.Failed),
    (math.inf, "result >= 0.95", None, P.Successful),
]


@pytest.mark.parametrize(
    ("result", "success", "failure", "want"),
    A17,
    ids=[
        "A17-vector",
        "A17-empty-vector",
        "A17-guarded-empty",
        "A17-NaN-guarded",
        "A17-NaN-both-conditions",
        "A17-NaN-success-only",
        "A17-Inf",
    ],
)
def test_A17_prometheus_result_shapes(result: Any, success: str, failure: str | None, want: P) -> None:
    assert evaluate_result(result, success, failure)[0] is want


def test_error_message_names_the_condition_and_empty_result() -> None:
    phase, message = evaluate_result([], "result[0] >= 0.95", None)
    assert phase is P.Error
    assert message.startswith("could not evaluate successCondition 'result[0] >= 0.95': metric result is nil or empty")


def test_non_bool_condition_is_an_error() -> None:
    phase, message = evaluate_result([1], "result[0]", None)
    assert phase is P.Error and "expected bool" in message


@pytest.mark.parametrize(
    ("phases", "want"),
    [
        ([P.Successful, P.Successful], {"count": 2, "successful": 2, "consecutiveSuccess": 2, "error": 0}),
        ([P.Error, P.Error], {"count": 0, "error": 2, "consecutiveError": 2}),
        ([P.Error, P.Failed], {"count": 1, "failed": 1, "consecutiveError": 0, "error": 1}),
        ([P.Successful, P.Inconclusive], {"count": 2, "inconclusive": 1, "consecutiveSuccess": 0}),
    ],
    ids=["successes", "errors-do-not-count", "failure-resets-consecutive-errors", "inconclusive-resets-success"],
)
def test_counters(phases: list[P], want: dict[str, int]) -> None:
    """AR:analysis/analysis.go runMeasurements counter rules."""
    result: dict[str, Any] = {}
    for p in phases:
        count_measurement(result, p)
    assert {k: result[k] for k in want} == want
