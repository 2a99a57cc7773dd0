"""The Flagger controller on a MemoryCluster with the seed's Canary (rebuilt as YAML): primary Deployment and
Services, NGINX canary Ingress weights 10..50, promotion into the primary, and rollback on failing checks."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from shipyard.clock import FakeClock
from shipyard.cluster.memory import MemoryCluster
from shipyard.controllers.flagger import FlaggerController
from shipyard.resources.loader import load_file

DATA = Path(__file__).parents[1] / "delivery" / "data"
NS = "order-service"


def deployment(image: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "order-service", "namespace": NS},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "order-service"}},
            "template": {
                "metadata": {"labels": {"app": "order-service"}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    }


def setup(success_rate: float) -> tuple[FakeClock, MemoryCluster, FlaggerController, list[dict[str, Any]]]:
    clock = FakeClock()
    cluster = MemoryCluster(now=clock.now)
    for obj in (
        deployment("app:v1"),
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "order-service", "namespace": NS},
            "spec": {
                "rules": [
                    {
                        "host": "api.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "order-service", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
        {
            "apiVersion": "flagger.app/v1beta1",
            "kind": "MetricTemplate",
            "metadata": {"name": "error-rate", "namespace": "flagger-system"},
            "spec": {
                "provider": {"type": "prometheus", "address": "http://prom"},
                "query": 'errors{ns="{{ namespace }}"}',
            },
        },
        *[copy.deepcopy(d.data) for d in load_file(DATA / "flagger-canary.yaml")],
    ):
        cluster.apply(obj)
    hooks: list[dict[str, Any]] = []

    def query(promql: str, address: str | None) -> float:
        if "nginx_ingress_controller_requests" in promql:
            return success_rate
        if "response_duration" in promql:
            return 120.0
        return 0.001

    def hook(url: str, payload: Any) -> int:
        hooks.append(dict(payload))
        return 200

    return clock, cluster, FlaggerController(cluster, clock, query, hook), hooks


def ready(cluster: MemoryCluster) -> None:
    for d in cluster.list("apps/Deployment", NS):
        n = int(d["spec"].get("replicas", 1))
        if (d.get("status") or {}).get("availableReplicas") != n:
            cluster.update_status({**d, "status": {"availableReplicas": n, "readyReplicas": n}})


def run(clock: FakeClock, cluster: MemoryCluster, ctrl: FlaggerController, ticks: int) -> list[tuple[str, int]]:
    out = []
    for _ in range(ticks):
        ready(cluster)
        ctrl.sync_all()
        st = cluster.get("flagger.app/Canary", NS, "order-service")["status"]
        out.append((st["phase"], st["canaryWeight"]))
        clock.advance(60)
    return out


def test_seed_canary_promotes() -> None:
    clock, cluster, ctrl, hooks = setup(99.5)
    assert run(clock, cluster, ctrl, 1) == [("Initialized", 0)]
    primary = cluster.get("apps/Deployment", NS, "order-service-primary")
    assert primary["spec"]["template"]["metadata"]["labels"]["app"] == "order-service-primary"
    assert cluster.get("apps/Deployment", NS, "order-service")["spec"]["replicas"] == 0
    assert {s["metadata"]["name"] for s in cluster.list("Service", NS)} == {
        "order-service",
        "order-service-primary",
        "order-service-canary",
    }
    cluster.update(
        {**cluster.get("apps/Deployment", NS, "order-service"), "spec": {**deployment("app:v2")["spec"], "replicas": 0}}
    )
    got = run(clock, cluster, ctrl, 9)
    assert got == [
        ("Progressing", 0),
        ("Progressing", 10),
        ("Progressing", 20),
        ("Progressing", 30),
        ("Progressing", 40),
        ("Progressing", 50),
        ("Promoting", 50),
        ("Finalising", 0),
        ("Succeeded", 0),
    ]
    primary = cluster.get("apps/Deployment", NS, "order-service-primary")
    assert primary["spec"]["template"]["spec"]["containers"][0]["image"] == "app:v2"
    ing = cluster.get("networking.k8s.io/Ingress", NS, "order-service-canary")
    assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] == "0"
    assert ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "order-service-canary"
    assert cluster.get("apps/Deployment", NS, "order-service")["spec"]["replicas"] == 0
    status = cluster.get("flagger.app/Canary", NS, "order-service")["status"]
    assert status["conditions"][0]["type"] == "Promoted" and status["conditions"][0]["status"] == "True"
    assert [h["phase"] for h in hooks][:1] == ["Progressing"]  # the pre-rollout webhook ran with the payload


def test_seed_canary_rolls_back_after_threshold() -> None:
    clock, cluster, ctrl, _ = setup(98.5)
    run(clock, cluster, ctrl, 1)
    cluster.update(
        {**cluster.get("apps/Deployment", NS, "order-service"), "spec": {**deployment("app:v2")["spec"], "replicas": 0}}
    )
    got = run(clock, cluster, ctrl, 9)
    assert got[-1] == ("Failed", 0)
    assert cluster.get("flagger.app/Canary", NS, "order-service")["status"]["failedChecks"] == 5
    assert cluster.get("apps/Deployment", NS, "order-service")["spec"]["replicas"] == 0
    assert any("request-success-rate 98.50 < 99" in text for _, _, text in ctrl.events)


def test_canary_never_ready_rolls_back_after_progress_deadline() -> None:
    clock, cluster, ctrl, _ = setup(99.5)
    canary = cluster.get("flagger.app/Canary", NS, "order-service")
    canary["spec"]["progressDeadlineSeconds"] = 120
    cluster.update(canary)
    run(clock, cluster, ctrl, 1)
    cluster.update(
        {**cluster.get("apps/Deployment", NS, "order-service"), "spec": {**deployment("app:v2")["spec"], "replicas": 0}}
    )
    ready(cluster)
    ctrl.sync_all()  # Progressing: the canary is scaled up, and its pods never become ready
    phases = []
    for _ in range(4):
        clock.advance(60)
        ctrl.sync_all()
        phases.append(cluster.get("flagger.app/Canary", NS, "order-service")["status"]["phase"])
    assert phases[0] == "Progressing" and phases[-1] == "Failed"
    assert any("progress deadline exceeded" in text for _, _, text in ctrl.events)


def test_ab_testing_routes_by_header() -> None:
    clock, cluster, ctrl, _ = setup(99.5)
    canary = cluster.get("flagger.app/Canary", NS, "order-service")
    analysis = canary["spec"]["analysis"]
    analysis.pop("stepWeight")
    analysis.pop("maxWeight")
    analysis.update(iterations=2, match=[{"headers": {"x-canary": {"exact": "insider"}}}])
    cluster.update(canary)
    run(clock, cluster, ctrl, 1)
    cluster.update(
        {**cluster.get("apps/Deployment", NS, "order-service"), "spec": {**deployment("app:v2")["spec"], "replicas": 0}}
    )
    got = run(clock, cluster, ctrl, 2)
    assert got[-1][0] == "Progressing"
    ann = cluster.get("networking.k8s.io/Ingress", NS, "order-service-canary")["metadata"]["annotations"]
    assert ann["nginx.ingress.kubernetes.io/canary-by-header"] == "x-canary"
    assert ann["nginx.ingress.kubernetes.io/canary-by-header-value"] == "insider"
    assert "nginx.ingress.kubernetes.io/canary-weight" not in ann
    assert [p for p, _ in run(clock, cluster, ctrl, 4)][-1] in ("Finalising", "Succeeded")
