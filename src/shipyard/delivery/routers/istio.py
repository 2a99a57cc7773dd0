"""Istio VirtualService / DestinationRule (``AR:rollout/trafficrouting/istio/istio.go``).

Host split: in the named HTTP routes (or the only one) the destinations whose host (short name) is the stable
or canary service get weights 100-w / w. Subset split: the DestinationRule's canary/stable subsets get the
``rollouts-pod-template-hash`` labels. ``setHeaderRoute`` routes go first, in ``managedRoutes`` order, sending
matching requests 100% to the canary; ``setMirrorRoute`` adds a mirror route.
"""

from __future__ import annotations

import copy
from typing import Any

from shipyard.delivery.model import POD_HASH_LABEL, Traffic
from shipyard.delivery.routers.base import Lookup, Obj
from shipyard.errors import NotFoundError, SpecError
from shipyard.resources.rollouts import Rollout, SetHeaderRoute, SetMirrorRoute

VS = "networking.istio.io/VirtualService"
DR = "networking.istio.io/DestinationRule"


def _short(host: str) -> str:
    return host.split(".", 1)[0]


def _match(m: Any) -> dict[str, Any]:
    return {k: v for k, v in m.model_dump(by_alias=True, exclude_none=True).items()}


def _canary_destination(ro: Rollout, template: dict[str, Any] | None) -> dict[str, Any]:
    c = ro.spec.strategy.canary
    assert c is not None
    dest: dict[str, Any] = {"host": c.canary_service}
    if template is not None:
        dest = copy.deepcopy(template)
    return dest


def _route_error(ro: Rollout, http: list[dict[str, Any]], route_names: list[str]) -> str:
    """``ValidateHTTPRoutes`` (AR:rollout/trafficrouting/istio/istio.go): the routes to patch exist, there is
    exactly one when none is named, and each has both a canary and a stable destination."""
    c = ro.spec.strategy.canary
    assert c is not None
    if not route_names and len(http) > 1:
        return (
            "spec.http[] should be set in VirtualService and it must have exactly one route when omitting "
            "spec.strategy.canary.trafficRouting.istio.virtualService.routes"
        )
    for name in route_names:
        if not any(r.get("name") == name for r in http):
            return f"HTTP Route '{name}' is not found in the defined Virtual Service."
    dr = c.traffic_routing.istio.destination_rule if c.traffic_routing and c.traffic_routing.istio else None
    for route in [r for r in http if not route_names or r.get("name") in route_names]:
        dests = [d.get("destination") or {} for d in route.get("route") or []]
        if dr is not None:
            subsets = {d.get("subset") for d in dests}
            if dr.canary_subset_name not in subsets:
                return f"Canary DestinationRule subset '{dr.canary_subset_name}' not found in route"
            if dr.stable_subset_name not in subsets:
                return f"Stable DestinationRule subset '{dr.stable_subset_name}' not found in route"
        else:
            hosts = {_short(str(d.get("host", ""))) for d in dests}
            if c.canary_service not in hosts:
                return f"Canary Service '{c.canary_service}' not found in route"
            if c.stable_service not in hosts:
                return f"Stable Service '{c.stable_service}' not found in route"
    return ""


def check_virtual_service(ro: Rollout, vs: Obj, route_names: list[str], managed: list[str], field: str) -> None:
    """Raise the InvalidSpec Argo's ValidateRolloutReferencedResources reports (a field.Invalid error)."""
    http = [r for r in (vs.get("spec") or {}).get("http") or [] if r.get("name") not in managed]
    problem = _route_error(ro, http, route_names)
    if problem:
        name = vs["metadata"]["name"]
        # createInvalidRolloutCondition: 'The Rollout "<name>" is invalid: <field error>'
        raise SpecError(
            f'The Rollout "{ro.metadata.name}" is invalid: {field}: Invalid value: "{name}": '
            f"Istio VirtualService has invalid HTTP routes. Error: {problem}"
        )


