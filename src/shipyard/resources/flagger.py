"""Pydantic models of flagger.app/v1beta1 Canary and MetricTemplate (``FL:pkg/apis/flagger/v1beta1``).

Unknown fields are errors; service/mesh options shipyard passes through untouched are kept as plain data.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shipyard.resources.durations import parse_duration
from shipyard.resources.loader import Document
from shipyard.resources.meta import ObjectMeta
from shipyard.resources.rollouts import ArgoModel
from shipyard.resources.validate import Issues, validate_model

WEBHOOK_TYPES = (
    "confirm-rollout",
    "pre-rollout",
    "rollout",
    "confirm-traffic-increase",
    "confirm-promotion",
    "post-rollout",
    "rollback",
    "event",
)
BUILTIN_METRICS = ("request-success-rate", "request-duration")


class CrossRef(ArgoModel):
    api_version: str | None = None
    kind: str | None = None
    name: str
    namespace: str | None = None


class ThresholdRange(ArgoModel):
    min: float | None = None
    max: float | None = None


class CanaryMetric(ArgoModel):
    name: str
    interval: str | None = None
    threshold: float | None = None
    threshold_range: ThresholdRange | None = None
    query: str | None = None
    template_ref: CrossRef | None = None
    template_variables: dict[str, str] = Field(default_factory=dict)


class Webhook(ArgoModel):
    name: str
    type: str | None = None
    url: str
    timeout: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    retries: int | None = None
    mute_alert: bool = False
    disable_tls: bool = False


class CanaryAnalysis(ArgoModel):
    interval: str | None = None
    threshold: int | None = None
    max_weight: int | None = None
    step_weight: int | None = None
    step_weights: list[int] = Field(default_factory=list)
    step_weight_promotion: int | None = None
    iterations: int | None = None
    match: list[dict[str, Any]] = Field(default_factory=list)
    mirror: bool = False
    mirror_weight: int | None = None
    primary_ready_threshold: int | None = None
    canary_ready_threshold: int | None = None
    metrics: list[CanaryMetric] = Field(default_factory=list)
    webhooks: list[Webhook] = Field(default_factory=list)
    alerts: list[dict[str, Any]] = Field(default_factory=list)
    session_affinity: dict[str, Any] | None = None


class CanarySpec(ArgoModel):
    target_ref: CrossRef
    autoscaler_ref: dict[str, Any] | None = None
    ingress_ref: CrossRef | None = None
    route_ref: CrossRef | None = None
    upstream_ref: CrossRef | None = None
    provider: str | None = None
    metrics_server: str | None = None
    progress_deadline_seconds: int = 600
    skip_analysis: bool = False
    revert_on_deletion: bool = False
    suspend: bool = False
    service: dict[str, Any]
    analysis: CanaryAnalysis


class Canary(ArgoModel):
    api_version: str = "flagger.app/v1beta1"
    kind: str = "Canary"
    metadata: ObjectMeta
    spec: CanarySpec
    status: dict[str, Any] | None = None


class MetricTemplateProvider(ArgoModel):
    type: str
    address: str | None = None
    headers: dict[str, Any] | None = None
    secret_ref: dict[str, Any] | None = None
    region: str | None = None
    insecure_skip_verify: bool = False


class MetricTemplateSpec(ArgoModel):
    provider: MetricTemplateProvider
    query: str


class MetricTemplate(ArgoModel):
    api_version: str = "flagger.app/v1beta1"
    kind: str = "MetricTemplate"
    metadata: ObjectMeta
    spec: MetricTemplateSpec


def validate_canary(doc: Document, issues: Issues) -> None:
    model = validate_model(Canary, doc, issues=issues)
    if model is None:
        return
    a = model.spec.analysis
    base = ("spec", "analysis")
    if a.interval is not None:
        try:
            if parse_duration(a.interval) < 10:
                issues.add((*base, "interval"), "interval must be at least 10s")
        except ValueError as exc:
            issues.add((*base, "interval"), str(exc))
    for i, m in enumerate(a.metrics):
        if m.name not in BUILTIN_METRICS and m.template_ref is None and m.query is None:
            issues.add(
                (*base, "metrics", i),
                f'metric "{m.name}" is not a builtin ({", ".join(BUILTIN_METRICS)}) and has no templateRef or query',
            )
    for i, w in enumerate(a.webhooks):
        if w.type is not None and w.type not in WEBHOOK_TYPES:
            issues.add(
                (*base, "webhooks", i, "type"), f'unknown webhook type "{w.type}" (valid: {", ".join(WEBHOOK_TYPES)})'
            )
    if a.step_weight is None and not a.step_weights and not a.iterations:
        issues.add(base, "one of stepWeight, stepWeights or iterations is required")


# FL:pkg/metrics/providers/factory.go; shipyard queries Prometheus only
METRIC_PROVIDERS = ("prometheus",)
FLAGGER_ONLY_PROVIDERS = (
    "datadog",
    "externalmetrics",
    "cloudwatch",
    "newrelic",
    "graphite",
    "stackdriver",
    "influxdb",
    "dynatrace",
    "keptn",
    "splunk",
)


def validate_metric_template(doc: Document, issues: Issues) -> None:
    model = validate_model(MetricTemplate, doc, issues=issues)
    if model is None or model.spec.provider.type in METRIC_PROVIDERS:
        return
    kind = model.spec.provider.type
    what = "not supported yet" if kind in FLAGGER_ONLY_PROVIDERS else "unknown"
    issues.add(
        ("spec", "provider", "type"),
        f'metric provider type "{kind}" is {what} (valid: {", ".join(METRIC_PROVIDERS)})',
    )
