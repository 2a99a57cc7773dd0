"""The EventListener sink: HTTP in, PipelineRuns out (tektoncd/triggers ``pkg/sink/sink.go``).

Every path and method is an event except ``/live`` (200 ``ok``) and ``/metrics``. A body that is not JSON gets
400 with ``errorMessage: "Invalid event body format : ..."`` (unless the listener has the annotation
``tekton.dev/payload-validation: "false"``); a body over ``max_body_bytes`` gets 413. Otherwise the answer is
202 with the event id *before* the triggers run: as upstream, they run asynchronously, so an interceptor
rejecting the event (a bad or missing signature) does not change the status code. A rejected trigger creates
nothing and is logged with its reason (never the secret). Created resources go to a ``RunSubmitter``.
"""

from __future__ import annotations

import json
import logging
import secrets as _random
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from shipyard.clock import Clock, SystemClock
from shipyard.controllers.triggers_metrics import metrics_for
from shipyard.errors import ShipyardError
from shipyard.pipelines.triggers.config import ListenerConfig
from shipyard.pipelines.triggers.headers import canonical
from shipyard.pipelines.triggers.listener import Event, TriggerOutcome, process_trigger

log = logging.getLogger("shipyard.triggers")
http_log = logging.getLogger("shipyard.triggers.http")  # requests refused before any trigger runs

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB; pushes are far smaller
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apiserver names.SimpleNameGenerator


class RunSubmitter(Protocol):
    def submit(self, resource: dict[str, Any]) -> str:
        """Start (or store) one created resource; returns its name or id."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class Created:
    trigger: str
    kind: str
    name: str
    submitted: str


@dataclass(frozen=True, slots=True)
class EventReport:
    """What one event did, for the CLI to print and tests to inspect."""

    event_id: str
    outcomes: tuple[TriggerOutcome, ...]
    created: tuple[Created, ...] = ()
    errors: tuple[str, ...] = field(default_factory=tuple)


_NOT_HEADERS = frozenset({"host", "transfer-encoding"})
_JSON_START = frozenset('{["-0123456789tfn')


def _encode(reply: dict[str, str]) -> bytes:
    """As Go's ``json.NewEncoder(w).Encode``: compact, one trailing newline."""
    return (json.dumps(reply, separators=(",", ":")) + "\n").encode()


def payload_problem(body: bytes) -> str | None:
    """Why ``body`` fails ``validate_payload.go`` (``json.Unmarshal`` into a map), in Go's words; None if it passes.

    An empty body, or JSON that is not an object (or null), is refused as upstream refuses it.
    """
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return "unexpected end of JSON input"
    if text[0] not in _JSON_START:
        return f"invalid character {text[0]!r} looking for beginning of value"
    try:
        value = json.loads(body)
    except ValueError as exc:
        return str(exc)
    kinds = {list: "array", str: "string", bool: "bool", int: "number", float: "number"}
    kind = kinds.get(type(value))
    if kind is not None:
        return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    return None


def name_suffix() -> str:
    return "".join(_random.choice(_SUFFIX_ALPHABET) for _ in range(5))


