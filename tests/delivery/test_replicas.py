"""Canary replica math, table-tested with the worked values of AR:utils/replicaset/canary_test.go (reference §3.4,
scenarios A1-A3, A8)."""

from __future__ import annotations

import pytest

from shipyard.delivery.replicas import (
    RSCount,
    approximate_canary_stable,
    basic_canary_counts,
    min_pods,
    resolve_fenceposts,
    traffic_routed_counts,
)

# (R, w, maxSurge) -> (canary, stable): TestApproximateWeightedNewStableReplicaCounts + docs/features/canary
APPROX = [
    (1, 49, 0, 0, 1),
    (1, 50, 0, 1, 0),
    (1, 1, 1, 1, 1),
    (1, 50, 1, 1, 1),
    (2, 1, 0, 1, 1),
    (2, 1, 1, 1, 2),
    (2, 99, 1, 2, 1),
    (3, 25, 0, 1, 2),
    (3, 50, 0, 2, 1),
    (3, 10, 1, 1, 3),
    (3, 49, 1, 2, 2),
    (10, 14, 0, 1, 9),
    (10, 15, 0, 2, 8),
    (10, 99, 0, 9, 1),
    (10, 1, 1, 1, 10),
    (10, 18, 1, 2, 9),
    (10, 20, 1, 2, 8),
    (10, 24, 1, 3, 8),
    (10, 99, 1, 10, 1),
    (10, 100, 1, 10, 0),
    (10, 41, 0, 4, 6),
]


@pytest.mark.parametrize(
    ("r", "w", "surge", "canary", "stable"), APPROX, ids=[f"A1-R{c[0]}-w{c[1]}-S{c[2]}" for c in APPROX]
)
def test_approximate_weighted_counts(r: int, w: int, surge: int, canary: int, stable: int) -> None:
    assert approximate_canary_stable(r, w, surge) == (canary, stable)


@pytest.mark.parametrize(
    ("surge", "unavailable", "r", "want"),
    [
        ("25%", "25%", 1, (1, 0)),
        ("25%", "25%", 8, (2, 2)),
        ("25%", "25%", 4, (1, 1)),
        (0, 0, 10, (0, 1)),
        ("0%", "0%", 3, (0, 1)),
        (2, 0, 10, (2, 0)),
        ("25", "25", 10, (3, 2)),
    ],
    ids=[
        "defaults-R1",
        "defaults-R8",
        "defaults-R4",
        "both-zero-unavailable-1",
        "both-zero-pct",
        "ints",
        "bare-25-is-pct",
    ],
)
def test_resolve_fenceposts(surge: int | str, unavailable: int | str, r: int, want: tuple[int, int]) -> None:
    """AR:utils/replicaset/replicaset.go resolveFenceposts: surge rounds up, unavailable down, 0/0 ⇒ 1."""
    assert resolve_fenceposts(surge, unavailable, r) == want


def test_A2_surge_budget_first_reconcile_then_stable_shrinks() -> None:
    """TestCalculateReplicaCountsForCanary: R=10, w=20, S=2, U=0."""
    assert basic_canary_counts(10, 20, 2, 0, RSCount(0, 0), RSCount(10, 10)) == (2, 10)
    assert basic_canary_counts(10, 20, 2, 0, RSCount(2, 2), RSCount(10, 10)) == (2, 8)


def test_A2_surge_cap_limits_canary() -> None:
    assert basic_canary_counts(10, 30, 2, 0, RSCount(0, 0), RSCount(10, 10)) == (2, 10)


def test_A2_unavailable_budget_shrinks_stable_first() -> None:
    assert basic_canary_counts(10, 20, 0, 2, RSCount(0, 0), RSCount(10, 10)) == (0, 8)
    assert basic_canary_counts(10, 20, 0, 2, RSCount(0, 0), RSCount(8, 8)) == (2, 8)


def test_abort_scales_canary_down_at_once() -> None:
    """A4: basic canary, weight 0 after abort: the canary goes 1 → 0 without waiting."""
    assert basic_canary_counts(1, 0, 1, 0, RSCount(1, 1), RSCount(1, 1)) == (0, 1)


@pytest.mark.parametrize(("r", "want"), [(1, (1, 1)), (8, (2, 6)), (4, (1, 3))], ids=["A3-R1", "A3-R8", "A3-R4"])
def test_A3_scaling_while_paused(r: int, want: tuple[int, int]) -> None:
    """TestRolloutScalingWhenPaused: setWeight 25 with default 25%/25%."""
    surge, _ = resolve_fenceposts(None, None, r)
    assert approximate_canary_stable(r, 25, surge) == want


@pytest.mark.parametrize(
    ("kw", "want"),
    [
        ({"weight": 0}, (0, 4)),
        ({"weight": 25}, (1, 4)),
        ({"weight": 50, "canary_scale_replicas": 3}, (3, 4)),
        ({"weight": 50}, (2, 4)),
        ({"weight": 100}, (4, 4)),
        ({"weight": 25, "dynamic_stable_scale": True}, (1, 3)),
        ({"weight": 75, "dynamic_stable_scale": True}, (3, 1)),
        ({"weight": 75, "dynamic_stable_scale": True, "actual_stable_weight": 75}, (3, 3)),
        ({"weight": 0, "dynamic_stable_scale": True, "aborted": True, "actual_canary_weight": 75}, (3, 4)),
        ({"weight": 10, "min_pods_per_rs": 2}, (2, 4)),
    ],
    ids=[
        "A8-index0",
        "A8-scale-weight-25",
        "A8-scale-replicas-3",
        "A8-match-traffic-50",
        "A8-healthy",
        "A13-dynamic-25",
        "A13-dynamic-75",
        "A13-stable-held-by-actual-weight",
        "A13-abort-keeps-canary",
        "minPods",
    ],
)
def test_traffic_routed_counts(kw: dict[str, object], want: tuple[int, int]) -> None:
    """CalculateReplicaCountsForTrafficRoutedCanary with R=4."""
    assert traffic_routed_counts(4, **kw) == want  # type: ignore[arg-type]


def test_min_pods_caps_at_replicas_and_leaves_zero() -> None:
    assert min_pods(0, 4, 2) == 0
    assert min_pods(1, 1, 3) == 1
