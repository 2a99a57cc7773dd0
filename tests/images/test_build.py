"""The builder end to end with runc: docker-exact config, reproducible digests, cache, whiteouts, stages."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from shipyard.errors import ExecutionError, NotFoundError, SpecError
from shipyard.images.builder.builder import Builder
from shipyard.images.builder.importer import import_rootfs
from shipyard.images.builder.state import BuildRequest, BuildResult
from shipyard.images.layout import OciLayout
from shipyard.images.oci import Platform
from shipyard.runtime.rootfs import RuncRunner

pytestmark = pytest.mark.integration

DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox:base
FROM ${BASE} AS build
WORKDIR /src
COPY src/ ./
RUN mkdir -p /out && cp /src/main.txt /out/server && chmod 755 /out/server && echo built > /out/stamp

FROM $BASE AS never-needed
RUN exit 3

FROM $BASE
ARG VERSION=dev
ENV APP_HOME=/app PORT=8080
ENV VERSION=${VERSION:-unknown}
WORKDIR $APP_HOME
COPY --from=build /out/server /app/server
COPY --chown=nonroot:nonroot README ./
USER nonroot:nonroot
EXPOSE 8080 6060/udp
LABEL org.opencontainers.image.title="demo app" \\
      version=$VERSION
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/server"]
CMD ["--port", "8080"]
"""


def make_context(root: Path, readme: str = "hello\n") -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.txt").write_text("package main\n")
    (root / "README").write_text(readme)
    (root / "Dockerfile").write_text(DOCKERFILE)
    (root / "secret.key").write_text("never copy me")
    (root / ".dockerignore").write_text("*.key\n")
    return root


def build(layout: OciLayout, ctx: Path, text: str | None = None, **kw: Any) -> BuildResult:
    req = BuildRequest(
        context=ctx, dockerfile_text=text or (ctx / "Dockerfile").read_text(), tags=kw.pop("tags", ["app:dev"]), **kw
    )
    return Builder(layout, RuncRunner()).build(req)


def image_config(layout: OciLayout, result: BuildResult) -> dict[str, Any]:
    m = layout.manifest(result.descriptor)
    cfg: dict[str, Any] = json.loads(layout.read_blob(m.config.digest))
    return cfg


def layer_members(layout: OciLayout, digest: str) -> dict[str, tarfile.TarInfo]:
    raw = gzip.decompress(layout.read_blob(digest))
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        return {m.name: m for m in tar.getmembers()}


def test_multi_stage_config_is_what_docker_produces(store: OciLayout, tmp_path: Path) -> None:
    result = build(store, make_context(tmp_path / "ctx"), build_args={"VERSION": "1.2.3"})
    cfg = image_config(store, result)
    # Each field as docker (BuildKit dockerfile2llb) sets it: PATH default first, ENV in order, ENTRYPOINT exec
    # form, CMD kept because it was set in this stage, EXPOSE defaulting to tcp, WORKDIR from ENV.
    assert cfg["config"] == {
        "User": "nonroot:nonroot",
        "ExposedPorts": {"6060/udp": {}, "8080/tcp": {}},
        "Env": [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "APP_HOME=/app",
            "PORT=8080",
            "VERSION=1.2.3",
        ],
        "Entrypoint": ["/app/server"],
        "Cmd": ["--port", "8080"],
        "WorkingDir": "/app",
        "Labels": {"org.opencontainers.image.title": "demo app", "version": "1.2.3"},
        "StopSignal": "SIGTERM",
    }
    assert (cfg["architecture"], cfg["os"], cfg["created"]) == ("amd64", "linux", "1970-01-01T00:00:00Z")
    m = store.manifest(result.descriptor)
    # base, WORKDIR's mkdir (BuildKit makes it a layer), 2 COPY; other metadata instructions add none
    assert len(m.layers) == 4 == len(cfg["rootfs"]["diff_ids"])
    assert sum(1 for h in cfg["history"] if not h.get("empty_layer")) == 4
    assert list(layer_members(store, m.layers[1].digest)) == ["app"]
    server = layer_members(store, m.layers[2].digest)
    assert server["app/server"].mode == 0o755 and server["app/server"].uid == 0
    readme = layer_members(store, m.layers[3].digest)
    assert (readme["app/README"].uid, readme["app/README"].gid) == (65532, 65532)
    assert not any("secret" in name for name in readme)  # .dockerignore
    assert [s.stage for s in result.steps if s.stage == "never-needed"] == []  # unneeded stage never built


