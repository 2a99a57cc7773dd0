"""Pydantic models of argoproj.io/v1alpha1 AnalysisTemplate, ClusterAnalysisTemplate and AnalysisRun
(``AR:pkg/apis/rollouts/v1alpha1/analysis_types.go``) and the metric rules of ``AR:utils/analysis/factory.go``.

A metric's provider stays plain data here: which keys are valid, and what each means, is decided by the
provider registry in ``shipyard.delivery.providers`` (so an unknown key lists the valid ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import Field

from shipyard.resources.analysis_expr import ExprSyntaxError
from shipyard.resources.analysis_expr import parse as parse_expr
from shipyard.resources.durations import parse_duration
from shipyard.resources.loader import Document, PathKey
from shipyard.resources.meta import ObjectMeta
from shipyard.resources.rollouts import ArgoModel, Argument, MetricNameRule, RetentionRule, TemplateRef
from shipyard.resources.validate import Issues, validate_model

IntOrStr = int | str

# AR:metricproviders/metricproviders.go; shipyard implements the first three.
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


class Metric(ArgoModel):
    name: str
    interval: str | None = None
    initial_delay: str | None = None
    count: IntOrStr | None = None
    success_condition: str | None = None
    failure_condition: str | None = None
    failure_limit: IntOrStr | None = None
    inconclusive_limit: IntOrStr | None = None
    consecutive_error_limit: IntOrStr | None = None
    consecutive_success_limit: IntOrStr | None = None
    provider: dict[str, Any]


class TTLStrategy(ArgoModel):
    seconds_after_completion: int | None = None
    seconds_after_failure: int | None = None
    seconds_after_success: int | None = None


class AnalysisTemplateSpec(ArgoModel):
    metrics: list[Metric] = Field(default_factory=list)
    args: list[Argument] = Field(default_factory=list)
    dry_run: list[MetricNameRule] = Field(default_factory=list)
    measurement_retention: list[RetentionRule] = Field(default_factory=list)
    templates: list[TemplateRef] = Field(default_factory=list)


class AnalysisTemplate(ArgoModel):
    api_version: str = "argoproj.io/v1alpha1"
    kind: str = "AnalysisTemplate"
    metadata: ObjectMeta
    spec: AnalysisTemplateSpec


class AnalysisRunSpec(ArgoModel):
    metrics: list[Metric] = Field(default_factory=list)
    args: list[Argument] = Field(default_factory=list)
    terminate: bool = False
    dry_run: list[MetricNameRule] = Field(default_factory=list)
    measurement_retention: list[RetentionRule] = Field(default_factory=list)
    ttl_strategy: TTLStrategy | None = None


class AnalysisRun(ArgoModel):
    api_version: str = "argoproj.io/v1alpha1"
    kind: str = "AnalysisRun"
    metadata: ObjectMeta
    spec: AnalysisRunSpec
    status: dict[str, Any] | None = None


def _as_int(value: IntOrStr | None) -> int | None:
    """A limit that is still an ``{{args.x}}`` placeholder is checked after substitution, not here."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except ValueError:
        return None


def check_metric(m: Metric, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    """``ValidateMetric``: limits, count vs limits, durations, exactly one provider."""
    failure = _as_int(m.failure_limit)
    csl = _as_int(m.consecutive_success_limit)
    inconclusive = _as_int(m.inconclusive_limit)
    cel = _as_int(m.consecutive_error_limit)
    count = _as_int(m.count)
    if csl is not None and csl < 0:
        yield ((*path, "consecutiveSuccessLimit"), "consecutiveSuccessLimit must be >= 0")
    if failure is not None and failure < -1:
        yield ((*path, "failureLimit"), "failureLimit must be >= -1")
    if failure == -1 and (csl or 0) == 0:
        yield ((*path, "failureLimit"), "failureLimit and consecutiveSuccessLimit cannot both be disabled (-1 and 0)")
    if inconclusive is not None and inconclusive < 0:
        yield ((*path, "inconclusiveLimit"), "inconclusiveLimit must be >= 0")
    if cel is not None and cel < 0:
        yield ((*path, "consecutiveErrorLimit"), "consecutiveErrorLimit must be >= 0")
    if count is not None and count > 0:
        f, c = failure or 0, csl or 0
        if f >= 0 and count < f + c:
            yield ((*path, "count"), f"count must be >= failureLimit + consecutiveSuccessLimit ({f + c})")
        if f < 0 and count < c:
            yield ((*path, "count"), "count must be >= consecutiveSuccessLimit")
        if inconclusive is not None and count < inconclusive:
            yield ((*path, "count"), "count must be >= inconclusiveLimit")
        if count > 1 and m.interval is None:
            yield ((*path, "interval"), "interval must be specified when count > 1")
    for key, value in (("interval", m.interval), ("initialDelay", m.initial_delay)):
        if value is not None and "{{" not in value:
            try:
                parse_duration(value)
            except ValueError as exc:
                yield ((*path, key), str(exc))
    for key, cond in (("successCondition", m.success_condition), ("failureCondition", m.failure_condition)):
        if cond and "{{" not in cond:
            try:
                parse_expr(cond)
            except ExprSyntaxError as exc:
                # Argo only finds this at measurement time (each one an Error); lint says where it is
                yield (
                    (*path, key),
                    f"does not parse: {exc.problem} (column {exc.column})\n | {cond}\n | {' ' * (exc.column - 1)}^",
                )
    keys = [k for k in m.provider if k != "plugin" or m.provider[k]]
    if not keys:
        yield ((*path, "provider"), "no provider specified")
    elif len(keys) > 1:
        yield ((*path, "provider"), "multiple providers specified")
    elif keys[0] not in PROVIDER_KEYS:
        what = "not supported yet" if keys[0] in ARGO_ONLY_KEYS else "unknown"
        yield (
            (*path, "provider", keys[0]),
            f'metric provider "{keys[0]}" is {what} (valid: {", ".join(PROVIDER_KEYS)})',
        )


def check_metrics(metrics: list[Metric], path: PathKey, *, allow_empty: bool) -> Iterator[tuple[PathKey, str]]:
    if not metrics and not allow_empty:
        yield (path, "at least one metric is required")
    seen: set[str] = set()
    for i, m in enumerate(metrics):
        if m.name in seen:
            yield ((*path, i, "name"), f'duplicate metric name "{m.name}"')
        seen.add(m.name)
        yield from check_metric(m, (*path, i))


def validate_analysis_template(doc: Document, issues: Issues) -> None:
    model = validate_model(AnalysisTemplate, doc, issues=issues)
    if model is None:
        return
    if not model.metadata.name:
        issues.add(("metadata", "name"), "required field is missing")
    composed = bool(model.spec.templates)
    for path, msg in check_metrics(model.spec.metrics, ("spec", "metrics"), allow_empty=composed):
        issues.add(path, msg)


def validate_analysis_run(doc: Document, issues: Issues) -> None:
    model = validate_model(AnalysisRun, doc, issues=issues)
    if model is None:
        return
    for path, msg in check_metrics(model.spec.metrics, ("spec", "metrics"), allow_empty=False):
        issues.add(path, msg)
