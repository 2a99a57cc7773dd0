"""The rollout controller on a LocalCluster (SQLite): level-triggered, so a new controller continues a rollout
where the previous one stopped, without creating a second AnalysisRun."""

from __future__ import annotations

from pathlib import Path

from shipyard.clock import FakeClock
from shipyard.cluster.local import LocalCluster
from shipyard.resources.loader import load_file
from shipyard.testing.rollouts import FixedProvider, RolloutBench

DATA = Path(__file__).parents[1] / "delivery" / "data"
NS = "order-service"


def providers() -> dict[str, FixedProvider]:
    answers = {"success-rate": lambda now: [0.99], "latency-p99": lambda now: [0.2], "error-rate": lambda now: [0.0]}
    return {"prometheus": FixedProvider(answers)}


def bench(db: Path, clock: FakeClock) -> RolloutBench:
    return RolloutBench(LocalCluster(db, now=clock.now), clock=clock, pod_ready_seconds=5, providers=providers())


def test_restart_mid_rollout_resumes_at_the_same_step(tmp_path: Path) -> None:
    db = tmp_path / "cluster.db"
    clock = FakeClock()
    first = bench(db, clock)
    docs = [d.data for f in ("short-analysistemplate.yaml", "short-rollout.yaml") for d in load_file(DATA / f)]
    first.apply(*docs)
    first.advance(20)
    assert first.status("order-service", NS)["phase"] == "Healthy"
    first.act("order-service", "set_image", NS, container="order-service", image="registry.local/order-service:v2")
    first.advance(70)  # past the 30s pause and the step analysis (3 x 10s), into the 60s pause of step 4
    before = first.status("order-service", NS)
    assert (before["phase"], before["currentStepIndex"]) == ("Paused", 4)
    runs_before = sorted(r["metadata"]["name"] for r in first.runs(NS))
    assert len(runs_before) == 2  # background + step 2
    del first  # the controller stops here

    second = bench(db, clock)
    second.settle()
    after = second.status("order-service", NS)
    assert (after["phase"], after["currentStepIndex"]) == ("Paused", 4)
    assert sorted(r["metadata"]["name"] for r in second.runs(NS)) == runs_before
    second.advance(200)
    assert second.status("order-service", NS)["currentStepIndex"] == 6  # waiting at the indefinite pause
    second.act("order-service", "promote", NS)
    second.advance(20)
    final = second.status("order-service", NS)
    assert final["phase"] == "Healthy"
    assert sorted(r["metadata"]["name"] for r in second.runs(NS)) == runs_before


def test_controller_writes_replicasets_services_ingress_and_events(tmp_path: Path) -> None:
    clock = FakeClock()
    b = bench(tmp_path / "c.db", clock)
    docs = [d.data for f in ("short-analysistemplate.yaml", "short-rollout.yaml") for d in load_file(DATA / f)]
    for name in ("order-service-canary", "order-service-stable"):
        b.apply(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": NS},
                "spec": {"selector": {"app": "order-service"}},
            }
        )
    b.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "order-service-ingress", "namespace": NS},
            "spec": {
                "ingressClassName": "nginx",
                "rules": [
                    {
                        "host": "api.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/order",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "order-service-stable", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ],
            },
        }
    )
    b.apply(*docs)
    b.advance(20)
    b.act("order-service", "set_image", NS, container="order-service", image="registry.local/order-service:v2")
    b.advance(8)
    st = b.status("order-service", NS)
    rs = b.cluster.list("apps/ReplicaSet", NS)
    assert {r["metadata"]["labels"]["rollouts-pod-template-hash"] for r in rs} == {st["stableRS"], st["currentPodHash"]}
    assert all(
        r["metadata"]["name"] == f"order-service-{r['metadata']['labels']['rollouts-pod-template-hash']}" for r in rs
    )
    ing = b.cluster.get("networking.k8s.io/Ingress", NS, "order-service-order-service-ingress-canary")
    assert ing is not None
    assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] == "5"
    assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-by-header"] == "X-Canary"
    assert ing["spec"]["ingressClassName"] == "nginx"
    events = b.cluster.list("Event", NS)
    assert {"RolloutUpdated", "RolloutStepCompleted", "TrafficWeightUpdated"} <= {e["reason"] for e in events}


def test_roll_out_image_on_a_local_cluster(tmp_path: Path) -> None:
    """The demo's entry point: one call from set-image to Healthy on a LocalCluster (fake clock)."""
    from shipyard.controllers.rollouts_run import roll_out_image

    clock = FakeClock()
    cluster = LocalCluster(tmp_path / "c.db", now=clock.now)
    b = RolloutBench(cluster, clock=clock, pod_ready_seconds=5, providers=providers())
    b.apply(*[d.data for f in ("short-analysistemplate.yaml", "short-rollout.yaml") for d in load_file(DATA / f)])
    b.advance(20)
    result = roll_out_image(
        cluster,
        NS,
        "order-service",
        "order-service",
        "registry.local/order-service:v2",
        providers=providers(),
        clock=clock,
        pod_ready_seconds=5,
        auto_promote=True,
    )
    assert result.phase == "Healthy"
    assert any(e.reason == "RolloutCompleted" for e in result.events)
    rs = {r["metadata"]["labels"]["rollouts-pod-template-hash"]: r for r in cluster.list("apps/ReplicaSet", NS)}
    assert (
        rs[result.status["stableRS"]]["spec"]["template"]["spec"]["containers"][0]["image"]
        == "registry.local/order-service:v2"
    )
