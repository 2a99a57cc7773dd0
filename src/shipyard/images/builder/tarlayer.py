"""Deterministic layer tars: sorted entries, kept uid/gid/mode, mtimes clamped, gzip without a timestamp.

``LayerWriter`` collects entries (files on disk under an archive name, directories, whiteouts), then writes
them in path order (a directory before its children, whiteouts before their siblings) as a PAX tar with empty
user/group names and ``mtime = min(mtime, SOURCE_DATE_EPOCH)``, gzipped with mtime 0 and no file name,
straight into the content store. The same inputs therefore give the same ``diff_id`` and the same digest.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import queue
import stat
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path

from shipyard.images.layout import BlobWriter, OciLayout
from shipyard.images.oci import OCI_LAYER_GZIP, Descriptor


@dataclass(frozen=True, slots=True)
class LayerResult:
    descriptor: Descriptor
    diff_id: str
    entries: int


@dataclass(frozen=True, slots=True)
class _Item:
    arcname: str
    source: Path | None  # None: a synthetic directory or whiteout
    kind: str  # "path" | "dir" | "whiteout"
    uid: int | None = None
    gid: int | None = None
    mode: int | None = None  # permission bits override (COPY --chmod)


def _sort_key(arcname: str, kind: str) -> tuple[tuple[int, str], ...]:
    # A directory before its children (a prefix sorts first), whiteouts before their siblings.
    parts = arcname.split("/")
    key = [(1, p) for p in parts[:-1]]
    key.append((0 if kind == "whiteout" else 1, parts[-1]))
    return tuple(key)


class _Sink:
    def __init__(self, writer: BlobWriter) -> None:
        self.writer = writer

    def write(self, data: bytes) -> int:
        self.writer.write(data)
        return len(data)

    def flush(self) -> None:
        return None


class _Pipeline:
    """Tar bytes in, gzip into the store out; hashing the tar stream (the diff_id) here while a second thread
    deflates and writes, so reading files and compressing them use two cores (zlib and hashlib drop the GIL)."""

    BATCH = 1 << 20

    def __init__(self, writer: BlobWriter, level: int) -> None:
        self.hash = hashlib.sha256()
        self.pos = 0
        self._buf = bytearray()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        self._error: BaseException | None = None
        self._closed = False
        self._gz = gzip.GzipFile(filename="", mode="wb", fileobj=_Sink(writer), compresslevel=level, mtime=0)
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while (chunk := self._queue.get()) is not None:
                self._gz.write(chunk)
            self._gz.close()
        except BaseException as exc:
            self._error = exc
            while self._queue.get() is not None:  # keep the producer from blocking
                pass

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.pos += len(data)
        self._buf += data
        if len(self._buf) >= self.BATCH:
            self._queue.put(bytes(self._buf))
            self._buf.clear()
        return len(data)

    def tell(self) -> int:
        return self.pos

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._buf:
            self._queue.put(bytes(self._buf))
            self._buf.clear()
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class LayerWriter:
    def __init__(self, layout: OciLayout, *, epoch: int, level: int = 6) -> None:
        self.layout = layout
        self.epoch = epoch
        self.level = level
        self._items: dict[str, _Item] = {}
        self.directories: set[str] = set()  # directory entries written by finish()

    def __len__(self) -> int:
        return len(self._items)

    def add_path(
        self, source: Path, arcname: str, *, uid: int | None = None, gid: int | None = None, mode: int | None = None
    ) -> None:
        self._items[arcname] = _Item(arcname, source, "path", uid, gid, mode)

    def add_dir(self, arcname: str, *, uid: int = 0, gid: int = 0, mode: int = 0o755) -> None:
        if arcname not in self._items:
            self._items[arcname] = _Item(arcname, None, "dir", uid, gid, mode)

    def add_whiteout(self, arcname: str) -> None:
        self._items[arcname] = _Item(arcname, None, "whiteout")

    def _info(self, tar: tarfile.TarFile, item: _Item) -> tarfile.TarInfo | None:
        if item.kind == "path":
            assert item.source is not None
            info = tar.gettarinfo(str(item.source), arcname=item.arcname)
            if info is None:  # sockets cannot be archived
                return None
            if item.uid is not None:
                info.uid = item.uid
            if item.gid is not None:
                info.gid = item.gid
            if item.mode is not None:
                info.mode = (info.mode & ~0o7777) | item.mode
        else:
            info = tarfile.TarInfo(item.arcname)
            if item.kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = item.mode if item.mode is not None else 0o755
                info.uid, info.gid = item.uid or 0, item.gid or 0
                info.mtime = self.epoch
            else:
                info.mode = 0o644
                info.mtime = self.epoch
        info.uname = info.gname = ""
        info.mtime = min(int(info.mtime), self.epoch)
        return info

    def finish(self) -> LayerResult:
        """Write the layer into the store; returns its descriptor and diff_id."""
        writer = self.layout.writer()
        tee = _Pipeline(writer, self.level)
        try:
            count = 0
            with tarfile.TarFile(fileobj=tee, mode="w", format=tarfile.PAX_FORMAT, copybufsize=1 << 20) as tar:  # type: ignore[arg-type]
                for item in sorted(self._items.values(), key=lambda i: _sort_key(i.arcname, i.kind)):
                    info = self._info(tar, item)
                    if info is None:
                        continue
                    count += 1
                    if info.isdir():
                        self.directories.add(item.arcname)
                    if info.isreg() and item.source is not None:
                        with open(item.source, "rb") as fh:
                            tar.addfile(info, fh)
                    else:
                        tar.addfile(info)
            tee.close()
            digest, size = writer.commit()
        except BaseException:
            with contextlib.suppress(BaseException):
                tee.close()
            writer.abort()
            raise
        return LayerResult(Descriptor(OCI_LAYER_GZIP, digest, size), "sha256:" + tee.hash.hexdigest(), count)


def add_tree(writer: LayerWriter, root: Path, prefix: str = "", *, include_root: bool = False) -> None:
    """Add everything under ``root`` to ``writer`` at ``prefix`` (symlinks archived as links, never followed)."""
    if include_root and prefix:
        writer.add_path(root, prefix)
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        base = prefix if rel == "." else (f"{prefix}/{rel}" if prefix else rel)
        for name in dirnames + filenames:
            full = Path(dirpath, name)
            arc = f"{base}/{name}" if base else name
            writer.add_path(full, arc)
        dirnames[:] = [d for d in dirnames if not stat.S_ISLNK(os.lstat(Path(dirpath, d)).st_mode)]
