"""``shipyard image build|import-rootfs|tags|ls|inspect|rm|gc|push|pull``: daemonless images.

shipyard image import-rootfs ./rootfs -t busybox:base
shipyard image build -f Dockerfile . -t 127.0.0.1:5000/demo/app:dev --push --digest-file digest.txt
shipyard image tags --sha "$(git rev-parse HEAD)" --ref refs/tags/v1.2.3 --image ghcr.io/o/app
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from shipyard.cli.image_common import (
    RichTransfer,
    client,
    git_revision,
    host_platform,
    layout,
    pairs,
    source_date_epoch,
)
from shipyard.cli.image_store import register
from shipyard.cli.output import OutputFormat, console, emit, err_console
from shipyard.cli.registry import record_push
from shipyard.errors import SpecError
from shipyard.images.builder.builder import Builder
from shipyard.images.builder.importer import import_rootfs
from shipyard.images.builder.state import BuildRequest, StepRecord
from shipyard.images.oci import ANNOTATION_CREATED, ANNOTATION_REVISION, ANNOTATION_SOURCE, Descriptor, Platform
from shipyard.images.reference import Reference, parse_reference
from shipyard.images.tags import (
    GitContext,
    compute_version,
    image_tags,
    mutable_tag_warning,
    oci_labels,
    parse_flavor,
    parse_tag_spec,
)
from shipyard.registry.cache import RegistryCache
from shipyard.registry.transfer import pull_image, push_image
from shipyard.runtime.rootfs import default_runner

app = typer.Typer(
    name="image", help="Build, store, tag, push and pull OCI images without a daemon.", no_args_is_help=True
)
register(app)

Output = Annotated[OutputFormat | None, typer.Option("-o", "--output", help="json or yaml for scripts")]


@app.command("build")
def build(
    context: Annotated[Path, typer.Argument(help="build context directory")] = Path("."),
    file: Annotated[Path | None, typer.Option("-f", "--file", help="Dockerfile (default CONTEXT/Dockerfile)")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("-t", "--tag", help="name:tag to give the image (repeatable)")
    ] = None,
    build_arg: Annotated[list[str] | None, typer.Option("--build-arg", help="KEY=VALUE")] = None,
    target: Annotated[str | None, typer.Option("--target", help="stop at this stage")] = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", help="os/arch\\[/variant] (repeatable: an index)")
    ] = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="KEY=VALUE image label")] = None,
    annotation: Annotated[list[str] | None, typer.Option("--annotation", help="KEY=VALUE manifest annotation")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="run every step again")] = False,
    cache_repo: Annotated[
        str | None, typer.Option("--cache-repo", help="registry repository to share the layer cache through")
    ] = None,
    push: Annotated[bool, typer.Option("--push", help="push every -t to its registry")] = False,
    insecure: Annotated[bool, typer.Option("--insecure", help="plain HTTP to the registry")] = False,
    digest_file: Annotated[Path | None, typer.Option("--digest-file", help="write the image digest here")] = None,
    output: Output = None,
) -> None:
    """Build a Dockerfile into the content store (and optionally push it)."""
    dockerfile = file or context / "Dockerfile"
    try:
        text = dockerfile.read_text()
    except OSError as exc:
        raise SpecError(f"cannot read Dockerfile: {exc}", file=str(dockerfile)) from exc
    epoch = source_date_epoch(context)
    revision, source = git_revision(context)
    annotations = {ANNOTATION_CREATED: datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    if revision:
        annotations[ANNOTATION_REVISION] = revision
    if source:
        annotations[ANNOTATION_SOURCE] = source
    annotations.update(pairs(annotation, "--annotation"))
    quiet = output is not None

    def on_step(step: StepRecord) -> None:
        if not quiet:
            mark = "CACHED " if step.cached else ""
            err_console.print(
                f"[bold]#{step.line}[/bold] " + escape(f"[{step.stage}] {mark}{step.instruction}"),
                markup=True,
                highlight=False,
                soft_wrap=True,
            )

    def on_output(line: str) -> None:
        if not quiet:
            err_console.print(f"  {line}", markup=False, highlight=False)

    store = layout()
    req = BuildRequest(
        context=context,
        dockerfile_text=text,
        dockerfile_name=str(dockerfile),
        tags=tag or [],
        build_args=pairs(build_arg, "--build-arg"),
        target=target,
        platforms=[Platform.parse(p) for p in platform] if platform else [host_platform()],
        host_platform=host_platform(),
        labels=pairs(label, "--label"),
        annotations=annotations,
        no_cache=no_cache,
        source_date_epoch=epoch,
    )

    def fetch_base(ref: Reference, _platform: Platform) -> Descriptor:
        # FROM an image the store lacks: pull it (every platform; the builder picks its own).
        with client(insecure) as c, RichTransfer(not quiet) as prog:
            return pull_image(c, ref, store, progress=prog)

    with client(insecure) as cache_client:
        remote = (
            RegistryCache(cache_client, store, parse_reference(cache_repo, default_tag=None)) if cache_repo else None
        )
        builder = Builder(
            store, default_runner(), fetch_base=fetch_base, remote_cache=remote, on_step=on_step, on_output=on_output
        )
        result = builder.build(req)
    for problem in remote.errors if remote else []:
        err_console.print(f"[yellow]warning:[/yellow] {escape(problem)}", markup=True)
    pushed: list[dict[str, str]] = []
    if push:
        if not tag:
            raise SpecError("--push needs at least one -t NAME:TAG", path="--push")
        with client(insecure) as c, RichTransfer(not quiet) as prog:
            for t in tag:
                res = push_image(c, store, result.descriptor, parse_reference(t), progress=prog)
                record_push(res.reference.repository, res.digest, time.time())
                pushed.append({"reference": str(parse_reference(t)), "digest": res.digest, "url": res.url})
    if digest_file:
        digest_file.write_text(result.digest)
    info = {
        "digest": result.digest,
        "mediaType": result.descriptor.media_type,
        "tags": result.tags,
        "cacheHits": result.cache_hits,
        "steps": len(result.steps),
        "pushed": pushed,
    }
    if output:
        emit(info, output)
    else:
        console.print(result.digest, soft_wrap=True, highlight=False)


@app.command("import-rootfs")
def import_rootfs_command(
    directory: Annotated[Path, typer.Argument(help="root filesystem directory")],
    tag: Annotated[list[str], typer.Option("-t", "--tag", help="name:tag (repeatable)")],
    platform: Annotated[str | None, typer.Option("--platform", help="os/arch\\[/variant]")] = None,
    output: Output = None,
) -> None:
    """Make a one-layer base image from a directory (debootstrap, static busybox)."""
    desc = import_rootfs(
        layout(),
        directory,
        tag,
        platform=Platform.parse(platform) if platform else host_platform(),
        epoch=source_date_epoch(directory),
    )
    info = {"digest": desc.digest, "tags": [str(parse_reference(t)) for t in tag]}
    if output:
        emit(info, output)
    else:
        console.print(desc.digest, soft_wrap=True, highlight=False)


@app.command("tags")
def tags_command(
    sha: Annotated[str, typer.Option("--sha", help="commit SHA")],
    ref: Annotated[
        str,
        typer.Option("--ref", help="git ref: refs/heads/main, refs/tags/v1.2.3, refs/pull/7/merge, or a branch name"),
    ],
    semver_tag: Annotated[
        str | None,
        typer.Option("--semver-tag", help="vX.Y.Z: adds the semver {{version}}, {{major}}.{{minor}}, {{major}} tags"),
    ] = None,
    event: Annotated[str, typer.Option("--event", help="push | pr | tag | schedule")] = "push",
    image: Annotated[list[str] | None, typer.Option("--image", help="image name (repeatable)")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="metadata-action tags line, e.g. type=sha (repeatable)")
    ] = None,
    flavor: Annotated[
        list[str] | None, typer.Option("--flavor", help="metadata-action flavor line, e.g. latest=auto")
    ] = None,
    default_branch: Annotated[str, typer.Option("--default-branch")] = "main",
    check_deploy: Annotated[
        str | None, typer.Option("--check-deploy", help="warn when this production image reference is mutable")
    ] = None,
    output: Output = None,
) -> None:
    """Compute image tags with docker/metadata-action's rules (latest only on the default branch)."""
    if not ref.startswith("refs/"):
        ref = f"refs/heads/{ref}"
    if semver_tag:
        ref = f"refs/tags/{semver_tag}"
        event = "tag"
    events = {"pr": "pull_request", "tag": "push", "push": "push", "schedule": "schedule"}
    if event not in events:
        raise SpecError(f"--event {event!r}: want push, pr, tag or schedule", path="--event")
    lines = tag or [
        "type=schedule",
        "type=ref,event=branch",
        "type=ref,event=pr",
        "type=semver,pattern={{version}}",
        "type=semver,pattern={{major}}.{{minor}}",
        "type=semver,pattern={{major}}",
        "type=sha",
        "type=raw,value={{date 'YYYYMMDD'}}-{{sha}},enable={{is_default_branch}}",
    ]
    ctx = GitContext(sha=sha, ref=ref, event=events[event], default_branch=default_branch)
    now = datetime.now(tz=UTC)
    warnings: list[str] = []
    fl = parse_flavor(flavor or [])
    version = compute_version([parse_tag_spec(line) for line in lines], fl, ctx, now, warnings=warnings)
    tags = image_tags(image or [], version, fl)
    if check_deploy and (w := mutable_tag_warning(check_deploy)):
        warnings.append(w)
    for w in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {w}", markup=True)
    if output:
        emit(
            {"version": version.main, "tags": tags, "labels": oci_labels(version, ctx, now), "warnings": warnings},
            output,
        )
    else:
        for t in tags:
            console.print(t)
