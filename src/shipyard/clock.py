"""Time as a dependency: the core takes ``now`` as an argument; controllers get it from a Clock.

``SystemClock`` is the real one; ``FakeClock`` is advanced by tests and by the what-if simulator.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (wall time, for timestamps)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin (for durations and timeouts)."""

    def sleep(self, seconds: float) -> None:
        """Wait; a fake clock advances instead."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to. ``sleep`` advances it, so loops under test never wait."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._t = start
        self._origin = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._t

    def monotonic(self) -> float:
        with self._lock:
            return self._t - self._origin

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._t += seconds


def rfc3339(ts: float) -> str:
    """Kubernetes' metav1.Time format: second precision, UTC, 'Z'."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
