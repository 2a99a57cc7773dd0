"""Metric and run phases from counters (A15, A16; AR:analysis/analysis_test.go)."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.delivery.analysis.assess import Limits, MetricVerdict, assess_metric, assess_run
from shipyard.delivery.phases import AnalysisPhase as P


def result(**counters: int) -> dict[str, Any]:
    return {"measurements": [{"phase": "Successful", "finishedAt": "2026-01-01T00:00:00Z"}], **counters}


CASES = [
    (
        "A15-failureLimit-2-three-failed",
        Limits(failure_limit=2, count=3, has_interval=True),
        result(count=3, failed=3),
        False,
        P.Failed,
    ),
    (
        "A15-failureLimit-2-terminating",
        Limits(failure_limit=2, count=3, has_interval=True),
        result(count=3, failed=3),
        True,
        P.Failed,
    ),
    (
        "A15-failureLimit-3-running",
        Limits(failure_limit=3, has_interval=True),
        result(count=3, failed=3),
        False,
        P.Running,
    ),
    (
        "A15-failureLimit-3-terminated",
        Limits(failure_limit=3, has_interval=True),
        result(count=3, failed=3),
        True,
        P.Successful,
    ),
    ("A15-default-failureLimit-0", Limits(has_interval=True), result(count=1, failed=1), False, P.Failed),
    ("A15-5-consecutive-errors", Limits(has_interval=True), result(error=5, consecutiveError=5), False, P.Error),
    ("A15-4-consecutive-errors", Limits(has_interval=True), result(error=4, consecutiveError=4), False, P.Running),
    (
        "A15-4-consecutive-errors-terminating",
        Limits(has_interval=True),
        result(error=4, consecutiveError=4),
        True,
        P.Successful,
    ),
    ("A16-count-reached", Limits(count=10, has_interval=True), result(count=10, successful=10), False, P.Successful),
    (
        "A16-5-inconclusive",
        Limits(count=10, has_interval=True),
        result(count=10, successful=5, inconclusive=5),
        False,
        P.Inconclusive,
    ),
    (
        "A16-inconclusiveLimit-2",
        Limits(inconclusive_limit=2, has_interval=True),
        result(count=3, inconclusive=3),
        False,
        P.Inconclusive,
    ),
    (
        "A16-inconclusiveLimit-3",
        Limits(inconclusive_limit=3, has_interval=True),
        result(count=3, inconclusive=3),
        False,
        P.Running,
    ),
    (
        "A16-fl4-csl4-f4-cs3",
        Limits(failure_limit=4, consecutive_success_limit=4, count=10, has_interval=True),
        result(count=10, failed=4, consecutiveSuccess=3),
        False,
        P.Inconclusive,
    ),
    (
        "A16-fl4-csl4-f5-cs3",
        Limits(failure_limit=4, consecutive_success_limit=4, count=10, has_interval=True),
        result(count=10, failed=5, consecutiveSuccess=3),
        False,
        P.Failed,
    ),
    (
        "A16-fl4-csl4-f4-cs4",
        Limits(failure_limit=4, consecutive_success_limit=4, count=10, has_interval=True),
        result(count=10, failed=4, consecutiveSuccess=4),
        False,
        P.Successful,
    ),
    (
        "A16-fl4-csl4-f5-cs4",
        Limits(failure_limit=4, consecutive_success_limit=4, count=10, has_interval=True),
        result(count=10, failed=5, consecutiveSuccess=4),
        False,
        P.Failed,
    ),
    (
        "A16-fl-1-csl3-cs3",
        Limits(failure_limit=-1, consecutive_success_limit=3, count=5, has_interval=True),
        result(count=3, consecutiveSuccess=3),
        False,
        P.Successful,
    ),
    (
        "A16-fl-1-csl5-count7-cs3",
        Limits(failure_limit=-1, consecutive_success_limit=5, count=7, has_interval=True),
        result(count=7, consecutiveSuccess=3),
        False,
        P.Failed,
    ),
    ("no-measurements-pending", Limits(), {"measurements": []}, False, P.Pending),
    ("no-measurements-terminated", Limits(), {"measurements": []}, True, P.Successful),
    ("in-flight", Limits(), {"measurements": [{"phase": "Running"}]}, False, P.Running),
    ("single-measurement-default", Limits(), result(count=1, successful=1), False, P.Successful),
    (
        "precedence-error-over-failed",
        Limits(has_interval=True),
        result(count=1, failed=1, consecutiveError=5, error=5),
        False,
        P.Error,
    ),
]


@pytest.mark.parametrize(("limits", "res", "terminating", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_assess_metric(limits: Limits, res: dict[str, Any], terminating: bool, want: P) -> None:
    assert assess_metric(limits, res, terminating=terminating)[0] is want


def test_reason_text_is_argos() -> None:
    phase, reason = assess_metric(Limits(has_interval=True), result(count=1, failed=1), terminating=False)
    assert (phase, reason) == (P.Failed, "failed (1) > failureLimit (0)")
    _, reason = assess_metric(Limits(has_interval=True), result(consecutiveError=5, error=5), terminating=False)
    assert reason == "consecutiveErrors (5) > consecutiveErrorLimit (4)"
    _, reason = assess_metric(
        Limits(inconclusive_limit=2, has_interval=True), result(inconclusive=3), terminating=False
    )
    assert reason == "inconclusive (3) > inconclusiveLimit (2)"


def test_run_is_worst_non_dry_run_metric() -> None:
    verdicts = [
        MetricVerdict("a", P.Successful, "", False),
        MetricVerdict(
            "b",
            P.Inconclusive,
            'Metric "b" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)',
            False,
        ),
        MetricVerdict("c", P.Failed, "Metric assessed Failed due to failed (1) > failureLimit (0)", True),
    ]
    assert assess_run(verdicts, terminating=False) == (
        P.Inconclusive,
        'Metric "b" assessed Inconclusive due to inconclusive (1) > inconclusiveLimit (0)',
    )


def test_run_keeps_running_until_every_metric_completes() -> None:
    verdicts = [MetricVerdict("a", P.Successful, "", False), MetricVerdict("b", P.Running, "", False)]
    assert assess_run(verdicts, terminating=False)[0] is P.Running


def test_only_dry_run_metrics_is_successful() -> None:
    assert assess_run([MetricVerdict("a", P.Failed, "x", True)], terminating=False)[0] is P.Successful
