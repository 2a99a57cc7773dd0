"""A private, offline stand-in for Fulcio + Rekor, to make keyless cosign signatures in tests and demos.

    fake = FakeSigstore(now)
    root = load_trusted_root(fake.trusted_root_json())
    fake.sign_legacy(store, "127.0.0.1:5000/app@sha256:…", identity="https://github.com/o/r/.github/workflows/ci.yaml@refs/heads/main",
                     issuer="https://token.actions.githubusercontent.com", at=now)

The CA issues short-lived code-signing leaves with the SAN URI and both Fulcio issuer extensions (``.1.1`` raw,
``.1.8`` DER UTF8String); the log key signs SETs over the hashedrekord entry exactly as Rekor does. Nothing here is
trusted outside the trusted root it writes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shipyard.supplychain.signing import dsse, legacy, referrer, statements, tlog
from shipyard.supplychain.signing.bundle import BUNDLE_V03
from shipyard.supplychain.signing.imageref import parse_image
from shipyard.supplychain.signing.payload import SIMPLE_SIGNING_MEDIA_TYPE, make_payload
from shipyard.supplychain.signing.storage import SignatureStore, resolve


def _octets(data: bytes) -> bytes:
    """DER OCTET STRING around ``data`` (the extnValue of the SCT list extension)."""
    n = len(data)
    head = bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82, n >> 8, n & 0xFF])
    return b"\x04" + head + data


def _utf8(value: str) -> bytes:
    raw = value.encode()
    assert len(raw) < 128
    return bytes([0x0C, len(raw)]) + raw


class FakeSigstore:
    def __init__(self, now: datetime) -> None:
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "shipyard-test"),
                x509.NameAttribute(NameOID.COMMON_NAME, "fake-fulcio"),
            ]
        )
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_start = now - timedelta(days=1)
        self.rekor_key = ec.generate_private_key(ec.SECP256R1())
        spki = self.rekor_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.log_id = hashlib.sha256(spki).digest()
        self._spki = spki
        self.ct_key = ec.generate_private_key(ec.SECP256R1())
        self._ct_spki = self.ct_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self._index = 0

    def trusted_root_json(self) -> bytes:
        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode()

        start = self.ca_start.strftime("%Y-%m-%dT%H:%M:%SZ")
        doc = {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [
                {
                    "baseUrl": "https://rekor.invalid",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": b64(self._spki),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": {"start": start},
                    },
                    "logId": {"keyId": b64(self.log_id)},
                }
            ],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "shipyard-test", "commonName": "fake-fulcio"},
                    "uri": "https://fulcio.invalid",
                    "certChain": {
                        "certificates": [{"rawBytes": b64(self.ca_cert.public_bytes(serialization.Encoding.DER))}]
                    },
                    "validFor": {"start": start},
                }
            ],
            "ctlogs": [
                {
                    "baseUrl": "https://ctfe.invalid",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": b64(self._ct_spki),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": {"start": start},
                    },
                    "logId": {"keyId": b64(hashlib.sha256(self._ct_spki).digest())},
                }
            ],
            "timestampAuthorities": [],
        }
        return json.dumps(doc, indent=2).encode()

    def issue(
        self, identity: str, issuer: str, at: datetime, *, minutes: int = 10
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(at)
            .not_valid_after(at + timedelta(minutes=minutes))
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(identity)]), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
            .add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1"), issuer.encode()),
                critical=False,
            )
            .add_extension(
                x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), _utf8(issuer)),
                critical=False,
            )
        )
        # The CT log signs the precertificate TBS (the final TBS without the SCT extension, which goes last).
        tbs = builder.sign(self.ca_key, hashes.SHA256()).tbs_certificate_bytes
        sct_ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2"), self._sct_list(tbs, at))
        return key, builder.add_extension(sct_ext, critical=False).sign(self.ca_key, hashes.SHA256())

    def _sct_list(self, tbs: bytes, at: datetime) -> bytes:
        millis = int(at.timestamp()) * 1000
        issuer_key_hash = hashlib.sha256(
            self.ca_cert.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).digest()
        signed = (
            bytes([0, 0]) + struct.pack(">QH", millis, 1) + issuer_key_hash + len(tbs).to_bytes(3, "big") + tbs
        ) + b"\x00\x00"
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        log_id = hashlib.sha256(self._ct_spki).digest()
        sct = bytes([0]) + log_id + struct.pack(">QH", millis, 0) + bytes([4, 3]) + struct.pack(">H", len(signature))
        sct += signature
        body = struct.pack(">H", len(sct)) + sct
        tls = struct.pack(">H", len(body)) + body
        return _octets(tls)

    def rekor_bundle(
        self, payload: bytes, signature: bytes, signer: x509.Certificate | bytes, integrated: datetime
    ) -> str:
        """The ``dev.sigstore.cosign/bundle`` annotation for a hashedrekord entry of this signature
        (``signer`` is the certificate, or the PEM public key of a key-signed signature)."""
        pem = signer if isinstance(signer, bytes) else signer.public_bytes(serialization.Encoding.PEM)
        body = json.dumps(
            {
                "apiVersion": "0.0.1",
                "kind": "hashedrekord",
                "spec": {
                    "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}},
                    "signature": {
                        "content": base64.b64encode(signature).decode(),
                        "publicKey": {"content": base64.b64encode(pem).decode()},
                    },
                },
            },
            separators=(",", ":"),
        ).encode()
        body_b64 = base64.b64encode(body).decode()
        self._index += 1
        when = int(integrated.timestamp())
        message = tlog.set_payload(body_b64, when, self.log_id, self._index)
        set_sig = self.rekor_key.sign(message, ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "SignedEntryTimestamp": base64.b64encode(set_sig).decode(),
                "Payload": {
                    "body": body_b64,
                    "integratedTime": when,
                    "logIndex": self._index,
                    "logID": self.log_id.hex(),
                },
            }
        )

    def sign_legacy(
        self,
        store: SignatureStore,
        image: str,
        *,
        identity: str,
        issuer: str,
        at: datetime,
        integrated: datetime | None = None,
    ) -> str:
        """A keyless ``.sig`` layer (certificate, chain, Rekor bundle) for ``image``; returns the signed digest."""
        ref = parse_image(image)
        found = resolve(store, ref.repository, ref.identifier, ref.digest)
        key, cert = self.issue(identity, issuer, at)
        payload = make_payload(ref.docker_reference, found.digest)
        signature = key.sign(payload, ec.ECDSA(hashes.SHA256()))
        annotations = {
            legacy.ANN_SIGNATURE: base64.b64encode(signature).decode(),
            legacy.ANN_CERTIFICATE: cert.public_bytes(serialization.Encoding.PEM).decode(),
            legacy.ANN_CHAIN: self.ca_cert.public_bytes(serialization.Encoding.PEM).decode(),
            legacy.ANN_BUNDLE: self.rekor_bundle(payload, signature, cert, integrated or at + timedelta(minutes=1)),
        }
        layer = legacy.Layer(SIMPLE_SIGNING_MEDIA_TYPE, legacy.sha256(payload), len(payload), annotations)
        legacy.append_layer(store, ref.repository, legacy.legacy_tag(found.digest, "sig"), payload, layer)
        return found.digest

    def _checkpoint(self, size: int, root: bytes) -> str:
        body = f"rekor.invalid - fake\n{size}\n{base64.b64encode(root).decode()}\n"
        sig = self.rekor_key.sign(body.encode(), ec.ECDSA(hashes.SHA256()))
        return body + "\n\u2014 rekor.invalid " + base64.b64encode(self.log_id[:4] + sig).decode() + "\n"

    def sign_bundle(
        self,
        store: SignatureStore,
        image: str,
        *,
        identity: str,
        issuer: str,
        at: datetime,
        integrated: datetime | None = None,
    ) -> str:
        """A cosign 3 keyless signature: DSSE in-toto statement in a v0.3 bundle (leaf certificate, ``dsse`` Rekor
        entry with SET and a one-leaf inclusion proof + checkpoint), attached as a referrer. Returns the digest."""
        ref = parse_image(image)
        found = resolve(store, ref.repository, ref.identifier, ref.digest)
        key, cert = self.issue(identity, issuer, at)
        statement = statements.signature_statement(found.digest)
        envelope = dsse.Envelope(
            dsse.INTOTO_PAYLOAD_TYPE,
            statement,
            (key.sign(dsse.pae(dsse.INTOTO_PAYLOAD_TYPE, statement), ec.ECDSA(hashes.SHA256())),),
        )
        pem = cert.public_bytes(serialization.Encoding.PEM)
        body = json.dumps(
            {
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(envelope.to_bytes()).hexdigest()},
                    "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(statement).hexdigest()},
                    "signatures": [
                        {
                            "signature": base64.b64encode(envelope.signatures[0]).decode(),
                            "verifier": base64.b64encode(pem).decode(),
                        }
                    ],
                },
            },
            separators=(",", ":"),
        ).encode()
        self._index += 1
        when = int((integrated or at + timedelta(minutes=1)).timestamp())
        body_b64 = base64.b64encode(body).decode()
        set_sig = self.rekor_key.sign(
            tlog.set_payload(body_b64, when, self.log_id, self._index), ec.ECDSA(hashes.SHA256())
        )
        root = hashlib.sha256(b"\x00" + body).digest()

        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode()

        doc = {
            "mediaType": BUNDLE_V03,
            "verificationMaterial": {
                "certificate": {"rawBytes": b64(cert.public_bytes(serialization.Encoding.DER))},
                "tlogEntries": [
                    {
                        "logIndex": str(self._index),
                        "logId": {"keyId": b64(self.log_id)},
                        "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                        "integratedTime": str(when),
                        "inclusionPromise": {"signedEntryTimestamp": b64(set_sig)},
                        "inclusionProof": {
                            "logIndex": "0",
                            "rootHash": b64(root),
                            "treeSize": "1",
                            "hashes": [],
                            "checkpoint": {"envelope": self._checkpoint(1, root)},
                        },
                        "canonicalizedBody": body_b64,
                    }
                ],
            },
            "dsseEnvelope": envelope.to_bundle_json(),
        }
        subject = referrer.Subject(found.media_type, found.digest, found.size)
        referrer.attach_bundle(
            store, ref.repository, json.dumps(doc).encode(), subject, statements.COSIGN_SIGN_PREDICATE, now=at
        )
        return found.digest
