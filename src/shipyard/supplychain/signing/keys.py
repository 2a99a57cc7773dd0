"""Cosign key files: ``ENCRYPTED SIGSTORE PRIVATE KEY`` (scrypt + NaCl secretbox over PKCS#8) and PKIX public keys.

Format (go-securesystemslib ``encrypted.Encrypt``, cosign ``pkg/cosign/keys.go``): the PEM body is the compact JSON
``{"kdf":{"name":"scrypt","params":{"N":..,"r":8,"p":1},"salt":".."},"cipher":{"name":"nacl/secretbox","nonce":".."},
"ciphertext":".."}`` in Go struct order, bytes as std base64. Decrypt accepts only the three scrypt parameter sets
of ``CheckParams``; the plaintext must be PKCS#8 (``LoadPrivateKey`` uses ``ParsePKCS8PrivateKey``, so SEC1 fails).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import nacl.exceptions
import nacl.secret
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from shipyard.supplychain.signing.errors import KeyFormatError, SignatureMismatchError, WrongPasswordError

SIGSTORE_PEM_TYPE = "ENCRYPTED SIGSTORE PRIVATE KEY"
COSIGN_PEM_TYPE = "ENCRYPTED COSIGN PRIVATE KEY"  # legacy, still read
PRIVATE_PEM_TYPES = (SIGSTORE_PEM_TYPE, COSIGN_PEM_TYPE)

# go-securesystemslib encrypted.CheckParams: Legacy, Standard (default for new keys), OWASP.
SCRYPT_PARAMS: tuple[tuple[int, int, int], ...] = ((32768, 8, 1), (65536, 8, 1), (131072, 8, 1))
DEFAULT_SCRYPT = (65536, 8, 1)

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A cosign key pair as written to ``cosign.key`` / ``cosign.pub``. The private PEM stays out of ``repr`` so
    a key pair in a log line or traceback never shows key material, even encrypted."""

    private_pem: bytes = field(repr=False)
    public_pem: bytes


