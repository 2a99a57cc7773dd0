"""Flagger's Prometheus value and webhook POST over HTTP (httpx.MockTransport)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import httpx
import pytest

from shipyard.errors import ProviderError
from shipyard.metrics.flagger import prometheus_query, webhook


def client(handler: Any) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_last_series_wins_and_empty_is_nan() -> None:
    answers = iter(
        [
            {
                "status": "success",
                "data": {"resultType": "vector", "result": [{"value": [1, "97"]}, {"value": [1, "99.5"]}]},
            },
            {"status": "success", "data": {"resultType": "vector", "result": []}},
        ]
    )
    q = prometheus_query(client(lambda r: httpx.Response(200, json=next(answers))))
    assert q("x", "http://p") == 99.5
    assert math.isnan(q("x", None))


def test_webhook_posts_payload_and_returns_status() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(202)

    post = webhook(client(handler))
    assert post("http://hook", {"name": "c", "phase": "Progressing"}) == 202
    assert seen == [{"name": "c", "phase": "Progressing"}]


def test_webhook_unreachable_is_provider_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(ProviderError, match="refused"):
        webhook(client(handler))("http://hook", {})


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([1, 2], "unexpected answer (a JSON list)"),
        ({"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}}, "unexpected answer"),
        ({"status": "success", "data": {"resultType": "vector", "result": [{"value": [1, "x"]}]}}, "unexpected answer"),
        ({"status": "success", "data": {"resultType": "scalar", "result": 5}}, "unexpected answer"),
    ],
    ids=["json-list", "sample-no-value", "non-numeric", "scalar-garbage"],
)
def test_garbage_is_a_provider_error(answer: Any, message: str) -> None:
    """FL:pkg/metrics/providers/prometheus.go returns an error for an answer it cannot read; the tick counts a
    failed check (ProviderError) instead of crashing."""
    q = prometheus_query(client(lambda r: httpx.Response(200, json=answer)))
    with pytest.raises(ProviderError, match=re.escape(message)):
        q("up", "http://p")
