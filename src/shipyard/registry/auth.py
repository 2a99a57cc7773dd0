"""Registry credentials and the WWW-Authenticate challenge dance (distribution ``docs/spec/auth/token.md``).

Credentials come, in order, from explicit ``Credentials`` given to the client, then from the docker config file
(``$DOCKER_CONFIG/config.json`` or ``~/.docker/config.json``): ``auths[host].auth`` (base64 ``user:pass``),
``auths[host].username/password``, ``identitytoken``, and ``credHelpers``/``credsStore`` helpers
(``docker-credential-<name> get``). Docker Hub's key is ``https://index.docker.io/v1/``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import RegistryError

DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
_PARAM_RE = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""  # an OAuth2 refresh token (docker config "identitytoken")

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True, slots=True)
class Challenge:
    scheme: str  # "basic" or "bearer", lowercased
    params: dict[str, str]


def parse_challenge(header: str) -> Challenge:
    """``Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"``."""
    scheme, _, rest = header.strip().partition(" ")
    params = {
        m.group(1).lower(): (m.group(2) if m.group(2) is not None else m.group(3)) for m in _PARAM_RE.finditer(rest)
    }
    return Challenge(scheme.lower(), {k: v.replace('\\"', '"') for k, v in params.items()})


def _config_path() -> Path:
    env = os.environ.get("DOCKER_CONFIG")
    return Path(env) / "config.json" if env else Path.home() / ".docker" / "config.json"


def _host_keys(registry: str) -> list[str]:
    if registry in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        return [DOCKER_HUB_AUTH_KEY, "docker.io", "index.docker.io", "registry-1.docker.io"]
    return [registry, f"https://{registry}", f"http://{registry}", f"https://{registry}/v1/", f"https://{registry}/v2/"]


def _helper(name: str, server: str) -> Credentials | None:
    try:
        out = subprocess.run(
            [f"docker-credential-{name}", "get"], input=server.encode(), capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RegistryError(f"credential helper docker-credential-{name} could not run: {exc}") from exc
    if out.returncode != 0:
        return None  # "credentials not found in native keychain"
    try:
        data = json.loads(out.stdout)
    except ValueError as exc:
        raise RegistryError(f"credential helper docker-credential-{name} printed invalid JSON") from exc
    user, secret = str(data.get("Username", "")), str(data.get("Secret", ""))
    if user == "<token>":
        return Credentials(identity_token=secret)
    return Credentials(user, secret)


def docker_config_credentials(registry: str, config_path: Path | None = None) -> Credentials | None:
    """Credentials for ``registry`` (``host[:port]``) from the docker config file, or None."""
    path = config_path or _config_path()
    try:
        cfg = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RegistryError(f"cannot read docker config {path}: {exc}") from exc
    keys = _host_keys(registry)
    helpers = cfg.get("credHelpers") or {}
    for key in keys:
        if key in helpers:
            return _helper(str(helpers[key]), key)
    auths = cfg.get("auths") or {}
    for key in keys:
        entry = auths.get(key)
        if not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            try:
                user, _, pw = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError) as exc:
                raise RegistryError(f"{path}: auths[{key!r}].auth is not base64 user:password") from exc
            return Credentials(user, pw, str(entry.get("identitytoken", "")))
        if entry.get("username") or entry.get("identitytoken"):
            return Credentials(
                str(entry.get("username", "")), str(entry.get("password", "")), str(entry.get("identitytoken", ""))
            )
    if cfg.get("credsStore"):
        return _helper(str(cfg["credsStore"]), keys[0])
    return None
