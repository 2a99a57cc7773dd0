"""``shipyard policy check|serve``: Kyverno ``verifyImages`` policies against workloads, offline or as a webhook.

``check -f clusterpolicy.yaml -f pod.yaml`` prints one line per container — admitted with the digest-pinned image,
or denied with the image and the failed attestor — and exits 1 if anything is denied. ``serve`` answers
AdmissionReview v1 on https://127.0.0.1:PORT/mutate and /validate.
"""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer

from shipyard.cli.output import OutputFormat, console, emit, err_console
from shipyard.controllers.admission import AdmissionServer
from shipyard.controllers.signature_registry import RegistrySignatureStore
from shipyard.errors import SpecError
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.resources.kyverno import ClusterPolicy, load_policy
from shipyard.resources.loader import load_documents
from shipyard.supplychain.policy.engine import Decision, PolicyEngine
from shipyard.supplychain.policy.rewrite import with_key_attestor
from shipyard.supplychain.signing.keys import load_public_keys
from shipyard.supplychain.signing.trustroot import load_trusted_root

app = typer.Typer(
    name="policy", help="Kyverno verifyImages: check workloads, or serve an admission webhook.", no_args_is_help=True
)

FilesOpt = Annotated[list[Path], typer.Option("-f", "--filename", help="policy and resource YAML files (repeatable)")]
RootOpt = Annotated[
    Path | None, typer.Option("--trusted-root", help="Sigstore trusted_root.json for keyless attestors")
]
InsecureOpt = Annotated[bool, typer.Option("--insecure", help="plain HTTP / no TLS verification for registries")]
KeyOpt = Annotated[
    Path | None,
    typer.Option("--key", help="shipyard extension: replace the policies' keyless attestors with this cosign.pub"),
]
RefsOpt = Annotated[
    list[str] | None,
    typer.Option("--image-reference", help="with --key: replace imageReferences (repeatable)"),
]


def _engine(policies: list[ClusterPolicy], trusted_root: Path | None, insecure: bool) -> PolicyEngine:
    root = None
    if trusted_root is not None:
        try:
            root = load_trusted_root(trusted_root.read_bytes())
        except OSError as exc:
            raise SpecError(f"cannot read the trusted root: {exc.strerror}", file=str(trusted_root)) from exc
    store = RegistrySignatureStore(RegistryClient(ClientOptions(insecure=insecure)))
    return PolicyEngine(policies, store, trusted_root=root)


def _split(
    files: list[Path], key: Path | None = None, image_references: list[str] | None = None
) -> tuple[list[ClusterPolicy], list[dict[str, Any]]]:
    policies: list[ClusterPolicy] = []
    resources: list[dict[str, Any]] = []
    for doc in load_documents(list(files)):
        if doc.kind in ("ClusterPolicy", "Policy") and str(doc.api_version or "").startswith("kyverno.io/"):
            policies.append(load_policy(doc))
        elif isinstance(doc.data, dict):
            resources.append(doc.data)
    if not policies:
        raise SpecError("no kyverno.io ClusterPolicy or Policy among the files (-f)")
    if key is not None:
        try:
            pem = key.read_bytes()
        except OSError as exc:
            raise SpecError(f"cannot read the public key: {exc.strerror}", file=str(key)) from exc
        load_public_keys(pem)  # a broken key is an error now, not a denial later
        policies = [with_key_attestor(p, pem, image_references=image_references or None) for p in policies]
    elif image_references:
        raise SpecError("--image-reference only applies together with --key")
    return policies, resources


def _view(resource: dict[str, Any], decision: Decision) -> dict[str, Any]:
    meta = resource.get("metadata") or {}
    return {
        "resource": f"{resource.get('kind')}/{meta.get('namespace', 'default')}/{meta.get('name', '')}",
        "allowed": decision.allowed,
        "containers": [
            {
                "container": c.container,
                "image": c.image,
                "status": c.status,
                "pinned": c.pinned,
                "policy": f"{c.policy}/{c.rule}",
                "message": c.message,
                "enforced": c.enforce,
            }
            for c in decision.containers
        ],
        "patch": list(decision.patches),
    }


@app.command("check")
def check(
    files: FilesOpt,
    trusted_root: RootOpt = None,
    insecure: InsecureOpt = False,
    output: Annotated[OutputFormat | None, typer.Option("-o", "--output")] = None,
    key: KeyOpt = None,
    image_reference: RefsOpt = None,
) -> None:
    """Decide, per container, whether the workloads in the files would be admitted."""
    policies, resources = _split(files, key, image_reference)
    if not resources:
        raise SpecError("no Pod, Deployment or Rollout among the files (-f)")
    engine = _engine(policies, trusted_root, insecure)
    views = []
    denied = False
    for resource in resources:
        decision = engine.evaluate(resource)
        views.append(_view(resource, decision))
        denied = denied or not decision.allowed
    if output is not None:
        emit(views, output)
    else:
        for view in views:
            if not view["containers"]:
                console.print(
                    f"{view['resource']}: admitted (no verifyImages rule applies)", markup=False, soft_wrap=True
                )
            for c in view["containers"]:
                where = f"{view['resource']} container {c['container']}"
                if c["status"] == "pass":
                    console.print(f"{where}: admitted {c['pinned']}", markup=False, soft_wrap=True)
                elif c["enforced"]:
                    console.print(
                        f"{where}: denied {c['image']}: {c['policy']}: {c['message']}", markup=False, soft_wrap=True
                    )
                else:
                    console.print(
                        f"{where}: admitted with warning {c['image']}: {c['message']}", markup=False, soft_wrap=True
                    )
    if denied:
        raise typer.Exit(1)


@app.command("serve")
def serve(
    files: FilesOpt,
    port: Annotated[int, typer.Option("--port")] = 8443,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key")] = None,
    trusted_root: RootOpt = None,
    insecure: InsecureOpt = False,
    key: KeyOpt = None,
    image_reference: RefsOpt = None,
) -> None:
    """Serve AdmissionReview v1 on 127.0.0.1:PORT until interrupted."""
    policies, _ = _split(files, key, image_reference)
    server = AdmissionServer(_engine(policies, trusted_root, insecure), port=port, tls_cert=tls_cert, tls_key=tls_key)

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    err_console.print(
        f"admission webhook on {server.url}/mutate and /validate ({len(policies)} policies)", markup=False
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
    finally:
        server.httpd.server_close()
