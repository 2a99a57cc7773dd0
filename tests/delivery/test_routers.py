"""Traffic routers as pure object transforms (AR:rollout/trafficrouting/{nginx,istio,smi})."""

from __future__ import annotations

import re
from typing import Any

import pytest

from shipyard.delivery.model import Traffic
from shipyard.delivery.routers import router_for
from shipyard.delivery.routers.nginx import build_canary_ingress, canary_ingress_name
from shipyard.errors import SpecError, UnsupportedError
from shipyard.resources.rollouts import Rollout, SetHeaderRoute, SetMirrorRoute


def ro(routing: dict[str, Any], **canary: Any) -> Rollout:
    return Rollout.model_validate(
        {
            "metadata": {"name": "r", "namespace": "ns", "uid": "u-1"},
            "spec": {
                "selector": {"matchLabels": {"app": "r"}},
                "template": {},
                "strategy": {
                    "canary": {
                        "canaryService": "r-canary",
                        "stableService": "r-stable",
                        "trafficRouting": routing,
                        **canary,
                    }
                },
            },
        }
    )


def objects(*objs: dict[str, Any]) -> Any:
    index = {
        (
            f"{o['apiVersion'].rsplit('/', 1)[0]}/{o['kind']}",
            o["metadata"].get("namespace", ""),
            o["metadata"]["name"],
        ): o
        for o in objs
    }
    return lambda kind, ns, name: index.get((kind, ns, name))


T = Traffic(canary_weight=20, stable_weight=80, canary_hash="c1", stable_hash="s1")


def test_nginx_weight_total_and_verbatim_annotations() -> None:
    r = ro(
        {
            "nginx": {
                "stableIngress": "web",
                "annotationPrefix": "custom.io",
                "canaryIngressAnnotations": {"x/y": "z"},
            },
            "maxTrafficWeight": 1000,
        }
    )
    stable = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["a"]}],
            "rules": [
                {
                    "host": "a",
                    "http": {
                        "paths": [{"path": "/", "backend": {"service": {"name": "r-stable", "port": {"number": 80}}}}]
                    },
                },
                {
                    "host": "b",
                    "http": {
                        "paths": [{"path": "/", "backend": {"service": {"name": "other", "port": {"number": 80}}}}]
                    },
                },
            ],
        },
    }
    ing = build_canary_ingress(r, stable, 200, existing={"metadata": {"annotations": {"foreign": "kept"}}})
    assert ing["metadata"]["name"] == canary_ingress_name("r", "web") == "r-web-canary"
    assert ing["metadata"]["annotations"] == {
        "foreign": "kept",
        "x/y": "z",
        "custom.io/canary": "true",
        "custom.io/canary-weight": "200",
        "custom.io/canary-weight-total": "1000",
    }
    assert [rule["host"] for rule in ing["spec"]["rules"]] == ["a"]
    assert ing["spec"]["tls"] == [{"hosts": ["a"]}] and ing["spec"]["ingressClassName"] == "nginx"
    assert ing["metadata"]["ownerReferences"][0]["uid"] == "u-1"


def test_nginx_without_stable_backend_is_an_error() -> None:
    r = ro({"nginx": {"stableIngress": "web"}})
    stable = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {"rules": [{"http": {"paths": [{"backend": {"service": {"name": "nope"}}}]}}]},
    }
    with pytest.raises(SpecError, match="ingress `web` has no rules using service r-stable backend"):
        build_canary_ingress(r, stable, 10)


def test_smi_traffic_split() -> None:
    r = ro({"smi": {"rootService": "r", "trafficSplitName": "r-split"}})
    (ts,) = router_for(r).desired(r, T, objects())
    assert ts["kind"] == "TrafficSplit" and ts["metadata"]["name"] == "r-split"
    assert ts["spec"] == {
        "service": "r",
        "backends": [{"service": "r-canary", "weight": 20}, {"service": "r-stable", "weight": 80}],
    }


