"""``shipyard triggers serve``: run a Tekton Triggers EventListener on this machine until Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry

from shipyard.cli.output import console, err_console
from shipyard.cli.pipeline_view import Progress, state_home
from shipyard.controllers.pipelines import PipelineService
from shipyard.controllers.triggers import DEFAULT_MAX_BODY_BYTES, EventReport
from shipyard.controllers.triggers_engine import engine_listener
from shipyard.errors import SpecError
from shipyard.pipelines.triggers.config import ListenerConfig
from shipyard.resources.loader import Document, load_documents

app = typer.Typer(name="triggers", help="Tekton Triggers: run an EventListener that starts pipelines from webhooks.")


def _read_secret(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"cannot read the secret file: {exc.strerror}", file=str(path)) from exc
    # `echo s3cret > file` leaves a newline that is not part of the secret.
    for end in (b"\r\n", b"\n"):
        if data.endswith(end):
            return data[: -len(end)]
    return data


def _print_report(report: EventReport) -> None:
    for outcome in report.outcomes:
        if outcome.accepted:
            made = [f"{c.kind}/{c.name}" for c in report.created if c.trigger == outcome.trigger]
            if made:
                console.print(
                    f"event {report.event_id}: trigger {outcome.trigger} created {', '.join(made)}",
                    markup=False,
                    soft_wrap=True,
                )
        else:
            by = f" by interceptor {outcome.interceptor}" if outcome.interceptor else ""
            console.print(
                f"event {report.event_id}: trigger {outcome.trigger} rejected{by}: {outcome.message}",
                markup=False,
                soft_wrap=True,
            )
    for error in report.errors:
        err_console.print(f"event {report.event_id}: {error}", markup=False, soft_wrap=True)


class _ConsoleLog(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        err_console.print(record.getMessage(), markup=False, soft_wrap=True)


def _describe(config: ListenerConfig) -> str:
    n = len(config.triggers)
    return f"EventListener {config.namespace}/{config.name} ({n} trigger{'s' if n != 1 else ''})"


@app.command("serve")
def serve(
    files: Annotated[
        list[Path],
        typer.Option(
            "-f", "--filename", help="EventListener, bindings, templates, Secrets, Tasks, Pipelines (repeatable)"
        ),
    ],
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0 picks a free one)")] = 8080,
    address: Annotated[str, typer.Option("--address", help="Address to bind")] = "127.0.0.1",
    resources: Annotated[
        list[Path] | None, typer.Option("--resources", help="Directory of Tasks/Pipelines for refs")
    ] = None,
    secret_file: Annotated[
        Path | None, typer.Option("--secret-file", help="Webhook secret for every secretRef")
    ] = None,
    listener: Annotated[
        str | None, typer.Option("--listener", help="Which EventListener, when the files hold several")
    ] = None,
    max_body_bytes: Annotated[
        int, typer.Option("--max-body-bytes", help="Larger requests get 413")
    ] = DEFAULT_MAX_BODY_BYTES,
    parallel: Annotated[int, typer.Option("--parallel", help="Tasks run at once per pipeline")] = 4,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not stream the runs' step output")] = False,
) -> None:
    """Listen for webhooks and create the PipelineRuns the EventListener's triggers say."""
    docs: list[Document] = load_documents(list(files))
    extra: list[Document] = load_documents(list(resources or []))
    override = _read_secret(secret_file) if secret_file is not None else None
    # One registry: the engine's Tekton metrics and the listener's are both on the listener's /metrics.
    registry = CollectorRegistry()
    progress = Progress(quiet=quiet)
    service = PipelineService(
        state_home(), registry=registry, parallel=parallel, on_log=progress.log, on_event=progress.event
    )
    server = engine_listener(
        docs + extra,
        service,
        registry=registry,
        address=address,
        port=port,
        listener=listener,
        secret_override=override,
        max_body_bytes=max_body_bytes,
        on_report=_print_report,
    )
    config = server.sink.config
    sink_log = logging.getLogger("shipyard.triggers.http")
    handler = _ConsoleLog(level=logging.WARNING)
    sink_log.addHandler(handler)
    stop = threading.Event()

    def _on_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Ctrl-C and SIGTERM both stop the listener cleanly (a backgrounded process may have SIGINT ignored).
    previous = {sig: signal.signal(sig, _on_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    server.start()
    console.print(f"{_describe(config)} listening on {server.url}", markup=False, soft_wrap=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for sig, handler_before in previous.items():
            signal.signal(sig, handler_before)
        sink_log.removeHandler(handler)
    console.print("stopped", markup=False, soft_wrap=True)
