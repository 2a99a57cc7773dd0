"""A tiny HTTP server: GET /healthz, POST /orders/total and POST /orders/receipt."""

from __future__ import annotations

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app.orders import total
from app.receipt import parse_lines, receipt

VERSION = os.environ.get("APP_VERSION", "dev")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._reply(200, {"status": "ok", "version": VERSION})
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path not in ("/orders/total", "/orders/receipt"):
            self._reply(404, {"error": "not found"})
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        lines = parse_lines(body)
        discount = int(body.get("discount_percent", 0))
        if self.path == "/orders/receipt":
            data = receipt(lines, discount_percent=discount).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self._reply(200, {"total": str(total(lines, discount_percent=discount))})

    def _reply(self, code: int, payload: dict[str, object]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    host = os.environ.get("HOST", "0.0.0.0")  # a container listens on its own interface; HOST narrows it
    ThreadingHTTPServer((host, int(os.environ.get("PORT", "8080"))), Handler).serve_forever()


if __name__ == "__main__":
    main()
