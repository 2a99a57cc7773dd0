"""``shipyard sign generate-key-pair|sign|verify|attest|verify-attestation`` with cosign's flags and output.

The password comes from ``COSIGN_PASSWORD`` (empty is allowed) or a prompt. ``verify`` prints the verified
payloads as a JSON array (stdout) after cosign's check list (stderr); ``verify-attestation`` prints one DSSE
envelope per line, so ``jq '.payload | @base64d | fromjson | .predicate'`` works as with cosign.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.output import err_console
from shipyard.controllers.signature_registry import RegistrySignatureStore
from shipyard.errors import SpecError, UnsupportedError
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.store.files import atomic_write_bytes
from shipyard.supplychain.signing import certs, keys, sign, statements, verify
from shipyard.supplychain.signing.trustroot import load_trusted_root

app = typer.Typer(name="sign", help="Cosign-compatible image signatures and attestations.", no_args_is_help=True)

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
AnnOpt = Annotated[list[str] | None, typer.Option("-a", "--annotations", help="key=value (repeatable)")]


def _password(confirm: bool = False) -> bytes:
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


def _bool(value: str, flag: str) -> bool:
    if value.lower() in ("true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    raise SpecError(f"{flag} takes true or false, not {value!r}")


def _annotations(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SpecError(f"annotation {item!r} must be key=value", path="-a")
        out[key] = value
    return out


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read {what}: {exc.strerror}", file=str(path)) from exc


def _private_key(path: Path | None) -> keys.PrivateKey:
    if path is None:
        raise UnsupportedError(
            "keyless signing needs Fulcio and Rekor online, which shipyard does not do; pass --key cosign.key "
            "(keyless signatures made by cosign can be verified with --trusted-root)"
        )
    return keys.load_private_key(_read(path, "the private key"), _password())


def _store(insecure: bool) -> RegistrySignatureStore:
    return RegistrySignatureStore(RegistryClient(ClientOptions(insecure=insecure)))


@app.command("generate-key-pair")
def generate_key_pair(
    output_key_prefix: Annotated[str, typer.Option("--output-key-prefix")] = "cosign",
    force: Annotated[bool, typer.Option("--force", help="overwrite existing files")] = False,
) -> None:
    """Write <prefix>.key (encrypted) and <prefix>.pub, both 0600."""
    key_path, pub_path = Path(f"{output_key_prefix}.key"), Path(f"{output_key_prefix}.pub")
    for p in (key_path, pub_path):
        if p.exists() and not force:
            raise SpecError(f"{p} already exists; pass --force to overwrite", file=str(p))
    pair = keys.generate_key_pair(_password(confirm=True))
    for path, data in ((key_path, pair.private_pem), (pub_path, pair.public_pem)):
        atomic_write_bytes(path, data, mode=0o600)
    err_console.print(
        f"Private key written to {key_path}\nPublic key written to {pub_path}", markup=False, soft_wrap=True
    )


@app.command("sign")
def sign_cmd(
    image: str,
    key: KeyOpt = None,
    annotations: AnnOpt = None,
    new_bundle_format: BundleOpt = "true",
    insecure: InsecureOpt = False,
) -> None:
    """Sign IMAGE (a tag is resolved to its digest first)."""
    private = _private_key(key)
    result = sign.sign_image(
        _store(insecure),
        image,
        private,
        now=datetime.now(UTC),
        annotations=_annotations(annotations),
        new_bundle_format=_bool(new_bundle_format, "--new-bundle-format"),
    )
    if result.resolved_from_tag:
        err_console.print(
            f"Resolved tag {result.resolved_from_tag} to digest {result.image.digest}", markup=False, soft_wrap=True
        )
    where = "already present in" if not result.written else "Pushing signature to:"
    err_console.print(
        f"{where} {result.image.repository} ({result.layout}: {result.location})", markup=False, soft_wrap=True
    )


@app.command("attest")
def attest_cmd(
    image: str,
    predicate: Annotated[Path, typer.Option("--predicate", help="predicate file")],
    type_: Annotated[
        str, typer.Option("--type", help="spdxjson|cyclonedx|slsaprovenance|slsaprovenance1|custom|URI")
    ] = "custom",
    key: KeyOpt = None,
    new_bundle_format: BundleOpt = "true",
    insecure: InsecureOpt = False,
) -> None:
    """Attest PREDICATE about IMAGE as an in-toto statement in a DSSE envelope."""
    private = _private_key(key)
    result = sign.attest_image(
        _store(insecure),
        image,
        private,
        predicate=_read(predicate, "the predicate"),
        predicate_kind=type_,
        now=datetime.now(UTC),
        new_bundle_format=_bool(new_bundle_format, "--new-bundle-format"),
    )
    if result.resolved_from_tag:
        err_console.print(
            f"Resolved tag {result.resolved_from_tag} to digest {result.image.digest}", markup=False, soft_wrap=True
        )
    err_console.print(
        f"Pushing attestation to: {result.image.repository} ({result.layout}: {result.location})",
        markup=False,
        soft_wrap=True,
    )


def _verifier(
    key: Path | None,
    trusted_root: Path | None,
    identity: str,
    identity_regexp: str,
    issuer: str,
    issuer_regexp: str,
    annotations: dict[str, str],
    ignore_sct: bool = False,
    ignore_tlog: bool = True,
) -> verify.Verifier:
    root = load_trusted_root(_read(trusted_root, "the trusted root")) if trusted_root else None
    if key is not None:
        return verify.Verifier(
            key=keys.load_public_key(_read(key, "the public key")),
            trusted_root=root,
            annotations=annotations,
            ignore_tlog=ignore_tlog,
        )
    if root is None:
        raise SpecError("pass --key, or --trusted-root with --certificate-identity and --certificate-oidc-issuer")
    identity_policy = certs.IdentityPolicy(identity, identity_regexp, issuer, issuer_regexp)
    return verify.Verifier(
        identity=identity_policy, trusted_root=root, annotations=annotations, ignore_tlog=False, ignore_sct=ignore_sct
    )


IdOpt = Annotated[str, typer.Option("--certificate-identity")]
IdReOpt = Annotated[str, typer.Option("--certificate-identity-regexp")]
IssOpt = Annotated[str, typer.Option("--certificate-oidc-issuer")]
IssReOpt = Annotated[str, typer.Option("--certificate-oidc-issuer-regexp")]
RootOpt = Annotated[Path | None, typer.Option("--trusted-root", help="trusted_root.json for keyless verification")]
PubOpt = Annotated[Path | None, typer.Option("--key", help="cosign.pub")]
IgnoreSctOpt = Annotated[bool, typer.Option("--insecure-ignore-sct", help="do not require an embedded SCT")]
IgnoreTlogOpt = Annotated[
    str,
    typer.Option(
        "--insecure-ignore-tlog",
        is_flag=False,
        flag_value="true",
        help="key-signed: accept signatures without Rekor evidence (default true: shipyard signs offline)",
    ),
]


def _checks(ref: str, keyed: bool) -> None:
    how = (
        "The signatures were verified against the specified public key"
        if keyed
        else "The code-signing certificate was verified using trusted certificate authority certificates"
    )
    err_console.print(
        f"\nVerification for {ref} --\nThe following checks were performed on each of these signatures:\n"
        f"  - The cosign claims were validated\n  - {how}",
        markup=False,
    )


@app.command("verify")
def verify_cmd(
    image: str,
    key: PubOpt = None,
    annotations: AnnOpt = None,
    trusted_root: RootOpt = None,
    certificate_identity: IdOpt = "",
    certificate_identity_regexp: IdReOpt = "",
    certificate_oidc_issuer: IssOpt = "",
    certificate_oidc_issuer_regexp: IssReOpt = "",
    new_bundle_format: BundleOpt = "true",
    insecure: InsecureOpt = False,
    insecure_ignore_sct: IgnoreSctOpt = False,
    insecure_ignore_tlog: IgnoreTlogOpt = "true",
) -> None:
    """Verify IMAGE's signatures (both layouts) and print the verified payloads."""
    _bool(new_bundle_format, "--new-bundle-format")  # verify reads both layouts either way
    v = _verifier(
        key,
        trusted_root,
        certificate_identity,
        certificate_identity_regexp,
        certificate_oidc_issuer,
        certificate_oidc_issuer_regexp,
        _annotations(annotations),
        insecure_ignore_sct,
        _bool(insecure_ignore_tlog, "--insecure-ignore-tlog"),
    )
    ref, found = verify.verify_image(_store(insecure), image, v)
    _checks(str(ref), key is not None)
    typer.echo(json.dumps([verify.cosign_output(f) for f in found], separators=(",", ":")))


