"""kyverno verifyImages evaluation: the seed's keyless ClusterPolicy, key attestors with count, attestations with
conditions, mutateDigest / verifyDigest / required, and AdmissionReview allowed / denied / mutated responses."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shipyard.errors import SpecError, SpecErrors, UnsupportedError
from shipyard.resources.kyverno import ClusterPolicy, load_policy
from shipyard.resources.loader import load_file, loads
from shipyard.supplychain.policy.admission import review
from shipyard.supplychain.policy.engine import PolicyEngine
from shipyard.supplychain.signing import keys, sign
from shipyard.supplychain.signing.trustroot import load_trusted_root
from shipyard.testing.keyless import FakeSigstore
from shipyard.testing.signatures import MemorySignatureStore

DATA = Path(__file__).parent / "data"
ECR = "123456789.dkr.ecr.us-east-1.amazonaws.com"
CI = "https://github.com/myorg/order-service/.github/workflows/ci.yaml@refs/heads/main"
GHA = "https://token.actions.githubusercontent.com"
NOW = datetime(2026, 4, 1, 10, 0, tzinfo=UTC)


def seed_policy() -> ClusterPolicy:
    (doc,) = load_file(DATA / "seed-clusterpolicy.yaml")
    return load_policy(doc)


def pod(image: str, namespace: str = "production", kind: str = "Pod") -> dict[str, Any]:
    containers = [{"name": "app", "image": image}]
    if kind == "Pod":
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {"containers": containers},
        }
    api = "argoproj.io/v1alpha1" if kind == "Rollout" else "apps/v1"
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {"template": {"spec": {"containers": containers}}},
    }


@pytest.fixture
def keyless_world() -> tuple[MemorySignatureStore, FakeSigstore, str]:
    store = MemorySignatureStore()
    digest = store.add_image(f"{ECR}/order-service", "v1.4.2")
    fake = FakeSigstore(NOW - timedelta(hours=1))
    return store, fake, digest


def review_body(
    obj: dict[str, Any], uid: str = "705ab4f5-6393-11e8-b7cc-42010a800002", namespace: str = "production"
) -> bytes:
    return json.dumps(
        {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": uid,
                "kind": {"group": "", "version": "v1", "kind": obj["kind"]},
                "namespace": namespace,
                "operation": "CREATE",
                "object": obj,
            },
        }
    ).encode()


def test_seed_policy_admits_ci_signed_image_and_pins_digest(keyless_world: tuple) -> None:
    store, fake, digest = keyless_world
    fake.sign_legacy(store, f"{ECR}/order-service:v1.4.2", identity=CI, issuer=GHA, at=NOW - timedelta(minutes=30))
    engine = PolicyEngine([seed_policy()], store, trusted_root=load_trusted_root(fake.trusted_root_json()))
    answer = review(engine, review_body(pod(f"{ECR}/order-service:v1.4.2")))
    response = answer["response"]
    assert response["uid"] == "705ab4f5-6393-11e8-b7cc-42010a800002" and response["allowed"] is True
    assert response["patchType"] == "JSONPatch"
    pinned = f"{ECR}/order-service:v1.4.2@{digest}"
    expected = [
        {"op": "replace", "path": "/spec/containers/0/image", "value": pinned},
        {"op": "add", "path": "/metadata/annotations", "value": {}},
        {
            "op": "add",
            "path": "/metadata/annotations/kyverno.io~1verify-images",
            "value": json.dumps({pinned: "pass"}, separators=(",", ":")),
        },
    ]
    assert response["patch"] == base64.b64encode(json.dumps(expected, separators=(",", ":")).encode()).decode()
    assert json.loads(base64.b64decode(response["patch"])) == expected


@pytest.mark.parametrize(
    ("identity", "issuer", "reason"),
    [
        ("https://github.com/myorg/app/.github/workflows/release.yaml@refs/heads/main", GHA, "no certificate SAN"),
        ("https://github.com/other/app/.github/workflows/ci.yaml@refs/heads/main", GHA, "no certificate SAN"),
        (CI, "https://accounts.google.com", "expected OIDC issuer"),
    ],
    ids=["kyverno wildcard subject: other workflow", "wildcard subject: other org", "wrong issuer"],
)
def test_seed_policy_denies_wrong_identity(keyless_world: tuple, identity: str, issuer: str, reason: str) -> None:
    store, fake, _ = keyless_world
    fake.sign_legacy(
        store, f"{ECR}/order-service:v1.4.2", identity=identity, issuer=issuer, at=NOW - timedelta(minutes=30)
    )
    engine = PolicyEngine([seed_policy()], store, trusted_root=load_trusted_root(fake.trusted_root_json()))
    response = review(engine, review_body(pod(f"{ECR}/order-service:v1.4.2")))["response"]
    assert response["allowed"] is False and response["status"]["code"] == 403
    message = response["status"]["message"]
    assert message.startswith(
        f"policy verify-image-signature/check-image-signature: failed to verify image {ECR}/order-service:v1.4.2: "
    )
    assert ".attestors[0].entries[0].keyless" in message and reason in message
    assert "patch" not in response


def test_seed_policy_denies_unsigned_image(keyless_world: tuple) -> None:
    store, fake, _ = keyless_world
    engine = PolicyEngine([seed_policy()], store, trusted_root=load_trusted_root(fake.trusted_root_json()))
    decision = engine.evaluate(pod(f"{ECR}/order-service:v1.4.2"))
    assert not decision.allowed
    assert "no signatures found" in decision.message() and "order-service:v1.4.2" in decision.message()


def test_seed_policy_denies_signature_made_after_certificate_expired(keyless_world: tuple) -> None:
    store, fake, _ = keyless_world
    at = NOW - timedelta(minutes=30)
    fake.sign_legacy(
        store, f"{ECR}/order-service:v1.4.2", identity=CI, issuer=GHA, at=at, integrated=at + timedelta(minutes=20)
    )
    engine = PolicyEngine([seed_policy()], store, trusted_root=load_trusted_root(fake.trusted_root_json()))
    decision = engine.evaluate(pod(f"{ECR}/order-service:v1.4.2"))
    assert not decision.allowed and "outside the certificate's validity" in decision.message()


def test_certificate_from_another_ca_is_denied(keyless_world: tuple) -> None:
    store, fake, _ = keyless_world
    impostor = FakeSigstore(NOW - timedelta(hours=1))
    impostor.sign_legacy(store, f"{ECR}/order-service:v1.4.2", identity=CI, issuer=GHA, at=NOW - timedelta(minutes=30))
    engine = PolicyEngine([seed_policy()], store, trusted_root=load_trusted_root(fake.trusted_root_json()))
    decision = engine.evaluate(pod(f"{ECR}/order-service:v1.4.2"))
    assert not decision.allowed and "chain does not verify" in decision.message()


@pytest.mark.parametrize(
    ("obj", "applies"),
    [
        (pod(f"{ECR}/order-service:v1.4.2", namespace="dev"), False),
        (pod("docker.io/library/busybox:1.36"), False),
        (pod(f"{ECR}/order-service:v1.4.2", kind="Deployment"), True),
        (pod(f"{ECR}/order-service:v1.4.2", kind="Rollout"), False),
    ],
    ids=[
        "namespace not matched",
        "imageReferences glob not matched",
        "autogen: Pod rule covers Deployment",
        "Rollout needs the autogen annotation",
    ],
)
def test_seed_policy_scope(keyless_world: tuple, obj: dict[str, Any], applies: bool) -> None:
    store, fake, _ = keyless_world
    engine = PolicyEngine([seed_policy()], store, trusted_root=load_trusted_root(fake.trusted_root_json()))
    decision = engine.evaluate(obj)
    assert decision.allowed is (not applies)
    if applies:
        assert decision.denials[0].pointer == "/spec/template/spec/containers/0/image"


KEY_POLICY = """
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: signed-by-ci
  annotations:
    pod-policies.kyverno.io/autogen-controllers: Deployment,Rollout