class EventListenerSink:
    def __init__(
        self,
        config: ListenerConfig,
        submitter: RunSubmitter,
        *,
        registry: CollectorRegistry | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        workers: int = 4,
        on_report: Callable[[EventReport], None] | None = None,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        new_suffix: Callable[[], str] = name_suffix,
        clock: Clock | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.config = config
        self.submitter = submitter
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = metrics_for(self.registry)
        self.max_body_bytes = max_body_bytes
        self.on_report = on_report
        self._new_id = new_id
        self._new_suffix = new_suffix
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="el-trigger")
        self._pending: set[Future[EventReport]] = set()
        self._lock = threading.Lock()
        self.reports: list[EventReport] = []

    # -- HTTP ---------------------------------------------------------------------------------------------------
    def handle(self, path: str, header_pairs: Sequence[tuple[str, str]], body: bytes, url: str) -> Response:
        start = self.clock.monotonic()
        try:
            return self._handle(path, header_pairs, body, url)
        finally:
            self.metrics.http_duration.observe(self.clock.monotonic() - start)

    def _handle(self, path: str, header_pairs: Sequence[tuple[str, str]], body: bytes, url: str) -> Response:
        route = path.split("?", 1)[0]
        if route == "/live":
            return Response(200, b"ok", "text/plain; charset=utf-8")
        if route == "/metrics":
            return Response(200, generate_latest(self.registry), CONTENT_TYPE_LATEST)
        if self.config.payload_validation:
            problem = payload_problem(body)
            if problem is not None:
                self.metrics.events.labels(status="failed").inc()
                http_log.warning("request to %s refused (400): invalid JSON body: %s", route, problem)
                return self.error_response(400, f"Invalid event body format : {problem}")
        event_id = self._new_id()
        # Go moves Host out of the request's header map, so bindings and interceptors never see it.
        header = canonical([(k, v) for k, v in header_pairs if k.lower() not in _NOT_HEADERS])
        event = Event(body=body, header=header, url=url, event_id=event_id)
        self.metrics.events.labels(status="succeeded").inc()
        future = self._pool.submit(self.process, event)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        reply = {
            "eventListener": self.config.name,
            "namespace": self.config.namespace,
            "eventListenerUID": self.config.uid,
            "eventID": event_id,
        }
        return Response(202, _encode(reply))

    def error_response(self, status: int, message: str) -> Response:
        # sink.go Response: eventListenerUID has no omitempty, so it is present (empty) on errors too.
        reply = {
            "eventListener": self.config.name,
            "namespace": self.config.namespace,
            "eventListenerUID": "",
            "errorMessage": message,
        }
        return Response(status, _encode(reply))

    # -- triggers -----------------------------------------------------------------------------------------------
    def process(self, event: Event) -> EventReport:
        """Run every trigger for ``event`` and submit what they create (synchronously; ``handle`` schedules it)."""
        outcomes: list[TriggerOutcome] = []
        created: list[Created] = []
        errors: list[str] = []
        for trigger in self.config.triggers:
            uid = str(uuid.uuid4())
            try:
                outcome = process_trigger(self.config, trigger, event, uid=uid, name_suffix=self._new_suffix)
            except ShipyardError as exc:
                outcome = TriggerOutcome(trigger.name, False, str(exc))
            outcomes.append(outcome)
            if not outcome.accepted:
                where = f" by interceptor {outcome.interceptor}" if outcome.interceptor else ""
                log.info("event %s: trigger %s rejected%s: %s", event.event_id, trigger.name, where, outcome.message)
                continue
            for res in outcome.resources:
                kind = str(res.get("kind"))
                name = str(res["metadata"]["name"])
                try:
                    submitted = self.submitter.submit(res)
                except ShipyardError as exc:
                    errors.append(f"trigger {trigger.name}: could not create {kind}/{name}: {exc}")
                    log.warning(
                        "event %s: trigger %s: could not create %s/%s: %s",
                        event.event_id,
                        trigger.name,
                        kind,
                        name,
                        exc,
                    )
                    continue
                self.metrics.resources.labels(kind=kind).inc()
                created.append(Created(trigger.name, kind, name, submitted))
                log.info("event %s: trigger %s created %s/%s", event.event_id, trigger.name, kind, name)
        report = EventReport(event.event_id, tuple(outcomes), tuple(created), tuple(errors))
        with self._lock:
            self.reports.append(report)
        if self.on_report is not None:
            self.on_report(report)
        return report

    def _done(self, future: Future[EventReport]) -> None:
        with self._lock:
            self._pending.discard(future)
        exc = future.exception()
        if exc is not None:
            log.error("trigger processing failed: %s", exc)

    def drain(self, timeout: float | None = None) -> None:
        """Wait for every event accepted so far to be processed."""
        with self._lock:
            pending = set(self._pending)
        wait(pending, timeout=timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
