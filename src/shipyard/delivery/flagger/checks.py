"""Flagger metric checks and webhook gates (``FL:pkg/controller/scheduler_metrics.go``, ``webhook.go``).

Builtin ``request-success-rate`` (percent; fails below ``thresholdRange.min``) and ``request-duration`` (ms;
fails above ``thresholdRange.max``) use the NGINX queries of ``FL:pkg/metrics/observers/nginx.go``; custom
metrics render a MetricTemplate's query. NaN or no series is a failed check ("no values found"). A webhook
passes iff its HTTP status is ≤ 202.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shipyard.errors import ProviderError, SpecError
from shipyard.resources.flagger import Canary, CanaryMetric

NGINX_QUERIES = {
    "request-success-rate": (
        'sum(rate(nginx_ingress_controller_requests{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!="",status!~"5.*"}[{{ interval }}])) '
        '/ sum(rate(nginx_ingress_controller_requests{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!=""}[{{ interval }}])) * 100'
    ),
    "request-duration": (
        'sum(rate(nginx_ingress_controller_response_duration_seconds_sum{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!=""}[{{ interval }}])) '
        '/ sum(rate(nginx_ingress_controller_response_duration_seconds_count{namespace="{{ namespace }}",ingress="{{ ingress }}",canary!=""}[{{ interval }}])) * 1000'
    ),
}
_VAR = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}")

Query = Callable[[str, str | None], float]  # (PromQL, provider address or None) -> value (NaN = no values)
Hook = Callable[[str, Mapping[str, object]], int]  # (url, payload) -> HTTP status


def render(template: str, values: Mapping[str, str]) -> str:
    """Go ``text/template`` with ``missingkey=error`` for the ``{{ name }}`` placeholders Flagger offers."""

    def sub(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:
            raise SpecError(f'map has no entry for key "{key}"', path="query")
        return values[key]

    return _VAR.sub(sub, template)


@dataclass(frozen=True, slots=True)
class CheckResult:
    ok: bool
    message: str


def query_values(c: Canary, metric: CanaryMetric) -> dict[str, str]:
    values = {
        "name": c.metadata.name or "",
        "namespace": c.metadata.namespace or "",
        "target": c.spec.target_ref.name,
        "service": str(c.spec.service.get("name") or c.spec.target_ref.name),
        "ingress": c.spec.ingress_ref.name if c.spec.ingress_ref else "",
        "interval": metric.interval or "1m",
    }
    values.update({f"variables.{k}": v for k, v in metric.template_variables.items()})
    return values


def run_metric(
    c: Canary, metric: CanaryMetric, query: Query, templates: Mapping[str, tuple[str, str | None]]
) -> CheckResult:
    values = query_values(c, metric)
    if metric.name in NGINX_QUERIES and metric.template_ref is None and metric.query is None:
        promql, address = render(NGINX_QUERIES[metric.name], values), c.spec.metrics_server
    elif metric.template_ref is not None:
        if metric.template_ref.name not in templates:
            return CheckResult(False, f"Metric template {metric.template_ref.name} not found")
        text, address = templates[metric.template_ref.name]
        promql = render(text, values)
    elif metric.query is not None:
        promql, address = metric.query, c.spec.metrics_server
    else:
        return CheckResult(False, f"Metric {metric.name} has no query")
    try:
        value = query(promql, address)
    except ProviderError as exc:
        return CheckResult(False, f"Metric query failed for {metric.name}: {exc}")
    if math.isnan(value):
        return CheckResult(False, f"Halt advancement no values found for {metric.name} metric")
    rng = metric.threshold_range
    lo = rng.min if rng is not None else None
    hi = rng.max if rng is not None else None
    if metric.name == "request-success-rate" and lo is None:
        lo = metric.threshold
    if metric.name != "request-success-rate" and hi is None and metric.threshold is not None:
        hi = metric.threshold
    if lo is not None and value < lo:
        return CheckResult(
            False, f"Halt {c.metadata.name}.{c.metadata.namespace} advancement {metric.name} {value:.2f} < {lo:g}"
        )
    if hi is not None and value > hi:
        return CheckResult(
            False, f"Halt {c.metadata.name}.{c.metadata.namespace} advancement {metric.name} {value:.2f} > {hi:g}"
        )
    return CheckResult(True, "")


def run_hooks(c: Canary, kind: str, phase: str, hook: Hook, checksum: str = "") -> CheckResult:
    """Every webhook of ``kind`` (an omitted type is ``rollout``); the first failing one decides."""
    for w in c.spec.analysis.webhooks:
        if (w.type or "rollout") != kind:
            continue
        payload = {
            "name": c.metadata.name,
            "namespace": c.metadata.namespace,
            "phase": phase,
            "checksum": checksum,
            "metadata": dict(w.metadata),
        }
        try:
            status = hook(w.url, payload)
        except ProviderError as exc:
            return CheckResult(False, f"{kind} hook {w.name} failed: {exc}")
        if status > 202:
            return CheckResult(False, f"{kind} hook {w.name} failed: {status}")
    return CheckResult(True, "")
