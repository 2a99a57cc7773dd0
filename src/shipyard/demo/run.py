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

import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from shipyard.cli.pipeline_view import succeeded
from shipyard.demo import deliver, infra, workspace
from shipyard.demo.baseimage import ensure_base_image
from shipyard.demo.stages import DemoContext
from shipyard.demo.summary import summary
from shipyard.demo.trigger import Listener
from shipyard.images.layout import OciLayout, store_path

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

    release_run: dict[str, Any] | None = None
    release_results: dict[str, dict[str, str]] = field(default_factory=dict)
    release: deliver.Delivery | None = None

    @property
    def ok(self) -> bool:
        parts = [self.delivery, self.release]
        runs = [self.run] + ([self.release_run] if self.release_run is not None else [])
        return all(succeeded(r) for r in runs) and all(d.ok for d in parts if d is not None)


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
    home = home.resolve()
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
        listener = Listener(home, ws)
        stack.callback(listener.close)
        console.print(f"EventListener    {listener.url}  (github + cel interceptors, seed bindings)")
        refused = listener.forged_push(ws, console)
        with _timed(timings, "pipeline"):
            first = listener.signed_push(ws, console, "a signed push of main")
        result = DemoResult(
            run=first.run,
            refused_status=refused,
            accepted_status=first.accepted_status,
            results=first.results(),
            setup=setup,
            timings=timings,
        )
        if succeeded(first.run):
            with _timed(timings, "deliver"):
                result.delivery = deliver.deliver(home, root, setup, ws, first.run, result.results, console)
        if result.ok and result.delivery is not None and result.delivery.production_commit:
            _next_release(home, root, setup, ws, listener, result, console)
        timings["total"] = round(time.monotonic() - started, 2)
        console.rule("done" if result.ok else "[red]failed")
        console.print(summary(result))
        console.print("timings (s): " + ", ".join(f"{k} {v}" for k, v in timings.items()))
        return result
    raise AssertionError("unreachable")  # pragma: no cover - ExitStack does not swallow exceptions


def _next_release(
    home: Path,
    root: Path,
    setup: infra.Setup,
    ws: workspace.DemoWorkspace,
    listener: Listener,
    result: DemoResult,
    console: Console,
) -> None:
    """A one-line change pushed: the pipeline again (cached layers), then production's canary to it."""
    assert result.delivery is not None
    change = workspace.commit_change(ws)
    with _timed(result.timings, "pipeline-2"):
        second = listener.signed_push(change, console, f"the next release: a one-line change ({change.commit[:7]})")
    result.release_run = second.run
    result.release_results = second.results()
    if not succeeded(second.run):
        return
    with _timed(result.timings, "release"):
        result.release = deliver.release(
            home, root, setup, change, second.run, result.release_results, result.delivery.image, console
        )
