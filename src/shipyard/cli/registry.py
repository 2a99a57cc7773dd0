"""``shipyard registry lifecycle|tags``: ECR-style lifecycle policies against any Distribution registry.

    shipyard registry lifecycle --policy policy.json 127.0.0.1:5000/demo/app            # dry run: what and why
    shipyard registry lifecycle --policy policy.json 127.0.0.1:5000/demo/app --apply    # delete by digest

The Distribution API has no push time and cannot list untagged manifests, so an image's push time is its
config's ``created`` (shipyard sets it from SOURCE_DATE_EPOCH), or when shipyard pushed it, the time recorded in
the store's push log; untagged images are those the push log knows whose tags have since moved away. Referrers
fallback tags (``sha256-<hex>``) are signatures and SBOMs attached to images, not images, and are left alone.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from shipyard.cli.image_common import client, layout
from shipyard.cli.output import OutputFormat, console, emit
from shipyard.errors import RegistryError, SpecError
from shipyard.images.lifecycle import Image, load_policy, plan
from shipyard.images.oci import INDEX_TYPES, Index, Manifest
from shipyard.images.reference import Reference, parse_reference
from shipyard.registry.client import RegistryClient

app = typer.Typer(
    name="registry", help="Registry housekeeping: tags and ECR-style lifecycle policies.", no_args_is_help=True
)
Output = Annotated[OutputFormat | None, typer.Option("-o", "--output", help="json or yaml for scripts")]
Insecure = Annotated[bool, typer.Option("--insecure", help="plain HTTP to the registry")]
_REFERRERS_TAG = re.compile(r"^sha256-[0-9a-f]{64}$")
PUSH_LOG = "pushes.json"


def record_push(repository: str, digest: str, when: float) -> None:
    """Remember a push in the store, so lifecycle can later find the image once its tag moves on."""

    def change(old: Any) -> dict[str, Any]:
        log: dict[str, Any] = old if isinstance(old, dict) else {}
        log.setdefault(repository, {}).setdefault(digest, when)
        return log

    layout().update_meta(PUSH_LOG, change)


def _created(c: RegistryClient, ref: Reference, digest: str, media_type: str, raw: bytes) -> float | None:
    if media_type in INDEX_TYPES:
        idx = Index.from_bytes(raw)
        created = idx.annotations.get("org.opencontainers.image.created")
        if created:
            return _parse_time(created)
        for child in idx.manifests:
            child_raw, child_mt, _ = c.get_manifest(ref, child.digest)
            return _created(c, ref, child.digest, child_mt, child_raw)
        return None
    m = Manifest.from_bytes(raw)
    try:
        cfg = json.loads(c.get_blob(ref, m.config.digest))
    except (RegistryError, ValueError):
        return None
    return _parse_time(cfg.get("created")) if isinstance(cfg, dict) else None


def _parse_time(text: Any) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def repository_images(c: RegistryClient, ref: Reference) -> list[Image]:
    """Every image of a repository that can be seen: tagged ones, plus untagged ones from the push log."""
    tags: dict[str, list[str]] = {}
    docs: dict[str, tuple[bytes, str]] = {}
    for tag in c.list_tags(ref):
        if _REFERRERS_TAG.match(tag):
            continue
        raw, mt, digest = c.get_manifest(ref, tag)
        tags.setdefault(digest, []).append(tag)
        docs[digest] = (raw, mt)
    pushed = (layout().load_meta(PUSH_LOG) or {}).get(ref.repository, {})
    for digest in pushed:
        if digest not in tags and c.head_manifest(ref, digest) is not None:
            raw, mt, _ = c.get_manifest(ref, digest)
            tags[digest] = []
            docs[digest] = (raw, mt)
    images = []
    for digest, names in tags.items():
        when = pushed.get(digest)
        if when is None:
            raw, mt = docs[digest]
            when = _created(c, ref, digest, mt, raw) or 0.0
        images.append(Image(digest, tuple(sorted(names)), float(when)))
    return images


@app.command("lifecycle")
def lifecycle(
    repository: Annotated[str, typer.Argument(help="registry/repository, e.g. 127.0.0.1:5000/demo/app")],
    policy: Annotated[Path, typer.Option("--policy", help="ECR lifecycle policy JSON")],
    apply: Annotated[bool, typer.Option("--apply", help="delete the expiring images (by digest)")] = False,
    insecure: Insecure = False,
    output: Output = None,
) -> None:
    """Evaluate an ECR lifecycle policy: a dry run says what would expire and why; --apply deletes."""
    try:
        text = policy.read_text()
    except OSError as exc:
        raise SpecError(f"cannot read policy: {exc}", file=str(policy)) from exc
    rules = load_policy(text, str(policy))
    ref = parse_reference(repository, default_tag=None)
    with client(insecure) as c:
        decisions = plan(rules, repository_images(c, ref), now=time.time())
        deleted = []
        if apply:
            for d in decisions:
                if d.expire:
                    c.delete_manifest(ref, d.image.digest)
                    deleted.append(d.image.digest)
    rows: list[dict[str, Any]] = [
        {
            "digest": d.image.digest,
            "tags": list(d.image.tags),
            "pushedAt": datetime.fromtimestamp(d.image.pushed_at, tz=UTC).isoformat(),
            "expire": d.expire,
            "rule": d.rule,
            "reason": d.reason,
        }
        for d in decisions
    ]
    if output:
        emit({"repository": ref.repository, "applied": apply, "images": rows, "deleted": deleted}, output)
        return
    for r in rows:
        verb = ("DELETED" if apply else "EXPIRE") if r["expire"] else "keep"
        console.print(
            f"{verb:<8} {r['digest'][:19]} {','.join(r['tags']) or '<untagged>':<30} {r['reason']}",
            highlight=False,
            markup=False,
        )
    if not apply and any(r["expire"] for r in rows):
        console.print("dry run: nothing was deleted; add --apply to delete by digest")


@app.command("tags")
def tags(
    repository: Annotated[str, typer.Argument(help="registry/repository")],
    insecure: Insecure = False,
    output: Output = None,
) -> None:
    """List a repository's tags (all pages)."""
    ref = parse_reference(repository, default_tag=None)
    with client(insecure) as c:
        names = c.list_tags(ref)
    if output:
        emit({"repository": ref.repository, "tags": names}, output)
    else:
        for n in names:
            console.print(n)
