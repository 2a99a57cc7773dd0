"""``shipyard rollouts simulate``: the seed's Rollout and AnalysisTemplate through the real controller with a fake
clock (issue 7 acceptance)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shipyard.controllers.simulate import Scenario, simulate
from shipyard.errors import SpecError, SpecErrors
from shipyard.resources.loader import load_file

DATA = Path(__file__).parent / "data"


def run(rollout: str, template: str, scenario: str | dict[str, Any]) -> dict[str, Any]:
    docs = load_file(DATA / rollout) + load_file(DATA / template)
    data = load_file(DATA / scenario)[0].data if isinstance(scenario, str) else scenario
    return simulate(docs, Scenario.model_validate(data))


def test_healthy_canary_walks_the_seed_steps() -> None:
    out = run("short-rollout.yaml", "short-analysistemplate.yaml", "healthy.yaml")
    assert out["phase"] == "Healthy"
    # setWeight 100 holds for one reconcile before the full promotion sets the canary weight back to 0
    # (AR:rollout/trafficrouting.go: fully promoted ⇒ desired weight 0); the timeline keeps it
    assert [w["canary"] for w in out["weights"]] == [0, 5, 20, 50, 100, 0]
    paused_at_50 = next(w["t"] for w in out["weights"] if w["canary"] == 50)
    completed = [e for e in out["events"] if e["reason"] == "RolloutCompleted"]
    assert len(completed) == 1 and completed[0]["t"] >= 900 > paused_at_50
    assert completed[0]["message"].endswith("Completed all 8 canary steps")
    steps = [e["message"] for e in out["events"] if e["reason"] == "RolloutStepCompleted"]
    assert steps[-2:] == ["Rollout step 7/8 completed (pause)", "Rollout step 8/8 completed (setWeight: 100)"]
    assert any(
        e["reason"] == "TrafficWeightUpdated" and e["message"] == "Traffic weight updated from 50 to 100"
        for e in out["events"]
    )
    assert sorted(r["phase"] for r in out["analysisRuns"]) == ["Successful", "Successful"]
    assert out["replicaSets"][0] == {"revision": 2, "replicas": 10, "available": 10}


def test_failing_success_rate_aborts() -> None:
    out = run("short-rollout.yaml", "short-analysistemplate.yaml", "failing.yaml")
    assert out["phase"] == "Degraded"
    assert out["message"].startswith("RolloutAborted: Rollout aborted update to revision 2: ")
    assert 'Metric "success-rate" assessed Failed due to failed (3) > failureLimit (2)' in out["message"]
    assert out["weights"][-1]["canary"] == 0 and out["weights"][-1]["stable"] == 100
    background = next(r for r in out["analysisRuns"] if r["phase"] == "Failed")
    sr = next(m for m in background["metrics"] if m["name"] == "success-rate")
    assert [m["phase"] for m in sr["measurements"]] == ["Failed", "Failed", "Failed"]
    assert [m["value"] for m in sr["measurements"]] == ["[0.9]", "[0.9]", "[0.9]"]


def test_json_shape_is_the_public_contract() -> None:
    out = run("short-rollout.yaml", "short-analysistemplate.yaml", "failing.yaml")
    assert list(out) == ["phase", "message", "events", "weights", "analysisRuns", "replicaSets"]
    assert set(out["events"][0]) == {"t", "reason", "message"}
    assert set(out["weights"][0]) == {"t", "canary", "stable"}
    run0 = out["analysisRuns"][0]
    assert set(run0) == {"name", "phase", "metrics"}
    assert set(run0["metrics"][0]) == {"name", "phase", "measurements"}
    assert set(run0["metrics"][0]["measurements"][0]) == {"t", "value", "phase"}
    assert set(out["replicaSets"][0]) == {"revision", "replicas", "available"}


def test_seed_unchanged_holds_at_the_unbounded_step_analysis() -> None:
    """The seed's template has interval and no count: the step-2 analysis never completes (Argo does the same)."""
    scenario = {
        "update": {"container": "order-service", "image": "x:v2"},
        "podReadySeconds": 5,
        "metrics": {
            "success-rate": [{"value": [0.99]}],
            "latency-p99": [{"value": [0.2]}],
            "error-rate": [{"value": [0.0]}],
        },
        "until": 1800,
    }
    out = run("seed-rollout.yaml", "seed-analysistemplate.yaml", scenario)
    assert out["phase"] == "Progressing"
    assert [w["canary"] for w in out["weights"]] == [0, 5]
    step_run = next(r for r in out["analysisRuns"] if r["name"].endswith("-2-2"))
    assert step_run["phase"] == "Running"
    # the run's status keeps Argo's last 10 (measurementRetention default); the timeline keeps every one
    ts = [m["t"] for m in step_run["metrics"][0]["measurements"]]
    assert ts == list(range(305, 1800, 60))


