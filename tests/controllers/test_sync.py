"""The sync agent against a real bare git repo and a LocalCluster: create, update, prune, drift with selfHeal,
waves, health roll-up, history, rollback, metrics, and bad input that leaves the cluster untouched."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from shipyard.clock import FakeClock
from shipyard.cluster.local import LocalCluster
from shipyard.controllers.sync import SyncAgent
from shipyard.errors import SpecError
from shipyard.gitops.app import AppSpec, from_flux
from shipyard.resources.flux import GitRepository, Kustomization
from shipyard.store.db import Database

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: order-service
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: order-service}}
  template:
    metadata:
      labels: {{app: order-service}}
    spec:
      containers:
      - name: app
        image: registry.local/order-service:base
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: order-service
spec:
  selector: {app: order-service}
  ports:
  - port: 80
"""
CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: flags
data:
  beta: "false"
"""


class Repo:
    def __init__(self, tmp: Path) -> None:
        self.bare = tmp / "gitops.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(self.bare)], check=True)
        self.work = tmp / "author"
        subprocess.run(["git", "clone", "-q", str(self.bare), str(self.work)], check=True, capture_output=True)
        self.git("checkout", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=self.work,
                              check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip

    def write(self, files: dict[str, str | None], message: str) -> str:
        for rel, text in files.items():
            p = self.work / rel
            if text is None:
                p.unlink()
                continue
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
        self.git("add", "-A", ".")
        self.git("commit", "-q", "-m", message)
        self.git("push", "-q", "origin", "main")
        return self.git("rev-parse", "HEAD")

    @property
    def url(self) -> str:
        return str(self.bare)


def seed(repo: Repo, *, replicas: int = 2, tag: str = "v1", with_config: bool = True, extra: str = "") -> str:
    resources = ["deployment.yaml", "service.yaml"] + (["flags.yaml"] if with_config else [])
    kust = "resources:\n" + "".join(f"- {r}\n" for r in resources)
    overlay = (
        "# staging\nnamespace: staging\nresources:\n- ../../base\nimages:\n"
        f"- name: registry.local/order-service\n  newTag: {tag}\n" + extra
    )
    files: dict[str, str | None] = {
        "services/order-service/base/kustomization.yaml": kust,
        "services/order-service/base/deployment.yaml": DEPLOY.format(replicas=replicas),
        "services/order-service/base/service.yaml": SERVICE,
        "services/order-service/base/flags.yaml": CONFIG if with_config else None,
        "services/order-service/overlays/staging/kustomization.yaml": overlay,
    }
    if not with_config and not (repo.work / "services/order-service/base/flags.yaml").exists():
        files.pop("services/order-service/base/flags.yaml")
    return repo.write(files, f"staging {tag}")


@pytest.fixture
def env(tmp_path: Path) -> tuple[Repo, SyncAgent, LocalCluster, CollectorRegistry, FakeClock]:
    repo = Repo(tmp_path)
    db = Database(tmp_path / "home" / "state.db")
    clock = FakeClock()
    cluster = LocalCluster(db, now=clock.now)
    registry = CollectorRegistry()
    agent = SyncAgent(cluster, db, tmp_path / "cache", registry=registry, clock=clock)
    return repo, agent, cluster, registry, clock


def app(repo: Repo, **kw: Any) -> AppSpec:
    base: dict[str, Any] = dict(name="order-service-staging", namespace="argocd", repo_url=repo.url,
                                path="services/order-service/overlays/staging", revision="main",
                                dest_namespace="staging", automated=True, prune=True, self_heal=True)  # fmt: skip
    base.update(kw)
    return AppSpec(**base)


def make_healthy(cluster: LocalCluster) -> None:
    d = cluster.get("apps/Deployment", "staging", "order-service")
    assert d is not None
    n = d["spec"]["replicas"]
    cluster.update_status({**d, "status": {"observedGeneration": d["metadata"]["generation"], "replicas": n,
                                           "updatedReplicas": n, "availableReplicas": n}})  # fmt: skip


def sample(reg: CollectorRegistry, metric: str, **labels: str) -> float | None:
    value: float | None = reg.get_sample_value(metric, labels)
    return value


@pytest.mark.integration
def test_create_update_prune_history_metrics(env: Any) -> None:
    repo, agent, cluster, reg, _ = env
    first = seed(repo)
    agent.create_app(app(repo))
    st = agent.reconcile("order-service-staging")
    assert st["sync"] == {"status": "Synced", "revision": first, "targetRevision": "main"}
    assert st["health"]["status"] == "Progressing", "a Deployment is not Healthy before its status is observed"
    dep = cluster.get("apps/Deployment", "staging", "order-service")
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.local/order-service:v1"
    assert dep["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] == (
        "order-service-staging:apps/Deployment:staging/order-service"
    )
    assert cluster.get("ConfigMap", "staging", "flags") is not None
    make_healthy(cluster)
    assert agent.reconcile("order-service-staging")["health"]["status"] == "Healthy"

    second = seed(repo, replicas=3, tag="v2", with_config=False)
    st = agent.reconcile("order-service-staging")
    dep = cluster.get("apps/Deployment", "staging", "order-service")
    assert dep["spec"]["replicas"] == 3 and dep["metadata"]["generation"] == 2
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.local/order-service:v2"
    assert cluster.get("ConfigMap", "staging", "flags") is None, "pruned"
    assert st["sync"]["status"] == "Synced" and st["health"]["status"] == "Progressing"
    assert [h["revision"] for h in agent.history("order-service-staging")] == [first, second]

    labels = dict(namespace="argocd", name="order-service-staging", project="default",
                  dest_server="https://kubernetes.default.svc")  # fmt: skip
    assert sample(reg, "argocd_app_sync_total", **labels, phase="Succeeded", dry_run="false") == 2
    info = dict(labels, autosync_enabled="true", repo=repo.url.lower().removesuffix(".git"), dest_namespace="staging",
                sync_status="Synced", health_status="Progressing", operation="")  # fmt: skip
    assert sample(reg, "argocd_app_info", **info) == 1
    assert sample(reg, "argocd_app_reconcile_count", namespace="argocd", dest_server=labels["dest_server"]) == 3


@pytest.mark.integration
def test_drift_self_heal_and_without(env: Any) -> None:
    repo, agent, cluster, _, _ = env
    seed(repo)
    agent.create_app(app(repo))
    agent.create_app(app(repo, name="no-heal", self_heal=False, kustomize={"namespace": "other"}))
    agent.run_once()
    for ns in ("staging", "other"):
        live = cluster.get("apps/Deployment", ns, "order-service")
        cluster.update({**live, "spec": {**live["spec"], "replicas": 9}})
    healed = agent.reconcile("order-service-staging")
    assert cluster.get("apps/Deployment", "staging", "order-service")["spec"]["replicas"] == 2
    assert healed["sync"]["status"] == "Synced"
    drifted = agent.reconcile("no-heal")
    assert cluster.get("apps/Deployment", "other", "order-service")["spec"]["replicas"] == 9
    assert drifted["sync"]["status"] == "OutOfSync"
    assert {r["name"]: r["status"] for r in drifted["resources"] if r["kind"] == "Deployment"} == {
        "order-service": "OutOfSync"
    }


@pytest.mark.integration
def test_rollback_reapplies_and_disables_auto_sync(env: Any) -> None:
    repo, agent, cluster, _, _ = env
    seed(repo, tag="v1")
    agent.create_app(app(repo))
    agent.reconcile("order-service-staging")
    seed(repo, tag="v2")
    agent.reconcile("order-service-staging")
    st = agent.rollback("order-service-staging", 0)
    image = cluster.get("apps/Deployment", "staging", "order-service")["spec"]["template"]["spec"]["containers"][0]
    assert image["image"] == "registry.local/order-service:v1"
    assert st["operationState"]["phase"] == "Succeeded"
    assert agent.get("order-service-staging")["spec"]["automated"] is False
    after = agent.reconcile("order-service-staging")
    assert after["sync"]["status"] == "OutOfSync", "HEAD (v2) differs, and auto-sync is off so nothing reverts"
    assert (
        "v1"
        in cluster.get("apps/Deployment", "staging", "order-service")["spec"]["template"]["spec"]["containers"][0][
            "image"
        ]
    )
    assert len(agent.history("order-service-staging")) == 3


@pytest.mark.integration
def test_waves_wait_for_health(env: Any) -> None:
    repo, agent, cluster, _, _ = env
    extra = ""
    seed(repo, extra=extra)
    # the Service goes in wave 1: it waits for the Deployment (wave 0) to be Healthy
    repo.write({"services/order-service/base/service.yaml": SERVICE.replace(
        "  name: order-service\n", "  name: order-service\n  annotations:\n    argocd.argoproj.io/sync-wave: \"1\"\n", 1)},
        "wave")  # fmt: skip
    agent.create_app(app(repo))
    st = agent.reconcile("order-service-staging")
    assert st["operationState"]["phase"] == "Running"
    assert cluster.get("Service", "staging", "order-service") is None
    make_healthy(cluster)
    st = agent.reconcile("order-service-staging")
    assert st["operationState"]["phase"] == "Succeeded"
    assert cluster.get("Service", "staging", "order-service") is not None


@pytest.mark.integration
@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"services/order-service/base/kustomization.yaml": "resources:\n- deployment.yaml\n- missing.yaml\n"},
         "missing.yaml"),
        ({"services/order-service/overlays/staging/kustomization.yaml":
          "namespace: staging\nresources:\n- ../../base\npatchesStrategicMerge:\n- |\n  apiVersion: apps/v1\n"
          "  kind: Deployment\n  metadata:\n    name: nothing-here\n  spec:\n    replicas: 1\n"},
         "nothing-here"),
        ({"services/order-service/base/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: [oops\n"},
         "invalid YAML"),
        ({"services/order-service/overlays/staging/kustomization.yaml":
          "resources:\n- ../../../../../../../../../../../etc\n"}, "outside the repository"),
    ],
    ids=["missing-file", "patch-matches-nothing", "malformed-manifest", "base-outside-the-checkout"],
)  # fmt: skip
def test_bad_input_is_unknown_and_writes_nothing(env: Any, files: dict[str, str], message: str) -> None:
    repo, agent, cluster, _, _ = env
    seed(repo)
    repo.write(files, "break it")
    agent.create_app(app(repo))
    rv = cluster.resource_version()
    st = agent.reconcile("order-service-staging")
    assert st["sync"]["status"] == "Unknown"
    assert message in st["conditions"][0]["message"]
    assert cluster.resource_version() == rv, "nothing half-applied"
    manual = agent.sync("order-service-staging")
    assert manual["operationState"]["phase"] == "Error"


@pytest.mark.integration
def test_flux_kustomization_with_depends_on(env: Any) -> None:
    repo, agent, cluster, _, _ = env
    seed(repo)
    gitrepo = GitRepository.model_validate({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
        "metadata": {"name": "gitops"}, "spec": {"url": repo.url, "ref": {"branch": "main"}}})  # fmt: skip

    def kust(name: str, ns: str, deps: list[str]) -> Kustomization:
        return Kustomization.model_validate({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name}, "spec": {"interval": "1m", "sourceRef": {"name": "gitops"}, "prune": True,
            "path": "./services/order-service/overlays/staging", "targetNamespace": ns,
            "dependsOn": [{"name": d} for d in deps]}})  # fmt: skip

    agent.create_app(from_flux(kust("b-app", "b", ["a-infra"]), gitrepo))
    agent.create_app(from_flux(kust("a-infra", "a", []), gitrepo))
    out = agent.run_once()
    assert out["a-infra"]["sync"]["status"] == "Synced"
    assert out["b-app"]["conditions"][0]["type"] == "DependencyNotReady"
    assert cluster.get("apps/Deployment", "b", "order-service") is None
    d = cluster.get("apps/Deployment", "a", "order-service")
    cluster.update_status({**d, "status": {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2,
                                           "availableReplicas": 2}})  # fmt: skip
    out = agent.run_once()
    assert cluster.get("apps/Deployment", "b", "order-service") is not None


class FlakyCluster(LocalCluster):
    """Refuses to apply Services the first ``failures`` times, as an admission webhook might."""

    failures = 2

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj.get("kind") == "Service" and self.failures > 0:
            self.failures -= 1
            raise SpecError('admission webhook "policy.example.com" denied the request')
        return super().apply(obj)


@pytest.mark.integration
def test_failed_sync_retries_with_backoff(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    seed(repo)
    db = Database(tmp_path / "home" / "state.db")
    clock = FakeClock()
    cluster = FlakyCluster(db, now=clock.now)
    reg = CollectorRegistry()
    agent = SyncAgent(cluster, db, tmp_path / "cache", registry=reg, clock=clock)
    agent.create_app(app(repo, retry_limit=3, retry_backoff=5.0, retry_factor=2.0, retry_max=60.0))
    labels = dict(namespace="argocd", name="order-service-staging", project="default",
                  dest_server="https://kubernetes.default.svc", dry_run="false")  # fmt: skip
    st = agent.reconcile("order-service-staging")
    assert st["operationState"]["phase"] == "Failed" and "denied" in st["operationState"]["message"]
    assert st["operationState"]["retryCount"] == 1
    agent.reconcile("order-service-staging")
    assert sample(reg, "argocd_app_sync_total", **labels, phase="Failed") == 1, "no retry before the backoff"
    clock.advance(5)
    st = agent.reconcile("order-service-staging")
    assert st["operationState"]["retryCount"] == 2
    clock.advance(9)
    assert agent.reconcile("order-service-staging")["operationState"]["phase"] == "Failed", "backoff doubled to 10s"
    clock.advance(1)
    st = agent.reconcile("order-service-staging")
    assert st["operationState"]["phase"] == "Succeeded" and st["sync"]["status"] == "Synced"
    assert sample(reg, "argocd_app_sync_total", **labels, phase="Failed") == 2
    assert sample(reg, "argocd_app_sync_total", **labels, phase="Succeeded") == 1


@pytest.mark.integration
def test_poll_loop_and_webhook_poke(env: Any) -> None:
    repo, agent, cluster, _, clock = env
    seed(repo, tag="v1")
    agent.create_app(app(repo))
    ticks = iter([False, False, True])
    assert agent.serve(lambda: next(ticks), interval=120) == 2
    assert clock.monotonic() == 240
    seed(repo, tag="v9")
    assert agent.poke(repo.url) == ["order-service-staging"]
    assert agent.poke("https://elsewhere.example/x.git") == []
    image = cluster.get("apps/Deployment", "staging", "order-service")["spec"]["template"]["spec"]["containers"][0]
    assert image["image"] == "registry.local/order-service:v9"


@pytest.mark.integration
def test_an_object_another_app_took_over_is_not_pruned(env: Any) -> None:
    """Argo CD decides ownership by the tracking annotation: once another app's id is on an object, this app's
    inventory no longer covers it, so removing it from this app's source does not delete it."""
    repo, agent, cluster, _, _ = env
    seed(repo)
    agent.create_app(app(repo))
    agent.reconcile("order-service-staging")
    cm = cluster.get("ConfigMap", "staging", "flags")
    assert cm is not None
    cm["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = "other-app:/ConfigMap:staging/flags"
    cluster.apply(cm)
    seed(repo, with_config=False)
    st = agent.reconcile("order-service-staging")
    assert st["sync"]["status"] == "Synced"
    assert cluster.get("ConfigMap", "staging", "flags") is not None
    assert all(r["kind"] != "ConfigMap" for r in st["resources"])


@pytest.mark.integration
def test_reconcile_and_manual_sync_are_idempotent(env: Any) -> None:
    repo, agent, cluster, _, _ = env
    seed(repo)
    agent.create_app(app(repo))
    assert agent.reconcile("order-service-staging")["sync"]["status"] == "Synced"
    rv = cluster.resource_version()
    assert agent.reconcile("order-service-staging")["sync"]["status"] == "Synced"
    assert agent.sync("order-service-staging")["operationState"]["phase"] == "Succeeded"
    assert cluster.resource_version() == rv, "a synced app writes nothing"


@pytest.mark.integration
def test_app_path_leaving_the_repository_is_unknown_and_writes_nothing(env: Any) -> None:
    repo, agent, cluster, _, _ = env
    seed(repo)
    agent.create_app(app(repo, path="../../../etc"))
    rv = cluster.resource_version()
    st = agent.reconcile("order-service-staging")
    assert st["sync"]["status"] == "Unknown"
    assert "leaves the repository" in st["conditions"][0]["message"]
    assert cluster.resource_version() == rv


@pytest.mark.integration
def test_a_symlink_out_of_the_repository_is_left_out_not_a_crash(env: Any) -> None:
    """git archive carries symlinks; one pointing outside the tree used to raise tarfile's AbsoluteLinkError out
    of reconcile. It is dropped from the export: unrelated apps sync, one that lists it sees a missing file."""
    import os

    repo, agent, cluster, _, _ = env
    seed(repo)
    os.symlink("/etc/hostname", repo.work / "services/order-service/base/evil.yaml")
    repo.write({}, "an escaping symlink")
    agent.create_app(app(repo))
    assert agent.reconcile("order-service-staging")["sync"]["status"] == "Synced"
    kust = "resources:\n- deployment.yaml\n- service.yaml\n- flags.yaml\n- evil.yaml\n"
    repo.write({"services/order-service/base/kustomization.yaml": kust}, "use it")
    rv = cluster.resource_version()
    st = agent.reconcile("order-service-staging")
    assert st["sync"]["status"] == "Unknown" and "evil.yaml" in st["conditions"][0]["message"]
    assert cluster.resource_version() == rv
