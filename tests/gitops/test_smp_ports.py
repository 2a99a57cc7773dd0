"""Strategic merge of ``ports`` lists as kustomize (kyaml) does it, each row the output of ``kubectl kustomize``
v5.8 for the same base and patch: without any ``protocol`` the patch's elements come first (single merge key);
once a protocol appears, (port, protocol) is the key, matches merge in place, a port known only under another
protocol is dropped, and new ports go first."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.gitops.kustomize.patch import strategic_merge

T = "TCP"


def svc(ports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"spec": {"ports": ports}}


CASES = [
    ([{"port": 80, "name": "a"}, {"port": 81, "name": "c"}], [{"port": 81, "name": "C"}, {"port": 82, "name": "d"}],
     [{"port": 81, "name": "C"}, {"port": 82, "name": "d"}, {"port": 80, "name": "a"}]),
    ([{"port": 80, "name": "a", "protocol": T}, {"port": 81, "name": "c", "protocol": T}],
     [{"port": 81, "name": "C", "protocol": T}, {"port": 82, "name": "d", "protocol": T}],
     [{"port": 82, "name": "d", "protocol": T}, {"port": 80, "name": "a", "protocol": T},
      {"port": 81, "name": "C", "protocol": T}]),
    ([{"port": 80, "name": "a", "protocol": T}], [{"port": 80, "name": "b"}], [{"port": 80, "name": "a", "protocol": T}]),
    ([{"port": 80, "name": "a"}], [{"port": 80, "name": "b", "protocol": "UDP"}], [{"port": 80, "name": "a"}]),
    ([{"port": 53, "protocol": T, "name": "t"}, {"port": 53, "protocol": "UDP", "name": "u"}],
     [{"port": 53, "protocol": "UDP", "name": "U"}],
     [{"port": 53, "protocol": T, "name": "t"}, {"port": 53, "protocol": "UDP", "name": "U"}]),
    ([{"port": 80, "protocol": T}, {"port": 81}], [{"port": 81, "name": "C"}],
     [{"port": 80, "protocol": T}, {"port": 81, "name": "C"}]),
    ([{"port": 80, "protocol": T}], [{"port": 81, "name": "x"}], [{"port": 81, "name": "x"}, {"port": 80, "protocol": T}]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("base", "patch", "want"),
    CASES,
    ids=["no-protocol-patch-first", "protocol-new-first-matched-in-place", "protocol-missing-in-patch-dropped",
         "protocol-only-in-patch-dropped", "same-port-two-protocols", "one-protocol-switches-the-key",
         "new-port-first"],
)  # fmt: skip
def test_service_ports_like_kustomize(base: list[Any], patch: list[Any], want: list[Any]) -> None:
    assert strategic_merge(svc(base), svc(patch)) == svc(want)


def test_container_ports_use_container_port() -> None:
    base = {"containers": [{"name": "a", "ports": [{"containerPort": 80, "protocol": T}, {"containerPort": 81}]}]}
    patch = {"containers": [{"name": "a", "ports": [{"containerPort": 81, "name": "m"}, {"containerPort": 82}]}]}
    got = strategic_merge(base, patch)
    assert got["containers"][0]["ports"] == [
        {"containerPort": 82}, {"containerPort": 80, "protocol": T}, {"containerPort": 81, "name": "m"}
    ]  # fmt: skip
