"""Drive one image update of a Rollout to its end: the entry point a demo or a pipeline step calls.

``roll_out_image(cluster, ns, name, container, image, ...)`` sets the image, then runs the controller (and,
when no runtime reports pod readiness, the simulated kubelet) until the rollout is Healthy or Degraded,
sleeping on the clock between wake-ups. With ``auto_promote`` an indefinite pause is promoted, as an operator
would. Returns the final status and the events recorded on the way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.clock import Clock, SystemClock
from shipyard.cluster.base import Cluster
from shipyard.controllers.rollouts import ROLLOUT, RecordedEvent, RolloutController
from shipyard.controllers.simcluster import Kubelet
from shipyard.delivery import actions
from shipyard.delivery.providers.base import MetricProvider
from shipyard.errors import NotFoundError


@dataclass
class RolloutResult:
    phase: str
    message: str
    status: dict[str, Any]
    events: list[RecordedEvent] = field(default_factory=list)


def roll_out_image(
    cluster: Cluster,
    namespace: str,
    name: str,
    container: str,
    image: str,
    *,
    providers: Mapping[str, MetricProvider],
    clock: Clock | None = None,
    pod_ready_seconds: float | None = None,
    auto_promote: bool = False,
    timeout: float = 3600,
) -> RolloutResult:
    """``pod_ready_seconds`` set ⇒ a simulated kubelet reports readiness; None ⇒ the runtime does."""
    clk = clock or SystemClock()
    events: list[RecordedEvent] = []
    ctrl = RolloutController(cluster, clk, providers, on_event=events.append)
    kubelet = Kubelet(cluster, clk, pod_ready_seconds) if pod_ready_seconds is not None else None
    obj = cluster.get(ROLLOUT, namespace, name)
    if obj is None:
        raise NotFoundError(f'rollout "{name}" not found in namespace "{namespace}"')
    new, _ = actions.set_image(obj, container, image)
    cluster.update(new)
    deadline = clk.now() + timeout
    seen_progress = False
    while True:
        for _ in range(100):
            wrote = kubelet.sync() if kubelet is not None else False
            if not (ctrl.sync_all() or wrote):
                break
        current = cluster.get(ROLLOUT, namespace, name) or {}
        st = dict(current.get("status") or {})
        phase = st.get("phase", "")
        seen_progress = seen_progress or phase in ("Progressing", "Paused")
        if phase == "Degraded" or (phase == "Healthy" and seen_progress) or clk.now() >= deadline:
            return RolloutResult(phase, st.get("message", ""), st, events)
        pauses = st.get("pauseConditions") or []
        if auto_promote and any(p.get("reason") in ("CanaryPauseStep", "BlueGreenPause") for p in pauses):
            promoted, _ = actions.promote(current)
            cluster.update_status(promoted)
            continue
        wakes = [t for t in (ctrl.next_wake(), kubelet.next_wake() if kubelet else None) if t is not None]
        nxt = min(wakes) if wakes else clk.now() + 1.0
        clk.sleep(max(0.0, min(nxt, deadline) - clk.now()) or 0.05)
