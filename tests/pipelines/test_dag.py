"""DAG building: ``runAfter`` plus implicit result-reference edges, cycles and unknown tasks.
Tekton ``PipelineTask.Deps()`` (pkg/apis/pipeline/v1/pipeline_types.go), ``pkg/reconciler/pipeline/dag/dag.go``
(``Build``: cycle and unknown-task errors), ``docs/matrix.md`` (``matrix.length`` adds no edge)."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.pipelines.dag import build, topological
from shipyard.resources.tekton import PipelineTask


def tasks(*specs: dict[str, Any]) -> list[PipelineTask]:
    return [PipelineTask.model_validate({"taskRef": {"name": "t"}, **s}) for s in specs]


@pytest.mark.parametrize(
    ("spec", "parents"),
    [
        ([{"name": "a"}, {"name": "b", "runAfter": ["a"]}], {"a": (), "b": ("a",)}),
        (
            [{"name": "a"}, {"name": "b", "params": [{"name": "x", "value": "$(tasks.a.results.r)"}]}],
            {"a": (), "b": ("a",)},
        ),
        (
            [
                {"name": "a"},
                {"name": "b", "when": [{"input": "$(tasks.a.results.r)", "operator": "in", "values": ["y"]}]},
            ],
            {"a": (), "b": ("a",)},
        ),
        (
            [
                {"name": "a"},
                {
                    "name": "b",
                    "taskRef": None,
                    "taskSpec": {"steps": [{"image": "busybox", "args": ["$(tasks.a.results.uid)"]}]},
                },
            ],
            {"a": (), "b": ("a",)},
        ),
        (
            [{"name": "a"}, {"name": "b", "matrix": {"params": [{"name": "p", "value": ["$(tasks.a.results.r[*])"]}]}}],
            {"a": (), "b": ("a",)},
        ),
        (
            [{"name": "a"}, {"name": "b", "params": [{"name": "n", "value": "$(tasks.a.matrix.length)"}]}],
            {"a": (), "b": ()},
        ),
        (
            [
                {"name": "a"},
                {"name": "b", "runAfter": ["a"], "params": [{"name": "x", "value": "$(tasks.a.results.r)"}]},
            ],
            {"a": (), "b": ("a",)},
        ),
    ],
    ids=[
        "runAfter",
        "param-result-ref",
        "when-result-ref",
        "inline-spec-result-ref",
        "matrix-result-ref",
        "matrix-length-no-edge",
        "dedup",
    ],
)
def test_edges(spec: list[dict[str, Any]], parents: dict[str, tuple[str, ...]]) -> None:
    graph, issues = build(tasks(*spec))
    assert issues == []
    assert graph.parents == parents


@pytest.mark.parametrize(
    ("spec", "messages"),
    [
        (
            [{"name": "build"}, {"name": "test", "runAfter": ["buidl"]}],
            ['unknown task "buidl" (did you mean "build"?)'],
        ),
        (
            [{"name": "a"}, {"name": "b", "params": [{"name": "x", "value": "$(tasks.c.results.r)"}]}],
            ['result reference to unknown task "c"'],
        ),
        ([{"name": "a", "runAfter": ["a"]}], ['task "a" depends on itself']),
        (
            [{"name": "a", "runAfter": ["c"]}, {"name": "b", "runAfter": ["a"]}, {"name": "c", "runAfter": ["b"]}],
            ["cycle detected: a -> b -> c -> a"],
        ),
    ],
    ids=["unknown-runAfter", "unknown-result-ref", "self-edge", "cycle"],
)
def test_invalid_graphs(spec: list[dict[str, Any]], messages: list[str]) -> None:
    _, issues = build(tasks(*spec))
    assert [i.message for i in issues] == messages


def test_finally_results_cannot_feed_dag_tasks() -> None:
    _, issues = build(
        tasks({"name": "a", "params": [{"name": "x", "value": "$(tasks.f.results.r)"}]}), finally_names=["f"]
    )
    assert [i.message for i in issues] == ['a task cannot consume results of finally task "f"']


def test_topological_order_is_stable_and_linear_time() -> None:
    n = 2000
    graph, issues = build(tasks({"name": "t0"}, *({"name": f"t{i}", "runAfter": [f"t{i - 1}"]} for i in range(1, n))))
    assert issues == []
    assert topological(graph) == [f"t{i}" for i in range(n)]
