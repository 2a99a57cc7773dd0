"""``MemoryCluster``: the ``Cluster`` protocol in a dict, for the simulator and unit tests."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from shipyard.cluster.base import Obj, WatchEvent, normalize_kind_key
from shipyard.cluster.store import StoredCluster, Txn

_Key = tuple[str, str, str]


class _MemTxn:
    def __init__(self, owner: MemoryCluster) -> None:
        self.o = owner

    def read(self, kind_key: str, namespace: str, name: str) -> Obj | None:
        return self.o._objects.get((kind_key, namespace, name))

    def scan(self, kind_key: str | None, namespace: str | None) -> Iterator[Obj]:
        for (k, ns, _), obj in list(self.o._objects.items()):
            if (kind_key is None or k == kind_key) and (namespace is None or ns == namespace):
                yield obj

    def write(self, kind_key: str, namespace: str, name: str, obj: Obj) -> None:
        self.o._objects[(kind_key, namespace, name)] = copy.deepcopy(obj)

    def remove(self, kind_key: str, namespace: str, name: str) -> None:
        self.o._objects.pop((kind_key, namespace, name), None)

    def next_rv(self) -> int:
        self.o._rv += 1
        return self.o._rv

    def emit(self, event: WatchEvent) -> None:
        self.o._events.append(event)


class MemoryCluster(StoredCluster):
    def __init__(self, now: Callable[[], float] | None = None) -> None:
        super().__init__(now or (lambda: 0.0))
        self._objects: dict[_Key, Obj] = {}
        self._events: list[WatchEvent] = []
        self._rv = 0
        self._lock = threading.RLock()

    def _txn(self) -> AbstractContextManager[Txn]:
        return self._locked()

    @contextmanager
    def _locked(self) -> Iterator[Txn]:
        with self._lock:
            # Snapshot so a failing operation leaves nothing half-done, as the SQLite store's rollback does.
            saved = (dict(self._objects), len(self._events), self._rv)
            try:
                yield _MemTxn(self)
            except BaseException:
                self._objects, self._rv = saved[0], saved[2]
                del self._events[saved[1] :]
                raise

    def changes(self, since: int = 0, kind_key: str | None = None) -> list[WatchEvent]:
        key = normalize_kind_key(kind_key) if kind_key else None
        with self._lock:
            return [e for e in self._events if e.resource_version > since and (key is None or e.kind_key == key)]

    def resource_version(self) -> int:
        with self._lock:
            return self._rv
