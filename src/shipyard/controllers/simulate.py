"""What-if: run the real rollout controller with a fake clock on an in-memory cluster, a simulated kubelet
(pods ready ``podReadySeconds`` after they are created) and scripted metric answers.

Scenario format (public contract, issue 7)::

    update: {container: order-service, image: registry.local/order-service:v2}
    podReadySeconds: 5
    metrics: {success-rate: [{until: 300, value: [0.99]}, {value: [0.90]}]}
    actions: [{at: 900, promote: true}, {at: 1200, abort: true}]   # also promoteFull, retry, pause, resume
    until: 7200

A metric the scenario does not list measures Successful (value ``(not in the scenario: passes)``); a listed
metric with no window covering the time, or a window ``{error: "..."}``, is a provider error (an Error
measurement).

Output (``-o json``): ``{"phase", "message", "events": [{"t","reason","message"}], "weights": [{"t","canary",
"stable"}], "analysisRuns": [{"name","phase","metrics": [{"name","phase","measurements": [{"t","value",
"phase"}]}]}], "replicaSets": [{"revision","replicas","available"}]}``; ``t`` is seconds after the update.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shipyard.clock import FakeClock
from shipyard.cluster.memory import MemoryCluster
from shipyard.controllers.rollouts import ROLLOUT, RUN, RecordedEvent, RolloutController
from shipyard.controllers.simcluster import Kubelet, check_templates, scaffold
from shipyard.delivery import actions
from shipyard.delivery.providers.base import Observation, format_value
from shipyard.errors import ProviderError, SpecError
from shipyard.resources.analysis import Metric
from shipyard.resources.loader import Document
from shipyard.resources.timefmt import parse_time


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Update(_M):
    container: str
    image: str


class Window(_M):
    until: float | None = None
    value: Any = None
    error: str | None = None


class Action(_M):
    at: float
    promote: bool = False
    promote_full: bool = Field(False, alias="promoteFull")
    abort: bool = False
    retry: bool = False
    pause: bool = False
    resume: bool = False


class Scenario(_M):
    update: Update
    pod_ready_seconds: float = Field(5, alias="podReadySeconds")
    metrics: dict[str, list[Window]] = Field(default_factory=dict)
    actions: list[Action] = Field(default_factory=list)
    until: float = 7200


NOT_SCRIPTED = "(not in the scenario: passes)"


class ScriptedProvider:
    """Answers every provider key from the scenario's ``metrics`` windows, by metric name and time."""

    def __init__(self, windows: dict[str, list[Window]], origin: list[float]) -> None:
        self.windows = windows
        self.origin = origin

    def measure(self, metric: Metric, *, now: float) -> Observation:
        script = self.windows.get(metric.name)
        if script is None:
            # a metric the scenario does not mention is assumed to pass: the issue's own example scripts
            # success-rate and latency-p99 only, and the seed's template also has error-rate
            return Observation(NOT_SCRIPTED, None, phase="Successful")
        t = now - self.origin[0]
        for w in script:
            if w.until is None or t < w.until:
                if w.error is not None:
                    raise ProviderError(w.error)
                value = [_sample(v) for v in w.value] if isinstance(w.value, list) else _sample(w.value)
                return Observation(format_value(value), value)
        raise ProviderError(f'metric "{metric.name}" has no scripted value at t={t:g}')

    def boundaries(self) -> list[float]:
        return sorted({w.until for ws in self.windows.values() for w in ws if w.until is not None})


def _sample(v: Any) -> Any:
    """Numbers (and numeric strings such as "NaN" or "+Inf") as floats, as a Prometheus sample would be; any
    other value (a word, an object) is answered as written, the way a web provider could return it."""
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        return v
    try:
        return float(v)
    except ValueError:
        return v


