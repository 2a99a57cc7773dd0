"""The demo's YAML passes `shipyard lint`: every Task file, the assembled Pipeline, the triggers, the admission
policy and the production canary's Rollout and AnalysisTemplate (what upstream would accept)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from shipyard.cli.output import dump_yaml
from shipyard.demo import canary, kubelet
from shipyard.demo.deliver import Delivery
from shipyard.demo.run import DemoResult
from shipyard.demo.stages import STAGES, DemoContext, pipeline
from shipyard.errors import ExecutionError
from shipyard.resources.kinds import lint
from shipyard.resources.loader import Document, load_file, loads
from shipyard.resources.validate import Issues

ASSETS = Path(str(resources.files("shipyard.demo") / "assets"))
ALL = frozenset().union(*(s.needs for s in STAGES))


def _lint(docs: list[Document]) -> list[str]:
    problems: list[str] = []
    for doc in docs:
        issues = Issues(doc)
        lint(doc, issues)
        problems += [str(i) for i in issues.items]
    return problems


@pytest.mark.parametrize(
    "name", [*sorted(p.name for p in (ASSETS / "tekton").glob("*.yaml")), "../policy/verify-image-signature.yaml"]
)
def test_asset_files_lint_clean(name: str) -> None:
    docs = load_file(ASSETS / "tekton" / name)
    assert docs and _lint(docs) == []


def test_the_assembled_pipeline_lints_clean_and_refers_to_shipped_tasks() -> None:
    spec = pipeline(DemoContext(capabilities=ALL))
    (doc,) = loads(dump_yaml(spec))
    assert _lint([doc]) == []
    shipped = {d.data["metadata"]["name"] for p in (ASSETS / "tekton").glob("tasks-*.yaml") for d in load_file(p)}
    assert {t["taskRef"]["name"] for t in spec["spec"]["tasks"]} <= shipped


def test_the_canary_rollout_and_analysis_template_lint_clean() -> None:
    text = dump_yaml(canary.rollout("127.0.0.1:5000/order-service:sha-1@sha256:" + "a" * 64, 4, "http://x/healthz"))
    docs = loads(text + "---\n" + dump_yaml(canary.ANALYSIS_TEMPLATE))
    assert [d.kind for d in docs] == ["Rollout", "AnalysisTemplate"] and _lint(docs) == []


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("65532:65532", (65532, 65532)), ("65532", (65532, 65532)), ("nonroot", (65532, 65532)), ("0", (0, 0))],
    ids=["uid:gid", "uid-only-group-equals-uid", "name-from-image-passwd", "root"],
)
def test_kubelet_runs_as_the_image_user(tmp_path: Path, spec: str, expected: tuple[int, int]) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\nnonroot:x:65532:65532::/home/nonroot:/bin/sh\n")
    assert kubelet._user(spec, tmp_path) == expected


def test_kubelet_refuses_a_user_the_image_does_not_have(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    with pytest.raises(ExecutionError, match="ghost"):
        kubelet._user("ghost", tmp_path)


def _run(status: str) -> dict[str, object]:
    return {"metadata": {"name": "r"}, "status": {"conditions": [{"type": "Succeeded", "status": status}]}}


@pytest.mark.parametrize(
    ("run", "failures", "release_run", "ok"),
    [
        ("True", [], None, True),
        ("False", [], None, False),
        ("True", ["the unsigned image was admitted"], None, False),
        ("True", [], "False", False),
    ],
    ids=["all-passed", "pipeline-failed", "a-delivery-check-failed", "the-next-release-failed"],
)
def test_the_demo_fails_when_any_stage_fails(run: str, failures: list[str], release_run: str | None, ok: bool) -> None:
    result = DemoResult(
        run=_run(run), refused_status=202, accepted_status=202, delivery=Delivery(failures=list(failures)),
        release_run=_run(release_run) if release_run else None,
    )  # fmt: skip
    assert result.ok is ok


def test_the_cli_exits_1_when_the_demo_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from shipyard.cli.main import app

    failed = DemoResult(run=_run("False"), refused_status=202, accepted_status=202)
    monkeypatch.setattr("shipyard.demo.run.run_demo", lambda home, console: failed)
    assert CliRunner().invoke(app, ["demo"]).exit_code == 1
