"""The HTTP side of Flagger's checks: a PromQL query reduced to one value (``FL:pkg/metrics/providers/
prometheus.go``: last series wins, no series or NaN ⇒ NaN = "no values found") and the webhook POST (status
≤ 202 passes). Both are what ``controllers.flagger.FlaggerController`` takes as ``query`` and ``hook``."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import httpx

from shipyard.errors import ProviderError

DEFAULT_SERVER = "http://prometheus:9090"


def prometheus_query(
    client: httpx.Client, default_address: str | None = None, timeout: float = 10.0
) -> Callable[[str, str | None], float]:
    def query(promql: str, address: str | None) -> float:
        base = (address or default_address or DEFAULT_SERVER).rstrip("/")
        try:
            resp = client.get(f"{base}/api/v1/query", params={"query": promql}, timeout=timeout)
            body = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderError(f"prometheus: {exc}") from exc
        if not isinstance(body, dict):
            raise ProviderError(
                f"prometheus: HTTP {resp.status_code}: unexpected answer (a JSON {type(body).__name__})"
            )
        if body.get("status") != "success":
            raise ProviderError(f"prometheus: {body.get('error', resp.status_code)}")
        data = body.get("data") or {}
        value = math.nan
        try:
            if data.get("resultType") == "vector":
                for sample in data.get("result") or []:
                    value = float(sample["value"][1])  # the last series wins
            elif data.get("resultType") == "scalar":
                value = float((data.get("result") or [0, "NaN"])[1])
        except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
            # garbage is a failed check with a message, not an exception out of the Flagger tick
            raise ProviderError(f"prometheus: unexpected answer: {str(data)[:200]}") from exc
        return value

    return query


def webhook(client: httpx.Client, timeout: float = 10.0) -> Callable[[str, Mapping[str, object]], int]:
    def post(url: str, payload: Mapping[str, object]) -> int:
        try:
            return client.post(url, json=dict(payload), timeout=timeout).status_code
        except httpx.HTTPError as exc:
            raise ProviderError(f"webhook {url}: {exc}") from exc

    return post
