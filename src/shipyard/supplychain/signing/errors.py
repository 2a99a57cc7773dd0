"""Specific failures of signing and verification, all under ``VerificationError`` (or ``SpecError`` for bad input).

Each names what failed so that a caller (and a test) can tell a tampered payload from a wrong key.
"""

from __future__ import annotations

from shipyard.errors import VerificationError


class KeyFormatError(VerificationError):
    """A key file is truncated, not PEM, of a PEM type cosign does not accept, or its parameters are unsupported."""


class WrongPasswordError(VerificationError):
    """The password does not open the encrypted key (NaCl secretbox authentication failed)."""


class SignatureMismatchError(VerificationError):
    """A signature does not verify over its payload with the given key or certificate."""


class ClaimMismatchError(VerificationError):
    """A verified payload or statement does not describe the expected image digest or annotations."""


class CertificateError(VerificationError):
    """A certificate does not chain to a trusted CA, was not valid at signing time, or is malformed."""


class IdentityMismatchError(VerificationError):
    """A certificate's SAN or OIDC issuer does not satisfy the requested identity."""


class TransparencyLogError(VerificationError):
    """A Rekor SET, inclusion proof, checkpoint or entry body does not check out."""


class TimestampError(VerificationError):
    """An RFC 3161 timestamp does not verify against the trusted timestamp authorities."""


class NoSignaturesError(VerificationError):
    """No signature or attestation was found (or none verified) for an image."""
