"""The OCI image layout store (image-spec image-layout.md): structure, atomic digest-checked writes, tags, gc."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from shipyard.errors import DigestMismatchError, NotFoundError, SpecError
from shipyard.images.layout import OciLayout
from shipyard.images.oci import ANNOTATION_REF_NAME, OCI_INDEX, Index, sha256_digest
from shipyard.testing.images import blob_names, tiny_image


def test_new_layout_has_marker_and_empty_index(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    assert json.loads((layout.root / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((layout.root / "index.json").read_text())
    assert index == {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
    assert layout.blobs_dir == layout.root / "blobs" / "sha256"


def test_blob_named_by_its_digest(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    digest, size = layout.write_blob(b"hello")
    assert digest == sha256_digest(b"hello") and size == 5
    assert layout.blob_path(digest).read_bytes() == b"hello"
    assert layout.read_blob(digest, verify=True) == b"hello"


def test_wrong_expected_digest_stores_nothing(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    wrong = sha256_digest(b"other")
    with pytest.raises(DigestMismatchError):
        layout.write_blob(b"hello", expected=wrong)
    assert blob_names(layout) == []
    assert list(layout.blobs_dir.iterdir()) == []  # temp file removed too


def test_corrupt_blob_is_detected_on_verified_read(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    digest, _ = layout.write_blob(b"good")
    layout.blob_path(digest).write_bytes(b"evil")
    with pytest.raises(DigestMismatchError, match="corrupt"):
        layout.read_blob(digest, verify=True)


@pytest.mark.parametrize(
    "digest",
    ["sha256:zz", "md5:" + "a" * 32, "sha256:" + "a" * 63, "../../etc/passwd"],
    ids=["nonhex", "alg", "short", "traversal"],
)
def test_blob_path_rejects_bad_digests(tmp_path: Path, digest: str) -> None:
    with pytest.raises(SpecError):
        OciLayout(tmp_path / "oci").blob_path(digest)


def test_tag_resolve_untag(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    d1 = tiny_image(layout, "app:1", {"a": b"1"})
    d2 = tiny_image(layout, "app:2", {"a": b"2"})
    tiny_image(layout, "app:1", {"a": b"1b"})  # retag replaces, never duplicates
    assert [i.name for i in layout.images()] == ["app:1", "app:2"]
    assert layout.resolve("app:2").digest == d2.digest
    assert layout.resolve(d1.digest).digest == d1.digest  # by digest too
    entries = Index.from_bytes((layout.root / "index.json").read_bytes()).manifests
    assert sorted(e.annotations[ANNOTATION_REF_NAME] for e in entries) == ["app:1", "app:2"]
    layout.untag("app:2")
    with pytest.raises(NotFoundError, match="image ls"):
        layout.resolve("app:2")
    with pytest.raises(NotFoundError):
        layout.untag("app:2")


def test_gc_removes_only_unreferenced_blobs(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    keep = tiny_image(layout, "keep:1", {"k": b"keep"})
    drop = tiny_image(layout, "drop:1", {"d": b"drop"})
    layout.write_blob(b"orphan")
    layout.untag("drop:1")
    would = layout.gc(dry_run=True)
    assert blob_names(layout)  # dry run removed nothing
    removed = layout.gc()
    assert sorted(d for d, _ in removed) == sorted(d for d, _ in would)
    assert drop.digest in {d for d, _ in removed}
    assert sha256_digest(b"orphan") in {d for d, _ in removed}
    m = layout.manifest(keep)
    for blob in (keep.digest, m.config.digest, *(x.digest for x in m.layers)):
        assert layout.has_blob(blob)


def test_gc_keeps_cached_layers_unless_asked(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    digest, size = layout.write_blob(b"cached-layer")
    layout.cache_put("k1", {"layer": {"digest": digest, "size": size}})
    assert layout.gc() == []
    assert layout.cache_get("k1") is not None
    assert [d for d, _ in layout.gc(keep_cache=False)] == [digest]
    assert layout.cache_get("k1") is None


def test_concurrent_taggers_lose_nothing(tmp_path: Path) -> None:
    root = tmp_path / "oci"
    base = OciLayout(root)
    desc = tiny_image(base, None)
    errors: list[BaseException] = []

    def tagger(n: int) -> None:
        try:
            mine = OciLayout(root)  # separate instances, as separate processes would have
            for i in range(10):
                mine.tag(f"t{n}-{i}", desc)
                mine.write_blob(f"blob-{n}-{i}".encode())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=tagger, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(base.images()) == 60


def test_gc_grace_keeps_young_blobs_and_clears_interrupted_writes(tmp_path: Path) -> None:
    import os

    layout = OciLayout(tmp_path / "oci")
    digest, _ = layout.write_blob(b"just written by a running build")
    stale = layout.blobs_dir / ".ingest-crashed"
    stale.write_bytes(b"partial")
    old = layout.blob_path(digest).stat().st_mtime
    os.utime(stale, (old - 3600, old - 3600))
    assert layout.gc(now=old + 10, grace=600) == []  # young: kept
    assert not stale.exists()  # an hour-old interrupted write is removed
    assert [d for d, _ in layout.gc(now=old + 601, grace=600)] == [digest]
