"""Flags and input helpers shared by ``shipyard sign`` commands (cosign's names; ``--flag=false`` forms)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from shipyard.controllers.signature_registry import RegistrySignatureStore
from shipyard.errors import SpecError, UnsupportedError
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.supplychain.signing import keys

KeyOpt = Annotated[
    Path | None, typer.Option("--key", help="cosign.key (keyless signing needs Fulcio and is not offered)")
]
BundleOpt = Annotated[
    str,
    typer.Option(
        "--new-bundle-format",
        is_flag=False,
        flag_value="true",
        help="true (default): Sigstore bundle as an OCI 1.1 referrer; false: legacy .sig/.att tags",
    ),
]
InsecureOpt = Annotated[
    bool, typer.Option("--insecure", "--allow-insecure-registry", help="plain HTTP / no TLS verification")
]
YesOpt = Annotated[bool, typer.Option("-y", "--yes", help="accepted for cosign compatibility (nothing to confirm)")]
TlogUploadOpt = Annotated[
    str,
    typer.Option(
        "--tlog-upload", is_flag=False, flag_value="true", help="shipyard signs offline: only false is supported"
    ),
]
AnnOpt = Annotated[list[str] | None, typer.Option("-a", "--annotations", help="key=value (repeatable)")]


def password(confirm: bool = False) -> bytes:
    if "COSIGN_PASSWORD" in os.environ:
        return os.environ["COSIGN_PASSWORD"].encode()
    text: str = typer.prompt("Enter password for private key", hide_input=True, default="", show_default=False)
    if confirm:
        again: str = typer.prompt(
            "Enter password for private key again", hide_input=True, default="", show_default=False
        )
        if again != text:
            raise SpecError("passwords do not match")
    return text.encode()


def flag_bool(value: str, flag: str) -> bool:
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise SpecError(f"{flag} takes true or false, not {value!r}")


def parse_annotations(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SpecError(f"annotation {item!r} must be key=value", path="-a")
        out[key] = value
    return out


def read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read {what}: {exc.strerror}", file=str(path)) from exc


def no_tlog_upload(tlog_upload: str) -> None:
    if flag_bool(tlog_upload, "--tlog-upload"):
        raise UnsupportedError("--tlog-upload=true: shipyard does not upload to Rekor; signatures are made offline")


def private_key(path: Path | None) -> keys.PrivateKey:
    if path is None:
        raise UnsupportedError(
            "keyless signing needs Fulcio and Rekor online, which shipyard does not do; pass --key cosign.key "
            "(keyless signatures made by cosign can be verified with --trusted-root)"
        )
    return keys.load_private_key(read_file(path, "the private key"), password())


def registry_store(insecure: bool) -> RegistrySignatureStore:
    return RegistrySignatureStore(RegistryClient(ClientOptions(insecure=insecure)))
