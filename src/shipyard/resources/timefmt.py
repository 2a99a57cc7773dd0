"""Kubernetes ``metav1.Time`` text (RFC 3339, second precision, ``Z``) back to epoch seconds."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


@lru_cache(maxsize=4096)
def parse_time(text: str) -> float:
    """``2026-01-01T00:00:00Z`` → seconds since the epoch; ``ValueError`` on anything else."""
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
