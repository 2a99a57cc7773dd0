"""Blob transfer: HEAD to skip, cross-repository mount, monolithic and chunked upload with resume, verified pull.

Upload (distribution-spec "Pushing blobs"): ``POST /blobs/uploads/`` opens a session (or, with
``?mount=&from=``, mounts an existing blob: 201); small blobs then go in one ``PUT <location>?digest=``, large
ones in ``PATCH`` chunks with ``Content-Range`` and a final empty ``PUT``. When a request fails midway, the
session's offset is read back with ``GET <location>`` (``Range: 0-<last>``) and the upload resumes from there;
a dead session starts over. Download streams into the store's ``BlobWriter``, which refuses a wrong digest.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

from shipyard.errors import DigestMismatchError, RegistryError
from shipyard.images.reference import Reference, validate_digest
from shipyard.registry.http import RegistryHTTP, registry_error

Progress = Callable[[int], None]  # called with the number of bytes just transferred
_RANGE = re.compile(r"^(?:bytes=)?0-(\d+)$")


@dataclass(frozen=True, slots=True)
class BlobSource:
    """Blob content to upload: bytes in memory or a file, readable at any offset (for resume)."""

    size: int
    data: bytes | None = None
    path: Path | None = None

    @classmethod
    def from_bytes(cls, data: bytes) -> BlobSource:
        return cls(len(data), data=data)

    @classmethod
    def from_path(cls, path: Path) -> BlobSource:
        return cls(path.stat().st_size, path=path)

    def chunks(self, offset: int, length: int, piece: int = 4 << 20) -> Iterator[bytes]:
        if self.data is not None:
            for start in range(offset, offset + length, piece):
                yield self.data[start : min(start + piece, offset + length)]
            return
        assert self.path is not None
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            left = length
            while left > 0:
                chunk = fh.read(min(piece, left))
                if not chunk:
                    raise RegistryError(f"{self.path} shrank while it was being uploaded")
                left -= len(chunk)
                yield chunk


class BlobSink(Protocol):
    def write(self, chunk: bytes) -> int: ...
    def commit(self, expected: str | None = None) -> tuple[str, int]: ...
    def abort(self) -> None: ...


class _ReadBack(Exception):
    """The upload session must be asked where it stands."""


class BlobOps(RegistryHTTP):
    def _push_scope(self, ref: Reference, mount_from: str | None = None) -> tuple[str, ...]:
        scopes = [f"repository:{ref.path}:pull,push"]
        if mount_from:
            scopes.append(f"repository:{mount_from}:pull")
        return tuple(scopes)

    def blob_exists(self, ref: Reference, digest: str) -> bool:
        resp = self.request(
            "HEAD", ref, self.url(ref, f"blobs/{validate_digest(digest)}"), scopes=(f"repository:{ref.path}:pull",)
        )
        if resp.status_code == 200:
            return True
        if resp.status_code == 404:
            return False
        raise registry_error(resp, f"HEAD blob {ref.repository}@{digest}")

    def _location(self, resp_location: str | None, base: str) -> str:
        if not resp_location:
            raise RegistryError("upload response has no Location header")
        return urllib.parse.urljoin(base, resp_location)

    def _start_upload(self, ref: Reference, digest: str, mount_from: str | None) -> str | None:
        """Open an upload session; None when ``mount_from`` made it unnecessary (201 Created)."""
        url = self.url(ref, "blobs/uploads/")
        target = _with_query(url, mount=digest, **{"from": mount_from}) if mount_from else url
        resp = self.request("POST", ref, target, scopes=self._push_scope(ref, mount_from))
        if resp.status_code == 201 and mount_from:
            return None
        if resp.status_code != 202:
            raise registry_error(resp, f"start upload to {ref.repository}")
        return self._location(resp.headers.get("location"), url)

    def mount_blob(self, ref: Reference, digest: str, from_repo: str) -> bool:
        """Cross-repository mount; True when the registry mounted it, False when it opened an upload instead."""
        location = self._start_upload(ref, digest, from_repo)
        if location is None:
            return True
        self.request("DELETE", ref, location, scopes=self._push_scope(ref), retry=False).close()
        return False

    def push_blob(
        self,
        ref: Reference,
        digest: str,
        source: BlobSource,
        *,
        mount_from: str | None = None,
        chunked: bool | None = None,
        progress: Progress | None = None,
    ) -> bool:
        """Upload a blob unless the repository has it; returns False when it was skipped or mounted."""
        validate_digest(digest)
        if self.blob_exists(ref, digest):
            return False
        location = self._start_upload(ref, digest, mount_from)
        if location is None:
            return False
        use_chunks = chunked if chunked is not None else source.size > self.options.monolithic_max
        failures = 0
        offset = 0
        while True:
            try:
                if not use_chunks and offset == 0:
                    self._put_whole(ref, location, digest, source, progress)
                else:
                    location = self._patch_from(ref, location, offset, source, progress)
                    self._finish(ref, location, digest)
                return True
            except _ReadBack as exc:
                failures += 1
                if failures > self.options.retries:
                    raise RegistryError(
                        f"upload of {digest} to {ref.repository} kept failing: {exc.__cause__ or exc}"
                    ) from exc
                self.options.sleep(self.options.backoff * 2 ** (failures - 1))
                if self.blob_exists(ref, digest):  # the final PUT landed, only its answer was lost
                    return True
                state = self._upload_offset(ref, location)
                if state is None:
                    location, offset = self._start_upload(ref, digest, None) or location, 0
                else:
                    location, offset = state

    def _send_upload(self, method: str, ref: Reference, url: str, **kw: object) -> str:
        try:
            resp = self.request(method, ref, url, scopes=self._push_scope(ref), retry=False, **kw)  # type: ignore[arg-type]
        except RegistryError as exc:
            if exc.status is None:  # connection dropped: ask the session where it stands
                raise _ReadBack(str(exc)) from exc
            raise
        if resp.status_code >= 500 or resp.status_code in (416, 429):
            raise _ReadBack(f"HTTP {resp.status_code}")
        if resp.status_code not in (201, 202, 204):
            raise registry_error(resp, f"{method} upload to {ref.repository}")
        return self._location(resp.headers.get("location") or url, url)

    def _put_whole(
        self, ref: Reference, location: str, digest: str, source: BlobSource, progress: Progress | None
    ) -> None:
        def body() -> Iterator[bytes]:
            for chunk in source.chunks(0, source.size):
                yield chunk
                if progress:
                    progress(len(chunk))

        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(source.size)}
        self._send_upload("PUT", ref, _with_query(location, digest=digest), headers=headers, body=body)

    def _patch_from(
        self, ref: Reference, location: str, offset: int, source: BlobSource, progress: Progress | None
    ) -> str:
        size = self.options.chunk_size
        while offset < source.size:
            end = min(offset + size, source.size)
            data = b"".join(source.chunks(offset, end - offset))
            headers = {
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{offset}-{end - 1}",
                "Content-Length": str(len(data)),
            }
            location = self._send_upload("PATCH", ref, location, headers=headers, body=data)
            if progress:
                progress(end - offset)
            offset = end
        return location

    def _finish(self, ref: Reference, location: str, digest: str) -> None:
        self._send_upload("PUT", ref, _with_query(location, digest=digest), headers={"Content-Length": "0"}, body=b"")

    def _upload_offset(self, ref: Reference, location: str) -> tuple[str, int] | None:
        """Where a session stands (``GET <location>`` → 204, ``Range: 0-<last>``); None when it is gone."""
        try:
            resp = self.request("GET", ref, location, scopes=self._push_scope(ref))
        except RegistryError:
            return None
        if resp.status_code != 204:
            return None
        match = _RANGE.match(resp.headers.get("range", "0-0"))
        last = int(match.group(1)) if match else 0
        # distribution reports "0-0" both for nothing and for one byte; restarting at 0 is always safe then.
        offset = last + 1 if last > 0 else 0
        return self._location(resp.headers.get("location") or location, location), offset

    # -- download ------------------------------------------------------------------------------------
    def fetch_blob(
        self, ref: Reference, digest: str, new_sink: Callable[[], BlobSink], progress: Progress | None = None
    ) -> int:
        """Stream a blob into a fresh sink per attempt; the sink's commit refuses a wrong digest.

        A download that drops midway is retried from the start (nothing partial is kept)."""
        validate_digest(digest)
        url = self.url(ref, f"blobs/{digest}")
        attempt = 0
        while True:
            resp = self.request("GET", ref, url, scopes=(f"repository:{ref.path}:pull",), stream=True)
            sink = new_sink()
            try:
                if resp.status_code != 200:
                    resp.read()
                    raise registry_error(resp, f"pull blob {ref.repository}@{digest}")
                for chunk in resp.iter_bytes(1 << 20):
                    sink.write(chunk)
                    if progress:
                        progress(len(chunk))
            except httpx.TransportError as exc:
                sink.abort()
                if attempt >= self.options.retries:
                    raise RegistryError(f"pull blob {ref.repository}@{digest}: {type(exc).__name__}: {exc}") from exc
                self.options.sleep(self.options.backoff * 2**attempt)
                attempt += 1
                continue
            except BaseException:
                sink.abort()
                raise
            finally:
                resp.close()
            _, size = sink.commit(digest)
            return size

    def get_blob(self, ref: Reference, digest: str) -> bytes:
        """A small blob (config, signature payload) in memory, digest checked."""
        resp = self.request(
            "GET", ref, self.url(ref, f"blobs/{validate_digest(digest)}"), scopes=(f"repository:{ref.path}:pull",)
        )
        if resp.status_code != 200:
            raise registry_error(resp, f"pull blob {ref.repository}@{digest}")
        got = "sha256:" + hashlib.sha256(resp.content).hexdigest()
        if got != digest:
            raise DigestMismatchError(f"blob {ref.repository}@{digest} hashes to {got}")
        return resp.content


def _with_query(url: str, **params: str) -> str:
    """Add query parameters to an upload URL, keeping the ones it has (``_state`` and friends)."""
    sep = "&" if urllib.parse.urlsplit(url).query else "?"
    return url + sep + urllib.parse.urlencode(params)
