"""A real Prometheus (Debian's binary) on 127.0.0.1 scraping a tiny exporter served from the test process."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, Gauge, start_http_server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail("the Debian prometheus package is required (make debs)")
    registry = CollectorRegistry()
    Gauge("shipyard_test_success_ratio", "test gauge", ["app"], registry=registry).labels(app="canary").set(0.99)
    Gauge("shipyard_test_latency_seconds", "test gauge", registry=registry).set(0.21)
    exporter_port = _free_port()
    server, thread = start_http_server(exporter_port, addr="127.0.0.1", registry=registry)
    work = tmp_path_factory.mktemp("prometheus")
    config = work / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - job_name: exporter\n    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={Path(work) / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"prometheus exited: {err[-2000:]}")
            try:
                r = httpx.get(f"{address}/api/v1/query", params={"query": "shipyard_test_success_ratio"}, timeout=2)
                if r.status_code == 200 and r.json()["data"]["result"]:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("prometheus did not scrape the test exporter within 60s")
            time.sleep(0.25)
        yield address
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        server.shutdown()
        thread.join(timeout=5)
