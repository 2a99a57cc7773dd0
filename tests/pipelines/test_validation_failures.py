"""Runs that fail validation end with Tekton's reason and message and create no TaskRun (the messages are
pipelinerun.go reconcile's MarkFailed formats and taskrun.go prepare's ValidateResolvedTask/validateParams text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from shipyard.controllers.pipelines import PipelineService
from shipyard.resources.loader import Document

STEP = {"name": "s", "image": "busybox", "script": "true"}
ECHO = {"name": "echo", "taskSpec": {"steps": [STEP]}}
TASK = Document(
    data={
        "apiVersion": "tekton.dev/v1",
        "kind": "Task",
        "metadata": {"name": "needs-q"},
        "spec": {
            "params": [{"name": "q"}, {"name": "r", "type": "array"}, {"name": "d", "default": "x"}],
            "steps": [STEP],
        },
    },
    file="task.yaml",
)


def pipelinerun(spec: dict[str, Any], **run: Any) -> dict[str, Any]:
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": {"name": "pr"},
        "spec": {"pipelineSpec": spec, **run},
    }


def taskrun(spec: dict[str, Any], **run: Any) -> dict[str, Any]:
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "TaskRun",
        "metadata": {"name": "tr"},
        "spec": {"taskSpec": spec, **run},
    }


CASES = [
    (
        pipelinerun({"params": [{"name": "a"}, {"name": "b"}, {"name": "c", "default": "1"}], "tasks": [ECHO]}),
        "ParameterMissing",
        "PipelineRun default/pr is missing some parameters required by Pipeline default/pr: "
        "PipelineRun missing parameters: [a b]",
    ),
    (
        pipelinerun(
            {"params": [{"name": "a", "type": "array"}], "tasks": [ECHO]}, params=[{"name": "a", "value": "s"}]
        ),
        "ParameterTypeMismatch",
        "PipelineRun default/pr parameters have mismatching types with Pipeline default/pr's parameters: "
        "parameters have inconsistent types : [a]",
    ),
    (
        pipelinerun(
            {"tasks": [{"name": "t", "taskRef": {"name": "needs-q"}, "params": [{"name": "r", "value": ["1"]}]}]}
        ),
        "PipelineValidationFailed",
        "Validation failed for pipelinerun pr with error [User error] invalid input params for task needs-q: "
        "missing values for these params which have no default values: [q]",
    ),
    (
        pipelinerun(
            {
                "tasks": [
                    {"name": "t", "taskRef": {"name": "needs-q"}, "matrix": {"params": [{"name": "q", "value": ["1"]}]}}
                ]
            }
        ),
        "PipelineValidationFailed",
        "Validation failed for pipelinerun pr with error [User error] invalid input params for task needs-q: "
        "missing values for these params which have no default values: [r]",
    ),
    (
        taskrun({"params": [{"name": "q"}, {"name": "z"}], "steps": [STEP]}),
        "TaskRunValidationFailed",
        "invalid input params for task tr: missing values for these params which have no default values: [q z]",
    ),
    (
        taskrun(
            {"params": [{"name": "q", "type": "array"}], "steps": [STEP]}, params=[{"name": "q", "value": {"k": "v"}}]
        ),
        "TaskRunValidationFailed",
        "invalid input params for task tr: param types don't match the user-specified type: [q]",
    ),
]


@pytest.mark.parametrize(
    ("run", "reason", "message"),
    CASES,
    ids=[
        "pipelinerun-missing-params-ValidateRequiredParametersProvided",
        "pipelinerun-type-mismatch-ValidateParamTypesMatching",
        "pipeline-task-missing-param-ValidateResolvedTask",
        "matrix-params-count-as-given-ValidateResolvedTask",
        "taskrun-missing-params-validateParams",
        "taskrun-wrong-type-validateParams",
    ],
)
def test_validation_failure(run: dict[str, Any], reason: str, message: str, tmp_path: Path) -> None:
    svc = PipelineService(tmp_path / "home", registry=CollectorRegistry())
    try:
        obj = svc.run(run, [TASK])
        c = obj["status"]["conditions"][0]
        assert (c["status"], c["reason"], c["message"]) == ("False", reason, message)
        if run["kind"] == "PipelineRun":
            assert svc.taskruns("pr") == []
    finally:
        svc.close()


def test_a_step_workspace_naming_no_task_workspace_fails_validation(tmp_path: Path) -> None:
    """Isolated workspaces (upstream beta/isolated-workspaces.yaml runs in test_upstream.py): a step listing a
    workspace its Task does not declare fails the TaskRun before any step runs."""
    run = taskrun({"steps": [{**STEP, "workspaces": [{"name": "creds"}]}]})
    svc = PipelineService(tmp_path / "home", registry=CollectorRegistry())
    try:
        obj = svc.run(run)
    finally:
        svc.close()
    cond = obj["status"]["conditions"][0]
    assert (cond["status"], cond["reason"]) == ("False", "TaskRunValidationFailed")
    assert 'no workspace named "creds"' in cond["message"]
