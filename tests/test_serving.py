"""Production serving: `bin/serve` starts gunicorn with deploy/gunicorn.conf.py, several
workers answer, their metrics add up, a HUP reloads without a refused request and TERM stops.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from adminapp.config import TEST_ENCRYPTION_KEY

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "serving-test-metrics-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(database_url, tmp_path):
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "KUNDPORTAL_ENV": "production",
        "SECRET_KEY": "serving-test-secret",
        "DATA_ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "DATABASE_URL": database_url,
        "KUNDPORTAL_INSTANCE": str(tmp_path),
        "KUNDPORTAL_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "BASE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("TEST_DATABASE_URL", None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(ROOT / "bin" / "serve")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, process, log)
        yield base, process, log
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_ready(base, process, log, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn stopped: {log.read_text()[-2000:]}"
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn was not ready in {seconds} s: {log.read_text()[-2000:]}")


def _workers(log: Path) -> set[int]:
    pids = set()
    for line in log.read_text().splitlines():
        if line.startswith("{") and "Booting worker with pid" in line:
            pids.add(int(json.loads(line)["message"].rsplit(" ", 1)[1]))
    return pids


def _request_count(base: str) -> float:
    text = httpx.get(
        base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    ).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "kundportal_request_duration_seconds_count"
                and sample.labels.get("endpoint") == "health.healthz"
            ):
                return sample.value
    return 0


def test_bin_serve_runs_gunicorn_whose_workers_log_json_and_share_metrics(server):
    base, _process, log = server
    with httpx.Client(base_url=base, timeout=5) as client:
        for _ in range(40):  # over fresh connections too, so that both workers answer
            response = client.get("/healthz", headers={"Connection": "close"})
            assert response.status_code == 200
        ready = client.get("/readyz", headers={"X-Request-ID": "serving-test-0001"})
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}
    assert ready.headers["X-Request-ID"] == "serving-test-0001"
    assert len(_workers(log)) == 2
    # Counted by whichever worker answered, read whole from either.
    assert _request_count(base) == 40
    time.sleep(0.5)  # the request line of the last request is written after its response
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    (request_line,) = [line for line in lines if line.get("request_id") == "serving-test-0001"]
    assert request_line["path"] == "/readyz" and request_line["status"] == 200
    assert {line["logger"] for line in lines} >= {"gunicorn.error", "kundportal.request"}


def test_hup_reloads_the_workers_without_refusing_a_request(server):
    base, process, log = server
    before = _workers(log)
    process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=base, timeout=5) as client:
        while time.monotonic() < deadline and not (_workers(log) - before):
            assert client.get("/healthz").status_code == 200
        for _ in range(20):
            assert client.get("/healthz").status_code == 200
    assert len(_workers(log) - before) == 2, "the workers were not replaced"
    process.terminate()
    assert process.wait(30) == 0
    assert "Shutting down" in log.read_text()
