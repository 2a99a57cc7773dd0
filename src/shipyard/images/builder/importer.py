"""``shipyard image import-rootfs DIR -t REF``: one directory becomes a one-layer base image (like
``docker import``), so a debootstrap tree or a static busybox serves as ``FROM`` with no outside registry."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from shipyard.errors import ExecutionError, SpecError
from shipyard.images.builder.builder import rfc3339
from shipyard.images.builder.tarlayer import LayerWriter, add_tree
from shipyard.images.layout import OciLayout
from shipyard.images.oci import OCI_CONFIG, OCI_MANIFEST, Descriptor, Manifest, Platform, canonical_json
from shipyard.images.reference import parse_reference


def import_rootfs(
    layout: OciLayout,
    directory: Path,
    tags: list[str],
    *,
    platform: Platform = Platform("linux", "amd64"),
    epoch: int = 0,
    config: Mapping[str, Any] | None = None,
) -> Descriptor:
    """Store ``directory`` as an image (ownership and modes kept, mtimes clamped to ``epoch``) and tag it."""
    if not directory.is_dir():
        raise SpecError(f"{directory} is not a directory", path="import-rootfs")
    writer = LayerWriter(layout, epoch=epoch)
    try:
        add_tree(writer, directory)
        layer = writer.finish()
    except OSError as exc:
        raise ExecutionError(f"cannot import {directory}: {exc}") from exc
    image: dict[str, Any] = {"created": rfc3339(epoch), "architecture": platform.architecture, "os": platform.os}
    if platform.variant:
        image["variant"] = platform.variant
    image["config"] = dict(config or {})
    image["rootfs"] = {"type": "layers", "diff_ids": [layer.diff_id]}
    image["history"] = [
        {
            "created": rfc3339(epoch),
            "created_by": f"shipyard image import-rootfs {directory.name}",
            "comment": "imported",
        }
    ]
    cdigest, csize = layout.write_blob(canonical_json(image))
    desc = layout.put_json(
        Manifest(Descriptor(OCI_CONFIG, cdigest, csize), (layer.descriptor,), media_type=OCI_MANIFEST)
    )
    for tag in tags:
        layout.tag(str(parse_reference(tag)), desc)
    return desc
