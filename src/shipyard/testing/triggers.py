"""Fakes for the Triggers sink: a ``RunSubmitter`` that records what it is given, and a GitHub-style signer."""

from __future__ import annotations

import hashlib
import hmac
import threading
from typing import Any

from shipyard.errors import ConflictError


class RecordingSubmitter:
    """Keeps every submitted resource; refuses a second resource with the same name, as an API server would."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.resources: list[dict[str, Any]] = []

    def submit(self, resource: dict[str, Any]) -> str:
        name = str(resource["metadata"]["name"])
        with self._lock:
            if any(r["metadata"]["name"] == name for r in self.resources):
                raise ConflictError(f'{resource.get("kind")} "{name}" already exists')
            self.resources.append(resource)
        return name

    def for_event(self, event_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                r
                for r in self.resources
                if r["metadata"].get("labels", {}).get("triggers.tekton.dev/triggers-eventid") == event_id
            ]


def github_signature(secret: bytes, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
