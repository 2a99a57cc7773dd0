"""TriggerBinding params from an event (tektoncd/triggers ``pkg/template/event.go`` ``applyEventValuesToParams``).

The event seen by ``$(...)`` is ``{header, body, extensions, context}``: header values joined with ``,``, the body
decoded from JSON (``null`` when empty), extensions from the interceptors, ``context.eventID``. Template defaults
seed the result; a binding value overrides them; an expression that does not resolve falls back to the template
param's default when there is one, otherwise the trigger fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shipyard.pipelines.triggers import gojson
from shipyard.pipelines.triggers.headers import Header
from shipyard.pipelines.triggers.jsonpath import JSONPathError, evaluate, find_expressions


class BindingError(ValueError):
    """A binding could not be resolved against the event; the trigger creates nothing."""


@dataclass(frozen=True, slots=True)
class BindingParam:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class TemplateParam:
    name: str
    default: str | None = None


def make_event(body: bytes, header: Header, extensions: Mapping[str, Any], event_id: str) -> dict[str, Any]:
    data: Any = None
    if body:
        try:
            data = gojson.loads(body)
        except ValueError as exc:
            raise BindingError(f"failed to unmarshal request body: {exc}") from exc
    return {
        "header": {k: ",".join(v) for k, v in header.items()},
        "body": data,
        "extensions": dict(extensions),
        "context": {"eventID": event_id},
    }


def check_duplicates(params: Sequence[BindingParam]) -> None:
    seen: set[str] = set()
    for p in params:
        if p.name in seen:
            raise BindingError(f"duplicate param name: {p.name}")
        seen.add(p.name)


def resolve_params(
    params: Sequence[BindingParam],
    event: dict[str, Any],
    template_params: Sequence[TemplateParam] | None,
) -> dict[str, str]:
    """Every binding value with its ``$(...)`` replaced, merged over the template's defaults."""
    out: dict[str, str] = {}
    for spec in template_params or ():
        if spec.default is not None:
            out[spec.name] = spec.default
    for p in params:
        value = p.value
        for expr, original in find_expressions(p.value):
            try:
                resolved = evaluate(expr, event)
            except JSONPathError as exc:
                if template_params is not None and p.name in out:
                    resolved = out[p.name]
                else:
                    raise BindingError(
                        f"failed to replace JSONPath value for param {p.name}: {p.value}: {exc}"
                    ) from exc
            value = value.replace(original, resolved)
        out[p.name] = value
    return out