def patch_virtual_service(ro: Rollout, vs: Obj, route_names: list[str], traffic: Traffic, managed: list[str]) -> Obj:
    c = ro.spec.strategy.canary
    assert c is not None
    out = copy.deepcopy(vs)
    http: list[dict[str, Any]] = list((out.get("spec") or {}).get("http") or [])
    http = [r for r in http if r.get("name") not in managed]
    check_virtual_service(ro, vs, route_names, managed, "spec.strategy.canary.trafficRouting.istio.virtualService.name")
    dr = c.traffic_routing.istio.destination_rule if c.traffic_routing and c.traffic_routing.istio else None
    targets = [r for r in http if not route_names or r.get("name") in route_names]
    canary_template = None
    for route in targets:
        found = {"stable": False, "canary": False}
        for d in route.get("route") or []:
            dest = d.get("destination") or {}
            if dr is not None:
                which = (
                    "canary"
                    if dest.get("subset") == dr.canary_subset_name
                    else "stable"
                    if dest.get("subset") == dr.stable_subset_name
                    else None
                )
            else:
                which = (
                    "canary"
                    if _short(dest.get("host", "")) == c.canary_service
                    else "stable"
                    if _short(dest.get("host", "")) == c.stable_service
                    else None
                )
            if which is None:
                continue
            found[which] = True
            d["weight"] = traffic.canary_weight if which == "canary" else traffic.stable_weight
            if which == "canary":
                canary_template = dest
    inserted: list[dict[str, Any]] = []
    order = {name: i for i, name in enumerate(managed)}
    for hr in sorted(traffic.header_routes, key=lambda r: order.get(getattr(r, "name", ""), 0)):
        assert isinstance(hr, SetHeaderRoute)
        headers = {m.header_name: _match(m.header_value) for m in hr.match}
        inserted.append(
            {
                "name": hr.name,
                "match": [{"headers": headers}],
                "route": [{"destination": _canary_destination(ro, canary_template), "weight": 100}],
            }
        )
    for mr in traffic.mirror_routes:
        assert isinstance(mr, SetMirrorRoute)
        matches = [_match(m) for m in mr.match]
        mirrored: list[Any] = copy.deepcopy(list(targets[0].get("route") or []))
        entry: dict[str, Any] = {
            "name": mr.name,
            "match": matches,
            "route": mirrored,
            "mirror": _canary_destination(ro, canary_template),
        }
        # createMirrorRoute: mirrorPercentage is always written, 100 when the step gives none
        entry["mirrorPercentage"] = {"value": float(100 if mr.percentage is None else mr.percentage)}
        inserted.append(entry)
    inserted.sort(key=lambda route: order.get(str(route.get("name")), len(order)))  # managedRoutes precedence
    out.setdefault("spec", {})["http"] = inserted + http
    return out


class IstioRouter:
    def check(self, ro: Rollout, lookup: Lookup) -> None:
        """Referenced VirtualServices that exist must have the routes the Rollout names (else InvalidSpec)."""
        c = ro.spec.strategy.canary
        assert c is not None and c.traffic_routing is not None and c.traffic_routing.istio is not None
        istio = c.traffic_routing.istio
        managed = [r.name for r in c.traffic_routing.managed_routes]
        plural = istio.virtual_service is None
        for i, ref in enumerate(istio.all_virtual_services()):
            vs = lookup(VS, ro.metadata.namespace or "", ref.name)
            if vs is not None:
                where = f"virtualServices[{i}]" if plural else "virtualService"
                field = f"spec.strategy.canary.trafficRouting.istio.{where}.name"
                check_virtual_service(ro, vs, list(ref.routes), managed, field)

    def desired(self, ro: Rollout, traffic: Traffic, lookup: Lookup) -> list[Obj]:
        c = ro.spec.strategy.canary
        assert c is not None and c.traffic_routing is not None and c.traffic_routing.istio is not None
        istio = c.traffic_routing.istio
        ns = ro.metadata.namespace or ""
        managed = [r.name for r in c.traffic_routing.managed_routes]
        out: list[Obj] = []
        for ref in istio.all_virtual_services():
            vs = lookup(VS, ns, ref.name)
            if vs is None:
                raise NotFoundError(f'VirtualService "{ref.name}" not found (trafficRouting.istio.virtualService)')
            out.append(patch_virtual_service(ro, vs, list(ref.routes), traffic, managed))
        dr_ref = istio.destination_rule
        if dr_ref is not None:
            dr = lookup(DR, ns, dr_ref.name)
            if dr is None:
                raise NotFoundError(f'DestinationRule "{dr_ref.name}" not found')
            dr = copy.deepcopy(dr)
            for subset in (dr.get("spec") or {}).get("subsets") or []:
                if subset.get("name") in (dr_ref.canary_subset_name, dr_ref.stable_subset_name):
                    h = traffic.canary_hash if subset["name"] == dr_ref.canary_subset_name else traffic.stable_hash
                    subset.setdefault("labels", {})[POD_HASH_LABEL] = h
            dr.setdefault("metadata", {}).setdefault("annotations", {})[
                "argo-rollouts.argoproj.io/managed-by-rollouts"
            ] = ro.metadata.name or ""
            out.append(dr)
        return out