def test_abort_action_and_error_window() -> None:
    scenario = {
        "update": {"container": "order-service", "image": "x:v2"},
        "metrics": {
            "success-rate": [{"value": [0.99]}],
            "latency-p99": [{"value": [0.2]}],
            "error-rate": [{"value": [0.0]}],
        },
        "actions": [{"at": 10, "abort": True}],
        "until": 600,
    }
    out = run("short-rollout.yaml", "short-analysistemplate.yaml", scenario)
    assert out["phase"] == "Degraded"
    assert out["message"] == "RolloutAborted: Rollout aborted update to revision 2"


def test_scenario_unknown_field_is_rejected() -> None:
    with pytest.raises(ValueError):
        Scenario.model_validate({"update": {"container": "a", "image": "b"}, "untill": 5})


def test_missing_rollout_is_a_spec_error() -> None:
    docs = load_file(DATA / "short-analysistemplate.yaml")
    with pytest.raises(SpecError):
        simulate(docs, Scenario.model_validate({"update": {"container": "a", "image": "b"}}))


def test_blue_green_promote_action() -> None:
    docs = load_file(DATA / "bg-rollout.yaml")
    out = simulate(docs, Scenario.model_validate(load_file(DATA / "bg-promote.yaml")[0].data))
    assert out["phase"] == "Healthy"
    switch = next(e for e in out["events"] if e["reason"] == "SwitchService" and "'bg-active'" in e["message"])
    assert switch["t"] >= 60


SEED_HEALTHY = {
    "update": {"container": "order-service", "image": "registry.local/order-service:v2"},
    "podReadySeconds": 5,
    "metrics": {
        "success-rate": [{"until": 300, "value": [0.99]}, {"value": [0.98]}],
        "latency-p99": [{"value": [0.21]}],
        "error-rate": [{"value": [0.001]}],
    },
    "actions": [{"at": 900, "promote": True}, {"at": 1600, "promote": True}],
    "until": 7200,
}


def test_seed_unchanged_promoted_past_the_analysis_and_the_pause() -> None:
    """The seed's files as written: promote skips the unbounded step analysis (index+1, AR:cmd/promote), the
    second promote ends the indefinite pause; 5 → 20 → 50 → 100 → Healthy with both runs terminated Successful."""
    out = run("seed-rollout.yaml", "seed-analysistemplate.yaml", SEED_HEALTHY)
    assert out["phase"] == "Healthy"
    assert [(w["t"], w["canary"]) for w in out["weights"]] == [
        (0, 0),
        (5, 5),
        (905, 20),
        (1510, 50),
        (1605, 100),
        (1605, 0),
    ]
    assert sorted((r["name"], r["phase"]) for r in out["analysisRuns"]) == [
        ("order-service-5bdb4d5dd9-2", "Successful"),
        ("order-service-5bdb4d5dd9-2-2", "Successful"),
    ]
    background = next(r for r in out["analysisRuns"] if r["name"] == "order-service-5bdb4d5dd9-2")
    sr = next(m for m in background["metrics"] if m["name"] == "success-rate")
    assert len(sr["measurements"]) == 27 and sr["measurements"][-1] == {
        "t": 1565,
        "value": "[0.98]",
        "phase": "Successful",
    }


def test_seed_unchanged_failing_needs_four_failures() -> None:
    """failureLimit 3 (the seed's comment says "3 consecutive failures") fails the metric at failed (4) > 3
    (AR:analysis/analysis.go assessMetricFailureInconclusiveOrError): the background run started after step 1
    measures at 5, 65, 125, 185 s and aborts at the fourth."""
    out = run("seed-rollout.yaml", "seed-analysistemplate.yaml", "failing.yaml")
    assert out["phase"] == "Degraded"
    assert out["message"] == (
        "RolloutAborted: Rollout aborted update to revision 2: Background analysis phase error/failed: "
        'Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)'
    )
    assert [(w["t"], w["canary"], w["stable"]) for w in out["weights"]] == [(0, 0, 100), (5, 5, 95), (185, 0, 100)]
    aborted = next(e for e in out["events"] if e["reason"] == "RolloutAborted")
    assert aborted["t"] == 185


