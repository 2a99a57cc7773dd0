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


ALL_ACTIONS = """\
update: {container: order-service, image: registry.local/order-service:v2}
podReadySeconds: 5
metrics:
  success-rate: [{until: 300, value: [0.99]}, {value: [0.97]}]
  latency-p99: [{value: [0.21]}]
  error-rate: [{value: [0.001]}]
actions: [{at: 100, abort: true}, {at: 200, retry: true}, {at: 250, pause: true}, {at: 700, resume: true},
          {at: 1000, promoteFull: true}]
until: 7200
"""


def test_simulate_seed_unchanged_every_action_json_and_text(tmp_path: Path) -> None:
    """The seed's Rollout and AnalysisTemplate as written (no count) with abort/retry/pause/resume/promoteFull,
    through the CLI with -o json (the contract's keys) and without -o (the readable timeline)."""
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(ALL_ACTIONS)
    files = ["-f", str(DATA / "seed-rollout.yaml"), "-f", str(DATA / "seed-analysistemplate.yaml")]
    code, out = sh("rollouts", "simulate", *files, "--scenario", str(scenario), "-o", "json")
    assert code == 0
    report = json.loads(out)
    assert list(report) == ["phase", "message", "events", "weights", "analysisRuns", "replicaSets"]
    assert report["phase"] == "Healthy" and report["message"] == ""
    timeline = [(e["t"], e["reason"]) for e in report["events"]]
    assert (100, "RolloutAborted") in timeline
    assert (130, "ScalingReplicaSet") in timeline  # abortScaleDownDelaySeconds 30 with traffic routing
    assert (205, "RolloutPaused") in timeline  # retry restarts at step 0
    # the 5m pause would expire at 505 but spec.paused holds it (AR:rollout/canary.go reconcileCanaryPause);
    # resume (Argo CD's action) clears pauseConditions itself, so the step completes without a RolloutResumed
    assert [t for t, r in timeline if r == "RolloutStepCompleted"] == [5, 205, 700]
    assert [t for t, r in timeline if r == "RolloutResumed"] == []
    completed = [e for e in report["events"] if e["reason"] == "RolloutCompleted"]
    assert [(e["t"], e["message"].rsplit(": ", 1)[1]) for e in completed] == [(1005, "Full promotion requested")]
    assert [w["canary"] for w in report["weights"]] == [0, 5, 0, 5, 0]
    assert report["replicaSets"][0] == {"revision": 2, "replicas": 10, "available": 10}
    code, text = sh("rollouts", "simulate", *files, "--scenario", str(scenario))
    assert code == 0
    lines = text.splitlines()
    assert "t=   100s  RolloutAborted         Rollout aborted update to revision 2" in lines
    assert "t=     5s  weight                 canary 5 / stable 95" in lines
    assert "result: Healthy" in lines
    assert "  revision 2: 10 replicas, 10 available" in lines


def test_analysis_run_lints_the_template_first(tmp_path: Path) -> None:
    """`analysis run` checks the template as `shipyard lint` does before measuring anything: a condition that
    does not parse is reported with file:line and column, a wrongly typed field with its path."""
    bad = tmp_path / "t.yaml"
    bad.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec:\n  metrics:\n"
        "    - name: m\n      successCondition: result[0] >= >= 0.95\n"
        "      provider: {prometheus: {address: 'http://127.0.0.1:9', query: q}}\n"
    )
    result = runner.invoke(app, ["analysis", "run", "-f", str(bad)])
    assert result.exit_code != 0
    assert f"{bad}:7 spec.metrics[0].successCondition: does not parse: unexpected token '>=' (column 14)" in str(
        result.exception
    )
    bad.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: t}\nspec:\n  metrics: 5\n"
    )
    result = runner.invoke(app, ["analysis", "run", "-f", str(bad)])
    assert result.exit_code != 0 and f"{bad}:5 spec.metrics: Input should be a valid list" in str(result.exception)


def test_status_timeout_takes_a_go_duration() -> None:
    """kubectl-argo-rollouts status: `-t, --timeout duration` (e.g. 1s, 2m, 3h; AR:pkg/kubectl-argo-rollouts/cmd/
    status/status.go); a bare number is read as seconds, anything else is a clear error."""
    assert sh("rollouts", "create", "-f", str(DATA / "bg-rollout.yaml"))[0] == 0
    result = runner.invoke(app, ["rollouts", "status", "bg", "--timeout", "200ms"])
    assert result.exit_code == 1 and "Rollout status watch exceeded timeout" in result.stderr
    result = runner.invoke(app, ["rollouts", "status", "bg", "-t", "2x"])
    assert result.exit_code != 0 and "--timeout '2x': time: missing unit in duration \"2x\"" in str(result.exception)
