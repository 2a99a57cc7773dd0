"""Cross-field rules of a Rollout (``AR:pkg/apis/rollouts/validation/validation.go``), as (path, message) pairs."""

from __future__ import annotations

from collections.abc import Iterator

from shipyard.resources.loader import PathKey
from shipyard.resources.rollouts import CanaryStrategy, Rollout

Problem = tuple[PathKey, str]

_STEP_ACTIONS = ("setWeight", "pause", "experiment", "analysis", "setCanaryScale", "setHeaderRoute", "setMirrorRoute")
_SUPPORTED_ROUTERS = ("nginx", "istio", "smi")


def _is_zero(value: int | str | None) -> bool:
    return value in (0, "0", "0%")


def _duration_ok(value: int | str) -> bool:
    from shipyard.resources.rollouts import duration_seconds

    try:
        duration_seconds(value)
    except ValueError:
        return False
    return True


def check_rollout(ro: Rollout) -> Iterator[Problem]:
    spec = ro.spec
    base: PathKey = ("spec",)
    if not ro.metadata.name:
        yield (("metadata", "name"), "required field is missing")
    if spec.replicas is not None and spec.replicas < 0:
        yield ((*base, "replicas"), "must be >= 0")
    if spec.template is None and spec.workload_ref is None:
        yield ((*base, "template"), "Rollout has missing field 'template' (or 'workloadRef')")
    if spec.workload_ref is not None:
        yield ((*base, "workloadRef"), "workloadRef is not supported yet; inline the pod template in spec.template")
    if spec.selector is None and spec.workload_ref is None:
        yield ((*base, "selector"), "Rollout has missing field 'selector'")
    elif (
        spec.selector is not None and not spec.selector.get("matchLabels") and not spec.selector.get("matchExpressions")
    ):
        yield ((*base, "selector"), "This rollout is selecting all pods. A non-empty selector is required.")
    strat = spec.strategy
    if (strat.canary is None) == (strat.blue_green is None):
        yield ((*base, "strategy"), "exactly one of canary or blueGreen must be set")
    if strat.canary is not None:
        yield from _check_canary(strat.canary, (*base, "strategy", "canary"))
    bg = strat.blue_green
    if bg is not None:
        bpath: PathKey = (*base, "strategy", "blueGreen")
        if bg.preview_service and bg.preview_service == bg.active_service:
            yield ((*bpath, "previewService"), "previewService and activeService must be different")
        if bg.preview_replica_count is not None and bg.preview_replica_count < 0:
            yield ((*bpath, "previewReplicaCount"), "must be >= 0")
    limit = spec.revision_history_limit
    chosen = strat.canary or strat.blue_green
    delay_limit = chosen.scale_down_delay_revision_limit if chosen is not None else None
    if delay_limit is not None and limit < delay_limit:
        yield ((*base, "revisionHistoryLimit"), "must be >= scaleDownDelayRevisionLimit")


def _check_canary(c: CanaryStrategy, path: PathKey) -> Iterator[Problem]:
    if _is_zero(c.max_surge) and _is_zero(c.max_unavailable):
        yield ((*path, "maxUnavailable"), "MaxSurge and MaxUnavailable both can not be zero")
    tr = c.traffic_routing
    if c.canary_service and c.canary_service == c.stable_service:
        yield (
            (*path, "stableService"),
            "This rollout uses the same service for the stable and canary services, but two different services are required.",
        )
    if tr is not None:
        if not c.canary_service or not c.stable_service:
            yield ((*path, "trafficRouting"), "Rollout has missing field 'canaryService and stableService'")
        set_ = [
            k
            for k in ("nginx", "istio", "smi", "alb", "ambassador", "app_mesh", "traefik", "apisix", "plugins")
            if getattr(tr, k) is not None
        ]
        for name in set_:
            if name not in _SUPPORTED_ROUTERS:
                key = "appMesh" if name == "app_mesh" else name
                yield (
                    (*path, "trafficRouting", key),
                    f"traffic router {key!r} is not supported yet (supported: nginx, istio, smi)",
                )
        if tr.nginx is not None and not tr.nginx.ingresses():
            yield ((*path, "trafficRouting", "nginx"), "stableIngress or stableIngresses is required")
        if tr.istio is not None and not tr.istio.all_virtual_services():
            yield ((*path, "trafficRouting", "istio"), "virtualService or virtualServices is required")
    else:
        if c.scale_down_delay_seconds is not None:
            yield ((*path, "scaleDownDelaySeconds"), "Can only use scaleDownDelaySeconds with trafficRouting")
        if c.dynamic_stable_scale:
            yield ((*path, "dynamicStableScale"), "Can only use dynamicStableScale with trafficRouting")
        if c.min_pods_per_replica_set is not None:
            yield ((*path, "minPodsPerReplicaSet"), "Can only use minPodsPerReplicaSet with trafficRouting")
    if c.dynamic_stable_scale and c.scale_down_delay_seconds is not None:
        yield ((*path, "dynamicStableScale"), "Can only use dynamicStableScale without scaleDownDelaySeconds")
    managed = [r.name for r in (tr.managed_routes if tr else [])]
    max_weight = (tr.max_traffic_weight if tr else None) or 100
    for i, step in enumerate(c.steps):
        spath: PathKey = (*path, "steps", i)
        actions = step.actions()
        if len(actions) != 1:
            yield (spath, f"Step must have one of the following set: {', '.join(_STEP_ACTIONS)}")
            continue
        if step.set_weight is not None and not 0 <= step.set_weight <= max_weight:
            yield ((*spath, "setWeight"), f"SetWeight must be between 0 and {max_weight}")
        if step.pause is not None and step.pause.duration is not None and not _duration_ok(step.pause.duration):
            yield ((*spath, "pause", "duration"), f"invalid duration {step.pause.duration!r}")
        if step.experiment is not None:
            yield ((*spath, "experiment"), "experiment steps are not supported yet")
        if step.plugin is not None:
            yield ((*spath, "plugin"), "step plugins are not supported yet")
        scs = step.set_canary_scale
        if scs is not None:
            if tr is None:
                yield ((*spath, "setCanaryScale"), "SetCanaryScale requires TrafficRouting to be set")
            if (
                sum(
                    x is not None and x is not False
                    for x in (scs.replicas, scs.weight, scs.match_traffic_weight or None)
                )
                != 1
            ):
                yield (
                    (*spath, "setCanaryScale"),
                    "SetCanaryScale must have exactly one of replicas, weight or matchTrafficWeight set",
                )
        for route in (step.set_header_route, step.set_mirror_route):
            if route is not None and route.name not in managed:
                key = "setHeaderRoute" if route is step.set_header_route else "setMirrorRoute"
                yield (
                    (*spath, key, "name"),
                    f"Step references a route {route.name!r} that is not in trafficRouting.managedRoutes",
                )
    if (
        c.analysis is not None
        and c.analysis.starting_step is not None
        and not 0 <= c.analysis.starting_step <= len(c.steps)
    ):
        yield ((*path, "analysis", "startingStep"), "StartingStep must be within the number of steps")
