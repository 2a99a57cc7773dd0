"""``shipyard rollouts ...`` and ``shipyard analysis ...`` end to end on the local cluster under SHIPYARD_HOME."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typer.testing import CliRunner

from shipyard.cli.main import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def sh(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_simulate_json_matches_the_contract() -> None:
    code, out = sh(
        "rollouts",
        "simulate",
        "-f",
        str(DATA / "short-rollout.yaml"),
        "-f",
        str(DATA / "short-analysistemplate.yaml"),
        "--scenario",
        str(DATA / "failing.yaml"),
        "-o",
        "json",
    )
    assert code == 0
    report = json.loads(out)
    assert report["phase"] == "Degraded"
    assert report["message"].startswith("RolloutAborted: ")
    assert report["weights"][-1] == {"t": 25, "canary": 0, "stable": 100}


def test_simulate_timeline_text() -> None:
    code, out = sh(
        "rollouts",
        "simulate",
        "-f",
        str(DATA / "short-rollout.yaml"),
        "-f",
        str(DATA / "short-analysistemplate.yaml"),
        "--scenario",
        str(DATA / "healthy.yaml"),
    )
    assert code == 0
    assert "RolloutStepCompleted   Rollout step 8/8 completed (setWeight: 100)" in out
    assert "result: Healthy" in out


def test_simulate_bad_scenario_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("update: {container: a, image: b}\nuntill: 5\n")
    result = runner.invoke(
        app, ["rollouts", "simulate", "-f", str(DATA / "short-rollout.yaml"), "--scenario", str(bad)]
    )
    assert result.exit_code != 0
    assert f"{bad}:2 untill: unknown field" in str(result.exception)


def test_verbs_on_the_local_cluster() -> None:
    code, out = sh("rollouts", "create", "-f", str(DATA / "bg-rollout.yaml"))
    assert code == 0 and "rollout/bg applied" in out
    assert sh("rollouts", "controller", "--once")[0] == 0
    code, out = sh("rollouts", "get", "rollout", "bg")
    assert code == 0
    assert out.splitlines()[0] == "Name:            bg"
    assert "Strategy:        BlueGreen" in out
    assert "⟳ bg" in out and "# revision:1" in out and "ReplicaSet" in out
    code, out = sh("rollouts", "set", "image", "bg", "bg=bg:green")
    assert code == 0 and out.strip() == 'rollout "bg" image updated'
    sh("rollouts", "controller", "--once")
    code, out = sh("rollouts", "list", "rollouts")
    assert out.splitlines()[0].split() == [
        "NAME",
        "STRATEGY",
        "STATUS",
        "STEP",
        "SET-WEIGHT",
        "READY",
        "DESIRED",
        "UP-TO-DATE",
        "AVAILABLE",
    ]
    assert out.splitlines()[1].split()[:2] == ["bg", "BlueGreen"]
    code, out = sh("rollouts", "abort", "bg")
    assert out.strip() == "rollout 'bg' aborted"
    sh("rollouts", "controller", "--once")
    code, out = sh("rollouts", "status", "bg", "--no-watch")
    assert code == 1 and out.startswith("Degraded - RolloutAborted: Rollout aborted update to revision 2")
    assert sh("rollouts", "retry", "rollout", "bg")[1].strip() == "rollout 'bg' restarted"
    assert sh("rollouts", "promote", "bg", "--full")[1].strip() == "rollout 'bg' fully promoted"
    assert sh("rollouts", "pause", "bg")[1].strip() == "rollout 'bg' paused"
    result = runner.invoke(app, ["rollouts", "promote", "nope"])
    assert result.exit_code != 0 and 'rollout "nope" not found' in str(result.exception)


def test_analysis_run_with_a_job_template(tmp_path: Path) -> None:
    t = tmp_path / "t.yaml"
    t.write_text(f"""\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {{name: smoke}}
spec:
  args: [{{name: code}}]
  metrics:
  - name: exit
    provider:
      job:
        spec:
          template:
            spec:
              containers: [{{name: c, command: ["{sys.executable}", "-c", "import sys; sys.exit({{{{args.code}}}})"]}}]
""")
    code, out = sh("analysis", "run", "-f", str(t), "--arg", "code=0")
    assert code == 0 and "exit: 0 → Successful" in out and out.strip().endswith("Successful")
    result = runner.invoke(app, ["analysis", "run", "-f", str(t), "--arg", "code=3"])
    assert result.exit_code == 1
    assert 'Failed: Metric "exit" assessed Failed due to failed (1) > failureLimit (0)' in result.stdout
