"""Rollout events in Argo's order and wording, checked against the upstream e2e event list and the code that
emits them (``AR:rollout/sync.go`` sendStateChangeEvents/promoteStable/calculateRolloutConditions,
``AR:rollout/replicaset.go`` createDesiredReplicaSet)."""

from __future__ import annotations

from shipyard.testing.rollouts import RolloutBench
from tests.delivery.test_scenarios import bg, healthy, rollout, service, update


def test_abort_retry_events_match_upstream_e2e_sequence() -> None:
    """AR:test/e2e/functional_test.go TestRolloutAbortRetryPromote ExpectRolloutEvents, less the two events
    shipyard does not send (RolloutAddedToInformer is informer plumbing; RolloutNotCompleted is not modelled)."""
    b = RolloutBench()
    healthy(b, rollout(canary={"steps": [{"setWeight": 50}, {"pause": {"duration": "3s"}}]}))
    update(b)
    b.advance(1.5)
    b.act("r", "abort")
    b.settle()
    b.act("r", "retry")
    b.advance(1.5)
    b.advance(4)
    by_rev = {
        int(rs["metadata"]["annotations"]["rollout.argoproj.io/revision"]): rs["metadata"]["name"]
        for rs in b.cluster.list("apps/ReplicaSet", "default")
    }
    rs1, rs2 = by_rev[1], by_rev[2]
    h1, h2 = rs1.removeprefix("r-"), rs2.removeprefix("r-")
    assert [(e.reason, e.message) for e in b.events] == [
        ("RolloutUpdated", "Rollout updated to revision 1"),
        ("NewReplicaSetCreated", f"Created ReplicaSet {rs1} (revision 1)"),
        ("ScalingReplicaSet", f"Scaled up ReplicaSet {rs1} (revision 1) from 0 to 1"),
        ("RolloutCompleted", f"Rollout completed update to revision 1 ({h1}): Initial deploy"),
        ("RolloutUpdated", "Rollout updated to revision 2"),
        ("NewReplicaSetCreated", f"Created ReplicaSet {rs2} (revision 2)"),
        ("ScalingReplicaSet", f"Scaled up ReplicaSet {rs2} (revision 2) from 0 to 1"),
        ("RolloutStepCompleted", "Rollout step 1/2 completed (setWeight: 50)"),
        ("RolloutPaused", "Rollout is paused (CanaryPauseStep)"),
        ("ScalingReplicaSet", f"Scaled down ReplicaSet {rs2} (revision 2) from 1 to 0"),
        ("RolloutAborted", "Rollout aborted update to revision 2"),
        ("ScalingReplicaSet", f"Scaled up ReplicaSet {rs2} (revision 2) from 0 to 1"),
        ("RolloutStepCompleted", "Rollout step 1/2 completed (setWeight: 50)"),
        ("RolloutPaused", "Rollout is paused (CanaryPauseStep)"),
        ("RolloutStepCompleted", "Rollout step 2/2 completed (pause: 3s)"),
        ("RolloutResumed", "Rollout is resumed"),
        ("ScalingReplicaSet", f"Scaled down ReplicaSet {rs1} (revision 1) from 1 to 0"),
        ("RolloutCompleted", f"Rollout completed update to revision 2 ({h2}): Completed all 2 canary steps"),
    ]


def test_promote_of_indefinite_pause_sends_no_resumed_event() -> None:
    """The CLI promote clears status.pauseConditions itself, so the controller never sees them go from set to
    empty and sendStateChangeEvents stays quiet (AR:rollout/sync.go, AR:pkg/kubectl-argo-rollouts/cmd/promote)."""
    b = RolloutBench()
    healthy(b, rollout(replicas=2, canary={"steps": [{"setWeight": 50}, {"pause": {}}]}))
    update(b)
    b.advance(2)
    assert b.status("r")["message"] == "CanaryPauseStep"
    b.events.clear()
    b.act("r", "promote")
    b.advance(3)
    reasons = [e.reason for e in b.events]
    assert b.status("r")["phase"] == "Healthy"
    assert "RolloutStepCompleted" in reasons and "RolloutResumed" not in reasons


def test_blue_green_pause_event_names_bluegreen_pause() -> None:
    """RolloutPaused names the first pause condition (AR:rollout/sync.go sendStateChangeEvents)."""
    b = RolloutBench()
    b.apply(service("r-active"), service("r-preview"))
    healthy(b, rollout(replicas=1, blue_green=bg(autoPromotionEnabled=False)))
    update(b)
    b.advance(3)
    assert ("RolloutPaused", "Rollout is paused (BlueGreenPause)") in [(e.reason, e.message) for e in b.events]


def test_blue_green_promote_full_completes_with_full_promotion_reason() -> None:
    """shouldFullPromote returns "Full promotion requested" before promoteStable clears promoteFull
    (AR:rollout/sync.go); the reason used to read "Completed blue-green update"."""
    b = RolloutBench()
    b.apply(service("r-active"), service("r-preview"))
    healthy(b, rollout(replicas=1, blue_green=bg(autoPromotionEnabled=False)))
    update(b)
    b.advance(3)
    b.act("r", "promote", full=True)
    b.advance(3)
    st = b.status("r")
    assert st["phase"] == "Healthy"
    completed = [e.message for e in b.events if e.reason == "RolloutCompleted"]
    assert completed[-1] == f"Rollout completed update to revision 2 ({st['currentPodHash']}): Full promotion requested"


