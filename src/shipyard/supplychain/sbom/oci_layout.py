"""Open an image from an OCI image layout (image-spec image-layout.md) as a ``LayeredSource``: a directory, or
the same layout inside a tar (``oci-archive``, and ``docker save`` from Docker 25 on) read in place.

``index.json`` → (nested index →) image manifest → config (for ``rootfs.diff_ids``) → layer blobs at
``blobs/<alg>/<hex>``. A reference picks the manifest whose ``org.opencontainers.image.ref.name`` matches (or,
in a docker archive, whose ``io.containerd.image.name`` does); with none, the layout must hold exactly one image.
Multi-platform indexes pick ``linux/amd64`` unless told otherwise.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

from shipyard.errors import DigestMismatchError, NotFoundError, SpecError
from shipyard.supplychain.sbom.layers import Layer, LayeredSource
from shipyard.supplychain.sbom.model import SourceInfo, SourceKind

_INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
_REF_KEYS = ("org.opencontainers.image.ref.name", "io.containerd.image.name")
_DIGEST = re.compile(r"^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$")


class LayoutFiles(Protocol):
    """Read access to the files of a layout, by path relative to its root."""

    label: str

    def read(self, rel: str) -> bytes:
        """The file's bytes; ``FileNotFoundError`` when it is absent."""
        ...

    def opener(self, rel: str) -> Callable[[], IO[bytes]]:
        """A function that opens the file for streaming; ``FileNotFoundError`` when it is absent."""
        ...


class DirectoryFiles:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)

    def read(self, rel: str) -> bytes:
        return (self.root / rel).read_bytes()

    def opener(self, rel: str) -> Callable[[], IO[bytes]]:
        path = self.root / rel
        if not path.is_file():
            raise FileNotFoundError(str(path))

        def open_blob() -> IO[bytes]:
            return open(path, "rb")  # the layer reader closes it

        return open_blob


def blob_path(digest: str, label: str) -> str:
    alg, _, hexpart = digest.partition(":")
    if not alg.isalnum() or not hexpart or not all(c in "0123456789abcdef" for c in hexpart):
        raise SpecError(f"malformed digest {digest!r}", file=label)
    return f"blobs/{alg}/{hexpart}"


def read_json(files: LayoutFiles, rel: str, what: str) -> Any:
    try:
        return json.loads(files.read(rel))
    except FileNotFoundError as exc:
        raise NotFoundError(f"{files.label}: {what} is missing") from exc
    except ValueError as exc:
        raise SpecError(f"{what} is not JSON: {exc}", file=files.label) from exc


def _object(files: LayoutFiles, digest: str) -> dict[str, Any]:
    """A JSON blob (index, manifest, config), refused unless its bytes hash to its name (image-layout.md: blob
    content MUST match its digest). The SBOM names the image by this digest and is attested to it."""
    rel = blob_path(digest, files.label)
    try:
        raw = files.read(rel)
    except FileNotFoundError as exc:
        raise NotFoundError(f"{files.label}: blob {digest} is missing") from exc
    alg, _, hexpart = digest.partition(":")
    if alg not in ("sha256", "sha512"):
        raise SpecError(f"unsupported digest algorithm in {digest!r}", file=files.label)
    actual = hashlib.new(alg, raw).hexdigest()
    if actual != hexpart:
        raise DigestMismatchError(f"{files.label}: blob {digest} hashes to {alg}:{actual}")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise SpecError(f"blob {digest} is not JSON: {exc}", file=files.label) from exc
    if not isinstance(data, dict):
        raise SpecError(f"blob {digest} is not a JSON object", file=files.label)
    return data


def _name_of(desc: dict[str, Any]) -> str | None:
    annotations = desc.get("annotations") or {}
    return next((str(annotations[k]) for k in _REF_KEYS if annotations.get(k)), None)


def _pick(label: str, manifests: list[dict[str, Any]], ref: str | None, platform: str) -> dict[str, Any]:
    if ref is not None:
        named = [m for m in manifests if ref in {(m.get("annotations") or {}).get(k) for k in _REF_KEYS}]
        if not named:
            raise NotFoundError(f"{label}: no image named {ref!r} in index.json")
        manifests = named
    if len(manifests) > 1:
        os_, _, arch = platform.partition("/")
        matching = [
            m
            for m in manifests
            if (m.get("platform") or {}).get("os") == os_ and (m.get("platform") or {}).get("architecture") == arch
        ]
        if len(matching) != 1:
            raise SpecError(f"index holds {len(manifests)} images; name the one to read", file=label)
        manifests = matching
    if not manifests:
        raise NotFoundError(f"{label}: index.json lists no images")
    return manifests[0]


def layered(files: LayoutFiles, config: dict[str, Any], layer_paths: list[tuple[str, str]]) -> list[Layer]:
    """Layers from ``(path, blob digest)`` pairs, identified by the config's diff ids when it has them."""
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    if diff_ids and len(diff_ids) != len(layer_paths):
        raise SpecError(f"config has {len(diff_ids)} diff_ids for {len(layer_paths)} layers", file=files.label)
    layers: list[Layer] = []
    for i, (rel, digest) in enumerate(layer_paths):
        try:
            opener = files.opener(rel)
        except FileNotFoundError as exc:
            raise NotFoundError(f"{files.label}: layer {digest or rel} is missing") from exc
        layers.append(
            Layer(
                id=str(diff_ids[i]) if diff_ids else digest,
                open=opener,
                label=f"{files.label}:{rel}",
                digest=digest if _DIGEST.match(digest) else None,  # docker-archive layers are named by path
            )
        )
    return layers


def open_layout_files(files: LayoutFiles, ref: str | None = None, *, platform: str = "linux/amd64") -> LayeredSource:
    index = read_json(files, "index.json", "index.json (not an OCI image layout?)")
    if not isinstance(index, dict):
        raise SpecError("index.json is not a JSON object", file=files.label)
    desc = _pick(files.label, list(index.get("manifests") or []), ref, platform)
    name = ref or _name_of(desc)
    while desc.get("mediaType") in _INDEX_TYPES:
        nested = _object(files, str(desc["digest"]))
        desc = _pick(files.label, list(nested.get("manifests") or []), None, platform)
    manifest_digest = str(desc.get("digest"))
    manifest = _object(files, manifest_digest)
    config = _object(files, str((manifest.get("config") or {}).get("digest")))
    descs = list(manifest.get("layers") or [])
    paths = [(blob_path(str(d.get("digest")), files.label), str(d.get("digest"))) for d in descs]
    layers = layered(files, config, paths)
    info = SourceInfo(
        SourceKind.IMAGE,
        name=name or Path(files.label).name,
        digest=manifest_digest,
        layers=tuple(x.id for x in layers),
    )
    return LayeredSource(layers, info)


def open_layout(root: str | Path, ref: str | None = None, *, platform: str = "linux/amd64") -> LayeredSource:
    base = Path(root)
    if not (base / "index.json").is_file():
        raise NotFoundError(f"{root}: not an OCI image layout (no index.json)")
    return open_layout_files(DirectoryFiles(base), ref, platform=platform)
