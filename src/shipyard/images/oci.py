"""OCI image-spec documents: descriptors, manifests, indexes, and media types.

Field names and requirements follow opencontainers/image-spec (``descriptor.md``, ``manifest.md``,
``image-index.md``, ``config.md``). Documents are serialised compactly in a fixed key order, so the same
inputs always give the same bytes and therefore the same digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shipyard.errors import SpecError
from shipyard.images.reference import validate_digest

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"

MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
ALL_MANIFEST_TYPES = MANIFEST_TYPES | INDEX_TYPES
EMPTY_JSON = b"{}"
EMPTY_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"
ANNOTATION_CREATED = "org.opencontainers.image.created"
ANNOTATION_SOURCE = "org.opencontainers.image.source"
ANNOTATION_REVISION = "org.opencontainers.image.revision"
ANNOTATION_VERSION = "org.opencontainers.image.version"


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> bytes:
    """Compact JSON in the key order given: stable bytes for content addressing."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None

    @classmethod
    def parse(cls, text: str) -> Platform:
        """``linux/amd64``, ``linux/arm64/v8`` (the ``--platform`` syntax)."""
        parts = text.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise SpecError(f"invalid platform {text!r}: want os/arch[/variant], e.g. linux/amd64", path="platform")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        return out

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True, slots=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    platform: Platform | None = None
    artifact_type: str | None = None
    urls: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.urls:
            out["urls"] = list(self.urls)
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform:
            out["platform"] = self.platform.to_dict()
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "descriptor") -> Descriptor:
        if not isinstance(data, dict):
            raise SpecError("a descriptor must be an object", path=where)
        for key in ("mediaType", "digest", "size"):
            if key not in data:
                raise SpecError(f"missing required field {key!r}", path=where)
        size = data["size"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise SpecError("size must be a non-negative integer", path=f"{where}.size")
        plat = data.get("platform")
        return cls(
            media_type=str(data["mediaType"]),
            digest=validate_digest(str(data["digest"])),
            size=size,
            annotations={str(k): str(v) for k, v in (data.get("annotations") or {}).items()},
            platform=Platform(str(plat.get("os", "")), str(plat.get("architecture", "")), plat.get("variant"))
            if isinstance(plat, dict)
            else None,
            artifact_type=data.get("artifactType"),
            urls=tuple(data.get("urls") or ()),
        )


@dataclass(frozen=True, slots=True)
class Manifest:
    config: Descriptor
    layers: tuple[Descriptor, ...]
    media_type: str = OCI_MANIFEST
    annotations: Mapping[str, str] = field(default_factory=dict)
    subject: Descriptor | None = None
    artifact_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemaVersion": 2, "mediaType": self.media_type}
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        out["config"] = self.config.to_dict()
        out["layers"] = [d.to_dict() for d in self.layers]
        if self.subject:
            out["subject"] = self.subject.to_dict()
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_dict())

    @classmethod
    def from_bytes(cls, raw: bytes) -> Manifest:
        data = _load(raw, "manifest")
        if data.get("schemaVersion") != 2:
            raise SpecError("schemaVersion must be 2", path="manifest.schemaVersion")
        mt = data.get("mediaType", OCI_MANIFEST)
        if mt not in MANIFEST_TYPES:
            raise SpecError(f"not an image manifest: mediaType {mt!r}", path="manifest.mediaType")
        if "config" not in data or not isinstance(data.get("layers", []), list):
            raise SpecError("a manifest needs config and layers", path="manifest")
        return cls(
            config=Descriptor.from_dict(data["config"], "manifest.config"),
            layers=tuple(
                Descriptor.from_dict(d, f"manifest.layers[{i}]") for i, d in enumerate(data.get("layers") or [])
            ),
            media_type=mt,
            annotations=dict(data.get("annotations") or {}),
            subject=Descriptor.from_dict(data["subject"], "manifest.subject") if data.get("subject") else None,
            artifact_type=data.get("artifactType"),
        )


@dataclass(frozen=True, slots=True)
class Index:
    manifests: tuple[Descriptor, ...]
    media_type: str = OCI_INDEX
    annotations: Mapping[str, str] = field(default_factory=dict)
    subject: Descriptor | None = None
    artifact_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemaVersion": 2, "mediaType": self.media_type}
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        out["manifests"] = [d.to_dict() for d in self.manifests]
        if self.subject:
            out["subject"] = self.subject.to_dict()
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_dict())

    @classmethod
    def from_bytes(cls, raw: bytes) -> Index:
        data = _load(raw, "index")
        if data.get("schemaVersion") != 2:
            raise SpecError("schemaVersion must be 2", path="index.schemaVersion")
        mt = data.get("mediaType", OCI_INDEX)
        if mt not in INDEX_TYPES:
            raise SpecError(f"not an image index: mediaType {mt!r}", path="index.mediaType")
        items = data.get("manifests")
        if not isinstance(items, list):
            raise SpecError("an index needs a manifests list", path="index.manifests")
        return cls(
            manifests=tuple(Descriptor.from_dict(d, f"index.manifests[{i}]") for i, d in enumerate(items)),
            media_type=mt,
            annotations=dict(data.get("annotations") or {}),
            subject=Descriptor.from_dict(data["subject"], "index.subject") if data.get("subject") else None,
            artifact_type=data.get("artifactType"),
        )


def _load(raw: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SpecError(f"{what} is not valid JSON: {exc}", path=what) from exc
    if not isinstance(data, dict):
        raise SpecError(f"{what} must be a JSON object", path=what)
    return data


def media_type_of(raw: bytes) -> str:
    """The mediaType a manifest-ish document declares (falling back on its shape)."""
    data = _load(raw, "document")
    mt = data.get("mediaType")
    if isinstance(mt, str):
        return mt
    return OCI_INDEX if "manifests" in data else OCI_MANIFEST


def load_config(raw: bytes) -> dict[str, Any]:
    """An image config; checks the fields image-spec marks required."""
    data = _load(raw, "config")
    for key in ("architecture", "os", "rootfs"):
        if key not in data:
            raise SpecError(f"image config is missing {key!r}", path=f"config.{key}")
    return data
