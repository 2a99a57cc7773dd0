"""The demo's trigger side: the seed's EventListener on 127.0.0.1 feeding the pipeline engine, and the pushes
sent to it (a forged one that must run nothing, signed ones whose PipelineRuns are followed live)."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.text import Text

from shipyard.cli.pipeline_view import Progress, describe_tree
from shipyard.controllers.pipelines import PipelineService
from shipyard.controllers.triggers import EventReport
from shipyard.controllers.triggers_engine import engine_listener
from shipyard.demo import workspace
from shipyard.demo.stages import STATE_WORKSPACE
from shipyard.errors import ExecutionError
from shipyard.resources.loader import Document, load_documents

# How long the demo waits for the listener to hand a push to the engine.
TRIGGER_TIMEOUT = 30.0


def _post(url: str, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": str(uuid.uuid4())}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return httpx.post(url, content=body, headers=headers, timeout=10.0)


@dataclass(frozen=True, slots=True)
class PipelineOutcome:
    run: dict[str, Any]
    taskruns: list[dict[str, Any]]
    accepted_status: int

    def results(self) -> dict[str, dict[str, str]]:
        """Each pipeline task's results: ``{"build": {"IMAGE_DIGEST": "sha256:…"}, …}``."""
        out: dict[str, dict[str, str]] = {}
        for tr in self.taskruns:
            task = (tr.get("metadata", {}).get("labels") or {}).get("tekton.dev/pipelineTask", "")
            out[task] = {r["name"]: str(r["value"]) for r in (tr.get("status") or {}).get("results") or []}
        return out


def _settled_taskruns(svc: PipelineService, name: str) -> list[dict[str, Any]]:
    """The TaskRuns once each finished one has its step states written (the last may trail the run by a moment)."""
    deadline = time.monotonic() + 5.0
    while True:
        taskruns = svc.taskruns(name)
        if time.monotonic() > deadline or all((tr.get("status") or {}).get("steps") for tr in taskruns):
            return taskruns
        time.sleep(0.05)


@dataclass(frozen=True, slots=True)
class _StateBound:
    """Submits runs with the state workspace bound to the state home on the host (``-w shipyard-state=HOME``)."""

    service: PipelineService
    workspaces: dict[str, Path]

    def submit(self, run: Document | Mapping[str, Any], resources: Sequence[Document] = ()) -> str:
        return self.service.submit(run, resources, workspaces=dict(self.workspaces))


class Listener:
    """The EventListener and the engine behind it, for the whole demo (several pushes)."""

    def __init__(self, home: Path, ws: workspace.DemoWorkspace) -> None:
        docs = load_documents(list(ws.resource_files))
        registry = CollectorRegistry()
        progress = Progress()
        self.svc = PipelineService(home, registry=registry, on_log=progress.log, on_event=progress.event)
        self.created: queue.Queue[EventReport] = queue.Queue()
        submitter = _StateBound(self.svc, {STATE_WORKSPACE: home.resolve()})
        try:
            self.server = engine_listener(docs, submitter, registry=registry, port=0, on_report=self.created.put)
            self.server.start()
        except BaseException:
            self.svc.close()
            raise
        self.secret = ws.webhook_secret.encode()

    @property
    def url(self) -> str:
        return str(self.server.url)

    def close(self) -> None:
        try:
            self.server.stop()
        finally:
            self.svc.close()

    def forged_push(self, ws: workspace.DemoWorkspace, console: Console) -> int:
        """A push with a forged signature: the listener answers, the github interceptor refuses, nothing runs."""
        console.rule("a push with a forged signature")
        body = json.dumps(workspace.push_event(ws)).encode()
        forged = _post(self.url, body, "sha256=" + "0" * 64)
        report = self.created.get(timeout=TRIGGER_TIMEOUT)
        refusals = "; ".join(f"{o.trigger}: {o.interceptor} interceptor: {o.message}" for o in report.outcomes)
        console.print(
            f"HTTP {forged.status_code} (Tekton accepts first, decides later); runs created: "
            f"{len(report.created)}; {refusals}"
        )
        if report.created:
            raise ExecutionError("a push with a forged signature created a run; refusing to go on")
        return forged.status_code

    def signed_push(self, ws: workspace.DemoWorkspace, console: Console, title: str) -> PipelineOutcome:
        """A correctly signed push of the workspace's HEAD; follows the PipelineRun it starts to the end."""
        console.rule(title)
        body = json.dumps(workspace.push_event(ws)).encode()
        good = "sha256=" + hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        accepted = _post(self.url, body, good)
        console.print(f"HTTP {accepted.status_code} {accepted.text.strip()}")
        report = self.created.get(timeout=TRIGGER_TIMEOUT)
        runs = [c.name for c in report.created if c.kind == "PipelineRun"]
        if not runs:
            raise ExecutionError(f"the signed push created no PipelineRun: {report.errors or report.outcomes}")
        name = runs[0]
        console.print(Text.assemble("PipelineRun ", (name, "bold"), " started"))
        final = self.svc.wait(name)
        taskruns = _settled_taskruns(self.svc, name)
        console.rule("pipeline result")
        console.print(describe_tree(final, taskruns))
        return PipelineOutcome(final, taskruns, accepted.status_code)
