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
    """What a stage may look at to decide whether it can run, and the values of the pipeline's params."""

    capabilities: frozenset[str]
    values: Mapping[str, str] = field(default_factory=dict)  # pipeline param name → default for this machine


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    task_file: str  # asset file holding the Task(s) the stage references
    task: Mapping[str, Any]  # the pipeline task entry (name, taskRef, params, workspaces, runAfter)
    params: Sequence[Mapping[str, Any]] = ()  # pipeline params this stage adds (with demo defaults)
    needs: frozenset[str] = field(default_factory=frozenset)  # capabilities required

    def available(self, ctx: DemoContext) -> bool:
        return self.needs <= ctx.capabilities


# The state home (SHIPYARD_HOME) is a workspace: steps may write only to workspaces (and the run's sandbox).
STATE_WORKSPACE = "shipyard-state"


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


def _p(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "type": "string", "description": description}


def _tool(*names: str) -> list[dict[str, str]]:
    """Every shipyard task takes the CLI's absolute path, plus ``names`` from pipeline params."""
    return [{"name": n, "value": f"$(params.{n})"} for n in ("shipyard", *names)]


STATE = {"name": "state", "workspace": STATE_WORKSPACE}
TOOL_PARAMS = (_p("shipyard", "Absolute path of the shipyard CLI (steps run with a minimal PATH)."),)
IMAGE_AT_DIGEST = "$(params.image-name)@$(tasks.build.results.IMAGE_DIGEST)"

IMAGE_STAGES: tuple[Stage, ...] = (
    Stage(
        name="build",
        task_file="tasks-image.yaml",
        task={
            "name": "build",
            "runAfter": ["lint", "test"],
            "taskRef": {"name": "shipyard-build"},
            "workspaces": [*_ws(), STATE],
            "params": [
                *_tool(),
                {"name": "IMAGE", "value": "$(params.image-name)"},
                {"name": "BASE_IMAGE", "value": "$(params.base-image)"},
                {"name": "revision", "value": "$(tasks.clone.results.commit)"},
                {"name": "push", "value": "$(params.push)"},
            ],
        },
        params=(
            *TOOL_PARAMS,
            _p("image-name", "Image repository (no tag): tags come from the commit."),
            _p("base-image", "The Python base image in the content store."),
            _p("push", '"true" to push to the registry, "false" for the content store only.'),
        ),
        needs=frozenset({"git", "python-base"}),
    ),
    Stage(
        name="sbom",
        task_file="tasks-supplychain.yaml",
        task={
            "name": "sbom",
            "runAfter": ["build"],
            "taskRef": {"name": "shipyard-sbom"},
            "workspaces": [STATE],
            "params": [
                *_tool("reports"),
                {"name": "IMAGE", "value": "$(tasks.build.results.IMAGE_SOURCE)"},
            ],
        },
        params=(*TOOL_PARAMS, _p("reports", "Directory for the SBOMs and scan reports (in the state workspace).")),
        needs=frozenset({"git", "python-base"}),
    ),
    Stage(
        name="scan",
        task_file="tasks-supplychain.yaml",
        task={
            "name": "scan",
            "runAfter": ["build"],
            "taskRef": {"name": "shipyard-scan"},
            "workspaces": [*_ws(), STATE],
            "params": [
                *_tool("reports"),
                {"name": "IMAGE", "value": "$(tasks.build.results.IMAGE_SOURCE)"},
                {"name": "SEVERITY", "value": "$(params.scan-severity)"},
                {"name": "EXIT_CODE", "value": "1"},
            ],
        },
        params=(
            *TOOL_PARAMS,
            _p("reports", "Directory for the SBOMs and scan reports (in the state workspace)."),
            _p("scan-severity", "Severities that fail the scan gate."),
        ),
        needs=frozenset({"git", "python-base", "vulndb"}),
    ),
    Stage(
        name="sign",
        task_file="tasks-signing.yaml",
        task={
            "name": "sign",
            "runAfter": ["scan"],
            "taskRef": {"name": "shipyard-sign"},
            "workspaces": [STATE],
            "params": [
                *_tool(),
                {"name": "IMAGE", "value": IMAGE_AT_DIGEST},
                {"name": "key", "value": "$(params.signing-key)"},
                {"name": "run", "value": "$(context.pipelineRun.name)"},
            ],
        },
        params=(*TOOL_PARAMS, _p("signing-key", "The demo's encrypted cosign.key (in the state workspace).")),
        needs=frozenset({"git", "python-base", "registry"}),
    ),
    Stage(
        name="attest",
        task_file="tasks-signing.yaml",
        task={
            "name": "attest",
            "runAfter": ["sign", "sbom"],
            "taskRef": {"name": "shipyard-attest"},
            "workspaces": [STATE],
            "params": [
                *_tool(),
                {"name": "IMAGE", "value": IMAGE_AT_DIGEST},
                {"name": "key", "value": "$(params.signing-key)"},
                {"name": "predicate", "value": "$(params.reports)/sbom.spdx.json"},
            ],
        },
        params=(*TOOL_PARAMS, _p("signing-key", "The demo's encrypted cosign.key (in the state workspace).")),
        needs=frozenset({"git", "python-base", "registry"}),
    ),
    Stage(
        name="promote",
        task_file="tasks-gitops.yaml",
        task={
            "name": "promote",
            "runAfter": ["attest"],
            "taskRef": {"name": "shipyard-promote"},
            "workspaces": [STATE],
            "params": [
                *_tool(),
                {"name": "GIT_REPOSITORY", "value": "$(params.gitops-repo-url)"},
                {"name": "GIT_PATH", "value": "$(params.gitops-path)"},
                {"name": "IMAGE", "value": "$(params.image-name)=$(tasks.build.results.IMAGE_URL)"},
                {"name": "source-url", "value": "$(params.run-url-base)$(context.pipelineRun.name)"},
                {"name": "source-commit", "value": "$(tasks.clone.results.commit)"},
            ],
        },
        params=(
            *TOOL_PARAMS,
            _p("gitops-repo-url", "The GitOps repository (a URL, or a path in the state workspace)."),
            _p("gitops-path", "The overlay CI promotes to."),
            _p("run-url-base", "Prefix of a PipelineRun's URL (the run name is appended)."),
        ),
        needs=frozenset({"git", "python-base", "registry"}),
    ),
)

