"""cosign key files: upstream encrypted keys, generated keys, and every way a key file can be wrong."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from shipyard.supplychain.signing import keys
from shipyard.supplychain.signing.errors import KeyFormatError, WrongPasswordError

UPSTREAM_OK = ["sigstore-pemtype-ec-pkcs8", "cosign-pemtype-ec-pkcs8"]


@pytest.mark.parametrize(
    "name",
    UPSTREAM_OK,
    ids=[
        "cosign keys_test.go pemsigstorekey (SIGSTORE PEM type)",
        "cosign keys_test.go pemcosignkey (legacy COSIGN PEM type)",
    ],
)
def test_upstream_encrypted_keys_decrypt_with_hello(shared: Path, name: str) -> None:
    key = keys.load_private_key((shared / "vectors/cosign-keys" / f"{name}.key").read_bytes(), b"hello")
    assert keys.public_key_pem(key.public_key()) == (shared / "vectors/cosign-keys" / f"{name}.pub").read_bytes()


def test_sec1_plaintext_is_refused_like_parse_pkcs8(shared: Path) -> None:
    pem = (shared / "vectors/cosign-keys/cosign-pemtype-ec-sec1-INVALID.key").read_bytes()
    der = keys.decrypt_private_key(pem, b"hello")  # decryption itself succeeds
    assert der[2:5] == b"\x02\x01\x01"  # SEC1 ECPrivateKey version 1
    with pytest.raises(KeyFormatError, match="not PKCS#8"):
        keys.load_private_key(pem, b"hello")


@pytest.mark.parametrize("name", [*UPSTREAM_OK, "cosign-pemtype-ec-sec1-INVALID"])
def test_wrong_password_is_a_secretbox_failure(shared: Path, name: str) -> None:
    with pytest.raises(WrongPasswordError, match="wrong password"):
        keys.load_private_key((shared / "vectors/cosign-keys" / f"{name}.key").read_bytes(), b"hellO")


def test_generated_key_has_cosign_json_fields_and_round_trips() -> None:
    pair = keys.generate_key_pair(b"s3cret")
    ((kind, body),) = keys.pem_blocks(pair.private_pem)
    assert kind == "ENCRYPTED SIGSTORE PRIVATE KEY"
    text = body.decode()
    assert text.startswith('{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"')
    doc = json.loads(text)
    assert list(doc) == ["kdf", "cipher", "ciphertext"]
    assert doc["cipher"]["name"] == "nacl/secretbox"
    assert len(base64.b64decode(doc["kdf"]["salt"])) == 32
    assert len(base64.b64decode(doc["cipher"]["nonce"])) == 24
    key = keys.load_private_key(pair.private_pem, b"s3cret")
    assert keys.public_key_pem(key.public_key()) == pair.public_pem
    sig = keys.sign_bytes(key, b"payload")
    keys.verify_bytes(keys.load_public_key(pair.public_pem), sig, b"payload")
    # Keys never appear in logs: a key pair printed or logged shows the public half only.
    assert "PRIVATE" not in repr(pair) and body.decode()[:16] not in repr(pair) and "PUBLIC KEY" in repr(pair)


def test_empty_password_is_legal() -> None:
    pair = keys.generate_key_pair(b"")
    keys.load_private_key(pair.private_pem, b"")


def _reencode(pem: bytes, mutate: object) -> bytes:
    ((kind, body),) = keys.pem_blocks(pem)
    doc = json.loads(body)
    mutate(doc)  # type: ignore[operator]
    return keys.pem_encode(kind, json.dumps(doc).encode())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["kdf"]["params"].update(N=1024), "unsupported scrypt parameters"),
        (lambda d: d["kdf"].update(name="pbkdf2"), "unsupported KDF"),
        (lambda d: d["cipher"].update(name="aes-gcm"), "unsupported cipher"),
        (lambda d: d.pop("ciphertext"), "lacks ciphertext"),
        (lambda d: d["cipher"].update(nonce="!!!"), "not base64"),
    ],
    ids=[
        "CheckParams rejects N=1024",
        "kdf name must be scrypt",
        "cipher must be nacl/secretbox",
        "missing ciphertext",
        "garbled nonce",
    ],
)
def test_bad_encrypted_key_json(shared: Path, mutate: object, message: str) -> None:
    pem = _reencode((shared / "vectors/cosign-keys/sigstore-pemtype-ec-pkcs8.key").read_bytes(), mutate)
    with pytest.raises(KeyFormatError, match=message):
        keys.load_private_key(pem, b"hello")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not a key\n", "not a PEM file"),
        (b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCIs\n", "no END line"),
        (
            b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCIs\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
            "not JSON",
        ),
        (b"-----BEGIN PRIVATE KEY-----\nMA==\n-----END PRIVATE KEY-----\n", "unsupported private key PEM type"),
        (
            b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n@@@@\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
            "not valid base64",
        ),
    ],
    ids=[
        "non-PEM",
        "truncated PEM",
        "truncated JSON body",
        "unencrypted PKCS#8 is not what LoadPrivateKey reads",
        "garbled base64",
    ],
)
def test_bad_private_key_files(data: bytes, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        keys.load_private_key(data, b"hello")


def test_truncated_upstream_key_file(shared: Path) -> None:
    pem = (shared / "vectors/cosign-keys/sigstore-pemtype-ec-pkcs8.key").read_bytes()
    with pytest.raises(KeyFormatError):
        keys.load_private_key(pem[: len(pem) // 2], b"hello")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"garbage", "not a PEM file"),
        (b"-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n", "expected a PUBLIC KEY"),
        (b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQ==\n-----END PUBLIC KEY-----\n", "not a PKIX public key"),
    ],
    ids=["non-PEM", "wrong PEM type", "truncated SPKI"],
)
def test_bad_public_keys(data: bytes, message: str) -> None:
    with pytest.raises(KeyFormatError, match=message):
        keys.load_public_key(data)
