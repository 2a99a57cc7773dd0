"""The pipeline DAG: ``runAfter`` edges plus implicit edges from result references.

Tekton ``PipelineTask.Deps()`` (pkg/apis/pipeline/v1/pipeline_types.go) adds an edge for every
``$(tasks.X.results...)`` in params, matrix params/include, when input/values and an inline taskSpec
(``resultref.go`` ``PipelineTaskResultRefs``); ``$(tasks.X.matrix.length)`` adds none. ``pkg/reconciler/
pipeline/dag`` rejects cycles and unknown tasks. Finally tasks are not in the DAG.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shipyard.pipelines.substitution import references, split_ref
from shipyard.resources.tekton import PipelineTask
from shipyard.resources.validate import did_you_mean


@dataclass(frozen=True, slots=True)
class GraphIssue:
    """A DAG problem: the task's index in ``tasks``, the field path under it, and the message."""

    index: int
    path: tuple[str | int, ...]
    message: str


@dataclass(slots=True)
class Graph:
    order: list[str]
    parents: dict[str, tuple[str, ...]]
    children: dict[str, list[str]] = field(default_factory=dict)
    refs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # task → (task, result) it consumes

    def roots(self) -> list[str]:
        return [t for t in self.order if not self.parents[t]]


def result_refs(value: Any) -> list[tuple[str, str]]:
    """(task, result) pairs of every ``$(tasks.<t>.results.<r>...)`` in a nested value."""
    out: list[tuple[str, str]] = []
    for expr in references(value):
        parts = split_ref(expr)
        if parts and len(parts) >= 4 and parts[0] == "tasks" and parts[2] == "results":
            out.append((str(parts[1]), str(parts[3])))
    return out


def task_ref_sources(pt: PipelineTask) -> list[tuple[tuple[str | int, ...], Any]]:
    """The fields of a PipelineTask in which result references make edges, with their paths."""
    sources: list[tuple[tuple[str | int, ...], Any]] = []
    for i, p in enumerate(pt.params):
        sources.append((("params", i, "value"), p.value))
    if pt.matrix is not None:
        for i, p in enumerate(pt.matrix.params):
            sources.append((("matrix", "params", i, "value"), p.value))
        for i, inc in enumerate(pt.matrix.include):
            for j, p in enumerate(inc.params):
                sources.append((("matrix", "include", i, "params", j, "value"), p.value))
            for j, w in enumerate(inc.when):
                sources.append((("matrix", "include", i, "when", j), w.model_dump(exclude_none=True)))
    for i, w in enumerate(pt.when):
        sources.append((("when", i), w.model_dump(exclude_none=True)))
    if pt.task_spec is not None:
        sources.append((("taskSpec",), pt.task_spec.model_dump(by_alias=True, exclude_none=True)))
    return sources


def dependencies(pt: PipelineTask) -> list[tuple[tuple[str | int, ...], str]]:
    """Every dependency of ``pt`` with the path where it is declared: runAfter first, then result refs."""
    deps: list[tuple[tuple[str | int, ...], str]] = [(("runAfter", i), name) for i, name in enumerate(pt.run_after)]
    for path, value in task_ref_sources(pt):
        deps.extend((path, task) for task, _ in result_refs(value))
    return deps


def build(tasks: Sequence[PipelineTask], *, finally_names: Iterable[str] = ()) -> tuple[Graph, list[GraphIssue]]:
    """Build the DAG; problems are returned (all of them), and the graph holds only the valid edges."""
    names = [t.name for t in tasks]
    known = set(names)
    fin = set(finally_names)
    issues: list[GraphIssue] = []
    parents: dict[str, tuple[str, ...]] = {}
    refs: dict[str, list[tuple[str, str]]] = {}
    for i, pt in enumerate(tasks):
        seen: dict[str, None] = {}
        deps: list[tuple[tuple[str | int, ...], str]] = [(("runAfter", j), n) for j, n in enumerate(pt.run_after)]
        consumed: list[tuple[str, str]] = []
        for path, value in task_ref_sources(pt):
            for ref in result_refs(value):
                deps.append((path, ref[0]))
                if ref not in consumed:
                    consumed.append(ref)
        refs[pt.name] = consumed
        for path, dep in deps:
            if dep == pt.name:
                issues.append(GraphIssue(i, path, f'task "{pt.name}" depends on itself'))
            elif dep in known:
                seen.setdefault(dep, None)
            elif path[0] == "runAfter":
                issues.append(GraphIssue(i, path, f'unknown task "{dep}"{did_you_mean(dep, names)}'))
            elif dep in fin:
                issues.append(GraphIssue(i, path, f'a task cannot consume results of finally task "{dep}"'))
            else:
                issues.append(
                    GraphIssue(i, path, f'result reference to unknown task "{dep}"{did_you_mean(dep, names)}')
                )
        parents[pt.name] = tuple(seen)
    children: dict[str, list[str]] = {n: [] for n in names}
    for n, ps in parents.items():
        for p in ps:
            children[p].append(n)
    graph = Graph(order=names, parents=parents, children=children, refs=refs)
    cycle = find_cycle(graph)
    if cycle:
        idx = names.index(cycle[0])
        issues.append(GraphIssue(idx, ("runAfter",), "cycle detected: " + " -> ".join(cycle)))
    return graph, issues


def find_cycle(graph: Graph) -> list[str]:
    """One cycle as a path ``a -> b -> a``, or [] (iterative DFS, O(V+E))."""
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(graph.order, white)
    for start in graph.order:
        if color[start] != white:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        color[start] = grey
        while stack:
            node, i = stack[-1]
            kids = graph.children[node]
            if i < len(kids):
                stack[-1] = (node, i + 1)
                kid = kids[i]
                if color[kid] == grey:
                    return [*path[path.index(kid) :], kid]
                if color[kid] == white:
                    color[kid] = grey
                    stack.append((kid, 0))
                    path.append(kid)
            else:
                color[node] = black
                stack.pop()
                path.pop()
    return []


def topological(graph: Graph) -> list[str]:
    """Kahn's order, stable in declaration order (for display and for planning benchmarks)."""
    pending: Mapping[str, int] = {n: len(graph.parents[n]) for n in graph.order}
    counts = dict(pending)
    ready = [n for n in graph.order if counts[n] == 0]
    out: list[str] = []
    while ready:
        nxt: list[str] = []
        for n in ready:
            out.append(n)
            for c in graph.children[n]:
                counts[c] -= 1
                if counts[c] == 0:
                    nxt.append(c)
        ready = nxt
    return out
