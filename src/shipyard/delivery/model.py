"""What the rollout planner sees (ReplicaSets, AnalysisRuns) and what it returns (a Plan of actions).

The controller builds these from Cluster objects and applies the Plan back; the simulator and the table
tests build them directly. Hashes follow Argo: ``rollouts-pod-template-hash`` is an FNV-32a of the pod
template rendered with Kubernetes' "safe" alphabet (``ComputePodTemplateHash`` / ``rand.SafeEncodeString``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

POD_HASH_LABEL = "rollouts-pod-template-hash"
REVISION_ANNOTATION = "rollout.argoproj.io/revision"
SCALE_DOWN_DEADLINE = "scale-down-deadline"
# restartAt contract with the runtime: the controller annotates a ReplicaSet with the restart time; the runtime
# replaces the pods created before it and reports ``status.observedRestartAt`` once it has.
RESTART_ANNOTATION = "rollout.argoproj.io/restart-at"
_SAFE = "bcdfghjklmnpqrstvwxz2456789"


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in text)


def pod_template_hash(template: dict[str, Any] | None, collision_count: int = 0) -> str:
    body = json.dumps(template or {}, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        body += str(collision_count).encode()
    return safe_encode(str(_fnv32a(body)))


def steps_hash(steps: list[dict[str, Any]]) -> str:
    return safe_encode(str(_fnv32a(json.dumps(steps, sort_keys=True).encode())))


@dataclass(slots=True)
class ReplicaSetView:
    name: str
    pod_hash: str
    revision: int
    replicas: int
    available: int = 0
    ready: int = 0
    annotations: dict[str, str] = field(default_factory=dict)
    template: dict[str, Any] = field(default_factory=dict)
    observed_restart: str = ""

    @property
    def deadline(self) -> float | None:
        text = self.annotations.get(SCALE_DOWN_DEADLINE)
        if not text:
            return None
        from shipyard.resources.timefmt import parse_time

        return parse_time(text)


@dataclass(frozen=True, slots=True)
class RunView:
    """An AnalysisRun owned by the rollout, as far as the rollout cares."""

    name: str
    pod_hash: str
    run_type: str  # Step | Background | PrePromotion | PostPromotion
    step_index: int | None
    phase: str
    message: str = ""
    terminated: bool = False
    created: str = ""  # metadata.creationTimestamp (RFC 3339 sorts as text)


@dataclass(frozen=True, slots=True)
class RunRequest:
    """Create an AnalysisRun: the controller flattens the templates and resolves args."""

    name: str
    run_type: str
    step_index: int | None
    pod_hash: str
    analysis: Any  # resources.rollouts.RolloutAnalysis
    revision: int = 0  # the Rollout revision the run belongs to (annotation rollout.argoproj.io/revision)


@dataclass(frozen=True, slots=True)
class Event:
    reason: str
    message: str
    type: str = "Normal"


@dataclass(frozen=True, slots=True)
class Traffic:
    """Desired router state: canary weight, header/mirror routes (name -> step spec), the two pod hashes."""

    canary_weight: int
    stable_weight: int
    canary_hash: str
    stable_hash: str
    header_routes: tuple[Any, ...] = ()
    mirror_routes: tuple[Any, ...] = ()


@dataclass(slots=True)
class Plan:
    status: dict[str, Any]
    create_rs: list[ReplicaSetView] = field(default_factory=list)
    scale: dict[str, int] = field(default_factory=dict)  # RS name -> spec.replicas
    annotate: dict[str, dict[str, str | None]] = field(default_factory=dict)  # RS name -> annotations (None = remove)
    delete_rs: list[str] = field(default_factory=list)
    create_runs: list[RunRequest] = field(default_factory=list)
    terminate_runs: list[str] = field(default_factory=list)
    delete_runs: list[str] = field(default_factory=list)
    services: dict[str, str] = field(default_factory=dict)  # service name -> pod hash for its selector
    traffic: Traffic | None = None
    events: list[Event] = field(default_factory=list)
    requeue_at: float | None = None

    def event(self, reason: str, message: str, type_: str = "Normal") -> None:
        self.events.append(Event(reason, message, type_))

    def wake(self, at: float) -> None:
        if self.requeue_at is None or at < self.requeue_at:
            self.requeue_at = at
