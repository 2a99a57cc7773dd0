"""Prometheus metric provider (``AR:metricproviders/prometheus/prometheus.go``) over the HTTP API.

Instant query ``/api/v1/query`` (or ``/api/v1/query_range`` with ``rangeQuery``). Result shapes exactly as
Argo: vector → list of floats in series order, scalar → float, matrix → all points flattened; other types are
"Prometheus metric type not supported". Address from the metric or ``SHIPYARD_PROMETHEUS_ADDRESS``; timeout
defaults to 30 s. The resolved query and any warnings go into the measurement metadata.
"""

from __future__ import annotations

import math
import re
from typing import Any

import httpx

from shipyard.clock import rfc3339
from shipyard.delivery.providers.base import Observation, format_value
from shipyard.errors import ProviderError
from shipyard.metrics.options import headers_of, timeout_of
from shipyard.resources.analysis import Metric
from shipyard.resources.durations import parse_duration

DEFAULT_TIMEOUT = 30.0
_RELATIVE = re.compile(r"""^\s*now\(\)\s*(?:-\s*duration\(\s*["']([^"']+)["']\s*\)\s*)?$""")


def _float(text: Any) -> float:
    try:
        return float({"+Inf": "inf", "-Inf": "-inf", "NaN": "nan"}.get(str(text), str(text)))
    except ValueError as exc:
        raise ProviderError(f"Prometheus returned a non-numeric sample {text!r}") from exc


def shape(data: Any) -> Any:
    """The condition-facing result of a Prometheus ``data`` object; a malformed one is a ProviderError (the
    measurement becomes Error) rather than a KeyError/TypeError escaping into the controller."""
    if not isinstance(data, dict):
        raise ProviderError(f"prometheus: unexpected answer: data is {type(data).__name__}, not an object")
    kind = data.get("resultType")
    result = data.get("result")
    if kind not in ("vector", "scalar", "matrix"):
        raise ProviderError("Prometheus metric type not supported")
    try:
        if kind == "vector":
            return [_float(s["value"][1]) for s in result or []]
        if kind == "scalar":
            return _float((result or [0, "NaN"])[1])
        return [_float(v[1]) for series in result or [] for v in series.get("values") or []]
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ProviderError(f"prometheus: unexpected answer: malformed {kind} result {result!r:.200}") from exc


def resolve_time(text: str, now: float) -> float:
    """``rangeQuery.start/end``: ``now()``, ``now() - duration("1h")``, RFC 3339, or epoch seconds."""
    m = _RELATIVE.match(text)
    if m:
        return now - (parse_duration(m.group(1)) if m.group(1) else 0.0)
    try:
        return float(text)
    except ValueError:
        from shipyard.resources.timefmt import parse_time

        try:
            return parse_time(text)
        except ValueError as exc:
            raise ProviderError(
                f'rangeQuery time {text!r}: want now(), now() - duration("1h"), RFC 3339 or seconds'
            ) from exc


class PrometheusProvider:
    def __init__(self, client: httpx.Client, *, default_address: str | None = None) -> None:
        self.client = client
        self.default_address = default_address

    def measure(self, metric: Metric, *, now: float) -> Observation:
        spec = metric.provider.get("prometheus") or {}
        address = (spec.get("address") or self.default_address or "").rstrip("/")
        if not address:
            raise ProviderError(
                "prometheus: no address (set provider.prometheus.address or SHIPYARD_PROMETHEUS_ADDRESS)"
            )
        query = spec.get("query")
        if not query:
            raise ProviderError("prometheus: query is required")
        timeout = timeout_of(spec.get("timeout"), DEFAULT_TIMEOUT, "prometheus: timeout")
        headers = headers_of(spec.get("headers"), "prometheus: headers")
        rq = spec.get("rangeQuery")
        if rq is not None and not isinstance(rq, dict):
            raise ProviderError("prometheus: rangeQuery must be an object with start, end and step")
        if rq:
            start, end = (
                resolve_time(str(rq.get("start", "now()")), now),
                resolve_time(str(rq.get("end", "now()")), now),
            )
            try:
                step = parse_duration(str(rq.get("step") or "1m"))
            except ValueError as exc:
                raise ProviderError(f"prometheus: rangeQuery.step: {exc}") from exc
            url, params = f"{address}/api/v1/query_range", {"query": query, "start": start, "end": end, "step": step}
        else:
            url, params = f"{address}/api/v1/query", {"query": query, "time": now}
        try:
            resp = self.client.get(url, params=params, headers=headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise ProviderError(f"prometheus: query timed out after {timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"prometheus: {exc}") from exc
        try:
            body = resp.json()
        except ValueError as exc:
            raise ProviderError(f"prometheus: HTTP {resp.status_code}: not a JSON answer") from exc
        if not isinstance(body, dict):
            raise ProviderError(
                f"prometheus: HTTP {resp.status_code}: unexpected answer (a JSON {type(body).__name__})"
            )
        if resp.status_code >= 400 or body.get("status") != "success":
            raise ProviderError(f"prometheus: {body.get('errorType', 'error')}: {body.get('error', resp.status_code)}")
        result = shape(body.get("data") or {})
        meta = {"ResolvedPrometheusQuery": query}
        if body.get("warnings"):
            meta["warnings"] = "; ".join(str(w) for w in body["warnings"])
        if rq:
            meta["start"], meta["end"] = rfc3339(params["start"]), rfc3339(params["end"])
        if isinstance(result, float) and math.isnan(result):
            return Observation("NaN", result, meta)
        return Observation(format_value(result), result, meta)
