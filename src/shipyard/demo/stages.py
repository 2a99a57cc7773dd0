"""The demo pipeline, assembled from stages.

The seed's pipeline is clone → test → build → scan → sign → update-gitops. Each stage contributes a Task file
(under ``assets/tekton``), one pipeline task, and the pipeline params it needs; a stage is in the pipeline only
when what it needs is on this machine (``available``), so the demo grows as capabilities land without editing
the stages before it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DemoContext:
    """What a stage may look at to decide whether it can run."""

    capabilities: frozenset[str]


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    task_file: str  # asset file holding the Task(s) the stage references
    task: Mapping[str, Any]  # the pipeline task entry (name, taskRef, params, workspaces, runAfter)
    params: Sequence[Mapping[str, Any]] = ()  # pipeline params this stage adds (with demo defaults)
    needs: frozenset[str] = field(default_factory=frozenset)  # capabilities required

    def available(self, ctx: DemoContext) -> bool:
        return self.needs <= ctx.capabilities


def _ws(name: str = "source") -> list[dict[str, str]]:
    return [{"name": name, "workspace": "shared-data"}]


SOURCE_STAGES: tuple[Stage, ...] = (
    Stage(
        name="clone",
        task_file="tasks-source.yaml",
        task={
            "name": "clone",
            "taskRef": {"name": "git-clone"},
            "workspaces": _ws("output"),
            "params": [
                {"name": "url", "value": "$(params.git-url)"},
                {"name": "revision", "value": "$(params.git-revision)"},
            ],
        },
        params=(
            {"name": "git-url", "type": "string", "description": "Repository to build."},
            {"name": "git-revision", "type": "string", "default": "main"},
        ),
    ),
    Stage(
        name="lint",
        task_file="tasks-source.yaml",
        task={"name": "lint", "runAfter": ["clone"], "taskRef": {"name": "python-lint"}, "workspaces": _ws()},
    ),
    Stage(
        name="test",
        task_file="tasks-source.yaml",
        task={"name": "test", "runAfter": ["clone"], "taskRef": {"name": "python-test"}, "workspaces": _ws()},
    ),
)

# Later stages (build, sbom, scan, sign, attest, push, promote) register here, in pipeline order.
STAGES: list[Stage] = list(SOURCE_STAGES)

PipelineFactory = Callable[[DemoContext], dict[str, Any]]


def pipeline(ctx: DemoContext, stages: Sequence[Stage] = ()) -> dict[str, Any]:
    """The demo's Pipeline object: every available stage, in order, with the params they declare."""
    chosen = [s for s in (stages or STAGES) if s.available(ctx)]
    params: list[dict[str, Any]] = []
    seen: set[str] = set()
    for stage in chosen:
        for p in stage.params:
            if p["name"] not in seen:
                seen.add(p["name"])
                params.append(dict(p))
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "Pipeline",
        "metadata": {"name": "order-service-ci"},
        "spec": {
            "description": "The seed's CI pipeline for order-service: " + " → ".join(s.name for s in chosen),
            "params": params,
            "workspaces": [{"name": "shared-data"}],
            "tasks": [dict(s.task) for s in chosen],
        },
    }


def task_files(ctx: DemoContext, stages: Sequence[Stage] = ()) -> list[str]:
    files: list[str] = []
    for s in stages or STAGES:
        if s.available(ctx) and s.task_file not in files:
            files.append(s.task_file)
    return files
