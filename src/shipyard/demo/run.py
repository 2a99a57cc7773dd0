"""``shipyard demo``: the whole flow on this machine, from a signed push to the pipeline's last stage.

1. lay out an example service in a git repository and the Tekton files that build it (``workspace.py``);
2. start the seed's EventListener on 127.0.0.1 feeding the pipeline engine;
3. send a forged push (refused, nothing runs) and then a correctly signed GitHub ``push`` event;
4. show the PipelineRun live, then its tree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.text import Text

from shipyard.cli.pipeline_view import Progress, describe_tree, succeeded
from shipyard.controllers.pipelines import PipelineService
from shipyard.controllers.triggers import EventReport
from shipyard.controllers.triggers_engine import engine_listener
from shipyard.demo import workspace
from shipyard.demo.stages import DemoContext
from shipyard.errors import ExecutionError
from shipyard.resources.loader import load_documents

# How long the demo waits for the listener to hand the push to the engine.
TRIGGER_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class DemoResult:
    run: dict[str, Any]
    refused_status: int
    accepted_status: int

    @property
    def ok(self) -> bool:
        return succeeded(self.run)


def capabilities() -> frozenset[str]:
    """What this machine can do for the demo's stages."""
    caps = {"source"}
    if shutil.which("git"):
        caps.add("git")
    return frozenset(caps)


def _post(url: str, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": str(uuid.uuid4())}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return httpx.post(url, content=body, headers=headers, timeout=10.0)


def run_demo(home: Path, console: Console) -> DemoResult:
    ctx = DemoContext(capabilities=capabilities())
    console.rule("[bold]shipyard demo")
    ws = workspace.create(home, ctx)
    console.print(f"example service  {ws.service}  (commit {ws.commit[:7]})")
    console.print(f"tekton files     {ws.tekton}")

    docs = load_documents(list(ws.resource_files))
    registry = CollectorRegistry()
    progress = Progress()
    svc = PipelineService(home, registry=registry, on_log=progress.log, on_event=progress.event)
    created: queue.Queue[EventReport] = queue.Queue()
    server = engine_listener(docs, svc, registry=registry, port=0, on_report=created.put).start()
    try:
        console.print(f"EventListener    {server.url}  (github + cel interceptors, seed bindings)")
        body = json.dumps(workspace.push_event(ws)).encode()
        good = "sha256=" + hmac.new(ws.webhook_secret.encode(), body, hashlib.sha256).hexdigest()

        console.rule("a push with a forged signature")
        forged = _post(server.url, body, "sha256=" + "0" * 64)
        report = created.get(timeout=TRIGGER_TIMEOUT)
        refusals = "; ".join(f"{o.trigger}: {o.interceptor} interceptor: {o.message}" for o in report.outcomes)
        console.print(
            f"HTTP {forged.status_code} (Tekton accepts first, decides later); runs created: "
            f"{len(report.created)}; {refusals}"
        )
        if report.created:
            raise ExecutionError("a push with a forged signature created a run; refusing to go on")

        console.rule("a signed push of main")
        accepted = _post(server.url, body, good)
        console.print(f"HTTP {accepted.status_code} {accepted.text.strip()}")
        report = created.get(timeout=TRIGGER_TIMEOUT)
        runs = [c.name for c in report.created if c.kind == "PipelineRun"]
        if not runs:
            raise ExecutionError(f"the signed push created no PipelineRun: {report.errors or report.outcomes}")
        name = runs[0]
        console.print(Text.assemble("PipelineRun ", (name, "bold"), " started"))
        final = svc.wait(name)
        console.rule("result")
        console.print(describe_tree(final, svc.taskruns(name)))
        return DemoResult(run=final, refused_status=forged.status_code, accepted_status=accepted.status_code)
    finally:
        server.stop()
        svc.close()
