"""The ``Cluster`` protocol: Kubernetes object semantics over plain dicts.

Objects are the JSON shape of Kubernetes objects: ``apiVersion``, ``kind``, ``metadata`` (``namespace``, ``name``,
``uid``, ``generation``, ``resourceVersion``, ``creationTimestamp``, ``labels``, ``annotations``,
``ownerReferences``), ``spec``/``data``/… and ``status``. A *kind key* names a kind without its version:
``"apps/Deployment"``, ``"argoproj.io/Rollout"``, and core kinds by bare kind (``"Service"``, ``"ConfigMap"``).
Cluster-scoped objects use the namespace ``""``.

Semantics every implementation keeps (``tests/cluster/test_contract.py`` checks them on each one):

- ``create`` fails with ``ConflictError`` if the object exists; it assigns ``uid``, ``generation: 1``,
  ``resourceVersion`` and ``creationTimestamp``; ``status`` in the request is ignored (status subresource).
- ``update`` replaces everything but ``status`` and system metadata; if the request carries a
  ``resourceVersion`` that is not the stored one it fails with ``ConflictError`` (optimistic concurrency).
- ``apply`` creates or updates without a resourceVersion precondition (the declarative path of a sync agent).
- ``generation`` is bumped only when something outside ``metadata`` and ``status`` changed.
- ``update_status`` replaces only ``status`` (same resourceVersion rule); it never bumps ``generation``.
- ``delete`` removes the object and, transitively, every object whose ``ownerReferences`` name its uid.
- Every write bumps one cluster-wide, monotonically increasing ``resourceVersion`` (a decimal string) and appends
  a ``WatchEvent``; ``changes(since)`` returns the events after ``since`` — the poll form of a watch.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from shipyard.resources.labels import Selector

Obj = dict[str, Any]


class EventType(enum.StrEnum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: EventType
    resource_version: int
    kind_key: str
    namespace: str
    name: str
    object: Obj


def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def make_kind_key(api_version: str, kind: str) -> str:
    group = group_of(api_version)
    return f"{group}/{kind}" if group else kind


def normalize_kind_key(key: str) -> str:
    """``"/Service"`` and ``"v1/Service"`` → ``"Service"``; ``"apps/v1/Deployment"`` → ``"apps/Deployment"``."""
    parts = [p for p in key.split("/") if p]
    if not parts:
        return key
    kind = parts[-1]
    rest = parts[:-1]
    if rest and rest[-1].startswith("v") and rest[-1][1:2].isdigit():
        rest = rest[:-1]
    return "/".join([*rest, kind])


def kind_key_of(obj: Mapping[str, Any]) -> str:
    return make_kind_key(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))


def meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, dict) else {}


def ident(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    """``(kind_key, namespace, name)`` of an object."""
    m = meta(obj)
    return kind_key_of(obj), str(m.get("namespace") or ""), str(m.get("name") or "")


@runtime_checkable
class Cluster(Protocol):
    """Where desired state is applied and observed: the local object store or a real API server."""

    def get(self, kind_key: str, namespace: str, name: str) -> Obj | None:
        """The object, or ``None``."""

    def list(self, kind_key: str, namespace: str | None = None, label_selector: Selector = None) -> list[Obj]:
        """Objects of a kind, in one namespace (or all when ``None``), matching the selector; sorted by
        namespace then name."""

    def create(self, obj: Obj) -> Obj:
        """Create; ``ConflictError`` if it exists. Returns the stored object."""

    def update(self, obj: Obj) -> Obj:
        """Replace spec/metadata (not status); ``ConflictError`` on a stale resourceVersion; ``NotFoundError``."""

    def apply(self, obj: Obj) -> Obj:
        """Create or update without a resourceVersion precondition."""

    def update_status(self, obj: Obj) -> Obj:
        """Replace only ``status`` (the status subresource); ``ConflictError`` on a stale resourceVersion."""

    def delete(self, kind_key: str, namespace: str, name: str) -> None:
        """Delete with cascading delete of owned objects; ``NotFoundError`` if absent."""

    def changes(self, since: int = 0, kind_key: str | None = None) -> builtins.list[WatchEvent]:
        """Watch events with ``resource_version > since``, oldest first."""

    def resource_version(self) -> int:
        """The newest resourceVersion written (0 for an empty cluster)."""
