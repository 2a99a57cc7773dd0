"""Hands what a trigger creates to the pipeline engine: the ``RunSubmitter`` the sink calls, adapting
``shipyard.controllers.pipelines.PipelineService.submit(run, resources)``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from prometheus_client import CollectorRegistry

from shipyard.controllers.triggers import DEFAULT_MAX_BODY_BYTES, EventListenerSink, EventReport
from shipyard.controllers.triggers_http import ListenerServer
from shipyard.errors import UnsupportedError
from shipyard.pipelines.triggers.config import load_listener
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


def engine_listener(
    docs: Sequence[Document],
    service: PipelineSubmit,
    *,
    registry: CollectorRegistry | None = None,
    address: str = "127.0.0.1",
    port: int = 8080,
    listener: str | None = None,
    secret_override: bytes | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    on_report: Callable[[EventReport], None] | None = None,
) -> ListenerServer:
    """The EventListener in ``docs``, bound (not yet started) and feeding ``service``; the one call the CLI and
    the demo make. Pass the registry the service records Tekton metrics into so ``/metrics`` shows both."""
    config = load_listener(docs, default_uid=str(uuid.uuid4()), name=listener, secret_override=secret_override)
    sink = EventListenerSink(
        config,
        EngineSubmitter(service, docs),
        registry=registry,
        max_body_bytes=max_body_bytes,
        on_report=on_report,
    )
    return ListenerServer(sink, address=address, port=port)
