"""Pydantic models of tekton.dev/v1 (and v1beta1) Task, Pipeline, PipelineRun, TaskRun, and core ConfigMap/Secret.

Field names and nesting follow ``pkg/apis/pipeline/v1/*_types.go``; YAML keys are the camelCase aliases, so a
model dumps back to the YAML it came from (``model_dump(by_alias=True, exclude_none=True)``). Unknown fields are
errors (with did-you-mean, see ``resources.validate``); Kubernetes container fields that a local run ignores are
accepted and kept. Semantic checks (names, DAG, timeouts) live in ``resources.tekton_validate``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shipyard.resources.meta import ObjectMeta

ParamValue = str | list[str] | dict[str, str]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, frozen=True, alias_generator=to_camel, coerce_numbers_to_str=True
    )


class PropertySpec(_Model):
    type: Literal["string"] = "string"


class ParamSpec(_Model):
    name: str
    type: Literal["string", "array", "object"] | None = None
    description: str | None = None
    default: ParamValue | None = None
    properties: dict[str, PropertySpec] | None = None
    enum: list[str] | None = None

    @property
    def kind(self) -> str:
        """Tekton's defaulting: the type is inferred from the default, else string (``ParamSpec.SetDefaults``)."""
        if self.type:
            return self.type
        if isinstance(self.default, list):
            return "array"
        if isinstance(self.default, dict) or self.properties:
            return "object"
        return "string"


class Param(_Model):
    name: str
    value: ParamValue


class ResultSpec(_Model):
    name: str
    type: Literal["string", "array", "object"] = "string"
    description: str | None = None
    properties: dict[str, PropertySpec] | None = None
    value: ParamValue | None = None  # StepAction / pipeline results only


class KeyRef(_Model):
    name: str | None = None
    key: str
    optional: bool | None = None


class EnvVarSource(_Model):
    secret_key_ref: KeyRef | None = None
    config_map_key_ref: KeyRef | None = None
    field_ref: dict[str, Any] | None = None
    resource_field_ref: dict[str, Any] | None = None


class EnvVar(_Model):
    name: str
    value: str | None = None
    value_from: EnvVarSource | None = None


class WhenExpression(_Model):
    input: str | None = None
    operator: Literal["in", "notin"] | None = None
    values: list[str] | None = None
    cel: str | None = None


class _Container(_Model):
    name: str | None = None
    display_name: str | None = None
    image: str | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    env: list[EnvVar] | None = None
    env_from: list[dict[str, Any]] | None = None
    working_dir: str | None = None
    # Kubernetes container fields a local run accepts and ignores.
    image_pull_policy: str | None = None
    compute_resources: dict[str, Any] | None = None
    resources: dict[str, Any] | None = None  # v1beta1 spelling of computeResources
    volume_mounts: list[dict[str, Any]] | None = None
    volume_devices: list[dict[str, Any]] | None = None
    security_context: dict[str, Any] | None = None
    ports: list[dict[str, Any]] | None = None
    liveness_probe: dict[str, Any] | None = None
    readiness_probe: dict[str, Any] | None = None
    startup_probe: dict[str, Any] | None = None
    lifecycle: dict[str, Any] | None = None
    termination_message_path: str | None = None
    termination_message_policy: str | None = None
    stdin: bool | None = None
    stdin_once: bool | None = None
    tty: bool | None = None


class Step(_Container):
    script: str | None = None
    timeout: str | None = None
    on_error: str | None = None
    when: list[WhenExpression] | None = None
    ref: dict[str, Any] | None = None
    params: list[Param] | None = None
    results: list[ResultSpec] | None = None
    stdout_config: dict[str, Any] | None = None
    stderr_config: dict[str, Any] | None = None
    # Isolated workspaces (Step.Workspaces, WorkspaceUsage{name, mountPath}); mounted per step by the runner.
    workspaces: list[dict[str, Any]] | None = None


class StepTemplate(_Container):
    pass


class Sidecar(_Container):
    script: str | None = None
    restart_policy: str | None = None


class WorkspaceDeclaration(_Model):
    name: str
    description: str | None = None
    mount_path: str | None = None
    read_only: bool = False
    optional: bool = False


class EmbeddedMeta(_Model):
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class TaskSpec(_Model):
    description: str | None = None
    display_name: str | None = None
    params: list[ParamSpec] = Field(default_factory=list)
    results: list[ResultSpec] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    step_template: StepTemplate | None = None
    sidecars: list[Sidecar] = Field(default_factory=list)
    workspaces: list[WorkspaceDeclaration] = Field(default_factory=list)
    volumes: list[dict[str, Any]] = Field(default_factory=list)
    # Embedded specs (PipelineTask.taskSpec) may carry metadata.
    metadata: EmbeddedMeta | None = None
    # v1beta1 PipelineResources are gone in v1; accepted only to give a clear error.
    resources: dict[str, Any] | None = None


class ResolverParam(_Model):
    name: str
    value: ParamValue


class Ref(_Model):
    name: str | None = None
    kind: str | None = None
    api_version: str | None = None
    resolver: str | None = None
    params: list[ResolverParam] | None = None
    bundle: str | None = None


class WorkspacePipelineTaskBinding(_Model):
    name: str
    workspace: str | None = None
    sub_path: str | None = None


class MatrixInclude(_Model):
    name: str | None = None
    params: list[Param] = Field(default_factory=list)
    when: list[WhenExpression] = Field(default_factory=list)  # upstream beta/pipelinerun-with-matrix-when-include


class Matrix(_Model):
    params: list[Param] = Field(default_factory=list)
    include: list[MatrixInclude] = Field(default_factory=list)


