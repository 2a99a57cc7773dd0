"""`make demo` end to end: the real outcomes of every stage, checked after one run of the demo."""

from __future__ import annotations

import io
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from shipyard.cluster.local import LocalCluster
from shipyard.demo import infra
from shipyard.demo.baseimage import stanzas
from shipyard.demo.run import DemoResult, run_demo
from shipyard.demo.stages import DemoContext, pipeline
from shipyard.errors import NotFoundError
from shipyard.images.layout import OciLayout, store_path
from shipyard.images.reference import parse_reference
from shipyard.registry.client import RegistryClient
from shipyard.registry.http import ClientOptions
from shipyard.registry.server import RunningRegistry, registry_available, start_registry
from shipyard.store.db import Database

# One worker runs every test here, so the module-scoped demo run happens once (make test uses --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.xdist_group("demo")]

ALL = frozenset({"source", "git", "python-base", "vulndb", "registry"})


@dataclass
class Ran:
    result: DemoResult
    text: str
    home: Path

    @property
    def root(self) -> Path:
        return self.home / "demo"


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    if not registry_available():
        pytest.fail("docker-registry is not installed (make setup installs it)")
    home = tmp_path_factory.mktemp("demo") / ".shipyard"
    out = io.StringIO()
    result = run_demo(home, Console(file=out, width=200))
    return Ran(result, out.getvalue(), home)


@pytest.fixture(scope="module")
def registry(ran: Ran) -> Iterator[RunningRegistry]:
    """The demo's registry storage served again (the demo stops its registry when it ends)."""
    reg = start_registry(ran.root / "registry")
    try:
        yield reg
    finally:
        reg.stop()


def _image(ran: Ran, registry: RunningRegistry) -> str:
    """The built image's reference, moved onto the restarted registry's port."""
    url = ran.result.results["build"]["IMAGE_URL"]
    return registry.host + url[url.index("/") :]


def test_the_demo_succeeds_and_a_forged_push_runs_nothing(ran: Ran) -> None:
    assert ran.result.ok, ran.text
    assert ran.result.refused_status == 202 and ran.result.accepted_status == 202
    assert "runs created: 0" in ran.text and "payload signature check failed" in ran.text
    tasks = [c["pipelineTaskName"] for c in ran.result.run["status"]["childReferences"]]
    assert tasks == ["clone", "lint", "test", "build", "sbom", "scan", "sign", "attest", "promote"]


def test_build_pushes_a_sha_tagged_nonroot_image_from_the_debian_base(ran: Ran, registry: RunningRegistry) -> None:
    build = ran.result.results["build"]
    commit = ran.result.results["clone"]["commit"]
    ref = parse_reference(_image(ran, registry))
    assert ref.tag == f"sha-{commit[:7]}" and ref.digest == build["IMAGE_DIGEST"]
    with RegistryClient(ClientOptions()) as client:
        raw, _, digest = client.get_manifest(parse_reference(f"{ref.name}:{ref.tag}"))
        assert digest == build["IMAGE_DIGEST"]
        manifest = json.loads(raw)
        config = json.loads(client.get_blob(ref, manifest["config"]["digest"]))
    assert config["config"]["User"] == "65532:65532"
    assert config["config"]["Entrypoint"] == ["python3", "-m", "app.server"]
    assert config["config"]["Labels"]["org.opencontainers.image.revision"] == commit
    assert "latest" not in ran.result.results["build"]["IMAGE_URL"]


def test_sboms_are_valid_and_list_debian_and_python_packages(ran: Ran) -> None:
    spdx = json.loads((ran.root / "reports" / "sbom.spdx.json").read_text())
    cdx = json.loads((ran.root / "reports" / "sbom.cdx.json").read_text())
    assert spdx["spdxVersion"] == "SPDX-2.3" and cdx["bomFormat"] == "CycloneDX"
    names = {p["name"] for p in spdx["packages"]}
    assert {"python3.11-minimal", "libc6", "busybox-static", "Pygments"} <= names
    purls = {c.get("purl", "") for c in cdx["components"]}
    assert "pkg:pypi/pygments@2.14.0" in purls


