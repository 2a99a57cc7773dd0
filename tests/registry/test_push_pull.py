"""Against the real CNCF distribution registry: push, pull, tags, delete, mount, chunked upload, referrers."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from shipyard.errors import RegistryError
from shipyard.images.layout import OciLayout
from shipyard.images.oci import EMPTY_DIGEST, EMPTY_JSON, OCI_EMPTY, OCI_MANIFEST, Descriptor, Manifest
from shipyard.images.reference import parse_reference
from shipyard.registry.blobs import BlobSource
from shipyard.registry.client import RegistryClient, referrers_tag
from shipyard.registry.http import ClientOptions
from shipyard.registry.transfer import pull_image, push_image
from shipyard.testing.images import tiny_image
from shipyard.testing.registry import RunningRegistry

pytestmark = pytest.mark.integration


def client(**kw: object) -> RegistryClient:
    return RegistryClient(ClientOptions(use_docker_config=False, backoff=0.0, **kw))  # type: ignore[arg-type]


def test_push_then_pull_round_trip(registry: RunningRegistry, tmp_path: Path) -> None:
    src = OciLayout(tmp_path / "src")
    desc = tiny_image(src, "app:1", {"a.txt": b"A"}, {"b/c.txt": b"C" * 5000})
    ref = parse_reference(registry.repo("roundtrip/app", "v1"))
    with client() as c:
        result = push_image(c, src, desc, ref)
        assert result.digest == desc.digest
        assert result.url == f"{registry.host}/roundtrip/app@{desc.digest}"
        assert len(result.uploaded) == 3  # config + 2 layers
        again = push_image(c, src, desc, ref)
        assert again.uploaded == ()  # HEAD skipped every blob
        dst = OciLayout(tmp_path / "dst")
        pulled = pull_image(c, ref, dst)
    assert pulled.digest == desc.digest
    assert dst.resolve(str(ref)).digest == desc.digest
    m = dst.manifest(pulled)
    for blob in (m.config, *m.layers):
        assert dst.read_blob(blob.digest, verify=True) == src.read_blob(blob.digest)


def test_tag_list_follows_pagination(registry: RunningRegistry, tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, None)
    base = parse_reference(registry.repo("paged/app"))
    with client() as c:
        for tag in ["a", "b", "c", "d", "e"]:
            push_image(c, layout, desc, base.with_tag(tag))
        assert sorted(c.list_tags(base, page_size=2)) == ["a", "b", "c", "d", "e"]
        assert sorted(c.list_tags(base)) == ["a", "b", "c", "d", "e"]


def test_delete_by_digest_removes_manifest_and_tag(registry: RunningRegistry, tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, None, {"x": b"delete-me"})
    ref = parse_reference(registry.repo("del/app", "gone"))
    with client() as c:
        push_image(c, layout, desc, ref)
        head = c.head_manifest(ref)
        assert head is not None and head.digest == desc.digest
        c.delete_manifest(ref, desc.digest)
        assert c.head_manifest(ref) is None
        assert "gone" not in c.list_tags(ref)
        with pytest.raises(RegistryError) as err:
            c.get_manifest(ref, desc.digest)
        assert err.value.status == 404


def test_cross_repository_mount(registry: RunningRegistry, tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, None, {"big": os.urandom(4096)})
    src = parse_reference(registry.repo("mount/source", "v1"))
    dst = parse_reference(registry.repo("mount/target", "v1"))
    layer = layout.manifest(desc).layers[0]
    with client() as c:
        push_image(c, layout, desc, src)
        assert not c.blob_exists(dst, layer.digest)
        assert c.mount_blob(dst, layer.digest, "mount/source") is True
        assert c.blob_exists(dst, layer.digest)
        result = push_image(c, layout, desc, dst, mount_from="mount/source")
        assert result.uploaded == ()  # config was mounted too, the layer already there


def test_chunked_upload_in_many_patches(registry: RunningRegistry, tmp_path: Path) -> None:
    data = os.urandom(10_000)
    from shipyard.images.oci import sha256_digest

    digest = sha256_digest(data)
    ref = parse_reference(registry.repo("chunks/app"))
    with client(chunk_size=1024) as c:
        assert c.push_blob(ref, digest, BlobSource.from_bytes(data), chunked=True) is True
        assert c.get_blob(ref, digest) == data
        assert c.push_blob(ref, digest, BlobSource.from_bytes(data), chunked=True) is False


def test_chunked_upload_from_file(registry: RunningRegistry, tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(os.urandom(300_000))
    from shipyard.images.oci import sha256_digest

    digest = sha256_digest(path.read_bytes())
    ref = parse_reference(registry.repo("chunks/file"))
    with client(chunk_size=65536, monolithic_max=1000) as c:
        seen: list[int] = []
        assert c.push_blob(ref, digest, BlobSource.from_path(path), progress=seen.append)
        assert sum(seen) == 300_000
        assert c.get_blob(ref, digest) == path.read_bytes()


def test_referrers_fall_back_to_the_tag_schema(registry: RunningRegistry, tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, None, {"s": b"subject"})
    ref = parse_reference(registry.repo("refs/app", "v1"))
    with client() as c:
        push_image(c, layout, desc, ref)
        c.push_blob(ref, EMPTY_DIGEST, BlobSource.from_bytes(EMPTY_JSON))
        sig_payload = b'{"sig":"demo"}'
        from shipyard.images.oci import sha256_digest

        c.push_blob(ref, sha256_digest(sig_payload), BlobSource.from_bytes(sig_payload))
        artifact = Manifest(
            Descriptor(OCI_EMPTY, EMPTY_DIGEST, 2),
            (Descriptor("application/vnd.example.sig", sha256_digest(sig_payload), len(sig_payload)),),
            media_type=OCI_MANIFEST,
            subject=Descriptor(OCI_MANIFEST, desc.digest, desc.size),
            artifact_type="application/vnd.example.sig",
            annotations={"k": "v"},
        )
        raw = artifact.to_bytes()
        art_digest = c.put_manifest(ref, raw, OCI_MANIFEST, reference=sha256_digest(raw))
        found = c.referrers(ref, desc.digest)
        assert [d.digest for d in found] == [art_digest]
        assert found[0].artifact_type == "application/vnd.example.sig"
        assert found[0].annotations == {"k": "v"}
        assert c.referrers(ref, desc.digest, artifact_type="application/other") == []
        assert referrers_tag(desc.digest) in c.list_tags(ref)
        # a second referrer is appended, not replacing the first
        other = Manifest(
            artifact.config, artifact.layers, subject=artifact.subject, artifact_type="application/vnd.example.sbom"
        )
        c.put_manifest(ref, other.to_bytes(), OCI_MANIFEST, reference=sha256_digest(other.to_bytes()))
        assert len(c.referrers(ref, desc.digest)) == 2


def test_manifest_by_digest_and_unknown_tag(registry: RunningRegistry, tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, None, {"d": b"by-digest"})
    ref = parse_reference(registry.repo("bydigest/app"))
    with client() as c:
        push_image(c, layout, desc, ref.with_digest(desc.digest))
        raw, mt, digest = c.get_manifest(ref, desc.digest)
        assert digest == desc.digest and mt == OCI_MANIFEST
        assert json.loads(raw)["schemaVersion"] == 2
        with pytest.raises(RegistryError) as err:
            c.get_manifest(ref.with_tag("nope"))
        assert err.value.status == 404 and err.value.code == "MANIFEST_UNKNOWN"


def test_index_push_and_pull_every_platform(registry: RunningRegistry, tmp_path: Path) -> None:
    from shipyard.images.builder.builder import Builder
    from shipyard.images.builder.state import BuildRequest
    from shipyard.images.oci import OCI_INDEX, Index, Platform

    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "f").write_text("x")
    src = OciLayout(tmp_path / "src")
    plats = [Platform("linux", "amd64"), Platform("linux", "arm64", "v8")]
    built = Builder(src).build(BuildRequest(context=ctx, dockerfile_text="FROM scratch\nCOPY f /f\n", platforms=plats))
    ref = parse_reference(registry.repo("multi/app", "v1"))
    with client() as c:
        pushed = push_image(c, src, built.descriptor, ref)
        assert pushed.digest == built.digest and pushed.media_type == OCI_INDEX
        dst = OciLayout(tmp_path / "dst")
        pulled = pull_image(c, ref, dst)
    children = Index.from_bytes(dst.read_blob(pulled.digest)).manifests
    assert [str(d.platform) for d in children] == ["linux/amd64", "linux/arm64/v8"]
    assert all(dst.has_blob(d.digest) for d in children)
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{ref}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(raw.stdout)["mediaType"] == OCI_INDEX


def test_push_with_a_missing_blob_is_a_clear_error(registry: RunningRegistry, tmp_path: Path) -> None:
    from shipyard.errors import NotFoundError

    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, None, {"gone": b"soon"})
    layout.blob_path(layout.manifest(desc).layers[0].digest).unlink()
    with client() as c, pytest.raises(NotFoundError, match="missing from the store"):
        push_image(c, layout, desc, parse_reference(registry.repo("missing/app", "v1")))