def test_nginx_canary_ingress_events_and_prefixed_annotation_keys() -> None:
    """AR:rollout/trafficrouting/nginx/nginx.go: CreatingCanaryIngress "Creating canary ingress `x` with weight
    `w`" when it is made, PatchingCanaryIngress "Updating Ingress `x` to desiredWeight 'w'" on each change; an
    additionalIngressAnnotations key that already starts with the prefix is not prefixed twice."""
    from tests.delivery.test_scenarios import ingress, routed

    b = RolloutBench()
    b.apply(service("r-canary"), service("r-stable"), ingress())
    extra = {"canary-by-header": "X-Canary", "nginx.ingress.kubernetes.io/canary-by-header-value": "yes"}
    healthy(
        b, rollout(canary={**routed(additionalIngressAnnotations=extra), "steps": [{"setWeight": 10}, {"pause": {}}]})
    )
    update(b)
    b.advance(3)
    ing = b.cluster.get("networking.k8s.io/Ingress", "default", "r-r-ingress-canary")
    assert ing is not None
    ann = ing["metadata"]["annotations"]
    assert ann["nginx.ingress.kubernetes.io/canary-by-header"] == "X-Canary"
    assert ann["nginx.ingress.kubernetes.io/canary-by-header-value"] == "yes"
    assert not any(k.count("nginx.ingress.kubernetes.io") > 1 for k in ann)
    ingress_events = [(e.reason, e.message) for e in b.events if "Ingress" in e.reason]
    assert ingress_events == [
        ("CreatingCanaryIngress", "Creating canary ingress `r-r-ingress-canary` with weight `0`"),
        ("PatchingCanaryIngress", "Updating Ingress `r-r-ingress-canary` to desiredWeight '10'"),
    ]


def test_services_switch_only_to_available_replicasets_with_switchservice_events() -> None:
    """AR:rollout/service.go: ensureSVCTargets switches the canary/stable Service only to a fully available
    ReplicaSet (the canary Service keeps the old pods until the new ones are up); every switch records
    SwitchService "Switched selector for service 'x' from 'a' to 'b'"; the managed-by annotation names the
    Rollout (generatePatch)."""
    b = RolloutBench(pod_ready_seconds=5)
    b.apply(service("r-canary"), service("r-stable"))
    healthy_canary = rollout(
        replicas=2,
        canary={"canaryService": "r-canary", "stableService": "r-stable", "steps": [{"setWeight": 50}, {"pause": {}}]},
    )
    b.apply(healthy_canary)
    b.advance(6)
    h1 = b.status("r")["stableRS"]
    update(b)
    b.advance(1)  # canary pod created, not ready yet
    h2 = b.status("r")["currentPodHash"]

    def selector(name: str) -> str:
        return str(b.cluster.get("Service", "default", name)["spec"]["selector"]["rollouts-pod-template-hash"])

    assert selector("r-canary") == h1
    b.advance(5)
    assert selector("r-canary") == h2 and selector("r-stable") == h1
    svc = b.cluster.get("Service", "default", "r-canary")
    assert svc["metadata"]["annotations"]["argo-rollouts.argoproj.io/managed-by-rollouts"] == "r"
    switches = [e.message for e in b.events if e.reason == "SwitchService"]
    assert switches == [
        f"Switched selector for service 'r-stable' from '' to '{h1}'",
        f"Switched selector for service 'r-canary' from '' to '{h1}'",
        f"Switched selector for service 'r-canary' from '{h1}' to '{h2}'",
    ]


def test_analysis_run_status_change_events() -> None:
    """AR:rollout/analysis.go emitAnalysisRunStatusChanges: "AnalysisRun<Phase>" with "<Type> Analysis Run 'x'
    Status New: 'p' Previous: 'q'" (Warning for Failed/Error), before the RolloutAborted it causes."""
    from shipyard.testing.rollouts import FixedProvider
    from tests.delivery.test_scenarios import template

    b = RolloutBench(providers={"job": FixedProvider({"bad": lambda now: 0})})
    b.apply(template("bad", "result == 1", interval="5s", count=2))
    healthy(b, rollout(canary={"steps": [{"setWeight": 50}, {"analysis": {"templates": [{"templateName": "bad"}]}}]}))
    update(b)
    b.advance(3)
    run = b.runs()[0]["metadata"]["name"]
    got = [
        (e.reason, e.message, e.type)
        for e in b.events
        if e.reason.startswith("AnalysisRun") or e.reason == "RolloutAborted"
    ]
    assert got[:2] == [
        ("AnalysisRunFailed", f"Step Analysis Run '{run}' Status New: 'Failed' Previous: ''", "Warning"),
        (
            "RolloutAborted",
            "Rollout aborted update to revision 2: Step-based analysis phase error/failed: "
            'Metric "bad" assessed Failed due to failed (1) > failureLimit (0)',
            "Warning",
        ),
    ]


def test_progress_deadline_sends_no_invented_event() -> None:
    """AR:rollout/sync.go calculateRolloutConditions: a timeout sets Progressing=False ProgressDeadlineExceeded
    and sends no event of its own (there is no "RolloutTimedOut" reason in Argo)."""
    b = RolloutBench()
    healthy(b, rollout(replicas=2, canary={"maxSurge": 1, "maxUnavailable": 0}, progressDeadlineSeconds=10))
    b.kubelet.ready_seconds = 10_000
    b.events.clear()
    update(b)
    b.advance(15)
    assert b.status("r")["phase"] == "Degraded"
    assert [e.reason for e in b.events] == ["RolloutUpdated", "NewReplicaSetCreated", "ScalingReplicaSet"]
