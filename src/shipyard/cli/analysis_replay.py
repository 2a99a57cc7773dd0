"""``shipyard analysis replay``: the analysis core driven by a clock that walks Prometheus' history. Each
measurement is an instant query evaluated at that past time, so the verdict is the one the run would have
reached then."""

from __future__ import annotations

from typing import Any

from shipyard.clock import rfc3339
from shipyard.errors import ShipyardError


def _time(text: str) -> float:
    from shipyard.resources.timefmt import parse_time

    try:
        return float(text)
    except ValueError:
        try:
            return parse_time(text)
        except ValueError:
            raise ShipyardError(f"{text!r}: want RFC 3339 (2026-01-01T00:00:00Z) or epoch seconds") from None


def replay_history(spec: Any, start: str, end: str) -> dict[str, Any]:
    from shipyard.delivery.analysis.run import reconcile_run
    from shipyard.delivery.providers.base import provider_key
    from shipyard.metrics import providers

    t0, t1 = _time(start), _time(end)
    if t1 <= t0:
        raise ShipyardError("--to must be after --from")
    p = providers()
    clock = [t0]
    status: dict[str, Any] | None = None
    taken: list[dict[str, Any]] = []
    decided: float | None = None
    while clock[0] <= t1:
        out = reconcile_run(
            spec, status, now=clock[0], measure=lambda m: p[provider_key(m.provider)].measure(m, now=clock[0])
        )
        status = out.status
        for name, meas in out.new_measurements:
            taken.append(
                {
                    "time": meas["startedAt"],
                    "metric": name,
                    "value": meas.get("value", meas.get("message", "")),
                    "phase": meas["phase"],
                }
            )
        if out.next_at is None:
            decided = clock[0]
            break
        clock[0] = max(out.next_at, clock[0] + 1)
    assert status is not None
    phase = status.get("phase", "Running")
    report: dict[str, Any] = {"phase": phase, "message": status.get("message", ""), "measurements": taken}
    if decided is not None and phase != "Running":
        report["decidedAt"] = rfc3339(decided)
    return report
