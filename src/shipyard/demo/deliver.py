"""After the pipeline: evidence, the admission gate, deploy to staging, production through a promotion request.

Each step says what it did; a failed check is recorded in ``Delivery.failures`` (the demo exits non-zero) and
stops the steps that depend on it. The deploy stage runs only when the gate admitted the image.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.table import Table
from rich.text import Text

from shipyard.cluster.base import Cluster
from shipyard.cluster.local import LocalCluster
from shipyard.controllers.promote import Promoter
from shipyard.controllers.sync import SyncAgent
from shipyard.demo import canary, gate, infra, workspace
from shipyard.demo.kubelet import LocalKubelet
from shipyard.errors import ShipyardError
from shipyard.gitops.kustomize import build
from shipyard.gitops.layout import seed_app
from shipyard.gitops.promotion import make_promotion
from shipyard.images.layout import OciLayout, store_path
from shipyard.store.db import Database


@dataclass
class Delivery:
    image: str = ""
    accepted: list[dict[str, Any]] = field(default_factory=list)
    verified: dict[str, int] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    admitted: str = ""  # the digest-pinned image the gate admitted
    refused: str = ""  # the gate's message for the unsigned image
    canary: canary.CanaryOutcome | None = None
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)  # app name → sync/health/revision
    production_request: int | None = None
    production_commit: str = ""
    receipt: str = ""
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class Context:
    home: Path
    root: Path
    setup: infra.Setup
    ws: workspace.DemoWorkspace
    run: dict[str, Any]
    results: dict[str, dict[str, str]]
    console: Console
    out: Delivery

    @property
    def name(self) -> str:
        return f"{self.setup.registry.host if self.setup.registry else infra.STORE_ONLY_REGISTRY}/{infra.SERVICE}"


def deliver(
    home: Path,
    root: Path,
    setup: infra.Setup,
    ws: workspace.DemoWorkspace,
    run: dict[str, Any],
    results: dict[str, dict[str, str]],
    console: Console,
) -> Delivery:
    c = Context(home, root, setup, ws, run, results, console, Delivery(image=results["build"]["IMAGE_URL"]))
    report = root / "reports" / "scan.json"
    if report.exists():
        c.console.rule("scan: findings and accepted findings")
        c.out.accepted = gate.show_scan(report, ws.service / ".shipyardignore", console)
    if setup.registry is None or setup.key is None or setup.gitops is None:
        c.out.notes.append("no registry: provenance, the admission gate and deployment need one")
        return c.out
    kubelet = LocalKubelet(LocalCluster(Database(home / "state.db")), OciLayout(store_path(home)), root / "pods")
    try:
        if _evidence(c) and _gate(c):
            _deploy(c, kubelet)
    except ShipyardError as exc:
        c.out.failures.append(str(exc))
        console.print(Text(f"✘ {exc}", style="red"))
    finally:
        kubelet.stop()
    return c.out


def _evidence(c: Context) -> bool:
    c.console.rule("provenance and signatures")
    assert c.setup.key is not None
    at_digest = f"{c.name}@{c.results['build']['IMAGE_DIGEST']}"
    base = (c.setup.base.name, c.setup.base.digest) if c.setup.base else None
    record = gate.provenance_record(c.run, str(c.ws.remote), c.results["clone"]["commit"], base)
    c.out.provenance = gate.attest_provenance(at_digest, c.setup.key, record)
    deps = ", ".join(d["uri"] for d in c.out.provenance["buildDefinition"]["resolvedDependencies"])
    c.console.print(f"SLSA v1 provenance attested (Tekton Chains style, from the finished run): builder "
                    f"{gate.BUILDER_ID}, {record.started_on:%H:%M:%S} to {record.finished_on:%H:%M:%S}, "
                    f"dependencies {deps}")  # fmt: skip
    c.out.verified = gate.verify_all(at_digest, c.setup.key.public)
    c.console.print(
        "verified with the demo key: " + ", ".join(f"{n} {what}" for what, n in c.out.verified.items()), style="green"
    )
    return True


def _rendered(repo: Path, overlay: str, branch: str = "main") -> dict[str, Any]:
    """The Deployment an overlay renders to at the tip of ``branch``."""
    with tempfile.TemporaryDirectory(prefix="shipyard-gitops-") as tmp:
        subprocess.run(["git", "clone", "-q", "-b", branch, str(repo), tmp], check=True, capture_output=True)
        objs = build(Path(tmp) / overlay)
    return next(o for o in objs if o["kind"] == "Deployment")


def _gate(c: Context, *, unsigned: bool = True) -> bool:
    c.console.rule("admission: the seed's verifyImages policy with the demo key")
    assert c.setup.registry is not None and c.setup.key is not None and c.setup.gitops is not None
    engine = gate.policy_engine(c.setup.key.public, c.setup.registry.host)
    dep = _rendered(c.setup.gitops, f"services/{infra.SERVICE}/overlays/staging")
    signed = engine.evaluate(gate.pod_of(dep, "staging"))
    c.console.print(Text.assemble(("admitted " if signed.allowed else "REFUSED ", "bold green" if signed.allowed else "bold red"), gate.explain(signed)))  # fmt: skip
    if not signed.allowed:
        c.out.failures.append(f"the signed image was refused: {signed.message()}")
        return False
    c.out.admitted = signed.containers[0].pinned or signed.containers[0].image
    if unsigned and c.setup.base is not None:
        unsigned_ref = gate.push_unsigned(OciLayout(store_path(c.home)), c.setup.base.name, c.setup.registry.host)
        refused = engine.evaluate(gate.pod_of(dep, "staging", image=unsigned_ref))
        c.console.print(Text.assemble(("refused ", "bold red") if not refused.allowed else ("ADMITTED ", "bold red"), gate.explain(refused)))  # fmt: skip
        if refused.allowed:
            c.out.failures.append(f"the unsigned image {unsigned_ref} was admitted")
            return False
        c.out.refused = refused.message()
    return True


def _app_table(agent: SyncAgent, cluster: Cluster, names: list[str]) -> Table:
    table = Table(title="applications", title_justify="left")
    for col in ("app", "sync", "health", "revision", "image"):
        table.add_column(col)
    for name in names:
        app = agent.get(name)
        status = app.get("status") or {}
        sync, health = status.get("sync") or {}, status.get("health") or {}
        env = name.removeprefix(f"{infra.SERVICE}-")
        dep = cluster.get("apps/Deployment", env, infra.SERVICE) or {}
        containers = ((dep.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or [{}]
        image = str(containers[0].get("image", ""))
        short = image.split("/", 1)[-1].split("@")[0] + ("@" + image.split("@")[1][:19] if "@" in image else "")
        table.add_row(name, sync.get("status", ""), health.get("status", ""), str(sync.get("revision", ""))[:7], short)
    return table


def _sync(c: Context, agent: SyncAgent, kubelet: LocalKubelet, env: str) -> dict[str, Any]:
    app = f"{infra.SERVICE}-{env}"
    agent.run_once()
    replicas = kubelet.run_deployment(env, infra.SERVICE, log=c.root / "pods" / f"{env}.log")
    c.console.print(f"{env}: {len(replicas)} replicas of {replicas[0].image} ready on "
                    f"{', '.join(r.url for r in replicas)} (readinessProbe /healthz answered)")  # fmt: skip
    agent.reconcile(app)
    status = agent.get(app).get("status") or {}
    got = {"sync": (status.get("sync") or {}).get("status"), "health": (status.get("health") or {}).get("status"),
           "revision": (status.get("sync") or {}).get("revision"), "url": replicas[0].url}  # fmt: skip
    c.out.apps[app] = got
    if got["sync"] != "Synced" or got["health"] != "Healthy":
        c.out.failures.append(f"{app} is {got['sync']}/{got['health']}")
    return got


def _agent(c: Context, kubelet: LocalKubelet) -> SyncAgent:
    db = Database(c.home / "state.db")
    return SyncAgent(kubelet.cluster, db, c.home / "gitops" / "cache", registry=CollectorRegistry())


def _staging(c: Context, agent: SyncAgent, kubelet: LocalKubelet, title: str) -> dict[str, Any]:
    assert c.setup.gitops is not None
    c.console.rule(title)
    agent.create_app(seed_app(infra.SERVICE, "staging", str(c.setup.gitops)), replace=True)
    staging = _sync(c, agent, kubelet, "staging")
    body = {"lines": [{"sku": "tea", "quantity": 2, "unit_price": "4.50"}], "discount_percent": 10}
    c.out.receipt = httpx.post(f"{staging['url']}/orders/receipt", json=body, timeout=5.0).text
    c.console.print("a receipt from the staging service (Pygments' JsonLexer, inside the image):")
    c.console.print(Text.from_ansi(c.out.receipt))
    c.console.print(_app_table(agent, kubelet.cluster, [f"{infra.SERVICE}-staging"]))
    return staging


def _deploy(c: Context, kubelet: LocalKubelet) -> None:
    assert c.setup.gitops is not None
    agent = _agent(c, kubelet)
    _staging(c, agent, kubelet, "deploy: staging (the sync agent applies the overlay CI promoted)")
    if c.out.failures:
        return
    repo = str(c.setup.gitops)
    c.console.rule("production: a promotion request, approved, then synced")
    promoter = Promoter(c.home / "gitops" / "cache", Database(c.home / "state.db"))
    promotion = make_promotion(
        f"services/{infra.SERVICE}/overlays/production", f"{c.name}={c.out.image}",
        source_url=f"{infra.RUN_URL_BASE}{c.run['metadata']['name']}", source_commit=c.results["clone"]["commit"],
    )  # fmt: skip
    request = promoter.promote(repo, promotion, pr=True)
    c.out.production_request = request.request_id
    c.console.print(f"promotion request #{request.request_id} on branch {request.branch} (gitops promote --pr)")
    engine = gate.policy_engine(c.setup.key.public, c.setup.registry.host) if c.setup.key and c.setup.registry else None
    if engine is not None:
        # the pod spec production would run: the production overlay on the request's branch
        dep = _rendered(c.setup.gitops, f"services/{infra.SERVICE}/overlays/production", request.branch)
        decision = engine.evaluate(gate.pod_of(dep, "production"))
        c.console.print(Text.assemble(("admitted in production " if decision.allowed else "REFUSED in production ", "bold green" if decision.allowed else "bold red"), gate.explain(decision)))  # fmt: skip
        if not decision.allowed:
            c.out.failures.append(f"production refused the image: {decision.message()}")
            return
    merged = promoter.approve(request.request_id) if request.request_id is not None else request
    c.out.production_commit = merged.commit
    c.console.print(f"approved: production overlay at {merged.commit[:7]} ({merged.status})")
    agent.create_app(seed_app(infra.SERVICE, "production", repo), replace=True)
    _sync(c, agent, kubelet, "production")
    c.console.print(_app_table(agent, kubelet.cluster, [f"{infra.SERVICE}-staging", f"{infra.SERVICE}-production"]))


def release(
    home: Path,
    root: Path,
    setup: infra.Setup,
    ws: workspace.DemoWorkspace,
    run: dict[str, Any],
    results: dict[str, dict[str, str]],
    current: str,
    console: Console,
) -> Delivery:
    """The next release: evidence and the gate again, staging synced, then production's canary from ``current``."""
    c = Context(home, root, setup, ws, run, results, console, Delivery(image=results["build"]["IMAGE_URL"]))
    kubelet = LocalKubelet(LocalCluster(Database(home / "state.db")), OciLayout(store_path(home)), root / "pods")
    try:
        if _evidence(c) and _gate(c, unsigned=False):
            agent = _agent(c, kubelet)
            staging = _staging(c, agent, kubelet, "deploy: the next release to staging")
            if not c.out.failures:
                console.rule("production canary (Argo Rollout; simulated pods, fake clock)")
                c.out.canary = canary.release(home, current, c.out.image, f"{staging['url']}/healthz", console)
                console.print(f"canary: {c.out.canary.phase} {c.out.canary.message}".rstrip())
                if not c.out.canary.ok:
                    c.out.failures.append(f"the canary ended {c.out.canary.phase}: {c.out.canary.message}")
    except ShipyardError as exc:
        c.out.failures.append(str(exc))
        console.print(Text(f"✘ {exc}", style="red"))
    finally:
        kubelet.stop()
    return c.out
