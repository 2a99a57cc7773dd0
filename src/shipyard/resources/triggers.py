"""Pydantic models of triggers.tekton.dev/v1beta1 EventListener, TriggerBinding, ClusterTriggerBinding,
TriggerTemplate and Trigger, and their ``shipyard lint`` validators.

Field names follow tektoncd/triggers ``pkg/apis/triggers/v1beta1/*_types.go``; YAML keys are the camelCase aliases
(``resourcetemplates`` is all lower case upstream). Unknown fields are errors with did-you-mean. The semantic checks
Tekton's webhook makes (``*_validation.go``) are added to the same ``Issues`` so every problem is reported at once.
Interceptor names are checked where the registry lives (``shipyard.pipelines.triggers.registry``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from shipyard.resources.meta import ObjectMeta

GROUP = "triggers.tekton.dev"
VERSIONS = ("triggers.tekton.dev/v1beta1", "triggers.tekton.dev/v1alpha1")


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, frozen=True, alias_generator=to_camel, coerce_numbers_to_str=True
    )


class Param(_Model):
    name: str
    value: str


class ParamSpec(_Model):
    name: str
    description: str | None = None
    default: str | None = None


class SecretRef(_Model):
    secret_key: str = ""
    secret_name: str = ""


class BindingSpec(_Model):
    params: list[Param] = Field(default_factory=list)


class TriggerTemplateSpec(_Model):
    params: list[ParamSpec] = Field(default_factory=list)
    resourcetemplates: list[dict[str, Any]] = Field(default_factory=list, alias="resourcetemplates")


class InterceptorRef(_Model):
    name: str
    kind: Literal["ClusterInterceptor", "NamespacedInterceptor"] | None = None
    api_version: str | None = None


class InterceptorParam(_Model):
    name: str
    value: Any = None


class TriggerInterceptor(_Model):
    name: str | None = None
    ref: InterceptorRef | None = None
    params: list[InterceptorParam] = Field(default_factory=list)
    webhook: dict[str, Any] | None = None
    # v1alpha1's deprecated inline forms (`github: {eventTypes: ...}`, `cel: {filter: ...}`) are read as a ref
    # plus params by ``shipyard.pipelines.triggers.config``.
    github: dict[str, Any] | None = None
    gitlab: dict[str, Any] | None = None
    bitbucket: dict[str, Any] | None = None
    cel: dict[str, Any] | None = None


class TriggerSpecBinding(_Model):
    name: str | None = None
    value: str | None = None
    ref: str | None = None
    kind: Literal["TriggerBinding", "ClusterTriggerBinding"] | None = None
    api_version: str | None = None


class TriggerSpecTemplate(_Model):
    ref: str | None = None
    name: str | None = None  # v1alpha1 spelling of ref
    api_version: str | None = None
    spec: TriggerTemplateSpec | None = None


class TriggerSpec(_Model):
    name: str | None = None
    interceptors: list[TriggerInterceptor] = Field(default_factory=list)
    bindings: list[TriggerSpecBinding] = Field(default_factory=list)
    template: TriggerSpecTemplate | None = None
    service_account_name: str | None = None


class EventListenerTrigger(TriggerSpec):
    trigger_ref: str | None = None


class EventListenerSpec(_Model):
    service_account_name: str | None = None
    triggers: list[EventListenerTrigger] = Field(default_factory=list)
    trigger_groups: list[dict[str, Any]] | None = None
    namespace_selector: dict[str, Any] | None = None
    label_selector: dict[str, Any] | None = None
    resources: dict[str, Any] | None = None
    cloud_event_uri: str | None = Field(default=None, alias="cloudEventURI")


class _Resource(_Model):
    api_version: str
    kind: str
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    status: dict[str, Any] | None = None  # ignored on input

    @field_validator("api_version")
    @classmethod
    def _known_version(cls, value: str) -> str:
        if value not in VERSIONS:
            raise ValueError(f'unsupported apiVersion "{value}" (expected one of: {", ".join(VERSIONS)})')
        return value


class EventListener(_Resource):
    spec: EventListenerSpec


class TriggerBinding(_Resource):
    spec: BindingSpec = Field(default_factory=BindingSpec)


class TriggerTemplate(_Resource):
    spec: TriggerTemplateSpec


class Trigger(_Resource):
    spec: TriggerSpec


MODELS: dict[str, type[_Resource]] = {
    "EventListener": EventListener,
    "TriggerBinding": TriggerBinding,
    "ClusterTriggerBinding": TriggerBinding,
    "TriggerTemplate": TriggerTemplate,
    "Trigger": Trigger,
}
