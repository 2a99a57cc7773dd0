"""What one event does to one trigger: the interceptor chain, the bindings, the template (tektoncd/triggers
``pkg/sink/sink.go`` ``processTrigger``). Pure: ids and name suffixes are passed in, nothing is created here —
the returned resources are for the controller to hand to the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.pipelines.triggers.base import Code, InterceptorRequest
from shipyard.pipelines.triggers.bindings import BindingError, check_duplicates, make_event, resolve_params
from shipyard.pipelines.triggers.config import ListenerConfig, ResolvedTrigger
from shipyard.pipelines.triggers.headers import Header
from shipyard.pipelines.triggers.templates import TemplateError, finalize, render


@dataclass(frozen=True, slots=True)
class Event:
    body: bytes
    header: Header
    url: str
    event_id: str


@dataclass(frozen=True, slots=True)
class TriggerOutcome:
    trigger: str
    accepted: bool
    message: str = ""
    code: Code = Code.ok
    interceptor: str = ""  # which interceptor stopped the chain
    extensions: Mapping[str, Any] = field(default_factory=dict)
    resources: tuple[dict[str, Any], ...] = ()


def process_trigger(
    config: ListenerConfig,
    trigger: ResolvedTrigger,
    event: Event,
    *,
    uid: str,
    name_suffix: Callable[[], str],
) -> TriggerOutcome:
    extensions: dict[str, Any] = {}
    trigger_id = f"namespaces/{config.namespace}/triggers/{trigger.name}"
    for ic in trigger.interceptors:
        request = InterceptorRequest(
            body=event.body,
            header=event.header,
            extensions=dict(extensions),
            event_url=event.url,
            event_id=event.event_id,
            trigger_id=trigger_id,
        )
        response = ic.interceptor.process(request)
        if not response.continue_:
            return TriggerOutcome(
                trigger.name, False, response.message, response.code, ic.name, extensions=dict(extensions)
            )
        # Extensions accumulate; a later interceptor overwrites an earlier one's keys.
        extensions.update(response.extensions)
    try:
        check_duplicates(trigger.bindings)
        ev = make_event(event.body, event.header, extensions, event.event_id)
        params = resolve_params(trigger.bindings, ev, trigger.template_params)
        resources = render(trigger.resourcetemplates, params, uid=uid, old_escape=trigger.old_escape)
        created = tuple(
            finalize(
                r,
                listener=config.name,
                namespace=config.namespace,
                trigger=trigger.name,
                event_id=event.event_id,
                name_suffix=name_suffix,
            )
            for r in resources
        )
    except (BindingError, TemplateError) as exc:
        return TriggerOutcome(trigger.name, False, str(exc), Code.invalid_argument, extensions=dict(extensions))
    return TriggerOutcome(trigger.name, True, extensions=dict(extensions), resources=created)
