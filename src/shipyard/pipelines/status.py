"""PipelineRun and TaskRun status in Tekton's shape, with Tekton's reasons and messages.

``GetPipelineConditionStatus`` (pkg/reconciler/pipelinerun/resources/pipelinerunstate.go): "Completed" counts
succeeded + failed + cancelled + ignored failures, finally tasks included; finished runs say
``Tasks Completed: %d (Failed: %d, Cancelled %d), Skipped: %d`` (with ``(Ignored: %d)`` when failures were ignored),
running ones add ``Incomplete: %d``; reason Succeeded, Completed when anything was skipped, Failed when a task
failed or was skipped by a timeout, Cancelled when cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard.clock import rfc3339
from shipyard.pipelines.planner import SkipReason
from shipyard.pipelines.scope import TasksView
from shipyard.pipelines.state import Cancel, RunState
from shipyard.pipelines.substitution import REF, Value, resolve, substitute_value
from shipyard.resources.durations import format_duration

TIMEOUT_SKIPS = {SkipReason.pipeline_timeout, SkipReason.tasks_timeout, SkipReason.finally_timeout}


@dataclass(frozen=True, slots=True)
class Counts:
    succeeded: int = 0
    failed: int = 0
    ignored: int = 0
    cancelled: int = 0
    skipped: int = 0
    skipped_timeout: int = 0
    incomplete: int = 0


def counts(state: RunState) -> Counts:
    c = {"succeeded": 0, "failed": 0, "ignored": 0, "cancelled": 0, "skipped": 0, "skipped_timeout": 0, "incomplete": 0}
    for name in [*state.graph.order, *state.finally_names]:
        if state.task_succeeded(name):
            c["succeeded"] += 1
        elif state.task_failed(name):
            c["ignored" if state.ignores_failure(name) else "failed"] += 1
        elif state.task_cancelled(name):
            c["cancelled"] += 1
        elif name in state.skipped:
            c["skipped"] += 1
            if state.skipped[name].reason in TIMEOUT_SKIPS:
                c["skipped_timeout"] += 1
        else:
            c["incomplete"] += 1
    return Counts(**c)


def condition(state: RunState) -> dict[str, str]:
    """The Succeeded condition of the run as it stands."""
    if state.condition is not None:
        return state.condition
    c = counts(state)
    completed = c.succeeded + c.failed + c.cancelled + c.ignored
    failed = c.failed + c.ignored
    if state.failure is not None:
        return _cond("False", state.failure[0], state.failure[1])
    name, timeout = state.name, state.timeout_pipeline or 0
    if state.cancel is Cancel.cancelled:
        return _cond("False", "Cancelled", f'PipelineRun "{name}" was cancelled')
    if state.timed_out == "pipeline":
        return _cond(
            "False", "PipelineRunTimeout", f'PipelineRun "{name}" failed to finish within "{format_duration(timeout)}"'
        )
    if c.incomplete == 0:
        if c.ignored:
            message = f"Tasks Completed: {completed} (Failed: {failed} (Ignored: {c.ignored}), Cancelled {c.cancelled}), Skipped: {c.skipped}"
        else:
            message = f"Tasks Completed: {completed} (Failed: {failed}, Cancelled {c.cancelled}), Skipped: {c.skipped}"
        if state.timed_out == "tasks":
            return _cond(
                "False",
                "PipelineRunTimeout",
                f'PipelineRun "{name}" failed due to tasks failed to finish within "{format_duration(state.timeout_tasks or 0)}"',
            )
        if state.timed_out == "finally":
            return _cond(
                "False",
                "PipelineRunTimeout",
                f'PipelineRun "{name}" failed due to finally tasks failed to finish within "{format_duration(state.timeout_finally or 0)}"',
            )
        if c.failed > 0 or c.skipped_timeout > 0:
            return _cond("False", "Failed", message)
        if state.cancel is not None:
            return _cond("False", "Cancelled", f'PipelineRun "{name}" was cancelled')
        if c.cancelled > 0:
            return _cond("False", "Cancelled", message)
        return _cond("True", "Completed" if c.skipped else "Succeeded", message)
    reason = "Running"
    if state.cancel is Cancel.cancelled_run_finally:
        reason = "CancelledRunningFinally"
    elif state.cancel is Cancel.stopped_run_finally:
        reason = "StoppedRunningFinally"
    elif state.timed_out == "tasks":
        reason = "PipelineRunTimeoutRunningFinally"
    elif c.cancelled > 0 or (c.failed > 0 and _finally_done(state)):
        # pipelinerunstate.go: "for a pipeline with final tasks, single dag task failure does not transition to
        # interim stopping state"; it stays Running until its finally tasks are done.
        reason = "PipelineRunStopping"
    return _cond(
        "Unknown",
        reason,
        f"Tasks Completed: {completed} (Failed: {failed}, Cancelled {c.cancelled}), Incomplete: {c.incomplete}, Skipped: {c.skipped}",
    )


def _finally_done(state: RunState) -> bool:
    return all(state.task_done(n) or n in state.skipped for n in state.finally_names)


def _cond(status: str, reason: str, message: str) -> dict[str, str]:
    return {"type": "Succeeded", "status": status, "reason": reason, "message": message}


def skipped_tasks(state: RunState) -> list[dict[str, Any]]:
    stopping = state.stopping()
    out: list[dict[str, Any]] = []
    for name in [*state.graph.order, *state.finally_names]:
        skip = state.skipped.get(name)
        if skip is None:
            continue
        reason = skip.reason
        # skip() is re-evaluated on every reconcile and checks IsStopping() first.
        if stopping and not state.is_finally(name) and reason not in TIMEOUT_SKIPS:
            reason = SkipReason.stopping
        entry: dict[str, Any] = {"name": name, "reason": reason}
        if skip.when:
            entry["whenExpressions"] = skip.when
        out.append(entry)
    return out


def child_references(state: RunState) -> list[dict[str, Any]]:
    refs: list[dict[str, Any]] = []
    for name in [*state.graph.order, *state.finally_names]:
        pt = state.by_name[name]
        for r in state.runs(name):
            ref: dict[str, Any] = {
                "apiVersion": "tekton.dev/v1",
                "kind": "TaskRun",
                "name": r.name,
                "pipelineTaskName": name,
            }
            display = r.status.get("displayName") if isinstance(r.status, dict) else None
            if display:
                ref["displayName"] = display
            if pt.when:
                ref["whenExpressions"] = r.status.get("whenExpressions", []) or [
                    w.model_dump(exclude_none=True) for w in pt.when
                ]
            refs.append(ref)
    return refs


def pipeline_results(state: RunState) -> list[dict[str, Value]]:
    """Pipeline ``results``; one whose references do not all resolve is omitted (docs/pipelines.md)."""
    scope = {
        "tasks": TasksView(state, with_status=False),
        "finally": TasksView(state, with_status=False, prefix="finally"),
    }
    out: list[dict[str, Value]] = []
    for r in state.spec.results:
        strings = (
            [r.value]
            if isinstance(r.value, str)
            else list(r.value)
            if isinstance(r.value, list)
            else list(r.value.values())
        )
        ok = True
        for s in strings:
            whole = REF.fullmatch(s)
            for expr in REF.findall(s):
                v = resolve(scope, expr)
                if v is None or (not isinstance(v, str) and not whole):
                    ok = False
        if ok:
            out.append({"name": r.name, "value": substitute_value(r.value, scope)})
    return out


def pipelinerun_status(state: RunState, *, finished: bool) -> dict[str, Any]:
    cond = condition(state)
    status: dict[str, Any] = {"conditions": [cond], "startTime": rfc3339(state.start)}
    if state.completion is not None:
        status["completionTime"] = rfc3339(state.completion)
        status["conditions"][0] = {**cond, "lastTransitionTime": rfc3339(state.completion)}
    if state.finally_start is not None:
        status["finallyStartTime"] = rfc3339(state.finally_start)
    refs = child_references(state)
    if refs:
        status["childReferences"] = refs
    skipped = skipped_tasks(state)
    if skipped:
        status["skippedTasks"] = skipped
    if finished:
        results = pipeline_results(state)
        if results:
            status["results"] = results
    status["pipelineSpec"] = state.spec.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    return status
