"""Open an image from an OCI image layout directory (image-spec image-layout.md) as a ``LayeredSource``.

``index.json`` → (nested index →) image manifest → config (for ``rootfs.diff_ids``) → layer blobs at
``blobs/<alg>/<hex>``. A reference picks the manifest whose ``org.opencontainers.image.ref.name`` matches; with
none, the layout must hold exactly one image. Multi-platform indexes pick ``linux/amd64`` unless told otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from shipyard.errors import NotFoundError, SpecError
from shipyard.supplychain.sbom.layers import Layer, LayeredSource
from shipyard.supplychain.sbom.model import SourceInfo, SourceKind

_INDEX_TYPES = {"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
_REF = "org.opencontainers.image.ref.name"


def _blob_path(root: Path, digest: str) -> Path:
    alg, _, hexpart = digest.partition(":")
    if not alg.isalnum() or not hexpart or not all(c in "0123456789abcdef" for c in hexpart):
        raise SpecError(f"malformed digest {digest!r}", file=str(root))
    return root / "blobs" / alg / hexpart


def _json(root: Path, digest: str) -> dict[str, Any]:
    path = _blob_path(root, digest)
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise NotFoundError(f"{root}: blob {digest} is missing from the layout") from exc
    except (ValueError, OSError) as exc:
        raise SpecError(f"blob {digest} is not JSON: {exc}", file=str(root)) from exc
    if not isinstance(data, dict):
        raise SpecError(f"blob {digest} is not a JSON object", file=str(root))
    return data


def _pick(root: Path, manifests: list[dict[str, Any]], ref: str | None, platform: str) -> dict[str, Any]:
    if ref is not None:
        named = [m for m in manifests if (m.get("annotations") or {}).get(_REF) == ref]
        if not named:
            raise NotFoundError(f"{root}: no image named {ref!r} in index.json")
        manifests = named
    if len(manifests) > 1:
        os_, _, arch = platform.partition("/")
        matching = [
            m
            for m in manifests
            if (m.get("platform") or {}).get("os") == os_ and (m.get("platform") or {}).get("architecture") == arch
        ]
        if len(matching) != 1:
            raise SpecError(f"index holds {len(manifests)} images; name one with oci:{root}:<ref>", file=str(root))
        manifests = matching
    if not manifests:
        raise NotFoundError(f"{root}: index.json lists no images")
    return manifests[0]


def open_layout(root: str | Path, ref: str | None = None, *, platform: str = "linux/amd64") -> LayeredSource:
    base = Path(root)
    try:
        index = json.loads((base / "index.json").read_bytes())
    except FileNotFoundError as exc:
        raise NotFoundError(f"{root}: not an OCI image layout (no index.json)") from exc
    except ValueError as exc:
        raise SpecError(f"index.json is not JSON: {exc}", file=str(base / "index.json")) from exc
    desc = _pick(base, list(index.get("manifests") or []), ref, platform)
    while desc.get("mediaType") in _INDEX_TYPES:
        nested = _json(base, str(desc["digest"]))
        desc = _pick(base, list(nested.get("manifests") or []), None, platform)
    manifest_digest = str(desc.get("digest"))
    manifest = _json(base, manifest_digest)
    config = _json(base, str((manifest.get("config") or {}).get("digest")))
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    layer_descs = list(manifest.get("layers") or [])
    if diff_ids and len(diff_ids) != len(layer_descs):
        raise SpecError(f"config has {len(diff_ids)} diff_ids for {len(layer_descs)} layers", file=str(base))
    layers: list[Layer] = []
    for i, ldesc in enumerate(layer_descs):
        path = _blob_path(base, str(ldesc.get("digest")))
        if not path.is_file():
            raise NotFoundError(f"{root}: layer blob {ldesc.get('digest')} is missing from the layout")
        layer_id = str(diff_ids[i]) if diff_ids else str(ldesc.get("digest"))
        layers.append(Layer(id=layer_id, open=_opener(path), label=str(path)))
    name = ref or str((desc.get("annotations") or {}).get(_REF) or base.name)
    info = SourceInfo(SourceKind.IMAGE, name=name, digest=manifest_digest, layers=tuple(x.id for x in layers))
    return LayeredSource(layers, info)


def _opener(path: Path) -> Any:
    def open_blob() -> IO[bytes]:
        return open(path, "rb")  # the layer reader closes it

    return open_blob