def _apply_action(cluster: MemoryCluster, ns: str, name: str, act: Action) -> None:
    obj = cluster.get(ROLLOUT, ns, name)
    assert obj is not None
    for flag, fn in (
        (act.promote, lambda o: actions.promote(o)),
        (act.promote_full, lambda o: actions.promote(o, full=True)),
        (act.abort, actions.abort),
        (act.retry, actions.retry),
        (act.pause, actions.pause),
        (act.resume, actions.resume),
    ):
        if not flag:
            continue
        new, _ = fn(obj)
        if new["spec"] != obj["spec"]:
            obj = cluster.update(new)
            new = {**obj, "status": new.get("status")}
        if new.get("status") != obj.get("status"):
            obj = cluster.update_status(new)


def simulate(docs: list[Document], scenario: Scenario) -> dict[str, Any]:
    rollouts = [d for d in docs if d.kind == "Rollout"]
    if len(rollouts) != 1:
        raise SpecError(f"simulate needs exactly one Rollout in the files, found {len(rollouts)}")
    check_templates(rollouts[0], docs)
    clock = FakeClock()
    cluster = MemoryCluster(now=clock.now)
    origin = [clock.now()]
    provider = ScriptedProvider(scenario.metrics, origin)
    events: list[RecordedEvent] = []
    ctrl = RolloutController(
        cluster,
        clock,
        {"prometheus": provider, "web": provider, "job": provider},
        write_events=False,
        on_event=events.append,
    )
    ro_obj = scaffold(cluster, docs)
    ns, name = ro_obj["metadata"].get("namespace") or "", ro_obj["metadata"]["name"]
    kubelet = Kubelet(cluster, clock, scenario.pod_ready_seconds)

    weights: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    recording = [False]

    def settle() -> None:
        for _ in range(100):
            wrote = kubelet.sync()
            wrote |= ctrl.sync_all()
            if recording[0]:
                # every intermediate state, not just the settled one: a weight held for a single reconcile
                # (setWeight 100 just before the full promotion sets it back to 0) still shows in the timeline,
                # and measurements beyond Argo's retention (10 per metric) are kept for the report
                _record_weights(cluster, ns, name, clock.now() - origin[0], weights)
                _record_measurements(cluster, ns, seen)
            if not wrote:
                return

    def phase() -> str:
        obj = cluster.get(ROLLOUT, ns, name)
        return str(((obj or {}).get("status") or {}).get("phase", ""))

    settle()
    for _ in range(10_000):  # initial deploy until Healthy
        if phase() == "Healthy":
            break
        nxt = min([t for t in (kubelet.next_wake(), ctrl.next_wake()) if t is not None], default=None)
        if nxt is None:
            raise SpecError(f"the Rollout does not become Healthy before the update (phase {phase()})")
        clock.advance(max(0.0, nxt - clock.now()))
        settle()
    origin[0] = clock.now()
    events.clear()
    ctrl.runs._due.clear()
    obj = cluster.get(ROLLOUT, ns, name)
    assert obj is not None
    updated, _ = actions.set_image(obj, scenario.update.container, scenario.update.image)
    cluster.update(updated)
    recording[0] = True
    pending = sorted(scenario.actions, key=lambda a: a.at)
    boundaries = [origin[0] + b for b in provider.boundaries()]
    end = origin[0] + scenario.until
    seen_update = False
    while True:
        while pending and pending[0].at <= clock.now() - origin[0]:
            _apply_action(cluster, ns, name, pending.pop(0))
        settle()
        _record_weights(cluster, ns, name, clock.now() - origin[0], weights)
        st = (cluster.get(ROLLOUT, ns, name) or {}).get("status") or {}
        seen_update = seen_update or st.get("phase") in ("Progressing", "Paused")
        if seen_update and st.get("phase") in ("Healthy", "Degraded") and not pending:
            break
        candidates = [t for t in (kubelet.next_wake(), ctrl.next_wake()) if t is not None and t > clock.now()]
        candidates += [b for b in boundaries if b > clock.now()]
        candidates += [origin[0] + a.at for a in pending]
        nxt = min(candidates, default=None)
        if nxt is None or nxt > end:
            clock.advance(max(0.0, end - clock.now()))
            settle()
            _record_weights(cluster, ns, name, clock.now() - origin[0], weights)
            break
        clock.advance(max(0.0, math.ceil(nxt - clock.now() - 1e-9)))
    _record_measurements(cluster, ns, seen)
    return _report(cluster, ns, name, origin[0], events, weights, seen)


