"""Small, valid OCI images for tests: ``tiny_image(layout, "demo:1", {"hello.txt": b"hi"})``."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Mapping, Sequence

from shipyard.images.layout import OciLayout
from shipyard.images.oci import OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST, Descriptor, Manifest, canonical_json


def layer_bytes(files: Mapping[str, bytes]) -> tuple[bytes, str]:
    """A gzip layer of ``files`` (sorted, mtime 0); returns (compressed bytes, diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    data = raw.getvalue()
    return gzip.compress(data, mtime=0), "sha256:" + hashlib.sha256(data).hexdigest()


def tiny_image(
    layout: OciLayout, name: str | None, *layers: Mapping[str, bytes], config: Mapping[str, object] | None = None
) -> Descriptor:
    """Write an image made of ``layers`` into ``layout``; tag it ``name`` when given. Returns the manifest descriptor."""
    descs: list[Descriptor] = []
    diff_ids: list[str] = []
    for files in layers or ({"hello.txt": b"hello\n"},):
        blob, diff_id = layer_bytes(files)
        digest, size = layout.write_blob(blob)
        descs.append(Descriptor(OCI_LAYER_GZIP, digest, size))
        diff_ids.append(diff_id)
    cfg = {
        "architecture": "amd64",
        "os": "linux",
        "config": dict(config or {}),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    cdigest, csize = layout.write_blob(canonical_json(cfg))
    manifest = Manifest(Descriptor(OCI_CONFIG, cdigest, csize), tuple(descs), media_type=OCI_MANIFEST)
    desc = layout.put_json(manifest)
    if name:
        layout.tag(name, desc)
    return desc


def blob_names(layout: OciLayout) -> Sequence[str]:
    return sorted(p.name for p in layout.blobs_dir.iterdir() if not p.name.startswith("."))
