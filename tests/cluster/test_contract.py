"""The ``Cluster`` contract, run against every implementation (Kubernetes object semantics on plain dicts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shipyard.cluster.base import Cluster, EventType
from shipyard.cluster.local import LocalCluster
from shipyard.cluster.memory import MemoryCluster
from shipyard.errors import ConflictError, NotFoundError, SpecError


@pytest.fixture(params=["memory", "local"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    if request.param == "memory":
        yield MemoryCluster(now=lambda: 1_700_000_000.0)
    else:
        c = LocalCluster(tmp_path / "state", now=lambda: 1_700_000_000.0)
        yield c
        c.db.close()


def deploy(name: str = "web", ns: str = "default", replicas: int = 1, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
        "spec": {"replicas": replicas},
        "status": {"replicas": 99},
    }


def test_satisfies_protocol(cluster: Cluster) -> None:
    assert isinstance(cluster, Cluster)


def test_create_assigns_identity_and_ignores_status(cluster: Cluster) -> None:
    got = cluster.create(deploy())
    m = got["metadata"]
    assert m["generation"] == 1 and m["uid"] and m["resourceVersion"] == "1"
    assert m["creationTimestamp"] == "2023-11-14T22:13:20Z"
    assert "status" not in got
    assert cluster.get("apps/Deployment", "default", "web") == got
    assert cluster.get("apps/v1/Deployment", "default", "web") == got, "versioned kind keys are normalised"
    with pytest.raises(ConflictError, match="already exists"):
        cluster.create(deploy())


def test_missing_fields_are_spec_errors(cluster: Cluster) -> None:
    with pytest.raises(SpecError, match=r"metadata\.name"):
        cluster.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})
    with pytest.raises(SpecError, match="kind"):
        cluster.create({"apiVersion": "v1", "metadata": {"name": "x"}})


def test_generation_bumps_only_on_spec_change(cluster: Cluster) -> None:
    cur = cluster.create(deploy())
    cur["metadata"]["labels"] = {"a": "b"}
    cur = cluster.update(cur)
    assert cur["metadata"]["generation"] == 1 and cur["metadata"]["resourceVersion"] == "2"
    cur["spec"]["replicas"] = 3
    cur = cluster.update(cur)
    assert cur["metadata"]["generation"] == 2
    same = cluster.apply(deploy(replicas=3, a="b"))
    assert same["metadata"]["resourceVersion"] == cur["metadata"]["resourceVersion"], "no-op apply writes nothing"
    applied = cluster.apply(deploy(replicas=4, a="b"))
    assert applied["metadata"]["generation"] == 3
    assert applied["metadata"]["uid"] == cur["metadata"]["uid"]


def test_update_optimistic_concurrency(cluster: Cluster) -> None:
    first = cluster.create(deploy())
    a = dict(first, spec={"replicas": 2})
    b = dict(first, spec={"replicas": 5})
    cluster.update(a)
    with pytest.raises(ConflictError, match="modified"):
        cluster.update(b)
    with pytest.raises(NotFoundError):
        cluster.update(deploy("nope"))


def test_status_subresource(cluster: Cluster) -> None:
    cur = cluster.create(deploy())
    st = cluster.update_status({**cur, "status": {"observedGeneration": 1, "replicas": 1}})
    assert st["status"] == {"observedGeneration": 1, "replicas": 1}
    assert st["metadata"]["generation"] == 1
    # a spec write keeps status; a stale status write conflicts
    after = cluster.update({**st, "spec": {"replicas": 2}, "status": {"ignored": True}})
    assert after["status"] == {"observedGeneration": 1, "replicas": 1}
    with pytest.raises(ConflictError):
        cluster.update_status({**st, "status": {}})


def test_list_namespaces_and_selectors(cluster: Cluster) -> None:
    cluster.create(deploy("a", "ns1", app="web", tier="fe"))
    cluster.create(deploy("b", "ns1", app="web", tier="be"))
    cluster.create(deploy("c", "ns2", app="db"))
    cluster.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "ns1"}})

    def names(**kw: Any) -> list[str]:
        return [o["metadata"]["name"] for o in cluster.list("apps/Deployment", **kw)]

    assert names() == ["a", "b", "c"]
    assert names(namespace="ns1") == ["a", "b"]
    assert names(label_selector={"matchLabels": {"app": "web"}}) == ["a", "b"]
    sel_in = {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["be", "x"]}]}
    assert names(label_selector=sel_in) == ["b"]
    sel_notin = {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["be"]}]}
    assert names(label_selector=sel_notin) == ["a", "c"], "NotIn matches objects without the key"
    assert names(label_selector={"matchExpressions": [{"key": "tier", "operator": "Exists"}]}) == ["a", "b"]
    assert names(label_selector={"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}) == ["c"]
    assert names(label_selector="app=web,tier notin (fe)") == ["b"]
    assert names(label_selector="!tier") == ["c"]
    assert [o["metadata"]["name"] for o in cluster.list("Service")] == ["a"]
    with pytest.raises(SpecError, match="operator"):
        names(label_selector={"matchExpressions": [{"key": "x", "operator": "Equals"}]})


def test_cascading_delete(cluster: Cluster) -> None:
    owner = cluster.create(deploy())
    ref = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": owner["metadata"]["uid"]}
    rs = cluster.create(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": "web-1", "namespace": "default", "ownerReferences": [ref]},
        }
    )
    rs_ref = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": rs["metadata"]["uid"]}
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "default", "ownerReferences": [rs_ref]},
        }
    )
    cluster.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "free", "namespace": "default"}})
    cluster.delete("apps/Deployment", "default", "web")
    assert cluster.get("apps/ReplicaSet", "default", "web-1") is None
    assert cluster.get("Pod", "default", "p") is None
    assert cluster.get("Pod", "default", "free") is not None
    with pytest.raises(NotFoundError):
        cluster.delete("apps/Deployment", "default", "web")


def test_changes_is_a_poll_watch(cluster: Cluster) -> None:
    start = cluster.resource_version()
    cur = cluster.create(deploy())
    cluster.update({**cur, "spec": {"replicas": 2}})
    cluster.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}})
    cluster.delete("apps/Deployment", "default", "web")
    evs = cluster.changes(start)
    assert [(e.type, e.kind_key) for e in evs] == [
        (EventType.ADDED, "apps/Deployment"),
        (EventType.MODIFIED, "apps/Deployment"),
        (EventType.ADDED, "ConfigMap"),
        (EventType.DELETED, "apps/Deployment"),
    ]
    assert [e.resource_version for e in evs] == sorted(e.resource_version for e in evs)
    assert [e.type for e in cluster.changes(evs[1].resource_version, kind_key="apps/Deployment")] == [EventType.DELETED]
    assert cluster.resource_version() == evs[-1].resource_version


def test_cluster_scoped_objects(cluster: Cluster) -> None:
    got = cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    assert "namespace" not in got["metadata"]
    assert cluster.get("Namespace", "", "team") is not None


def test_failed_write_leaves_nothing(cluster: Cluster) -> None:
    cluster.create(deploy())
    rv = cluster.resource_version()
    with pytest.raises(ConflictError):
        cluster.create(deploy())
    assert cluster.resource_version() == rv
    assert cluster.changes(rv) == []


def test_local_cluster_persists(tmp_path: Path) -> None:
    a = LocalCluster(tmp_path / "home")
    a.create(deploy())
    b = LocalCluster(tmp_path / "home")
    assert b.get("apps/Deployment", "default", "web") is not None
    assert b.resource_version() == 1
