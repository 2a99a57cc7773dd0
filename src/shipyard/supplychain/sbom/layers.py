"""The filesystem an image's layers add up to, read straight from the layer tarballs (OCI image-spec layer.md).

Layers apply in order. In a layer, ``.wh.<name>`` deletes ``<name>`` (and everything under it) from the lower
layers, ``.wh..wh..opq`` in a directory hides every lower-layer child of that directory, and a non-directory
replaces a lower directory of the same name. Whiteouts only ever affect lower layers, whatever their position in
the tar. Nothing is extracted: one pass over the tar headers builds the index, and ``contents`` streams each layer
once more to hand over the bytes of the files a cataloger asked for. Member names that climb above the root are
refused, as is a truncated or corrupt layer.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import tarfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from shipyard.errors import DigestMismatchError, SpecError, UnsupportedError
from shipyard.supplychain.sbom.model import SourceInfo
from shipyard.supplychain.sbom.source import FileEntry, Retain, Wanted, normalise

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_OPAQUE = ".wh..wh..opq"


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer: its id (the diff id, else the blob digest) and how to open its bytes (tar, possibly gzipped)."""

    id: str
    open: Callable[[], IO[bytes]]
    label: str = ""
    digest: str | None = None  # the blob digest (OCI descriptor) the bytes must hash to, when known


class _Hashing(io.RawIOBase):
    """Hashes every byte read through it (the blob as stored, before any decompression)."""

    def __init__(self, inner: IO[bytes], algorithm: str) -> None:
        self.inner = inner
        self.hash = hashlib.new(algorithm)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        self.hash.update(data)
        return len(data)


class _Counted(io.RawIOBase):
    """Counts what tarfile reads, to tell a finished archive from one cut short."""

    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


@contextmanager
def tar_stream(fh: IO[bytes], label: str) -> Iterator[tarfile.TarFile]:
    """Read a tar (plain, gzip, bzip2 or xz) sequentially; a truncated or corrupt archive is a ``SpecError``.

    Python's tarfile stops quietly at a short header, so the archive must have been read to at least one
    end-of-archive block past the last member, and gzip streams must reach their end marker.
    """
    head = fh.peek(6)[:6] if hasattr(fh, "peek") else b""
    if head[:4] == _ZSTD_MAGIC:
        raise UnsupportedError(f"{label} is zstd-compressed; shipyard reads tar, tar+gzip, tar+bzip2 and tar+xz")
    inner: IO[bytes] = fh
    if head[:2] == b"\x1f\x8b":
        inner = gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[assignment]
    elif head[:3] == b"BZh":
        inner = bz2.BZ2File(fh, mode="rb")
    elif head == _XZ_MAGIC:
        inner = lzma.LZMAFile(fh, mode="rb")  # noqa: SIM115 - closed with fh by the caller
    counted = _Counted(inner)
    try:
        with tarfile.open(fileobj=counted, mode="r|") as tar:
            yield tar
            for _ in tar:  # drain to the end so the end-of-archive check sees everything
                pass
            if counted.count < tar.offset + tarfile.BLOCKSIZE:
                raise tarfile.ReadError("archive ends without its end-of-archive blocks")
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, lzma.LZMAError, OSError) as exc:
        raise SpecError(f"not a readable tar ({exc}); is it truncated?", file=label) from exc


@contextmanager
def _tar(layer: Layer) -> Iterator[tarfile.TarFile]:
    """The layer's tar; when its blob digest is known, the whole blob must hash to it (image-spec descriptor.md:
    content is verified against the digest), else a ``DigestMismatchError`` — an SBOM names the image by digest."""
    fh = layer.open()
    label = layer.label or layer.id
    hashing: _Hashing | None = None
    stream: IO[bytes] = fh
    if layer.digest:
        alg, _, want = layer.digest.partition(":")
        if alg not in ("sha256", "sha512"):
            raise UnsupportedError(f"{label}: digest algorithm {alg!r} (sha256 and sha512 are supported)")
        hashing = _Hashing(fh, alg)
        stream = io.BufferedReader(hashing, buffer_size=1 << 20)
    try:
        with tar_stream(stream, label) as tar:
            yield tar
        if hashing is not None:
            while stream.read(1 << 20):  # whatever follows the tar (padding) is part of the blob
                pass
            if hashing.hash.hexdigest() != want:
                raise DigestMismatchError(
                    f"{label}: layer blob hashes to {alg}:{hashing.hash.hexdigest()}, its descriptor says {layer.digest}"
                )
    finally:
        fh.close()


