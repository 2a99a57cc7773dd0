"""The variables a PipelineTask sees: params, context, workspaces, and (lazily) other tasks' results and status.

``tasks.<t>.results.<r>`` comes from the TaskRuns of a finished task: a succeeded one, or a failed one whose
PipelineTask has ``onError: continue`` (results written before the failure stay usable). A matrixed task's string
results are aggregated into arrays in TaskRun order; ``tasks.<t>.matrix.length`` and ``.matrix.<r>.length`` count
combinations and produced results (docs/matrix.md). ``tasks.<t>.status|reason`` and ``tasks.status`` exist only for
finally tasks (``GetPipelineTaskStatus``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from shipyard.pipelines.state import RunState, TRState
from shipyard.pipelines.substitution import Value


def task_results(state: RunState, name: str) -> dict[str, Value] | None:
    if name in state.skipped or not state.task_done(name):
        return None
    runs = state.runs(name)
    if not runs:
        return None
    usable = [
        r for r in runs if r.state is TRState.succeeded or (r.state is TRState.failed and state.ignores_failure(name))
    ]
    pt = state.by_name[name]
    if pt.matrix is None:
        return dict(usable[0].results) if usable else None
    out: dict[str, Value] = {}
    for r in usable:
        for k, v in r.results.items():
            if isinstance(v, str):
                lst = out.setdefault(k, [])
                assert isinstance(lst, list)
                lst.append(v)
    return out


def task_status(state: RunState, name: str) -> str:
    if state.task_succeeded(name):
        return "Succeeded"
    if any(r.state is TRState.failed for r in state.runs(name)):
        return "Failed"
    return "None"


def task_reason(state: RunState, name: str) -> str:
    runs = state.runs(name)
    return runs[-1].reason if runs and runs[-1].final else ""


def aggregate_status(state: RunState) -> str:
    if state.dag_left > 0:
        return "None"
    out = "Succeeded"
    for n in state.graph.order:
        if any(r.state is TRState.failed for r in state.runs(n)):
            return "Failed"
        if n in state.skipped:
            out = "Completed"
    return out


class TasksView(Mapping[str, Any]):
    """``tasks`` in a scope, computed per task on demand so a lookup costs O(1) tasks, not O(pipeline)."""

    def __init__(self, state: RunState, *, with_status: bool, prefix: str = "tasks") -> None:
        self.state = state
        self.with_status = with_status
        self.prefix = prefix
        self._cache: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name in self._cache:
            return self._cache[name]
        st = self.state
        if self.with_status and name == "status" and self.prefix == "tasks":
            value: Any = aggregate_status(st)
        elif name in st.by_name:
            entry: dict[str, Any] = {}
            results = task_results(st, name)
            if results is not None:
                entry["results"] = results
            pt = st.by_name[name]
            if pt.matrix is not None and st.started(name):
                runs = st.runs(name)
                produced: dict[str, int] = {}
                for r in runs:
                    for k in r.results:
                        produced[k] = produced.get(k, 0) + 1
                entry["matrix"] = {"length": str(len(runs)), **{k: {"length": str(v)} for k, v in produced.items()}}
            if self.with_status:
                entry["status"] = task_status(st, name)
                entry["reason"] = task_reason(st, name)
            value = entry
        else:
            raise KeyError(name)
        self._cache[name] = value
        return value

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name in self.state.by_name or (self.with_status and name == "status")

    def __iter__(self) -> Iterator[str]:
        return iter(self.state.by_name)

    def __len__(self) -> int:
        return len(self.state.by_name)


def pipeline_scope(state: RunState, *, finally_task: bool, retries: int = 0) -> dict[str, Any]:
    return {
        "params": state.params,
        "context": {
            "pipelineRun": {"name": state.name, "namespace": state.namespace, "uid": state.uid},
            "pipeline": {"name": state.pipeline_name},
            "pipelineTask": {"retries": str(retries)},
        },
        "workspaces": {w: {"bound": "true" if b else "false"} for w, b in state.workspaces_bound.items()},
        "tasks": TasksView(state, with_status=finally_task),
        "finally": TasksView(state, with_status=False, prefix="finally"),
    }
