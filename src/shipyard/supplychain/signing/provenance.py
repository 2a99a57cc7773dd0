"""SLSA v1 provenance predicate (https://slsa.dev/spec/v1.0/provenance) for an image the pipeline built.

``externalParameters`` are the PipelineRun params; ``resolvedDependencies`` the source repository at its commit
(``git+<url>@<ref>`` with ``digest.gitCommit``) and each base image by digest (``pkg:docker/...``-style URI with
``digest.sha256``); ``runDetails.metadata`` carries the run id and its start/finish times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shipyard.errors import SpecError

DEFAULT_BUILD_TYPE = "https://shipyard.dev/PipelineRun/v1"


@dataclass(frozen=True, slots=True)
class SourceDependency:
    repo_url: str
    commit: str
    ref: str = ""


@dataclass(frozen=True, slots=True)
class ImageDependency:
    reference: str  # repository name, e.g. docker.io/library/python
    digest: str  # sha256:<hex>


@dataclass(frozen=True, slots=True)
class BuildRecord:
    """What the pipeline engine knows about one image build."""

    builder_id: str
    invocation_id: str
    started_on: datetime
    finished_on: datetime
    params: Mapping[str, Any] = field(default_factory=dict)
    source: SourceDependency | None = None
    base_images: Sequence[ImageDependency] = ()
    build_type: str = DEFAULT_BUILD_TYPE
    internal_parameters: Mapping[str, Any] = field(default_factory=dict)


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        raise SpecError("provenance timestamps must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(digest: str) -> dict[str, str]:
    alg, sep, hexd = digest.partition(":")
    if not sep or not hexd:
        raise SpecError(f"dependency digest {digest!r} is not <alg>:<hex>")
    return {alg: hexd}


def slsa_v1_predicate(record: BuildRecord) -> dict[str, Any]:
    """The ``https://slsa.dev/provenance/v1`` predicate for ``record``."""
    if not record.builder_id:
        raise SpecError("provenance needs a builder id")
    if record.finished_on < record.started_on:
        raise SpecError("provenance finish time is before its start time")
    deps: list[dict[str, Any]] = []
    if record.source is not None:
        uri = record.source.repo_url if record.source.repo_url.startswith("git+") else f"git+{record.source.repo_url}"
        if record.source.ref:
            uri = f"{uri}@{record.source.ref}"
        deps.append({"uri": uri, "digest": {"gitCommit": record.source.commit}})
    for image in record.base_images:
        deps.append({"uri": f"pkg:docker/{image.reference}", "digest": _digest(image.digest)})
    definition: dict[str, Any] = {
        "buildType": record.build_type,
        "externalParameters": dict(record.params),
        "resolvedDependencies": deps,
    }
    if record.internal_parameters:
        definition["internalParameters"] = dict(record.internal_parameters)
    return {
        "buildDefinition": definition,
        "runDetails": {
            "builder": {"id": record.builder_id},
            "metadata": {
                "invocationId": record.invocation_id,
                "startedOn": _ts(record.started_on),
                "finishedOn": _ts(record.finished_on),
            },
        },
    }
