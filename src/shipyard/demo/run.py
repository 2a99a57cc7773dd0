"""``shipyard demo``: the whole flow on this machine, from a signed push to production.

1. set up what the stages need (``infra.py``): the Python base image, the vulnerability database, a registry on
   127.0.0.1, the signing key, the GitOps repository;
2. lay out the example service and the Tekton files of the stages this machine can run (``workspace.py``,
   ``stages.py``);
3. start the seed's EventListener feeding the pipeline engine; a forged push runs nothing, a signed push runs
   clone → lint, test → build → sbom, scan → sign → attest → promote (staging), shown live;
4. deliver (``deliver.py``): provenance, the admission gate, sync to the LocalCluster, production through a
   promotion request, the canary rollout.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
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
from shipyard.demo import deliver, infra, workspace
from shipyard.demo.baseimage import ensure_base_image
from shipyard.demo.stages import STATE_WORKSPACE, DemoContext
from shipyard.errors import ExecutionError
from shipyard.images.layout import OciLayout, store_path
from shipyard.resources.loader import Document, load_documents

# How long the demo waits for the listener to hand the push to the engine.
TRIGGER_TIMEOUT = 30.0


@dataclass
class DemoResult:
    run: dict[str, Any]
    refused_status: int
    accepted_status: int
    results: dict[str, dict[str, str]] = field(default_factory=dict)  # pipeline task → its results
    setup: infra.Setup | None = None
    delivery: deliver.Delivery | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return succeeded(self.run) and (self.delivery is None or self.delivery.ok)


def capabilities(setup: infra.Setup) -> frozenset[str]:
    """What this machine can do for the demo's stages."""
    caps = {"source"}
    if shutil.which("git"):
        caps.add("git")
    if setup.base is not None:
        caps.add("python-base")
    if setup.vulndb is not None and setup.vulndb.records:
        caps.add("vulndb")
    if setup.registry is not None:
        caps.add("registry")
    return frozenset(caps)


def _post(url: str, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": str(uuid.uuid4())}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return httpx.post(url, content=body, headers=headers, timeout=10.0)


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.monotonic()
    try:
        yield
    finally:
        timings[name] = round(time.monotonic() - start, 2)


def _values(home: Path, setup: infra.Setup, root: Path) -> dict[str, str]:
    host = setup.registry.host if setup.registry is not None else infra.STORE_ONLY_REGISTRY

    def state(path: Path) -> str:  # pipeline steps see the state home as the shipyard-state workspace
        return str(path.resolve().relative_to(home.resolve()))

    values = {
        "shipyard": infra.shipyard_cli(),
        "image-name": f"{host}/{infra.SERVICE}",
        "push": "true" if setup.registry is not None else "false",
        "reports": state(root / "reports"),
        "scan-severity": infra.SCAN_SEVERITY,
        "gitops-path": f"services/{infra.SERVICE}/overlays/staging",
        "run-url-base": infra.RUN_URL_BASE,
    }
    if setup.base is not None:
        values["base-image"] = setup.base.name
    if setup.key is not None:
        values["signing-key"] = state(setup.key.private)
    if setup.gitops is not None:
        values["gitops-repo-url"] = state(setup.gitops)
    return values


def run_demo(home: Path, console: Console) -> DemoResult:
    timings: dict[str, float] = {}
    started = time.monotonic()
    console.rule("[bold]shipyard demo")
    root = home / "demo"
    with ExitStack() as stack:
        with _timed(timings, "setup"):
            layout = OciLayout(store_path(home))
            shutil.rmtree(root, ignore_errors=True)
            setup = infra.prepare(home, root, layout, console, ensure_base_image)
            stack.callback(setup.close)
        ctx = DemoContext(capabilities=capabilities(setup), values=_values(home, setup, root))
        ws = workspace.create(home, ctx, cosign_password=setup.key.password if setup.key else None)
        console.print(f"example service  {ws.service}  (commit {ws.commit[:7]})")
        console.print(f"tekton files     {ws.tekton}")
        with _timed(timings, "pipeline"):
            outcome = _pipeline(home, ws, console)
        result = DemoResult(
            run=outcome.run,
            refused_status=outcome.refused_status,
            accepted_status=outcome.accepted_status,
            results=outcome.results(),
            setup=setup,
            timings=timings,
        )
        if succeeded(outcome.run):
            with _timed(timings, "deliver"):
                result.delivery = deliver.deliver(home, root, setup, ws, outcome.run, result.results, console)
        timings["total"] = round(time.monotonic() - started, 2)
        console.rule("done" if result.ok else "[red]failed")
        console.print("timings (s): " + ", ".join(f"{k} {v}" for k, v in timings.items()))
        return result
    raise AssertionError("unreachable")  # pragma: no cover - ExitStack does not swallow exceptions


@dataclass(frozen=True, slots=True)
class PipelineOutcome:
    run: dict[str, Any]
    taskruns: list[dict[str, Any]]
    refused_status: int
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


def _pipeline(home: Path, ws: workspace.DemoWorkspace, console: Console) -> PipelineOutcome:
    docs = load_documents(list(ws.resource_files))
    registry = CollectorRegistry()
    progress = Progress()
    svc = PipelineService(home, registry=registry, on_log=progress.log, on_event=progress.event)
    created: queue.Queue[EventReport] = queue.Queue()
    submitter = _StateBound(svc, {STATE_WORKSPACE: home.resolve()})
    server = engine_listener(docs, submitter, registry=registry, port=0, on_report=created.put).start()
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
        taskruns = _settled_taskruns(svc, name)
        console.rule("pipeline result")
        console.print(describe_tree(final, taskruns))
        return PipelineOutcome(final, taskruns, forged.status_code, accepted.status_code)
    finally:
        server.stop()
        svc.close()
