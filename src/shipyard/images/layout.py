"""The content store: an OCI image layout directory (image-spec ``image-layout.md``).

    <root>/oci-layout          {"imageLayoutVersion":"1.0.0"}
    <root>/index.json          an image index; each named image carries org.opencontainers.image.ref.name
    <root>/blobs/sha256/<hex>  content, named by its digest

Blobs are written to a temp file beside their final name, hashed while written, and renamed into place only
when the digest matches, so a reader never sees a partial or wrong blob. ``index.json`` is rewritten
atomically under an exclusive ``flock``, so concurrent writers (several builds, a pull) do not lose tags.
Whatever skopeo calls ``oci:<root>:<ref.name>`` reads it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from shipyard.errors import DigestMismatchError, NotFoundError, SpecError
from shipyard.images.oci import (
    ANNOTATION_REF_NAME,
    INDEX_TYPES,
    MANIFEST_TYPES,
    OCI_INDEX,
    Descriptor,
    Index,
    Manifest,
    canonical_json,
    media_type_of,
)
from shipyard.images.reference import validate_digest

LAYOUT_VERSION = {"imageLayoutVersion": "1.0.0"}
STORE_DIR = "oci"


def store_path(home: str | os.PathLike[str]) -> Path:
    """The content store of a shipyard home: ``<SHIPYARD_HOME>/oci``."""
    return Path(home) / STORE_DIR


CACHE_DIR = "shipyard-cache"


def _fsync_replace(tmp: str, final: Path) -> None:
    os.replace(tmp, final)


class BlobWriter:
    """Streams a blob into the store; ``commit`` checks the digest and renames it into place."""

    def __init__(self, layout: OciLayout) -> None:
        self._layout = layout
        self._hash = hashlib.sha256()
        self.size = 0
        fd, self._tmp = tempfile.mkstemp(dir=layout.blobs_dir, prefix=".ingest-")
        self._fh: IO[bytes] = os.fdopen(fd, "wb")
        self._done = False

    def write(self, chunk: bytes) -> int:
        self._hash.update(chunk)
        self.size += len(chunk)
        return self._fh.write(chunk)

    @property
    def digest(self) -> str:
        return "sha256:" + self._hash.hexdigest()

    def commit(self, expected: str | None = None) -> tuple[str, int]:
        self._fh.close()
        digest = self.digest
        self._done = True
        if expected is not None and expected != digest:
            os.unlink(self._tmp)
            raise DigestMismatchError(f"content hashes to {digest}, expected {expected}; nothing was stored")
        final = self._layout.blob_path(digest)
        os.chmod(self._tmp, 0o644)
        os.replace(self._tmp, final)
        return digest, self.size

    def abort(self) -> None:
        if not self._done:
            self._fh.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._tmp)
            self._done = True

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


@dataclass(frozen=True, slots=True)
class StoredImage:
    name: str
    descriptor: Descriptor


class OciLayout:
    """An OCI image layout on disk. Creates the directory skeleton on first use."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.blobs_dir = self.root / "blobs" / "sha256"
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        marker = self.root / "oci-layout"
        if not marker.exists():
            self._atomic(marker, canonical_json(LAYOUT_VERSION))
        if not (self.root / "index.json").exists():
            with self._locked():
                if not (self.root / "index.json").exists():
                    self._write_index([])

    # -- blobs ---------------------------------------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        validate_digest(digest)
        alg, _, hexpart = digest.partition(":")
        if alg != "sha256":
            raise SpecError(f"unsupported digest algorithm {alg!r}: the store keeps sha256 only", path="digest")
        return self.blobs_dir / hexpart

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def write_blob(self, data: bytes, expected: str | None = None) -> tuple[str, int]:
        with self.writer() as w:
            w.write(data)
            return w.commit(expected)

    def ingest_file(self, path: Path, expected: str | None = None) -> tuple[str, int]:
        with self.writer() as w, open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                w.write(chunk)
            return w.commit(expected)

    def read_blob(self, digest: str, *, verify: bool = False) -> bytes:
        try:
            data = self.blob_path(digest).read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"blob {digest} is not in the store {self.root}") from exc
        if verify and "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise DigestMismatchError(f"stored blob {digest} is corrupt (hash differs); remove it and pull again")
        return data

    def open_blob(self, digest: str) -> IO[bytes]:
        try:
            return open(self.blob_path(digest), "rb")
        except FileNotFoundError as exc:
            raise NotFoundError(f"blob {digest} is not in the store {self.root}") from exc

    def put_json(self, doc: Manifest | Index) -> Descriptor:
        raw = doc.to_bytes()
        digest, size = self.write_blob(raw)
        return Descriptor(doc.media_type, digest, size)

    # -- index.json ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.root / ".lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _atomic(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
            _fsync_replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _read_index(self) -> list[Descriptor]:
        try:
            raw = (self.root / "index.json").read_bytes()
        except FileNotFoundError:
            return []
        return list(Index.from_bytes(raw).manifests)

    def _write_index(self, manifests: list[Descriptor]) -> None:
        self._atomic(self.root / "index.json", Index(tuple(manifests), media_type=OCI_INDEX).to_bytes())

    def _update_index(self, change: Callable[[list[Descriptor]], list[Descriptor]]) -> None:
        with self._locked():
            self._write_index(change(self._read_index()))

    def tag(self, name: str, desc: Descriptor) -> None:
        """Point ``name`` (a full reference or a bare tag) at ``desc``, replacing an older entry of that name."""
        if not self.has_blob(desc.digest):
            raise NotFoundError(f"cannot tag {name}: manifest {desc.digest} is not in the store")
        annotations = {**desc.annotations, ANNOTATION_REF_NAME: name}
        entry = Descriptor(desc.media_type, desc.digest, desc.size, annotations, desc.platform, desc.artifact_type)

        def change(items: list[Descriptor]) -> list[Descriptor]:
            kept = [d for d in items if d.annotations.get(ANNOTATION_REF_NAME) != name]
            return [*kept, entry]

        self._update_index(change)

    def untag(self, name: str) -> Descriptor:
        found: list[Descriptor] = []

        def change(items: list[Descriptor]) -> list[Descriptor]:
            found.extend(d for d in items if d.annotations.get(ANNOTATION_REF_NAME) == name)
            return [d for d in items if d.annotations.get(ANNOTATION_REF_NAME) != name]

        self._update_index(change)
        if not found:
            raise NotFoundError(f"no image named {name!r} in the store {self.root}")
        return found[0]

    def images(self) -> list[StoredImage]:
        out = []
        for d in self._read_index():
            name = d.annotations.get(ANNOTATION_REF_NAME)
            if name:
                out.append(StoredImage(name, d))
        return sorted(out, key=lambda s: s.name)

    def resolve(self, name: str) -> Descriptor:
        """A name from ``index.json``, or a digest of a manifest in the store."""
        for d in self._read_index():
            if d.annotations.get(ANNOTATION_REF_NAME) == name:
                return d
        if name.startswith("sha256:") and self.has_blob(name):
            raw = self.read_blob(name)
            return Descriptor(media_type_of(raw), name, len(raw))
        raise NotFoundError(f"no image named {name!r} in the store {self.root} (see `shipyard image ls`)")

    def manifest(self, desc: Descriptor) -> Manifest:
        return Manifest.from_bytes(self.read_blob(desc.digest))

    # -- cache entries ------------------------------------------------------------------------------
    def cache_get(self, key: str) -> dict[str, Any] | None:
        path = self.root / CACHE_DIR / f"{key}.json"
        try:
            entry: dict[str, Any] = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        layer = entry.get("layer")
        if layer is not None and not self.has_blob(str(layer.get("digest"))):
            return None
        return entry

    def cache_put(self, key: str, entry: dict[str, Any]) -> None:
        path = self.root / CACHE_DIR / f"{key}.json"
        path.parent.mkdir(exist_ok=True)
        self._atomic(path, canonical_json(entry))

    def save_meta(self, rel: str, obj: Any) -> None:
        """Builder bookkeeping (e.g. the context stat cache) under ``shipyard-cache/meta/``."""
        path = self.root / CACHE_DIR / "meta" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        self._atomic(path, canonical_json(obj))

    def update_meta(self, rel: str, change: Callable[[Any], Any]) -> None:
        """Read-modify-write a bookkeeping file under the store's lock (concurrent writers lose nothing)."""
        with self._locked():
            self.save_meta(rel, change(self.load_meta(rel)))

    def load_meta(self, rel: str) -> Any:
        try:
            return json.loads((self.root / CACHE_DIR / "meta" / rel).read_bytes())
        except (OSError, ValueError):
            return None

    # -- garbage collection -------------------------------------------------------------------------
    def referenced(self, *, keep_cache: bool = True) -> set[str]:
        """Every blob reachable from index.json (and from cache entries unless ``keep_cache`` is false)."""
        live: set[str] = set()
        todo = [d for d in self._read_index()]
        while todo:
            d = todo.pop()
            if d.digest in live or not self.has_blob(d.digest):
                continue
            live.add(d.digest)
            if d.media_type in INDEX_TYPES:
                todo.extend(Index.from_bytes(self.read_blob(d.digest)).manifests)
            elif d.media_type in MANIFEST_TYPES:
                m = self.manifest(d)
                live.add(m.config.digest)
                live.update(layer.digest for layer in m.layers)
        if keep_cache and (self.root / CACHE_DIR).is_dir():
            for path in (self.root / CACHE_DIR).glob("*.json"):
                with contextlib.suppress(ValueError, OSError):
                    layer = json.loads(path.read_bytes()).get("layer") or {}
                    if layer.get("digest"):
                        live.add(str(layer["digest"]))
        return live

    def gc(
        self, *, keep_cache: bool = True, dry_run: bool = False, now: float | None = None, grace: float = 0.0
    ) -> list[tuple[str, int]]:
        """Remove blobs nothing references; returns (digest, size) of each removed (or removable) blob.

        With ``now`` and ``grace`` (seconds), blobs and leftover ``.ingest-`` files younger than ``grace`` are
        kept: a build or pull still running has written them but not yet tagged its image."""
        removed = []
        with self._locked():
            live = self.referenced(keep_cache=keep_cache)
            for path in sorted(self.blobs_dir.iterdir()):
                st = path.stat()
                if now is not None and now - st.st_mtime < grace:
                    continue
                if path.name.startswith(".ingest-"):  # an interrupted write
                    if not dry_run:
                        path.unlink()
                    continue
                if path.name.startswith("."):
                    continue
                digest = f"sha256:{path.name}"
                if digest not in live:
                    removed.append((digest, st.st_size))
                    if not dry_run:
                        path.unlink()
            if not keep_cache and not dry_run and (self.root / CACHE_DIR).is_dir():
                for path in (self.root / CACHE_DIR).glob("*.json"):
                    path.unlink()
        return removed
