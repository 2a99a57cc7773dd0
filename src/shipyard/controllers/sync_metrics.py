"""Argo CD's application-controller metrics, exactly named (controller/metrics/metrics.go)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from shipyard.gitops.app import AppSpec

INFO_LABELS = ["namespace", "name", "project", "autosync_enabled", "repo", "dest_server", "dest_namespace",
               "sync_status", "health_status", "operation"]  # fmt: skip


def normalize_repo(url: str) -> str:
    """Argo CD's NormalizeGitURL, roughly: lower-case, no ``.git`` suffix, no trailing slash."""
    out = url.strip().lower().rstrip("/")
    return out[:-4] if out.endswith(".git") else out


class SyncMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.info = Gauge("argocd_app_info", "Information about application.", INFO_LABELS, registry=registry)
        self.sync_total = Counter(
            "argocd_app_sync", "Number of application syncs.",
            ["namespace", "name", "project", "dest_server", "phase", "dry_run"], registry=registry,
        )  # fmt: skip
        self.reconcile = Histogram(
            "argocd_app_reconcile", "Application reconciliation performance in seconds.",
            ["namespace", "dest_server"], buckets=(0.25, 0.5, 1, 2, 4, 8, 16), registry=registry,
        )  # fmt: skip
        self._info_labels: dict[str, tuple[str, ...]] = {}

    def sync_completed(self, app: AppSpec, phase: str) -> None:
        self.sync_total.labels(app.namespace, app.name, app.project, app.dest_server, phase, "false").inc()

    def observe(self, app: AppSpec, status: dict[str, Any], seconds: float) -> None:
        op = (status.get("operationState") or {}).get("phase")
        labels = (
            app.namespace, app.name, app.project, "true" if app.automated else "false", normalize_repo(app.repo_url),
            app.dest_server, app.dest_namespace, (status.get("sync") or {}).get("status") or "Unknown",
            (status.get("health") or {}).get("status") or "Unknown", "sync" if op == "Running" else "",
        )  # fmt: skip
        old = self._info_labels.get(app.name)
        if old is not None and old != labels:
            self.info.remove(*old)
        self.info.labels(*labels).set(1)
        self._info_labels[app.name] = labels
        self.reconcile.labels(app.namespace, app.dest_server).observe(max(0.0, seconds))