@app.command("verify-attestation")
def verify_attestation_cmd(
    image: str,
    key: PubOpt = None,
    type_: Annotated[str, typer.Option("--type")] = "",
    trusted_root: RootOpt = None,
    certificate_identity: IdOpt = "",
    certificate_identity_regexp: IdReOpt = "",
    certificate_oidc_issuer: IssOpt = "",
    certificate_oidc_issuer_regexp: IssReOpt = "",
    new_bundle_format: BundleOpt = "true",
    insecure: InsecureOpt = False,
    insecure_ignore_sct: IgnoreSctOpt = False,
    insecure_ignore_tlog: IgnoreTlogOpt = "true",
) -> None:
    """Verify IMAGE's attestations; print each verified DSSE envelope on its own line."""
    _bool(new_bundle_format, "--new-bundle-format")
    v = _verifier(
        key,
        trusted_root,
        certificate_identity,
        certificate_identity_regexp,
        certificate_oidc_issuer,
        certificate_oidc_issuer_regexp,
        {},
        insecure_ignore_sct,
        _bool(insecure_ignore_tlog, "--insecure-ignore-tlog"),
    )
    uri = statements.predicate_type_uri(type_) if type_ else None
    ref, found = verify.verify_attestations(_store(insecure), image, v, predicate_type=uri)
    _checks(str(ref), key is not None)
    for f in found:
        typer.echo(json.dumps(f.envelope, separators=(",", ":")))
