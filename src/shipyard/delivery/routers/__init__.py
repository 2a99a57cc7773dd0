"""Traffic routers: pure transforms from (Rollout, desired Traffic, current objects) to the objects to write.

One module per router keyed by its YAML key under ``trafficRouting`` (``nginx``, ``istio``, ``smi``); no routing
means the pod ratio is the weight (``none``).
"""

from __future__ import annotations

from shipyard.delivery.routers.base import ROUTERS, Router, router_for

__all__ = ["ROUTERS", "Router", "router_for"]
