"""Isolated workspaces (tektoncd/pipeline docs/workspaces.md "Isolated Workspaces", examples/v1/pipelineruns/beta/
isolated-workspaces.yaml): a workspace a step lists is mounted only in the steps that list it."""

from __future__ import annotations

from pathlib import Path

from shipyard.controllers.taskrun_volumes import isolate_workspaces
from shipyard.runtime.base import Mount

SPEC = {
    "workspaces": [{"name": "creds"}, {"name": "src", "mountPath": "/src"}],
    "steps": [
        {"name": "a", "workspaces": [{"name": "creds", "mountpath": "/creds"}]},
        {"name": "b"},
        {"name": "c", "workspaces": [{"name": "creds"}]},
    ],
}
BOUND = [Mount("/workspace/creds", Path("/host/creds"), read_only=True), Mount("/src", Path("/host/src"))]


def test_only_listing_steps_get_the_workspace_at_their_path() -> None:
    shared, per_step, problems = isolate_workspaces(SPEC, BOUND)
    assert problems == []
    assert shared == [Mount("/src", Path("/host/src"))]
    assert per_step == [
        [Mount("/creds", Path("/host/creds"), read_only=True)],
        [],
        [Mount("/workspace/creds", Path("/host/creds"), read_only=True)],
    ]


def test_a_usage_naming_no_workspace_is_a_problem() -> None:
    spec = {"workspaces": [], "steps": [{"name": "a", "workspaces": [{"name": "nope"}]}]}
    _, _, problems = isolate_workspaces(spec, [])
    assert problems == ['steps[0].workspaces: no workspace named "nope" in the Task']
