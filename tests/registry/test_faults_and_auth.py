"""Retries, resumable uploads, verified pulls, htpasswd auth, docker config credentials, and skopeo interop."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from shipyard.errors import DigestMismatchError, RegistryError
from shipyard.images.layout import OciLayout
from shipyard.images.oci import sha256_digest
from shipyard.images.reference import parse_reference
from shipyard.registry.auth import Credentials
from shipyard.registry.blobs import BlobSource
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.registry.transfer import pull_image, push_image
from shipyard.testing.images import blob_names, tiny_image
from shipyard.testing.registry import RunningRegistry

USERS = {"alice": "wonderland", "bob": "builder"}  # the same users as conftest.auth_registry

pytestmark = pytest.mark.integration


class Faulty(httpx.BaseTransport):
    """Forwards to the real registry, but breaks the requests ``rule`` picks (once each)."""

    def __init__(self, rule: Callable[[httpx.Request, int], str | None]) -> None:
        self.inner = httpx.HTTPTransport()
        self.rule = rule
        self.count = 0
        self.faults: list[str] = []
        self.ranges: list[str] = []  # Content-Range of every PATCH sent

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        if request.method == "PATCH":
            self.ranges.append(request.headers.get("content-range", ""))
        fault = self.rule(request, self.count)
        if fault == "drop-before":
            self.faults.append(fault)
            raise httpx.ConnectError("connection refused (injected)", request=request)
        if fault == "500":
            self.faults.append(fault)
            return httpx.Response(500, json={"errors": [{"code": "UNKNOWN", "message": "injected"}]}, request=request)
        if fault == "partial":  # half the chunk reaches the registry, then the connection dies
            self.faults.append(fault)
            body = request.read()
            start = int(request.headers["content-range"].split("-")[0])
            half = body[: len(body) // 2]
            headers = {
                **request.headers,
                "content-range": f"{start}-{start + len(half) - 1}",
                "content-length": str(len(half)),
            }
            self.inner.handle_request(httpx.Request(request.method, request.url, headers=headers, content=half)).close()
            raise httpx.WriteError("connection reset mid-body (injected)", request=request)
        response = self.inner.handle_request(request)
        if fault == "drop-after":  # the registry did the work, the answer never arrived
            self.faults.append(fault)
            response.read()
            response.close()
            raise httpx.ReadError("connection reset by peer (injected)", request=request)
        if fault == "corrupt":
            self.faults.append(fault)
            body = response.read()
            return httpx.Response(
                200, headers=response.headers, content=body[:-1] + bytes([body[-1] ^ 1]), request=request
            )
        return response


def once(method: str, fragment: str, fault: str) -> Callable[[httpx.Request, int], str | None]:
    fired = {"n": 0}

    def rule(request: httpx.Request, _: int) -> str | None:
        if request.method == method and fragment in str(request.url) and fired["n"] == 0:
            fired["n"] += 1
            return fault
        return None

    return rule


def faulty_client(transport: httpx.BaseTransport, **kw: object) -> RegistryClient:
    return RegistryClient(ClientOptions(use_docker_config=False, backoff=0.0, **kw), transport=transport)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "fragment", "fault", "chunked"),
    [
        ("PATCH", "/blobs/uploads/", "drop-after", True),
        ("PATCH", "/blobs/uploads/", "partial", True),
        ("PATCH", "/blobs/uploads/", "drop-before", True),
        ("PATCH", "/blobs/uploads/", "500", True),
        ("PUT", "digest=", "500", False),
        ("PUT", "digest=", "drop-after", False),
        ("PUT", "digest=", "drop-after", True),
        ("POST", "/blobs/uploads/", "500", False),
        ("PUT", "/manifests/", "500", False),
    ],
    ids=lambda v: str(v),
)
def test_push_survives_one_fault(
    registry: RunningRegistry, tmp_path: Path, method: str, fragment: str, fault: str, chunked: bool
) -> None:
    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, None, {"data": os.urandom(50_000)})
    ref = parse_reference(registry.repo(f"faults/{method.lower()}-{fault}-{int(chunked)}", "v1"))
    transport = Faulty(once(method, fragment, fault))
    with faulty_client(transport, chunk_size=16_384, monolithic_max=0 if chunked else 1 << 30) as c:
        result = push_image(c, layout, desc, ref)
    assert transport.faults == [fault]
    if fault == "partial":
        # distribution signs the offset into each Location's _state, and the Location answering the half chunk
        # was lost: asking the old one fails, so the client opened a new session and sent that blob again
        assert len([r for r in transport.ranges if r.startswith("0-")]) >= 3, transport.ranges
    with faulty_client(httpx.HTTPTransport()) as c:
        pulled = pull_image(c, ref, OciLayout(tmp_path / "back"))
    assert pulled.digest == result.digest == desc.digest


def test_push_gives_up_after_retries(registry: RunningRegistry) -> None:
    transport = Faulty(lambda r, n: "500" if r.method == "PATCH" else None)
    data = os.urandom(5000)
    with faulty_client(transport, retries=2, chunk_size=1000) as c, pytest.raises(RegistryError, match="kept failing"):
        c.push_blob(
            parse_reference(registry.repo("faults/never")),
            sha256_digest(data),
            BlobSource.from_bytes(data),
            chunked=True,
        )


def test_corrupted_blob_is_refused_and_nothing_stored(registry: RunningRegistry, tmp_path: Path) -> None:
    src = OciLayout(tmp_path / "src")
    desc = tiny_image(src, None, {"payload": os.urandom(2000)})
    ref = parse_reference(registry.repo("faults/corrupt", "v1"))
    with faulty_client(httpx.HTTPTransport()) as c:
        push_image(c, src, desc, ref)
    layer = src.manifest(desc).layers[0].digest
    transport = Faulty(lambda r, n: "corrupt" if r.method == "GET" and layer in str(r.url) else None)
    dst = OciLayout(tmp_path / "dst")
    with faulty_client(transport) as c, pytest.raises(DigestMismatchError):
        pull_image(c, ref, dst)
    assert layer.split(":")[1] not in blob_names(dst)
    assert dst.images() == []
    assert not [p for p in dst.blobs_dir.iterdir() if p.name.startswith(".")]  # no temp file left


def test_dropped_download_is_retried(registry: RunningRegistry, tmp_path: Path) -> None:
    src = OciLayout(tmp_path / "src")
    desc = tiny_image(src, None, {"payload": os.urandom(2000)})
    ref = parse_reference(registry.repo("faults/download", "v1"))
    with faulty_client(httpx.HTTPTransport()) as c:
        push_image(c, src, desc, ref)
    transport = Faulty(once("GET", "/blobs/sha256:", "drop-after"))
    with faulty_client(transport) as c:
        assert pull_image(c, ref, OciLayout(tmp_path / "dst")).digest == desc.digest
    assert transport.faults == ["drop-after"]


def test_htpasswd_registry_needs_credentials(auth_registry: RunningRegistry, tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, None)
    ref = parse_reference(auth_registry.repo("private/app", "v1"))
    with (
        RegistryClient(ClientOptions(use_docker_config=False)) as c,
        pytest.raises(RegistryError, match="username and password"),
    ):
        push_image(c, layout, desc, ref)
    bad = {auth_registry.host: Credentials("alice", "wrong")}
    with (
        RegistryClient(ClientOptions(use_docker_config=False, credentials=bad)) as c,
        pytest.raises(RegistryError) as err,
    ):
        push_image(c, layout, desc, ref)
    assert err.value.status == 401
    good = {auth_registry.host: Credentials("alice", USERS["alice"])}
    with RegistryClient(ClientOptions(use_docker_config=False, credentials=good)) as c:
        assert push_image(c, layout, desc, ref).digest == desc.digest
        assert c.list_tags(ref) == ["v1"]


def test_docker_config_json_credentials(
    auth_registry: RunningRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "dockercfg"
    cfg.mkdir()
    token = base64.b64encode(f"bob:{USERS['bob']}".encode()).decode()
    (cfg / "config.json").write_text(json.dumps({"auths": {auth_registry.host: {"auth": token}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(cfg))
    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, None, {"who": b"bob"})
    ref = parse_reference(auth_registry.repo("private/bob", "v2"))
    with RegistryClient() as c:
        push_image(c, layout, desc, ref)
        assert c.head_manifest(ref) is not None


def test_skopeo_reads_what_shipyard_pushed_and_stored(registry: RunningRegistry, tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    desc = tiny_image(layout, "docker.io/library/interop:v1", {"etc/hello": b"hello skopeo\n"}, config={"Env": ["A=1"]})
    ref = parse_reference(registry.repo("interop/app", "v1"))
    with RegistryClient(ClientOptions(use_docker_config=False)) as c:
        push_image(c, layout, desc, ref)
    out = subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"], capture_output=True, text=True, check=True
    )
    info = json.loads(out.stdout)
    assert info["Digest"] == desc.digest
    assert info["Env"] == ["A=1"]
    # skopeo copies from the registry into its own OCI layout, and from our layout to the registry
    subprocess.run(
        ["skopeo", "copy", "--src-tls-verify=false", f"docker://{ref}", f"oci:{tmp_path / 'skopeo-oci'}:v1"],
        capture_output=True,
        text=True,
        check=True,
    )
    index = json.loads((tmp_path / "skopeo-oci" / "index.json").read_text())
    assert index["manifests"][0]["digest"] == desc.digest
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--dest-tls-verify=false",
            f"oci:{layout.root}:docker.io/library/interop:v1",
            f"docker://{registry.repo('interop/copied', 'v9')}",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    with RegistryClient(ClientOptions(use_docker_config=False)) as c:
        raw, _, _ = c.get_manifest(parse_reference(registry.repo("interop/copied", "v9")))
    assert json.loads(raw)["layers"][0]["digest"] == layout.manifest(desc).layers[0].digest
