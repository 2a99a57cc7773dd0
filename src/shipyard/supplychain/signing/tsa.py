"""RFC 3161 timestamps in a Sigstore bundle, verified offline against the trusted root's timestamp authorities.

The token is a CMS SignedData whose eContent is a TSTInfo; we check that the imprint is the hash of the bundle's
signature, that the signed attributes carry the hash of the TSTInfo, that the TSA's signature over the signed
attributes (re-tagged as a SET) verifies with a certificate chaining to a trusted TSA, and return ``genTime``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from cryptography import x509

from shipyard.supplychain.signing import der
from shipyard.supplychain.signing.certs import verify_chain
from shipyard.supplychain.signing.errors import CertificateError, SignatureMismatchError, TimestampError
from shipyard.supplychain.signing.keys import verify_prehashed
from shipyard.supplychain.signing.trustroot import CertAuthority, TrustedRoot

OID_SIGNED_DATA = der.oid("1.2.840.113549.1.7.2")
OID_TST_INFO = der.oid("1.2.840.113549.1.9.16.1.4")
OID_MESSAGE_DIGEST = der.oid("1.2.840.113549.1.9.4")
HASHES = {
    der.oid("2.16.840.1.101.3.4.2.1"): "sha256",
    der.oid("2.16.840.1.101.3.4.2.2"): "sha384",
    der.oid("2.16.840.1.101.3.4.2.3"): "sha512",
}
# ecdsa-with-SHA256/384/512 and sha256/384/512WithRSAEncryption name their own hash.
SIG_HASHES = {
    der.oid("1.2.840.10045.4.3.2"): "sha256",
    der.oid("1.2.840.10045.4.3.3"): "sha384",
    der.oid("1.2.840.10045.4.3.4"): "sha512",
    der.oid("1.2.840.113549.1.1.11"): "sha256",
    der.oid("1.2.840.113549.1.1.12"): "sha384",
    der.oid("1.2.840.113549.1.1.13"): "sha512",
}


def _hash_name(alg_id: der.Node, table: dict[bytes, str]) -> str | None:
    kids = alg_id.children()
    return table.get(kids[0].content) if kids and kids[0].tag == 0x06 else None


def verify_timestamp(token: bytes, signature: bytes, root: TrustedRoot) -> datetime:
    """Verify one ``signedTimestamp`` over ``signature``; return the TSA's genTime."""
    try:
        return _verify(token, signature, root)
    except ValueError as exc:
        raise TimestampError(f"malformed RFC 3161 timestamp: {exc}") from exc


def _verify(token: bytes, signature: bytes, root: TrustedRoot) -> datetime:
    top = der.parse_one(token).children()
    if top and top[0].tag == 0x30 and top[0].children() and top[0].children()[0].tag == 0x02:
        if len(top) < 2:
            raise TimestampError("timestamp response carries no token")
        top = top[1].children()  # TimeStampResp{status, timeStampToken}
    if len(top) < 2 or top[0].content != OID_SIGNED_DATA:
        raise TimestampError("timestamp token is not CMS SignedData")
    signed = top[1].children()[0].children()
    encap = signed[2].children()
    if encap[0].content != OID_TST_INFO:
        raise TimestampError("timestamp token does not carry a TSTInfo")
    tst_der = encap[1].children()[0].content
    tst = der.parse_one(tst_der).children()
    imprint = tst[2].children()
    imprint_hash = _hash_name(imprint[0], HASHES)
    if imprint_hash is None:
        raise TimestampError("unsupported message imprint hash")
    if hashlib.new(imprint_hash, signature).digest() != imprint[1].content:
        raise TimestampError("timestamp's message imprint is not the hash of the bundle's signature")
    gen_time = der.generalized_time(tst[4])
    certs = [x509.load_der_x509_certificate(n.raw) for n in signed if n.tag == 0xA0 for n in n.children()]
    signer_infos = signed[-1].children()
    if not signer_infos:
        raise TimestampError("timestamp token has no signer")
    info = signer_infos[0].children()
    digest_name = _hash_name(info[2], HASHES)
    attrs = info[3]
    if attrs.tag != 0xA0 or digest_name is None:
        raise TimestampError("timestamp signer has no signed attributes")
    md = next(
        (
            a.children()[1].children()[0].content
            for a in attrs.children()
            if a.children()[0].content == OID_MESSAGE_DIGEST
        ),
        None,
    )
    if md != hashlib.new(digest_name, tst_der).digest():
        raise TimestampError("timestamp signed attributes do not match the TSTInfo")
    sig_hash = _hash_name(info[4], SIG_HASHES) or digest_name
    signed_attrs = b"\x31" + attrs.raw[1:]
    digest = hashlib.new(sig_hash, signed_attrs).digest()
    problems: list[str] = []
    for tsa in root.tsas:
        if not tsa.valid.contains(gen_time):
            problems.append(f"TSA {tsa.uri}: genTime outside its validFor")
            continue
        for leaf in [tsa.chain[0], *certs]:
            try:
                verify_prehashed(leaf.public_key(), info[5].content, digest, sig_hash)  # type: ignore[arg-type]
                if leaf is tsa.chain[0]:
                    rest = tsa.chain[1:] or tsa.chain
                    verify_chain(leaf, [CertAuthority(tsa.uri, rest, tsa.valid)], at=gen_time, code_signing=False)
                else:
                    verify_chain(leaf, [tsa], at=gen_time, code_signing=False)
            except (SignatureMismatchError, CertificateError) as exc:
                problems.append(f"TSA {tsa.uri}: {exc}")
                continue
            return gen_time
    detail = f": {problems[0]}" if problems else ""
    raise TimestampError(f"timestamp does not verify against any trusted timestamp authority{detail}")
