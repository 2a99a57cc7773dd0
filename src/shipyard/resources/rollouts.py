"""Pydantic models of argoproj.io/v1alpha1 Rollout (``pkg/apis/rollouts/v1alpha1/types.go``).

YAML keys are the camelCase aliases; unknown fields are errors with did-you-mean. The pod template is kept as
plain data (it is Kubernetes' PodTemplateSpec, hashed and copied, never interpreted here). Semantic checks that
Argo's ``ValidateRollout`` makes live in ``validate_rollout`` below.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shipyard.resources.durations import parse_duration
from shipyard.resources.loader import Document
from shipyard.resources.meta import ObjectMeta
from shipyard.resources.validate import Issues, validate_model

IntOrStr = int | str


class ArgoModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True, alias_generator=to_camel)


class FieldRef(ArgoModel):
    field_path: str


class SecretKeyRef(ArgoModel):
    name: str
    key: str


class ArgValueFrom(ArgoModel):
    pod_template_hash_value: str | None = None  # Stable | Latest (rollout side)
    field_ref: FieldRef | None = None
    secret_key_ref: SecretKeyRef | None = None  # template side


class Argument(ArgoModel):
    name: str
    value: str | None = None
    value_from: ArgValueFrom | None = None


class TemplateRef(ArgoModel):
    template_name: str
    cluster_scope: bool = False


class MetricNameRule(ArgoModel):
    metric_name: str


class RetentionRule(ArgoModel):
    metric_name: str
    limit: int


class RunMetadata(ArgoModel):
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class RolloutAnalysis(ArgoModel):
    templates: list[TemplateRef] = Field(default_factory=list)
    args: list[Argument] = Field(default_factory=list)
    dry_run: list[MetricNameRule] = Field(default_factory=list)
    measurement_retention: list[RetentionRule] = Field(default_factory=list)
    analysis_run_metadata: RunMetadata | None = None


class BackgroundAnalysis(RolloutAnalysis):
    starting_step: int | None = None


class Pause(ArgoModel):
    duration: IntOrStr | None = None


class SetCanaryScale(ArgoModel):
    replicas: int | None = None
    weight: int | None = None
    match_traffic_weight: bool = False


class StringMatch(ArgoModel):
    exact: str | None = None
    regex: str | None = None
    prefix: str | None = None


class HeaderMatch(ArgoModel):
    header_name: str
    header_value: StringMatch


class SetHeaderRoute(ArgoModel):
    name: str
    match: list[HeaderMatch] = Field(default_factory=list)


class MirrorMatch(ArgoModel):
    method: StringMatch | None = None
    path: StringMatch | None = None
    headers: dict[str, StringMatch] | None = None


class SetMirrorRoute(ArgoModel):
    name: str
    match: list[MirrorMatch] = Field(default_factory=list)
    percentage: int | None = None


class CanaryStep(ArgoModel):
    set_weight: int | None = None
    pause: Pause | None = None
    experiment: dict[str, Any] | None = None
    analysis: RolloutAnalysis | None = None
    set_canary_scale: SetCanaryScale | None = None
    set_header_route: SetHeaderRoute | None = None
    set_mirror_route: SetMirrorRoute | None = None
    plugin: dict[str, Any] | None = None

    def actions(self) -> list[str]:
        return [k for k, v in self.model_dump(by_alias=True).items() if v is not None]


class NginxRouting(ArgoModel):
    stable_ingress: str | None = None
    stable_ingresses: list[str] = Field(default_factory=list)
    annotation_prefix: str = "nginx.ingress.kubernetes.io"
    additional_ingress_annotations: dict[str, str] = Field(default_factory=dict)
    canary_ingress_annotations: dict[str, str] = Field(default_factory=dict)
    additional_stable_ingresses: list[str] = Field(default_factory=list)

    def ingresses(self) -> list[str]:
        return ([self.stable_ingress] if self.stable_ingress else []) + list(self.stable_ingresses)


class IstioVirtualService(ArgoModel):
    name: str
    routes: list[str] = Field(default_factory=list)
    tls_routes: list[dict[str, Any]] = Field(default_factory=list)
    tcp_routes: list[dict[str, Any]] = Field(default_factory=list)


class IstioDestinationRule(ArgoModel):
    name: str
    canary_subset_name: str
    stable_subset_name: str
    additional_subset_names: list[str] = Field(default_factory=list)


class IstioRouting(ArgoModel):
    virtual_service: IstioVirtualService | None = None
    virtual_services: list[IstioVirtualService] = Field(default_factory=list)
    destination_rule: IstioDestinationRule | None = None

    def all_virtual_services(self) -> list[IstioVirtualService]:
        return ([self.virtual_service] if self.virtual_service else []) + list(self.virtual_services)


class SMIRouting(ArgoModel):
    root_service: str | None = None
    traffic_split_name: str | None = None


class ManagedRoute(ArgoModel):
    name: str


class TrafficRouting(ArgoModel):
    nginx: NginxRouting | None = None
    istio: IstioRouting | None = None
    smi: SMIRouting | None = None
    alb: dict[str, Any] | None = None
    ambassador: dict[str, Any] | None = None
    app_mesh: dict[str, Any] | None = None
    traefik: dict[str, Any] | None = None
    apisix: dict[str, Any] | None = None
    plugins: dict[str, Any] | None = None
    managed_routes: list[ManagedRoute] = Field(default_factory=list)
    max_traffic_weight: int | None = None


class ReplicaProgressThreshold(ArgoModel):
    type: str
    value: int


class CanaryStrategy(ArgoModel):
    canary_service: str | None = None
    stable_service: str | None = None
    steps: list[CanaryStep] = Field(default_factory=list)
    max_surge: IntOrStr | None = None
    max_unavailable: IntOrStr | None = None
    traffic_routing: TrafficRouting | None = None
    analysis: BackgroundAnalysis | None = None
    anti_affinity: dict[str, Any] | None = None
    canary_metadata: RunMetadata | None = None
    stable_metadata: RunMetadata | None = None
    scale_down_delay_seconds: int | None = None
    scale_down_delay_revision_limit: int | None = None
    abort_scale_down_delay_seconds: int | None = None
    dynamic_stable_scale: bool = False
    min_pods_per_replica_set: int | None = None
    replica_progress_threshold: ReplicaProgressThreshold | None = None
    ping_pong: dict[str, Any] | None = None


class BlueGreenStrategy(ArgoModel):
    active_service: str
    preview_service: str | None = None
    preview_replica_count: int | None = None
    auto_promotion_enabled: bool = True
    auto_promotion_seconds: int = 0
    scale_down_delay_seconds: int | None = None
    scale_down_delay_revision_limit: int | None = None
    abort_scale_down_delay_seconds: int | None = None
    pre_promotion_analysis: RolloutAnalysis | None = None
    post_promotion_analysis: RolloutAnalysis | None = None
    anti_affinity: dict[str, Any] | None = None
    preview_metadata: RunMetadata | None = None
    active_metadata: RunMetadata | None = None
    max_unavailable: IntOrStr | None = None


class Strategy(ArgoModel):
    canary: CanaryStrategy | None = None
    blue_green: BlueGreenStrategy | None = None


class RollbackWindow(ArgoModel):
    revisions: int


class RunHistory(ArgoModel):
    successful_run_history_limit: int | None = None
    unsuccessful_run_history_limit: int | None = None


class RolloutSpec(ArgoModel):
    replicas: int | None = None
    selector: dict[str, Any] | None = None
    template: dict[str, Any] | None = None
    workload_ref: dict[str, Any] | None = None
    min_ready_seconds: int = 0
    revision_history_limit: int = 10
    paused: bool = False
    progress_deadline_seconds: int = 600
    progress_deadline_abort: bool = False
    restart_at: str | None = None
    rollback_window: RollbackWindow | None = None
    analysis: RunHistory | None = None
    strategy: Strategy

    @property
    def desired(self) -> int:
        return 1 if self.replicas is None else self.replicas


class Rollout(ArgoModel):
    api_version: str = "argoproj.io/v1alpha1"
    kind: str = "Rollout"
    metadata: ObjectMeta
    spec: RolloutSpec
    status: dict[str, Any] | None = None


def duration_seconds(value: int | str) -> float:
    """Argo's intstr durations: an int or a bare number is seconds, else a Go duration (``30s``, ``1h``)."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"invalid duration {value}: negative")
        return float(value)
    if value.strip().isdigit():
        return float(value.strip())
    seconds = parse_duration(value)
    if seconds < 0:
        raise ValueError(f'invalid duration "{value}": negative')
    return seconds


def validate_rollout(doc: Document, issues: Issues) -> None:
    """Argo's ``ValidateRollout``: model shape first, then the cross-field rules, every problem reported."""
    model = validate_model(Rollout, doc, issues=issues)
    if model is None:
        return
    from shipyard.resources.rollout_rules import check_rollout

    for path, message in check_rollout(model):
        issues.add(path, message)
