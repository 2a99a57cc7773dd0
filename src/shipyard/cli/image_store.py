"""``shipyard image ls|inspect|rm|gc|push|pull``: the content store and its registry transfers."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from shipyard.cli.image_common import RichTransfer, client, layout
from shipyard.cli.output import OutputFormat, console, emit
from shipyard.cli.registry import record_push
from shipyard.images.layout import OciLayout
from shipyard.images.oci import INDEX_TYPES, Index, Manifest
from shipyard.images.reference import parse_reference
from shipyard.registry.transfer import pull_image, push_image

Output = Annotated[OutputFormat | None, typer.Option("-o", "--output", help="json or yaml for scripts")]
Insecure = Annotated[bool, typer.Option("--insecure", help="plain HTTP to the registry")]


def _name(name: str) -> str:
    """A stored name: the normalised reference, or a digest."""
    return name if name.startswith("sha256:") else str(parse_reference(name))


def _size(store: OciLayout, digest: str, media_type: str) -> int:
    raw = store.read_blob(digest)
    if media_type in INDEX_TYPES:
        return sum(_size(store, d.digest, d.media_type) for d in Index.from_bytes(raw).manifests)
    m = Manifest.from_bytes(raw)
    return len(raw) + m.config.size + sum(layer.size for layer in m.layers)


def ls(output: Output = None) -> None:
    """List images in the content store."""
    store = layout()
    rows: list[dict[str, Any]] = [
        {
            "name": i.name,
            "digest": i.descriptor.digest,
            "mediaType": i.descriptor.media_type,
            "size": _size(store, i.descriptor.digest, i.descriptor.media_type),
        }
        for i in store.images()
    ]
    if output:
        emit(rows, output)
        return
    for r in rows:
        console.print(f"{r['name']:<60} {r['digest'][:19]}  {r['size'] / 1e6:8.1f} MB", highlight=False, soft_wrap=True)


def inspect(name: Annotated[str, typer.Argument(help="image name or digest")], output: Output = None) -> None:
    """Show an image's manifest and config."""
    store = layout()
    desc = store.resolve(_name(name))
    raw = store.read_blob(desc.digest)
    info: dict[str, Any] = {
        "name": name,
        "digest": desc.digest,
        "mediaType": desc.media_type,
        "manifest": json.loads(raw),
    }
    if desc.media_type not in INDEX_TYPES:
        m = store.manifest(desc)
        info["config"] = json.loads(store.read_blob(m.config.digest))
    emit(info, output or "json")


def rm(names: Annotated[list[str], typer.Argument(help="image names")], output: Output = None) -> None:
    """Remove names from the store (blobs stay until `shipyard image gc`)."""
    store = layout()
    removed = [{"name": n, "digest": store.untag(_name(n)).digest} for n in names]
    if output:
        emit(removed, output)
    else:
        for r in removed:
            console.print(f"untagged {r['name']} ({r['digest']})")


def gc(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only list what would go")] = False,
    prune_cache: Annotated[bool, typer.Option("--prune-cache", help="drop build cache layers too")] = False,
    grace: Annotated[float, typer.Option("--grace", help="keep blobs written in the last SECONDS")] = 600.0,
    output: Output = None,
) -> None:
    """Delete blobs no image (or, unless --prune-cache, no cache entry) refers to."""
    # blobs younger than the grace period may belong to a build or pull that is still running
    removed = layout().gc(keep_cache=not prune_cache, dry_run=dry_run, now=time.time(), grace=grace)
    total = sum(s for _, s in removed)
    if output:
        emit({"dryRun": dry_run, "blobs": [d for d, _ in removed], "bytes": total}, output)
    else:
        console.print(f"{'would remove' if dry_run else 'removed'} {len(removed)} blobs, {total / 1e6:.1f} MB")


def push(
    name: Annotated[str, typer.Argument(help="image in the store")],
    target: Annotated[str | None, typer.Argument(help="destination reference (default: NAME)")] = None,
    insecure: Insecure = False,
    digest_file: Annotated[Path | None, typer.Option("--digest-file")] = None,
    output: Output = None,
) -> None:
    """Push an image (manifest or index) from the store to a registry."""
    store = layout()
    desc = store.resolve(_name(name))
    ref = parse_reference(target or name)
    with client(insecure) as c, RichTransfer(output is None) as prog:
        result = push_image(c, store, desc, ref, progress=prog)
    record_push(ref.repository, result.digest, time.time())
    if digest_file:
        digest_file.write_text(result.digest)
    info = {"reference": str(ref), "digest": result.digest, "url": result.url, "uploaded": len(result.uploaded)}
    if output:
        emit(info, output)
    else:
        console.print(result.url, soft_wrap=True, highlight=False)


def pull(
    reference: Annotated[str, typer.Argument(help="image reference")],
    insecure: Insecure = False,
    output: Output = None,
) -> None:
    """Pull an image into the store; every blob's digest is checked before it is stored."""
    ref = parse_reference(reference)
    store = layout()
    with client(insecure) as c, RichTransfer(output is None) as prog:
        desc = pull_image(c, ref, store, progress=prog)
    if output:
        emit({"reference": str(ref), "digest": desc.digest}, output)
    else:
        console.print(f"{ref} {desc.digest}", soft_wrap=True, highlight=False)


def register(app: typer.Typer) -> None:
    for fn in (ls, inspect, rm, gc, push, pull):
        app.command(fn.__name__)(fn)
