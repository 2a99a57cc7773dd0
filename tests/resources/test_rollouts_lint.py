"""Argo Rollouts / Flagger kinds through ``shipyard lint``'s validators: the seed's documents pass unchanged;
bad documents report every problem with file:line and field path."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.resources.kinds import lint
from shipyard.resources.loader import load_file, loads
from shipyard.resources.validate import Issues

DATA = Path(__file__).parents[1] / "delivery" / "data"


def problems(text: str) -> list[str]:
    out: list[str] = []
    for doc in loads(text, file="x.yaml"):
        issues = Issues(doc)
        lint(doc, issues)
        out += [str(i) for i in issues.items]
    return out


@pytest.mark.parametrize(
    "name",
    ["seed-rollout.yaml", "seed-analysistemplate.yaml", "flagger-canary.yaml", "short-rollout.yaml", "bg-rollout.yaml"],
)
def test_seed_documents_are_valid(name: str) -> None:
    for doc in load_file(DATA / name):
        issues = Issues(doc)
        lint(doc, issues)
        assert not issues.items, [str(i) for i in issues.items]


BAD_ROLLOUT = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r}
spec:
  replicas: 2
  selector: {matchLabels: {app: r}}
  template: {metadata: {labels: {app: r}}}
  strategy:
    canary:
      maxSurge: 0
      maxUnavailable: 0
      canaryServce: x
      steps:
      - setWeight: 120
      - pause: {duration: soon}
      - {setWeight: 10, pause: {}}
      - experiment: {templates: []}
      - setCanaryScale: {replicas: 1}
"""


def test_rollout_errors_all_reported_with_lines() -> None:
    got = problems(BAD_ROLLOUT)
    assert got == [
        'x.yaml:12 spec.strategy.canary.canaryServce: unknown field "canaryServce" (did you mean "canaryService"?)'
    ]
    fixed = BAD_ROLLOUT.replace("canaryServce: x", "canaryService: x")
    got = problems(fixed)
    assert "x.yaml:11 spec.strategy.canary.maxUnavailable: MaxSurge and MaxUnavailable both can not be zero" in got
    assert "x.yaml:14 spec.strategy.canary.steps[0].setWeight: SetWeight must be between 0 and 100" in got
    assert any(g.startswith("x.yaml:15 spec.strategy.canary.steps[1].pause.duration: invalid duration") for g in got)
    assert any(
        g.startswith("x.yaml:16 spec.strategy.canary.steps[2]: Step must have one of the following set") for g in got
    )
    assert "x.yaml:17 spec.strategy.canary.steps[3].experiment: experiment steps are not supported yet" in got
    assert (
        "x.yaml:18 spec.strategy.canary.steps[4].setCanaryScale: SetCanaryScale requires TrafficRouting to be set"
        in got
    )


def test_analysis_template_rules() -> None:
    got = problems("""\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: t}
spec:
  metrics:
  - name: a
    count: 3
    failureLimit: -1
    provider: {prometheus: {query: q}, web: {url: u}}
  - name: a
    interval: 1x
    provider: {}
""")
    assert (
        "x.yaml:8 spec.metrics[0].failureLimit: failureLimit and consecutiveSuccessLimit cannot both be disabled (-1 and 0)"
        in got
    )
    assert "x.yaml:7 spec.metrics[0].interval: interval must be specified when count > 1" in got or any(
        "interval must be specified" in g for g in got
    )
    assert "x.yaml:9 spec.metrics[0].provider: multiple providers specified" in got
    assert 'x.yaml:10 spec.metrics[1].name: duplicate metric name "a"' in got
    assert "x.yaml:12 spec.metrics[1].provider: no provider specified" in got
    assert any(g.startswith("x.yaml:11 spec.metrics[1].interval:") for g in got)


def test_flagger_unknown_webhook_type() -> None:
    got = problems("""\
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: {name: c}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: d}
  service: {port: 80}
  analysis:
    interval: 5s
    stepWeight: 10
    webhooks: [{name: w, type: pre-rolout, url: "http://x"}]
""")
    assert "x.yaml:8 spec.analysis.interval: interval must be at least 10s" in got
    assert any('unknown webhook type "pre-rolout"' in g for g in got)


def test_unknown_metric_provider_lists_valid_ones() -> None:
    got = problems("""\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: t}
spec:
  metrics:
  - name: a
    provider:
      promethues: {query: q}
""")
    assert got == [
        'x.yaml:8 spec.metrics[0].provider.promethues: metric provider "promethues" is unknown (valid: prometheus, web, job)'
    ]


BAD_CONDITIONS = """\
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: t}
spec:
  args: [{name: floor}]
  metrics:
    - name: a
      successCondition: result[0] >= >= 0.95
      provider: {prometheus: {query: q}}
    - name: b
      successCondition: len(result) == 0 || result[0] >= 0.95
      failureCondition: "len(result == 0"
      provider: {prometheus: {query: q}}
    - name: c
      successCondition: "result[0] >= {{args.floor}}"
      provider: {prometheus: {query: q}}
"""


def test_condition_syntax_errors_point_at_the_column() -> None:
    """Argo compiles conditions only when it measures (AR:utils/evaluate/evaluate.go: every measurement Error);
    lint reports them up front with the column. A condition holding {{args.*}} is checked after substitution."""
    assert problems(BAD_CONDITIONS) == [
        "x.yaml:8 spec.metrics[0].successCondition: does not parse: unexpected token '>=' (column 14)\n"
        " | result[0] >= >= 0.95\n"
        " |              ^",
        "x.yaml:12 spec.metrics[1].failureCondition: does not parse: expected ',' or ')' (column 16)\n"
        " | len(result == 0\n"
        " |                ^",
    ]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("promethues", 'metric provider type "promethues" is unknown (valid: prometheus)'),
        ("datadog", 'metric provider type "datadog" is not supported yet (valid: prometheus)'),
    ],
    ids=["typo", "flagger-provider-not-here"],
)
def test_metric_template_provider_type_lists_valid_ones(kind: str, message: str) -> None:
    """FL:pkg/metrics/providers/factory.go knows many types; shipyard queries Prometheus only, and used to send
    any type's query to Prometheus silently."""
    text = (
        "apiVersion: flagger.app/v1beta1\nkind: MetricTemplate\nmetadata: {name: m}\n"
        f"spec:\n  provider: {{type: {kind}, address: 'http://p:9090'}}\n  query: up\n"
    )
    assert problems(text) == [f"x.yaml:5 spec.provider.type: {message}"]
