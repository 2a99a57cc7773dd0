"""Cosign-compatible keys, signatures, attestations and Sigstore bundle verification (pure core, no I/O)."""
