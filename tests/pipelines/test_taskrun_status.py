"""TaskRun status shapes, table-tested against Tekton's code: pkg/pod/status.go (failure messages, step states),
cmd/entrypoint/main.go (a skipped step exits 1), pkg/reconciler/taskrun/taskrun.go failTaskRun (steps stopped by a
TaskRun timeout or cancel are terminated with exit code 1 and the TaskRun's reason)."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.pipelines.state import TRState
from shipyard.pipelines.trstatus import StepResult, step_states, verdict


def step(name: str, code: int, reason: str) -> StepResult:
    return StepResult(f"step-{name}", "alpine", code, reason, 0.0, 1.0)


VERDICTS = [
    ([step("a", 0, "Completed")], {}, (TRState.succeeded, "Succeeded", "All Steps have completed executing")),
    (
        [step("a", 0, "Completed"), step("b", 3, "Error"), step("c", 0, "Skipped")],
        {},
        (TRState.failed, "StepFailed", '"step-b" exited with code 3'),
    ),
    (
        [step("a", 1, "Continued"), step("b", 0, "Completed")],
        {},
        (TRState.succeeded, "Succeeded", "All Steps have completed executing"),
    ),
    (
        [step("slow", 1, "TimeoutExceeded"), step("after", 0, "Skipped")],
        {},
        (TRState.failed, "StepFailed", '"step-slow" exited because the step exceeded the specified timeout limit'),
    ),
    (
        [step("slow", 1, "TimeoutExceeded")],
        {"timed_out": True, "timeout": 1.0},
        (TRState.failed, "TaskRunTimeout", 'TaskRun "tr" failed to finish within "1s"'),
    ),
    (
        [step("b", 2, "Error")],
        {"ignore_failure": True},
        (TRState.failed, "FailureIgnored", '"step-b" exited with code 2'),
    ),
]


@pytest.mark.parametrize(
    ("steps", "kw", "expected"),
    VERDICTS,
    ids=[
        "all-steps-completed",
        "first-failing-step-named-status.go",
        "continued-step-does-not-fail",
        "step-timeout-message-status.go-extractContainerFailureMessage",
        "taskrun-timeout-message",
        "pipelinetask-onError-continue-FailureIgnored",
    ],
)
def test_verdict(steps: list[StepResult], kw: dict[str, Any], expected: tuple[TRState, str, str]) -> None:
    v = verdict("tr", steps, **kw)
    assert (v.state, v.reason, v.message) == expected


STATES = [
    (step("a", 0, "Completed"), None, (0, "Completed", "Completed")),
    (step("a", 7, "Error"), None, (7, "Error", "Error")),
    (step("a", 0, "Skipped"), None, (1, "Error", "Skipped")),
    (step("a", 1, "Continued"), None, (1, "Completed", "Continued")),
    (step("a", 1, "TimeoutExceeded"), None, (1, "Error", "TimeoutExceeded")),
    (step("a", 1, "TimeoutExceeded"), "TaskRunTimeout", (1, "TaskRunTimeout", "TimeoutExceeded")),
    (step("a", 0, "Skipped"), "TaskRunTimeout", (1, "TaskRunTimeout", "Skipped")),
    (step("a", 0, "Completed"), "TaskRunTimeout", (0, "Completed", "Completed")),
    (step("a", 137, "Cancelled"), "TaskRunCancelled", (1, "TaskRunCancelled", "Cancelled")),
]


@pytest.mark.parametrize(
    ("s", "stopped_by", "expected"),
    STATES,
    ids=[
        "completed",
        "error-keeps-exit-code",
        "skipped-exits-1-entrypoint-SkipError",
        "continued-container-completed-exit-code-from-termination-message",
        "step-timeout",
        "running-step-at-taskrun-timeout-failTaskRun",
        "waiting-step-at-taskrun-timeout-failTaskRun",
        "finished-step-kept-at-taskrun-timeout",
        "cancelled-step-failTaskRun",
    ],
)
def test_step_state(s: StepResult, stopped_by: str | None, expected: tuple[int, str, str]) -> None:
    (state,) = step_states([s], stopped_by=stopped_by)
    assert (state["terminated"]["exitCode"], state["terminated"]["reason"], state["terminationReason"]) == expected
    assert (state["name"], state["container"]) == ("a", "step-a")
