"""Flagger's tick state machine (F1-F4; FL:pkg/controller/scheduler_deployment_test.go) and its checks."""

from __future__ import annotations

import math
from typing import Any

import pytest

from shipyard.delivery.flagger.checks import CheckResult, render, run_hooks, run_metric
from shipyard.delivery.flagger.tick import Observed, tick
from shipyard.errors import SpecError
from shipyard.resources.flagger import Canary, CanaryMetric

OK = CheckResult(True, "")


def canary(**analysis: Any) -> Canary:
    return Canary.model_validate(
        {
            "metadata": {"name": "podinfo", "namespace": "test"},
            "spec": {
                "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "podinfo"},
                "ingressRef": {"name": "podinfo"},
                "service": {"port": 80},
                "analysis": {"interval": "1m", "threshold": 5, **analysis},
            },
        }
    )


def walk(
    c: Canary, ticks: int, *, checks: Any = None, gate: Any = None, start: str = "v1", change: str = "v2"
) -> list[tuple[str, int]]:
    checks = checks or (lambda: OK)
    gate = gate or (lambda kind: OK)
    plan = tick(c, None, Observed(start), checks=checks, gate=gate)
    st = plan.status
    out = []
    for _ in range(ticks):
        plan = tick(c, st, Observed(change), checks=checks, gate=gate)
        st = plan.status
        out.append((st["phase"], st["canaryWeight"]))
    return out


def test_F1_linear_weights_then_promotion() -> None:
    got = walk(canary(maxWeight=50, stepWeight=20), 8)
    assert got == [
        ("Progressing", 0),
        ("Progressing", 20),
        ("Progressing", 40),
        ("Progressing", 60),
        ("Promoting", 60),
        ("Finalising", 0),
        ("Succeeded", 0),
        ("Succeeded", 0),
    ]


def test_F1_step_weights() -> None:
    got = walk(canary(stepWeights=[1, 2, 10, 80]), 7)
    assert [w for _, w in got[:5]] == [0, 1, 2, 10, 80]
    assert got[5][0] == "Promoting"


def test_F2_step_weight_promotion() -> None:
    got = walk(canary(stepWeight=100, stepWeightPromotion=50), 6)
    assert got == [
        ("Progressing", 0),
        ("Progressing", 100),
        ("Promoting", 100),
        ("Promoting", 50),
        ("Finalising", 0),
        ("Succeeded", 0),
    ]


def test_F2_blue_green_iterations() -> None:
    got = walk(canary(iterations=1), 6)
    assert [p for p, _ in got] == ["Progressing", "Progressing", "Progressing", "Promoting", "Finalising", "Succeeded"]


def test_F3_rollback_at_threshold() -> None:
    c = canary(stepWeight=10, threshold=2)
    got = walk(c, 5, checks=lambda: CheckResult(False, "Halt advancement request-success-rate 98.50 < 99"))
    assert got[-1] == ("Failed", 0)
    assert ("Progressing", 10) in got or ("Progressing", 0) in got


def test_F3_new_revision_mid_analysis_resets() -> None:
    c = canary(stepWeight=10)
    gate = lambda kind: OK  # noqa: E731
    st = tick(c, None, Observed("v1"), checks=lambda: OK, gate=gate).status
    for _ in range(4):
        st = tick(c, st, Observed("v2"), checks=lambda: OK, gate=gate).status
    assert (st["phase"], st["canaryWeight"]) == ("Progressing", 30)
    plan = tick(c, st, Observed("v3"), checks=lambda: OK, gate=gate)
    assert {k: plan.status[k] for k in ("phase", "canaryWeight", "failedChecks", "iterations")} == {
        "phase": "Progressing",
        "canaryWeight": 0,
        "failedChecks": 0,
        "iterations": 0,
    }
    assert (plan.primary_weight, plan.canary_weight) == (100, 0)


def test_F3_mirroring_first_tick() -> None:
    c = canary(stepWeight=10, mirror=True)
    gate = lambda kind: OK  # noqa: E731
    st = tick(
        c,
        tick(c, None, Observed("v1"), checks=lambda: OK, gate=gate).status,
        Observed("v2"),
        checks=lambda: OK,
        gate=gate,
    ).status
    first = tick(c, st, Observed("v2"), checks=lambda: OK, gate=gate)
    assert (first.primary_weight, first.canary_weight, first.mirror) == (100, 0, True)
    second = tick(c, first.status, Observed("v2"), checks=lambda: OK, gate=gate)
    assert (second.primary_weight, second.canary_weight, second.mirror) == (90, 10, False)


