"""Metric providers against canned HTTP answers (httpx.MockTransport) and local processes; result shapes as
Argo's processResponse (A17) and the web provider's errors."""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

import httpx
import pytest

from shipyard.delivery.providers.base import provider_key
from shipyard.errors import ProviderError, SpecError
from shipyard.metrics import providers
from shipyard.resources.analysis import Metric


def metric(provider: dict[str, Any], **kw: Any) -> Metric:
    return Metric.model_validate({"name": "m", "provider": provider, **kw})


def prom(data: dict[str, Any], status: int = 200, seen: list[httpx.Request] | None = None) -> dict[str, Any]:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=data)

    return providers(httpx.Client(transport=httpx.MockTransport(handler)), env={})


def vector(*values: str) -> dict[str, Any]:
    return {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, v]} for v in values]},
    }


@pytest.mark.parametrize(
    ("data", "value", "result"),
    [
        (vector("0.99"), "[0.99]", [0.99]),
        (vector("0.99", "0.98"), "[0.99,0.98]", [0.99, 0.98]),
        (vector(), "[]", []),
        ({"status": "success", "data": {"resultType": "scalar", "result": [1, "0.99"]}}, "0.99", 0.99),
        ({"status": "success", "data": {"resultType": "scalar", "result": [1, "+Inf"]}}, "+Inf", math.inf),
        ({"status": "success", "data": {"resultType": "scalar", "result": [1, "1"]}}, "1", 1.0),
        (
            {
                "status": "success",
                "data": {"resultType": "matrix", "result": [{"values": [[1, "1"], [2, "2"]]}, {"values": [[1, "3"]]}]},
            },
            "[1,2,3]",
            [1.0, 2.0, 3.0],
        ),
    ],
    ids=[
        "A17-vector",
        "vector-two-series",
        "A17-empty-vector",
        "scalar",
        "A17-plus-inf",
        "integral-float",
        "matrix-flattened",
    ],
)
def test_prometheus_shapes(data: dict[str, Any], value: str, result: Any) -> None:
    obs = prom(data)["prometheus"].measure(metric({"prometheus": {"address": "http://p", "query": "q"}}), now=100)
    assert obs.value == value and obs.result == result
    assert obs.metadata["ResolvedPrometheusQuery"] == "q"


def test_prometheus_nan_scalar() -> None:
    obs = prom({"status": "success", "data": {"resultType": "scalar", "result": [1, "NaN"]}})["prometheus"].measure(
        metric({"prometheus": {"address": "http://p", "query": "q"}}), now=1
    )
    assert obs.value == "NaN" and math.isnan(obs.result)


def test_prometheus_string_type_unsupported() -> None:
    with pytest.raises(ProviderError, match="Prometheus metric type not supported"):
        prom({"status": "success", "data": {"resultType": "string", "result": [1, "x"]}})["prometheus"].measure(
            metric({"prometheus": {"address": "http://p", "query": "q"}}), now=1
        )


def test_prometheus_error_answer() -> None:
    with pytest.raises(ProviderError, match="bad_data: parse error"):
        prom({"status": "error", "errorType": "bad_data", "error": "parse error"}, status=400)["prometheus"].measure(
            metric({"prometheus": {"address": "http://p", "query": "q("}}), now=1
        )


def test_prometheus_address_from_env_and_query_params() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=vector("1"))

    p = providers(
        httpx.Client(transport=httpx.MockTransport(handler)), env={"SHIPYARD_PROMETHEUS_ADDRESS": "http://env:9090/"}
    )
    p["prometheus"].measure(
        metric({"prometheus": {"query": "up", "headers": [{"key": "X-Org", "value": "1"}]}}), now=1234
    )
    req = seen[0]
    assert str(req.url).startswith("http://env:9090/api/v1/query?")
    assert req.url.params["query"] == "up" and req.url.params["time"] == "1234"
    assert req.headers["X-Org"] == "1"


