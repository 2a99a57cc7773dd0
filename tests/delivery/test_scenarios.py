"""Reference §7 scenarios driven through the real controller on a MemoryCluster with a fake clock
(pods ready 1s after creation). Each test names the Argo e2e/unit test it reproduces."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from shipyard.testing.rollouts import FixedProvider, RolloutBench


def rollout(
    name: str = "r",
    replicas: int | None = 1,
    canary: dict[str, Any] | None = None,
    blue_green: dict[str, Any] | None = None,
    image: str = "app:v1",
    **spec: Any,
) -> dict[str, Any]:
    strategy = {"canary": canary} if canary is not None else {"blueGreen": blue_green}
    body: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app", "image": image}]}},
        "strategy": strategy,
        **spec,
    }
    if replicas is not None:
        body["replicas"] = replicas
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": "default"},
        "spec": body,
    }


def service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"app": "r"}},
    }


def template(name: str, success: str = "true", **metric: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"metrics": [{"name": name, "successCondition": success, "provider": {"job": {"spec": {}}}, **metric}]},
    }


def update(bench: RolloutBench, image: str = "app:v2", name: str = "r") -> None:
    bench.act(name, "set_image", container="app", image=image)


def healthy(bench: RolloutBench, obj: dict[str, Any]) -> None:
    bench.apply(obj)
    bench.advance(5)
    assert bench.status(obj["metadata"]["name"])["phase"] == "Healthy"


def test_A4_abort_retry_auto_resume() -> None:
    """AR:test/e2e/functional_test.go TestRolloutAbortRetryPromote."""
    b = RolloutBench()
    healthy(b, rollout(canary={"steps": [{"setWeight": 50}, {"pause": {"duration": "3s"}}]}))
    update(b)
    b.advance(1.5)
    st = b.status("r")
    assert st["phase"] == "Paused" and b.counts() == {1: 1, 2: 1}
    b.act("r", "abort")
    b.settle()
    st = b.status("r")
    assert st["phase"] == "Degraded"
    assert st["message"].startswith("RolloutAborted: Rollout aborted update to revision 2")
    assert b.counts() == {1: 1, 2: 0}
    b.act("r", "retry")
    b.advance(1.5)
    assert b.status("r")["phase"] == "Paused" and b.counts() == {1: 1, 2: 1}
    b.advance(4)
    assert b.status("r")["phase"] == "Healthy" and b.counts() == {1: 0, 2: 1}
    msgs = [(e.reason, e.message) for e in b.events]
    wanted = [
        ("RolloutStepCompleted", "Rollout step 1/2 completed (setWeight: 50)"),
        ("RolloutPaused", "Rollout is paused (CanaryPauseStep)"),
        ("RolloutAborted", "Rollout aborted update to revision 2"),
        ("RolloutStepCompleted", "Rollout step 2/2 completed (pause: 3s)"),
        ("RolloutResumed", "Rollout is resumed"),
        (
            "RolloutCompleted",
            f"Rollout completed update to revision 2 ({b.status('r')['currentPodHash']}): Completed all 2 canary steps",
        ),
    ]
    pos = 0
    for item in msgs:
        if pos < len(wanted) and item == wanted[pos]:
            pos += 1
    assert pos == len(wanted), msgs


def test_A5_promote_one_step_then_full() -> None:
    """TestCanaryPromoteFull: promote skips one step; promote --full after abort ⇒ Healthy, still one run."""
    b = RolloutBench(providers={"job": FixedProvider({"sleep": lambda now: 1.0})})
    b.apply(template("sleep", interval="24h", count=2))
    steps = [
        {"pause": {"duration": "24h"}},
        {"analysis": {"templates": [{"templateName": "sleep"}]}},
        {"pause": {}},
        {"analysis": {"templates": [{"templateName": "sleep"}]}},
    ]
    healthy(
        b, rollout(canary={"steps": steps, "analysis": {"templates": [{"templateName": "sleep"}], "startingStep": 4}})
    )
    update(b)
    b.advance(2)
    assert b.status("r")["currentStepIndex"] == 0 and b.status("r")["phase"] == "Paused"
    b.act("r", "promote")
    b.advance(2)
    st = b.status("r")
    assert st["currentStepIndex"] == 1 and st["phase"] == "Progressing"
    assert [r["status"]["phase"] for r in b.runs()] == ["Running"]
    b.act("r", "promote")
    b.advance(2)
    assert b.status("r")["currentStepIndex"] == 2 and b.status("r")["phase"] == "Paused"
    b.act("r", "abort")
    b.settle()
    b.act("r", "promote", full=True)
    b.advance(3)
    assert b.status("r")["phase"] == "Healthy"
    assert len(b.runs()) == 1


def test_A6_new_revision_mid_rollout() -> None:
    """TestCanaryWithPausedRollout: rev2 paused, rev3 applied ⇒ rev1=3, rev2=0, rev3=1, index 1."""
    b = RolloutBench()
    healthy(b, rollout(replicas=3, canary={"steps": [{"setWeight": 20}, {"pause": {}}]}))
    update(b, "app:v2")
    b.advance(3)
    assert b.status("r")["phase"] == "Paused"
    update(b, "app:v3")
    b.advance(5)
    st = b.status("r")
    assert st["phase"] == "Paused" and st["currentStepIndex"] == 1
    assert b.counts() == {1: 3, 2: 0, 3: 1}


def test_A7_progress_deadline() -> None:
    """TestRolloutGoodToBadUpdate: a template whose pods never become ready ⇒ ProgressDeadlineExceeded."""
    b = RolloutBench(pod_ready_seconds=10_000)
    b.kubelet.ready_seconds = 1
    healthy(b, rollout(replicas=4, canary={"maxSurge": 1, "maxUnavailable": 0}, progressDeadlineSeconds=10))
    b.kubelet.ready_seconds = 10_000
    update(b)
    b.advance(15)
    st = b.status("r")
    assert st["phase"] == "Degraded"
    assert st["message"].startswith("ProgressDeadlineExceeded: ReplicaSet") and st["message"].endswith(
        "has timed out progressing."
    )
    assert b.counts() == {1: 4, 2: 1}
    update(b, "app:v3")
    b.advance(15)
    assert b.counts() == {1: 4, 2: 0, 3: 1}
    assert b.status("r")["phase"] == "Degraded"


def test_A8_set_canary_scale() -> None:
    """TestCanarySetCanaryScale with NGINX routing, R=4."""
    b = RolloutBench()
    b.apply(service("r-canary"), service("r-stable"), ingress())
    steps = [
        {"pause": {}},
        {"setCanaryScale": {"weight": 25}},
        {"pause": {"duration": "100s"}},
        {"setWeight": 50},
        {"pause": {"duration": "10s"}},
        {"setCanaryScale": {"replicas": 3}},
        {"pause": {}},
        {"setCanaryScale": {"matchTrafficWeight": True}},
        {"pause": {"duration": "5s"}},
    ]
    healthy(b, rollout(replicas=4, canary={**routed(), "steps": steps}))
    update(b)
    b.advance(2)
    seen = {b.status("r")["currentStepIndex"]: dict(b.counts())}
    b.act("r", "promote")
    for _ in range(200):
        b.advance(1)
        st = b.status("r")
        seen.setdefault(st.get("currentStepIndex"), dict(b.counts()))
        if st.get("currentStepIndex") == 6 and st["phase"] == "Paused":
            b.act("r", "promote")
        if st["phase"] == "Healthy":
            break
    assert seen[0] == {1: 4, 2: 0}
    assert seen[2] == {1: 4, 2: 1}
    assert seen[4] == {1: 4, 2: 1}
    assert seen[6] == {1: 4, 2: 3}
    assert seen[8] == {1: 4, 2: 2}
    assert b.status("r")["phase"] == "Healthy" and b.counts()[2] == 4


def routed(**nginx: Any) -> dict[str, Any]:
    return {
        "canaryService": "r-canary",
        "stableService": "r-stable",
        "trafficRouting": {"nginx": {"stableIngress": "r-ingress", **nginx}},
    }


def ingress() -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "r-ingress",
            "namespace": "default",
            "annotations": {"kubernetes.io/ingress.class": "nginx"},
        },
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {
                                "path": "/*",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "r-stable", "port": {"number": 80}}},
                            }
                        ]
                    }
                }
            ]
        },
    }


def test_A9_nginx_canary_ingress() -> None:
    """rollout/trafficrouting/nginx: canary Ingress name, backend, annotations, owner reference."""
    b = RolloutBench()
    b.apply(service("r-canary"), service("r-stable"), ingress())
    healthy(
        b,
        rollout(
            canary={
                **routed(additionalIngressAnnotations={"canary-by-header": "X-Canary"}),
                "steps": [{"setWeight": 10}, {"pause": {}}],
            }
        ),
    )
    update(b)
    b.advance(3)
    ing = b.cluster.get("networking.k8s.io/Ingress", "default", "r-r-ingress-canary")
    assert ing is not None
    ann = ing["metadata"]["annotations"]
    assert ann["kubernetes.io/ingress.class"] == "nginx"
    assert ann["nginx.ingress.kubernetes.io/canary"] == "true"
    assert ann["nginx.ingress.kubernetes.io/canary-weight"] == "10"
    assert ann["nginx.ingress.kubernetes.io/canary-by-header"] == "X-Canary"
    assert ing["metadata"]["ownerReferences"][0]["kind"] == "Rollout"
    backend = ing["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "r-canary", "port": {"number": 80}}
    st = b.status("r")
    assert (
        b.cluster.get("Service", "default", "r-canary")["spec"]["selector"]["rollouts-pod-template-hash"]
        == st["currentPodHash"]
    )
    assert (
        b.cluster.get("Service", "default", "r-stable")["spec"]["selector"]["rollouts-pod-template-hash"]
        == st["stableRS"]
    )
    b.act("r", "promote", full=True)
    b.advance(3)
    ing = b.cluster.get("networking.k8s.io/Ingress", "default", "r-r-ingress-canary")
    assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] == "0"
    assert b.status("r")["phase"] == "Healthy"


def vs(http: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "VirtualService",
        "metadata": {"name": "r-vs", "namespace": "default"},
        "spec": {"hosts": ["r"], "http": http},
    }


def istio(**extra: Any) -> dict[str, Any]:
    return {
        "canaryService": "r-canary",
        "stableService": "r-stable",
        "trafficRouting": {"istio": {"virtualService": {"name": "r-vs", "routes": ["primary"]}}, **extra},
    }


PRIMARY = {
    "name": "primary",
    "route": [{"destination": {"host": "r-stable"}, "weight": 100}, {"destination": {"host": "r-canary"}, "weight": 0}],
}


def weights(b: RolloutBench, index: int = -1) -> tuple[int, int]:
    v = b.cluster.get("networking.istio.io/VirtualService", "default", "r-vs")
    route = next(r for r in v["spec"]["http"] if r.get("name") == "primary")["route"]
    w = {d["destination"]["host"]: d["weight"] for d in route}
    return w["r-stable"], w["r-canary"]


def test_A10_istio_host_split() -> None:
    """TestIstioHostSplit."""
    b = RolloutBench()
    b.apply(service("r-canary"), service("r-stable"), vs([copy.deepcopy(PRIMARY)]))
    healthy(b, rollout(canary={**istio(), "steps": [{"setWeight": 10}, {"pause": {}}]}))
    update(b)
    b.advance(3)
    assert b.status("r")["phase"] == "Paused" and weights(b) == (90, 10)
    b.act("r", "promote")
    b.advance(3)
    st = b.status("r")
    assert st["phase"] == "Healthy" and weights(b) == (100, 0)
    assert b.counts() == {1: 1, 2: 1}  # old stable kept for scaleDownDelaySeconds (30s)
    b.advance(31)
    assert b.counts() == {1: 0, 2: 1}


def test_A11_istio_header_route() -> None:
    """AR:test/e2e/header_route_test.go."""
    b = RolloutBench()
    b.apply(service("r-canary"), service("r-stable"), vs([copy.deepcopy(PRIMARY)]))
    steps = [
        {"setWeight": 20},
        {
            "setHeaderRoute": {
                "name": "set-header-1",
                "match": [{"headerName": "agent", "headerValue": {"regex": "firefox(.*)"}}],
            }
        },
        {"pause": {}},
        {
            "setHeaderRoute": {
                "name": "set-header-1",
                "match": [{"headerName": "agent", "headerValue": {"regex": "chrome(.*)"}}],
            }
        },
        {"pause": {}},
        {"setWeight": 40},
        {"setHeaderRoute": {"name": "set-header-1"}},
        {"pause": {}},
    ]
    healthy(b, rollout(canary={**istio(managedRoutes=[{"name": "set-header-1"}]), "steps": steps}))
    update(b)
    b.advance(3)
    http = b.cluster.get("networking.istio.io/VirtualService", "default", "r-vs")["spec"]["http"]
    assert http[0]["name"] == "set-header-1"
    assert http[0]["match"] == [{"headers": {"agent": {"regex": "firefox(.*)"}}}]
    assert http[0]["route"] == [{"destination": {"host": "r-canary"}, "weight": 100}]
    assert weights(b) == (80, 20)
    b.act("r", "promote")
    b.advance(3)
    b.act("r", "promote")
    b.advance(3)
    http = b.cluster.get("networking.istio.io/VirtualService", "default", "r-vs")["spec"]["http"]
    assert [r.get("name") for r in http] == ["primary"] and weights(b) == (60, 40)
    b.act("r", "promote", full=True)
    b.advance(3)
    assert weights(b) == (100, 0)


@pytest.mark.parametrize(("delay", "after"), [(1, 0), (0, 1)], ids=["A12-delay-1s", "A12-delay-0-keeps-pods"])
def test_A12_abort_with_traffic_routing(delay: int, after: int) -> None:
    """TestCanaryScaleDownOnAbort / TestCanaryUnScaleDownOnAbort."""
    b = RolloutBench()
    b.apply(service("r-canary"), service("r-stable"), ingress())
    healthy(
        b,
        rollout(
            canary={
                **routed(),
                "abortScaleDownDelaySeconds": delay,
                "steps": [{"setCanaryScale": {"replicas": 1}}, {"pause": {}}],
            }
        ),
    )
    update(b)
    b.advance(3)
    b.act("r", "abort")
    b.advance(0.5)
    st = b.status("r")
    assert st["phase"] == "Degraded"
    assert (
        b.cluster.get("Service", "default", "r-canary")["spec"]["selector"]["rollouts-pod-template-hash"]
        == st["stableRS"]
    )
    b.advance(3)
    assert b.counts()[2] == after


def test_A18_step_analysis_success_then_failure() -> None:
    """TestCanaryInlineAnalysis / TestCanaryFailInlineMultipleAnalysis."""
    b = RolloutBench(providers={"job": FixedProvider({"ok": lambda now: 1, "bad": lambda now: 0})})
    b.apply(template("ok", "result == 1"), template("bad", "result == 1"))
    ana = {"analysis": {"templates": [{"templateName": "ok"}]}}
    healthy(b, rollout(canary={"steps": [{"setWeight": 10}, ana, {"pause": {}}, ana, ana]}))
    update(b)
    b.advance(3)
    assert b.status("r")["phase"] == "Paused" and len(b.runs()) == 1
    b.act("r", "promote")
    b.advance(5)
    assert b.status("r")["phase"] == "Healthy" and len(b.runs()) == 3
    bad = {"analysis": {"templates": [{"templateName": "bad"}]}}
    b.set_template("r", lambda spec: spec["strategy"]["canary"].__setitem__("steps", [{"setWeight": 10}, bad]))
    update(b, "app:v3")
    b.advance(5)
    st = b.status("r")
    assert st["phase"] == "Degraded"
    assert (
        'Step-based analysis phase error/failed: Metric "bad" assessed Failed due to failed (1) > failureLimit (0)'
        in st["message"]
    )


def test_A18_inconclusive_background_pauses() -> None:
    """TestCanaryInconclusiveBackgroundAnalysis."""
    b = RolloutBench(providers={"job": FixedProvider({"maybe": lambda now: 0.5})})
    b.apply(template("maybe", "result > 0.9", failureCondition="result < 0.1"))
    healthy(
        b,
        rollout(
            canary={
                "steps": [{"setWeight": 10}, {"pause": {"duration": "1h"}}],
                "analysis": {"templates": [{"templateName": "maybe"}]},
            }
        ),
    )
    update(b)
    b.advance(3)
    st = b.status("r")
    assert st["phase"] == "Paused" and st["message"] == "InconclusiveAnalysisRun"


def bg(**extra: Any) -> dict[str, Any]:
    return {"activeService": "r-active", "previewService": "r-preview", **extra}


def test_A19_blue_green_preview_replica_count() -> None:
    """TestBlueGreenPreviewReplicaCount."""
    b = RolloutBench()
    b.apply(service("r-active"), service("r-preview"))
    healthy(
        b,
        rollout(replicas=2, blue_green=bg(previewReplicaCount=1, scaleDownDelaySeconds=5, autoPromotionEnabled=False)),
    )
    update(b)
    b.advance(3)
    st = b.status("r")
    assert st["phase"] == "Paused" and st["message"] == "BlueGreenPause"
    assert b.counts() == {1: 2, 2: 1}
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"], st["availableReplicas"]) == (3, 1, 2, 2)
    sel = {
        s: b.cluster.get("Service", "default", s)["spec"]["selector"]["rollouts-pod-template-hash"]
        for s in ("r-active", "r-preview")
    }
    assert sel == {"r-active": st["stableRS"], "r-preview": st["currentPodHash"]}
    b.act("r", "promote")
    b.advance(2.5)
    st = b.status("r")
    assert st["phase"] == "Healthy"
    assert (st["replicas"], st["updatedReplicas"], st["readyReplicas"], st["availableReplicas"]) == (4, 2, 2, 2)
    b.advance(6)
    assert b.counts() == {1: 0, 2: 2}


def test_A20_blue_green_pre_promotion_failure_then_retry() -> None:
    """TestBlueGreenPrePromotionFail."""
    b = RolloutBench(providers={"job": FixedProvider({"pre": lambda now: 0, "pre-ok": lambda now: 1})})
    b.apply(
        service("r-active"), service("r-preview"), template("pre", "result == 1"), template("pre-ok", "result == 1")
    )
    obj = rollout(
        replicas=2,
        blue_green=bg(
            previewReplicaCount=1,
            abortScaleDownDelaySeconds=0,
            prePromotionAnalysis={"templates": [{"templateName": "pre"}]},
        ),
    )
    healthy(b, obj)
    update(b)
    b.advance(3)
    st = b.status("r")
    assert st["phase"] == "Degraded" and len(b.runs()) == 1
    # as Argo words it (seen in upstream `get rollout` output): "Blue/green pre-promotion analysis phase ..."
    assert st["message"].startswith(
        "RolloutAborted: Rollout aborted update to revision 2: Blue/green pre-promotion analysis phase error/failed: "
    )
    assert st["blueGreen"]["activeSelector"] == st["stableRS"] != st["currentPodHash"]
    b.set_template(
        "r",
        lambda spec: spec["strategy"]["blueGreen"].__setitem__(
            "prePromotionAnalysis", {"templates": [{"templateName": "pre-ok"}]}
        ),
    )
    b.act("r", "retry")
    b.advance(5)
    st = b.status("r")
    assert st["phase"] == "Healthy" and len(b.runs()) == 2
    assert st["stableRS"] == st["currentPodHash"] == st["blueGreen"]["activeSelector"]


def test_A21_blue_green_scale_down_delay_revision_limit() -> None:
    """TestBlueGreenScaleDownDelay."""
    b = RolloutBench()
    b.apply(service("r-active"), service("r-preview"))
    healthy(b, rollout(replicas=1, blue_green=bg(scaleDownDelaySeconds=86400, scaleDownDelayRevisionLimit=2)))
    for image in ("app:v2", "app:v3", "app:v4"):
        update(b, image)
        b.advance(3)
    assert b.counts() == {1: 0, 2: 1, 3: 1, 4: 1}
    b.set_template("r", lambda spec: spec["strategy"]["blueGreen"].__setitem__("scaleDownDelayRevisionLimit", 1))
    update(b, "app:v5")
    b.advance(3)
    assert b.counts()[2] == 0 and b.counts()[3] == 0 and b.counts()[4] == 1


def test_A13_dynamic_stable_scale() -> None:
    """TestCanaryDynamicStableScale: stable shrinks as the canary weight grows."""
    b = RolloutBench()
    b.apply(service("r-canary"), service("r-stable"), ingress())
    steps = [{"setWeight": 25}, {"pause": {}}, {"setWeight": 75}, {"pause": {}}]
    healthy(b, rollout(replicas=4, canary={**routed(), "dynamicStableScale": True, "steps": steps}))
    update(b)
    b.advance(3)
    assert b.status("r")["phase"] == "Paused" and b.counts() == {1: 3, 2: 1}
    b.act("r", "promote")
    b.advance(4)
    st = b.status("r")
    assert st["currentStepIndex"] == 3 and b.counts() == {1: 1, 2: 3}
    assert st["canary"]["weights"]["canary"]["weight"] == 75


def test_undo_to_stable_skips_the_steps() -> None:
    """kubectl argo rollouts undo while paused: the stable template comes back, steps are skipped."""
    from shipyard.delivery import actions

    b = RolloutBench()
    healthy(b, rollout(replicas=2, canary={"steps": [{"setWeight": 50}, {"pause": {}}]}))
    update(b)
    b.advance(3)
    assert b.status("r")["phase"] == "Paused"
    obj = b.rollout("r")
    new, message = actions.undo(obj, b.cluster.list("apps/ReplicaSet", "default"))
    assert message == "rollout 'r' undo"
    b.cluster.update(new)
    b.advance(3)
    st = b.status("r")
    assert st["phase"] == "Healthy"
    assert st["stableRS"] == st["currentPodHash"]
    assert "SkipSteps" in b.reasons()
    assert max(b.counts()) == 3  # the old template came back as revision 3


def test_A7_progress_deadline_abort() -> None:
    """progressDeadlineAbort: the deadline also aborts, with the timeout as the detail."""
    b = RolloutBench()
    healthy(
        b,
        rollout(
            replicas=2,
            canary={"steps": [{"setWeight": 50}, {"pause": {}}]},
            progressDeadlineSeconds=10,
            progressDeadlineAbort=True,
        ),
    )
    b.kubelet.ready_seconds = 10_000
    update(b)
    b.advance(15)
    st = b.status("r")
    assert st["phase"] == "Degraded" and st["abort"] is True
    assert st["message"].startswith('RolloutAborted: Rollout aborted update to revision 2: ReplicaSet "r-')
    assert st["message"].endswith('" has timed out progressing.')


def test_experiment_step_is_invalid_spec_not_a_crash() -> None:
    b = RolloutBench()
    b.apply(rollout(canary={"steps": [{"experiment": {"templates": []}}]}))
    b.settle()
    st = b.status("r")
    assert st["phase"] == "Degraded"
    assert st["message"] == "InvalidSpec: spec.strategy.canary.steps[0]: experiment steps are not supported yet"


def test_secret_arg_read_from_the_cluster_and_redacted() -> None:
    import base64

    from shipyard.errors import ProviderError
    from shipyard.testing.rollouts import FixedProvider

    seen: list[str] = []

    class Echo(FixedProvider):
        def measure(self, metric: Any, *, now: float) -> Any:
            seen.append(metric.provider["job"]["token"])
            raise ProviderError(f"denied for token {metric.provider['job']['token']}")

    b = RolloutBench(providers={"job": Echo({})})
    b.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "creds", "namespace": "default"},
            "data": {"token": base64.b64encode(b"s3cret").decode()},
        }
    )
    b.apply(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisTemplate",
            "metadata": {"name": "t", "namespace": "default"},
            "spec": {
                "args": [{"name": "token", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "token"}}}],
                "metrics": [{"name": "m", "provider": {"job": {"token": "{{args.token}}"}}}],
            },
        }
    )
    healthy(b, rollout(canary={"steps": [{"analysis": {"templates": [{"templateName": "t"}]}}]}))
    update(b)
    b.advance(2)
    run = b.runs()[0]
    assert seen and seen[0] == "s3cret"
    message = run["status"]["metricResults"][0]["measurements"][0]["message"]
    assert message == "denied for token *****"


def test_A3_scaling_while_paused_through_the_controller() -> None:
    """TestRolloutScalingWhenPaused: R=1 → 8 → 4 while paused at setWeight 25."""
    b = RolloutBench()
    healthy(b, rollout(replicas=None, canary={"steps": [{"setWeight": 25}, {"pause": {}}]}))
    update(b)
    b.advance(3)
    assert b.status("r")["phase"] == "Paused" and b.counts() == {1: 1, 2: 1}
    b.set_template("r", lambda spec: spec.__setitem__("replicas", 8))
    b.advance(5)
    assert b.counts() == {1: 6, 2: 2} and b.status("r")["phase"] == "Paused"
    b.set_template("r", lambda spec: spec.__setitem__("replicas", 4))
    b.advance(5)
    assert b.counts() == {1: 3, 2: 1}


def test_revision_history_limit_deletes_oldest_idle_replicasets() -> None:
    b = RolloutBench()
    healthy(b, rollout(replicas=1, canary={}, revisionHistoryLimit=1))
    for image in ("app:v2", "app:v3", "app:v4"):
        update(b, image)
        b.advance(5)
    assert sorted(b.counts()) == [3, 4]


def test_blue_green_auto_promotion_seconds() -> None:
    """autoPromotionSeconds counts from the BlueGreenPause start (AR:rollout/pause.go CompletedBlueGreenPause)."""
    b = RolloutBench()
    b.apply(service("r-active"), service("r-preview"))
    healthy(b, rollout(replicas=1, blue_green=bg(autoPromotionSeconds=20)))
    update(b)
    b.advance(10)
    assert b.status("r")["phase"] == "Paused"
    b.advance(15)
    st = b.status("r")
    assert st["phase"] == "Healthy" and st["blueGreen"]["activeSelector"] == st["currentPodHash"]


def test_A20_post_promotion_analysis() -> None:
    """TestBlueGreenAnalysis: promote ⇒ active switched, Progressing until the post run succeeds; then Healthy."""
    answers = {"pre": lambda now: 1, "post": lambda now: 1}
    b = RolloutBench(providers={"job": FixedProvider(answers)})
    b.apply(
        service("r-active"),
        service("r-preview"),
        template("pre", "result == 1"),
        template("post", "result == 1", interval="10s", count=2),
    )
    obj = rollout(
        replicas=2,
        blue_green=bg(
            autoPromotionEnabled=False,
            prePromotionAnalysis={"templates": [{"templateName": "pre"}]},
            postPromotionAnalysis={"templates": [{"templateName": "post"}]},
        ),
    )
    healthy(b, obj)
    update(b)
    b.advance(3)
    assert b.status("r")["phase"] == "Paused" and len(b.runs()) == 1
    b.act("r", "promote")
    b.advance(2)
    st = b.status("r")
    assert st["blueGreen"]["activeSelector"] == st["currentPodHash"] != st["stableRS"]
    assert (st["phase"], st["message"]) == ("Progressing", "waiting for post-promotion verification to complete")
    assert len(b.runs()) == 2
    b.advance(12)
    st = b.status("r")
    assert st["phase"] == "Healthy" and st["stableRS"] == st["currentPodHash"]
    b.set_template("r", lambda spec: spec["template"]["spec"]["containers"][0].__setitem__("image", "app:v1"))
    b.advance(3)
    assert b.status("r")["phase"] == "Healthy"
    assert len(b.runs()) == 2 and max(b.counts()) == 3  # fast-tracked: no new run, the old RS is revision 3


def test_post_promotion_failure_switches_back() -> None:
    b = RolloutBench(providers={"job": FixedProvider({"post": lambda now: 0})})
    b.apply(service("r-active"), service("r-preview"), template("post", "result == 1"))
    healthy(b, rollout(replicas=1, blue_green=bg(postPromotionAnalysis={"templates": [{"templateName": "post"}]})))
    update(b)
    b.advance(4)
    st = b.status("r")
    assert st["phase"] == "Degraded"
    assert "Blue/green post-promotion analysis phase error/failed" in st["message"]
    assert st["blueGreen"]["activeSelector"] == st["stableRS"] != st["currentPodHash"]
    active = b.cluster.get("Service", "default", "r-active")["spec"]["selector"]["rollouts-pod-template-hash"]
    assert active == st["stableRS"]


def test_analysis_run_history_limits() -> None:
    """analysis.successfulRunHistoryLimit: only the newest N completed runs are kept."""
    b = RolloutBench(providers={"job": FixedProvider({"ok": lambda now: 1})})
    b.apply(template("ok", "result == 1"))
    ana = {"analysis": {"templates": [{"templateName": "ok"}]}}
    healthy(b, rollout(canary={"steps": [ana]}, analysis={"successfulRunHistoryLimit": 2}))
    for image in ("app:v2", "app:v3", "app:v4", "app:v5"):
        update(b, image)
        b.advance(4)
        assert b.status("r")["phase"] == "Healthy"
    names = sorted(r["metadata"]["name"] for r in b.runs())
    assert len(names) == 2
    assert all(n.endswith(("-4-0", "-5-0")) for n in names), names


def test_A13_dynamic_stable_scale_abort_moves_traffic_back_as_stable_recovers() -> None:
    b = RolloutBench()
    b.apply(service("r-canary"), service("r-stable"), ingress())
    steps = [{"setWeight": 25}, {"pause": {}}, {"setWeight": 75}, {"pause": {}}]
    healthy(b, rollout(replicas=4, canary={**routed(), "dynamicStableScale": True, "steps": steps}))
    update(b)
    b.advance(3)
    b.act("r", "promote")
    b.advance(4)
    assert b.counts() == {1: 1, 2: 3}
    b.kubelet.ready_seconds = 5
    b.act("r", "abort")
    b.advance(0.5)
    st = b.status("r")
    assert st["phase"] == "Degraded"
    assert b.counts() == {1: 4, 2: 3}  # the canary keeps its pods while stable scales back up
    assert st["canary"]["weights"]["canary"]["weight"] == 75  # only 1 stable pod available yet
    b.advance(6)
    st = b.status("r")
    assert st["canary"]["weights"]["canary"]["weight"] == 0
    b.advance(2)
    assert b.counts() == {1: 4, 2: 0}
    assert (
        b.cluster.get("Service", "default", "r-canary")["spec"]["selector"]["rollouts-pod-template-hash"]
        == st["stableRS"]
    )


def test_restart_at_restarts_every_replicaset_then_records_restarted_at() -> None:
    b = RolloutBench()
    healthy(b, rollout(replicas=2, canary={"steps": [{"setWeight": 50}, {"pause": {}}]}))
    from shipyard.clock import rfc3339

    at = rfc3339(b.clock.now() + 10)
    b.set_template("r", lambda spec: spec.__setitem__("restartAt", at))
    b.advance(5)
    assert b.status("r")["phase"] == "Healthy" and "restartedAt" not in b.status("r")
    b.advance(5.2)
    st = b.status("r")
    assert (st["phase"], st["message"]) == ("Progressing", "rollout is restarting")
    b.advance(2)
    st = b.status("r")
    assert st["phase"] == "Healthy" and st["restartedAt"] == at
    assert "RolloutRestarted" not in b.reasons()  # AR:rollout/restart.go sets restartedAt, sends no event


def test_istio_invalid_routes_are_invalid_spec_and_recover() -> None:
    """AR:pkg/apis/rollouts/validation/validation_references.go ValidateVirtualService + istio.go
    ValidateHTTPRoutes: a named route missing from the VirtualService is an InvalidSpec (Degraded) with Argo's
    field error, not a controller crash; fixing the VirtualService re-queues the Rollout (Argo's VirtualService
    informer) and the InvalidSpec condition goes away."""
    b = RolloutBench()
    other = {**copy.deepcopy(PRIMARY), "name": "other"}
    b.apply(service("r-canary"), service("r-stable"), vs([other]))
    b.apply(rollout(canary={**istio(), "steps": [{"setWeight": 10}, {"pause": {}}]}))
    b.advance(3)
    st = b.status("r")
    assert (st["phase"], st["message"]) == (
        "Degraded",
        'InvalidSpec: The Rollout "r" is invalid: spec.strategy.canary.trafficRouting.istio.virtualService.name: '
        'Invalid value: "r-vs": '
        "Istio VirtualService has invalid HTTP routes. Error: HTTP Route 'primary' is not found in the defined "
        "Virtual Service.",
    )
    b.apply(vs([copy.deepcopy(PRIMARY)]))
    b.advance(3)
    st = b.status("r")
    assert st["phase"] == "Healthy"
    assert not [c for c in st["conditions"] if c["type"] == "InvalidSpec"]


def test_istio_unnamed_routes_need_exactly_one() -> None:
    """istio.go ValidateHTTPRoutes: routes omitted and several non-managed HTTP routes ⇒ InvalidSpec."""
    b = RolloutBench()
    b.apply(service("r-canary"), service("r-stable"), vs([copy.deepcopy(PRIMARY), {**PRIMARY, "name": "b"}]))
    spec = istio()
    del spec["trafficRouting"]["istio"]["virtualService"]["routes"]
    b.apply(rollout(canary={**spec, "steps": [{"setWeight": 10}, {"pause": {}}]}))
    b.advance(3)
    assert b.status("r")["message"].endswith(
        "Error: spec.http[] should be set in VirtualService and it must have exactly one route when omitting "
        "spec.strategy.canary.trafficRouting.istio.virtualService.routes"
    )


def test_A18_inconclusive_during_a_timed_pause_as_upstream_e2e() -> None:
    """AR:test/e2e/functional/rollout-background-analysis-inconclusive.yaml (R=2, [setWeight 10, pause 30s],
    background from step 1): the run turns Inconclusive during the pause; completedCurrentCanaryStep is held
    only by spec.paused, so the pause step still completes and the message becomes InconclusiveAnalysisRun,
    while haltProgress keeps the ReplicaSets where they are (AR:rollout/canary.go, AR:rollout/analysis.go)."""
    b = RolloutBench(providers={"job": FixedProvider({"maybe": lambda now: 0.5})})
    b.apply(template("maybe", "result > 0.9", failureCondition="result < 0.1"))
    steps = [{"setWeight": 10}, {"pause": {"duration": "30s"}}]
    healthy(
        b,
        rollout(
            replicas=2,
            canary={"steps": steps, "analysis": {"templates": [{"templateName": "maybe"}], "startingStep": 1}},
        ),
    )
    update(b)
    b.advance(3)
    st = b.status("r")
    assert (st["phase"], st["message"]) == ("Paused", "CanaryPauseStep")
    assert [p["reason"] for p in st["pauseConditions"]] == ["CanaryPauseStep", "InconclusiveAnalysisRun"]
    b.advance(31)
    st = b.status("r")
    assert (st["phase"], st["message"], st["currentStepIndex"]) == ("Paused", "InconclusiveAnalysisRun", 2)
    assert b.counts() == {1: 2, 2: 1}  # haltProgress: no scaling towards 100 %


def test_analysis_run_labels_and_revision_annotation() -> None:
    """AR:rollout/analysis.go newAnalysisRunFromRollout: step labels, the Rollout's selector labels, and the
    rollout.argoproj.io/revision annotation (what `get rollout` groups runs by)."""
    b = RolloutBench(providers={"job": FixedProvider({"ok": lambda now: 1})})
    b.apply(template("ok", "result == 1"))
    healthy(b, rollout(canary={"steps": [{"setWeight": 50}, {"analysis": {"templates": [{"templateName": "ok"}]}}]}))
    update(b)
    b.advance(3)
    (run,) = b.runs()
    meta = run["metadata"]
    assert meta["labels"] == {
        "rollouts-pod-template-hash": b.status("r")["currentPodHash"],
        "rollout-type": "Step",
        "step-index": "1",
        "app": "r",
    }
    assert meta["annotations"] == {"rollout.argoproj.io/revision": "2"}


def test_missing_analysis_template_is_invalid_spec_until_it_exists() -> None:
    """AR:rollout/controller.go getRolloutReferencedResources + createInvalidRolloutCondition (analysis_test.go
    TestInvalidSpecMissingClusterTemplatesBackgroundAnalysis): a referenced template that does not exist makes
    the Rollout InvalidSpec 'The Rollout "r" is invalid: <path>: Invalid value: "x": AnalysisTemplate 'x' not
    found' (it used to start a run in Error and abort); creating the template re-queues the Rollout."""
    b = RolloutBench(providers={"job": FixedProvider({"later": lambda now: 1})})
    obj = rollout(canary={"steps": [{"setWeight": 50}], "analysis": {"templates": [{"templateName": "later"}]}})
    b.apply(obj)
    b.advance(3)
    st = b.status("r")
    assert (st["phase"], st["message"]) == (
        "Degraded",
        'InvalidSpec: The Rollout "r" is invalid: spec.strategy.canary.analysis.templates: Invalid value: "later": '
        "AnalysisTemplate 'later' not found",
    )
    b.apply(template("later", "result == 1"))
    b.advance(3)
    assert b.status("r")["phase"] == "Healthy"
