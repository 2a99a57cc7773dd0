"""1,000 simulated rollouts of the seed's canary strategy (NGINX routing, setWeight 5/20/50/100, pauses, step and
background analysis) run concurrently through the rollout controller on one MemoryCluster with a fake clock and
scripted healthy metrics. Measures every reconcile; the baseline in the same run is the pure planner alone
(``plan_rollout`` on the same inputs, no cluster I/O). Goal: p99 reconcile < 20 ms."""

from __future__ import annotations

import copy
import functools
import statistics
import time
from pathlib import Path
from typing import Any

from shipyard.clock import FakeClock
from shipyard.cluster.memory import MemoryCluster
from shipyard.controllers import rollouts as controller_module
from shipyard.controllers.rollouts import RolloutController
from shipyard.controllers.simcluster import Kubelet
from shipyard.delivery import actions
from shipyard.delivery import rollout as planner
from shipyard.resources.loader import load_file
from shipyard.testing.rollouts import FixedProvider

N = int(__import__("os").environ.get("BENCH_DELIVERY_N", "1000"))
DATA = Path(__file__).resolve().parents[1] / "tests" / "delivery" / "data"


@functools.cache
def _seed_docs() -> tuple[dict[str, Any], ...]:
    return tuple(d.data for f in ("short-analysistemplate.yaml", "short-rollout.yaml") for d in load_file(DATA / f))


def _objects(i: int) -> list[dict[str, Any]]:
    ns = f"shop-{i}"
    docs = [copy.deepcopy(d) for d in _seed_docs()]
    for d in docs:
        d["metadata"]["namespace"] = ns

    def svc(n: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": n, "namespace": ns},
            "spec": {"selector": {"app": "order-service"}},
        }

    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "order-service-ingress", "namespace": ns},
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "order-service-stable", "port": {"number": 80}}},
                            }
                        ]
                    }
                }
            ],
        },
    }
    return [svc("order-service-canary"), svc("order-service-stable"), ingress, *docs]


def main() -> dict[str, Any]:
    clock = FakeClock()
    cluster = MemoryCluster(now=clock.now)
    healthy = {"success-rate": lambda now: [0.99], "latency-p99": lambda now: [0.2], "error-rate": lambda now: [0.001]}
    # Events go to a callback (Kubernetes keeps them in a separate, TTL-bounded store), not into the object store.
    events: list[Any] = []
    ctrl = RolloutController(
        cluster, clock, {"prometheus": FixedProvider(healthy)}, write_events=False, on_event=events.append
    )
    kubelet = Kubelet(cluster, clock, 5)
    plan_times: list[float] = []
    real_plan = planner.plan_rollout

    def timed_plan(*a: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return real_plan(*a, **kw)
        finally:
            plan_times.append(time.perf_counter() - t)

    controller_module.plan_rollout = timed_plan  # type: ignore[assignment]

    def settle() -> None:
        for _ in range(60):
            if not (kubelet.sync() | ctrl.sync_all()):
                return

    def run_until(pred: Any, limit: float) -> None:
        end = clock.now() + limit
        settle()
        while not pred() and clock.now() < end:
            wakes = [t for t in (kubelet.next_wake(), ctrl.next_wake()) if t is not None and t > clock.now()]
            clock.advance((min(wakes) if wakes else end) - clock.now())
            settle()

    def phases() -> list[str]:
        return [(o.get("status") or {}).get("phase", "") for o in cluster.list("argoproj.io/Rollout")]

    started = time.perf_counter()
    try:
        for i in range(N):
            for obj in _objects(i):
                cluster.apply(obj)
        run_until(lambda: all(p == "Healthy" for p in phases()), 120)
        ctrl.latencies.clear()
        plan_times.clear()
        update_started = time.perf_counter()
        for ro in cluster.list("argoproj.io/Rollout"):
            new, _ = actions.set_image(ro, "order-service", "registry.local/order-service:v2")
            cluster.update(new)
        run_until(
            lambda: all(
                (o.get("status") or {}).get("currentStepIndex") == 6 for o in cluster.list("argoproj.io/Rollout")
            ),
            3600,
        )
        for ro in cluster.list("argoproj.io/Rollout"):
            new, _ = actions.promote(ro)
            cluster.update_status(new)
        run_until(lambda: all(p == "Healthy" for p in phases()), 3600)
        total = time.perf_counter() - update_started
    finally:
        controller_module.plan_rollout = real_plan  # type: ignore[assignment]
    lat = sorted(ctrl.latencies)
    plans = sorted(plan_times)
    q = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))] * 1000  # noqa: E731
    healthy_count = sum(1 for p in phases() if p == "Healthy")
    return {
        "rollouts": N,
        "healthy_after_update": healthy_count,
        "reconciles": len(lat),
        "reconcile_p50_ms": round(q(lat, 0.50), 3),
        "reconcile_p99_ms": round(q(lat, 0.99), 3),
        "reconcile_mean_ms": round(statistics.fmean(lat) * 1000, 3),
        "planner_only_p50_ms": round(q(plans, 0.50), 3),
        "planner_only_p99_ms": round(q(plans, 0.99), 3),
        "reconcile_to_planner_p50_ratio": round(q(lat, 0.5) / q(plans, 0.5), 2),
        "update_total_s": round(total, 2),
        "wall_total_s": round(time.perf_counter() - started, 2),
        "simulated_seconds": round(clock.monotonic(), 1),
        "events": len(events),
        "goal_p99_under_20ms": q(lat, 0.99) < 20,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(), indent=2))
