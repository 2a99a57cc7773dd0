"""Round trips against the real registry (Debian docker-registry on 127.0.0.1): sign, verify, attest,
verify-attestation, in both layouts. distribution 2.x has no referrers API, so bundles are found through the
referrers tag schema that the client maintains."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from shipyard.controllers.signature_registry import RegistrySignatureStore
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.supplychain.signing import keys, provenance, sign, statements, verify
from shipyard.supplychain.signing.errors import NoSignaturesError, SignatureMismatchError
from shipyard.testing.registry import RunningRegistry, registry_available, start_registry

pytestmark = pytest.mark.integration
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    if not registry_available():
        pytest.fail("docker-registry is not installed: apt-get install -y --no-install-recommends docker-registry")
    reg = start_registry(tmp_path_factory.mktemp("signing-registry"))
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def store(registry: RunningRegistry) -> Iterator[RegistrySignatureStore]:
    client = RegistryClient(ClientOptions(insecure=True, use_docker_config=False))
    yield RegistrySignatureStore(client)
    client.close()


def _push_image(store: RegistrySignatureStore, repo: str, tag: str, arch: str) -> str:
    config = json.dumps({"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    cdigest = "sha256:" + hashlib.sha256(config).hexdigest()
    store.put_blob(repo, cdigest, config)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest, "size": len(config)},
            "layers": [],
        }
    ).encode()
    return store.put_manifest(repo, tag, manifest, "application/vnd.oci.image.manifest.v1+json")


@pytest.mark.parametrize("new_format", [True, False], ids=["bundle referrer layout", "legacy .sig/.att layout"])
def test_sign_verify_attest_verify_attestation(
    registry: RunningRegistry, store: RegistrySignatureStore, new_format: bool
) -> None:
    repo = registry.repo("demo/app-" + ("bundle" if new_format else "legacy"))
    digest = _push_image(store, repo, "v1", "amd64")
    pair = keys.generate_key_pair(b"demo")
    key = keys.load_private_key(pair.private_pem, b"demo")
    pub = keys.load_public_key(pair.public_pem)

    signed = sign.sign_image(store, f"{repo}:v1", key, now=NOW, new_bundle_format=new_format, annotations={"run": "42"})
    assert signed.resolved_from_tag == "v1" and signed.image.digest == digest
    ref, sigs = verify.verify_image(store, f"{repo}:v1", verify.Verifier(key=pub, annotations={"run": "42"}))
    assert ref.digest == digest and len(sigs) == 1

    sbom = json.dumps({"spdxVersion": "SPDX-2.3", "name": "app", "packages": []}).encode()
    sign.attest_image(
        store, f"{repo}@{digest}", key, predicate=sbom, predicate_kind="spdxjson", now=NOW, new_bundle_format=new_format
    )
    record = provenance.BuildRecord(
        builder_id="https://shipyard.dev/builders/local",
        invocation_id="run-42",
        started_on=NOW,
        finished_on=NOW,
        params={"revision": "abc123"},
        source=provenance.SourceDependency("https://git.example/app.git", "abc123", "refs/heads/main"),
    )
    sign.attest_image(
        store,
        f"{repo}@{digest}",
        key,
        predicate=json.dumps(provenance.slsa_v1_predicate(record)).encode(),
        predicate_kind="slsaprovenance1",
        now=NOW,
        new_bundle_format=new_format,
    )

    _, sboms = verify.verify_attestations(store, f"{repo}:v1", verify.Verifier(key=pub), predicate_type=statements.SPDX)
    (only,) = sboms
    assert only.envelope is not None
    assert json.loads(base64.b64decode(only.envelope["payload"]))["predicate"]["name"] == "app"
    _, provs = verify.verify_attestations(
        store, f"{repo}:v1", verify.Verifier(key=pub), predicate_type=statements.SLSA_V1
    )
    assert provs[0].payload["predicate"]["runDetails"]["builder"]["id"] == "https://shipyard.dev/builders/local"

    hexd = digest.split(":")[1]
    tags = set(store.tags(repo))
    if new_format:  # referrers tag schema, no .sig/.att tags
        assert f"sha256-{hexd}" in tags and f"sha256-{hexd}.sig" not in tags
    else:
        assert {f"sha256-{hexd}.sig", f"sha256-{hexd}.att"} <= tags

    stranger = keys.load_public_key(keys.generate_key_pair(b"").public_pem)
    with pytest.raises(SignatureMismatchError):
        verify.verify_image(store, f"{repo}:v1", verify.Verifier(key=stranger))

    other = _push_image(store, repo, "v2", "arm64")
    with pytest.raises(NoSignaturesError, match="no signatures found"):
        verify.verify_image(store, f"{repo}@{other}", verify.Verifier(key=pub))
