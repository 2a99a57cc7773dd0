"""A canary's Services and traffic: stable/canary Service selectors, the weight written to the router
(``AR:rollout/trafficrouting.go reconcileTrafficRouting``), header/mirror routes, and ``status.canary.weights``."""

from __future__ import annotations

from shipyard.delivery.context import Ctx, current_set_weight, previous_set_weight
from shipyard.delivery.model import Traffic


def services_and_traffic(ctx: Ctx, want_canary: int, want_stable: int) -> None:
    c = ctx.ro.spec.strategy.canary
    assert c is not None
    stable_hash = ctx.stable.pod_hash if ctx.stable else ctx.new.pod_hash
    canary_hash = ctx.new.pod_hash
    weight = _router_weight(ctx, want_canary, want_stable)
    if ctx.aborted and (not ctx.routed or not c.dynamic_stable_scale or weight == 0):
        canary_hash = stable_hash
    # ensureSVCTargets (AR:rollout/service.go): a Service is switched only to a fully available ReplicaSet,
    # so the canary Service keeps its old pods until the new ones are up instead of selecting nothing
    by_hash = {rs.pod_hash: rs for rs in ctx.rss}
    for svc, h in ((c.stable_service, stable_hash), (c.canary_service, canary_hash)):
        rs = by_hash.get(h)
        if svc and rs is not None and rs.replicas != 0 and 0 != rs.available >= rs.replicas:
            ctx.plan.services[svc] = h
    headers, mirrors = _managed_routes(ctx)
    ctx.plan.traffic = Traffic(weight, ctx.max_weight - weight, ctx.new.pod_hash, stable_hash, headers, mirrors)
    weights = {
        "canary": {"weight": weight, "podTemplateHash": ctx.new.pod_hash, "serviceName": c.canary_service or ""},
        "stable": {
            "weight": ctx.max_weight - weight,
            "podTemplateHash": stable_hash,
            "serviceName": c.stable_service or "",
        },
    }
    canary_status = dict(ctx.st.get("canary") or {})
    previous = (canary_status.get("weights") or {}).get("canary", {}).get("weight")
    canary_status["weights"] = weights
    ctx.st["canary"] = canary_status
    if ctx.routed and previous is not None and previous != weight:
        ctx.plan.event("TrafficWeightUpdated", f"Traffic weight updated from {previous} to {weight}")


def _router_weight(ctx: Ctx, want_canary: int, want_stable: int) -> int:
    """``reconcileTrafficRouting``'s desired weight; the pod ratio for a basic canary."""
    if not ctx.routed:
        if ctx.fully_promoted:
            return ctx.max_weight
        total = ctx.new.available + (ctx.stable.available if ctx.stable and ctx.stable is not ctx.new else 0)
        return ctx.new.available * 100 // total if total else 0
    c = ctx.ro.spec.strategy.canary
    if ctx.aborted and c is not None and c.dynamic_stable_scale and ctx.stable is not None and not ctx.fully_promoted:
        # dynamic stable scale abort: traffic moves back only as fast as stable pods become available
        back = ctx.stable.available * ctx.max_weight // max(1, ctx.replicas)
        return max(0, ctx.max_weight - back) if ctx.new.available else 0
    if ctx.fully_promoted or ctx.aborted or ctx.new.available == 0:
        return 0
    if ctx.st.get("promoteFull"):
        prev = ((ctx.st.get("canary") or {}).get("weights") or {}).get("canary", {}).get("weight", 0)
        return int(prev)
    from shipyard.delivery.canary import at_desired

    if not at_desired(ctx, want_canary, want_stable):
        return previous_set_weight(ctx)
    if ctx.index >= len(ctx.steps):
        return ctx.max_weight
    return current_set_weight(ctx)


def _managed_routes(ctx: Ctx) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """The latest setHeaderRoute/setMirrorRoute per route name up to the index; none once promoted/aborted."""
    if ctx.fully_promoted or ctx.aborted or not ctx.routed:
        return (), ()
    headers: dict[str, object] = {}
    mirrors: dict[str, object] = {}
    for step in ctx.steps[: min(ctx.index + 1, len(ctx.steps))]:
        if step.set_header_route is not None:
            if step.set_header_route.match:
                headers[step.set_header_route.name] = step.set_header_route
            else:
                headers.pop(step.set_header_route.name, None)
        if step.set_mirror_route is not None:
            if step.set_mirror_route.match:
                mirrors[step.set_mirror_route.name] = step.set_mirror_route
            else:
                mirrors.pop(step.set_mirror_route.name, None)
    return tuple(headers.values()), tuple(mirrors.values())
