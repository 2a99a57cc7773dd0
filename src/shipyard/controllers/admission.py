"""``shipyard policy serve``: an AdmissionReview v1 webhook over HTTPS on 127.0.0.1 (stdlib ``http.server``).

POST ``/mutate`` (or ``/``) answers with patches (tag → digest); POST ``/validate`` answers allowed/denied only, as
a validating webhook must. A body that is not an AdmissionReview gets 400; an evaluation error denies the request
(failurePolicy Fail) with code 500 and says why. Bodies are capped; keys and certificates are never logged.
"""

from __future__ import annotations

import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from shipyard.errors import ShipyardError, SpecError
from shipyard.supplychain.policy.admission import API_VERSION, parse_review, review
from shipyard.supplychain.policy.engine import PolicyEngine

MAX_BODY = 4 << 20


class _Handler(BaseHTTPRequestHandler):
    server: AdmissionHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        self.server.log_lines.append(format % args)

    def _send(self, code: int, doc: dict[str, Any]) -> None:
        body = json.dumps(doc, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path in ("/healthz", "/readyz"):
            self._send(200, {"status": "ok"})
        else:
            self._send(404, {"error": "POST an AdmissionReview to /mutate or /validate"})

    def do_POST(self) -> None:
        if self.path not in ("/", "/mutate", "/validate"):
            self._send(404, {"error": f"unknown path {self.path}"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length <= 0 or length > MAX_BODY:
            self._send(413 if length > MAX_BODY else 400, {"error": f"body must be 1..{MAX_BODY} bytes"})
            return
        body = self.rfile.read(length)
        try:
            request = parse_review(body)
        except SpecError as exc:
            self._send(400, {"error": str(exc)})
            return
        try:
            with self.server.lock:
                answer = review(self.server.engine, body, mutating=self.path != "/validate")
        except ShipyardError as exc:
            answer = _denied(request["uid"], str(exc))
        except Exception as exc:  # the webhook must answer: an unforeseen error denies (fail closed)
            answer = _denied(request["uid"], f"internal error evaluating the request: {type(exc).__name__}")
        self._send(200, answer)


def _denied(uid: str, message: str) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "AdmissionReview",
        "response": {"uid": uid, "allowed": False, "status": {"code": 500, "message": message}},
    }


class AdmissionHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, engine: PolicyEngine, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.engine = engine
        self.lock = threading.Lock()
        self.log_lines: list[str] = []


class AdmissionServer:
    """Start with ``start()`` (background thread) or ``serve_forever()``; TLS when a cert and key are given."""

    def __init__(
        self, engine: PolicyEngine, *, port: int = 0, tls_cert: Path | None = None, tls_key: Path | None = None
    ) -> None:
        self.httpd = AdmissionHTTPServer(engine, port)
        self.tls = tls_cert is not None
        if tls_cert is not None:
            if tls_key is None:
                raise SpecError("--tls-cert needs --tls-key")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            try:
                context.load_cert_chain(str(tls_cert), str(tls_key))
            except (OSError, ssl.SSLError) as exc:
                raise SpecError(f"cannot load the TLS certificate/key: {exc}", file=str(tls_cert)) from exc
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="admission-webhook", daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
