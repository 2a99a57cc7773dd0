"""The scheduling planner: ``plan(state, now) -> actions``, a pure function of the run's state and the time.

Tekton ``pipelinerunstate.go``/``pipelinerunresolution.go``: candidates are tasks whose parents are all done; no
new task starts once the run is stopping (a DAG task failed without ``onError: continue``), cancelled or timed out;
running tasks finish; the skip reasons of a ready task are checked in ``skip()``'s order (when → parent skipped →
results missing → timeout → empty matrix); finally tasks start together once the DAG is done (``IsFinallySkipped``
checks missing results first, then when). The controller applies the actions, persists, and plans again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shipyard.pipelines.dag import result_refs, task_ref_sources
from shipyard.pipelines.matrix import MAX_COMBINATIONS, fan_out, has_empty_array
from shipyard.pipelines.scope import pipeline_scope
from shipyard.pipelines.state import Cancel, RunState, TaskRunRecord, TRState
from shipyard.pipelines.substitution import Value, lookup, substitute, substitute_value
from shipyard.pipelines.when import CelError, allows, resolved
from shipyard.resources.tekton import PipelineTask


class SkipReason:
    # pkg/apis/pipeline/v1/pipelinerun_types.go SkippingReason
    when = "When Expressions evaluated to false"
    parent = "Parent Tasks were skipped"
    stopping = "PipelineRun was stopping"
    graceful_cancel = "PipelineRun was gracefully cancelled"
    graceful_stop = "PipelineRun was gracefully stopped"
    missing_results = "Results were missing"
    pipeline_timeout = "PipelineRun timeout has been reached"
    tasks_timeout = "PipelineRun Tasks timeout has been reached"
    finally_timeout = "PipelineRun Finally timeout has been reached"
    empty_matrix = "Matrix Parameters have an empty array"


@dataclass(frozen=True, slots=True)
class StartTask:
    pipeline_task: str
    runs: tuple[TaskRunRecord, ...]
    display_name: str | None = None


@dataclass(frozen=True, slots=True)
class RetryTaskRun:
    taskrun: str


@dataclass(frozen=True, slots=True)
class SkipTask:
    pipeline_task: str
    reason: str
    when: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CancelTaskRun:
    taskrun: str
    message: str


@dataclass(frozen=True, slots=True)
class TimedOut:
    which: str  # pipeline | tasks | finally


@dataclass(frozen=True, slots=True)
class FailRun:
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class StartFinally:
    pass


@dataclass(frozen=True, slots=True)
class Finish:
    pass


Action = StartTask | RetryTaskRun | SkipTask | CancelTaskRun | TimedOut | FailRun | StartFinally | Finish

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
TIMEOUT_CANCEL = "TaskRun cancelled as the PipelineRun it belongs to has timed out."
CANCEL_CANCEL = "TaskRun cancelled as the PipelineRun it belongs to has been cancelled."


def child_name(parent: str, suffix: str) -> str:
    """knative ``kmeta.ChildName``: ``parent + suffix`` within 63 chars; else ``parent[:31-len(suffix)]`` + the
    MD5 of the parent + suffix; a suffix of 31 chars or more gives ``parent[:31]`` + the MD5 of both, padded with
    the start of the suffix to 63 and stripped of trailing non-alphanumerics (``makeValidName``)."""
    longest, head = 63, 63 - 32
    if len(parent) + len(suffix) <= longest:
        return parent + suffix
    if head - len(suffix) <= 0:
        out = parent[:head] + hashlib.md5((parent + suffix).encode(), usedforsecurity=False).hexdigest()
        out += suffix[: max(0, longest - len(out))]
        while out and not (out[-1].isascii() and out[-1].isalnum()):
            out = out[:-1]
        return out
    digest = hashlib.md5(parent.encode(), usedforsecurity=False).hexdigest()
    return parent[: head - len(suffix)] + digest + suffix


def deadlines(state: RunState) -> dict[str, float]:
    out: dict[str, float] = {}
    if state.timeout_pipeline:
        out["pipeline"] = state.start + state.timeout_pipeline
    if state.timeout_tasks and state.dag_left > 0:
        out["tasks"] = state.start + state.timeout_tasks
    if state.timeout_finally and state.finally_start is not None and state.finally_left > 0:
        out["finally"] = state.finally_start + state.timeout_finally
    return out


def next_deadline(state: RunState) -> float | None:
    d = deadlines(state)
    return min(d.values()) if d else None


def plan(state: RunState, now: float) -> list[Action]:
    if state.condition is not None:
        return []
    active = state.active()
    running = [r for r in active if r.state is not TRState.retry]
    d = deadlines(state)
    # 1. Run-level ends: a failure found while resolving, the pipeline timeout, a hard cancel.
    if state.failure is not None or state.cancel is Cancel.cancelled or state.timed_out == "pipeline":
        message = TIMEOUT_CANCEL if state.timed_out == "pipeline" else CANCEL_CANCEL
        cancels: list[Action] = [CancelTaskRun(r.name, message) for r in active if r.name not in state.cancel_requested]
        if cancels or running:
            return cancels
        if state.timed_out == "pipeline":
            return [*_skip_all(state, SkipReason.pipeline_timeout, finally_too=True), Finish()]
        return [Finish()]
    if "pipeline" in d and now >= d["pipeline"]:
        return [TimedOut("pipeline")]
    actions: list[Action] = []
    if "tasks" in d and now >= d["tasks"] and state.timed_out is None:
        return [TimedOut("tasks")]
    if "finally" in d and now >= d["finally"] and state.timed_out != "finally":
        return [TimedOut("finally")]
    dag_active = [r for r in active if not state.is_finally(r.pipeline_task)]
    # 2. Graceful ends of the DAG: tasks timeout, cancel-run-finally, stop-run-finally, stopping after a failure.
    if state.timed_out in ("tasks", "finally") or state.cancel is Cancel.cancelled_run_finally:
        which = [r for r in (active if state.timed_out == "finally" else dag_active)]
        message = TIMEOUT_CANCEL if state.timed_out else CANCEL_CANCEL
        actions.extend(CancelTaskRun(r.name, message) for r in which if r.name not in state.cancel_requested)
        if state.timed_out == "finally":
            actions.extend(_skip_all(state, SkipReason.finally_timeout, finally_too=True, dag=False))
        elif state.dag_left > 0 and not actions:
            reason = SkipReason.tasks_timeout if state.timed_out else SkipReason.graceful_cancel
            actions.extend(_skip_all(state, reason))
        if actions:
            return actions
    elif state.cancel is Cancel.stopped_run_finally or state.stopping():
        if not dag_active and state.dag_left > 0:
            reason = SkipReason.graceful_stop if state.cancel else SkipReason.stopping
            return _skip_all(state, reason)
        actions.extend(RetryTaskRun(r.name) for r in active if r.state is TRState.retry)
        if state.dag_left > 0:
            return actions
    else:
        actions.extend(RetryTaskRun(r.name) for r in active if r.state is TRState.retry)
        for name in sorted(state.ready, key=state.position.__getitem__):
            try:
                actions.append(_decide(state, state.by_name[name], finally_task=False))
            except CelError as exc:
                return [FailRun("CELEvaluationFailed", str(exc))]
        if state.dag_left > 0:
            return actions
    # 3. Finally, once every DAG task is done.
    if state.finally_start is None and state.finally_names:
        actions.append(StartFinally())
        for name in state.finally_names:
            try:
                actions.append(_decide(state, state.by_name[name], finally_task=True))
            except CelError as exc:
                return [FailRun("CELEvaluationFailed", str(exc))]
        return actions
    if state.finally_left == 0 and not active:
        actions.append(Finish())
    else:
        actions.extend(RetryTaskRun(r.name) for r in active if r.state is TRState.retry and _not_listed(actions, r))
    return actions


def _not_listed(actions: Sequence[Action], r: TaskRunRecord) -> bool:
    return not any(isinstance(a, RetryTaskRun) and a.taskrun == r.name for a in actions)


def _skip_all(state: RunState, reason: str, *, finally_too: bool = False, dag: bool = True) -> list[Action]:
    names = [*(state.graph.order if dag else []), *(state.finally_names if finally_too else [])]
    return [SkipTask(n, reason) for n in names if not state.started(n) and n not in state.skipped]


def _decide(state: RunState, pt: PipelineTask, *, finally_task: bool) -> Action:
    """Skip (with the first reason that applies, in Tekton's order) or start ``pt``.

    ``skip()`` order (pipelinerunresolution.go): parent skipped (other than by ``when``) → results missing (only
    when the producer was skipped by ``when``, or the consumer ignores failures) → ``when`` false → timeouts →
    empty matrix array. ``IsFinallySkipped``: results missing → ``when`` → timeouts → empty matrix. A reference
    that is missing for any other reason fails the run (``CheckMissingResultReferences``).
    """
    scope = pipeline_scope(state, finally_task=finally_task, retries=pt.retries)
    missing = _missing_refs(state, pt, scope)
    when = resolved(pt.when, scope)
    if finally_task:
        if missing:
            return SkipTask(pt.name, SkipReason.missing_results, when)
    else:
        for parent in state.graph.parents[pt.name]:
            skip = state.skipped.get(parent)
            if skip is not None and skip.reason != SkipReason.when:
                return SkipTask(pt.name, SkipReason.parent, when)
        producer_when_skipped = any(
            (s := state.skipped.get(t)) is not None and s.reason == SkipReason.when for t, _ in missing
        )
        if missing and (producer_when_skipped or pt.on_error == "continue"):
            return SkipTask(pt.name, SkipReason.missing_results, when)
    if pt.when and not allows(when):
        return SkipTask(pt.name, SkipReason.when, when)
    if missing:
        task, result = missing[0]
        return FailRun(
            # resultref.go findTaskResultForParam: "%w: Could not find result with name %s for task %s".
            "InvalidTaskResultReference",
            f"Invalid task result reference: Could not find result with name {result} for task {task}",
        )
    matrix_params: list[tuple[str, Value]] = []
    includes: list[dict[str, str]] = []
    include_names: list[str | None] = []
    if pt.matrix is not None:
        matrix_params = [(p.name, substitute_value(p.value, scope)) for p in pt.matrix.params]
        if has_empty_array(matrix_params):
            return SkipTask(pt.name, SkipReason.empty_matrix)
        for inc in pt.matrix.include:
            # An include entry guarded by `when` that does not hold is left out of the fan-out.
            if inc.when and not allows(resolved(inc.when, scope)):
                continue
            includes.append({p.name: substitute(str(p.value), scope) for p in inc.params})
            include_names.append(inc.name)
        if not pt.matrix.params and not includes:
            return SkipTask(pt.name, SkipReason.empty_matrix)
    params = {p.name: substitute_value(p.value, scope) for p in pt.params}
    base = child_name(state.name, f"-{pt.name}")
    if pt.matrix is None:
        records = [TaskRunRecord(name=base, pipeline_task=pt.name, index=None, params=params)]
    else:
        combos = fan_out(matrix_params, includes)
        # getNewRunNames: a matrix of one combination keeps the plain <pr>-<pt> name.
        single = len(combos) == 1
        if len(combos) > MAX_COMBINATIONS:
            return FailRun(
                "PipelineValidationFailed",
                f"task {pt.name!r} has {len(combos)} matrix combinations, more than {MAX_COMBINATIONS}",
            )
        suffixes = [f"-{pt.name}" if single else f"-{pt.name}-{i}" for i in range(len(combos))]
        # An include-only matrix whose entries all have unique DNS-label names names its TaskRuns after them
        # (upstream beta/pipelinerun-with-matrix-include-names.yaml: <pr>-<pt>-<include name>).
        named = [n for n in include_names if n and _DNS_LABEL.match(n)]
        if not matrix_params and len(named) == len(include_names) == len(set(named)) == len(combos):
            suffixes = [f"-{pt.name}-{n}" for n in named]
        records = [
            TaskRunRecord(
                name=child_name(state.name, suffixes[i]),
                pipeline_task=pt.name,
                index=i,
                params={**params, **c},
            )
            for i, c in enumerate(combos)
        ]
    return StartTask(
        pt.name, tuple(records), display_name=substitute(pt.display_name, scope) if pt.display_name else None
    )


def _missing_refs(state: RunState, pt: PipelineTask, scope: dict[str, Any]) -> list[tuple[str, str]]:
    refs = state.graph.refs.get(pt.name)
    if refs is None:  # finally tasks are not in the DAG
        refs = [ref for _, value in task_ref_sources(pt) for ref in result_refs(value)]
    missing: list[tuple[str, str]] = []
    for task, result in refs:
        if lookup(scope, ("tasks", task, "results", result)) is None and (task, result) not in missing:
            missing.append((task, result))
    return missing
