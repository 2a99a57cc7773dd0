# ENGINEERS IN THIS CHECKOUT: read /work/main/CONTRIBUTING.md first (deadline: final report by 08:05 UTC;
# git: add/commit only your own paths, never add -A, stash, reset or checkout others' files).
"""The contract between the pipeline engine and whatever runs a TaskRun's steps.

The engine resolves a TaskRun to a list of ``StepSpec`` (all ``$(...)`` already substituted, with the paths
Tekton promises: ``/tekton/results/<r>``, ``/workspace/<w>``, ``/tekton/steps/step-<s>/exitCode``, HOME
``/tekton/home``), describes the directories to expose in a ``Sandbox``, and calls ``StepExecutor.run``.
The executor makes those promised paths real for the step processes (a private mount namespace with bind mounts
when root, path rewriting otherwise), runs the steps in order, and reports one ``StepOutcome`` per step.
After ``run`` returns, result files are in ``sandbox.tekton_dir / "results"``.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class TerminationReason(enum.StrEnum):
    # Tekton pkg/pod/pod.go step termination reasons.
    completed = "Completed"
    error = "Error"
    continued = "Continued"
    skipped = "Skipped"
    timeout = "TimeoutExceeded"
    cancelled = "Cancelled"


@dataclass(frozen=True, slots=True)
class Mount:
    path: str  # absolute path the step sees, e.g. "/workspace/source"
    source: Path  # host directory
    read_only: bool = False


@dataclass(frozen=True, slots=True)
class StepSpec:
    name: str  # the container name: "step-<name>" or "step-unnamed-<i>"
    image: str
    command: Sequence[str] = ()
    args: Sequence[str] = ()
    script: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    timeout: float | None = None  # seconds; None = no step timeout
    on_error: str = "stopAndFail"  # or "continue"
    mounts: Sequence[Mount] = ()  # this step's own volumeMounts, over the TaskRun's (a step's mount wins its path)


@dataclass(frozen=True, slots=True)
class Sandbox:
    tekton_dir: Path  # host directory seen as /tekton (results/, steps/, home/, scripts/ are created inside)
    workspace_dir: Path  # host directory seen as /workspace (the shared emptyDir of the TaskRun)
    root_dir: Path  # host directory for other paths the steps create (workingDir outside the mounts, /tmp)
    mounts: Sequence[Mount] = ()  # workspaces and other bound directories


@dataclass(frozen=True, slots=True)
class StepOutcome:
    name: str
    exit_code: int
    reason: TerminationReason
    started_at: float
    finished_at: float
    message: str = ""


OutputSink = Callable[[str, str, str], None]  # (step name, "stdout"|"stderr", one line without newline)


class StepExecutor(Protocol):
    def run(
        self,
        steps: Sequence[StepSpec],
        sandbox: Sandbox,
        *,
        on_output: OutputSink,
        cancel: threading.Event,
        deadline: float | None = None,  # time.monotonic() value at which the whole TaskRun times out
    ) -> list[StepOutcome]:
        """Run ``steps`` in order; a failing step without on_error=continue makes the rest Skipped."""
        ...
