"""Web metric provider (``AR:metricproviders/webmetric/webmetric.go``): GET/POST/PUT a URL, pick a value with
``jsonPath`` (default ``{$}``), non-2xx is an error ("received non 2xx response code: 404")."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from shipyard.delivery.providers.base import Observation
from shipyard.errors import ProviderError
from shipyard.metrics.options import headers_of, timeout_of
from shipyard.resources.analysis import Metric

DEFAULT_TIMEOUT = 10.0
_STEP = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def json_path(doc: Any, path: str) -> Any:
    """The subset of kubectl JSONPath Argo users write: ``{$}``, ``{$.data.ok}``, ``{$.items[0].value}``."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    if not text.startswith("$"):
        raise ProviderError(f"jsonPath {path!r} must start with $")
    pos, cur = 1, doc
    while pos < len(text):
        m = _STEP.match(text, pos)
        if m is None:
            raise ProviderError(f"jsonPath {path!r}: cannot parse at {text[pos:]!r}")
        key: Any = m.group(1) or m.group(3) or m.group(4)
        if m.group(2) is not None:
            key = int(m.group(2))
        try:
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            raise ProviderError(f"jsonPath {path!r}: {key!r} not found in the response") from None
        pos = m.end()
    return cur


class WebProvider:
    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def measure(self, metric: Metric, *, now: float) -> Observation:
        spec = metric.provider.get("web") or {}
        url = spec.get("url")
        if not url:
            raise ProviderError("web: url is required")
        method = str(spec.get("method") or "GET").upper()
        if method not in ("GET", "POST", "PUT"):
            raise ProviderError(f"web: method {method} is not supported (GET, POST, PUT)")
        headers = headers_of(spec.get("headers"), "web: headers")
        body: Any = None
        if spec.get("jsonBody") is not None:
            body = json.dumps(spec["jsonBody"])
            headers.setdefault("Content-Type", "application/json")
        elif spec.get("body") is not None:
            body = str(spec["body"])
        timeout = timeout_of(spec.get("timeoutSeconds"), DEFAULT_TIMEOUT, "web: timeoutSeconds")
        try:
            resp = self.client.request(method, url, headers=headers, content=body, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise ProviderError(f"web: request timed out after {timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"web: {exc}") from exc
        if not 200 <= resp.status_code < 300:
            raise ProviderError(f"received non 2xx response code: {resp.status_code}")
        try:
            doc = resp.json()
        except ValueError as exc:
            raise ProviderError("web: the response is not JSON") from exc
        value = json_path(doc, str(spec.get("jsonPath") or "{$}"))
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        return Observation(text, value)
