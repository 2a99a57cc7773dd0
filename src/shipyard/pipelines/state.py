"""The state of one PipelineRun as the planner sees it, and the only functions that change it.

Everything here is plain data (JSON round-trip with ``to_dict``/``from_dict``) so the runner can persist it before
acting. The DAG bookkeeping is incremental: ``unfinished_parents`` and ``ready`` are updated when a task finishes,
so a scheduling round looks only at tasks that just became ready (O(changed), not O(tasks)).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from shipyard.pipelines.dag import Graph
from shipyard.pipelines.dag import build as build_graph
from shipyard.pipelines.substitution import Value
from shipyard.resources.tekton import PipelineSpec, PipelineTask, TaskSpec


class TRState(enum.StrEnum):
    pending = "pending"  # planned and persisted, not yet handed to the executor
    running = "running"
    retry = "retry"  # failed attempt archived; waits for the next attempt
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


FINAL = frozenset({TRState.succeeded, TRState.failed, TRState.cancelled})


class Cancel(enum.StrEnum):
    cancelled = "Cancelled"
    cancelled_run_finally = "CancelledRunFinally"
    stopped_run_finally = "StoppedRunFinally"


@dataclass(slots=True)
class TaskRunRecord:
    name: str
    pipeline_task: str
    index: int | None
    params: dict[str, Value]
    state: TRState = TRState.pending
    attempt: int = 0
    reason: str = "Pending"
    message: str = ""
    results: dict[str, Value] = field(default_factory=dict)
    status: dict[str, Any] = field(default_factory=dict)  # Tekton TaskRun status of the current attempt
    retries_status: list[dict[str, Any]] = field(default_factory=list)
    uid: str = ""

    @property
    def final(self) -> bool:
        return self.state in FINAL


@dataclass(slots=True)
class Skip:
    reason: str
    when: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class RunState:
    name: str
    uid: str
    namespace: str
    pipeline_name: str  # "anonymous" for embedded specs (metrics label, context.pipeline.name)
    spec: PipelineSpec
    task_specs: dict[str, TaskSpec]  # pipeline task → resolved TaskSpec
    inline: dict[str, bool]  # pipeline task → embedded taskSpec (params/workspaces propagate)
    params: dict[str, Value]
    workspaces_bound: dict[str, bool]
    start: float
    timeout_pipeline: float | None = 3600.0
    timeout_tasks: float | None = None
    timeout_finally: float | None = None
    taskruns: dict[str, TaskRunRecord] = field(default_factory=dict)
    runs_of: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, Skip] = field(default_factory=dict)
    cancel: Cancel | None = None
    cancel_requested: set[str] = field(default_factory=set)
    failure: tuple[str, str] | None = None  # run-level (reason, message), e.g. InvalidTaskResultReference
    finally_start: float | None = None
    timed_out: str | None = None  # "pipeline" | "tasks" | "finally"
    condition: dict[str, str] | None = None  # final condition once finished
    completion: float | None = None
    # Derived, rebuilt by ``index()``; never persisted.
    graph: Graph = field(init=False)
    by_name: dict[str, PipelineTask] = field(init=False)
    position: dict[str, int] = field(init=False)
    finally_names: list[str] = field(init=False)
    unfinished_parents: dict[str, int] = field(init=False)
    ready: set[str] = field(init=False)
    dag_left: int = field(init=False)
    finally_left: int = field(init=False)
    is_stopping: bool = field(init=False)
    active_set: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.index()

    def index(self) -> None:
        fin = [t.name for t in self.spec.finally_]
        self.graph, _ = build_graph(self.spec.tasks, finally_names=fin)
        self.finally_names = fin
        self.by_name = {t.name: t for t in [*self.spec.tasks, *self.spec.finally_]}
        self.position = {t.name: i for i, t in enumerate([*self.spec.tasks, *self.spec.finally_])}
        self.unfinished_parents = {}
        self.active_set = {n for n, r in self.taskruns.items() if not r.final}
        self.ready = set()
        self.dag_left = 0
        for name in self.graph.order:
            if self.task_done(name):
                continue
            self.dag_left += 1
            left = sum(1 for p in self.graph.parents[name] if not self.task_done(p))
            self.unfinished_parents[name] = left
            if left == 0 and not self.started(name):
                self.ready.add(name)
        self.finally_left = sum(1 for n in fin if not self.task_done(n))
        self.is_stopping = any(
            self.task_failed(n) and not self.ignores_failure(n) for n in self.graph.order if n in self.runs_of
        )

    # --- queries -------------------------------------------------------------------------------------------
    def is_finally(self, name: str) -> bool:
        return name in self.by_name and name not in self.graph.parents

    def started(self, name: str) -> bool:
        return name in self.runs_of

    def runs(self, name: str) -> list[TaskRunRecord]:
        return [self.taskruns[n] for n in self.runs_of.get(name, [])]

    def task_done(self, name: str) -> bool:
        if name in self.skipped:
            return True
        names = self.runs_of.get(name)
        return names is not None and all(self.taskruns[n].final for n in names)

    def task_succeeded(self, name: str) -> bool:
        runs = self.runs(name)
        return bool(runs) and all(r.state is TRState.succeeded for r in runs)

    def task_failed(self, name: str) -> bool:
        """``isFailure``: all runs done and any failed (cancelled counts as cancelled, not failed)."""
        runs = self.runs(name)
        return bool(runs) and all(r.final for r in runs) and any(r.state is TRState.failed for r in runs)

    def task_cancelled(self, name: str) -> bool:
        runs = self.runs(name)
        return bool(runs) and all(r.final for r in runs) and any(r.state is TRState.cancelled for r in runs)

    def ignores_failure(self, name: str) -> bool:
        return self.by_name[name].on_error == "continue"

    def stopping(self) -> bool:
        """``IsStopping``: a DAG task failed without ``onError: continue`` (kept incrementally)."""
        return self.is_stopping

    def active(self) -> list[TaskRunRecord]:
        """TaskRuns not yet final, in creation order (kept incrementally)."""
        return sorted((self.taskruns[n] for n in self.active_set), key=lambda r: self.position[r.pipeline_task])

    # --- changes -------------------------------------------------------------------------------------------
    def _finished(self, name: str) -> None:
        if self.is_finally(name):
            self.finally_left -= 1
            return
        self.dag_left -= 1
        self.ready.discard(name)
        if self.task_failed(name) and not self.ignores_failure(name):
            self.is_stopping = True
        for child in self.graph.children.get(name, ()):
            self.unfinished_parents[child] -= 1
            if self.unfinished_parents[child] == 0 and not self.started(child) and child not in self.skipped:
                self.ready.add(child)

    def add_runs(self, name: str, records: list[TaskRunRecord]) -> None:
        self.ready.discard(name)
        self.runs_of[name] = [r.name for r in records]
        for r in records:
            self.taskruns[r.name] = r
            if not r.final:
                self.active_set.add(r.name)
        if not records:
            self._finished(name)

    def skip(self, name: str, reason: str, when: list[dict[str, Any]] | None = None) -> None:
        if name in self.skipped or self.started(name):
            return
        self.skipped[name] = Skip(reason, when or [])
        self._finished(name)

    def update_taskrun(self, record: TaskRunRecord) -> None:
        """Store a TaskRun's new state; finishing the last run of a task releases its children."""
        name = record.pipeline_task
        was_done = self.task_done(name)
        self.taskruns[record.name] = record
        if record.final:
            self.active_set.discard(record.name)
        else:
            self.active_set.add(record.name)
        if not was_done and self.task_done(name):
            self._finished(name)

    # --- persistence ---------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uid": self.uid,
            "namespace": self.namespace,
            "pipeline_name": self.pipeline_name,
            "spec": self.spec.model_dump(by_alias=True, exclude_none=True),
            "task_specs": {k: v.model_dump(by_alias=True, exclude_none=True) for k, v in self.task_specs.items()},
            "inline": self.inline,
            "params": self.params,
            "workspaces_bound": self.workspaces_bound,
            "start": self.start,
            "timeouts": [self.timeout_pipeline, self.timeout_tasks, self.timeout_finally],
            "taskruns": {k: record_dict(v) for k, v in self.taskruns.items()},
            "runs_of": self.runs_of,
            "skipped": {k: {"reason": v.reason, "when": v.when} for k, v in self.skipped.items()},
            "cancel": self.cancel.value if self.cancel else None,
            "failure": list(self.failure) if self.failure else None,
            "finally_start": self.finally_start,
            "timed_out": self.timed_out,
            "condition": self.condition,
            "completion": self.completion,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunState:
        tp, tt, tf = d["timeouts"]
        return cls(
            name=d["name"],
            uid=d["uid"],
            namespace=d["namespace"],
            pipeline_name=d["pipeline_name"],
            spec=PipelineSpec.model_validate(d["spec"]),
            task_specs={k: TaskSpec.model_validate(v) for k, v in d["task_specs"].items()},
            inline=d["inline"],
            params=d["params"],
            workspaces_bound=d["workspaces_bound"],
            start=d["start"],
            timeout_pipeline=tp,
            timeout_tasks=tt,
            timeout_finally=tf,
            taskruns={k: _record(v) for k, v in d["taskruns"].items()},
            runs_of=d["runs_of"],
            skipped={k: Skip(v["reason"], v["when"]) for k, v in d["skipped"].items()},
            cancel=Cancel(d["cancel"]) if d["cancel"] else None,
            failure=(d["failure"][0], d["failure"][1]) if d["failure"] else None,
            finally_start=d["finally_start"],
            timed_out=d["timed_out"],
            condition=d["condition"],
            completion=d["completion"],
        )


def record_dict(r: TaskRunRecord) -> dict[str, Any]:
    return {
        "name": r.name,
        "pipeline_task": r.pipeline_task,
        "index": r.index,
        "params": r.params,
        "state": r.state.value,
        "attempt": r.attempt,
        "reason": r.reason,
        "message": r.message,
        "results": r.results,
        "status": r.status,
        "retries_status": r.retries_status,
        "uid": r.uid,
    }


def _record(d: dict[str, Any]) -> TaskRunRecord:
    return TaskRunRecord(**{**d, "state": TRState(d["state"])})
