"""The metric provider contract (``AR:metricproviders/provider.go``) in its narrowest form.

A provider turns one resolved metric into an ``Observation``: the measurement's display ``value`` (exactly as
Argo writes it, e.g. ``[0.99]``, ``NaN``) and the ``result`` the conditions see. Failing to measure is a
``ProviderError``; the analysis core records it as an Error measurement. Implementations live in the
``shipyard.metrics`` backend (they do I/O) and are chosen by the YAML key under ``provider:``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from shipyard.errors import SpecError
from shipyard.resources.analysis import ARGO_ONLY_KEYS, PROVIDER_KEYS, Metric

__all__ = [
    "ARGO_ONLY_KEYS",
    "PROVIDER_KEYS",
    "MetricProvider",
    "Observation",
    "format_float",
    "format_value",
    "provider_key",
]


@dataclass(frozen=True, slots=True)
class Observation:
    value: str
    result: Any
    metadata: Mapping[str, str] = field(default_factory=dict)
    phase: str | None = None  # set by providers that decide the phase themselves (job: exit code)


def format_float(v: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'f', -1, 64)`` as Argo prints values: ``0.99``, ``1``, ``NaN``, ``+Inf``."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    text = repr(v)
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


def format_value(value: Any) -> str:
    """A measurement's ``value`` as Argo's Prometheus provider writes it: ``[0.99,0.98]``, ``0.99``, ``NaN``."""
    if isinstance(value, list):
        return "[" + ",".join(format_value(v) for v in value) + "]"
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
