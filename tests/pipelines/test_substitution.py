"""``$(...)`` substitution, table-style. Rules from tektoncd/pipeline ``pkg/substitution/substitution.go`` /
``replacements.go`` (single pass, unknown refs kept), ``pkg/reconciler/taskrun/resources/apply.go``
(``paramPatterns``: ``params.x``, ``params['x']``, ``params["x"]``, legacy ``inputs.params.x``; array/object
expansion only as a whole element, ``ApplyArrayReplacements``) and ``docs/variables.md``."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.pipelines.substitution import split_ref, substitute, substitute_list, substitute_value

SCOPE: dict[str, Any] = {
    "params": {
        "x": "1",
        "a.b": "dotted",
        "arr": ["staging", "qa", "prod"],
        "obj": {"url": "https://x", "rev": "main"},
        "self": "$(params.x)",
    },
    "inputs": {"params": {"x": "1"}},
    "context": {"taskRun": {"name": "tr-1"}, "task": {"retry-count": "0"}, "pipelineRun": {"uid": "u-1"}},
    "tasks": {
        "t": {"results": {"r": "v\n", "arr": ["", "b"], "obj": {"k": "val"}}, "status": "Succeeded"},
        "status": "Completed",
    },
    "results": {"out": {"path": "/tekton/results/out"}},
    "steps": {"step-a": {"exitCode": {"path": "/tekton/steps/step-a/exitCode"}}},
    "workspaces": {"src": {"path": "/workspace/src", "bound": "true", "claim": "", "volume": "ws-1"}},
}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("$(params.x)", "1"),
        ("$(params['x'])", "1"),
        ('$(params["x"])', "1"),
        ("$(params['a.b'])", "dotted"),  # a dotted name needs bracket syntax (docs/variables.md)
        ("$(params.arr[1])", "qa"),
        ("$(params.obj.url)", "https://x"),
        ("$(inputs.params.x)", "1"),  # legacy form still substituted in Tasks
        ("$(tasks.t.results.r)", "v\n"),  # results are verbatim, trailing newline kept
        ("$(tasks.t.results.arr[0])-$(tasks.t.results.arr[1])", "-b"),
        ("$(tasks.t.results.obj.k)", "val"),
        ("$(tasks.t.status) $(tasks.status)", "Succeeded Completed"),
        ("$(context.taskRun.name)/$(context.task.retry-count)/$(context.pipelineRun.uid)", "tr-1/0/u-1"),
        ("$(results.out.path)", "/tekton/results/out"),
        ("$(steps.step-a.exitCode.path)", "/tekton/steps/step-a/exitCode"),
        (
            "$(workspaces.src.path) $(workspaces.src.bound) [$(workspaces.src.claim)] $(workspaces.src.volume)",
            "/workspace/src true [] ws-1",
        ),
        ("$(params.self)", "$(params.x)"),  # single pass: substituted text is not expanded again
        ("$(params.nope) $(unknown.thing)", "$(params.nope) $(unknown.thing)"),  # unknown refs stay
        ("$(params.arr[*])", "$(params.arr[*])"),  # a whole array never goes into a string
        ("$(params.arr[9])", "$(params.arr[9])"),
        ('echo -n $(( "$(params.x)" * 2 ))', 'echo -n $(( "1" * 2 ))'),  # shell arithmetic is left alone
        ("VALUE=$(cat $(results.out.path))", "VALUE=$(cat /tekton/results/out)"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_substitute_string(text: str, want: str) -> None:
    assert substitute(text, SCOPE) == want


@pytest.mark.parametrize(
    ("items", "want"),
    [
        (["$(params.arr[*])"], ["staging", "qa", "prod"]),
        (["echo", "$(params.arr)", "$(params.x)"], ["echo", "staging", "qa", "prod", "1"]),
        (["pre-$(params.arr[*])"], ["pre-$(params.arr[*])"]),  # only a whole element expands
        (["$(tasks.t.results.arr[*])"], ["", "b"]),
    ],
    ids=["star", "bare-array-ref", "not-whole-element", "result-array"],
)
def test_array_fields_expand_whole_elements(items: list[str], want: list[str]) -> None:
    assert substitute_list(items, SCOPE) == want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ("$(params.arr[*])", ["staging", "qa", "prod"]),
        ("$(params.obj[*])", {"url": "https://x", "rev": "main"}),
        ("$(tasks.t.results.obj[*])", {"k": "val"}),
        (["$(params.arr[0])", "$(tasks.t.results.obj.k)"], ["staging", "val"]),
        ({"a": "$(params.arr[2])"}, {"a": "prod"}),
    ],
    ids=["array-param", "object-param", "object-result", "list-literal", "map-literal"],
)
def test_param_values(value: Any, want: Any) -> None:
    assert substitute_value(value, SCOPE) == want


@pytest.mark.parametrize(
    ("expr", "parts"),
    [
        ("params.x", ("params", "x")),
        ("params['a.b']", ("params", "a.b")),
        ("tasks.t.results.r[*]", ("tasks", "t", "results", "r", "*")),
        ("params.arr[2]", ("params", "arr", 2)),
        ("a b", None),
        ("params.", None),
    ],
)
def test_split_ref(expr: str, parts: tuple[str | int, ...] | None) -> None:
    assert split_ref(expr) == parts