def test_prometheus_range_query() -> None:
    seen: list[httpx.Request] = []
    p = prom({"status": "success", "data": {"resultType": "matrix", "result": []}}, seen=seen)
    p["prometheus"].measure(
        metric(
            {
                "prometheus": {
                    "address": "http://p",
                    "query": "up",
                    "rangeQuery": {"start": 'now() - duration("1h")', "end": "now()", "step": "1m"},
                }
            }
        ),
        now=7200,
    )
    params = seen[0].url.params
    assert seen[0].url.path == "/api/v1/query_range"
    assert (params["start"], params["end"], params["step"]) == ("3600.0", "7200.0", "60.0")


def test_prometheus_without_address() -> None:
    with pytest.raises(ProviderError, match="no address"):
        prom(vector())["prometheus"].measure(metric({"prometheus": {"query": "q"}}), now=1)


def test_prometheus_unreachable_is_provider_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    p = providers(httpx.Client(transport=httpx.MockTransport(handler)), env={})
    with pytest.raises(ProviderError, match="connection refused"):
        p["prometheus"].measure(metric({"prometheus": {"address": "http://p", "query": "q"}}), now=1)


def web(answer: httpx.Response, seen: list[httpx.Request] | None = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return answer

    return providers(httpx.Client(transport=httpx.MockTransport(handler)), env={})["web"]


def test_web_json_path_and_post_body() -> None:
    seen: list[httpx.Request] = []
    w = web(httpx.Response(200, json={"data": {"ok": True, "rate": [0.5, 0.97]}}), seen)
    obs = w.measure(
        metric(
            {
                "web": {
                    "url": "http://w/x",
                    "method": "POST",
                    "jsonBody": {"a": 1},
                    "headers": [{"key": "Authorization", "value": "Bearer t"}],
                    "jsonPath": "{$.data.rate[1]}",
                }
            }
        ),
        now=1,
    )
    assert (obs.value, obs.result) == ("0.97", 0.97)
    assert seen[0].method == "POST" and json.loads(seen[0].content) == {"a": 1}
    assert seen[0].headers["Authorization"] == "Bearer t"
    whole = web(httpx.Response(200, json={"ok": True})).measure(metric({"web": {"url": "http://w"}}), now=1)
    assert whole.result == {"ok": True} and whole.value == '{"ok":true}'


def test_web_non_2xx() -> None:
    with pytest.raises(ProviderError, match=r"^received non 2xx response code: 404$"):
        web(httpx.Response(404, text="nope")).measure(metric({"web": {"url": "http://w"}}), now=1)


def test_web_missing_path() -> None:
    with pytest.raises(ProviderError, match="'missing' not found"):
        web(httpx.Response(200, json={})).measure(
            metric({"web": {"url": "http://w", "jsonPath": "{$.missing}"}}), now=1
        )


def job(*argv: str) -> Metric:
    return metric({"job": {"spec": {"template": {"spec": {"containers": [{"name": "c", "command": list(argv)}]}}}}})


def test_job_exit_codes() -> None:
    p = providers(env={})["job"]
    ok = p.measure(job(sys.executable, "-c", "pass"), now=1)
    bad = p.measure(job(sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"), now=1)
    assert (ok.phase, ok.value) == ("Successful", "0")
    assert (bad.phase, bad.value, bad.metadata["output"]) == ("Failed", "3", "boom")


def test_job_missing_command() -> None:
    with pytest.raises(ProviderError, match="command not found"):
        providers(env={})["job"].measure(job("/nonexistent/shipyard-test"), now=1)


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        ({"datadog": {}}, 'metric provider "datadog" is not supported yet (valid: prometheus, web, job)'),
        ({"promethues": {}}, 'metric provider "promethues" is unknown (valid: prometheus, web, job)'),
        ({}, "no provider specified"),
    ],
    ids=["argo-only", "typo", "none"],
)
def test_unknown_provider_lists_valid_ones(provider: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as info:
        provider_key(provider)
    assert info.value.issue.message == message


def answering(resp: httpx.Response) -> Any:
    return providers(httpx.Client(transport=httpx.MockTransport(lambda request: resp)), env={})


OK = {"status": "success"}


@pytest.mark.parametrize(
    ("resp", "message"),
    [
        (httpx.Response(200, json=[1, 2]), "HTTP 200: unexpected answer (a JSON list)"),
        (httpx.Response(200, json={**OK, "data": [1]}), "unexpected answer: data is list, not an object"),
        (
            httpx.Response(200, json={**OK, "data": {"resultType": "vector", "result": [{"metric": {}}]}}),
            "unexpected answer: malformed vector result",
        ),
        (
            httpx.Response(200, json={**OK, "data": {"resultType": "vector", "result": [{"value": 5}]}}),
            "unexpected answer: malformed vector result",
        ),
        (
            httpx.Response(200, json={**OK, "data": {"resultType": "matrix", "result": [{"values": [5]}]}}),
            "unexpected answer: malformed matrix result",
        ),
        (
            httpx.Response(200, json={**OK, "data": {"resultType": "scalar", "result": 5}}),
            "unexpected answer: malformed scalar result",
        ),
        (
            httpx.Response(200, json={**OK, "data": {"resultType": "vector", "result": [{"value": [1, "x"]}]}}),
            "non-numeric sample 'x'",
        ),
        (httpx.Response(502, text="<html>bad gateway</html>"), "HTTP 502: not a JSON answer"),
        (httpx.Response(200, content=b'{"status":"success","data":{"resultT'), "HTTP 200: not a JSON answer"),
    ],
    ids=[
        "json-list",
        "data-list",
        "sample-no-value",
        "value-not-pair",
        "matrix-garbage",
        "scalar-garbage",
        "non-numeric",
        "html-502",
        "truncated-body",
    ],
)
def test_prometheus_garbage_is_a_provider_error(resp: httpx.Response, message: str) -> None:
    """A Prometheus (or a proxy in front of it) answering garbage gives an Error measurement with a message,
    as Argo's client returns an error (AR:metricproviders/prometheus/prometheus.go) — never a crash."""
    with pytest.raises(ProviderError, match=re.escape(message)):
        answering(resp)["prometheus"].measure(metric({"prometheus": {"address": "http://p", "query": "q"}}), now=1)


def test_prometheus_dropping_the_connection_mid_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    p = providers(httpx.Client(transport=httpx.MockTransport(handler)), env={})
    with pytest.raises(ProviderError, match="peer closed connection"):
        p["prometheus"].measure(metric({"prometheus": {"address": "http://p", "query": "q"}}), now=1)


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("prometheus", {"timeout": "soon"}, "prometheus: timeout must be a number of seconds, got 'soon'"),
        ("prometheus", {"headers": [{"key": "a"}]}, "prometheus: headers must be a list of {key, value}"),
        ("prometheus", {"rangeQuery": {"step": "zz"}}, 'prometheus: rangeQuery.step: time: invalid duration "zz"'),
        ("prometheus", {"rangeQuery": "1h"}, "prometheus: rangeQuery must be an object"),
        ("web", {"timeoutSeconds": -1}, "web: timeoutSeconds must be positive, got -1"),
        ("web", {"headers": "X-A: b"}, "web: headers must be a list of {key, value}"),
    ],
    ids=["timeout-word", "header-no-value", "step-garbage", "rangequery-string", "web-negative-timeout", "web-headers"],
)
def test_wrong_option_types_are_provider_errors(kind: str, options: dict[str, Any], message: str) -> None:
    base = {"address": "http://p", "query": "q"} if kind == "prometheus" else {"url": "http://w"}
    p = answering(httpx.Response(200, json={}))[kind]
    with pytest.raises(ProviderError, match=re.escape(message)):
        p.measure(metric({kind: {**base, **options}}), now=1)