def test_two_clean_builds_give_the_same_digest(tmp_path: Path, busybox_rootfs: Path) -> None:
    digests = []
    for n in range(2):
        layout = OciLayout(tmp_path / f"oci{n}")
        import_rootfs(layout, busybox_rootfs, ["busybox:base"])
        ctx = make_context(tmp_path / f"ctx{n}")
        digests.append(build(layout, ctx, source_date_epoch=1_700_000_000).digest)
    assert digests[0] == digests[1]


def test_one_line_change_rebuilds_only_affected_layers(store: OciLayout, tmp_path: Path) -> None:
    ctx = make_context(tmp_path / "ctx")
    first = build(store, ctx)
    again = build(store, ctx)
    assert again.digest == first.digest
    assert all(s.cached for s in again.steps if s.layer)
    (ctx / "README").write_text("hello, changed\n")
    third = build(store, ctx)
    rebuilt = [s.instruction for s in third.steps if s.layer and not s.cached]
    assert rebuilt == ["COPY --chown=nonroot:nonroot README ./"]
    assert third.digest != first.digest
    before = store.manifest(first.descriptor).layers
    after = store.manifest(third.descriptor).layers
    assert before[:3] == after[:3] and before[3] != after[3]


def test_no_cache_reruns_everything_with_the_same_result(store: OciLayout, tmp_path: Path) -> None:
    ctx = make_context(tmp_path / "ctx")
    first = build(store, ctx)
    fresh = build(store, ctx, no_cache=True)
    assert not any(s.cached for s in fresh.steps)
    assert fresh.digest == first.digest


WHITEOUTS = """\
FROM busybox:base
RUN mkdir -p /data/keep /data/gone /data/replace && touch /data/keep/a /data/gone/b /data/replace/old /etc/motd
RUN rm -rf /data/gone /etc/motd && rm -rf /data/replace && mkdir /data/replace && touch /data/replace/new
"""


def test_deletions_become_whiteouts(store: OciLayout, tmp_path: Path) -> None:
    from shipyard.images.builder.fs import apply_layer

    ctx = tmp_path / "ctx"
    ctx.mkdir()
    result = build(store, ctx, WHITEOUTS)
    layers = store.manifest(result.descriptor).layers
    members = layer_members(store, layers[-1].digest)
    assert "data/.wh.gone" in members
    assert "etc/.wh.motd" in members
    # a directory removed and made again is opaque, unless the filesystem handed back the same inode, in which
    # case its old child gets its own whiteout: either way the lower "old" is hidden
    assert "data/replace/.wh..wh..opq" in members or "data/replace/.wh.old" in members
    assert "data/replace/new" in members
    assert not any(n.startswith("data/gone/") for n in members)  # only the top-most deleted path
    names = list(members)
    assert names.index("data/.wh.gone") < names.index("data/replace")  # whiteouts precede siblings
    root = tmp_path / "unpacked"
    root.mkdir()
    for layer in layers:
        with store.open_blob(layer.digest) as fh:
            apply_layer(root, fh)
    assert sorted(p.name for p in (root / "data").iterdir()) == ["keep", "replace"]
    assert [p.name for p in (root / "data" / "replace").iterdir()] == ["new"]
    assert not (root / "etc" / "motd").exists() and (root / "data" / "keep" / "a").exists()


