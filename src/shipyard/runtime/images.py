"""What a step runs when it names only an image: the image's Entrypoint and Cmd.

Tekton looks the image config up in the registry (``pkg/pod/entrypoint_lookup_impl.go``): the command is the
Entrypoint, or Cmd when Entrypoint is empty; when the step has no ``args``, Cmd is appended to the Entrypoint.
shipyard runs steps on the host, so it keeps a table of the configs of the images the upstream examples use,
and an image whose config is in the local store can be added by the caller (``ImageConfigs.add``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shipyard.errors import ExecutionError


@dataclass(frozen=True, slots=True)
class ImageConfig:
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    busybox_shell: bool = False  # /bin/sh in this image is busybox ash (alpine, busybox)
    working_dir: str = "/"


# Configs of well-known public images, as published (`docker inspect`), keyed by repository name.
_KNOWN: dict[str, ImageConfig] = {
    "busybox": ImageConfig(cmd=("sh",), busybox_shell=True),
    "alpine": ImageConfig(cmd=("/bin/sh",), busybox_shell=True),
    # The bash image's docker-entrypoint.sh runs `bash "$@"` when $1 is an option or not a command, else `"$@"`.
    "bash": ImageConfig(entrypoint=("docker-entrypoint.sh",), cmd=("bash",), busybox_shell=True),
    "ubuntu": ImageConfig(cmd=("/bin/bash",)),
    "debian": ImageConfig(cmd=("bash",)),
    "python": ImageConfig(cmd=("python3",)),
    "golang": ImageConfig(cmd=("bash",), working_dir="/go"),
    "node": ImageConfig(entrypoint=("docker-entrypoint.sh",), cmd=("node",)),
    # Tekton's own nop image (ghcr.io/tektoncd/pipeline/nop-*): its entrypoint /ko-app/nop (cmd/nop/main.go) logs
    # "Exiting..." with Go's log timestamp and exits 0; the host has no such binary, so the shell does the same.
    "nop": ImageConfig(entrypoint=("/bin/sh", "-c", 'echo "$(date "+%Y/%m/%d %H:%M:%S") Exiting..." >&2', "nop")),
}


def repository_name(image: str) -> str:
    """``mirror.gcr.io/library/bash:5.2@sha256:..`` → ``bash``: the last path component without tag or digest;
    ko-built Tekton images (``nop-8eac7c133edad5df719dc37b36b62482``) lose their content-hash suffix."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    name = last.split(":", 1)[0]
    stem, _, suffix = name.rpartition("-")
    if stem and len(suffix) == 32 and all(c in "0123456789abcdef" for c in suffix):
        return stem
    return name


@dataclass
class ImageConfigs:
    extra: dict[str, ImageConfig] = field(default_factory=dict)

    def add(self, image: str, config: ImageConfig) -> None:
        self.extra[image] = config

    def get(self, image: str) -> ImageConfig | None:
        return self.extra.get(image) or _KNOWN.get(repository_name(image))

    def resolve_command(self, step_name: str, image: str, args: Sequence[str]) -> list[str]:
        """The argv of a step that has neither ``command`` nor ``script``."""
        config = self.get(image)
        if config is None:
            raise ExecutionError(
                f'step "{step_name}" has no command or script, and the entrypoint of image "{image}" is unknown: '
                "set `command:` on the step, or build/pull the image into the local store"
            )
        if config.entrypoint == ("docker-entrypoint.sh",):
            return _docker_entrypoint(config, list(args))
        base = list(config.entrypoint or config.cmd)
        if not args and config.entrypoint:
            base += list(config.cmd)
        return base + list(args)


def _docker_entrypoint(config: ImageConfig, args: list[str]) -> list[str]:
    if not args:
        return list(config.cmd)
    first = args[0]
    # `if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ]; then set -- <cmd> "$@"; fi` — decided at run time
    # by the shell itself, so the check is done where the command is looked up.
    if first.startswith("-"):
        return [*config.cmd, *args]
    return [
        "/bin/sh",
        "-c",
        'if command -v "$1" >/dev/null 2>&1; then exec "$@"; fi; exec ' + config.cmd[0] + ' "$@"',
        "docker-entrypoint.sh",
        *args,
    ]
