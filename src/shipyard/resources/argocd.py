"""argoproj.io/v1alpha1 Application: the fields shipyard's sync engine reads and runs.

Field names follow Argo CD ``pkg/apis/application/v1alpha1/types.go`` (camelCase aliases). Unknown fields are
errors with did-you-mean; fields Argo CD has but shipyard does not run (``sources``, helm, plugins, hooks' policies
…) are rejected by name so nothing is silently ignored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shipyard.resources.loader import Document
from shipyard.resources.meta import ObjectMeta as _BaseMeta
from shipyard.resources.validate import Issues, validate_model

API_VERSION = "argoproj.io/v1alpha1"


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, frozen=True, alias_generator=to_camel, coerce_numbers_to_str=True
    )


class ObjectMeta(_BaseMeta):
    name: str  # an Application must be named
    namespace: str = "argocd"
    finalizers: list[str] = Field(default_factory=list)


class KustomizeReplica(_Model):
    name: str
    count: int


class KustomizeOptions(_Model):
    images: list[str] = Field(default_factory=list)
    name_prefix: str = ""
    name_suffix: str = ""
    namespace: str = ""
    common_labels: dict[str, str] = Field(default_factory=dict)
    common_annotations: dict[str, str] = Field(default_factory=dict)
    replicas: list[KustomizeReplica] = Field(default_factory=list)


class Source(_Model):
    repo_url: str = Field(alias="repoURL")
    target_revision: str = "HEAD"
    path: str = "."
    kustomize: KustomizeOptions | None = None


class Destination(_Model):
    server: str = "https://kubernetes.default.svc"
    name: str = ""
    namespace: str = ""


class Automated(_Model):
    enabled: bool = True
    prune: bool = False
    self_heal: bool = False
    allow_empty: bool = False


class Backoff(_Model):
    duration: str = "5s"
    factor: int = 2
    max_duration: str = "3m"


class Retry(_Model):
    limit: int = 5
    backoff: Backoff = Field(default_factory=Backoff)


class SyncPolicy(_Model):
    automated: Automated | None = None
    sync_options: list[str] = Field(default_factory=list)
    retry: Retry | None = None


class IgnoreDifference(_Model):
    group: str = ""
    kind: str
    name: str = ""
    namespace: str = ""
    json_pointers: list[str] = Field(default_factory=list)
    jq_path_expressions: list[str] = Field(default_factory=list)
    managed_fields_managers: list[str] = Field(default_factory=list)


class ApplicationSpec(_Model):
    project: str = "default"
    source: Source
    destination: Destination = Field(default_factory=Destination)
    sync_policy: SyncPolicy = Field(default_factory=SyncPolicy)
    ignore_differences: list[IgnoreDifference] = Field(default_factory=list)
    revision_history_limit: int = 10
    info: list[dict[str, str]] = Field(default_factory=list)


class Application(_Model):
    api_version: str = Field(alias="apiVersion")
    kind: str
    metadata: ObjectMeta
    spec: ApplicationSpec
    status: dict[str, Any] | None = None


def validate_application(doc: Document, issues: Issues) -> None:
    app = validate_model(Application, doc, issues=issues)
    if app is None:
        return
    if app.api_version != API_VERSION:
        issues.add(("apiVersion",), f"want {API_VERSION}")
    if app.spec.sync_policy.retry is not None and app.spec.sync_policy.retry.limit < -1:
        issues.add(("spec", "syncPolicy", "retry", "limit"), "must be -1 (unlimited) or more")
