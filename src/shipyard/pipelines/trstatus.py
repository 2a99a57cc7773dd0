"""A TaskRun's status from its steps' outcomes, in Tekton's shape (``pkg/pod/status.go``, ``taskrun_types.go``).

Success: ``All Steps have completed executing``. A failing step: reason ``StepFailed`` (v1.12+), message
``"step-<name>" exited with code N``, or for a step timeout ``"step-<name>" exited because the step exceeded the
specified timeout limit``. TaskRun timeout: ``TaskRunTimeout``, ``TaskRun "<name>" failed to finish within
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
        # pkg/pod/status.go extractContainerFailureMessage (and test/timeout_test.go's expected message).
        if failed.reason == "TimeoutExceeded":
            msg = f'"{failed.container}" exited because the step exceeded the specified timeout limit'
        else:
            msg = f'"{failed.container}" exited with code {failed.exit_code}'
        v = Verdict(TRState.failed, "StepFailed", msg)
    if ignore_failure:
        return Verdict(TRState.failed, "FailureIgnored", v.message)
    return v


# Steps a TaskRun-level timeout or cancel stopped (running, or never started) rather than ones that ended on their own.
_STOPPED = ("Skipped", "TimeoutExceeded", "Cancelled")


def step_states(steps: Sequence[StepResult], *, stopped_by: str | None = None) -> list[dict[str, Any]]:
    """``status.steps``. A step skipped after an earlier failure exits 1 (cmd/entrypoint: ``SkipError`` ->
    ``os.Exit(1)``), so its container shows exitCode 1 / ``Error``. When the TaskRun itself timed out or was
    cancelled (``stopped_by`` = ``TaskRunTimeout``/``TaskRunCancelled``), ``failTaskRun`` (taskrun.go) marks every
    running or waiting step terminated with exitCode 1 and that reason."""
    out: list[dict[str, Any]] = []
    for s in steps:
        short = s.container.removeprefix("step-")
        exit_code = 1 if s.reason == "Skipped" else s.exit_code
        # onError: continue -- the container itself exits 0 (kubelet says Completed); the step's own exit code
        # comes from the termination message (status.go setTaskRunStatusBasedOnStepStatus).
        reason = "Completed" if exit_code == 0 or s.reason == "Continued" else "Error"
        if stopped_by is not None and s.reason in _STOPPED:
            exit_code, reason = 1, stopped_by
        out.append(
            {
                "name": short,
                "container": s.container,
                "imageID": s.image,
                "terminated": {
                    "exitCode": exit_code,
                    "reason": reason,
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
    stopped_by = v.reason if v.reason in ("TaskRunTimeout", "TaskRunCancelled") else None
    status["steps"] = step_states(steps, stopped_by=stopped_by)
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
