"""Images saved as one tar file, read in place (layers are byte ranges of the outer tar, never extracted):

* an OCI layout in a tar (``skopeo copy ... oci-archive:img.tar``; ``docker save`` from Docker 25 on, which
  writes ``index.json`` and ``blobs/`` beside its ``manifest.json``) — read as a layout;
* the older ``docker save`` format: ``manifest.json`` = ``[{"Config", "RepoTags", "Layers"}]`` with layer paths
  inside the tar. It has no manifest digest; the image is named by its first repo tag.

The outer tar must be uncompressed (as both tools write it): compressed archives cannot be read in place.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from shipyard.errors import NotFoundError, SpecError, UnsupportedError
from shipyard.supplychain.sbom.layers import LayeredSource
from shipyard.supplychain.sbom.model import SourceInfo, SourceKind
from shipyard.supplychain.sbom.oci_layout import layered, open_layout_files, read_json
from shipyard.supplychain.sbom.source import normalise


class _Range(io.RawIOBase):
    def __init__(self, path: Path, offset: int, size: int) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._fh.seek(offset)
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self._left)
        data = self._fh.read(n)
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        self._fh.close()
        super().close()


class ArchiveFiles:
    """The regular files of an uncompressed tar, by normalised relative path, with their byte ranges."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        with open(path, "rb") as fh:
            head = fh.read(2)
        if head == b"\x1f\x8b":
            raise UnsupportedError(f"{path} is compressed; save or copy the image as a plain tar to read it in place")
        self._members: dict[str, tuple[int, int]] = {}
        try:
            with tarfile.open(path, "r:") as tar:
                for m in tar:
                    name = normalise(m.name)
                    if name is None:
                        raise SpecError(f"member {m.name!r} escapes the archive root", file=self.label)
                    if m.isreg():
                        self._members[name.lstrip("/")] = (m.offset_data, m.size)
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise SpecError(f"not a readable image archive ({exc}); is it truncated?", file=self.label) from exc

    def has(self, rel: str) -> bool:
        return rel in self._members

    def read(self, rel: str) -> bytes:
        with self.opener(rel)() as fh:
            return fh.read()

    def opener(self, rel: str) -> Callable[[], IO[bytes]]:
        if rel not in self._members:
            raise FileNotFoundError(f"{self.label}:{rel}")
        offset, size = self._members[rel]

        def open_member() -> IO[bytes]:
            return io.BufferedReader(_Range(self.path, offset, size))

        return open_member


def open_archive(path: str | Path, ref: str | None = None, *, platform: str = "linux/amd64") -> LayeredSource:
    files = ArchiveFiles(Path(path))
    if files.has("index.json"):
        return open_layout_files(files, ref, platform=platform)
    if not files.has("manifest.json"):
        raise NotFoundError(f"{path}: neither an OCI archive (index.json) nor a docker archive (manifest.json)")
    entries = read_json(files, "manifest.json", "manifest.json")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise SpecError("manifest.json is not a list of images", file=files.label)
    if ref is not None:
        entries = [e for e in entries if ref in (e.get("RepoTags") or [])]
        if not entries:
            raise NotFoundError(f"{path}: no image tagged {ref!r}")
    if len(entries) != 1:
        raise SpecError(f"the archive holds {len(entries)} images; name one by its tag", file=files.label)
    entry = entries[0]
    config = read_json(files, str(entry.get("Config")), "the image config")
    if not isinstance(config, dict):
        raise SpecError("the image config is not a JSON object", file=files.label)
    rels = [str(normalise(str(p)) or "").lstrip("/") for p in entry.get("Layers") or []]
    layers = layered(files, config, [(rel, rel) for rel in rels])
    tags = entry.get("RepoTags") or []
    name = ref or (str(tags[0]) if tags else Path(path).name)
    return LayeredSource(
        layers, SourceInfo(SourceKind.IMAGE, name=name, digest=None, layers=tuple(x.id for x in layers))
    )
