"""The object semantics shared by ``MemoryCluster`` and ``LocalCluster``: they differ only in where rows live.

A storage backend gives transactions over rows keyed ``(kind_key, namespace, name)``; everything Kubernetes-like
(uids, generation, resourceVersion, status subresource, cascading delete, watch events) is decided here once.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from shipyard.clock import rfc3339
from shipyard.cluster.base import EventType, Obj, WatchEvent, ident, normalize_kind_key
from shipyard.errors import ConflictError, NotFoundError, SpecError
from shipyard.resources.labels import Selector, matches, normalize_selector

_SYSTEM_META = ("uid", "generation", "resourceVersion", "creationTimestamp")


class Txn(Protocol):
    def read(self, kind_key: str, namespace: str, name: str) -> Obj | None: ...
    def scan(self, kind_key: str | None, namespace: str | None) -> Iterator[Obj]: ...
    def write(self, kind_key: str, namespace: str, name: str, obj: Obj) -> None: ...
    def remove(self, kind_key: str, namespace: str, name: str) -> None: ...
    def next_rv(self) -> int: ...
    def emit(self, event: WatchEvent) -> None: ...


def _validate(obj: Obj) -> tuple[str, str, str]:
    if not isinstance(obj, dict):
        raise SpecError("a cluster object must be a mapping")
    for field in ("apiVersion", "kind"):
        if not isinstance(obj.get(field), str) or not obj[field]:
            raise SpecError("required field is missing", path=field)
    key, ns, name = ident(obj)
    if not name:
        raise SpecError("required field is missing", path="metadata.name")
    return key, ns, name


def _body(obj: Obj) -> Obj:
    """What generation tracks: everything outside metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


class StoredCluster:
    """Implements ``Cluster`` over ``_txn()``; subclasses provide the storage."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def _txn(self) -> AbstractContextManager[Txn]:
        raise ConflictError("storage backend missing")  # overridden by every concrete store

    def get(self, kind_key: str, namespace: str, name: str) -> Obj | None:
        with self._txn() as t:
            found = t.read(normalize_kind_key(kind_key), namespace or "", name)
        return copy.deepcopy(found) if found is not None else None

    def list(self, kind_key: str, namespace: str | None = None, label_selector: Selector = None) -> list[Obj]:
        sel = normalize_selector(label_selector)
        with self._txn() as t:
            rows = [
                o
                for o in t.scan(normalize_kind_key(kind_key), namespace)
                if matches(sel, (o.get("metadata") or {}).get("labels"))
            ]
        rows.sort(key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"]))
        return copy.deepcopy(rows)

    def create(self, obj: Obj) -> Obj:
        key, ns, name = _validate(obj)
        with self._txn() as t:
            if t.read(key, ns, name) is not None:
                raise ConflictError(f'{key} "{ns}/{name}" already exists')
            return self._create(t, key, ns, name, obj)

    def _create(self, t: Txn, key: str, ns: str, name: str, obj: Obj) -> Obj:
        new = copy.deepcopy(obj)
        new.pop("status", None)
        m = new.setdefault("metadata", {})
        m["namespace"] = ns
        if not ns:
            m.pop("namespace")
        m["uid"] = str(uuid.uuid4())
        m["generation"] = 1
        m["creationTimestamp"] = rfc3339(self._now())
        rv = t.next_rv()
        m["resourceVersion"] = str(rv)
        t.write(key, ns, name, new)
        t.emit(WatchEvent(EventType.ADDED, rv, key, ns, name, copy.deepcopy(new)))
        return copy.deepcopy(new)

    def _replace(self, t: Txn, key: str, ns: str, name: str, old: Obj, obj: Obj, *, check_rv: bool) -> Obj:
        want_rv = (obj.get("metadata") or {}).get("resourceVersion")
        if check_rv and want_rv not in (None, "") and str(want_rv) != old["metadata"]["resourceVersion"]:
            raise ConflictError(
                f'{key} "{ns}/{name}": the object has been modified (resourceVersion {want_rv} is stale, now '
                f"{old['metadata']['resourceVersion']}); read it again and retry"
            )
        new = copy.deepcopy(obj)
        new.pop("status", None)
        if "status" in old:
            new["status"] = copy.deepcopy(old["status"])
        m = new.setdefault("metadata", {})
        for k in _SYSTEM_META:
            m[k] = old["metadata"][k]
        if ns:
            m["namespace"] = ns
        if _body(new) != _body(old):
            m["generation"] = int(old["metadata"]["generation"]) + 1
        if new == old:
            return copy.deepcopy(old)
        rv = t.next_rv()
        m["resourceVersion"] = str(rv)
        t.write(key, ns, name, new)
        t.emit(WatchEvent(EventType.MODIFIED, rv, key, ns, name, copy.deepcopy(new)))
        return copy.deepcopy(new)

    def update(self, obj: Obj) -> Obj:
        key, ns, name = _validate(obj)
        with self._txn() as t:
            old = t.read(key, ns, name)
            if old is None:
                raise NotFoundError(f'{key} "{ns}/{name}" not found')
            return self._replace(t, key, ns, name, old, obj, check_rv=True)

    def apply(self, obj: Obj) -> Obj:
        key, ns, name = _validate(obj)
        with self._txn() as t:
            old = t.read(key, ns, name)
            if old is None:
                return self._create(t, key, ns, name, obj)
            return self._replace(t, key, ns, name, old, obj, check_rv=False)

    def update_status(self, obj: Obj) -> Obj:
        key, ns, name = _validate(obj)
        with self._txn() as t:
            old = t.read(key, ns, name)
            if old is None:
                raise NotFoundError(f'{key} "{ns}/{name}" not found')
            want_rv = (obj.get("metadata") or {}).get("resourceVersion")
            if want_rv not in (None, "") and str(want_rv) != old["metadata"]["resourceVersion"]:
                raise ConflictError(f'{key} "{ns}/{name}": status update with stale resourceVersion {want_rv}')
            new = copy.deepcopy(old)
            if obj.get("status") is None:
                new.pop("status", None)
            else:
                new["status"] = copy.deepcopy(obj["status"])
            if new == old:
                return new
            rv = t.next_rv()
            new["metadata"]["resourceVersion"] = str(rv)
            t.write(key, ns, name, new)
            t.emit(WatchEvent(EventType.MODIFIED, rv, key, ns, name, copy.deepcopy(new)))
            return copy.deepcopy(new)

    def delete(self, kind_key: str, namespace: str, name: str) -> None:
        key = normalize_kind_key(kind_key)
        with self._txn() as t:
            old = t.read(key, namespace or "", name)
            if old is None:
                raise NotFoundError(f'{key} "{namespace}/{name}" not found')
            self._delete(t, old)

    def _delete(self, t: Txn, obj: Obj) -> None:
        key, ns, name = ident(obj)
        uid = obj["metadata"]["uid"]
        t.remove(key, ns, name)
        rv = t.next_rv()
        t.emit(WatchEvent(EventType.DELETED, rv, key, ns, name, copy.deepcopy(obj)))
        # Kubernetes' garbage collector: dependents whose ownerReferences name the deleted uid go too.
        owned = [o for o in t.scan(None, None) if any(r.get("uid") == uid for r in _owner_refs(o))]
        for child in owned:
            if t.read(*ident(child)) is not None:
                self._delete(t, child)


def _owner_refs(obj: Obj) -> list[dict[str, Any]]:
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return [r for r in refs if isinstance(r, dict)]
