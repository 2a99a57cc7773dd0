"""Flux source.toolkit.fluxcd.io/v1 GitRepository and kustomize.toolkit.fluxcd.io/v1 Kustomization, as far as
shipyard's sync engine runs them. Unknown or unsupported fields are errors, never ignored."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shipyard.resources.loader import Document
from shipyard.resources.meta import ObjectMeta as _BaseMeta
from shipyard.resources.validate import Issues, validate_model


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, frozen=True, alias_generator=to_camel, coerce_numbers_to_str=True
    )


class ObjectMeta(_BaseMeta):
    name: str  # a Flux object must be named
    namespace: str = "flux-system"


class GitRef(_Model):
    branch: str = ""
    tag: str = ""
    semver: str = ""
    name: str = ""
    commit: str = ""


class LocalRef(_Model):
    name: str


class GitRepositorySpec(_Model):
    url: str
    interval: str = "1m"
    ref: GitRef = Field(default_factory=GitRef)
    secret_ref: LocalRef | None = None
    timeout: str = "60s"
    suspend: bool = False


class GitRepository(_Model):
    api_version: str = Field(alias="apiVersion")
    kind: str
    metadata: ObjectMeta
    spec: GitRepositorySpec
    status: dict[str, Any] | None = None


class SourceRef(_Model):
    kind: str = "GitRepository"
    name: str
    namespace: str = ""


class DependsOn(_Model):
    name: str
    namespace: str = ""


class ImageOverride(_Model):
    name: str
    new_name: str = ""
    new_tag: str = ""
    digest: str = ""


class HealthCheck(_Model):
    api_version: str = Field(default="", alias="apiVersion")
    kind: str
    name: str
    namespace: str = ""


class KustomizationSpec(_Model):
    interval: str
    retry_interval: str = ""
    source_ref: SourceRef
    path: str = "./"
    prune: bool
    target_namespace: str = ""
    wait: bool = False
    timeout: str = ""
    health_checks: list[HealthCheck] = Field(default_factory=list)
    depends_on: list[DependsOn] = Field(default_factory=list)
    images: list[ImageOverride] = Field(default_factory=list)
    suspend: bool = False


class Kustomization(_Model):
    api_version: str = Field(alias="apiVersion")
    kind: str
    metadata: ObjectMeta
    spec: KustomizationSpec
    status: dict[str, Any] | None = None


def validate_git_repository(doc: Document, issues: Issues) -> None:
    validate_model(GitRepository, doc, issues=issues)


def validate_kustomization(doc: Document, issues: Issues) -> None:
    k = validate_model(Kustomization, doc, issues=issues)
    if k is not None and k.spec.source_ref.kind != "GitRepository":
        issues.add(("spec", "sourceRef", "kind"), "only GitRepository sources are supported")
