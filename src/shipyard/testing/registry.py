"""Start the CNCF distribution registry on 127.0.0.1 for tests: ``shipyard.registry.server``, re-exported.

with registry_server(tmp_path) as reg:                        # anonymous
    reg.host                                                  # "127.0.0.1:41234"
with registry_server(tmp_path, users={"alice": "s3cret"}):   # htpasswd (bcrypt via `htpasswd -B`)
"""

from __future__ import annotations

from shipyard.registry.server import (
    BINARY,
    RunningRegistry,
    free_port,
    registry_available,
    registry_server,
    start_registry,
)

__all__ = ["BINARY", "RunningRegistry", "free_port", "registry_available", "registry_server", "start_registry"]