class LayeredSource:
    """The final filesystem of ``layers``. ``contents`` reads everything in one pass over each layer: the index
    and the bytes of wanted files together, so an image is decompressed once per catalogue."""

    def __init__(self, layers: list[Layer], info: SourceInfo) -> None:
        self.layers = layers
        self._info = info
        self._index: dict[str, FileEntry] | None = None

    @property
    def info(self) -> SourceInfo:
        return self._info

    def _build(self, wanted: Wanted | None, retain: Retain | None) -> tuple[dict[str, FileEntry], dict[str, bytes]]:
        index: dict[str, FileEntry] = {}
        data: dict[str, bytes] = {}
        dirs: set[str] = set()
        for layer in self.layers:
            label = layer.label or layer.id
            adds: dict[str, FileEntry | None] = {}  # None marks a directory
            add_data: dict[str, bytes] = {}
            removed: list[str] = []
            opaque: list[str] = []
            with _tar(layer) as tar:
                for member in tar:
                    path = normalise(member.name)
                    if path is None:
                        raise SpecError(f"member {member.name!r} escapes the root filesystem", file=label)
                    if path == "/":
                        continue
                    parent, _, base = path.rpartition("/")
                    if base.startswith(".wh."):
                        if base == _OPAQUE:
                            opaque.append(parent)
                        elif base == ".wh.":
                            raise SpecError("bare whiteout '.wh.' is invalid (image-spec layer.md)", file=label)
                        else:
                            removed.append(f"{parent}/{base[4:]}")
                        continue
                    add_data.pop(path, None)  # a later member of the same name replaces an earlier one
                    if member.isdir():
                        adds[path] = None
                    elif member.issym():
                        adds[path] = FileEntry(path, 0, member.mode & 0o7777, layer.id, member.linkname)
                    elif member.isreg() or member.islnk():
                        entry = FileEntry(path, member.size, member.mode & 0o7777, layer.id)
                        adds[path] = entry
                        if wanted is not None and wanted(entry):
                            if member.isreg():
                                fh = tar.extractfile(member)
                                blob: bytes | None = fh.read() if fh is not None else b""
                            else:
                                # A hard link shares an earlier member's bytes (same tar): reuse them if kept.
                                target = normalise(member.linkname)
                                blob = add_data.get(target) if target else None
                            if blob is not None and (retain is None or retain(entry, blob)):
                                add_data[path] = blob
            # Whiteouts only affect lower layers, wherever they sit in this layer's tar.
            for gone in removed:
                _drop(index, dirs, data, gone, itself=True)
            for directory in opaque:
                _drop(index, dirs, data, directory, itself=False)
            for path, added in adds.items():
                data.pop(path, None)
                if added is None:
                    index.pop(path, None)
                    dirs.add(path)
                    continue
                if path in dirs:
                    _drop(index, dirs, data, path, itself=True)
                index[path] = added
                if path in add_data:
                    data[path] = add_data[path]
        return index, data

    def entries(self) -> Iterator[FileEntry]:
        if self._index is None:
            self._index, _ = self._build(None, None)
        for path in sorted(self._index):
            yield self._index[path]

    def contents(self, wanted: Wanted, retain: Retain | None = None) -> Iterator[tuple[FileEntry, bytes]]:
        index, data = self._build(wanted, retain)
        self._index = index
        for path in sorted(data):
            yield index[path], data[path]


def _drop(index: dict[str, FileEntry], dirs: set[str], data: dict[str, bytes], path: str, *, itself: bool) -> None:
    prefix = path.rstrip("/") + "/"
    for p in [p for p in index if p.startswith(prefix) or (itself and p == path)]:
        del index[p]
        data.pop(p, None)
    for d in [d for d in dirs if d.startswith(prefix) or (itself and d == path)]:
        dirs.discard(d)
