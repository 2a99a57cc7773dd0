"""The EventListener's HTTP server: a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 by default, every method and
path passed to ``EventListenerSink.handle``. Body size is capped before reading (413), and the read timeout is
upstream's 5 s (``-el-readtimeout``), so a slow client cannot hold a worker.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shipyard.controllers.triggers import EventListenerSink, Response, http_log
from shipyard.errors import ExecutionError

READ_TIMEOUT_SECONDS = 5.0


class _BodyTooLarge(Exception):
    pass


class _BadRequest(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        return  # the sink logs each event's outcome; access logs would only repeat it

    def _read_body(self) -> bytes:
        limit = self.server.sink.max_body_bytes
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";", 1)[0].strip() or b"x", 16)
                except ValueError as exc:
                    raise _BadRequest("malformed chunked encoding") from exc
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > limit:
                    raise _BodyTooLarge
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError as exc:
            raise _BadRequest("invalid Content-Length") from exc
        if length < 0:
            raise _BadRequest("invalid Content-Length")
        if length > limit:
            raise _BodyTooLarge
        return self.rfile.read(length)

    def _serve(self) -> None:
        sink = self.server.sink
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self.close_connection = True
            sink.metrics.events.labels(status="failed").inc()
            limit = sink.max_body_bytes
            http_log.warning("request to %s refused (413): body larger than %d bytes", self.path, limit)
            self._send(sink.error_response(413, f"request body larger than the limit of {limit} bytes"))
            return
        except _BadRequest as exc:
            self.close_connection = True
            http_log.warning("request to %s refused (400): %s", self.path, exc)
            self._send(sink.error_response(400, str(exc)))
            return
        # The interceptors' requestURL is Go's request.URL.String(): the request target, e.g. "/hook?x=1".
        url = self.path
        self._send(sink.handle(self.path, list(self.headers.items()), body, url))

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sink: EventListenerSink) -> None:
        self.sink = sink
        super().__init__(address, _Handler)


class ListenerServer:
    """Owns the socket and the serving thread; ``with ListenerServer(sink, port=0) as srv: srv.url``."""

    def __init__(self, sink: EventListenerSink, *, address: str = "127.0.0.1", port: int = 8080) -> None:
        self.sink = sink
        try:
            self._server = _Server((address, port), sink)
        except OSError as exc:
            raise ExecutionError(f"cannot listen on {address}:{port}: {exc.strerror}") from exc
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def start(self) -> ListenerServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="eventlistener", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self.sink.drain()
        self.sink.close()

    def __enter__(self) -> ListenerServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
