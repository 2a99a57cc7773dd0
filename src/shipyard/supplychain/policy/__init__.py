"""Kyverno ``verifyImages`` evaluation and AdmissionReview v1 responses (pure core, no I/O)."""
