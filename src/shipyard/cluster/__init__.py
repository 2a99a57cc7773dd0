"""Where desired state lands: the ``Cluster`` protocol (``base``), ``MemoryCluster``, ``LocalCluster`` (SQLite) and
``KubernetesCluster`` (a real API server)."""

from shipyard.cluster.base import Cluster, EventType, WatchEvent, ident, kind_key_of, make_kind_key

__all__ = ["Cluster", "EventType", "WatchEvent", "ident", "kind_key_of", "make_kind_key"]
