"""A rollout test bench: MemoryCluster (or any Cluster) + FakeClock + simulated kubelet + the real controller,
with helpers to apply objects, run the clock forward, act like ``kubectl argo rollouts`` and read counts."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from shipyard.clock import FakeClock
from shipyard.cluster.base import Cluster, Obj
from shipyard.cluster.memory import MemoryCluster
from shipyard.controllers.rollouts import ROLLOUT, RUN, RecordedEvent, RolloutController
from shipyard.controllers.simcluster import Kubelet
from shipyard.delivery import actions
from shipyard.delivery.providers.base import MetricProvider, Observation, format_value
from shipyard.errors import ProviderError
from shipyard.resources.analysis import Metric


class FixedProvider:
    """Answers by metric name from a dict of callables ``now -> value`` (or a ProviderError message)."""

    def __init__(self, answers: Mapping[str, Callable[[float], Any]]) -> None:
        self.answers = dict(answers)

    def measure(self, metric: Metric, *, now: float) -> Observation:
        fn = self.answers.get(metric.name)
        if fn is None:
            raise ProviderError(f"no answer for metric {metric.name}")
        value = fn(now)
        if isinstance(value, Exception):
            raise value
        return Observation(format_value(value), value)


class RolloutBench:
    def __init__(
        self,
        cluster: Cluster | None = None,
        *,
        clock: FakeClock | None = None,
        pod_ready_seconds: float = 1,
        providers: Mapping[str, MetricProvider] | None = None,
    ) -> None:
        self.clock = clock or FakeClock()
        self.cluster: Cluster = cluster if cluster is not None else MemoryCluster(now=self.clock.now)
        self.events: list[RecordedEvent] = []
        self.controller = RolloutController(
            self.cluster, self.clock, dict(providers or {}), write_events=True, on_event=self.events.append
        )
        self.kubelet = Kubelet(self.cluster, self.clock, pod_ready_seconds)

    def apply(self, *objs: Obj) -> None:
        for obj in objs:
            self.cluster.apply(copy.deepcopy(obj))

    def settle(self) -> None:
        for _ in range(200):
            wrote = self.kubelet.sync()
            wrote |= self.controller.sync_all()
            if not wrote:
                return

    def advance(self, seconds: float) -> None:
        """Move the clock forward, stopping at every wake-up on the way."""
        end = self.clock.now() + seconds
        self.settle()
        while True:
            wakes = [t for t in (self.kubelet.next_wake(), self.controller.next_wake()) if t is not None]
            nxt = min([t for t in wakes if self.clock.now() < t <= end], default=None)
            if nxt is None:
                break
            self.clock.advance(nxt - self.clock.now())
            self.settle()
        self.clock.advance(max(0.0, end - self.clock.now()))
        self.settle()

    def rollout(self, name: str, ns: str = "default") -> Obj:
        obj = self.cluster.get(ROLLOUT, ns, name)
        assert obj is not None
        return obj

    def status(self, name: str, ns: str = "default") -> dict[str, Any]:
        return dict(self.rollout(name, ns).get("status") or {})

    def counts(self, ns: str = "default") -> dict[int, int]:
        """revision -> spec.replicas"""
        out = {}
        for rs in self.cluster.list("apps/ReplicaSet", ns):
            rev = int(rs["metadata"]["annotations"]["rollout.argoproj.io/revision"])
            out[rev] = int(rs["spec"]["replicas"])
        return out

    def runs(self, ns: str = "default") -> list[Obj]:
        return self.cluster.list(RUN, ns)

    def act(self, name: str, verb: str, ns: str = "default", **kw: Any) -> None:
        obj = self.rollout(name, ns)
        verbs: dict[str, Callable[..., tuple[Obj, str]]] = {
            "promote": actions.promote,
            "abort": actions.abort,
            "retry": actions.retry,
            "pause": actions.pause,
            "resume": actions.resume,
            "set_image": actions.set_image,
        }
        fn = verbs[verb]
        new, _ = fn(obj, **kw)
        if new["spec"] != obj["spec"]:
            obj = self.cluster.update({**new, "status": obj.get("status")})
        if new.get("status") != obj.get("status"):
            self.cluster.update_status({**obj, "status": new.get("status")})

    def set_template(self, name: str, mutate: Callable[[Obj], None], ns: str = "default") -> None:
        obj = self.rollout(name, ns)
        mutate(obj["spec"])
        self.cluster.update(obj)

    def reasons(self) -> list[str]:
        return [e.reason for e in self.events]
