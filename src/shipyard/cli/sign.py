"""``shipyard sign generate-key-pair|sign|verify|attest|verify-attestation`` with cosign's flags and output.

The password comes from ``COSIGN_PASSWORD`` (empty is allowed) or a prompt. As cosign does, the check list goes
to stderr and the results to stdout: ``verify`` prints an empty line then the verified payloads as one JSON array
(Go ``json.Marshal``); ``verify-attestation`` prints one DSSE envelope per line, so
``jq '.payload | @base64d | fromjson | .predicate'`` works as with cosign.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.output import err_console
from shipyard.cli.sign_options import (
    AnnOpt,
    BundleOpt,
    InsecureOpt,
    KeyOpt,
    TlogUploadOpt,
    YesOpt,
    flag_bool,
    no_tlog_upload,
    parse_annotations,
    password,
    private_key,
    read_file,
    registry_store,
)
from shipyard.errors import SpecError
from shipyard.store.files import atomic_write_bytes
from shipyard.supplychain.signing import certs, gojson, keys, sign, statements, verify
from shipyard.supplychain.signing.imageref import parse_image
from shipyard.supplychain.signing.trustroot import load_trusted_root

app = typer.Typer(name="sign", help="Cosign-compatible image signatures and attestations.", no_args_is_help=True)


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
    pair = keys.generate_key_pair(password(confirm=True))
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
    yes: YesOpt = False,
    tlog_upload: TlogUploadOpt = "false",
) -> None:
    """Sign IMAGE (a tag is resolved to its digest first)."""
    no_tlog_upload(tlog_upload)
    private = private_key(key)
    result = sign.sign_image(
        registry_store(insecure),
        image,
        private,
        now=datetime.now(UTC),
        annotations=parse_annotations(annotations),
        new_bundle_format=flag_bool(new_bundle_format, "--new-bundle-format"),
    )
    _report(result, "Pushing signature to:" if result.written else "already present in")


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
    yes: YesOpt = False,
    tlog_upload: TlogUploadOpt = "false",
) -> None:
    """Attest PREDICATE about IMAGE as an in-toto statement in a DSSE envelope."""
    no_tlog_upload(tlog_upload)
    private = private_key(key)
    result = sign.attest_image(
        registry_store(insecure),
        image,
        private,
        predicate=read_file(predicate, "the predicate"),
        predicate_kind=type_,
        now=datetime.now(UTC),
        new_bundle_format=flag_bool(new_bundle_format, "--new-bundle-format"),
    )
    _report(result, "Pushing attestation to:")


def _report(result: sign.SignResult, where: str) -> None:
    """cosign's stderr lines after sign/attest: the tag it resolved, and where the artifact went."""
    if result.resolved_from_tag:
        err_console.print(
            f"Resolved tag {result.resolved_from_tag} to digest {result.image.digest}", markup=False, soft_wrap=True
        )
    err_console.print(
        f"{where} {result.image.repository} ({result.layout}: {result.location})", markup=False, soft_wrap=True
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
    root = load_trusted_root(read_file(trusted_root, "the trusted root")) if trusted_root else None
    if key is not None:
        return verify.Verifier(
            key=keys.load_public_key(read_file(key, "the public key")),
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


def _cosign_name(image: str) -> str:
    """go-containerregistry ``Reference.Name()`` of what the user typed: ``index.docker.io`` for Docker Hub and
    the tag (``latest`` by default) or the digest — what ``cosign verify`` names in its header."""
    ref = parse_image(image)
    registry = "index.docker.io" if ref.registry == "docker.io" else ref.registry
    return f"{registry}/{ref.path}" + (f"@{ref.digest}" if ref.digest else f":{ref.tag}")


def _checks(ref: str, keyed: bool, annotations: bool, found: list[verify.Verified]) -> None:
    """cosign ``PrintVerificationHeader`` (cmd/cosign/cli/verify/verify.go), on stderr like ``ui.Infof``."""
    lines = [f"\nVerification for {ref} --", "The following checks were performed on each of these signatures:"]
    if annotations:
        lines.append("  - The specified annotations were verified.")
    lines.append("  - The cosign claims were validated")
    if found and all(f.tlog_verified for f in found):
        lines.append("  - Existence of the claims in the transparency log was verified offline")
    if keyed:
        lines.append("  - The signatures were verified against the specified public key")
    else:
        lines.append("  - The code-signing certificate was verified using trusted certificate authority certificates")
    err_console.print("\n".join(lines), markup=False, soft_wrap=True)


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
    flag_bool(new_bundle_format, "--new-bundle-format")  # verify reads both layouts either way
    v = _verifier(
        key,
        trusted_root,
        certificate_identity,
        certificate_identity_regexp,
        certificate_oidc_issuer,
        certificate_oidc_issuer_regexp,
        parse_annotations(annotations),
        insecure_ignore_sct,
        flag_bool(insecure_ignore_tlog, "--insecure-ignore-tlog"),
    )
    _ref, found = verify.verify_image(registry_store(insecure), image, v)
    _checks(_cosign_name(image), key is not None, bool(v.annotations), found)
    # PrintVerification's default (json) output: fmt.Printf("\n%s\n", json.Marshal(payloads)).
    typer.echo("\n" + gojson.marshal([verify.cosign_output(f) for f in found]).decode())


@app.command("verify-attestation")
def verify_attestation_cmd(
    image: str,
    key: PubOpt = None,
    type_: Annotated[
        str, typer.Option("--type", help="predicate type to verify (cosign's default: custom), a name or a URI")
    ] = "custom",
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
    flag_bool(new_bundle_format, "--new-bundle-format")
    v = _verifier(
        key,
        trusted_root,
        certificate_identity,
        certificate_identity_regexp,
        certificate_oidc_issuer,
        certificate_oidc_issuer_regexp,
        {},
        insecure_ignore_sct,
        flag_bool(insecure_ignore_tlog, "--insecure-ignore-tlog"),
    )
    uri = statements.predicate_type_uri(type_) if type_ else None
    _ref, found = verify.verify_attestations(registry_store(insecure), image, v, predicate_type=uri)
    # verify_attestation.go: the header names the image as typed; PrintVerification(..., "text") then prints each
    # certificate's subject/issuer on stderr and each envelope on its own stdout line.
    _checks(image, key is not None, False, found)
    for f in found:
        if f.certificate is not None:
            sans = certs.san_values(f.certificate)
            err_console.print(f"Certificate subject: {sans[0] if sans else ''}", markup=False, soft_wrap=True)
            issuer = certs.issuer_of(f.certificate)
            if issuer:
                err_console.print(f"Certificate issuer URL: {issuer}", markup=False, soft_wrap=True)
        typer.echo(gojson.marshal(f.envelope).decode())