def pem_blocks(data: bytes) -> list[tuple[str, bytes]]:
    """Every ``-----BEGIN T-----`` block in ``data`` as (type, DER); a truncated or garbled block is an error."""
    text = data.decode("ascii", errors="replace")
    blocks: list[tuple[str, bytes]] = []
    pos = 0
    while True:
        start = text.find("-----BEGIN ", pos)
        if start < 0:
            break
        head_end = text.find("-----", start + 11)
        if head_end < 0:
            raise KeyFormatError("PEM header is truncated")
        kind = text[start + 11 : head_end]
        footer = f"-----END {kind}-----"
        end = text.find(footer, head_end)
        if end < 0:
            raise KeyFormatError(f"PEM block {kind!r} has no END line (truncated key?)")
        body = "".join(text[head_end + 5 : end].split())
        try:
            blocks.append((kind, base64.b64decode(body, validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise KeyFormatError(f"PEM block {kind!r} is not valid base64: {exc}") from exc
        pos = end + len(footer)
    return blocks


def pem_encode(kind: str, der: bytes) -> bytes:
    """Go ``pem.Encode``: 64-column base64 lines."""
    b64 = base64.b64encode(der).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return (f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----\n").encode()


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=32, maxmem=2**28)


def encrypt_private_key(der_pkcs8: bytes, password: bytes, *, params: tuple[int, int, int] = DEFAULT_SCRYPT) -> bytes:
    """Seal PKCS#8 DER the way cosign does and return the PEM file bytes."""
    n, r, p = params
    salt = os.urandom(32)
    nonce = os.urandom(24)
    box = nacl.secret.SecretBox(_scrypt(password, salt, n, r, p))
    sealed = box.encrypt(der_pkcs8, nonce).ciphertext  # tag ‖ data, as Go secretbox.Seal
    doc = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": n, "r": r, "p": p},
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    return pem_encode(SIGSTORE_PEM_TYPE, json.dumps(doc, separators=(",", ":")).encode())


def _field(doc: Any, *path: str) -> Any:
    cur = doc
    for part in path:
        if not isinstance(cur, dict) or part not in cur:
            raise KeyFormatError(f"encrypted key JSON lacks {'.'.join(path)}")
        cur = cur[part]
    return cur


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyFormatError(f"encrypted key field {what} is not a string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFormatError(f"encrypted key field {what} is not base64") from exc


def decrypt_private_key(pem: bytes, password: bytes) -> bytes:
    """Open a cosign encrypted key and return its plaintext (must then be PKCS#8)."""
    blocks = pem_blocks(pem)
    if not blocks:
        raise KeyFormatError("not a PEM file: no -----BEGIN ...----- block found")
    kind, body = blocks[0]
    if kind not in PRIVATE_PEM_TYPES:
        raise KeyFormatError(
            f"unsupported private key PEM type {kind!r}; cosign reads {' or '.join(PRIVATE_PEM_TYPES)}"
        )
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeyFormatError("encrypted key body is not JSON (truncated key?)") from exc
    if _field(doc, "kdf", "name") != "scrypt":
        raise KeyFormatError(f"unsupported KDF {_field(doc, 'kdf', 'name')!r} (only scrypt)")
    if _field(doc, "cipher", "name") != "nacl/secretbox":
        raise KeyFormatError(f"unsupported cipher {_field(doc, 'cipher', 'name')!r} (only nacl/secretbox)")
    params = _field(doc, "kdf", "params")
    triple = (params.get("N"), params.get("r"), params.get("p")) if isinstance(params, dict) else None
    if triple not in SCRYPT_PARAMS:
        raise KeyFormatError(f"unsupported scrypt parameters {params!r}")
    n, r, p = triple
    salt = _b64(_field(doc, "kdf", "salt"), "kdf.salt")
    nonce = _b64(_field(doc, "cipher", "nonce"), "cipher.nonce")
    sealed = _b64(_field(doc, "ciphertext"), "ciphertext")
    if len(nonce) != 24:
        raise KeyFormatError("secretbox nonce must be 24 bytes")
    try:
        return bytes(nacl.secret.SecretBox(_scrypt(password, salt, n, r, p)).decrypt(sealed, nonce))
    except nacl.exceptions.CryptoError as exc:
        raise WrongPasswordError("decryption failed: wrong password for the private key") from exc


def _is_pkcs8(der: bytes) -> bool:
    # PKCS#8 PrivateKeyInfo: SEQUENCE { INTEGER 0, SEQUENCE AlgorithmIdentifier, ... };
    # SEC1 ECPrivateKey starts SEQUENCE { INTEGER 1, OCTET STRING ... } and is refused like Go's ParsePKCS8PrivateKey.
    if len(der) < 8 or der[0] != 0x30:
        return False
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    return der[i : i + 3] == b"\x02\x01\x00" and der[i + 3 : i + 4] == b"\x30"


def load_private_key(pem: bytes, password: bytes) -> PrivateKey:
    """cosign ``LoadPrivateKey``: decrypt, then parse strictly as PKCS#8."""
    der = decrypt_private_key(pem, password)
    if not _is_pkcs8(der):
        raise KeyFormatError("x509: failed to parse private key: plaintext is not PKCS#8 (SEC1 EC keys are refused)")
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"x509: failed to parse private key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyFormatError(f"unsupported private key type {type(key).__name__}")
    return key


def generate_key_pair(password: bytes) -> KeyPair:
    """``cosign generate-key-pair``: ECDSA P-256, PKCS#8 sealed with the standard scrypt parameters."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return KeyPair(private_pem=encrypt_private_key(der, password), public_pem=public_key_pem(key.public_key()))


def public_key_pem(key: PublicKey) -> bytes:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem_encode("PUBLIC KEY", der)


def public_key_der(key: PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key_der(der: bytes) -> PublicKey:
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyFormatError(f"not a PKIX public key: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey):
        raise KeyFormatError(f"unsupported public key type {type(key).__name__}")
    return key


def load_public_key(pem: bytes) -> PublicKey:
    """A ``PUBLIC KEY`` PEM (PKIX SubjectPublicKeyInfo)."""
    blocks = pem_blocks(pem)
    if not blocks:
        raise KeyFormatError("not a PEM file: no -----BEGIN PUBLIC KEY----- block found")
    kind, der = blocks[0]
    if kind != "PUBLIC KEY":
        raise KeyFormatError(f"expected a PUBLIC KEY PEM block, found {kind!r}")
    return load_public_key_der(der)


def load_public_keys(pem: bytes) -> list[PublicKey]:
    """Every public key in a PEM bundle (Kyverno ``publicKeys`` may list several)."""
    keys = [load_public_key_der(der) for kind, der in pem_blocks(pem) if kind == "PUBLIC KEY"]
    if not keys:
        raise KeyFormatError("no PUBLIC KEY PEM block found")
    return keys


def _hash_for(key: PublicKey | PrivateKey) -> hashes.HashAlgorithm:
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        size = key.curve.key_size
        return hashes.SHA512() if size > 384 else hashes.SHA384() if size > 256 else hashes.SHA256()
    return hashes.SHA256()


def sign_bytes(key: PrivateKey, data: bytes) -> bytes:
    """DER signature as cosign makes it (ECDSA/SHA-256 for P-256, PKCS#1 v1.5 for RSA, pure Ed25519)."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(_hash_for(key)))
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data)


def verify_bytes(key: PublicKey, signature: bytes, data: bytes) -> None:
    """Raise SignatureMismatchError unless ``signature`` is ``key``'s signature over ``data``."""
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(_hash_for(key)))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, data)
    except InvalidSignature as exc:
        raise SignatureMismatchError("invalid signature when validating with the public key") from exc
    except (ValueError, TypeError) as exc:
        raise SignatureMismatchError(f"malformed signature: {exc}") from exc


_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


def verify_prehashed(key: PublicKey, signature: bytes, digest: bytes, hash_name: str = "sha256") -> None:
    """Verify a signature given only the message digest (Sigstore ``messageDigest``, RFC 3161 signed attributes)."""
    algo = utils.Prehashed(_HASHES[hash_name])
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(algo))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, digest, padding.PKCS1v15(), algo)
        else:
            raise SignatureMismatchError("Ed25519 signatures cannot be verified from a digest alone")
    except InvalidSignature as exc:
        raise SignatureMismatchError("invalid signature when validating with the public key") from exc
    except (ValueError, TypeError) as exc:
        raise SignatureMismatchError(f"malformed signature: {exc}") from exc


def key_hint(key: PublicKey) -> str:
    """Sigstore bundle ``publicKey.hint``: base64 SHA-256 of the SPKI DER."""
    return base64.b64encode(hashlib.sha256(public_key_der(key)).digest()).decode()
