"""The EventListener sink's Prometheus metrics (tektoncd/triggers ``docs/metrics.md``), recorded into the same
``CollectorRegistry`` the pipeline engine records Tekton's metrics into, so one ``/metrics`` serves both."""

from __future__ import annotations

import threading
import weakref

from prometheus_client import CollectorRegistry, Counter, Histogram


class ListenerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.events = Counter(
            "eventlistener_event_received",
            "Number of events received by the EventListener sink",
            ["status"],
            registry=registry,
        )
        self.resources = Counter(
            "eventlistener_triggered_resources",
            "Number of resources created by the EventListener's triggers",
            ["kind"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "eventlistener_http_duration_seconds",
            "Time the EventListener sink took to answer a request",
            registry=registry,
        )


_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, ListenerMetrics] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def metrics_for(registry: CollectorRegistry) -> ListenerMetrics:
    """One set of listener metrics per registry (registering a name twice is an error in prometheus-client)."""
    with _LOCK:
        found = _BY_REGISTRY.get(registry)
        if found is None:
            found = ListenerMetrics(registry)
            _BY_REGISTRY[registry] = found
        return found
