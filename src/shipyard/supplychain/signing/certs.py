"""Fulcio certificates: chain to a trusted CA, the SAN identity and OIDC issuer, and cosign's matching rules.

cosign ``CheckCertificatePolicy``: ``--certificate-identity`` is exact equality with any SAN,
``--certificate-identity-regexp`` a Go RE2 *unanchored* search; the same for the issuer. The issuer comes from
Fulcio OID ``1.3.6.1.4.1.57264.1.8`` (DER UTF8String) and, failing that, the deprecated ``.1.1`` (raw bytes).
The chain is checked at the leaf's NotBefore (cosign ``TrustedCert``), inside the CA's ``validFor`` window.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtendedKeyUsageOID

from shipyard.supplychain.signing import der
from shipyard.supplychain.signing.errors import CertificateError, IdentityMismatchError
from shipyard.supplychain.signing.trustroot import CertAuthority

OID_ISSUER_V1 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_ISSUER_V2 = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
OID_OTHERNAME_SAN = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.7")
GITHUB_EXTENSIONS = {
    "githubWorkflowTrigger": "1.3.6.1.4.1.57264.1.2",
    "githubWorkflowSha": "1.3.6.1.4.1.57264.1.3",
    "githubWorkflowName": "1.3.6.1.4.1.57264.1.4",
    "githubWorkflowRepository": "1.3.6.1.4.1.57264.1.5",
    "githubWorkflowRef": "1.3.6.1.4.1.57264.1.6",
}


def load_certificate(data: bytes) -> x509.Certificate:
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise CertificateError(f"malformed certificate: {exc}") from exc


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise CertificateError(f"malformed certificate chain: {exc}") from exc


def san_values(cert: x509.Certificate) -> list[str]:
    """``cryptoutils.GetSubjectAlternateNames``: DNS, email, IP, URI, then Fulcio OtherName usernames."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    out: list[str] = []
    out += ext.get_values_for_type(x509.DNSName)
    out += ext.get_values_for_type(x509.RFC822Name)
    out += [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]
    out += ext.get_values_for_type(x509.UniformResourceIdentifier)
    for other in ext.get_values_for_type(x509.OtherName):
        if other.type_id == OID_OTHERNAME_SAN:
            try:
                out.append(der.utf8_string(other.value))
            except (ValueError, UnicodeDecodeError):
                continue
    return out


def _raw_extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> bytes | None:
    try:
        value = cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    return value.value if isinstance(value, x509.UnrecognizedExtension) else None


def issuer_of(cert: x509.Certificate) -> str:
    """The OIDC issuer: v2 extension (DER UTF8String) preferred, else v1 (raw string)."""
    v2 = _raw_extension(cert, OID_ISSUER_V2)
    if v2 is not None:
        try:
            return der.utf8_string(v2)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CertificateError("certificate issuer extension 1.3.6.1.4.1.57264.1.8 is not a UTF8String") from exc
    v1 = _raw_extension(cert, OID_ISSUER_V1)
    return v1.decode("utf-8", errors="replace") if v1 is not None else ""


def extension_value(cert: x509.Certificate, name_or_oid: str) -> str | None:
    """A Fulcio extension by friendly name (githubWorkflowRepository …) or dotted OID, as text."""
    dotted = GITHUB_EXTENSIONS.get(name_or_oid, name_or_oid)
    raw = _raw_extension(cert, x509.ObjectIdentifier(dotted))
    if raw is None:
        return None
    try:
        return der.utf8_string(raw)
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class IdentityPolicy:
    """cosign's ``--certificate-identity[-regexp]`` and ``--certificate-oidc-issuer[-regexp]``."""

    identity: str = ""
    identity_regexp: str = ""
    issuer: str = ""
    issuer_regexp: str = ""
    extensions: tuple[tuple[str, str], ...] = ()  # (friendly name or OID, regexp searched in its value)

    def check(self, cert: x509.Certificate) -> None:
        if not (self.identity or self.identity_regexp) or not (self.issuer or self.issuer_regexp):
            raise IdentityMismatchError(
                "keyless verification needs --certificate-identity or --certificate-identity-regexp "
                "and --certificate-oidc-issuer or --certificate-oidc-issuer-regexp"
            )
        issuer = issuer_of(cert)
        if self.issuer and issuer != self.issuer:
            raise IdentityMismatchError(f"expected OIDC issuer {self.issuer!r}, certificate has {issuer!r}")
        if self.issuer_regexp and not _search(self.issuer_regexp, issuer):
            raise IdentityMismatchError(f"OIDC issuer {issuer!r} does not match regexp {self.issuer_regexp!r}")
        sans = san_values(cert)
        if self.identity and self.identity not in sans:
            raise IdentityMismatchError(f"expected identity {self.identity!r} not found in certificate SANs {sans}")
        if self.identity_regexp and not any(_search(self.identity_regexp, s) for s in sans):
            raise IdentityMismatchError(f"no certificate SAN in {sans} matches regexp {self.identity_regexp!r}")
        for name, pattern in self.extensions:
            value = extension_value(cert, name)
            if value is None or not _search(pattern, value):
                raise IdentityMismatchError(
                    f"certificate extension {name} is {value!r}, which does not match {pattern!r}"
                )


def _search(pattern: str, value: str) -> bool:
    # Go regexp.MatchString is an unanchored search.
    try:
        return re.search(pattern, value) is not None
    except re.error as exc:
        raise IdentityMismatchError(f"invalid regular expression {pattern!r}: {exc}") from exc


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _within(cert: x509.Certificate, moment: datetime) -> bool:
    return cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc


def verify_chain(
    leaf: x509.Certificate,
    authorities: Sequence[CertAuthority],
    *,
    at: datetime | None = None,
    code_signing: bool = True,
) -> CertAuthority:
    """Chain ``leaf`` to one of ``authorities`` at ``at`` (default: leaf NotBefore); return that CA."""
    moment = at or leaf.not_valid_before_utc
    if code_signing:
        try:
            eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound as exc:
            raise CertificateError("certificate has no extended key usage (codeSigning required)") from exc
        if ExtendedKeyUsageOID.CODE_SIGNING not in eku:
            raise CertificateError("certificate is not valid for code signing (EKU)")
    problems: list[str] = []
    for ca in authorities:
        chain = ca.chain
        if not _issued_by(leaf, chain[0]):
            continue
        if not all(_issued_by(chain[i], chain[i + 1]) for i in range(len(chain) - 1)):
            problems.append(f"CA {ca.uri}: its own chain does not verify")
            continue
        if not all(_within(c, moment) for c in chain):
            problems.append(f"CA {ca.uri}: a CA certificate was not valid at {moment.isoformat()}")
            continue
        if not ca.valid.contains(moment):
            problems.append(f"CA {ca.uri}: certificate issued at {moment.isoformat()}, outside the CA's validFor")
            continue
        return ca
    detail = "; ".join(problems) if problems else "no trusted CA issued it"
    raise CertificateError(f"certificate chain does not verify against the trusted root: {detail}")


def check_valid_at(leaf: x509.Certificate, moment: datetime, what: str) -> None:
    if not _within(leaf, moment):
        raise CertificateError(
            f"{what} {moment.isoformat()} is outside the certificate's validity "
            f"[{leaf.not_valid_before_utc.isoformat()}, {leaf.not_valid_after_utc.isoformat()}] (expired or not yet valid)"
        )


def is_self_signed(cert: x509.Certificate) -> bool:
    return cert.issuer == cert.subject and _issued_by(cert, cert)
