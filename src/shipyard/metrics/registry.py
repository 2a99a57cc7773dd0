"""Build the real providers, keyed by the YAML key under a metric's ``provider:``."""

from __future__ import annotations

import os
from collections.abc import Mapping

import httpx

from shipyard.delivery.providers.base import PROVIDER_KEYS, MetricProvider


def providers(
    client: httpx.Client | None = None, *, env: Mapping[str, str] | None = None, job_cwd: str | None = None
) -> dict[str, MetricProvider]:
    """The three providers sharing one HTTP client (inject ``httpx.Client(transport=...)`` in tests)."""
    from shipyard.metrics.job import JobProvider
    from shipyard.metrics.prometheus import PrometheusProvider
    from shipyard.metrics.web import WebProvider

    environ = os.environ if env is None else env
    http = client if client is not None else httpx.Client()
    built: dict[str, MetricProvider] = {
        "prometheus": PrometheusProvider(http, default_address=environ.get("SHIPYARD_PROMETHEUS_ADDRESS")),
        "web": WebProvider(http),
        "job": JobProvider(cwd=job_cwd),
    }
    assert tuple(built) == PROVIDER_KEYS
    return built
