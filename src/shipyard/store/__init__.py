"""State under ``.shipyard/``: a SQLite database (WAL) with per-component schema migrations and an append-only
event log, plus atomic file writes."""

from shipyard.store.db import Database, Migration
from shipyard.store.events import Event, EventLog
from shipyard.store.files import atomic_write_bytes, atomic_write_text

__all__ = ["Database", "Event", "EventLog", "Migration", "atomic_write_bytes", "atomic_write_text"]
