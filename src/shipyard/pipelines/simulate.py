"""Drive the planner to the end without running anything: every TaskRun's outcome comes from a function.

The table tests use it to check scheduling, skip propagation and status messages against Tekton's rules, and the
benchmark uses it to time planning a large DAG (the planner's cost alone, no processes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from shipyard.pipelines import planner as P
from shipyard.pipelines.state import RunState, TaskRunRecord, TRState
from shipyard.pipelines.status import condition
from shipyard.pipelines.substitution import Value

Outcome = Callable[[TaskRunRecord], tuple[TRState, dict[str, Value]]]


def succeed(_: TaskRunRecord) -> tuple[TRState, dict[str, Value]]:
    return TRState.succeeded, {}


def simulate(
    state: RunState, outcome: Outcome = succeed, *, now: float = 0.0, max_rounds: int = 1_000_000
) -> list[str]:
    """Run ``state`` to its end; returns the TaskRun names in the order they were started."""
    started: list[str] = []
    for _ in range(max_rounds):
        actions = P.plan(state, now)
        if not actions:
            raise RuntimeError("the planner has nothing to do but the run is not finished")
        for a in actions:
            if isinstance(a, P.Finish):
                state.condition = condition(state)
                state.completion = now
                return started
            if isinstance(a, P.StartTask):
                state.add_runs(a.pipeline_task, [dataclasses.replace(r, state=TRState.running) for r in a.runs])
                for r in a.runs:
                    started.append(r.name)
                    _finish(state, state.taskruns[r.name], outcome)
            elif isinstance(a, P.RetryTaskRun):
                rec = dataclasses.replace(state.taskruns[a.taskrun], state=TRState.running)
                rec.attempt += 1
                state.update_taskrun(rec)
                started.append(rec.name)
                _finish(state, rec, outcome)
            elif isinstance(a, P.SkipTask):
                state.skip(a.pipeline_task, a.reason, a.when)
            elif isinstance(a, P.FailRun):
                state.failure = (a.reason, a.message)
            elif isinstance(a, P.StartFinally):
                state.finally_start = now
            elif isinstance(a, P.TimedOut):
                state.timed_out = a.which
            elif isinstance(a, P.CancelTaskRun):
                state.cancel_requested.add(a.taskrun)
                rec = state.taskruns[a.taskrun]
                state.update_taskrun(dataclasses.replace(rec, state=TRState.cancelled, reason="TaskRunCancelled"))
    raise RuntimeError("the run did not finish")


def _finish(state: RunState, rec: TaskRunRecord, outcome: Outcome) -> None:
    result, results = outcome(rec)
    pt = state.by_name[rec.pipeline_task]
    if result is TRState.failed and len(rec.retries_status) < pt.retries:
        state.update_taskrun(
            dataclasses.replace(
                rec, state=TRState.retry, retries_status=[*rec.retries_status, {"attempt": rec.attempt}]
            )
        )
        return
    reason = {TRState.succeeded: "Succeeded", TRState.failed: "Failed", TRState.cancelled: "TaskRunCancelled"}[result]
    if result is TRState.failed and pt.on_error == "continue":
        reason = "FailureIgnored"
    state.update_taskrun(dataclasses.replace(rec, state=result, reason=reason, results=results))
