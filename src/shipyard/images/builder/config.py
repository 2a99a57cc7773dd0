"""Image config as docker (BuildKit's dockerfile2llb) writes it, instruction by instruction.

* ``ENV`` replaces ``K=…`` in place or appends; ``PATH`` defaults to ``DefaultPathEnv`` when the base has none.
* shell forms become ``SHELL + [cmd]`` (default ``["/bin/sh", "-c"]``); exec forms are kept.
* ``ENTRYPOINT`` clears an inherited ``CMD`` unless ``CMD`` was set earlier in the same stage.
* ``EXPOSE 80`` → ``"80/tcp": {}``, ranges expanded; ``VOLUME`` → ``{"/p": {}}``; ``WORKDIR`` joins relative paths.
* ``HEALTHCHECK`` durations are nanoseconds, zero values omitted; ``NONE`` is ``{"Test": ["NONE"]}``.
"""

from __future__ import annotations

import copy
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shipyard.errors import SpecError

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_SHELL = ["/bin/sh", "-c"]
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}


def parse_duration(text: str) -> int:
    """Go ``time.ParseDuration`` → nanoseconds (``30s``, ``1m30s``, ``500ms``)."""
    if text == "0":
        return 0
    pos, total = 0, 0.0
    for m in _DURATION.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise SpecError(f"invalid duration {text!r}: want Go syntax such as 30s, 1m30s or 500ms", path="HEALTHCHECK")
    return int(total)


def expose_ports(words: Sequence[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        port, _, proto = word.partition("/")
        proto = (proto or "tcp").lower()
        if proto not in ("tcp", "udp", "sctp"):
            raise SpecError(f"invalid proto {proto!r} in EXPOSE {word}", path="EXPOSE")
        lo, dash, hi = port.partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise SpecError(f"invalid containerPort: {port}", path="EXPOSE")
        for p in range(int(lo), int(hi if dash else lo) + 1):
            out.append(f"{p}/{proto}")
    return out


@dataclass
class ConfigState:
    """The ``config`` object of an image being built, plus what docker tracks alongside it."""

    config: dict[str, Any] = field(default_factory=dict)
    cmd_set: bool = False  # CMD given in this stage (so ENTRYPOINT keeps it)

    @classmethod
    def from_base(cls, base_config: dict[str, Any] | None) -> ConfigState:
        cfg = copy.deepcopy(base_config or {})
        env = list(cfg.get("Env") or [])
        if not any(e.startswith("PATH=") for e in env):
            env.insert(0, f"PATH={DEFAULT_PATH}")
        cfg["Env"] = env
        cfg.pop("OnBuild", None)  # triggers are consumed by the child build, not inherited
        return cls(cfg)

    def env(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in self.config.get("Env") or []:
            k, _, v = item.partition("=")
            out[k] = v
        return out

    def set_env(self, key: str, value: str) -> None:
        env = list(self.config.get("Env") or [])
        for i, item in enumerate(env):
            if item.partition("=")[0] == key:
                env[i] = f"{key}={value}"
                break
        else:
            env.append(f"{key}={value}")
        self.config["Env"] = env

    def shell(self) -> list[str]:
        return list(self.config.get("Shell") or DEFAULT_SHELL)

    def command(self, exec_form: Sequence[str] | None, shell_text: str) -> list[str]:
        return list(exec_form) if exec_form is not None else [*self.shell(), shell_text]

    def set_cmd(self, argv: list[str]) -> None:
        self.config["Cmd"] = argv
        self.cmd_set = True

    def set_entrypoint(self, argv: list[str]) -> None:
        self.config["Entrypoint"] = argv
        if not self.cmd_set:
            self.config["Cmd"] = None

    def workdir(self, path: str) -> str:
        current = self.config.get("WorkingDir") or "/"
        joined = path if path.startswith("/") else posixpath.join(current, path)
        self.config["WorkingDir"] = posixpath.normpath(joined).replace("//", "/")
        return str(self.config["WorkingDir"])

    def expose(self, ports: Sequence[str]) -> None:
        exposed = dict(self.config.get("ExposedPorts") or {})
        for p in ports:
            exposed[p] = {}
        self.config["ExposedPorts"] = dict(sorted(exposed.items()))

    def volume(self, paths: Sequence[str]) -> None:
        vols = dict(self.config.get("Volumes") or {})
        for p in paths:
            if not p:
                raise SpecError("VOLUME specified can not be an empty string", path="VOLUME")
            vols[p] = {}
        self.config["Volumes"] = vols

    def label(self, key: str, value: str) -> None:
        labels = dict(self.config.get("Labels") or {})
        labels[key] = value
        self.config["Labels"] = labels

    def add_onbuild(self, text: str) -> None:
        self.config["OnBuild"] = [*(self.config.get("OnBuild") or []), text]

    def healthcheck(self, test: list[str], options: dict[str, str]) -> None:
        hc: dict[str, Any] = {"Test": test}
        for flag_name, key in (
            ("interval", "Interval"),
            ("timeout", "Timeout"),
            ("start-period", "StartPeriod"),
            ("start-interval", "StartInterval"),
        ):
            if flag_name in options:
                ns = parse_duration(options[flag_name])
                if ns:
                    hc[key] = ns
        if "retries" in options:
            if not options["retries"].isdigit():
                raise SpecError(f"invalid --retries {options['retries']!r}", path="HEALTHCHECK")
            if int(options["retries"]):
                hc["Retries"] = int(options["retries"])
        self.config["Healthcheck"] = hc

    def final(self) -> dict[str, Any]:
        """The config object in Go struct field order, empty fields dropped as ``omitempty`` does."""
        known = [k for k in FIELD_ORDER if k in self.config]
        extra = sorted(k for k in self.config if k not in FIELD_ORDER)
        return {k: self.config[k] for k in [*known, *extra] if self.config[k] not in (None, "", [], {})}


# moby/docker-image-spec ``DockerOCIImageConfig``: the OCI ImageConfig fields, then docker's extensions.
FIELD_ORDER = [
    "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal",
    "ArgsEscaped", "Healthcheck", "OnBuild", "Shell",
]  # fmt: skip
