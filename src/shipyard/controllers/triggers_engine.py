"""Hands what a trigger creates to the pipeline engine: the ``RunSubmitter`` the sink calls, adapting
``shipyard.controllers.pipelines.PipelineService.submit(run, resources)``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from shipyard.errors import UnsupportedError
from shipyard.resources.loader import Document

RUN_KINDS = ("PipelineRun", "TaskRun")


def _for_engine(doc: Document) -> bool:
    api = doc.api_version or ""
    if api.startswith("tekton.dev/"):
        return True
    return api == "v1" and doc.kind in ("ConfigMap", "Secret")


class PipelineSubmit(Protocol):
    def submit(self, run: dict[str, Any], resources: list[Document]) -> str: ...


class EngineSubmitter:
    """Submits PipelineRuns and TaskRuns with the Tasks/Pipelines loaded beside the listener (for ``*Ref``s)."""

    def __init__(self, service: PipelineSubmit, resources: Sequence[Document]) -> None:
        self.service = service
        # The engine reads only what runs may refer to; the listener's own kinds are not its business.
        self.resources = [d for d in resources if _for_engine(d)]

    def submit(self, resource: dict[str, Any]) -> str:
        kind = resource.get("kind")
        if kind not in RUN_KINDS or not str(resource.get("apiVersion", "")).startswith("tekton.dev/"):
            raise UnsupportedError(
                f"a TriggerTemplate may create {' or '.join(RUN_KINDS)} (tekton.dev) here, not {resource.get('apiVersion')} {kind}"
            )
        return self.service.submit(resource, self.resources)
