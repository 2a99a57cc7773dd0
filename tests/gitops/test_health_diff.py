"""Argo CD health rules and roll-up order (gitops-engine pkg/health), diff normalisation and ignoreDifferences,
sync ordering (phase → wave → kind → name)."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.errors import SpecError, UnsupportedError
from shipyard.gitops.app import AppSpec, IgnoreRule, from_argocd
from shipyard.gitops.diff import SyncStatus, compare, key_of
from shipyard.gitops.health import Health, HealthResult, resource_health, roll_up
from shipyard.gitops.plan import plan_sync, prepare
from shipyard.resources.argocd import Application


def dep(gen: int = 1, **status: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "generation": gen},
            "spec": {"replicas": 2}, "status": status}  # fmt: skip


OK = {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}

HEALTH = [
    (dep(**OK), Health.Healthy),
    (dep(2, **OK), Health.Progressing),
    ({**dep(**OK), "spec": {"replicas": 2, "paused": True}}, Health.Suspended),
    (dep(**{**OK, "updatedReplicas": 1}), Health.Progressing),
    (dep(**{**OK, "replicas": 3}), Health.Progressing),
    (dep(**{**OK, "availableReplicas": 1}), Health.Progressing),
    (dep(**{**OK, "conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]}), Health.Degraded),
    ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "LoadBalancer"}}, Health.Progressing),
    ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {}}, Health.Healthy),
    ({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"},
      "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}}, Health.Healthy),
    ({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"}}, Health.Progressing),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "status": {"phase": "Failed"}}, Health.Degraded),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "status": {"phase": "Running",
      "conditions": [{"type": "Ready", "status": "True"}]}}, Health.Healthy),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "status": {"phase": "Pending",
      "containerStatuses": [{"state": {"waiting": {"reason": "ImagePullBackOff"}}}]}}, Health.Degraded),
    ({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"}, "status": {"phase": "Bound"}}, Health.Healthy),
    ({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"}, "status": {"phase": "Pending"}}, Health.Progressing),
    ({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r", "generation": 1},
      "spec": {"replicas": 2}, "status": {"observedGeneration": 1, "availableReplicas": 1}}, Health.Progressing),
    ({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r", "generation": 3},
      "status": {"observedGeneration": "3", "phase": "Paused"}}, Health.Suspended),
    ({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r", "generation": 3},
      "status": {"observedGeneration": "2", "phase": "Healthy"}}, Health.Progressing),
    ({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, Health.Healthy),
    ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "deletionTimestamp": "x"}}, Health.Progressing),
    (None, Health.Missing),
]  # fmt: skip


@pytest.mark.parametrize(("obj", "want"), HEALTH, ids=[
    "deploy-healthy", "deploy-generation-not-observed", "deploy-paused", "deploy-updating", "deploy-old-terminating",
    "deploy-unavailable", "deploy-deadline", "svc-lb-pending", "svc", "ingress-address", "ingress-pending",
    "pod-failed", "pod-ready", "pod-image-pull", "pvc-bound", "pvc-pending", "rs-unavailable", "rollout-paused",
    "rollout-unobserved", "unknown-kind-healthy", "deleting", "missing",
])  # fmt: skip
def test_resource_health(obj: dict[str, Any] | None, want: Health) -> None:
    assert resource_health(obj).status is want


def test_roll_up_order_and_missing_rules() -> None:
    h = HealthResult
    assert roll_up([(h(Health.Healthy), True), (h(Health.Suspended), True)]) is Health.Suspended
    assert roll_up([(h(Health.Suspended), True), (h(Health.Progressing), True)]) is Health.Progressing
    assert roll_up([(h(Health.Degraded), True), (h(Health.Progressing), True)]) is Health.Degraded
    assert roll_up([(h(Health.Unknown), True), (h(Health.Degraded), True)]) is Health.Unknown
    assert roll_up([(h(Health.Healthy), True), (h(Health.Missing), False)]) is Health.Healthy, "missing doesn't degrade"
    assert roll_up([(h(Health.Missing), False)]) is Health.Missing
    assert roll_up([]) is Health.Healthy


def test_compare_ignores_server_fields_and_ignore_differences() -> None:
    desired = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
               "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}}  # fmt: skip
    live = {**desired, "metadata": {**desired["metadata"], "uid": "u", "resourceVersion": "9", "generation": 4},
            "spec": {**desired["spec"], "replicas": 5, "strategy": {"type": "RollingUpdate"}}, "status": {"replicas": 5}}  # fmt: skip
    k = key_of(desired)
    status, diffs = compare([desired], {k: live}, [], [])
    assert status is SyncStatus.OutOfSync
    rule = IgnoreRule("apps", "Deployment", json_pointers=("/spec/replicas",))
    status, diffs = compare([desired], {k: live}, [], [rule])
    assert status is SyncStatus.Synced, "extra live fields are defaults; replicas ignored by rule"
    gone = ("", "ConfigMap", "n", "old")
    status, diffs = compare([desired], {k: live, gone: {"kind": "ConfigMap"}}, [gone], [rule])
    assert status is SyncStatus.OutOfSync and diffs[-1].requires_pruning


def test_plan_orders_waves_kinds_and_prunes_last() -> None:
    app = AppSpec("a", "argocd", "r", ".", dest_namespace="n")

    def obj(kind: str, name: str, wave: int = 0, api: str = "v1") -> dict[str, Any]:
        return {"apiVersion": api, "kind": kind, "metadata": {"name": name, "annotations": {
            "argocd.argoproj.io/sync-wave": str(wave)}}}  # fmt: skip

    desired = prepare(app, [obj("Deployment", "web", api="apps/v1"), obj("Service", "web"), obj("Widget", "w", -1, "x/v1"),
                            obj("ConfigMap", "cfg"), obj("Namespace", "n")])  # fmt: skip
    assert desired[0]["metadata"]["namespace"] == "n" and "namespace" not in desired[4]["metadata"]
    old = ("", "Secret", "n", "stale")
    _, diffs = compare(desired, {old: {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "stale"}}}, [old], [])
    waves = plan_sync(diffs, prune=True)
    assert [[(a.op.value, a.key[1]) for a in w] for w in waves] == [
        [("apply", "Widget")],
        [("apply", "Namespace"), ("apply", "ConfigMap"), ("apply", "Service"), ("apply", "Deployment")],
        [("prune", "Secret")],
    ]
    assert plan_sync(diffs, prune=False)[-1][0].op.value == "apply"


def test_prepare_rejects_bad_manifests_before_any_write() -> None:
    app = AppSpec("a", "argocd", "r", ".", dest_namespace="n")
    with pytest.raises(SpecError, match="no kind"):
        prepare(app, [{"apiVersion": "v1", "metadata": {"name": "x"}}])
    with pytest.raises(SpecError, match="sync-wave"):
        prepare(app, [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "annotations": {
            "argocd.argoproj.io/sync-wave": "soon"}}}])  # fmt: skip
    with pytest.raises(UnsupportedError, match="hook"):
        prepare(app, [{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "x", "annotations": {
            "argocd.argoproj.io/hook": "PreSync"}}}])  # fmt: skip


def test_argocd_application_model() -> None:
    a = Application.model_validate({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "order-service-staging", "namespace": "argocd"},
        "spec": {"project": "default",
                 "source": {"repoURL": "https://git.example.com/gitops.git", "targetRevision": "main",
                            "path": "services/order-service/overlays/staging",
                            "kustomize": {"images": ["my-app=gcr.io/x/my-app:0.1"], "namePrefix": "p-"}},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": "staging"},
                 "syncPolicy": {"automated": {"prune": True, "selfHeal": True},
                                "retry": {"limit": 3, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "1m"}}},
                 "ignoreDifferences": [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]}})  # fmt: skip
    spec = from_argocd(a)
    assert spec.automated and spec.prune and spec.self_heal and spec.retry_limit == 3 and spec.retry_backoff == 10
    assert spec.images == ("my-app=gcr.io/x/my-app:0.1",) and spec.kustomize == {"namePrefix": "p-"}
    assert spec.ignore[0].json_pointers == ("/spec/replicas",)


@pytest.mark.parametrize(
    ("obj", "want"),
    [
        ({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"generation": 3},
          "status": {"observedGeneration": "3", "phase": "Healthy"}}, Health.Healthy),
        ({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"generation": 3},
          "status": {"observedGeneration": "7b9f8d", "phase": "Healthy"}}, Health.Progressing),
        ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"generation": 1},
          "spec": {"replicas": "two"}, "status": {"observedGeneration": 1}}, Health.Unknown),
    ],
    ids=["rollout-string-observedGeneration", "rollout-hash-observedGeneration-not-observed",
         "malformed-live-object-is-Unknown-not-a-crash"],
)  # fmt: skip
def test_health_of_odd_live_objects(obj: dict[str, Any], want: Health) -> None:
    assert resource_health(obj).status is want
