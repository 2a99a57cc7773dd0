"""The admission webhook over HTTPS on 127.0.0.1: allowed, denied and mutated AdmissionReview responses, bad
bodies, and ``shipyard policy serve`` as a process."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shipyard.controllers.admission import AdmissionServer
from shipyard.resources.kyverno import load_policy
from shipyard.resources.loader import load_file
from shipyard.supplychain.policy.engine import PolicyEngine
from shipyard.supplychain.signing import keys, sign
from shipyard.testing.registry import free_port
from shipyard.testing.signatures import MemorySignatureStore

pytestmark = pytest.mark.integration
DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 4, 1, tzinfo=UTC)


def make_tls(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.now(UTC) - timedelta(hours=1))
        .not_valid_after(datetime.now(UTC) + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "tls.crt", tmp / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def post(url: str, body: bytes, cafile: Path) -> tuple[int, dict[str, Any]]:
    ctx = ssl.create_default_context(cafile=str(cafile))
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def review(image: str, uid: str) -> bytes:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "namespace": "prod", "annotations": {"a": "b"}},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }
    return json.dumps(
        {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {"uid": uid, "namespace": "prod", "operation": "CREATE", "object": pod},
        }
    ).encode()


POLICY = """apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: signed
spec:
  validationFailureAction: Enforce
  rules:
    - name: key
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["127.0.0.1:5000/*"]
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
{key}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AdmissionServer, Path, str]]:
    tmp = tmp_path_factory.mktemp("webhook")
    pair = keys.generate_key_pair(b"")
    store = MemorySignatureStore()
    digest = store.add_image("127.0.0.1:5000/app", "v1")
    store.add_image("127.0.0.1:5000/rogue", "v1")
    sign.sign_image(store, "127.0.0.1:5000/app:v1", keys.load_private_key(pair.private_pem, b""), now=NOW)
    key = "\n".join(" " * 22 + line for line in pair.public_pem.decode().strip().splitlines())
    (tmp / "policy.yaml").write_text(POLICY.format(key=key))
    (doc,) = load_file(tmp / "policy.yaml")
    cert, tls_key = make_tls(tmp)
    srv = AdmissionServer(PolicyEngine([load_policy(doc)], store), tls_cert=cert, tls_key=tls_key)
    srv.start()
    yield srv, cert, digest
    srv.stop()


def test_mutated_response_has_exact_patch(server: tuple) -> None:
    srv, ca, digest = server
    status, answer = post(f"{srv.url}/mutate", review("127.0.0.1:5000/app:v1", "uid-1"), ca)
    assert status == 200
    pinned = f"127.0.0.1:5000/app:v1@{digest}"
    patch = [
        {"op": "replace", "path": "/spec/containers/0/image", "value": pinned},
        {"op": "add", "path": "/metadata/annotations/kyverno.io~1verify-images", "value": '{"' + pinned + '":"pass"}'},
    ]
    assert answer == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {
            "uid": "uid-1",
            "allowed": True,
            "patchType": "JSONPatch",
            "patch": base64.b64encode(json.dumps(patch, separators=(",", ":")).encode()).decode(),
        },
    }


def test_validate_path_never_patches(server: tuple) -> None:
    srv, ca, _ = server
    _, answer = post(f"{srv.url}/validate", review("127.0.0.1:5000/app:v1", "uid-2"), ca)
    assert answer["response"] == {"uid": "uid-2", "allowed": True}


def test_denied_response_names_image_and_attestor(server: tuple) -> None:
    srv, ca, _ = server
    _, answer = post(f"{srv.url}/mutate", review("127.0.0.1:5000/rogue:v1", "uid-3"), ca)
    response = answer["response"]
    assert response["uid"] == "uid-3" and response["allowed"] is False and response["status"]["code"] == 403
    assert response["status"]["message"].startswith(
        "policy signed/key: failed to verify image 127.0.0.1:5000/rogue:v1: .attestors[0]: 0 of 1 required attestors verified; "
        ".attestors[0].entries[0].keys: no matching signatures"
    )


def test_bad_bodies_get_400(server: tuple) -> None:
    srv, ca, _ = server
    status, answer = post(f"{srv.url}/mutate", b"not json", ca)
    assert status == 400 and "not JSON" in answer["error"]
    status, answer = post(f"{srv.url}/mutate", b'{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1"}', ca)
    assert status == 400 and "request.uid" in answer["error"]
    # A review whose object is malformed is answered, and denied (failurePolicy Fail), never a dropped connection.
    doc = json.loads(review("127.0.0.1:5000/app:v1", "uid-9"))
    doc["request"]["object"]["metadata"] = ["not", "an", "object"]
    status, answer = post(f"{srv.url}/mutate", json.dumps(doc).encode(), ca)
    assert status == 200 and answer["response"]["uid"] == "uid-9" and answer["response"]["allowed"] is False
    assert "request.object.metadata must be an object" in answer["response"]["status"]["message"]


def test_policy_serve_process(tmp_path: Path) -> None:
    cert, tls_key = make_tls(tmp_path)
    pair = keys.generate_key_pair(b"")
    key = "\n".join(" " * 22 + line for line in pair.public_pem.decode().strip().splitlines())
    (tmp_path / "policy.yaml").write_text(POLICY.format(key=key))
    port = free_port()
    exe = str(Path(sys.executable).with_name("shipyard"))
    proc = subprocess.Popen(
        [
            exe,
            "policy",
            "serve",
            "-f",
            "policy.yaml",
            "--port",
            str(port),
            "--tls-cert",
            str(cert),
            "--tls-key",
            str(tls_key),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    try:
        ctx = ssl.create_default_context(cafile=str(cert))
        for _ in range(200):
            try:
                with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=ctx, timeout=2) as resp:
                    assert resp.status == 200
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        _, answer = post(f"https://127.0.0.1:{port}/mutate", review("docker.io/library/busybox:1.36", "uid-9"), cert)
        assert answer["response"] == {"uid": "uid-9", "allowed": True}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
