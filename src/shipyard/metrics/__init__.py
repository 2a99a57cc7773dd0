"""Metric providers (backends that do I/O) behind ``shipyard.delivery.providers.base.MetricProvider``:
``prometheus``, ``web`` and ``job``, one module each, built by ``providers()`` keyed by the YAML key."""

from shipyard.metrics.registry import providers

__all__ = ["providers"]
