"""Build small OCI image layouts for tests and benchmarks: a directory as a gzipped layer tar, and a layout
(``oci-layout``, ``index.json``, ``blobs/sha256``) holding one image made of given layers."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path


def tar_bytes(entries: list[tuple[str, bytes | None, int]], *, gz: bool = True) -> bytes:
    """A layer tar from ``(name, data or None for a directory, mode)``; gzipped with mtime 0 by default."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.mode = mode
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if gz else raw


def directory_entries(root: Path) -> list[tuple[str, bytes | None, int]]:
    out: list[tuple[str, bytes | None, int]] = []
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            continue
        rel = "./" + p.relative_to(root).as_posix()
        out.append((rel, None if p.is_dir() else p.read_bytes(), p.stat().st_mode & 0o7777))
    return out


def _blob(root: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs/sha256").mkdir(parents=True, exist_ok=True)
    (root / "blobs/sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def write_layout(root: Path, layers: list[bytes], ref: str = "app:v1") -> str:
    """An OCI image layout holding one linux/amd64 image of gzipped ``layers``; returns the manifest digest."""
    diff_ids = ["sha256:" + hashlib.sha256(gzip.decompress(x)).hexdigest() for x in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}})
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **_blob(root, config.encode())},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **_blob(root, x)} for x in layers],
    }
    mdesc = _blob(root, json.dumps(manifest).encode())
    desc = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **mdesc,
        "annotations": {"org.opencontainers.image.ref.name": ref},
    }
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [desc]}))
    (root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    return str(mdesc["digest"])