STAGES: list[Stage] = [*SOURCE_STAGES, *IMAGE_STAGES]

PipelineFactory = Callable[[DemoContext], dict[str, Any]]


def pipeline(ctx: DemoContext, stages: Sequence[Stage] = ()) -> dict[str, Any]:
    """The demo's Pipeline object: every available stage, in order, with the params they declare."""
    chosen = [s for s in (stages or STAGES) if s.available(ctx)]
    params: list[dict[str, Any]] = []
    seen: set[str] = set()
    tasks: list[dict[str, Any]] = []
    for i, stage in enumerate(chosen):
        for p in stage.params:
            if p["name"] not in seen:
                seen.add(p["name"])
                param = dict(p)
                if p["name"] in ctx.values:
                    param["default"] = ctx.values[p["name"]]
                params.append(param)
        tasks.append(_wire(dict(stage.task), [s.name for s in chosen[:i]]))
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "Pipeline",
        "metadata": {"name": "order-service-ci"},
        "spec": {
            "description": "The seed's CI pipeline for order-service: " + " → ".join(s.name for s in chosen),
            "params": params,
            "workspaces": [{"name": "shared-data"}, {"name": STATE_WORKSPACE}],
            "tasks": tasks,
        },
    }


def _wire(task: dict[str, Any], before: list[str]) -> dict[str, Any]:
    """Keep ``runAfter`` to tasks that are in the pipeline; a stage whose predecessors all dropped out runs
    after the last stage before it, so the order stays the seed's."""
    if "runAfter" in task:
        kept = [t for t in task["runAfter"] if t in before]
        task["runAfter"] = kept or before[-1:]
        if not task["runAfter"]:
            del task["runAfter"]
    return task


def task_files(ctx: DemoContext, stages: Sequence[Stage] = ()) -> list[str]:
    files: list[str] = []
    for s in stages or STAGES:
        if s.available(ctx) and s.task_file not in files:
            files.append(s.task_file)
    return files