spec:
  validationFailureAction: Enforce
  rules:
    - name: ci-key
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["127.0.0.1:5000/*"]
          mutateDigest: {mutate}
          attestors:
            - count: {count}
              entries:
                - keys:
                    publicKeys: |-
{keys}
          attestations:
            - type: https://spdx.dev/Document
              attestors:
                - entries:
                    - keys:
                        publicKeys: |-
{first}
              conditions:
                - all:
                    - key: "{{{{ packages[?name=='openssl'] | length(@) }}}}"
                      operator: Equals
                      value: 0
"""


def _indent(pem: bytes, n: int) -> str:
    return "\n".join(" " * n + line for line in pem.decode().strip().splitlines())


def key_policy(pems: list[bytes], count: int, mutate: bool = True) -> ClusterPolicy:
    text = KEY_POLICY.format(
        count=count,
        keys="\n".join(_indent(p, 22) for p in pems),
        first=_indent(pems[0], 26),
        mutate="true" if mutate else "false",
    )
    (doc,) = loads(text, "key-policy.yaml")
    return load_policy(doc)


@pytest.fixture(scope="module")
def two_keys() -> list[tuple[Any, bytes]]:
    out = []
    for _ in range(2):
        pair = keys.generate_key_pair(b"")
        out.append((keys.load_private_key(pair.private_pem, b""), pair.public_pem))
    return out


@pytest.mark.parametrize(
    ("signers", "count", "allowed"),
    [([0], 1, True), ([0], 0, False), ([0, 1], 0, True), ([1], 1, True), ([], 1, False)],
    ids=["count 1 of 2 keys", "count unset: all keys needed", "both keys sign", "the other key", "unsigned"],
)
def test_key_attestors_count(two_keys: list, signers: list[int], count: int, allowed: bool) -> None:
    store = MemorySignatureStore()
    digest = store.add_image("127.0.0.1:5000/app", "v1")
    for i in signers:
        sign.sign_image(store, "127.0.0.1:5000/app:v1", two_keys[i][0], now=NOW, new_bundle_format=bool(i))
    sign.attest_image(
        store,
        "127.0.0.1:5000/app:v1",
        two_keys[0][0],
        predicate=b'{"packages":[{"name":"zlib"}]}',
        predicate_kind="spdxjson",
        now=NOW,
    )
    engine = PolicyEngine([key_policy([p for _, p in two_keys], count)], store)
    decision = engine.evaluate(pod("127.0.0.1:5000/app:v1", kind="Rollout"))
    assert decision.allowed is allowed, decision.message()
    if allowed:
        assert decision.patches[0] == {
            "op": "replace",
            "path": "/spec/template/spec/containers/0/image",
            "value": f"127.0.0.1:5000/app:v1@{digest}",
        }


def test_attestation_condition_failure_denies(two_keys: list) -> None:
    store = MemorySignatureStore()
    store.add_image("127.0.0.1:5000/app", "v1")
    sign.sign_image(store, "127.0.0.1:5000/app:v1", two_keys[0][0], now=NOW)
    sign.attest_image(
        store,
        "127.0.0.1:5000/app:v1",
        two_keys[0][0],
        predicate=b'{"packages":[{"name":"openssl"}]}',
        predicate_kind="spdxjson",
        now=NOW,
    )
    engine = PolicyEngine([key_policy([two_keys[0][1]], 1)], store)
    decision = engine.evaluate(pod("127.0.0.1:5000/app:v1"))
    assert not decision.allowed and "failed its conditions" in decision.message()


def test_verify_digest_without_mutation_requires_a_pinned_image(two_keys: list) -> None:
    store = MemorySignatureStore()
    digest = store.add_image("127.0.0.1:5000/app", "v1")
    sign.sign_image(store, "127.0.0.1:5000/app:v1", two_keys[0][0], now=NOW)
    sign.attest_image(
        store, "127.0.0.1:5000/app:v1", two_keys[0][0], predicate=b'{"packages":[]}', predicate_kind="spdxjson", now=NOW
    )
    engine = PolicyEngine([key_policy([two_keys[0][1]], 1, mutate=False)], store)
    denied = engine.evaluate(pod("127.0.0.1:5000/app:v1"))
    assert not denied.allowed and "missing digest" in denied.message()
    pinned = engine.evaluate(pod(f"127.0.0.1:5000/app@{digest}"))
    assert pinned.allowed
    answer = review(engine, review_body(pod(f"127.0.0.1:5000/app@{digest}"), uid="u-2"))
    assert answer["response"]["allowed"] is True


def test_allowed_without_patch_when_no_rule_applies() -> None:
    engine = PolicyEngine([seed_policy()], MemorySignatureStore())
    answer = review(engine, review_body(pod("docker.io/library/busybox:1.36"), uid="abc"))
    assert answer == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": "abc", "allowed": True},
    }


def test_audit_mode_warns_instead_of_denying(keyless_world: tuple) -> None:
    store, fake, _ = keyless_world
    policy = seed_policy().model_copy(
        update={"spec": seed_policy().spec.model_copy(update={"validation_failure_action": "Audit"})}
    )
    engine = PolicyEngine([policy], store, trusted_root=load_trusted_root(fake.trusted_root_json()))
    response = review(engine, review_body(pod(f"{ECR}/order-service:v1.4.2")))["response"]
    assert response["allowed"] is True and "no signatures found" in response["warnings"][0]


def test_bad_admission_review_bodies() -> None:
    engine = PolicyEngine([seed_policy()], MemorySignatureStore())
    with pytest.raises(SpecError, match="not JSON"):
        review(engine, b"{")
    with pytest.raises(SpecError, match="apiVersion"):
        review(engine, b'{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1beta1","request":{"uid":"x"}}')
    with pytest.raises(SpecError, match=r"request\.uid"):
        review(engine, b'{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{}}')


def test_policy_validation_reports_every_problem_with_lines() -> None:
    text = (
        (DATA / "seed-clusterpolicy.yaml")
        .read_text()
        .replace("imageReferences:", "imageReferencez:")
        .replace("count: 1", "count: 3")
    )
    (doc,) = loads(text, "bad.yaml")
    with pytest.raises(SpecErrors) as info:
        load_policy(doc)
    messages = [str(i) for i in info.value.issues]
    assert any(
        'unknown field "imageReferencez" (did you mean "imageReferences"?)' in m and m.startswith("bad.yaml:")
        for m in messages
    )


def test_unsupported_attestor_kinds_are_named() -> None:
    text = (
        (DATA / "seed-clusterpolicy.yaml")
        .read_text()
        .replace("- keyless:", "- keys:\n                    kms: awskms:///alias/ci\n                  keyless:")
    )
    (doc,) = loads(text, "kms.yaml")
    with pytest.raises(SpecErrors, match="exactly one of keys, keyless"):
        load_policy(doc)
    kms = text.replace("                  keyless:", "                  x-keyless:").split("x-keyless:")[0]
    (doc,) = loads(kms + "\n", "kms.yaml")
    engine = PolicyEngine([load_policy(doc)], MemorySignatureStore())
    with pytest.raises(UnsupportedError, match="KMS"):
        engine.evaluate(pod(f"{ECR}/order-service:v1.4.2"))


def test_seed_policy_with_the_demo_key(two_keys: list) -> None:
    from shipyard.supplychain.policy.rewrite import with_key_attestor

    store = MemorySignatureStore()
    digest = store.add_image("127.0.0.1:5000/demo/app", "v1")
    store.add_image("127.0.0.1:5000/demo/unsigned", "v1")
    sign.sign_image(store, "127.0.0.1:5000/demo/app:v1", two_keys[0][0], now=NOW)
    policy = with_key_attestor(seed_policy(), two_keys[0][1], image_references=["127.0.0.1:5000/*"])
    assert policy.spec.rules[0].verify_images[0].attestors[0].count == 1
    engine = PolicyEngine([policy], store)
    ok = engine.evaluate(pod("127.0.0.1:5000/demo/app:v1", namespace="staging"))
    assert ok.allowed and ok.containers[0].pinned == f"127.0.0.1:5000/demo/app:v1@{digest}"
    refused = engine.evaluate(pod("127.0.0.1:5000/demo/unsigned:v1", namespace="staging"))
    assert not refused.allowed and "demo/unsigned:v1" in refused.message() and ".entries[0].keys" in refused.message()


@pytest.mark.parametrize(
    ("needle", "replacement", "message"),
    [
        (
            "      match:",
            "      preconditions:\n        all: [{key: a, operator: Equals, value: a}]\n      match:",
            "preconditions",
        ),
        (
            "          mutateDigest: true",
            "          mutateDigest: true\n          imageRegistryCredentials:\n            secrets: [regcred]",
            "imageRegistryCredentials",
        ),
        (
            "    - name: check-image-signature",
            "    - name: check-image-signature\n      validate:\n        message: x",
            "only verifyImages",
        ),
    ],
    ids=["rule preconditions", "registry credential secrets", "validate rules"],
)
def test_fields_shipyard_does_not_evaluate_are_named(needle: str, replacement: str, message: str) -> None:
    text = (DATA / "seed-clusterpolicy.yaml").read_text().replace(needle, replacement, 1)
    (doc,) = loads(text, "unsupported.yaml")
    engine = PolicyEngine([load_policy(doc)], MemorySignatureStore())
    with pytest.raises(UnsupportedError, match=message):
        engine.evaluate(pod(f"{ECR}/order-service:v1.4.2"))


@pytest.mark.parametrize(
    ("raw", "string", "pinned"),
    [
        ("nginx", "docker.io/nginx:latest", "docker.io/nginx:latest@sha256:" + "a" * 64),
        ("ghcr.io/acme/app:1.2", "ghcr.io/acme/app:1.2", "ghcr.io/acme/app:1.2@sha256:" + "a" * 64),
        (
            "localhost:5000/app@sha256:" + "b" * 64,
            "localhost:5000/app@sha256:" + "b" * 64,
            "localhost:5000/app@sha256:" + "a" * 64,
        ),
    ],
    ids=["kyverno addDefaultRegistry, default tag", "tagged", "digest only: no default tag"],
)
def test_kyverno_image_info_strings(raw: str, string: str, pinned: str) -> None:
    from shipyard.supplychain.policy.images import image_info

    info = image_info(raw)
    assert str(info) == string
    assert info.pinned("sha256:" + "a" * 64) == pinned


def test_seed_policy_with_cosign3_keyless_bundle(keyless_world: tuple) -> None:
    """cosign 3's default: a keyless DSSE bundle attached as a referrer (dsse Rekor entry, SET, inclusion proof)."""
    store, fake, digest = keyless_world
    fake.sign_bundle(store, f"{ECR}/order-service:v1.4.2", identity=CI, issuer=GHA, at=NOW - timedelta(minutes=30))
    engine = PolicyEngine([seed_policy()], store, trusted_root=load_trusted_root(fake.trusted_root_json()))
    decision = engine.evaluate(pod(f"{ECR}/order-service:v1.4.2"))
    assert decision.allowed, decision.message()
    assert decision.containers[0].pinned == f"{ECR}/order-service:v1.4.2@{digest}"


def test_seed_policy_denies_cosign3_bundle_from_other_workflow(keyless_world: tuple) -> None:
    store, fake, _ = keyless_world
    other = "https://github.com/myorg/order-service/.github/workflows/release.yaml@refs/heads/main"
    fake.sign_bundle(store, f"{ECR}/order-service:v1.4.2", identity=other, issuer=GHA, at=NOW - timedelta(minutes=30))
    engine = PolicyEngine([seed_policy()], store, trusted_root=load_trusted_root(fake.trusted_root_json()))
    decision = engine.evaluate(pod(f"{ECR}/order-service:v1.4.2"))
    assert not decision.allowed and "no certificate SAN" in decision.message()
