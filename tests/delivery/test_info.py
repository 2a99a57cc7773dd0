"""``get rollout`` rendering against a golden file (Argo's get_test.go layout): the seed's Rollout paused at
step 4/8 with its background and step AnalysisRuns."""

from __future__ import annotations

from pathlib import Path

from shipyard.clock import FakeClock
from shipyard.cluster.memory import MemoryCluster
from shipyard.delivery.info import render, rollout_view
from shipyard.resources.loader import load_file
from shipyard.testing.rollouts import FixedProvider, RolloutBench

HERE = Path(__file__).parent
NS = "order-service"


def test_get_rollout_golden() -> None:
    clock = FakeClock()
    answers = {"success-rate": lambda now: [0.99], "latency-p99": lambda now: [0.2], "error-rate": lambda now: [0.0]}
    b = RolloutBench(
        MemoryCluster(now=clock.now), clock=clock, pod_ready_seconds=5, providers={"prometheus": FixedProvider(answers)}
    )
    b.apply(
        *[d.data for f in ("short-analysistemplate.yaml", "short-rollout.yaml") for d in load_file(HERE / "data" / f)]
    )
    b.advance(20)
    b.act("order-service", "set_image", NS, container="order-service", image="registry.local/order-service:v2")
    b.advance(70)
    ro = b.rollout("order-service", NS)
    uid = ro["metadata"]["uid"]

    def own(o: dict[str, object]) -> bool:
        return any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])  # type: ignore[index,union-attr]

    view = rollout_view(
        ro, [r for r in b.cluster.list("apps/ReplicaSet", NS) if own(r)], [r for r in b.runs(NS) if own(r)], clock.now()
    )
    assert render(view) + "\n" == (HERE / "golden" / "get_rollout_canary_paused.txt").read_text(encoding="utf-8")
