"""AnalysisRuns in the cluster: build them from a Rollout's request, reconcile them, terminate them.

Building flattens the referenced (Cluster)AnalysisTemplates and resolves the Rollout-side args
(``AR:rollout/analysis.go newAnalysisRunFromRollout``); reconciling hands the run to the pure
``delivery.analysis.run.reconcile_run`` with the metric providers injected by key.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from shipyard.clock import Clock
from shipyard.cluster.base import Cluster, Obj
from shipyard.delivery.analysis.run import reconcile_run
from shipyard.delivery.analysis.templates import flatten, merge_args, resolve_rollout_args
from shipyard.delivery.model import POD_HASH_LABEL, RunRequest
from shipyard.delivery.providers.base import MetricProvider, Observation, provider_key
from shipyard.errors import NotFoundError, ProviderError, SpecError
from shipyard.resources.analysis import AnalysisRun, AnalysisTemplateSpec, Metric
from shipyard.resources.rollouts import Rollout, RolloutAnalysis, TemplateRef

RUN = "argoproj.io/AnalysisRun"
TEMPLATE = "argoproj.io/AnalysisTemplate"
CLUSTER_TEMPLATE = "argoproj.io/ClusterAnalysisTemplate"


def template_lookup(cluster: Cluster, namespace: str) -> Callable[[TemplateRef], AnalysisTemplateSpec]:
    def lookup(ref: TemplateRef) -> AnalysisTemplateSpec:
        kind, ns = (CLUSTER_TEMPLATE, "") if ref.cluster_scope else (TEMPLATE, namespace)
        obj = cluster.get(kind, ns, ref.template_name)
        if obj is None:
            what = "ClusterAnalysisTemplate" if ref.cluster_scope else "AnalysisTemplate"
            raise NotFoundError(f'{what} "{ref.template_name}" not found')
        return AnalysisTemplateSpec.model_validate(obj.get("spec") or {})

    return lookup


def run_spec(cluster: Cluster, ro: Rollout, owner: Obj, analysis: RolloutAnalysis, latest_hash: str) -> dict[str, Any]:
    ns = ro.metadata.namespace or ""
    flat = flatten(analysis.templates, template_lookup(cluster, ns))
    stable = ((owner.get("status") or {}).get("stableRS")) or latest_hash
    given = resolve_rollout_args(analysis.args, stable_hash=stable, latest_hash=latest_hash, rollout=owner)
    args = merge_args(flat.args, given)
    return {
        "metrics": [m.model_dump(by_alias=True, exclude_none=True) for m in flat.metrics],
        "args": [a.model_dump(by_alias=True, exclude_none=True) for a in args],
        "dryRun": [r.model_dump(by_alias=True) for r in [*flat.dry_run, *analysis.dry_run]],
        "measurementRetention": [
            r.model_dump(by_alias=True) for r in [*flat.measurement_retention, *analysis.measurement_retention]
        ],
    }


def build_run(cluster: Cluster, ro: Rollout, owner: Obj, req: RunRequest) -> tuple[Obj, dict[str, Any] | None]:
    """The AnalysisRun object, and an Error status when its templates or args cannot be resolved."""
    labels = {POD_HASH_LABEL: req.pod_hash, "rollout-type": req.run_type}
    if req.step_index is not None:
        labels["step-index"] = str(req.step_index)
    meta = req.analysis.analysis_run_metadata if isinstance(req.analysis, RolloutAnalysis) else None
    annotations: dict[str, str] = {"rollout.argoproj.io/revision": str(req.revision)} if req.revision else {}
    if meta is not None:
        labels.update(meta.labels)
        annotations.update(meta.annotations)
    # newAnalysisRunFromRollout (AR:rollout/analysis.go): the Rollout's selector labels go on last
    labels.update((ro.spec.selector or {}).get("matchLabels") or {})
    try:
        spec = run_spec(cluster, ro, owner, req.analysis, req.pod_hash)
        status = None
    except (SpecError, NotFoundError) as exc:
        spec, status = {"metrics": []}, {"phase": "Error", "message": str(exc)}
    obj: Obj = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {
            "name": req.name,
            "namespace": ro.metadata.namespace or "",
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "Rollout",
                    "name": ro.metadata.name,
                    "uid": owner["metadata"].get("uid"),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": spec,
    }
    return obj, status


class AnalysisRunReconciler:
    def __init__(
        self,
        cluster: Cluster,
        clock: Clock,
        providers: Mapping[str, MetricProvider],
        secrets: Callable[[str, str, str], str] | None = None,
    ) -> None:
        self.cluster = cluster
        self.clock = clock
        self.providers = providers
        self.secrets = secrets
        self._due: dict[tuple[str, str], float] = {}

    def measure(self, metric: Metric) -> Observation:
        try:
            key = provider_key(metric.provider)
        except SpecError as exc:
            raise ProviderError(str(exc)) from exc
        provider = self.providers.get(key)
        if provider is None:
            raise ProviderError(
                f'metric provider "{key}" is not configured here (configured: {", ".join(sorted(self.providers)) or "none"})'
            )
        return provider.measure(metric, now=self.clock.now())

    def reconcile(self, obj: Obj) -> bool:
        ns, name = obj["metadata"].get("namespace") or "", obj["metadata"]["name"]
        status = obj.get("status")
        if (status or {}).get("phase") in ("Successful", "Failed", "Error", "Inconclusive"):
            self._due.pop((ns, name), None)
            return False
        due = self._due.get((ns, name))
        now = self.clock.now()
        if due is not None and now < due and not (obj.get("spec") or {}).get("terminate") and obj.get("status"):
            return False
        run = AnalysisRun.model_validate({**obj, "status": None})
        lookup = self.secrets or self._cluster_secret

        def secrets(secret: str, key: str) -> str:
            return lookup(ns, secret, key)

        outcome = reconcile_run(run.spec, status, now=now, measure=self.measure, secrets=secrets)
        if outcome.next_at is not None:
            self._due[(ns, name)] = outcome.next_at
        else:
            self._due.pop((ns, name), None)
        if outcome.status != obj.get("status"):
            self.cluster.update_status({**obj, "status": outcome.status})
            return True
        return False

    def sync_all(self) -> bool:
        wrote = False
        for obj in self.cluster.list(RUN):
            wrote |= self.reconcile(obj)
        return wrote

    def terminate(self, ns: str, name: str) -> bool:
        obj = self.cluster.get(RUN, ns, name)
        if obj is None or (obj.get("spec") or {}).get("terminate"):
            return False
        obj = copy.deepcopy(obj)
        obj["spec"]["terminate"] = True
        self.cluster.update(obj)
        return True

    def _cluster_secret(self, ns: str, name: str, key: str) -> str:
        """``valueFrom.secretKeyRef`` read from a Secret in the run's namespace (``data`` is base64)."""
        import base64
        import binascii

        secret = self.cluster.get("Secret", ns, name)
        if secret is None:
            raise NotFoundError(f'secret "{name}" not found in namespace "{ns}"')
        if key in (secret.get("stringData") or {}):
            return str(secret["stringData"][key])
        raw = (secret.get("data") or {}).get(key)
        if raw is None:
            raise NotFoundError(f'secret "{name}" has no key "{key}"')
        try:
            return base64.b64decode(raw, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise NotFoundError(f'secret "{name}" key "{key}" is not valid base64 text') from exc

    def due(self, now: float) -> set[tuple[str, str]]:
        return {key for key, t in self._due.items() if t <= now}

    def wake_times(self) -> list[float]:
        return list(self._due.values())