def test_F3_ab_routes_all_matching_traffic() -> None:
    c = canary(iterations=2, match=[{"headers": {"x-canary": {"exact": "insider"}}}])
    gate = lambda kind: OK  # noqa: E731
    st = tick(c, None, Observed("v1"), checks=lambda: OK, gate=gate).status
    st = tick(c, st, Observed("v2"), checks=lambda: OK, gate=gate).status
    st = tick(c, st, Observed("v2"), checks=lambda: OK, gate=gate).status
    plan = tick(c, st, Observed("v2"), checks=lambda: OK, gate=gate)
    assert (plan.primary_weight, plan.canary_weight) == (0, 100)


def test_F4_confirm_rollout_gate() -> None:
    c = canary(stepWeight=10, webhooks=[{"name": "gate", "type": "confirm-rollout", "url": "http://gate"}])
    st = tick(c, None, Observed("v1"), checks=lambda: OK, gate=lambda k: OK).status
    closed = tick(c, st, Observed("v2"), checks=lambda: OK, gate=lambda k: CheckResult(k != "confirm-rollout", "403"))
    assert closed.status["phase"] == "Waiting" and closed.scale_canary is None
    opened = tick(c, closed.status, Observed("v2"), checks=lambda: OK, gate=lambda k: OK)
    assert opened.status["phase"] == "Progressing" and opened.scale_canary == "up"


def test_F4_confirm_promotion_waits() -> None:
    c = canary(stepWeight=50, maxWeight=50)
    got = walk(c, 4, gate=lambda k: CheckResult(k != "confirm-promotion", "no"))
    assert got[-1][0] == "WaitingPromotion"


def test_F4_rollback_hook_success_fails_the_canary() -> None:
    c = canary(stepWeight=10, webhooks=[{"name": "rb", "type": "rollback", "url": "http://rb"}])
    got = walk(c, 3, gate=lambda k: OK)
    assert got[1] == ("Failed", 0)


@pytest.mark.parametrize(
    ("status", "ok"), [(200, True), (202, True), (203, False), (403, False)], ids=["200", "202", "203", "403"]
)
def test_F4_webhook_status_rule(status: int, ok: bool) -> None:
    c = canary(stepWeight=10, webhooks=[{"name": "w", "url": "http://w"}])
    assert run_hooks(c, "rollout", "Progressing", lambda url, payload: status).ok is ok


def test_F4_builtin_success_rate() -> None:
    c = canary(stepWeight=10)
    m = CanaryMetric.model_validate({"name": "request-success-rate", "thresholdRange": {"min": 99}, "interval": "1m"})
    seen: list[str] = []

    def q(promql: str, address: str | None) -> float:
        seen.append(promql)
        return 98.5

    r = run_metric(c, m, q, {})
    assert not r.ok and r.message == "Halt podinfo.test advancement request-success-rate 98.50 < 99"
    assert 'ingress="podinfo"' in seen[0] and 'namespace="test"' in seen[0] and "[1m]" in seen[0]
    nan = run_metric(c, m, lambda q, a: math.nan, {})
    assert not nan.ok and "no values found" in nan.message
    assert run_metric(c, m, lambda q, a: 99.5, {}).ok


def test_metric_template_rendering() -> None:
    c = canary(stepWeight=10)
    m = CanaryMetric.model_validate(
        {
            "name": "error-rate",
            "templateRef": {"name": "error-rate"},
            "thresholdRange": {"max": 0.01},
            "templateVariables": {"svc": "checkout"},
        }
    )
    seen: list[str] = []
    r = run_metric(
        c,
        m,
        lambda q, a: seen.append(q) or 0.02,
        {"error-rate": ('rate(x{ns="{{ namespace }}",s="{{ variables.svc }}"}[{{ interval }}])', None)},
    )
    assert seen == ['rate(x{ns="test",s="checkout"}[1m])'] and not r.ok
    with pytest.raises(SpecError, match='no entry for key "nope"'):
        render("{{ nope }}", {})


def test_skip_analysis_promotes_at_once() -> None:
    c = Canary.model_validate(
        {
            **canary(stepWeight=10).model_dump(by_alias=True, exclude_none=True),
            "spec": {
                **canary(stepWeight=10).model_dump(by_alias=True, exclude_none=True)["spec"],
                "skipAnalysis": True,
            },
        }
    )
    st = tick(c, None, Observed("v1"), checks=lambda: OK, gate=lambda k: OK).status
    plan = tick(c, st, Observed("v2"), checks=lambda: CheckResult(False, "never asked"), gate=lambda k: OK)
    assert plan.status["phase"] == "Succeeded" and plan.promote and plan.scale_canary == "down"
    assert (plan.primary_weight, plan.canary_weight) == (100, 0)
