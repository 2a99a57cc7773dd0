"""Whole images between the content store and a registry: push (blobs first, then manifests) and pull.

    client = RegistryClient(ClientOptions(insecure=True))
    result = push_image(client, layout, layout.resolve("app:dev"), parse_reference("127.0.0.1:5000/demo/app:v1"))
    result.digest, result.url            # sha256:..., 127.0.0.1:5000/demo/app@sha256:...
    pull_image(client, parse_reference("127.0.0.1:5000/demo/app:v1"), layout)   # verified, then tagged

Indexes push their child manifests by digest before the index itself; every pulled blob and manifest is
checked against its digest before it is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from shipyard.errors import NotFoundError
from shipyard.images.layout import OciLayout
from shipyard.images.oci import INDEX_TYPES, Descriptor, Index, Manifest
from shipyard.images.reference import Reference
from shipyard.registry.blobs import BlobSource
from shipyard.registry.client import RegistryClient


class TransferProgress(Protocol):
    def start(self, digest: str, size: int) -> None: ...
    def advance(self, digest: str, n: int) -> None: ...
    def finish(self, digest: str, *, skipped: bool) -> None: ...


class _Quiet:
    def start(self, digest: str, size: int) -> None:
        return None

    def advance(self, digest: str, n: int) -> None:
        return None

    def finish(self, digest: str, *, skipped: bool) -> None:
        return None


@dataclass(frozen=True, slots=True)
class PushResult:
    reference: Reference
    digest: str
    media_type: str
    size: int
    uploaded: tuple[str, ...]  # blobs that were sent (not skipped or mounted)

    @property
    def url(self) -> str:
        """``repo@digest``: what the seed's kaniko task writes as IMAGE_URL."""
        return f"{self.reference.repository}@{self.digest}"


def _advance(progress: TransferProgress, digest: str) -> Callable[[int], None]:
    return lambda n: progress.advance(digest, n)


def push_image(
    client: RegistryClient,
    layout: OciLayout,
    desc: Descriptor,
    ref: Reference,
    *,
    mount_from: str | None = None,
    progress: TransferProgress | None = None,
    parallel: int = 3,
) -> PushResult:
    """Push the manifest (or index) ``desc`` from ``layout`` to ``ref``'s repository, tagged with ``ref.tag``."""
    prog = progress or _Quiet()
    uploaded: list[str] = []

    def push_blob(d: Descriptor) -> None:
        if not layout.has_blob(d.digest):
            raise NotFoundError(f"cannot push {ref}: blob {d.digest} is missing from the store {layout.root}")
        prog.start(d.digest, d.size)
        src = BlobSource.from_path(layout.blob_path(d.digest))
        sent = client.push_blob(ref, d.digest, src, mount_from=mount_from, progress=_advance(prog, d.digest))
        if sent:
            uploaded.append(d.digest)
        prog.finish(d.digest, skipped=not sent)

    def push_tree(d: Descriptor, target: str) -> str:
        raw = layout.read_blob(d.digest)
        if d.media_type in INDEX_TYPES:
            for child in Index.from_bytes(raw).manifests:
                push_tree(child, child.digest)
        else:
            m = Manifest.from_bytes(raw)
            blobs = [m.config, *m.layers]
            with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
                list(pool.map(push_blob, blobs))
        return client.put_manifest(ref, raw, d.media_type, reference=target)

    target = ref.digest or ref.tag or desc.digest
    digest = push_tree(desc, target)
    return PushResult(
        Reference(ref.domain, ref.path, ref.tag, None), digest, desc.media_type, desc.size, tuple(uploaded)
    )


def pull_image(
    client: RegistryClient,
    ref: Reference,
    layout: OciLayout,
    *,
    name: str | None = None,
    progress: TransferProgress | None = None,
) -> Descriptor:
    """Pull ``ref`` (every platform of an index) into ``layout`` and name it ``name`` (default ``str(ref)``)."""
    prog = progress or _Quiet()

    def fetch(d: Descriptor) -> None:
        if layout.has_blob(d.digest):
            prog.finish(d.digest, skipped=True)
            return
        prog.start(d.digest, d.size)
        client.fetch_blob(ref, d.digest, layout.writer, progress=_advance(prog, d.digest))
        prog.finish(d.digest, skipped=False)

    def pull_tree(reference: str) -> Descriptor:
        raw, media_type, digest = client.get_manifest(ref, reference)
        if media_type in INDEX_TYPES:
            for child in Index.from_bytes(raw).manifests:
                pull_tree(child.digest)
        else:
            m = Manifest.from_bytes(raw)
            for blob in (m.config, *m.layers):
                fetch(blob)
        layout.write_blob(raw, expected=digest)
        return Descriptor(media_type, digest, len(raw))

    desc = pull_tree(ref.identifier)
    layout.tag(name or str(ref), desc)
    return desc