def test_bad_template_is_refused_before_simulating(tmp_path: Path) -> None:
    """Every document is linted first and all problems come together with file:line (a bad interval used to
    crash with a ValueError traceback; an unknown provider key used to show up only as five Error measurements
    and an abort)."""
    text = (DATA / "seed-analysistemplate.yaml").read_text()
    bad = text.replace("interval: 1m", "interval: 1x", 1).replace("prometheus:", "prometheuss:", 1)
    bad = bad.replace("successCondition: result[0] < 0.5", "successCondition: result[0] < < 0.5")
    path = tmp_path / "t.yaml"
    path.write_text(bad)
    docs = load_file(DATA / "seed-rollout.yaml") + load_file(path)
    with pytest.raises(SpecErrors) as err:
        simulate(docs, Scenario.model_validate(load_file(DATA / "healthy.yaml")[0].data))
    lines = [str(i).splitlines()[0] for i in err.value.issues]
    assert lines == [
        f'{path}:12 spec.metrics[0].interval: time: missing unit in duration "1x"',
        f'{path}:16 spec.metrics[0].provider.prometheuss: metric provider "prometheuss" is unknown '
        "(valid: prometheus, web, job)",
        f"{path}:32 spec.metrics[1].successCondition: does not parse: unexpected token '<' (column 13)",
    ]


def test_forgotten_template_file_is_an_input_error() -> None:
    """A Rollout naming an AnalysisTemplate that is not in the files: an error naming each reference with its
    line, instead of a background run in Error that aborts the simulated rollout."""
    with pytest.raises(SpecErrors) as err:
        simulate(
            load_file(DATA / "seed-rollout.yaml"), Scenario.model_validate(load_file(DATA / "healthy.yaml")[0].data)
        )
    assert [str(i) for i in err.value.issues] == [
        f"{DATA / 'seed-rollout.yaml'}:47 spec.strategy.canary.steps[2].analysis.templates[0].templateName: "
        'AnalysisTemplate "success-rate" is not in the files (add it with -f)',
        f"{DATA / 'seed-rollout.yaml'}:59 spec.strategy.canary.analysis.templates[0].templateName: "
        'AnalysisTemplate "success-rate" is not in the files (add it with -f)',
    ]


def test_scripted_values_never_crash_the_simulator() -> None:
    """Scenario values as a query might return them: "NaN" is a float NaN (A17: isNaN guards it), a word or an
    object is answered as written and the condition errors — measurements in Error, never a ValueError."""
    scenario = {
        "update": {"container": "order-service", "image": "x:v2"},
        "metrics": {
            "success-rate": [{"value": ["abc"]}],
            "latency-p99": [{"value": [{"p99": 0.2}]}],
            "error-rate": [{"value": ["NaN"]}],
        },
        "until": 400,
    }
    out = run("short-rollout.yaml", "short-analysistemplate.yaml", scenario)
    background = next(r for r in out["analysisRuns"] if r["name"].endswith("-2"))
    by_name = {m["name"]: m["measurements"][0] for m in background["metrics"]}
    assert by_name["success-rate"]["value"] == "[abc]" and by_name["success-rate"]["phase"] == "Error"
    # NaN fails neither `result[0] < 0.01` nor `>= 0.05`: Inconclusive, so the background run is Inconclusive
    # and the rollout pauses; the 30 s pause step still completes, leaving InconclusiveAnalysisRun
    assert by_name["error-rate"]["value"] == "[NaN]" and by_name["error-rate"]["phase"] == "Inconclusive"
    assert background["phase"] == "Inconclusive"
    assert (out["phase"], out["message"]) == ("Paused", "InconclusiveAnalysisRun")


ISSUE_EXAMPLE = {
    "update": {"container": "order-service", "image": "registry.local/order-service:v2"},
    "podReadySeconds": 5,
    "metrics": {
        "success-rate": [{"until": 300, "value": [0.99]}, {"value": [0.90]}],
        "latency-p99": [{"value": [0.21]}],
    },
    "actions": [{"at": 900, "promote": True}, {"at": 1200, "abort": True}],
    "until": 7200,
}


def test_issue_example_scenario_with_the_seed_files_unchanged() -> None:
    """The scenario exactly as the issue shows it scripts success-rate and latency-p99 only; the seed's template
    also has error-rate, which is taken as passing (it used to Error five times and abort the rollout at 45 s).
    success-rate turns 0.90 at 300 s: the step and background runs both measure at 305, 365, 425, 485 s and
    fail the metric at the 4th (failed (4) > failureLimit (3))."""
    out = run("seed-rollout.yaml", "seed-analysistemplate.yaml", ISSUE_EXAMPLE)
    assert out["phase"] == "Degraded"
    assert out["message"].startswith("RolloutAborted: Rollout aborted update to revision 2: ")
    assert out["message"].endswith('Metric "success-rate" assessed Failed due to failed (4) > failureLimit (3)')
    assert [(w["t"], w["canary"]) for w in out["weights"]] == [(0, 0), (5, 5), (485, 0)]
    background = next(r for r in out["analysisRuns"] if r["name"] == "order-service-5bdb4d5dd9-2")
    er = next(m for m in background["metrics"] if m["name"] == "error-rate")
    assert {(m["value"], m["phase"]) for m in er["measurements"]} == {("(not in the scenario: passes)", "Successful")}
