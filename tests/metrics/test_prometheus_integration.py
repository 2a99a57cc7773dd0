"""The Prometheus provider against a real Prometheus scraping a test exporter (issue 7 acceptance, A17)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest

from shipyard.delivery.analysis.run import reconcile_run
from shipyard.metrics import providers
from shipyard.resources.analysis import AnalysisRunSpec, Metric

pytestmark = pytest.mark.integration


def measure(address: str, query: str, **spec: Any) -> Any:
    p = providers(env={"SHIPYARD_PROMETHEUS_ADDRESS": address})["prometheus"]
    return p.measure(
        Metric.model_validate({"name": "m", "provider": {"prometheus": {"query": query, **spec}}}), now=time.time()
    )


def test_vector_of_one_sample(prometheus: str) -> None:
    obs = measure(prometheus, 'shipyard_test_success_ratio{app="canary"}')
    assert (obs.value, obs.result) == ("[0.99]", [0.99])


def test_empty_vector(prometheus: str) -> None:
    obs = measure(prometheus, 'shipyard_test_success_ratio{app="nobody"}')
    assert (obs.value, obs.result) == ("[]", [])


def test_scalar_nan_and_inf(prometheus: str) -> None:
    nan = measure(prometheus, "0/0")
    inf = measure(prometheus, "1/0")
    assert nan.value == "NaN" and math.isnan(nan.result)
    assert (inf.value, inf.result) == ("+Inf", math.inf)
    assert measure(prometheus, "scalar(shipyard_test_latency_seconds)").result == 0.21


def test_range_query_is_flattened(prometheus: str) -> None:
    obs = measure(
        prometheus,
        "shipyard_test_latency_seconds",
        rangeQuery={"start": 'now() - duration("5s")', "end": "now()", "step": "1s"},
    )
    assert obs.result and set(obs.result) == {0.21}


def test_bad_query_is_provider_error(prometheus: str) -> None:
    from shipyard.errors import ProviderError

    with pytest.raises(ProviderError, match="bad_data"):
        measure(prometheus, "sum(")


def test_analysis_run_over_real_prometheus(prometheus: str) -> None:
    spec = AnalysisRunSpec.model_validate(
        {
            "args": [{"name": "app", "value": "canary"}],
            "metrics": [
                {
                    "name": "success-rate",
                    "successCondition": "result[0] >= 0.95",
                    "provider": {
                        "prometheus": {
                            "address": prometheus,
                            "query": 'shipyard_test_success_ratio{app="{{args.app}}"}',
                        }
                    },
                },
                {
                    "name": "empty-guarded",
                    "successCondition": "len(result) == 0 || result[0] >= 0.95",
                    "provider": {
                        "prometheus": {"address": prometheus, "query": 'shipyard_test_success_ratio{app="none"}'}
                    },
                },
                {
                    "name": "nan",
                    "successCondition": "isNaN(result) || result >= 0.95",
                    "provider": {"prometheus": {"address": prometheus, "query": "0/0"}},
                },
            ],
        }
    )
    p = providers(env={})
    out = reconcile_run(spec, None, now=time.time(), measure=lambda m: p["prometheus"].measure(m, now=time.time()))
    assert out.status["phase"] == "Successful"
    assert [r["measurements"][0]["value"] for r in out.status["metricResults"]] == ["[0.99]", "[]", "NaN"]


def test_analysis_replay_over_prometheus_history(prometheus: str, tmp_path: Path) -> None:
    """``shipyard analysis replay``: step through the last seconds of real history by the metric's interval."""
    from typer.testing import CliRunner

    from shipyard.cli.main import app

    t = tmp_path / "t.yaml"
    t.write_text(f"""\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {{name: latency}}
spec:
  args: [{{name: limit}}]
  metrics:
  - name: latency
    interval: 1s
    count: 3
    successCondition: "result[0] < {{{{args.limit}}}}"
    provider:
      prometheus: {{address: "{prometheus}", query: shipyard_test_latency_seconds}}
""")
    import httpx

    now = time.time()
    points = httpx.get(
        f"{prometheus}/api/v1/query_range",
        params={"query": "shipyard_test_latency_seconds", "start": now - 120, "end": now, "step": 1},
        timeout=10,
    ).json()["data"]["result"][0]["values"]
    first = float(points[0][0])
    while time.time() - 1 - first < 5:  # wait until the window below lies inside scraped history
        time.sleep(0.5)
    end = time.time() - 1
    result = CliRunner().invoke(
        app,
        [
            "analysis",
            "replay",
            "-f",
            str(t),
            "--from",
            str(end - 3),
            "--to",
            str(end),
            "--arg",
            "limit=0.1",
            "-o",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.stdout)
    assert report["phase"] == "Failed", report
    assert report["message"] == 'Metric "latency" assessed Failed due to failed (1) > failureLimit (0)'
    assert [m["value"] for m in report["measurements"]] == ["[0.21]"]
    ok = CliRunner().invoke(
        app,
        [
            "analysis",
            "replay",
            "-f",
            str(t),
            "--from",
            str(end - 3),
            "--to",
            str(end),
            "--arg",
            "limit=0.5",
            "-o",
            "json",
        ],
    )
    assert json.loads(ok.stdout)["phase"] == "Successful"