def test_scan_reports_the_pygments_advisory_as_accepted_with_its_reason(ran: Ran) -> None:
    report = json.loads((ran.root / "reports" / "scan.json").read_text())
    assert report["findings"] == []
    (accepted,) = report["ignored"]
    assert accepted["finding"]["id"] == "CVE-2022-40896"
    assert accepted["finding"]["package"]["version"] == "2.14.0"
    assert "JsonLexer" in accepted["rule"]["reason"]
    sarif = json.loads((ran.root / "reports" / "scan.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert "CVE-2022-40896" in ran.text and "accepted" in ran.text


def test_the_scan_gate_fails_without_the_ignore_file(ran: Ran, registry: RunningRegistry) -> None:
    image = _image(ran, registry)
    done = subprocess.run(
        [infra.shipyard_cli(), "scan", f"registry:{image}", "--severity", infra.SCAN_SEVERITY, "--exit-code", "1",
         "--ignore-file", "/dev/null"],
        env={"SHIPYARD_HOME": str(ran.home), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "CVE-2022-40896" in done.stdout


def test_the_signature_and_sbom_attestation_verify_with_the_demo_key(ran: Ran, registry: RunningRegistry) -> None:
    image = _image(ran, registry)
    key = ran.root / "keys" / "cosign.pub"
    env = {"SHIPYARD_HOME": str(ran.home), "PATH": "/usr/bin:/bin"}
    verify = [infra.shipyard_cli(), "sign", "verify", "--key", str(key), image]
    done = subprocess.run(verify, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    (payload,) = json.loads(done.stdout)  # the signed statement names the image by its digest
    assert ran.result.results["build"]["IMAGE_DIGEST"].removeprefix("sha256:") in json.dumps(payload)
    for kind in ("spdxjson", "slsaprovenance1"):
        cmd = [infra.shipyard_cli(), "sign", "verify-attestation", "--key", str(key), "--type", kind, image]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, (kind, done.stderr)


def test_the_pipeline_promoted_the_digest_to_staging(ran: Ran) -> None:
    repo = ran.root / "gitops.git"
    commit = ran.result.results["promote"]["commit"]
    message = subprocess.run(["git", "log", "-1", "--format=%B", commit], cwd=repo, capture_output=True, text=True)
    assert message.stdout.startswith("chore(staging): update order-service to sha-")
    assert f"Source-Commit: {ran.result.results['clone']['commit']}" in message.stdout
    shown = subprocess.run(
        ["git", "show", f"{commit}:services/order-service/overlays/staging/kustomization.yaml"],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert ran.result.results["build"]["IMAGE_DIGEST"] in shown


def test_stages_drop_out_when_the_machine_cannot_run_them() -> None:
    def names(caps: frozenset[str]) -> list[str]:
        return [t["name"] for t in pipeline(DemoContext(capabilities=caps))["spec"]["tasks"]]

    assert names(frozenset({"source"})) == ["clone", "lint", "test"]
    assert names(ALL - {"registry"}) == ["clone", "lint", "test", "build", "sbom", "scan"]
    assert names(ALL - {"vulndb"}) == ["clone", "lint", "test", "build", "sbom", "sign", "attest", "promote"]
    tasks = {t["name"]: t for t in pipeline(DemoContext(capabilities=ALL - {"vulndb"}))["spec"]["tasks"]}
    assert tasks["sign"]["runAfter"] == ["sbom"]  # its predecessor (scan) dropped out: it follows the stage before


def test_param_defaults_come_from_the_machine() -> None:
    spec = pipeline(DemoContext(capabilities=ALL, values={"image-name": "127.0.0.1:5000/order-service"}))["spec"]
    params = {p["name"]: p for p in spec["params"]}
    assert params["image-name"]["default"] == "127.0.0.1:5000/order-service"
    assert "default" not in params["base-image"]


def test_the_gate_admits_the_signed_image_pinned_and_refuses_an_unsigned_one(ran: Ran) -> None:
    delivery = ran.result.delivery
    assert delivery is not None
    assert delivery.admitted.endswith("@" + ran.result.results["build"]["IMAGE_DIGEST"])
    assert "python-base:3.11" in delivery.refused and "no signatures found" in delivery.refused
    assert "refused " in ran.text and "verify-image-signature/check-image-signature" in ran.text


def test_staging_and_production_run_the_image_synced_and_healthy(ran: Ran) -> None:
    delivery = ran.result.delivery
    assert delivery is not None
    # production runs the first release; staging has since moved on to the next one (the pipeline promoted it)
    latest = {"production": ran.result.results, "staging": ran.result.release_results}
    for env in ("staging", "production"):
        app = delivery.apps[f"order-service-{env}"]
        assert (app["sync"], app["health"]) == ("Synced", "Healthy"), app
        dep = LocalCluster(Database(ran.home / "state.db")).get("apps/Deployment", env, "order-service")
        assert dep is not None
        image = dep["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.endswith("@" + latest[env]["build"]["IMAGE_DIGEST"])
        assert dep["status"]["availableReplicas"] == dep["spec"]["replicas"]
    # the service really ran from the image: its receipt (2 x 4.50, 10 % off) came back colourised by Pygments
    assert "8.10" in delivery.receipt and "\x1b[" in delivery.receipt


def test_production_was_promoted_through_an_approved_request(ran: Ran) -> None:
    delivery = ran.result.delivery
    assert delivery is not None and delivery.production_request is not None
    repo = ran.root / "gitops.git"
    log = subprocess.run(["git", "log", "--format=%s", "main"], cwd=repo, capture_output=True, text=True).stdout
    assert "chore(production): update order-service to sha-" in log
    overlay = subprocess.run(
        ["git", "show", "main:services/order-service/overlays/production/kustomization.yaml"],
        cwd=repo, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert ran.result.results["build"]["IMAGE_DIGEST"] in overlay


def test_base_stanzas_are_copied_verbatim_and_a_missing_package_is_named() -> None:
    status = (
        "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n\n"
        "Package: libc6\nStatus: deinstall ok config-files\nVersion: 2.36\n"
    )
    assert stanzas(status, ("zlib1g",)) == {"zlib1g": status.split("\n\n")[0]}
    with pytest.raises(NotFoundError, match="libc6"):
        stanzas(status, ("zlib1g", "libc6"))


def test_the_next_release_is_built_again_and_rolled_out_as_a_canary(ran: Ran) -> None:
    release = ran.result.release
    assert release is not None and release.canary is not None and ran.result.release_run is not None
    first, second = ran.result.results["build"]["IMAGE_DIGEST"], ran.result.release_results["build"]["IMAGE_DIGEST"]
    assert first != second  # the one-line change made a new image
    assert release.canary.phase == "Healthy", release.canary
    assert release.canary.stable_image.endswith("@" + second)
    reasons = [reason for _, reason, _ in release.canary.events]
    assert reasons[-1] == "RolloutCompleted"
    steps = [message for _, reason, message in release.canary.events if reason == "RolloutStepCompleted"]
    assert steps == [f"Rollout step {i}/6 completed ({what})" for i, what in enumerate(
        ["setWeight: 25", "pause: 30s", "analysis", "setWeight: 50", "pause: 30s", "setWeight: 100"], start=1)]  # fmt: skip
    analysis_done = next(t for t, _, m in release.canary.events if m.endswith("(analysis)"))
    assert analysis_done >= 20  # three real /healthz measurements, 10 s apart on the controller's clock
    assert '"currency": "EUR"' in re.sub(r"\x1b\[[0-9;]*m", "", release.receipt)  # staging runs the next release
    assert "simulated pods" in ran.text


def test_without_a_registry_binary_images_stay_in_the_content_store(
    shipyard_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(infra, "registry_available", lambda: False)
    out = io.StringIO()
    result = run_demo(shipyard_home, Console(file=out, width=200))
    text = out.getvalue()
    assert result.ok, text
    tasks = [c["pipelineTaskName"] for c in result.run["status"]["childReferences"]]
    assert tasks == ["clone", "lint", "test", "build", "sbom", "scan"]
    assert "docker-registry is not installed" in text
    build = result.results["build"]
    assert build["IMAGE_SOURCE"] == build["IMAGE_URL"].split("@")[0]  # the store name, nothing pushed
    stored = OciLayout(store_path(shipyard_home)).resolve(str(parse_reference(build["IMAGE_SOURCE"])))
    assert stored.digest == build["IMAGE_DIGEST"]
    assert "CVE-2022-40896" in text and result.delivery is not None and result.delivery.accepted