def _record_weights(cluster: MemoryCluster, ns: str, name: str, t: float, out: list[dict[str, Any]]) -> None:
    obj = cluster.get(ROLLOUT, ns, name) or {}
    st = obj.get("status") or {}
    if (obj.get("spec") or {}).get("strategy", {}).get("blueGreen") is not None:
        canary = 100 if (st.get("blueGreen") or {}).get("activeSelector") == st.get("currentPodHash") else 0
        if st.get("stableRS") == st.get("currentPodHash"):
            canary = 0
        stable = 100 - canary
    else:
        w = (st.get("canary") or {}).get("weights") or {}
        canary = int((w.get("canary") or {}).get("weight", 0))
        stable = int((w.get("stable") or {}).get("weight", 100))
    if not out or (out[-1]["canary"], out[-1]["stable"]) != (canary, stable):
        out.append({"t": round(t), "canary": canary, "stable": stable})


def _record_measurements(
    cluster: MemoryCluster, ns: str, seen: dict[tuple[str, str], dict[str, dict[str, Any]]]
) -> None:
    """Keep every measurement a run has shown, by startedAt (a later view of the same one replaces it)."""
    for run in cluster.list(RUN, ns):
        for res in (run.get("status") or {}).get("metricResults") or []:
            slot = seen.setdefault((run["metadata"]["name"], res["name"]), {})
            for m in res.get("measurements") or []:
                slot[str(m.get("startedAt"))] = m


def _report(
    cluster: MemoryCluster,
    ns: str,
    name: str,
    origin: float,
    events: list[RecordedEvent],
    weights: list[dict[str, Any]],
    seen: dict[tuple[str, str], dict[str, dict[str, Any]]],
) -> dict[str, Any]:
    obj = cluster.get(ROLLOUT, ns, name) or {}
    st = obj.get("status") or {}
    runs = []
    for run in cluster.list(RUN, ns):
        rst = run.get("status") or {}
        metrics = []
        for res in rst.get("metricResults") or []:
            kept = seen.get((run["metadata"]["name"], res["name"])) or {
                str(m.get("startedAt")): m for m in res.get("measurements") or []
            }
            ms = [
                {
                    "t": round(parse_time(m["startedAt"]) - origin),
                    "value": m.get("value", m.get("message", "")),
                    "phase": m["phase"],
                }
                for m in sorted(kept.values(), key=lambda m: parse_time(m["startedAt"]))
            ]
            metrics.append({"name": res["name"], "phase": res.get("phase", ""), "measurements": ms})
        runs.append({"name": run["metadata"]["name"], "phase": rst.get("phase", "Pending"), "metrics": metrics})
    rss = []
    for rs in cluster.list("apps/ReplicaSet", ns):
        rev = int((rs["metadata"].get("annotations") or {}).get("rollout.argoproj.io/revision", "0"))
        rss.append(
            {
                "revision": rev,
                "replicas": int(rs["spec"].get("replicas", 0)),
                "available": int((rs.get("status") or {}).get("availableReplicas", 0)),
            }
        )
    rss.sort(key=lambda r: -r["revision"])
    return {
        "phase": st.get("phase", ""),
        "message": st.get("message", ""),
        "events": [{"t": round(e.t - origin), "reason": e.reason, "message": e.message} for e in events],
        "weights": weights,
        "analysisRuns": runs,
        "replicaSets": rss,
    }


def copy_docs(docs: list[Document]) -> list[Document]:
    return [Document(copy.deepcopy(d.data), d.file, d.index, d.lines) for d in docs]
