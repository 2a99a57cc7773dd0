"""``--cache-repo``: layers built once are reused by a build with an empty local store, through the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.errors import ExecutionError
from shipyard.images.builder.builder import Builder
from shipyard.images.builder.importer import import_rootfs
from shipyard.images.builder.state import BuildRequest
from shipyard.images.layout import OciLayout
from shipyard.images.reference import parse_reference
from shipyard.registry.cache import RegistryCache
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.runtime.rootfs import RuncRunner
from shipyard.testing.registry import RunningRegistry
from shipyard.testing.rootfs import busybox_rootfs as make_busybox_rootfs

pytestmark = pytest.mark.integration

DOCKERFILE = "FROM busybox:base\nCOPY app.txt /app/\nRUN cp /app/app.txt /app/copy.txt\nRUN true\n"


def test_cache_repo_shares_layers_between_stores(registry: RunningRegistry, tmp_path: Path) -> None:
    rootfs = make_busybox_rootfs(tmp_path / "rootfs")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "app.txt").write_text("v1\n")
    repo = parse_reference(registry.repo("cache/app"), default_tag=None)
    digests = []
    with RegistryClient(ClientOptions(use_docker_config=False)) as client:
        for n, runner in enumerate([RuncRunner(), None]):  # the second build has no runtime at all
            store = OciLayout(tmp_path / f"oci{n}")
            import_rootfs(store, rootfs, ["busybox:base"])
            cache = RegistryCache(client, store, repo)
            result = Builder(store, runner, remote_cache=cache).build(
                BuildRequest(context=ctx, dockerfile_text=DOCKERFILE)
            )
            assert cache.errors == []
            digests.append(result.digest)
            if n == 1:
                assert [s.cached for s in result.steps] == [True, True, True]
        assert digests[0] == digests[1]
        assert len([t for t in client.list_tags(repo) if len(t) == 64]) == 3
        # a changed source misses the cache, and without a runtime the RUN after it cannot run
        (ctx / "app.txt").write_text("v2\n")
        store = OciLayout(tmp_path / "oci-changed")
        import_rootfs(store, rootfs, ["busybox:base"])
        with pytest.raises(ExecutionError, match="needs a container runtime"):
            Builder(store, None, remote_cache=RegistryCache(client, store, repo)).build(
                BuildRequest(context=ctx, dockerfile_text=DOCKERFILE)
            )
