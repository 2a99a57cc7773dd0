"""``get rollout`` rendering against a golden file (Argo's get_test.go layout): the seed's Rollout paused at
step 4/8 with its background and step AnalysisRuns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shipyard.clock import FakeClock
from shipyard.cluster.memory import MemoryCluster
from shipyard.delivery.info import human_duration, render, rollout_view
from shipyard.resources.loader import load_file
from shipyard.resources.timefmt import parse_time
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


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (65, "65s"),
        (119, "119s"),
        (120, "2m"),
        (150, "2m30s"),
        (600, "10m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 120, "3h2m"),
        (86400, "24h"),
        (3 * 86400 + 3600, "3d1h"),
        (10 * 86400, "10d"),
    ],
    ids=lambda v: str(v),
)
def test_age_is_k8s_human_duration(seconds: int, text: str) -> None:
    """AGE and delay: use apimachinery duration.HumanDuration (AR:pkg/kubectl-argo-rollouts/info/info.go Age,
    replicaset_info.go ScaleDownDelay) — 65 s is "65s", not "1m"."""
    assert human_duration(seconds) == text


def _rs(name: str, rev: int, h: str, spec: int, avail: int, image: str, **ann: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {"rollouts-pod-template-hash": h},
            "annotations": {"rollout.argoproj.io/revision": str(rev), **ann},
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {"replicas": spec, "template": {"spec": {"containers": [{"name": "c", "image": image}]}}},
        "status": {"replicas": max(spec, avail), "availableReplicas": avail},
    }


def test_basic_canary_view_follows_rollout_info() -> None:
    """AR:pkg/kubectl-argo-rollouts/info/rollout_info.go: basic canary ActualWeight = canary available·100 /
    available; images merged and sorted by name; replicaset_info.go: spec 0 ⇒ ScaledDown (•), a scale-down
    deadline shows delay:<human duration>|passed; analysisrun_info/analysisIcon: a Running run is ◌."""
    now = parse_time("2026-01-01T00:10:00Z")
    ro = {
        "metadata": {"name": "r", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"replicas": 4, "strategy": {"canary": {"steps": [{"setWeight": 25}, {"pause": {}}]}}},
        "status": {
            "phase": "Paused",
            "message": "CanaryPauseStep",
            "currentStepIndex": 1,
            "stableRS": "bbb",
            "currentPodHash": "ccc",
            "replicas": 4,
            "updatedReplicas": 1,
            "readyReplicas": 4,
            "availableReplicas": 4,
        },
    }
    rss = [
        _rs("r-ccc", 3, "ccc", 1, 1, "app:v3"),
        _rs("r-bbb", 2, "bbb", 3, 3, "app:v2"),
        _rs("r-aaa", 1, "aaa", 0, 0, "app:v1", **{"scale-down-deadline": "2026-01-01T00:09:00Z"}),
    ]
    run = {
        "metadata": {"name": "r-ccc-3", "labels": {"rollouts-pod-template-hash": "ccc"}},
        "status": {"phase": "Running", "metricResults": [{"name": "m", "successful": 2}]},
    }
    text = render(rollout_view(ro, rss, [run], now))
    lines = text.splitlines()
    assert lines[5:10] == [
        "  Step:          1/2",
        "  SetWeight:     25",
        "  ActualWeight:  25",
        "Images:          app:v2 (stable)",
        "                 app:v3 (canary)",
    ]
    run_row = next(line for line in lines if "AnalysisRun" in line)
    assert "◌ Running" in run_row and run_row.rstrip().endswith("✔ 2")
    assert lines[-1].split() == ["└──⧉", "r-aaa", "ReplicaSet", "•", "ScaledDown", "10m", "delay:passed"]
