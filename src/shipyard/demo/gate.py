"""Supply-chain evidence after the pipeline: the scan's accepted findings, SLSA v1 provenance (attested from the
finished PipelineRun, as Tekton Chains does), signature checks, and the admission gate (the seed's verifyImages
ClusterPolicy with the demo's key) that decides whether the deploy stage may run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from shipyard.controllers.signature_registry import RegistrySignatureStore
from shipyard.demo import infra
from shipyard.images.layout import OciLayout
from shipyard.images.reference import parse_reference
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.registry.transfer import push_image
from shipyard.resources.kyverno import load_policy
from shipyard.resources.loader import load_file
from shipyard.supplychain.policy.engine import Decision, PolicyEngine
from shipyard.supplychain.policy.rewrite import with_key_attestor
from shipyard.supplychain.signing import keys, provenance, sign, verify
from shipyard.supplychain.vuln import load_ignore

BUILDER_ID = "https://shipyard.dev/demo/tekton-pipelines/order-service-ci"
SPDX_TYPE = "https://spdx.dev/Document"
SLSA_V1_TYPE = "https://slsa.dev/provenance/v1"


def store() -> RegistrySignatureStore:
    return RegistrySignatureStore(RegistryClient(ClientOptions()))


def show_scan(report_path: Path, ignore_path: Path, console: Console) -> list[dict[str, Any]]:
    """The scan's findings and accepted findings (with reason, expiry and the rule's place); returns accepted."""
    report = json.loads(report_path.read_text())
    expiries = {r.id: r.expires for r in load_ignore(ignore_path)} if ignore_path.exists() else {}
    table = Table(title=f"scan of {report['target']['name']}", title_justify="left")
    for col in ("package", "installed", "fixed in", "id", "severity", "status"):
        table.add_column(col)
    for f in report["findings"]:
        pkg = f["package"]
        status = "[red]open[/]"
        table.add_row(pkg["name"], pkg["version"], ", ".join(f["fixedVersions"]), f["id"], f["severity"], status)
    reasons = []
    for item in report["ignored"]:
        f, rule = item["finding"], item["rule"]
        pkg = f["package"]
        table.add_row(
            pkg["name"], pkg["version"], ", ".join(f["fixedVersions"]), f["id"], f["severity"], "[green]accepted"
        )
        reasons.append(
            f"{f['id']} ({', '.join(f['aliases'])}) accepted by {rule['where']} until "
            f"{expiries.get(rule['id']) or 'no expiry'}: {rule['reason']}"
        )
    console.print(table)
    for reason in reasons:
        console.print(reason, style="green")
    console.print(f"{report['packages']} packages; {len(report['findings'])} open, {len(report['ignored'])} accepted")
    return list(report["ignored"])


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def provenance_record(
    run: dict[str, Any], repo_url: str, commit: str, base: tuple[str, str] | None
) -> provenance.BuildRecord:
    """SLSA v1 build record of a finished PipelineRun: its params, the source, the base image, start/finish."""
    status = run.get("status") or {}
    params = {p["name"]: p["value"] for p in (run.get("spec") or {}).get("params") or []}
    bases = [provenance.ImageDependency(parse_reference(base[0]).repository, base[1])] if base else []
    return provenance.BuildRecord(
        builder_id=BUILDER_ID,
        invocation_id=f"{run['metadata'].get('namespace', 'default')}/{run['metadata']['name']}",
        started_on=_time(status["startTime"]),
        finished_on=_time(status["completionTime"]),
        params=params,
        source=provenance.SourceDependency(repo_url, commit, "refs/heads/main"),
        base_images=bases,
    )


def attest_provenance(image: str, key: infra.SigningKey, record: provenance.BuildRecord) -> dict[str, Any]:
    predicate = provenance.slsa_v1_predicate(record)
    private = keys.load_private_key(key.private.read_bytes(), key.password.encode())
    sign.attest_image(
        store(), image, private, predicate=json.dumps(predicate).encode(), predicate_kind="slsaprovenance1",
        now=datetime.now(UTC),
    )  # fmt: skip
    return predicate


def verify_all(image: str, public: Path) -> dict[str, int]:
    """How many signatures / SBOM / provenance attestations verify with the demo's public key (raises if none)."""
    v = verify.Verifier(key=keys.load_public_key(public.read_bytes()))
    s = store()
    _, sigs = verify.verify_image(s, image, v)
    _, sboms = verify.verify_attestations(s, image, v, predicate_type=SPDX_TYPE)
    _, slsa = verify.verify_attestations(s, image, v, predicate_type=SLSA_V1_TYPE)
    return {"signatures": len(sigs), "sbom attestations": len(sboms), "provenance attestations": len(slsa)}


def policy_engine(public: Path, registry_host: str) -> PolicyEngine:
    """The seed's verify-image-signature ClusterPolicy, its keyless attestor replaced by the demo's key and its
    image references by the demo registry's (``shipyard policy check --key --image-reference``)."""
    path = Path(str(resources.files("shipyard.demo") / "assets" / "policy" / "verify-image-signature.yaml"))
    (doc,) = load_file(path)
    policy = with_key_attestor(load_policy(doc), public.read_bytes(), image_references=[f"{registry_host}/*"])
    return PolicyEngine([policy], store())


def pod_of(deployment: dict[str, Any], namespace: str, image: str | None = None) -> dict[str, Any]:
    """The Pod a Deployment's template makes in ``namespace`` (optionally with another image)."""
    spec = json.loads(json.dumps(deployment["spec"]["template"]["spec"]))
    if image is not None:
        spec["containers"][0]["image"] = image
    name = deployment["metadata"]["name"]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"{name}-x1", "namespace": namespace}, "spec": spec}


def push_unsigned(layout: OciLayout, base_name: str, registry_host: str) -> str:
    """The base image pushed by tag and never signed: what the gate must refuse."""
    ref = parse_reference(f"{registry_host}/python-base:3.11")
    with RegistryClient(ClientOptions()) as client:
        push_image(client, layout, layout.resolve(base_name), ref)
    return str(ref)


def explain(decision: Decision) -> str:
    c = decision.containers[0]
    return f"{c.image}: {'admitted as ' + c.pinned if decision.allowed else decision.message()}"
