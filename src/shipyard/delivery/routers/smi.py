"""SMI TrafficSplit (``AR:rollout/trafficrouting/smi/smi.go``): ``<trafficSplitName | rollout>`` splitting the
root service between the canary and stable services by weight."""

from __future__ import annotations

from shipyard.delivery.model import Traffic
from shipyard.delivery.routers.base import Lookup, Obj, owner_ref
from shipyard.resources.rollouts import Rollout


class SMIRouter:
    def desired(self, ro: Rollout, traffic: Traffic, lookup: Lookup) -> list[Obj]:
        c = ro.spec.strategy.canary
        assert c is not None and c.traffic_routing is not None and c.traffic_routing.smi is not None
        smi = c.traffic_routing.smi
        name = smi.traffic_split_name or ro.metadata.name or ""
        return [
            {
                "apiVersion": "split.smi-spec.io/v1alpha3",
                "kind": "TrafficSplit",
                "metadata": {
                    "name": name,
                    "namespace": ro.metadata.namespace or "",
                    "ownerReferences": [owner_ref(ro)],
                },
                "spec": {
                    "service": smi.root_service or c.stable_service,
                    "backends": [
                        {"service": c.canary_service, "weight": traffic.canary_weight},
                        {"service": c.stable_service, "weight": traffic.stable_weight},
                    ],
                },
            }
        ]
