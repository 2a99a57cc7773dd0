"""The router contract: given the Rollout, the desired ``Traffic`` and a way to read current objects, return
the objects that must exist (created or replaced by the controller). Reading is injected, nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from shipyard.delivery.model import Traffic
from shipyard.errors import UnsupportedError
from shipyard.resources.rollouts import Rollout

Obj = dict[str, Any]
Lookup = Callable[[str, str, str], Obj | None]  # (kind key, namespace, name) -> object or None


class Router(Protocol):
    def desired(self, ro: Rollout, traffic: Traffic, lookup: Lookup) -> list[Obj]: ...


def owner_ref(ro: Rollout) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "name": ro.metadata.name,
        "uid": ro.metadata.uid or "",
        "controller": True,
        "blockOwnerDeletion": True,
    }


class NoRouter:
    """Basic canary: the pod ratio approximates the weight; nothing to write."""

    def desired(self, ro: Rollout, traffic: Traffic, lookup: Lookup) -> list[Obj]:
        return []


def _load() -> dict[str, Router]:
    from shipyard.delivery.routers.istio import IstioRouter
    from shipyard.delivery.routers.nginx import NginxRouter
    from shipyard.delivery.routers.smi import SMIRouter

    return {"nginx": NginxRouter(), "istio": IstioRouter(), "smi": SMIRouter()}


ROUTERS: tuple[str, ...] = ("nginx", "istio", "smi")


def router_for(ro: Rollout) -> Router:
    c = ro.spec.strategy.canary
    tr = c.traffic_routing if c is not None else None
    if tr is None:
        return NoRouter()
    routers = _load()
    for key in ("nginx", "istio", "smi"):
        if getattr(tr, key) is not None:
            return routers[key]
    set_keys = [
        k
        for k, v in tr.model_dump(by_alias=True, exclude_none=True).items()
        if k not in ("managedRoutes", "maxTrafficWeight") and v
    ]
    raise UnsupportedError(
        f"traffic router {', '.join(set_keys) or '(none)'} is not supported yet (supported: {', '.join(ROUTERS)})"
    )
