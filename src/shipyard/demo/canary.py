"""The next release to production as a canary: an Argo Rollout walking its steps with the real rollout controller.

The Rollout (the seed's canary shape, pauses shortened) runs on the LocalCluster under a fake clock, with the
simulated kubelet reporting pod readiness (``roll_out_image(pod_ready_seconds=…)``): shipyard's local runtime
does not run Rollout pods yet, so the pods are simulated and the demo says so. The analysis step is real: an
Argo ``web`` metric asks the new version's ``/healthz`` (the staging replica that really runs the image).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from shipyard.clock import FakeClock
from shipyard.cluster.local import LocalCluster
from shipyard.controllers.rollouts_run import roll_out_image
from shipyard.metrics import providers
from shipyard.store.db import Database

NAMESPACE = "production"
NAME = "order-service"
POD_READY_SECONDS = 5.0

ANALYSIS_TEMPLATE: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "AnalysisTemplate",
    "metadata": {"name": "healthz", "namespace": NAMESPACE},
    "spec": {
        "args": [{"name": "url"}],
        "metrics": [
            {
                "name": "healthz",
                "interval": "10s",
                "count": 3,
                "failureLimit": 0,
                "successCondition": "result == 'ok'",
                "provider": {"web": {"url": "{{args.url}}", "jsonPath": "{$.status}", "timeoutSeconds": 5}},
            }
        ],
    },
}


def rollout(image: str, replicas: int, analysis_url: str) -> dict[str, Any]:
    """The seed's canary Rollout for order-service, pauses shortened, analysis against ``analysis_url``."""
    labels = {"app": NAME}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": NAME,
                            "image": image,
                            "ports": [{"containerPort": 8080}],
                            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                        }
                    ]
                },
            },
            "strategy": {
                "canary": {
                    "steps": [
                        {"setWeight": 25},
                        {"pause": {"duration": "30s"}},
                        {
                            "analysis": {
                                "templates": [{"templateName": "healthz"}],
                                "args": [{"name": "url", "value": analysis_url}],
                            }
                        },
                        {"setWeight": 50},
                        {"pause": {"duration": "30s"}},
                        {"setWeight": 100},
                    ]
                }
            },
        },
    }


@dataclass
class CanaryOutcome:
    phase: str = ""
    message: str = ""
    stable_image: str = ""
    events: list[tuple[float, str, str]] = field(default_factory=list)  # (seconds after the update, reason, message)

    @property
    def ok(self) -> bool:
        return self.phase == "Healthy"


def release(
    home: Path, current: str, new: str, analysis_url: str, console: Console, *, replicas: int = 4
) -> CanaryOutcome:
    """Put ``current`` in production as a Rollout (Healthy), then roll ``new`` out through the canary steps."""
    clock = FakeClock(start=time.time())
    cluster = LocalCluster(Database(home / "state.db"), now=clock.now)
    for obj in (ANALYSIS_TEMPLATE, rollout(current, replicas, analysis_url)):
        cluster.apply(copy.deepcopy(obj))
    metric = providers()
    common: dict[str, Any] = {"providers": metric, "clock": clock, "pod_ready_seconds": POD_READY_SECONDS}
    first = roll_out_image(cluster, NAMESPACE, NAME, NAME, current, auto_promote=True, timeout=600, **common)
    console.print(f"Rollout {NAMESPACE}/{NAME}: {replicas} replicas of the current release: {first.phase}")
    start = clock.now()
    # every pause has a duration: the controller walks them on the (fake) clock, nobody promotes by hand
    result = roll_out_image(cluster, NAMESPACE, NAME, NAME, new, auto_promote=False, timeout=1800, **common)
    out = CanaryOutcome(phase=result.phase, message=result.message)
    out.events = [(round(e.t - start, 1), e.reason, e.message) for e in result.events]
    stable = cluster.get("argoproj.io/Rollout", NAMESPACE, NAME) or {}
    out.stable_image = stable["spec"]["template"]["spec"]["containers"][0]["image"] if stable else ""
    table = Table(title=f"canary of {new.split('/', 1)[-1]} (simulated time)", title_justify="left")
    for col in ("t", "event", "message"):
        table.add_column(col)
    for t, reason, message in out.events:
        if reason != "ScalingReplicaSet":  # the steps, pauses and analysis; replica scaling is in the events
            table.add_row(f"{t:>6.0f}s", reason, message)
    console.print(table)
    return out
