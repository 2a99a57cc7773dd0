"""Provider options every HTTP provider reads the same way, checked so a wrong type is a ProviderError (the
measurement becomes Error with the message) instead of a ValueError/KeyError escaping into the controller."""

from __future__ import annotations

from typing import Any

from shipyard.errors import ProviderError


def timeout_of(value: Any, default: float, what: str) -> float:
    if value is None or value == "":
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError) as exc:
        raise ProviderError(f"{what} must be a number of seconds, got {value!r}") from exc
    if seconds <= 0:
        raise ProviderError(f"{what} must be positive, got {value!r}")
    return seconds


def headers_of(value: Any, what: str) -> dict[str, str]:
    """``headers: [{key, value}]`` (Argo's WebMetricHeader list)."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(h, dict) and "key" in h and "value" in h for h in value):
        raise ProviderError(f"{what} must be a list of {{key, value}}")
    return {str(h["key"]): str(h["value"]) for h in value}
