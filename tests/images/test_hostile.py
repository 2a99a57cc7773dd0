"""Hostile layers, archives and contexts never write outside the root (``..``, absolute names, escaping links)."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from shipyard.errors import SpecError
from shipyard.images.builder.builder import Builder
from shipyard.images.builder.context import BuildContext
from shipyard.images.builder.fs import apply_layer, resolve_in_root
from shipyard.images.builder.state import BuildRequest
from shipyard.images.layout import OciLayout


def tar_of(*members: tuple[str, str, bytes | str]) -> io.BytesIO:
    """(name, kind, data-or-linkname) with kind in file|dir|sym|hard."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                assert isinstance(data, bytes)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE}[kind]
            if kind in ("sym", "hard"):
                assert isinstance(data, str)
                info.linkname = data
            tar.addfile(info)
    buf.seek(0)
    return buf


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    d = tmp_path / "outside"
    d.mkdir()
    (d / "victim").write_text("original")
    return d


@pytest.mark.parametrize(
    "members",
    [
        (("../evil", "file", b"x"),),
        (("a/../../evil", "file", b"x"),),
        (("/abs/evil", "file", b"x"),),
        (("ok", "file", b"x"), ("h", "hard", "../outside/victim")),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "hardlink-out"],
)
def test_escaping_member_names_are_refused(
    tmp_path: Path, outside: Path, members: tuple[tuple[str, str, bytes | str], ...]
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    with pytest.raises(SpecError, match=r"refusing|outside"):
        apply_layer(root, tar_of(*members))
    assert not (tmp_path / "evil").exists()
    assert (outside / "victim").read_text() == "original"


def test_writes_through_escaping_symlinks_stay_inside(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    layer = tar_of(
        ("abs", "sym", str(outside)),  # absolute link to a host directory
        ("rel", "sym", "../../outside"),  # relative link climbing out
        ("abs/victim", "file", b"pwned-abs"),
        ("rel/victim", "file", b"pwned-rel"),
        ("abs/new", "file", b"new"),
    )
    apply_layer(root, layer)
    assert (outside / "victim").read_text() == "original"
    assert not (outside / "new").exists()
    # the writes landed where a chrooted process would have put them
    assert (root / outside.relative_to("/") / "victim").read_text() == "pwned-abs"
    assert (root / "outside" / "victim").read_text() == "pwned-rel"


def test_whiteout_through_a_link_cannot_delete_outside(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    apply_layer(root, tar_of(("l", "sym", str(outside)), ("l/.wh.victim", "file", b"")))
    assert (outside / "victim").exists()


def test_resolve_in_root_clamps_dotdot(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / "a").mkdir(parents=True)
    os.symlink("/../../..", root / "a" / "up")
    assert resolve_in_root(root, "../../etc/passwd") == root / "etc" / "passwd"
    assert resolve_in_root(root, "a/up/etc") == root / "etc"


def test_context_source_outside_is_refused(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (tmp_path / "secret").write_text("s")
    c = BuildContext(ctx)
    for bad in ("../secret", "a/../../secret"):
        with pytest.raises(SpecError, match="outside the build context"):
            c.match(bad)


def test_context_symlinks_are_copied_as_links_not_followed(tmp_path: Path, outside: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    os.symlink(str(outside / "victim"), ctx / "link")
    os.symlink(str(outside), ctx / "dirlink")
    layout = OciLayout(tmp_path / "oci")
    result = Builder(layout).build(BuildRequest(context=ctx, dockerfile_text="FROM scratch\nCOPY link /link\n"))
    layer = layout.manifest(result.descriptor).layers[0]
    import gzip

    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layout.read_blob(layer.digest)))) as tar:
        m = tar.getmember("link")
        assert m.issym() and m.linkname == str(outside / "victim")
    with pytest.raises(SpecError, match="not found"):
        Builder(layout).build(BuildRequest(context=ctx, dockerfile_text="FROM scratch\nCOPY dirlink/victim /v\n"))


def test_add_of_a_hostile_archive_is_refused(tmp_path: Path, outside: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "evil.tar").write_bytes(tar_of(("../../outside/victim", "file", b"pwned")).getvalue())
    layout = OciLayout(tmp_path / "oci")
    with pytest.raises(SpecError, match="outside the extraction root"):
        Builder(layout).build(BuildRequest(context=ctx, dockerfile_text="FROM scratch\nADD evil.tar /x/\n"))
    assert (outside / "victim").read_text() == "original"


def test_add_unpacks_a_local_archive(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "good.tar").write_bytes(tar_of(("d", "dir", b""), ("d/f", "file", b"inside")).getvalue())
    layout = OciLayout(tmp_path / "oci")
    result = Builder(layout).build(BuildRequest(context=ctx, dockerfile_text="FROM scratch\nADD good.tar /x/\n"))
    import gzip

    layer = layout.manifest(result.descriptor).layers[0]
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layout.read_blob(layer.digest)))) as tar:
        names = tar.getnames()
    assert names == ["x", "x/d", "x/d/f"]


def test_add_url_fails_clearly_without_network(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    with pytest.raises(SpecError, match="needs network access"):
        Builder(OciLayout(tmp_path / "oci")).build(
            BuildRequest(context=ctx, dockerfile_text="FROM scratch\nADD https://example.com/x.tgz /x\n")
        )


@pytest.mark.parametrize(
    ("ignore", "kept"),
    [
        ("*.log\n", ["a", "d", "d/x.log", "d/y.txt"]),
        ("**/*.log\n", ["a", "d", "d/y.txt"]),
        ("d\n!d/y.txt\n", ["a", "b.log", "d/y.txt"]),
        ("# comment\n/a\n", ["b.log", "d", "d/x.log", "d/y.txt"]),
        ("*\n!a\n", ["a"]),
    ],
    ids=["root-glob", "doublestar", "exception-under-excluded-dir", "leading-slash", "allowlist"],
)
def test_dockerignore_patterns(tmp_path: Path, ignore: str, kept: list[str]) -> None:
    ctx = tmp_path / "ctx"
    (ctx / "d").mkdir(parents=True)
    for f in ("a", "b.log", "d/x.log", "d/y.txt"):
        (ctx / f).write_text(f)
    assert BuildContext(ctx, ignore).files() == kept


def test_build_io_failures_are_clean_errors(tmp_path: Path) -> None:
    from shipyard.errors import ExecutionError

    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "dangling").symlink_to("nowhere")  # copied as a link, never followed
    (ctx / "ok").write_text("x")
    layout = OciLayout(tmp_path / "oci")
    result = Builder(layout).build(BuildRequest(context=ctx, dockerfile_text="FROM scratch\nCOPY ok dangling /d/\n"))
    assert result.digest.startswith("sha256:")
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(ExecutionError, match="no scratch space"):
        Builder(layout).build(
            BuildRequest(context=ctx, dockerfile_text="FROM scratch\nCOPY ok /d/\n", workdir=blocker / "sub")
        )