class PipelineTask(_Model):
    name: str
    display_name: str | None = None
    description: str | None = None
    task_ref: Ref | None = None
    task_spec: TaskSpec | None = None
    pipeline_ref: Ref | None = None
    pipeline_spec: dict[str, Any] | None = None
    params: list[Param] = Field(default_factory=list)
    workspaces: list[WorkspacePipelineTaskBinding] = Field(default_factory=list)
    run_after: list[str] = Field(default_factory=list)
    when: list[WhenExpression] = Field(default_factory=list)
    retries: int = 0
    timeout: str | None = None
    matrix: Matrix | None = None
    on_error: str | None = None


class PipelineWorkspaceDeclaration(_Model):
    name: str
    description: str | None = None
    optional: bool = False


class PipelineResult(_Model):
    name: str
    type: Literal["string", "array", "object"] | None = None
    description: str | None = None
    value: ParamValue


class PipelineSpec(_Model):
    description: str | None = None
    display_name: str | None = None
    params: list[ParamSpec] = Field(default_factory=list)
    workspaces: list[PipelineWorkspaceDeclaration] = Field(default_factory=list)
    tasks: list[PipelineTask] = Field(default_factory=list)
    finally_: list[PipelineTask] = Field(default_factory=list, alias="finally")
    results: list[PipelineResult] = Field(default_factory=list)


class KeyToPath(_Model):
    key: str
    path: str
    mode: int | None = None


class ConfigMapSource(_Model):
    name: str
    items: list[KeyToPath] | None = None
    default_mode: int | None = None
    optional: bool | None = None


class SecretSource(_Model):
    secret_name: str
    items: list[KeyToPath] | None = None
    default_mode: int | None = None
    optional: bool | None = None


class PVCSource(_Model):
    claim_name: str
    read_only: bool | None = None


class WorkspaceBinding(_Model):
    name: str
    sub_path: str | None = None
    empty_dir: dict[str, Any] | None = None
    volume_claim_template: dict[str, Any] | None = None
    persistent_volume_claim: PVCSource | None = None
    config_map: ConfigMapSource | None = None
    secret: SecretSource | None = None
    projected: dict[str, Any] | None = None
    csi: dict[str, Any] | None = None


class Timeouts(_Model):
    pipeline: str | None = None
    tasks: str | None = None
    finally_: str | None = Field(default=None, alias="finally")


class TaskRunTemplate(_Model):
    service_account_name: str | None = None
    pod_template: dict[str, Any] | None = None


class PipelineTaskRunSpec(_Model):
    pipeline_task_name: str
    service_account_name: str | None = None
    pod_template: dict[str, Any] | None = None
    step_specs: list[dict[str, Any]] | None = None
    sidecar_specs: list[dict[str, Any]] | None = None
    metadata: EmbeddedMeta | None = None
    compute_resources: dict[str, Any] | None = None
    timeout: str | None = None


class PipelineRunSpec(_Model):
    pipeline_ref: Ref | None = None
    pipeline_spec: PipelineSpec | None = None
    params: list[Param] = Field(default_factory=list)
    workspaces: list[WorkspaceBinding] = Field(default_factory=list)
    timeouts: Timeouts | None = None
    timeout: str | None = None  # v1beta1
    service_account_name: str | None = None  # v1beta1
    task_run_template: TaskRunTemplate | None = None
    task_run_specs: list[PipelineTaskRunSpec] = Field(default_factory=list)
    status: Literal["Cancelled", "CancelledRunFinally", "StoppedRunFinally", "PipelineRunPending"] | None = None
    managed_by: str | None = None
    pod_template: dict[str, Any] | None = None  # v1beta1


class TaskRunSpec(_Model):
    task_ref: Ref | None = None
    task_spec: TaskSpec | None = None
    params: list[Param] = Field(default_factory=list)
    workspaces: list[WorkspaceBinding] = Field(default_factory=list)
    timeout: str | None = None
    retries: int | None = None
    service_account_name: str | None = None
    pod_template: dict[str, Any] | None = None
    status: Literal["TaskRunCancelled"] | None = None
    status_message: str | None = None
    step_specs: list[dict[str, Any]] | None = None
    sidecar_specs: list[dict[str, Any]] | None = None
    compute_resources: dict[str, Any] | None = None
    debug: dict[str, Any] | None = None
    managed_by: str | None = None


class _Resource(_Model):
    api_version: str
    kind: str
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    status: dict[str, Any] | None = None  # ignored on input; runs report their own


class Task(_Resource):
    spec: TaskSpec


class Pipeline(_Resource):
    spec: PipelineSpec


class PipelineRun(_Resource):
    spec: PipelineRunSpec


class TaskRun(_Resource):
    spec: TaskRunSpec


class ConfigMap(_Resource):
    data: dict[str, str] = Field(default_factory=dict)
    binary_data: dict[str, str] = Field(default_factory=dict)
    immutable: bool | None = None


class Secret(_Resource):
    data: dict[str, str] = Field(default_factory=dict)
    string_data: dict[str, str] = Field(default_factory=dict)
    type: str | None = None
    immutable: bool | None = None


class PersistentVolumeClaim(_Resource):
    """A claim declared next to the runs (upstream mapping-workspaces.yaml). A ``persistentVolumeClaim`` binding
    naming it gets a directory kept across runs; the claim's own spec (size, access modes) is recorded only."""

    spec: dict[str, Any] = Field(default_factory=dict)


MODELS: dict[str, type[_Resource]] = {
    "Task": Task,
    "ClusterTask": Task,
    "Pipeline": Pipeline,
    "PipelineRun": PipelineRun,
    "TaskRun": TaskRun,
    "ConfigMap": ConfigMap,
    "Secret": Secret,
    "PersistentVolumeClaim": PersistentVolumeClaim,
}

TEKTON_VERSIONS = ("tekton.dev/v1", "tekton.dev/v1beta1")
