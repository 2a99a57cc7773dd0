"""The state and bookkeeping every build step shares: history entries, step records, the cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.images.builder.context import BuildContext
from shipyard.images.builder.state import BuildRequest, Layer, StageState, StepRecord
from shipyard.images.dockerfile import Dockerfile, Lexer, RawInstruction
from shipyard.images.oci import Descriptor

if TYPE_CHECKING:
    from shipyard.images.builder.builder import Builder

COMMENT = "buildkit.dockerfile.v0"


class StepBase:
    def __init__(
        self,
        builder: Builder,
        df: Dockerfile,
        ctx: BuildContext,
        req: BuildRequest,
        scratch: Path,
        states: dict[int, StageState],
        global_env: dict[str, str],
        steps: list[StepRecord],
        stat_cache: dict[str, list[object]],
    ) -> None:
        self.b = builder
        self.layout = builder.layout
        self.df = df
        self.ctx = ctx
        self.req = req
        self.scratch = scratch
        self.states = states
        self.global_env = global_env
        self.steps = steps
        self.stat_cache = stat_cache
        self.lexer = Lexer(df.escape)
        self.images: dict[str, StageState] = {}

    def _history(self, state: StageState, created_by: str, empty: bool) -> None:
        entry: dict[str, Any] = {
            "created": _rfc3339(self.req.source_date_epoch),
            "created_by": created_by,
            "comment": COMMENT,
        }
        if empty:
            entry["empty_layer"] = True
        state.history.append(entry)

    def _record(self, state: StageState, instr: RawInstruction, cached: bool, layer: Layer | None) -> None:
        rec = StepRecord(state.name, instr.line, instr.original, cached, layer.descriptor.digest if layer else None)
        self.steps.append(rec)
        self.b.on_step(rec)

    def _cached(self, key: str) -> tuple[bool, Layer | None]:
        if self.req.no_cache:
            return False, None
        entry = self.layout.cache_get(key)
        if entry is None and self.b.remote_cache is not None:
            entry = self.b.remote_cache.get(key)
            if entry is not None:
                self.layout.cache_put(key, entry)
        if entry is None:
            return False, None
        layer = entry.get("layer")
        if layer is None:
            return True, None
        return True, Layer(Descriptor.from_dict(layer), str(entry["diff_id"]))

    def _store(self, key: str, layer: Layer | None) -> None:
        entry: dict[str, Any] = {"layer": layer.descriptor.to_dict() if layer else None}
        if layer:
            entry["diff_id"] = layer.diff_id
        self.layout.cache_put(key, entry)
        if self.b.remote_cache is not None:
            self.b.remote_cache.put(key, entry)


def _rfc3339(epoch: int) -> str:
    from shipyard.images.builder.builder import rfc3339

    return rfc3339(epoch)
