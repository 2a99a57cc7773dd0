"""The sync agent: for each application, fetch its source at the target revision, render, diff against the
cluster, and — when auto-sync says so, or on request — apply in wave and kind order, prune, assess health and
record history. Level-triggered from stored state: every call to ``reconcile`` starts from what is stored.

Argo CD semantics kept: auto-sync only when OutOfSync, one attempt per (revision) unless ``selfHeal`` (drift) or
``retry``; a wave waits for the previous wave to be Healthy; rollback re-applies a history entry and turns
auto-sync off; a render or validation failure marks the app Unknown with the message and writes nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from shipyard.clock import Clock, SystemClock, rfc3339
from shipyard.cluster.base import Cluster, make_kind_key
from shipyard.controllers.sync_metrics import SyncMetrics
from shipyard.controllers.sync_store import AppStore
from shipyard.errors import NotFoundError, ShipyardError
from shipyard.gitops.app import AppSpec
from shipyard.gitops.diff import TRACKING, Key, SyncStatus, compare, key_of
from shipyard.gitops.health import Health, resource_health, roll_up
from shipyard.gitops.plan import Op, history_entry, plan_sync, prepare, tracking_id, trim_history
from shipyard.gitops.render import render_app
from shipyard.store.db import Database
from shipyard.vcs.git import GitCache, resolve_and_export


def _annotation(obj: dict[str, Any], name: str) -> Any:
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(name)


def _ck(k: Key) -> tuple[str, str, str]:
    group, kind, ns, name = k
    return make_kind_key(f"{group}/v1" if group else "v1", kind), ns, name


class SyncAgent:
    def __init__(
        self,
        cluster: Cluster,
        db: Database,
        cache_dir: Path,
        *,
        registry: CollectorRegistry | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.cluster = cluster
        self.db = db
        self.store = AppStore(db)
        self.cache = GitCache(cache_dir)
        self.clock = clock or SystemClock()
        self.metrics = SyncMetrics(registry or CollectorRegistry())

    # ---- storage (shipyard.controllers.sync_store) ------------------------------------------------------------

    def create_app(self, spec: AppSpec, *, replace: bool = False) -> dict[str, Any]:
        self.store.create(spec, replace=replace)
        return self.get(spec.name)

    def _row(self, name: str) -> tuple[AppSpec, dict[str, Any], list[dict[str, Any]]]:
        return self.store.row(name)

    def _save(self, app: AppSpec, status: dict[str, Any], history: list[dict[str, Any]]) -> None:
        self.store.save(app, status, history)

    def get(self, name: str) -> dict[str, Any]:
        app, status, history = self._row(name)
        return {"name": name, "spec": app.to_dict(), "status": status, "history": history}

    def list_apps(self) -> list[dict[str, Any]]:
        return [self.get(n) for n in self.store.names()]

    def history(self, name: str) -> list[dict[str, Any]]:
        return self._row(name)[2]

    def delete(self, name: str) -> None:
        self.store.delete(name)

    # ---- the loop ------------------------------------------------------------------------------------------

    def run_once(self) -> dict[str, dict[str, Any]]:
        """Reconcile every app once, dependencies (Flux dependsOn) first."""
        out: dict[str, dict[str, Any]] = {}
        for app in self.list_apps():
            spec = AppSpec.from_dict(app["spec"])
            blocked = [
                d for d in spec.depends_on if (out.get(d) or self.get(d)["status"]).get("health", {}).get("status") != "Healthy"
            ] if spec.depends_on else []  # fmt: skip
            if blocked:
                out[spec.name] = self._condition(
                    spec.name, "DependencyNotReady", f"dependencies not ready: {', '.join(blocked)}"
                )
                continue
            out[spec.name] = self.reconcile(spec.name)
        return out

    def serve(self, should_stop: Callable[[], bool], *, interval: float = 180.0) -> int:
        """Poll every ``interval`` seconds (Argo CD's timeout.reconciliation default: 180 s) until ``should_stop``;
        returns the number of passes. A webhook calls ``poke`` in between for an immediate refresh."""
        passes = 0
        while not should_stop():
            self.run_once()
            passes += 1
            self.clock.sleep(interval)
        return passes

    def poke(self, repo_url: str) -> list[str]:
        """A push webhook: refresh now every app whose source is ``repo_url``."""
        names = [a["name"] for a in self.list_apps() if a["spec"]["repo_url"] == repo_url]
        for n in names:
            self.reconcile(n)
        return names

    def reconcile(self, name: str) -> dict[str, Any]:
        return self._reconcile(name, manual=False)

    def sync(self, name: str, *, revision: str | None = None, prune: bool | None = None) -> dict[str, Any]:
        return self._reconcile(name, manual=True, revision=revision, prune=prune)

    def rollback(self, name: str, history_id: int) -> dict[str, Any]:
        app, status, history = self._row(name)
        entry = next((h for h in history if h["id"] == history_id), None)
        if entry is None:
            raise NotFoundError(f"application {name!r} has no history entry {history_id}")
        # Argo CD: a rollback disables auto-sync, or the next refresh would undo it.
        app = app.with_auto_sync(False)
        self._save(app, status, history)
        return self._reconcile(name, manual=True, revision=entry["revision"], images=tuple(entry.get("images") or ()))

    def _condition(self, name: str, ctype: str, message: str) -> dict[str, Any]:
        app, status, history = self._row(name)
        status["conditions"] = [{"type": ctype, "message": message}]
        self._save(app, status, history)
        return status

    def _live(self, keys: set[Key]) -> dict[Key, dict[str, Any]]:
        out: dict[Key, dict[str, Any]] = {}
        for k in keys:
            obj = self.cluster.get(*_ck(k))
            if obj is not None:
                out[k] = obj
        return out

    def _render(self, app: AppSpec, revision: str) -> tuple[str, list[dict[str, Any]]]:
        scratch = Path(tempfile.mkdtemp(prefix="shipyard-sync-"))
        try:
            sha = resolve_and_export(self.cache, app.repo_url, revision, scratch)
            return sha, prepare(app, render_app(scratch, app))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _reconcile(
        self, name: str, *, manual: bool, revision: str | None = None, prune: bool | None = None,
        images: tuple[str, ...] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        start = self.clock.monotonic()
        app, status, history = self._row(name)
        render_app_spec = app if images is None else AppSpec.from_dict({**app.to_dict(), "images": list(images)})
        inventory: set[Key] = {(str(k[0]), str(k[1]), str(k[2]), str(k[3])) for k in status.get("inventory") or []}
        op = dict(status.get("operationState") or {})
        try:
            sha, desired = self._render(render_app_spec, revision or app.revision)
        except ShipyardError as exc:
            status = self._failed_compare(app, status, inventory, exc)
            if manual:
                self._finish_op(app, status, "Error", str(exc), revision or app.revision)
            self._save(app, status, history)
            self.metrics.observe(app, status, self.clock.monotonic() - start)
            return status
        keys = {key_of(d) for d in desired} | inventory
        live = self._live(keys)
        # An inventory entry whose live object now carries another app's tracking id is no longer ours: Argo CD
        # decides ownership by the annotation, so it is neither shown nor pruned (another app took it over).
        inventory = {
            k for k in inventory if k not in live or _annotation(live[k], TRACKING) in (None, tracking_id(app.name, k))
        }
        sync_status, diffs = compare(desired, live, inventory, app.ignore)
        if manual or self._should_auto_sync(app, sync_status, op, sha, desired):
            status, inventory, history = self._sync(app, status, history, diffs, inventory, sha, prune, op)
            sync_status, diffs = compare(desired, self._live(keys), inventory, app.ignore)
        live_now = self._live(keys)
        resources = []
        health_items = []
        for d in diffs:
            h = resource_health(live_now.get(d.key))
            health_items.append((h, d.key in live_now and not d.requires_pruning))
            resources.append({"group": d.key[0], "kind": d.key[1], "namespace": d.key[2], "name": d.key[3],
                              "status": d.status.value, "health": h.status.value, "message": h.message,
                              "requiresPruning": d.requires_pruning})  # fmt: skip
        status.update(
            sync={"status": sync_status.value, "revision": sha, "targetRevision": revision or app.revision},
            health={"status": roll_up(health_items).value},
            resources=resources,
            conditions=[],
            reconciledAt=rfc3339(self.clock.now()),
        )
        self._save(app, status, history)
        self.metrics.observe(app, status, self.clock.monotonic() - start)
        return status

    def _failed_compare(
        self, app: AppSpec, status: dict[str, Any], inventory: set[Key], exc: Exception
    ) -> dict[str, Any]:
        live = self._live(inventory)
        health = roll_up((resource_health(live.get(k)), k in live) for k in inventory)
        status.update(
            sync={"status": SyncStatus.Unknown.value, "revision": (status.get("sync") or {}).get("revision", "")},
            health={"status": (health if inventory else Health.Unknown).value},
            conditions=[{"type": "ComparisonError", "message": str(exc)}],
            reconciledAt=rfc3339(self.clock.now()),
        )
        return status

    def _should_auto_sync(
        self, app: AppSpec, sync_status: SyncStatus, op: dict[str, Any], sha: str, desired: list[Any]
    ) -> bool:
        if op.get("phase") == "Running" and op.get("revision") == sha:
            return True  # a wave sync in progress continues
        if not app.automated or sync_status is not SyncStatus.OutOfSync:
            return False
        if not desired and not app.allow_empty:
            return False
        if op.get("revision") != sha:
            return True
        if op.get("phase") == "Succeeded":
            return app.self_heal  # drift on an already-synced revision is only reverted with selfHeal
        failed = int(op.get("retryCount", 0))
        if app.retry_limit != -1 and failed > app.retry_limit:
            return False
        return self.clock.now() >= float(op.get("nextRetryAt", 0))

    def _sync(
        self, app: AppSpec, status: dict[str, Any], history: list[dict[str, Any]], diffs: list[Any],
        inventory: set[Key], sha: str, prune: bool | None, op: dict[str, Any],
    ) -> tuple[dict[str, Any], set[Key], list[dict[str, Any]]]:  # fmt: skip
        do_prune = app.prune if prune is None else prune
        waves = plan_sync(diffs, prune=do_prune)
        started = op.get("startedAt") if op.get("phase") == "Running" else rfc3339(self.clock.now())
        applied: list[dict[str, Any]] = []
        desired_keys = {d.key for d in diffs if d.desired is not None}
        for i, wave in enumerate(waves):
            for action in wave:
                try:
                    if action.op is Op.apply:
                        self.cluster.apply(action.obj)
                    else:
                        self.cluster.delete(*_ck(action.key))
                        inventory.discard(action.key)
                except ShipyardError as exc:
                    self._finish_op(
                        app, status, "Failed", f"{action.op} {action.key[1]} {action.key[3]}: {exc}", sha, op
                    )
                    return status, inventory | desired_keys, history
                applied.append({"kind": action.key[1], "namespace": action.key[2], "name": action.key[3],
                                "op": action.op.value})  # fmt: skip
            later = any(a.op is Op.apply for w in waves[i + 1 :] for a in w)
            if later and any(
                resource_health(self.cluster.get(*_ck(a.key))).status is not Health.Healthy
                for a in wave
                if a.op is Op.apply
            ):
                status["operationState"] = {"phase": "Running", "revision": sha, "startedAt": started,
                                            "message": f"waiting for wave {wave[0].wave} to become healthy"}  # fmt: skip
                status["inventory"] = sorted(list(k) for k in (inventory | desired_keys))
                return status, inventory | desired_keys, history
        self._finish_op(app, status, "Succeeded", "successfully synced", sha, op, started=started, resources=applied)
        hid = (history[-1]["id"] + 1) if history else 0
        history = trim_history([*history, history_entry(hid, sha, app, rfc3339(self.clock.now()))], app.history_limit)
        status["inventory"] = sorted(list(k) for k in (inventory | desired_keys))
        return status, inventory | desired_keys, history

    def _finish_op(
        self, app: AppSpec, status: dict[str, Any], phase: str, message: str, revision: str,
        op: dict[str, Any] | None = None, *, started: str | None = None, resources: list[Any] | None = None,
    ) -> None:  # fmt: skip
        prev = op or {}
        # retryCount counts failed attempts on this revision; Argo's retry.limit is how many retries follow the first.
        same = prev.get("revision") == revision and prev.get("phase") in ("Failed", "Error")
        retries = (int(prev.get("retryCount", 0)) if same else 0) + 1 if phase != "Succeeded" else 0
        backoff = min(app.retry_max, app.retry_backoff * (app.retry_factor ** max(0, retries - 1)))
        status["operationState"] = {
            "phase": phase, "message": message, "revision": revision,
            "startedAt": started or rfc3339(self.clock.now()), "finishedAt": rfc3339(self.clock.now()),
            "retryCount": retries if phase != "Succeeded" else 0,
            "nextRetryAt": self.clock.now() + backoff if phase != "Succeeded" else 0,
            "syncResult": {"revision": revision, "resources": resources or []},
        }  # fmt: skip
        self.metrics.sync_completed(app, phase)
