"""The metric provider contract (``AR:metricproviders/provider.go``) in its narrowest form.

A provider turns one resolved metric into an ``Observation``: the measurement's display ``value`` (exactly as
Argo writes it, e.g. ``[0.99]``, ``NaN``) and the ``result`` the conditions see. Failing to measure is a
``ProviderError``; the analysis core records it as an Error measurement. Implementations live in the
``shipyard.metrics`` backend (they do I/O) and are chosen by the YAML key under ``provider:``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from shipyard.errors import SpecError
from shipyard.resources.analysis import Metric

# AR:metricproviders/metricproviders.go; shipyard implements these three.
PROVIDER_KEYS: tuple[str, ...] = ("prometheus", "web", "job")
ARGO_ONLY_KEYS: tuple[str, ...] = (
    "datadog",
    "newRelic",
    "wavefront",
    "kayenta",
    "cloudWatch",
    "graphite",
    "influxdb",
    "skywalking",
    "plugin",
)


@dataclass(frozen=True, slots=True)
class Observation:
    value: str
    result: Any
    metadata: Mapping[str, str] = field(default_factory=dict)


class MetricProvider(Protocol):
    def measure(self, metric: Metric, *, now: float) -> Observation:
        """Take one measurement of ``metric`` (args already substituted) now; ``ProviderError`` on failure."""
        ...


def provider_key(provider: Mapping[str, Any]) -> str:
    """The single YAML key under ``provider:``; a clear error listing the valid ones otherwise."""
    keys = [k for k in provider if provider[k] is not None]
    if len(keys) != 1:
        raise SpecError("no provider specified" if not keys else "multiple providers specified", path="provider")
    key = keys[0]
    if key not in PROVIDER_KEYS:
        what = "not supported yet" if key in ARGO_ONLY_KEYS else "unknown"
        raise SpecError(
            f'metric provider "{key}" is {what} (valid: {", ".join(PROVIDER_KEYS)})', path=f"provider.{key}"
        )
    return key
