"""Kyverno attestors → signature verifiers (``pkg/image/verifiers/cpol/cosign``, ``expandStaticKeys``).

Every PEM key in ``keys.publicKeys`` is its own entry for ``count``. ``keyless`` ``subject``/``issuer`` and
``additionalExtensions`` values are Kyverno wildcards (anchored); ``subjectRegExp``/``issuerRegExp`` are Go
regexps (unanchored). ``roots`` replaces the trusted root's Fulcio CAs. Key-signed images are verified offline:
no Rekor lookup is made (shipyard signs without a transparency log; cosign needs ``--insecure-ignore-tlog``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from shipyard.errors import UnsupportedError
from shipyard.resources.kyverno import Attestor, AttestorSet
from shipyard.supplychain.policy.images import wildcard_regex
from shipyard.supplychain.signing import certs, keys
from shipyard.supplychain.signing.errors import CertificateError
from shipyard.supplychain.signing.trustroot import CertAuthority, TrustedRoot, Validity
from shipyard.supplychain.signing.verify import Verifier


@dataclass(frozen=True, slots=True)
class Entry:
    """One countable attestor: a verifier, or a nested set."""

    path: str
    verifier: Verifier | None
    nested: AttestorSet | None = None


def _identity(value: str) -> tuple[str, str]:
    """A Kyverno wildcard as (exact, regexp) for ``IdentityPolicy``."""
    if "*" in value or "?" in value:
        return "", wildcard_regex(value)
    return value, ""


def _keyless_verifier(entry: Attestor, root: TrustedRoot | None) -> Verifier:
    kl = entry.keyless
    assert kl is not None
    if root is None:
        raise CertificateError("keyless attestors need a trusted root (--trusted-root / trusted_root=)")
    if kl.roots:
        cas = tuple(
            CertAuthority("keyless.roots", (c,), Validity(None, None))
            for c in certs.load_certificates(kl.roots.encode())
        )
        root = replace(root, cas=cas)
    identity, identity_re = _identity(kl.subject) if kl.subject else ("", kl.subject_reg_exp)
    issuer, issuer_re = _identity(kl.issuer) if kl.issuer else ("", kl.issuer_reg_exp)
    if not (identity or identity_re):
        identity_re = ".*"  # Kyverno allows a keyless attestor without a subject
    if not (issuer or issuer_re):
        issuer_re = ".*"
    extensions = tuple((name, wildcard_regex(value)) for name, value in sorted(kl.additional_extensions.items()))
    policy = certs.IdentityPolicy(identity, identity_re, issuer, issuer_re, extensions)
    ignore_sct = kl.ctlog is not None and kl.ctlog.ignore_sct
    return Verifier(
        identity=policy, trusted_root=root, annotations=entry.annotations, ignore_tlog=False, ignore_sct=ignore_sct
    )


def expand(aset: AttestorSet, base: str, root: TrustedRoot | None) -> list[Entry]:
    out: list[Entry] = []
    for i, entry in enumerate(aset.entries):
        path = f"{base}.entries[{i}]"
        if entry.repository:
            raise UnsupportedError(f"{path}.repository (alternate signature repository) is not supported by shipyard")
        if entry.keys is not None:
            k = entry.keys
            if k.kms or k.secret is not None or k.public_keys.startswith("k8s://"):
                raise UnsupportedError(
                    f"{path}.keys: KMS and Kubernetes-secret keys are not supported; inline publicKeys PEM"
                )
            if k.signature_algorithm not in ("sha256", ""):
                raise UnsupportedError(f"{path}.keys.signatureAlgorithm {k.signature_algorithm!r} (only sha256)")
            for j, key in enumerate(keys.load_public_keys(k.public_keys.encode())):
                suffix = f".keys[{j}]" if j else ".keys"
                out.append(Entry(path + suffix, Verifier(key=key, annotations=entry.annotations)))
        elif entry.keyless is not None:
            out.append(Entry(path + ".keyless", _keyless_verifier(entry, root)))
        elif entry.certificates is not None:
            raise UnsupportedError(f"{path}.certificates attestors are not supported by shipyard; use keys or keyless")
        else:
            out.append(Entry(path + ".attestor", None, entry.attestor))
    return out


def required_count(aset: AttestorSet, entries: list[Entry]) -> int:
    """nil or 0 ⇒ all entries must verify; N ⇒ at least N."""
    return len(entries) if not aset.count else aset.count
