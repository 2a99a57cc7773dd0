"""Which validator reads which kind. Keyed by ``group/Kind`` (the version is checked by the validator itself).

Validators are imported lazily so that ``shipyard lint`` on a Tekton file does not load the Argo models.
A validator takes a ``Document`` and an ``Issues`` collector and adds every problem it finds.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from shipyard.resources.loader import Document
from shipyard.resources.validate import Issues, did_you_mean

Validator = Callable[[Document, Issues], None]

# "group/Kind" -> "module:function". Core Kubernetes kinds have the empty group.
KINDS: dict[str, str] = {
    "argoproj.io/Rollout": "shipyard.resources.rollouts:validate_rollout",
    "argoproj.io/AnalysisTemplate": "shipyard.resources.analysis:validate_analysis_template",
    "argoproj.io/ClusterAnalysisTemplate": "shipyard.resources.analysis:validate_analysis_template",
    "argoproj.io/AnalysisRun": "shipyard.resources.analysis:validate_analysis_run",
    "flagger.app/Canary": "shipyard.resources.flagger:validate_canary",
    "flagger.app/MetricTemplate": "shipyard.resources.flagger:validate_metric_template",
    "triggers.tekton.dev/EventListener": "shipyard.resources.triggers_validate:validate_event_listener",
    "triggers.tekton.dev/TriggerBinding": "shipyard.resources.triggers_validate:validate_trigger_binding",
    "triggers.tekton.dev/ClusterTriggerBinding": "shipyard.resources.triggers_validate:validate_trigger_binding",
    "triggers.tekton.dev/TriggerTemplate": "shipyard.resources.triggers_validate:validate_trigger_template",
    "triggers.tekton.dev/Trigger": "shipyard.resources.triggers_validate:validate_trigger",
    "kyverno.io/ClusterPolicy": "shipyard.resources.kyverno:validate_cluster_policy",
    "kyverno.io/Policy": "shipyard.resources.kyverno:validate_cluster_policy",
    "tekton.dev/Task": "shipyard.pipelines.validation:validate_document",
    "tekton.dev/ClusterTask": "shipyard.pipelines.validation:validate_document",
    "tekton.dev/Pipeline": "shipyard.pipelines.validation:validate_document",
    "tekton.dev/PipelineRun": "shipyard.pipelines.validation:validate_document",
    "tekton.dev/TaskRun": "shipyard.pipelines.validation:validate_document",
    "/ConfigMap": "shipyard.pipelines.validation:validate_document",
    "/Secret": "shipyard.pipelines.validation:validate_document",
    "/PersistentVolumeClaim": "shipyard.pipelines.validation:validate_document",
    "argoproj.io/Application": "shipyard.resources.argocd:validate_application",
    "source.toolkit.fluxcd.io/GitRepository": "shipyard.resources.flux:validate_git_repository",
    "kustomize.toolkit.fluxcd.io/Kustomization": "shipyard.resources.flux:validate_kustomization",
}


def register(key: str, target: str) -> None:
    KINDS[key] = target


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def kind_key(doc: Document) -> str:
    return f"{_group(doc.api_version or '')}/{doc.kind}"


def validator_for(doc: Document) -> Validator | None:
    target = KINDS.get(kind_key(doc))
    if target is None:
        return None
    module, _, func = target.partition(":")
    fn: Validator = getattr(importlib.import_module(module), func)
    return fn


def lint(doc: Document, issues: Issues) -> None:
    """Check one document: it has apiVersion and kind, the kind is known, and its validator passes."""
    if not isinstance(doc.data, dict):
        issues.add((), "a resource must be a mapping with apiVersion, kind and metadata")
        return
    if not isinstance(doc.api_version, str) or not doc.api_version:
        issues.add(("apiVersion",), "required field is missing")
    if not isinstance(doc.kind, str) or not doc.kind:
        issues.add(("kind",), "required field is missing")
        return
    if issues.items:
        return
    validator = validator_for(doc)
    if validator is None:
        known = sorted({k for k in KINDS})
        hint = did_you_mean(kind_key(doc), known)
        issues.add(("kind",), f'unknown kind "{doc.api_version}, Kind={doc.kind}"{hint}')
        return
    validator(doc, issues)