def test_failing_run_names_file_and_line(store: OciLayout, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    with pytest.raises(ExecutionError, match=r"Dockerfile:3 RUN exit 7: did not complete successfully: exit code 7"):
        build(store, ctx, "FROM busybox:base\nRUN true\nRUN exit 7\n")


def test_run_uses_env_workdir_user_and_heredoc(store: OciLayout, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    text = (
        "FROM busybox:base\nARG GREETING=hi\nENV WHO=world\nUSER nonroot\nWORKDIR /home/nonroot/w\n"
        'RUN <<EOF\necho "$GREETING $WHO $(id -u) $(pwd)" > out.txt\nEOF\n'
    )
    result = build(store, ctx, text)
    layer = store.manifest(result.descriptor).layers[-1].digest
    raw = gzip.decompress(store.read_blob(layer))
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        member = tar.getmember("home/nonroot/w/out.txt")
        data = tar.extractfile(member)
        assert data is not None
        assert data.read() == b"hi world 65532 /home/nonroot/w\n"
        assert member.uid == 65532


def test_target_stops_at_a_stage(store: OciLayout, tmp_path: Path) -> None:
    result = build(store, make_context(tmp_path / "ctx"), target="build")
    assert {s.stage for s in result.steps} == {"build"}
    assert image_config(store, result)["config"]["WorkingDir"] == "/src"


def test_multi_platform_without_run_gives_an_index(store: OciLayout, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "f").write_text("x")
    text = 'FROM scratch\nCOPY f /f\nCMD ["/f"]\n'
    result = build(store, ctx, text, platforms=[Platform("linux", "amd64"), Platform("linux", "arm64")])
    from shipyard.images.oci import OCI_INDEX, Index

    assert result.descriptor.media_type == OCI_INDEX
    index = Index.from_bytes(store.read_blob(result.digest))
    assert [str(d.platform) for d in index.manifests] == ["linux/amd64", "linux/arm64"]
    with pytest.raises(Exception, match="emulator"):
        build(store, ctx, "FROM busybox:base\nRUN true\n", platforms=[Platform("linux", "arm64")])


def test_missing_base_image_is_a_clear_error(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path / "oci")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    with pytest.raises(NotFoundError, match="import-rootfs"):
        build(layout, ctx, "FROM nothere:1\n")


def test_expansion_errors_carry_the_line(store: OciLayout, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    with pytest.raises(SpecError) as err:
        build(store, ctx, "FROM busybox:base\n\nENV X=${NOPE:?is required}\n")
    assert err.value.issue.line == 3 and err.value.issue.file == "Dockerfile"


def test_chroot_fallback_builds_the_same_image(store: OciLayout, tmp_path: Path) -> None:
    from shipyard.runtime.rootfs import ChrootRunner

    ctx = tmp_path / "ctx"
    ctx.mkdir()
    text = "FROM busybox:base\nRUN mkdir /made && echo one > /made/file && rm /etc/group\n"
    with_runc = build(store, ctx, text)
    fallback = Builder(store, ChrootRunner()).build(BuildRequest(context=ctx, dockerfile_text=text, no_cache=True))
    assert fallback.digest == with_runc.digest


@pytest.mark.parametrize("dest", [".", "./", "sub/.", "sub/"], ids=["dot", "dot-slash", "sub-dot", "sub-slash"])
def test_copy_to_a_directory_destination_under_workdir(store: OciLayout, tmp_path: Path, dest: str) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "index.html").write_text("hi\n")
    text = f"FROM busybox:base\nWORKDIR /src\nCOPY index.html {dest}\nRUN test -f /src/{'sub/' if 'sub' in dest else ''}index.html\n"
    result = build(store, ctx, text)
    members = layer_members(store, store.manifest(result.descriptor).layers[2].digest)  # after WORKDIR's layer
    assert f"src/{'sub/' if 'sub' in dest else ''}index.html" in members


def test_docker_extension_fields(store: OciLayout, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    text = (
        'FROM busybox:base AS base\nCMD ["from-base"]\n'
        "FROM base\n"
        'SHELL ["/bin/sh", "-ec"]\n'
        "HEALTHCHECK --interval=30s --timeout=1m30s --start-period=500ms --retries=3 CMD wget -q -O- localhost:8080/health\n"
        "VOLUME /data /logs\n"
        'VOLUME ["/cache"]\n'
        "ONBUILD COPY . /app\n"
        "STOPSIGNAL SIGQUIT\n"
        "ENTRYPOINT exec httpd -f\n"
    )
    cfg = image_config(store, build(store, ctx, text))["config"]
    # ENTRYPOINT (shell form, wrapped in the stage's SHELL) drops the CMD inherited from the base stage.
    assert cfg == {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
        "Entrypoint": ["/bin/sh", "-ec", "exec httpd -f"],
        "Volumes": {"/data": {}, "/logs": {}, "/cache": {}},
        "StopSignal": "SIGQUIT",
        "Healthcheck": {
            "Test": ["CMD-SHELL", "wget -q -O- localhost:8080/health"],
            "Interval": 30_000_000_000,
            "Timeout": 90_000_000_000,
            "StartPeriod": 500_000_000,
            "Retries": 3,
        },
        "OnBuild": ["COPY . /app"],
        "Shell": ["/bin/sh", "-ec"],
    }


def test_healthcheck_none_and_exec_form(store: OciLayout, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    cfg = image_config(store, build(store, ctx, 'FROM busybox:base\nHEALTHCHECK CMD ["/bin/true"]\n'))["config"]
    assert cfg["Healthcheck"] == {"Test": ["CMD", "/bin/true"]}
    cfg = image_config(store, build(store, ctx, "FROM busybox:base\nHEALTHCHECK NONE\n"))["config"]
    assert cfg["Healthcheck"] == {"Test": ["NONE"]}


def test_workdir_makes_a_layer_only_when_it_creates_the_directory(store: OciLayout, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    result = build(store, ctx, "FROM busybox:base\nUSER nonroot\nWORKDIR /srv/app\nWORKDIR /tmp\n")
    m = store.manifest(result.descriptor)
    assert len(m.layers) == 2
    members = layer_members(store, m.layers[1].digest)
    assert list(members) == ["srv", "srv/app"]
    assert {(i.uid, i.gid, i.mode) for i in members.values()} == {(65532, 65532, 0o755)}  # mkdir as the USER
    history = image_config(store, result)["history"]
    assert [h.get("empty_layer", False) for h in history[-2:]] == [False, True]


def test_workdir_onto_a_copied_directory_adds_no_layer(store: OciLayout, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    (ctx / "d").mkdir(parents=True)
    (ctx / "d" / "f").write_text("x")
    result = build(store, ctx, "FROM busybox:base\nCOPY d /app\nWORKDIR /app\n")
    assert len(store.manifest(result.descriptor).layers) == 2


def test_onbuild_triggers_run_in_the_child_build(store: OciLayout, tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "app.txt").write_text("child's file\n")
    parent = build(
        store,
        ctx,
        "FROM busybox:base\nONBUILD COPY app.txt /app/\nONBUILD RUN cp /app/app.txt /app/ran\n",
        tags=["parent:1"],
    )
    assert image_config(store, parent)["config"]["OnBuild"] == ["COPY app.txt /app/", "RUN cp /app/app.txt /app/ran"]
    child = build(store, ctx, 'FROM parent:1\nCMD ["true"]\n', tags=["child:1"])
    cfg = image_config(store, child)
    assert "OnBuild" not in cfg["config"]
    layers = store.manifest(child.descriptor).layers
    assert "app/ran" in layer_members(store, layers[-1].digest)
    assert [s.instruction for s in child.steps][:2] == ["COPY app.txt /app/", "RUN cp /app/app.txt /app/ran"]


def test_a_store_inside_the_context_is_not_copied(tmp_path: Path, busybox_rootfs: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "keep.txt").write_text("k")
    layout = OciLayout(ctx / ".shipyard" / "oci")  # SHIPYARD_HOME=./.shipyard, building "."
    result = Builder(layout).build(BuildRequest(context=ctx, dockerfile_text="FROM scratch\nCOPY . /ctx/\n"))
    names = layer_members(layout, layout.manifest(result.descriptor).layers[0].digest)
    assert "ctx/keep.txt" in names
    assert not any(".shipyard/oci" in n for n in names)
