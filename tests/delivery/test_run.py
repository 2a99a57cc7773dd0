"""One AnalysisRun over time: scheduling, error retry, args, secrets, dryRun, retention, terminate
(reference §2.5-2.8; AR:analysis/analysis.go)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shipyard.delivery.analysis.run import reconcile_run
from shipyard.delivery.providers.base import Observation
from shipyard.errors import ProviderError
from shipyard.resources.analysis import AnalysisRunSpec, Metric

T0 = 1_700_000_000.0


def spec(metric: dict[str, Any], **extra: Any) -> AnalysisRunSpec:
    base = {"name": "m", "provider": {"prometheus": {"query": "q"}}}
    return AnalysisRunSpec.model_validate({"metrics": [{**base, **metric}], **extra})


def const(value: Any) -> Callable[[Metric], Observation]:
    return lambda m: Observation(str(value), value)


def run_for(
    s: AnalysisRunSpec, measure: Callable[[Metric], Observation], seconds: int, step: int = 1
) -> tuple[dict[str, Any], list[float]]:
    status: dict[str, Any] | None = None
    taken: list[float] = []
    for t in range(0, seconds + 1, step):
        out = reconcile_run(s, status, now=T0 + t, measure=measure)
        status = out.status
        taken += [t] * len(out.new_measurements)
    assert status is not None
    return status, taken


def test_A15_failure_limit_message_and_timing() -> None:
    s = spec({"interval": "60s", "successCondition": "result[0] >= 0.95"})
    status, taken = run_for(s, const([0.5]), 200)
    assert status["phase"] == "Failed"
    assert status["message"] == 'Metric "m" assessed Failed due to failed (1) > failureLimit (0)'
    assert taken == [0]


def test_measurements_every_interval_until_count() -> None:
    s = spec({"interval": "30s", "count": 3, "successCondition": "result[0] >= 0.95"})
    status, taken = run_for(s, const([0.99]), 200)
    assert taken == [0, 30, 60]
    assert status["phase"] == "Successful"
    assert status["runSummary"] == {"count": 1, "successful": 1, "failed": 0, "inconclusive": 0, "error": 0}


def test_errors_retry_every_10s_and_do_not_count() -> None:
    """DefaultErrorRetryInterval: 10s regardless of the 5m interval; 5 consecutive errors ⇒ Error."""

    def boom(m: Metric) -> Observation:
        raise ProviderError("received non 2xx response code: 404")

    s = spec({"interval": "5m", "count": 2, "successCondition": "true"})
    status, taken = run_for(s, boom, 100)
    assert taken == [0, 10, 20, 30, 40]
    res = status["metricResults"][0]
    assert res["count"] == 0 and res["error"] == 5
    assert status["phase"] == "Error"
    assert status["message"] == (
        'Metric "m" assessed Error due to consecutiveErrors (5) > consecutiveErrorLimit (4): '
        '"Error Message: received non 2xx response code: 404"'
    )


def test_initial_delay() -> None:
    s = spec({"initialDelay": "20s", "successCondition": "true"})
    status, taken = run_for(s, const(1.0), 30)
    assert taken == [20]
    assert status["phase"] == "Successful"


def test_args_substituted_and_secrets_redacted() -> None:
    seen: list[str] = []

    def measure(m: Metric) -> Observation:
        seen.append(m.provider["prometheus"]["query"])
        raise ProviderError(f"bad query {m.provider['prometheus']['query']}")

    s = AnalysisRunSpec.model_validate(
        {
            "args": [
                {"name": "svc", "value": 'a"b'},
                {"name": "token", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            ],
            "metrics": [
                {"name": "m", "provider": {"prometheus": {"query": 'up{app="{{args.svc}}",t="{{args.token}}"}'}}}
            ],
        }
    )
    out = reconcile_run(s, None, now=T0, measure=measure, secrets=lambda name, key: "hunter2")
    assert seen == ['up{app="a"b",t="hunter2"}']
    msg = out.status["metricResults"][0]["measurements"][0]["message"]
    assert "hunter2" not in msg and "*****" in msg


def test_unresolved_arg_is_run_error() -> None:
    s = spec({"provider": {"prometheus": {"query": "{{args.nope}}"}}})
    out = reconcile_run(s, None, now=T0, measure=const(1))
    assert out.status["phase"] == "Error"
    assert out.status["message"] == "failed to resolve {{args.nope}}"


def test_dry_run_metric_does_not_decide_the_run() -> None:
    s = AnalysisRunSpec.model_validate(
        {
            "dryRun": [{"metricName": "dry.*"}],
            "metrics": [
                {"name": "dry-one", "successCondition": "false", "provider": {"prometheus": {"query": "q"}}},
                {"name": "real", "successCondition": "true", "provider": {"prometheus": {"query": "q"}}},
            ],
        }
    )
    out = reconcile_run(s, None, now=T0, measure=const(1))
    assert out.status["phase"] == "Successful"
    assert out.status["dryRunSummary"]["failed"] == 1
    assert out.status["metricResults"][0]["message"] == "Metric assessed Failed due to failed (1) > failureLimit (0)"


def test_dry_run_rule_matching_nothing_is_an_error() -> None:
    s = spec({}, dryRun=[{"metricName": "zzz"}])
    out = reconcile_run(s, None, now=T0, measure=const(1))
    assert (out.status["phase"], out.status["message"]) == ("Error", "dryRun[0]: Rule didn't match any metric name(s)")


def test_measurement_retention_keeps_last_n() -> None:
    s = spec(
        {"interval": "1s", "count": 30, "successCondition": "true"},
        measurementRetention=[{"metricName": "m", "limit": 3}],
    )
    status, _ = run_for(s, const(1), 40)
    assert len(status["metricResults"][0]["measurements"]) == 3
    assert status["metricResults"][0]["count"] == 30


def test_default_retention_is_10() -> None:
    s = spec({"interval": "1s", "count": 15, "successCondition": "true"})
    status, _ = run_for(s, const(1), 20)
    assert len(status["metricResults"][0]["measurements"]) == 10


def test_terminate_unbounded_metric_is_successful() -> None:
    s = spec({"interval": "10s", "successCondition": "true"})
    status, _ = run_for(s, const(1), 25)
    assert status["phase"] == "Running"
    t = AnalysisRunSpec.model_validate({**s.model_dump(by_alias=True), "terminate": True})
    out = reconcile_run(t, status, now=T0 + 26, measure=const(1))
    assert out.status["phase"] == "Successful"
    assert out.status["message"] == "Run Terminated"


def test_inconclusive_value_prometheus_nan() -> None:
    import math

    s = spec({"successCondition": "result >= 0.95", "failureCondition": "result < 0.95"})
    out = reconcile_run(s, None, now=T0, measure=lambda m: Observation("NaN", math.nan))
    assert out.status["phase"] == "Inconclusive"
    assert out.status["metricResults"][0]["measurements"][0]["value"] == "NaN"


def test_bad_interval_is_a_run_error_not_a_crash() -> None:
    """AR:analysis/analysis.go reconcileAnalysisRun: ValidateMetrics fails ⇒ phase Error, message
    "Analysis spec invalid: metrics[i]: invalid interval string: ..." (AR:utils/analysis/factory.go)."""
    s = spec({"interval": "1x", "successCondition": "true"})
    out = reconcile_run(s, None, now=T0, measure=const(1))
    assert out.status["phase"] == "Error"
    assert (
        out.status["message"]
        == 'Analysis spec invalid: metrics[0]: invalid interval string: time: missing unit in duration "1x"'
    )
    args = {"args": [{"name": "delay", "value": "soon"}]}
    s = spec({"initialDelay": "{{args.delay}}", "successCondition": "true"}, **args)
    out = reconcile_run(s, None, now=T0, measure=const(1))
    assert (
        out.status["message"]
        == 'Analysis spec invalid: metrics[0]: invalid startDelay string: time: invalid duration "soon"'
    )
