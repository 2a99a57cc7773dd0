"""A TaskRun's status from its steps' outcomes, in Tekton's shape (``pkg/pod/status.go``, ``taskrun_types.go``).

Success: ``All Steps have completed executing``. A failing step: reason ``StepFailed`` (v1.12+), message
``"step-<name>" exited with code N``. Timeout: ``TaskRunTimeout``, ``TaskRun "<name>" failed to finish within
"<dur>"``. Cancel: ``TaskRunCancelled``. A PipelineTask with ``onError: continue`` turns a failure into
``FailureIgnored`` (still Succeeded=False).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.clock import rfc3339
from shipyard.pipelines.state import TRState
from shipyard.resources.durations import format_duration


@dataclass(frozen=True, slots=True)
class StepResult:
    container: str
    image: str
    exit_code: int
    reason: str  # Completed | Error | Continued | Skipped | TimeoutExceeded | Cancelled
    started: float
    finished: float
    message: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    state: TRState
    reason: str
    message: str


def verdict(
    name: str,
    steps: Sequence[StepResult],
    *,
    cancelled: str | None = None,
    timeout: float | None = None,
    timed_out: bool = False,
    problem: tuple[str, str] | None = None,
    ignore_failure: bool = False,
) -> Verdict:
    if cancelled is not None:
        return Verdict(TRState.cancelled, "TaskRunCancelled", cancelled)
    v: Verdict
    if problem is not None:
        v = Verdict(TRState.failed, problem[0], problem[1])
    elif timed_out:
        v = Verdict(
            TRState.failed,
            "TaskRunTimeout",
            f'TaskRun "{name}" failed to finish within "{format_duration(timeout or 0)}"',
        )
    else:
        failed = next((s for s in steps if s.reason in ("Error", "TimeoutExceeded")), None)
        if failed is None:
            return Verdict(TRState.succeeded, "Succeeded", "All Steps have completed executing")
        msg = f'"{failed.container}" exited with code {failed.exit_code}'
        if failed.reason == "TimeoutExceeded":
            msg += ": TimeoutExceeded"
        v = Verdict(TRState.failed, "StepFailed", msg)
    if ignore_failure:
        return Verdict(TRState.failed, "FailureIgnored", v.message)
    return v


def step_states(steps: Sequence[StepResult]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in steps:
        short = s.container.removeprefix("step-")
        out.append(
            {
                "name": short,
                "container": s.container,
                "imageID": s.image,
                "terminated": {
                    "exitCode": s.exit_code,
                    "reason": "Completed" if s.exit_code == 0 and s.reason != "Skipped" else "Error",
                    "startedAt": rfc3339(s.started),
                    "finishedAt": rfc3339(s.finished),
                },
                "terminationReason": s.reason,
            }
        )
    return out


def taskrun_status(
    *,
    name: str,
    v: Verdict,
    steps: Sequence[StepResult],
    results: list[dict[str, object]],
    start: float,
    completion: float | None,
    task_spec: dict[str, Any],
    retries_status: list[dict[str, Any]],
) -> dict[str, Any]:
    status_word = (
        "True"
        if v.state is TRState.succeeded
        else "False"
        if v.state in (TRState.failed, TRState.cancelled)
        else "Unknown"
    )
    cond: dict[str, Any] = {"type": "Succeeded", "status": status_word, "reason": v.reason, "message": v.message}
    status: dict[str, Any] = {"conditions": [cond], "podName": f"{name}-pod", "startTime": rfc3339(start)}
    if completion is not None:
        status["completionTime"] = rfc3339(completion)
        cond["lastTransitionTime"] = rfc3339(completion)
    status["steps"] = step_states(steps)
    if results:
        status["results"] = results
    if retries_status:
        status["retriesStatus"] = retries_status
    status["taskSpec"] = task_spec
    return status


def running_status(
    name: str, start: float, task_spec: dict[str, Any], retries_status: list[dict[str, Any]]
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "conditions": [
            {
                "type": "Succeeded",
                "status": "Unknown",
                "reason": "Running",
                "message": "Not all Steps in the Task have finished executing",
            }
        ],
        "podName": f"{name}-pod",
        "startTime": rfc3339(start),
        "taskSpec": task_spec,
    }
    if retries_status:
        status["retriesStatus"] = retries_status
    return status


def taskrun_object(
    *,
    name: str,
    namespace: str,
    uid: str,
    labels: dict[str, str],
    spec: dict[str, Any],
    status: dict[str, Any],
) -> dict[str, Any]:
    """A TaskRun as ``kubectl get taskrun -o json`` would show it."""
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "uid": uid}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "tekton.dev/v1", "kind": "TaskRun", "metadata": meta, "spec": spec, "status": status}
