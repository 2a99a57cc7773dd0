"""Build an AnalysisRun spec from templates and args (``AR:utils/analysis/helpers.go FlattenTemplates``,
``AR:utils/analysis/factory.go``, ``AR:utils/template/template.go``).

Templates (and the templates they compose) flatten into one run; a metric name twice is an error, an arg
declared twice with different values is an error. ``{{args.x}}`` is substituted textually into each metric's
JSON (values JSON-escaped). Secret args stay unresolved in the stored spec; they are resolved at measurement
time and any secret value is shown as ``*****`` in messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from shipyard.errors import NotFoundError, SpecError
from shipyard.resources.analysis import AnalysisTemplateSpec, Metric
from shipyard.resources.rollouts import Argument, MetricNameRule, RetentionRule, TemplateRef

REDACTED = "*****"
_PLACEHOLDER = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")

TemplateLookup = Callable[[TemplateRef], AnalysisTemplateSpec]
SecretLookup = Callable[[str, str], str]  # (secret name, key) -> value


def flatten(refs: Sequence[TemplateRef], lookup: TemplateLookup) -> AnalysisTemplateSpec:
    """All metrics, args, dryRun and retention rules of ``refs`` (recursively) in one spec."""
    metrics: list[Metric] = []
    args: dict[str, Argument] = {}
    dry: list[MetricNameRule] = []
    keep: list[RetentionRule] = []
    seen: set[tuple[str, bool]] = set()

    def walk(ref: TemplateRef) -> None:
        key = (ref.template_name, ref.cluster_scope)
        if key in seen:
            return
        seen.add(key)
        spec = lookup(ref)
        for sub in spec.templates:
            walk(sub)
        for m in spec.metrics:
            if any(x.name == m.name for x in metrics):
                raise SpecError(f"two metrics have the same name '{m.name}'", path="spec.metrics")
            metrics.append(m)
        for a in spec.args:
            prev = args.get(a.name)
            if prev is not None and prev.value is not None and a.value is not None and prev.value != a.value:
                raise SpecError(f"Argument `{a.name}` specified multiple times with different values", path="spec.args")
            if prev is None or (prev.value is None and prev.value_from is None):
                args[a.name] = a
        dry.extend(spec.dry_run)
        keep.extend(spec.measurement_retention)

    for ref in refs:
        walk(ref)
    return AnalysisTemplateSpec(metrics=metrics, args=list(args.values()), dry_run=dry, measurement_retention=keep)


def merge_args(declared: Sequence[Argument], given: Sequence[Argument]) -> list[Argument]:
    """Rollout-supplied (or CLI ``--arg``) values override the template's declarations (``MergeArgs``)."""
    out = {a.name: a for a in declared}
    for a in given:
        if a.name not in out:
            raise SpecError(f"Argument '{a.name}' was supplied but not declared by the template", path="args")
        out[a.name] = a
    return list(out.values())


def resolve_metric(
    metric: Metric, args: Sequence[Argument], secrets: SecretLookup | None = None
) -> tuple[Metric, frozenset[str]]:
    """Substitute ``{{args.x}}``; returns the metric and the secret values to redact from messages."""
    values: dict[str, str] = {}
    hidden: set[str] = set()
    for a in args:
        if a.value is not None:
            values[a.name] = a.value
        elif a.value_from is not None and a.value_from.secret_key_ref is not None:
            ref = a.value_from.secret_key_ref
            if secrets is None:
                raise NotFoundError(f"args.{a.name}: secret {ref.name!r} cannot be read here")
            secret = secrets(ref.name, ref.key)
            values[a.name] = secret
            hidden.add(secret)
    text = json.dumps(metric.model_dump(by_alias=True, exclude_none=True))

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            declared = any(a.name == name for a in args)
            raise SpecError(f"args.{name} was not resolved" if declared else f"failed to resolve {{{{args.{name}}}}}")
        return json.dumps(values[name])[1:-1]

    resolved = Metric.model_validate(json.loads(_PLACEHOLDER.sub(sub, text)))
    return resolved, frozenset(h for h in hidden if h)


def redact(text: str, hidden: frozenset[str]) -> str:
    for value in hidden:
        text = text.replace(value, REDACTED)
    return text


def resolve_rollout_args(
    args: Sequence[Argument], *, stable_hash: str, latest_hash: str, rollout: Mapping[str, Any]
) -> list[Argument]:
    """Rollout-side ``valueFrom``: ``podTemplateHashValue: Stable|Latest`` and ``fieldRef`` into the Rollout."""
    out: list[Argument] = []
    for a in args:
        vf = a.value_from
        if a.value is not None or vf is None:
            out.append(a)
        elif vf.pod_template_hash_value is not None:
            which = vf.pod_template_hash_value
            if which not in ("Stable", "Latest"):
                raise SpecError(f"podTemplateHashValue must be Stable or Latest, got {which!r}", path=f"args.{a.name}")
            out.append(Argument(name=a.name, value=stable_hash if which == "Stable" else latest_hash))
        elif vf.field_ref is not None:
            out.append(Argument(name=a.name, value=str(field_path(rollout, vf.field_ref.field_path))))
        else:
            out.append(a)
    return out


def field_path(obj: Mapping[str, Any], path: str) -> Any:
    """``spec.template.spec.containers[0].image``, ``metadata.labels['app']``."""
    current: Any = obj
    for part in re.findall(r"[^.\[\]]+|\[[^\]]*\]", path):
        key: Any = part
        if part.startswith("["):
            inner = part[1:-1].strip("'\"")
            key = int(inner) if inner.isdigit() else inner
        try:
            current = current[key]
        except (KeyError, IndexError, TypeError):
            raise SpecError(f"fieldRef {path!r} does not resolve on the Rollout", path="valueFrom.fieldRef") from None
    return current
