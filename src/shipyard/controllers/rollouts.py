"""The rollout controller: reconciles Rollouts and their AnalysisRuns in a ``Cluster``.

Level-triggered from stored state: every reconcile reads the Rollout, its ReplicaSets (label
``rollouts-pod-template-hash``, owner reference) and AnalysisRuns, asks ``delivery.plan_rollout`` for a Plan
and applies it (ReplicaSets, Services' selectors, router objects, runs, Events, status). Nothing lives only in
memory, so a new controller on the same cluster continues exactly where the previous one stopped.
Pod readiness comes from ReplicaSet status, written by the runtime (or the simulator's kubelet).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from shipyard.clock import Clock
from shipyard.cluster.base import Cluster, Obj
from shipyard.controllers.analysisruns import AnalysisRunReconciler, build_run
from shipyard.controllers.rollouts_objects import (
    TEMPLATE_KINDS,
    annotate,
    event_object,
    index_by_owner,
    missing_template,
    owned_by,
    referenced_objects,
    rs_object,
    rs_view,
    run_view,
    switch_selector,
)
from shipyard.delivery.model import Event, Plan
from shipyard.delivery.providers.base import MetricProvider
from shipyard.delivery.rollout import plan_rollout
from shipyard.delivery.routers import router_for
from shipyard.errors import ConflictError, ShipyardError, SpecError
from shipyard.resources.rollouts import Rollout

ROLLOUT = "argoproj.io/Rollout"
RS = "apps/ReplicaSet"
RUN = "argoproj.io/AnalysisRun"
# Kinds a pass lists once and serves from memory (Services and the traffic routers' objects).
CACHED = (
    "Service",
    "networking.k8s.io/Ingress",
    "networking.istio.io/VirtualService",
    "networking.istio.io/DestinationRule",
    "split.smi-spec.io/TrafficSplit",
)


@dataclass
class RecordedEvent:
    t: float
    namespace: str
    name: str
    reason: str
    message: str
    type: str


@dataclass
class RolloutController:
    cluster: Cluster
    clock: Clock
    providers: Mapping[str, MetricProvider] = field(default_factory=dict)
    secrets: Callable[[str, str, str], str] | None = None  # (namespace, secret, key) -> value
    write_events: bool = True
    on_event: Callable[[RecordedEvent], None] | None = None
    latencies: list[float] = field(default_factory=list)
    _due: dict[tuple[str, str, str], float] = field(default_factory=dict)
    _seen_rv: int | None = None
    _informer: dict[str, tuple[list[Obj], list[Obj]]] | None = None
    _objects: dict[tuple[str, str, str], Obj] | None = None  # the pass's cache of Services and router objects
    # (kind, namespace, name) of a Service/Ingress/VirtualService/... -> Rollouts that reference it, so a change
    # someone else makes to it re-queues them (Argo's service/ingress/VirtualService informers do the same)
    _refs: dict[tuple[str, str, str], set[tuple[str, str]]] = field(default_factory=dict)
    _own_rvs: set[int] = field(default_factory=set)  # resource versions this controller wrote to those objects

    def __post_init__(self) -> None:
        self.runs = AnalysisRunReconciler(self.cluster, self.clock, self.providers, self.secrets)

    # -- one rollout ---------------------------------------------------------------------------------------
    def reconcile_rollout(self, namespace: str, name: str) -> bool:
        """Reconcile one Rollout; True if anything was written."""
        started = time.perf_counter()
        try:
            return self._reconcile(namespace, name)
        finally:
            self.latencies.append(time.perf_counter() - started)

    def _reconcile(self, namespace: str, name: str) -> bool:
        obj = self.cluster.get(ROLLOUT, namespace, name)
        if obj is None:
            return False
        ro = Rollout.model_validate({**obj, "status": None})
        now = self.clock.now()
        uid = obj["metadata"].get("uid")
        if self._informer is not None:
            owned_rs, owned_runs = self._informer.get(str(uid), ([], []))
        else:
            owned_rs = [r for r in self.cluster.list(RS, namespace) if owned_by(r, obj)]
            owned_runs = [r for r in self.cluster.list(RUN, namespace) if owned_by(r, obj)]
        rss = [rs_view(r) for r in owned_rs]
        runs = [run_view(r) for r in owned_runs]
        self._remember_refs(ro, namespace, name)
        try:
            problem = missing_template(ro, self._get)
            if problem:
                raise SpecError(problem)
            router = router_for(ro)  # an unsupported router is an InvalidSpec, not a crash
            check = getattr(router, "check", None)
            if check is not None:
                check(ro, self._get)  # referenced objects Argo validates (ValidateRolloutReferencedResources)
            status = obj.get("status")
            if status and any(c.get("type") == "InvalidSpec" for c in status.get("conditions") or []):
                # valid again: Argo drops the InvalidSpec condition and carries on from the stored status
                conds = [c for c in status.get("conditions") or [] if c.get("type") != "InvalidSpec"]
                status = {**status, "conditions": conds}
            plan = plan_rollout(ro, status, rss, runs, now=now)
        except ShipyardError as exc:
            return self._invalid(obj, str(exc))
        wrote = self._apply(ro, obj, plan, {r["metadata"]["name"]: r for r in owned_rs}, now)
        key = (ROLLOUT, namespace, name)
        if plan.requeue_at is not None:
            self._due[key] = plan.requeue_at
        else:
            self._due.pop(key, None)
        return wrote

    def _invalid(self, obj: Obj, message: str) -> bool:
        status = dict(obj.get("status") or {})
        if status.get("message") == f"InvalidSpec: {message}":
            return False
        status.update(phase="Degraded", message=f"InvalidSpec: {message}")
        conds = [c for c in status.get("conditions") or [] if c.get("type") != "InvalidSpec"]
        conds.append({"type": "InvalidSpec", "status": "True", "reason": "InvalidSpec", "message": message})
        status["conditions"] = conds
        self.cluster.update_status({**obj, "status": status})
        return True

    def _apply(self, ro: Rollout, obj: Obj, plan: Plan, owned: dict[str, Obj], now: float) -> bool:
        ns = ro.metadata.namespace or ""
        wrote = False
        for rs in plan.create_rs:
            self.cluster.create(rs_object(ro, obj, rs))
            wrote = True
        for rs_name, replicas in plan.scale.items():
            current = owned.get(rs_name) or self.cluster.get(RS, ns, rs_name)
            if current is None:
                continue
            current = copy.deepcopy(current)
            current["spec"]["replicas"] = replicas
            annotate(current, plan.annotate.pop(rs_name, {}))
            self.cluster.update(current)
            wrote = True
        for rs_name, changes in plan.annotate.items():
            current = owned.get(rs_name) or self.cluster.get(RS, ns, rs_name)
            if current is None or not changes:
                continue
            current = copy.deepcopy(current)
            if annotate(current, changes):
                self.cluster.update(current)
                wrote = True
        for rs_name in plan.delete_rs:
            if self.cluster.get(RS, ns, rs_name) is not None:
                self.cluster.delete(RS, ns, rs_name)
                wrote = True
        for req in plan.create_runs:
            run, error_status = build_run(self.cluster, ro, obj, req)
            try:
                created = self.cluster.create(run)
            except ConflictError:
                continue
            if error_status is not None:
                self.cluster.update_status({**created, "status": error_status})
            wrote = True
        for run_name in plan.delete_runs:
            if self.cluster.get(RUN, ns, run_name) is not None:
                self.cluster.delete(RUN, ns, run_name)
                wrote = True
        for run_name in plan.terminate_runs:
            wrote |= self.runs.terminate(ns, run_name)
        switched: list[Event] = []
        for svc_name, pod_hash in plan.services.items():
            old = self._point_service(ns, svc_name, pod_hash, ro.metadata.name or "")
            if old is not None:
                wrote = True
                # AR:rollout/service.go switchServiceSelector
                switched.append(
                    Event("SwitchService", f"Switched selector for service '{svc_name}' from '{old}' to '{pod_hash}'")
                )
        if plan.traffic is not None:
            wrote |= self._route(ro, plan, now)
        # Services are reconciled right after the new ReplicaSet is made, before any scaling (AR:rollout/canary.go)
        head = 0
        while head < len(plan.events) and plan.events[head].reason in ("RolloutUpdated", "NewReplicaSetCreated"):
            head += 1
        for ev in [*plan.events[:head], *switched, *plan.events[head:]]:
            self._event(ro, ev.reason, ev.message, ev.type, now)
        if plan.status != (obj.get("status") or {}):
            # the reconcile never writes the Rollout's spec, so the object read at the start is current
            try:
                self.cluster.update_status({**obj, "status": plan.status})
            except ConflictError:
                fresh = self.cluster.get(ROLLOUT, ns, ro.metadata.name or "")
                if fresh is None:
                    return wrote
                self.cluster.update_status({**fresh, "status": plan.status})
            wrote = True
        return wrote

    def _get(self, kind: str, ns: str, name: str) -> Obj | None:
        """A Service or router object: from this pass's cache when there is one."""
        if self._objects is not None and kind in CACHED:
            return self._objects.get((kind, ns, name))
        return self.cluster.get(kind, ns, name)

    def _remember_refs(self, ro: Rollout, ns: str, name: str) -> None:
        for kind, ref in referenced_objects(ro):
            scope = "" if kind == "argoproj.io/ClusterAnalysisTemplate" else ns
            self._refs.setdefault((kind, scope, ref), set()).add((ns, name))

    def _put(self, kind: str, stored: Obj) -> None:
        rv = (stored.get("metadata") or {}).get("resourceVersion")
        if rv is not None:
            self._own_rvs.add(int(rv))
        if self._objects is not None and kind in CACHED:
            m = stored["metadata"]
            self._objects[(kind, m.get("namespace") or "", m["name"])] = stored

    def _point_service(self, ns: str, name: str, pod_hash: str, rollout: str) -> str | None:
        """Switch the Service's selector; the previous hash ("" when it had none) if it was written."""
        svc = copy.deepcopy(self._get("Service", ns, name))
        if svc is None:
            return None
        old = switch_selector(svc, pod_hash, rollout)
        if old is not None:
            self._put("Service", self.cluster.update(svc))
        return old

    def _route(self, ro: Rollout, plan: Plan, now: float) -> bool:
        assert plan.traffic is not None
        router = router_for(ro)
        try:
            objects = router.desired(ro, plan.traffic, self._get)
        except ShipyardError:
            return False  # objects missing or changed since the check: Argo reports the error and retries
        wrote = False
        for desired in objects:
            kind = f"{desired['apiVersion'].rsplit('/', 1)[0]}/{desired['kind']}"
            current = self._get(kind, desired["metadata"].get("namespace", ""), desired["metadata"]["name"])
            if (
                current is not None
                and current.get("spec") == desired.get("spec")
                and ((current.get("metadata") or {}).get("annotations") or {})
                == (desired["metadata"].get("annotations") or {})
            ):
                continue
            self._put(kind, self.cluster.apply(desired))
            wrote = True
            if desired["kind"] == "Ingress":
                # AR:rollout/trafficrouting/nginx/nginx.go SetWeightPerIngress
                ing, w = desired["metadata"]["name"], plan.traffic.canary_weight
                if current is None:
                    msg = ("CreatingCanaryIngress", f"Creating canary ingress `{ing}` with weight `{w}`")
                else:
                    msg = ("PatchingCanaryIngress", f"Updating Ingress `{ing}` to desiredWeight '{w}'")
                self._event(ro, msg[0], msg[1], "Normal", now)
        return wrote

    def _event(self, ro: Rollout, reason: str, message: str, type_: str, now: float) -> None:
        ns, name = ro.metadata.namespace or "", ro.metadata.name or ""
        rec = RecordedEvent(now, ns, name, reason, message, type_)
        if self.on_event is not None:
            self.on_event(rec)
        if not self.write_events:
            return
        self.cluster.create(event_object(ns, name, reason, message, type_, now, self.cluster.resource_version()))

    # -- the loop ------------------------------------------------------------------------------------------
    def _work(self) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """Rollouts and runs to reconcile: what changed since the last pass (the watch), plus what is due."""
        rollouts: set[tuple[str, str]] = set()
        runs: set[tuple[str, str]] = set()
        if self._seen_rv is None:
            rollouts = {
                (o["metadata"].get("namespace") or "", o["metadata"]["name"]) for o in self.cluster.list(ROLLOUT)
            }
            runs = {(o["metadata"].get("namespace") or "", o["metadata"]["name"]) for o in self.cluster.list(RUN)}
            self._seen_rv = self.cluster.resource_version()
        else:
            events = self.cluster.changes(self._seen_rv)
            if events:
                self._seen_rv = max(e.resource_version for e in events)
            for ev in events:
                if ev.kind_key == ROLLOUT:
                    rollouts.add((ev.namespace, ev.name))
                    continue
                if ev.kind_key == RUN:
                    runs.add((ev.namespace, ev.name))
                if ev.kind_key in (RUN, RS):
                    for ref in (ev.object.get("metadata") or {}).get("ownerReferences") or []:
                        if ref.get("kind") == "Rollout":
                            rollouts.add((ev.namespace, str(ref.get("name"))))
                elif (
                    ev.kind_key in CACHED or ev.kind_key in TEMPLATE_KINDS
                ) and ev.resource_version not in self._own_rvs:
                    rollouts |= self._refs.get((ev.kind_key, ev.namespace, ev.name), set())
            self._own_rvs.clear()
        now = self.clock.now()
        rollouts |= {(ns, name) for (_, ns, name), t in self._due.items() if t <= now}
        runs |= self.runs.due(now)
        return rollouts, runs

    def sync_all(self) -> bool:
        """One pass over the AnalysisRuns and Rollouts that changed or are due; True if anything was written."""
        rollouts, runs = self._work()
        wrote = False
        for ns, name in sorted(runs):
            obj = self.cluster.get(RUN, ns, name)
            if obj is not None:
                wrote |= self.runs.reconcile(obj)
        if rollouts:
            # one list per kind per pass, indexed by owner (an informer's cache), instead of one per reconcile
            self._informer = index_by_owner(self.cluster.list(RS), self.cluster.list(RUN))
            self._objects = {
                (kind, o["metadata"].get("namespace") or "", o["metadata"]["name"]): o
                for kind in CACHED
                for o in self.cluster.list(kind)
            }
        try:
            for ns, name in sorted(rollouts):
                wrote |= self.reconcile_rollout(ns, name)
        finally:
            self._informer = None
            self._objects = None
        return wrote

    def settle(self, max_passes: int = 50) -> None:
        """Reconcile until nothing changes at this instant."""
        for _ in range(max_passes):
            if not self.sync_all():
                return

    def next_wake(self) -> float | None:
        times = [t for t in self._due.values()] + self.runs.wake_times()
        return min(times) if times else None
