"""The CLI end to end against the real registry: generate-key-pair, sign (tag resolved), verify (payload JSON),
attest + verify-attestation (jq-style decoding of the printed envelope), both layouts, and ``policy check``."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.controllers.signature_registry import RegistrySignatureStore
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.testing.registry import RunningRegistry, registry_available, start_registry

pytestmark = pytest.mark.integration
SHIPYARD = str(Path(sys.executable).with_name("shipyard"))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    if not registry_available():
        pytest.fail("docker-registry is not installed")
    reg = start_registry(tmp_path_factory.mktemp("cli-registry"))
    yield reg
    reg.stop()


def push(reg: RunningRegistry, path: str, tag: str) -> str:
    client = RegistryClient(ClientOptions(insecure=True, use_docker_config=False))
    store = RegistrySignatureStore(client)
    repo = reg.repo(path)
    config = json.dumps({"architecture": "amd64", "os": "linux", "tag": tag}).encode()
    cd = "sha256:" + hashlib.sha256(config).hexdigest()
    store.put_blob(repo, cd, config)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(config)},
            "layers": [],
        }
    ).encode()
    digest = store.put_manifest(repo, tag, manifest, "application/vnd.oci.image.manifest.v1+json")
    client.close()
    return digest


def run(args: list[str], cwd: Path, password: str = "demo") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COSIGN_PASSWORD": password}
    return subprocess.run([SHIPYARD, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("fmt", ["true", "false"], ids=["--new-bundle-format", "--new-bundle-format=false"])
def test_cli_sign_verify_attest(registry: RunningRegistry, tmp_path: Path, fmt: str) -> None:
    digest = push(registry, f"cli/app-{fmt}", "v1")
    image = registry.repo(f"cli/app-{fmt}", "v1")
    assert run(["sign", "generate-key-pair"], tmp_path).returncode == 0
    assert stat.S_IMODE((tmp_path / "cosign.key").stat().st_mode) == 0o600
    assert (tmp_path / "cosign.key").read_text().startswith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")

    signed = run(["sign", "sign", "--key", "cosign.key", "-a", "run=7", f"--new-bundle-format={fmt}", image], tmp_path)
    assert signed.returncode == 0, signed.stderr
    assert f"Resolved tag v1 to digest {digest}" in signed.stderr

    verified = run(["sign", "verify", "--key", "cosign.pub", "-a", "run=7", image], tmp_path)
    assert verified.returncode == 0, verified.stderr
    # cosign cmd/cosign/cli/verify/verify.go: PrintVerificationHeader on stderr (ui.Infof), then
    # PrintVerification's default output fmt.Printf("\n%s\n", json.Marshal(payloads)) on stdout.
    assert verified.stderr.splitlines()[-6:] == [
        "",
        f"Verification for {image} --",
        "The following checks were performed on each of these signatures:",
        "  - The specified annotations were verified.",
        "  - The cosign claims were validated",
        "  - The signatures were verified against the specified public key",
    ]
    assert verified.stdout.startswith("\n[{") and verified.stdout.endswith("}]\n")
    (payload,) = json.loads(verified.stdout)
    if fmt == "false":
        assert payload["critical"]["image"]["docker-manifest-digest"] == digest and payload["optional"] == {"run": "7"}
    else:
        assert payload["subject"][0]["digest"]["sha256"] == digest.split(":")[1]

    (tmp_path / "sbom.spdx.json").write_text(json.dumps({"spdxVersion": "SPDX-2.3", "name": "app"}))
    attested = run(
        [
            "sign",
            "attest",
            "--key",
            "cosign.key",
            "--type",
            "spdxjson",
            "--predicate",
            "sbom.spdx.json",
            f"--new-bundle-format={fmt}",
            image,
        ],
        tmp_path,
    )
    assert attested.returncode == 0, attested.stderr
    out = run(["sign", "verify-attestation", "--key", "cosign.pub", "--type", "spdxjson", image], tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"Verification for {image} --" in out.stderr and "specified annotations" not in out.stderr
    assert not out.stdout.startswith("\n")  # verify_attestation.go prints with "text": fmt.Println(payload)
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    # cosign's verify-attestation --type defaults to "custom" (options/predicate.go): an SPDX attestation alone
    # does not satisfy it, and the error names the type found.
    default = run(["sign", "verify-attestation", "--key", "cosign.pub", image], tmp_path)
    assert default.returncode == 1 and default.stdout == ""
    assert "matched the predicate type: https://cosign.sigstore.dev/attestation/v1" in default.stderr
    assert "found: https://spdx.dev/Document" in default.stderr
    # jq '.payload | @base64d | fromjson | .predicate'
    assert json.loads(base64.b64decode(json.loads(lines[0])["payload"]))["predicate"] == {
        "name": "app",
        "spdxVersion": "SPDX-2.3",
    }


def test_cli_failures_are_clear(registry: RunningRegistry, tmp_path: Path) -> None:
    push(registry, "cli/unsigned", "v1")
    image = registry.repo("cli/unsigned", "v1")
    assert run(["sign", "generate-key-pair"], tmp_path).returncode == 0
    wrong = run(["sign", "sign", "--key", "cosign.key", image], tmp_path, password="nope")
    assert wrong.returncode == 1 and "wrong password" in wrong.stderr
    unsigned = run(["sign", "verify", "--key", "cosign.pub", image], tmp_path)
    assert unsigned.returncode == 1 and "no signatures found" in unsigned.stderr and unsigned.stdout == ""
    online = run(["sign", "sign", "--yes", "--tlog-upload=true", "--key", "cosign.key", image], tmp_path)
    assert online.returncode == 1 and "does not upload to Rekor" in online.stderr
    keyless = run(["sign", "sign", image], tmp_path)
    assert keyless.returncode == 1 and "keyless signing needs Fulcio" in keyless.stderr
    (tmp_path / "broken.pub").write_text("-----BEGIN PUBLIC KEY-----\nMFkw\n")
    broken = run(["sign", "verify", "--key", "broken.pub", image], tmp_path)
    assert broken.returncode == 1 and "truncated" in broken.stderr


POLICY = """apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: demo-signed
spec:
  validationFailureAction: Enforce
  rules:
    - name: demo-key
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["{prefix}/*"]
          attestors:
            - entries:
                - keys:
                    publicKeys: |-
{key}
"""


def test_cli_policy_check(registry: RunningRegistry, tmp_path: Path) -> None:
    digest = push(registry, "cli/checked", "v1")
    push(registry, "cli/rogue", "v1")
    assert run(["sign", "generate-key-pair"], tmp_path).returncode == 0
    assert run(["sign", "sign", "--key", "cosign.key", registry.repo("cli/checked", "v1")], tmp_path).returncode == 0
    key = "\n".join(
        "                      " + line for line in (tmp_path / "cosign.pub").read_text().strip().splitlines()
    )
    (tmp_path / "policy.yaml").write_text(POLICY.format(prefix=registry.host, key=key))
    for name, image in (("good", registry.repo("cli/checked", "v1")), ("bad", registry.repo("cli/rogue", "v1"))):
        (tmp_path / f"{name}.yaml").write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": name, "namespace": "prod"},
                    "spec": {"containers": [{"name": "app", "image": image}]},
                }
            )
        )
    ok = run(["policy", "check", "-f", "policy.yaml", "-f", "good.yaml"], tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == f"Pod/prod/good container app: admitted {registry.repo('cli/checked', 'v1')}@{digest}"
    bad = run(["policy", "check", "-f", "policy.yaml", "-f", "good.yaml", "-f", "bad.yaml"], tmp_path)
    assert bad.returncode == 1
    assert (
        f"Pod/prod/bad container app: denied {registry.repo('cli/rogue', 'v1')}: demo-signed/demo-key: failed to verify image"
        in bad.stdout
    )
    assert ".attestors[0].entries[0].keys" in bad.stdout and "no signatures found" in bad.stdout


def test_cli_policy_check_seed_policy_with_demo_key(registry: RunningRegistry, tmp_path: Path) -> None:
    """The demo's deploy gate: the seed's ClusterPolicy, its keyless attestor swapped for the demo key."""
    digest = push(registry, "cli/seeded", "v1")
    push(registry, "cli/seeded-unsigned", "v1")
    assert run(["sign", "generate-key-pair"], tmp_path).returncode == 0
    assert run(["sign", "sign", "--key", "cosign.key", registry.repo("cli/seeded", "v1")], tmp_path).returncode == 0
    seed = Path(__file__).parents[1] / "policy" / "data" / "seed-clusterpolicy.yaml"
    for name, image in (("ok", registry.repo("cli/seeded", "v1")), ("no", registry.repo("cli/seeded-unsigned", "v1"))):
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "staging"},
            "spec": {"containers": [{"name": "app", "image": image}]},
        }
        (tmp_path / f"{name}.yaml").write_text(json.dumps(pod))
    args = ["policy", "check", "-f", str(seed), "--key", "cosign.pub", "--image-reference", f"{registry.host}/*"]
    ok = run([*args, "-f", "ok.yaml"], tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip() == f"Pod/staging/ok container app: admitted {registry.repo('cli/seeded', 'v1')}@{digest}"
    refused = run([*args, "-f", "no.yaml", "-o", "json"], tmp_path)
    assert refused.returncode == 1
    (view,) = json.loads(refused.stdout)
    assert view["allowed"] is False and view["containers"][0]["status"] == "fail"
    assert (
        "check-image-signature" in view["containers"][0]["policy"]
        and "no signatures found" in view["containers"][0]["message"]
    )


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("ubuntu", "index.docker.io/library/ubuntu:latest"),
        ("ghcr.io/acme/app:v1", "ghcr.io/acme/app:v1"),
        ("docker.io/acme/app@sha256:" + "a" * 64, "index.docker.io/acme/app@sha256:" + "a" * 64),
    ],
    ids=["go-containerregistry Tag.Name default tag", "tag kept", "Digest.Name with index.docker.io"],
)
def test_verify_header_names_the_reference_as_cosign(typed: str, name: str) -> None:
    from shipyard.cli.sign import _cosign_name

    assert _cosign_name(typed) == name