def test_istio_subset_split_labels_destination_rule() -> None:
    r = ro(
        {
            "istio": {
                "virtualService": {"name": "vs"},
                "destinationRule": {"name": "dr", "canarySubsetName": "canary", "stableSubsetName": "stable"},
            }
        }
    )
    vs = {
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "VirtualService",
        "metadata": {"name": "vs", "namespace": "ns"},
        "spec": {
            "http": [
                {
                    "route": [
                        {"destination": {"host": "r", "subset": "stable"}, "weight": 100},
                        {"destination": {"host": "r", "subset": "canary"}, "weight": 0},
                    ]
                }
            ]
        },
    }
    dr = {
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "DestinationRule",
        "metadata": {"name": "dr", "namespace": "ns"},
        "spec": {"host": "r", "subsets": [{"name": "canary"}, {"name": "stable"}]},
    }
    out_vs, out_dr = router_for(r).desired(r, T, objects(vs, dr))
    assert [d["weight"] for d in out_vs["spec"]["http"][0]["route"]] == [80, 20]
    assert out_dr["spec"]["subsets"] == [
        {"name": "canary", "labels": {"rollouts-pod-template-hash": "c1"}},
        {"name": "stable", "labels": {"rollouts-pod-template-hash": "s1"}},
    ]
    assert out_dr["metadata"]["annotations"]["argo-rollouts.argoproj.io/managed-by-rollouts"] == "r"


def test_istio_mirror_and_header_routes_go_first_in_managed_order() -> None:
    r = ro({"istio": {"virtualService": {"name": "vs"}}, "managedRoutes": [{"name": "mirror-1"}, {"name": "header-1"}]})
    vs = {
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "VirtualService",
        "metadata": {"name": "vs", "namespace": "ns"},
        "spec": {
            "http": [
                {
                    "name": "primary",
                    "route": [
                        {"destination": {"host": "r-stable"}, "weight": 100},
                        {"destination": {"host": "r-canary"}, "weight": 0},
                    ],
                }
            ]
        },
    }
    header = SetHeaderRoute.model_validate(
        {"name": "header-1", "match": [{"headerName": "x", "headerValue": {"exact": "1"}}]}
    )
    mirror = SetMirrorRoute.model_validate(
        {"name": "mirror-1", "percentage": 35, "match": [{"method": {"exact": "GET"}}]}
    )
    t = Traffic(20, 80, "c1", "s1", header_routes=(header,), mirror_routes=(mirror,))
    (out,) = router_for(r).desired(r, t, objects(vs))
    names = [h.get("name") for h in out["spec"]["http"]]
    assert names == ["mirror-1", "header-1", "primary"]  # managedRoutes order, not step order
    mirror_route = out["spec"]["http"][0]
    assert mirror_route["mirror"] == {"host": "r-canary"} and mirror_route["mirrorPercentage"] == {"value": 35.0}
    assert mirror_route["match"] == [{"method": {"exact": "GET"}}]


def test_istio_missing_destination_is_an_error() -> None:
    r = ro({"istio": {"virtualService": {"name": "vs"}}})
    vs = {
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "VirtualService",
        "metadata": {"name": "vs", "namespace": "ns"},
        "spec": {"http": [{"route": [{"destination": {"host": "r-stable"}, "weight": 100}]}]},
    }
    # AR:rollout/trafficrouting/istio/istio.go validateDestinationRule
    with pytest.raises(SpecError, match=re.escape("Error: Canary Service 'r-canary' not found in route")):
        router_for(r).desired(r, T, objects(vs))


def test_unsupported_router() -> None:
    with pytest.raises(UnsupportedError, match="not supported yet"):
        router_for(ro({"alb": {"ingress": "x"}}))


def test_istio_mirror_percentage_defaults_to_100() -> None:
    """istio.go createMirrorRoute: percent = 100 when the setMirrorRoute step gives none; always written."""
    r = ro({"istio": {"virtualService": {"name": "vs"}}, "managedRoutes": [{"name": "m"}]})
    route = [{"destination": {"host": "r-stable"}, "weight": 100}, {"destination": {"host": "r-canary"}, "weight": 0}]
    vs = {
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "VirtualService",
        "metadata": {"name": "vs", "namespace": "ns"},
        "spec": {"http": [{"name": "primary", "route": route}]},
    }
    mirror = SetMirrorRoute.model_validate({"name": "m", "match": [{"method": {"exact": "GET"}}]})
    (out,) = router_for(r).desired(r, Traffic(20, 80, "c1", "s1", mirror_routes=(mirror,)), objects(vs))
    assert out["spec"]["http"][0]["mirrorPercentage"] == {"value": 100.0}
