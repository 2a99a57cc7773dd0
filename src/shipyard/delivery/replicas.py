"""Canary replica math (``AR:utils/replicaset/canary.go``, ``AR:utils/replicaset/replicaset.go``).

Basic canary approximates the weight with pod counts inside the maxSurge/maxUnavailable budget; a
traffic-routed canary sizes pods from the weight (or ``setCanaryScale``) and leaves stable at R unless
``dynamicStableScale``. Pure integer functions, table-tested with the values in Argo's unit tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DEFAULT_SURGE = "25%"
DEFAULT_UNAVAILABLE = "25%"


def _resolve(value: int | str | None, default: str, total: int, *, round_up: bool) -> int:
    v = default if value is None else value
    if isinstance(v, int):
        return v
    text = v.strip()
    if text.endswith("%"):
        pct = int(text[:-1])
        exact = pct * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    # Argo's defaults are the bare strings "25", read as 25% by intstr.GetValueFromIntOrPercent
    pct = int(text)
    exact = pct * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(
    max_surge: int | str | None, max_unavailable: int | str | None, replicas: int
) -> tuple[int, int]:
    """(surge, unavailable): surge % rounds up, unavailable % rounds down; both 0 ⇒ unavailable 1."""
    surge = _resolve(max_surge, DEFAULT_SURGE, replicas, round_up=True)
    unavailable = _resolve(max_unavailable, DEFAULT_UNAVAILABLE, replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        return 0, 1
    return surge, unavailable


def _tied(weight: int, replicas: int) -> bool:
    return (weight * replicas) % 100 == 50


def approximate_canary_stable(replicas: int, weight: int, max_surge: int, max_weight: int = 100) -> tuple[int, int]:
    """``approximateWeightedCanaryStableReplicaCounts``: the (canary, stable) pair closest to ``weight``."""
    if replicas == 0:
        return 0, 0
    w = weight * 100 / max_weight if max_weight != 100 else weight
    zero_ok = w in (0, 100) or (replicas == 1 and max_surge == 0)
    options: list[tuple[int, int]] = []
    totals = [replicas, replicas + 1] if max_surge > 0 else [replicas]
    for total in totals:
        ceil_c = math.ceil(total * w / 100)
        floor_c = math.floor(total * w / 100)
        if ceil_c < total or zero_ok:
            options.append((ceil_c, total))
        if not _tied(int(w), total) and (floor_c != 0 or zero_ok):
            options.append((floor_c, total))
    if not options:
        return 0, replicas
    best = options[0]
    best_delta = abs(best[0] * 100 / best[1] - w)
    for opt in options[1:]:
        delta = abs(opt[0] * 100 / opt[1] - w)
        if delta < best_delta:
            best, best_delta = opt, delta
    return best[0], best[1] - best[0]


@dataclass(frozen=True, slots=True)
class RSCount:
    """What the math needs of a ReplicaSet: desired (spec) and available pods."""

    spec: int
    available: int


def _for_scale_down(rs: RSCount | None, ignore_availability: bool) -> int:
    if rs is None:
        return 0
    if rs.spec < rs.available or ignore_availability:
        return rs.spec
    return rs.available


def _scale_down_to(rs: RSCount | None, desired: int, scale_down: int, current: int) -> int:
    if rs is not None and rs.spec > desired:
        return desired if rs.spec - scale_down < desired else rs.spec - scale_down
    return current


def basic_canary_counts(
    replicas: int,
    weight: int,
    surge: int,
    unavailable: int,
    canary: RSCount | None,
    stable: RSCount | None,
    others_spec: int = 0,
) -> tuple[int, int]:
    """``CalculateReplicaCountsForBasicCanary``: the next (canary, stable) spec counts within the budget."""
    want_canary, want_stable = approximate_canary_stable(replicas, weight, surge)
    new_c = canary.spec if canary else 0
    new_s = stable.spec if stable else 0
    max_allowed = replicas + surge
    scale_up = max_allowed - (new_c + new_s + others_spec)
    if scale_up > 0:
        if stable is not None and new_s < want_stable:
            grow = min(scale_up, want_stable - new_s)
            new_s += grow
            scale_up -= grow
        if canary is not None and new_c < want_canary and scale_up > 0:
            new_c += min(scale_up, want_canary - new_c)
    if others_spec > 0:
        return new_c, new_s
    min_available = replicas - unavailable
    increasing = canary is None or want_canary >= canary.spec
    can_down = _for_scale_down(canary, not increasing) + _for_scale_down(stable, increasing)
    if can_down <= min_available:
        return new_c, new_s
    scale_down = can_down - min_available
    if increasing:
        new_s = _scale_down_to(stable, want_stable, scale_down, new_s)
        new_c = min(new_c, max(0, max_allowed - new_s)) if canary is not None else new_c
    else:
        new_c = _scale_down_to(canary, want_canary, scale_down, new_c)
        new_s = min(new_s, max(0, max_allowed - new_c)) if stable is not None else new_s
    return new_c, new_s


def weight_to_replicas(replicas: int, weight: int, max_weight: int = 100) -> int:
    return math.ceil(weight * replicas / max_weight)


def min_pods(count: int, replicas: int, minimum: int | None) -> int:
    """``CheckMinPodsPerReplicaSet``: a non-zero count is raised to the minimum (capped at R)."""
    if minimum is None or count == 0:
        return count
    return max(count, min(minimum, replicas))


def traffic_routed_counts(
    replicas: int,
    weight: int,
    *,
    max_weight: int = 100,
    canary_scale_replicas: int | None = None,
    dynamic_stable_scale: bool = False,
    min_pods_per_rs: int | None = None,
    actual_canary_weight: int | None = None,
    actual_stable_weight: int | None = None,
    aborted: bool = False,
) -> tuple[int, int]:
    """``CalculateReplicaCountsForTrafficRoutedCanary``: (canary, stable) pods for a routed weight."""
    if canary_scale_replicas is not None:
        canary = canary_scale_replicas
    else:
        canary = min_pods(weight_to_replicas(replicas, weight, max_weight), replicas, min_pods_per_rs)
    if not dynamic_stable_scale:
        return canary, replicas
    stable = min_pods(weight_to_replicas(replicas, max_weight - weight, max_weight), replicas, min_pods_per_rs)
    if actual_stable_weight is not None:
        stable = max(stable, weight_to_replicas(replicas, actual_stable_weight, max_weight))
    if aborted and actual_canary_weight is not None:
        canary = max(canary, weight_to_replicas(replicas, actual_canary_weight, max_weight))
    return canary, stable
