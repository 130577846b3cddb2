"""What an operator sees: request ids, JSON log lines, Prometheus metrics, error tracking."""

from __future__ import annotations

import gzip
import io
import json
import logging
import re
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adminapp.config import ConfigError, from_environment
from adminapp.request_log import JsonFormatter, JsonHandler
from models import OrderStatus, OutboxStatus, db, utcnow

from . import factories
from .conftest import login

TOKEN = "metrics-token-for-the-tests"


# -- request ids -------------------------------------------------------------------------------


def test_every_response_carries_a_request_id_made_or_taken(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["X-Request-ID"] != made
    offered = "nginx-4f1c2a9be0d34e5f"
    assert client.get("/healthz", headers={"X-Request-ID": offered}).headers["X-Request-ID"] == (
        offered
    )


@pytest.mark.parametrize(
    "offered", ["short", "a b c d e f g h", "x" * 129, "id;Set-Cookie=x<script>"]
)
def test_a_request_id_that_is_not_one_is_replaced(client, offered):
    returned = client.get("/login", headers={"X-Request-ID": offered}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", returned)


# -- JSON log lines ----------------------------------------------------------------------------


@pytest.fixture
def log_lines(app):
    """Every log line the app writes during the test, as JSON objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    # Also the stderr handler that LOG_FORMAT=json installed: later tests log as before.
    for installed in [h for h in root.handlers if h is handler or isinstance(h, JsonHandler)]:
        root.removeHandler(installed)
    root.setLevel(level)


@pytest.mark.config(LOG_FORMAT="json")
def test_each_request_ends_with_one_json_line_saying_who_asked_what(app, client, world, log_lines):
    login(client, world.a.admin_email)
    response = client.get(
        "/portal/orders/?search=secret-query", headers={"X-Request-ID": "req-1234567890"}
    )
    assert response.status_code == 200
    (line,) = [
        line
        for line in log_lines()
        if line["logger"] == "kundportal.request" and line.get("request_id") == "req-1234567890"
    ]
    assert line["level"] == "INFO"
    assert line["method"] == "GET"
    assert line["path"] == "/portal/orders/"  # never the query
    assert line["status"] == 200
    assert line["user_id"] == world.a.admin_id
    assert line["customer_id"] == world.a.customer_id
    assert 0 < line["duration_ms"] < 60_000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["timestamp"])
    assert "secret-query" not in json.dumps(log_lines())


@pytest.mark.config(LOG_FORMAT="json")
def test_log_lines_carry_no_token_password_or_personal_number(app, client, world, log_lines):
    token = "Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE"
    client.get(f"/password/set/{token}")
    page = client.get("/login")
    from .conftest import csrf_token_from

    client.post(
        "/login",
        data={
            "email": world.a.admin_email,
            "password": "my-secret-password-1",
            "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        },
    )
    with app.test_request_context():
        app.logger.warning("Looked up 19850214-3459 and 01018012345 for a test")
    written = json.dumps(log_lines())
    assert "/password/set/[token]" in written
    assert token not in written
    assert "my-secret-password-1" not in written
    assert "3459" not in written and "01018012345" not in written
    assert "[personal number]" in written


def test_log_format_is_checked_when_the_app_starts(tmp_path):
    environ = {"SECRET_KEY": "x", "DATA_ENCRYPTION_KEYS": "", "LOG_FORMAT": "xml"}
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        from_environment(tmp_path, environ)
    production = {
        "KUNDPORTAL_ENV": "production",
        "SECRET_KEY": "x",
        "DATA_ENCRYPTION_KEYS": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
    }
    assert from_environment(tmp_path, production)["LOG_FORMAT"] == "json"
    assert from_environment(tmp_path, {})["LOG_FORMAT"] == "text"


# -- metrics -------------------------------------------------------------------------------------


def _metrics(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.config(METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_metrics_need_the_token(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert "kundportal_" not in response.get_data(as_text=True)


@pytest.mark.config(METRICS_TOKEN=TOKEN)
def test_metrics_read_orders_and_the_outbox_from_the_database(app, client, world):
    with app.app_context():
        orderer = db.session.get(factories.User, world.a.orderer_id)
        for _ in range(3):
            factories.order(orderer=orderer, status=OrderStatus.AWAITING_ATTESTATION)
        factories.outbox_message(next_attempt_at=utcnow() - timedelta(minutes=10))
        factories.outbox_message(next_attempt_at=utcnow() - timedelta(minutes=1))
        factories.outbox_message(next_attempt_at=utcnow() + timedelta(hours=1))  # not due
        factories.outbox_message(status=OutboxStatus.FAILED)
        db.session.commit()
    samples = _metrics(client)
    assert samples[("kundportal_orders", (("status", "awaiting_attestation"),))] == 3
    assert samples[("kundportal_orders", (("status", "draft"),))] == 2  # the world's
    assert samples[("kundportal_orders", (("status", "completed"),))] == 0
    assert samples[("kundportal_outbox_due", ())] == 2
    assert 590 < samples[("kundportal_outbox_oldest_due_age_seconds", ())] < 900
    assert samples[("kundportal_outbox_failed", ())] == 1


@pytest.mark.config(METRICS_TOKEN=TOKEN)
def test_metrics_count_logins_by_method_and_outcome(app, client, world):
    def logins(outcome):
        key = (("method", "password"), ("outcome", outcome))
        return _metrics(client).get(("kundportal_logins_total", key), 0)

    failed, succeeded = logins("failed"), logins("success")
    login(client, world.a.admin_email, "not-the-password")
    login(client, "nobody@example.com", "not-the-password")
    assert logins("failed") == failed + 2
    login(client, world.a.admin_email)
    assert logins("success") == succeeded + 1


@pytest.mark.config(METRICS_TOKEN=TOKEN)
def test_metrics_count_sms_codes_and_strong_auth_outcomes(app, client, world, sms_gateway):
    from adminapp.errors import NotAllowed
    from adminapp.services import strong_auth
    from models import User

    def value(name, **labels):
        return _metrics(client).get((name, tuple(sorted(labels.items()))), 0)

    sent, failed = (
        value("kundportal_sms_total", outcome="sent"),
        value("kundportal_sms_total", outcome="failed"),
    )
    completed = value("kundportal_strong_auth_total", method="sms", outcome="completed")
    with app.app_context():
        user = db.session.get(User, world.a.attestant_id)
        user.phone = "+46701234567"
        challenge = strong_auth.start(
            purpose="attest_order", object_id=1, text="Attest", method="sms", user=user
        )
        db.session.commit()
        code = re.search(r"\b(\d{6})\b", sms_gateway.sent[-1].message).group(1)
        strong_auth.verify_code(challenge, code)
        db.session.commit()
        sms_gateway.fail_next()
        with pytest.raises(NotAllowed):
            strong_auth.start(
                purpose="attest_order", object_id=2, text="Attest", method="sms", user=user
            )
        db.session.rollback()
    assert value("kundportal_sms_total", outcome="sent") == sent + 1
    assert value("kundportal_sms_total", outcome="failed") == failed + 1
    assert value("kundportal_strong_auth_total", method="sms", outcome="completed") == (
        completed + 1
    )


@pytest.mark.config(METRICS_TOKEN=TOKEN)
def test_metrics_time_requests_by_endpoint_and_status(client):
    key = (("endpoint", "health.readyz"), ("method", "GET"), ("status", "200"))
    before = _metrics(client).get(("kundportal_request_duration_seconds_count", key), 0)
    client.get("/readyz")
    client.get("/readyz")
    after = _metrics(client)
    assert after[("kundportal_request_duration_seconds_count", key)] == before + 2
    missing = (("endpoint", "unmatched"), ("method", "GET"), ("status", "404"))
    client.get("/no-such-page")
    assert _metrics(client)[("kundportal_request_duration_seconds_count", missing)] >= 1


# -- error tracking ------------------------------------------------------------------------------


class _SentrySink(ThreadingHTTPServer):
    """A stand-in for Sentry's ingest endpoint: keeps every envelope it is sent."""

    def __init__(self):
        self.envelopes: list[str] = []
        self.received = threading.Event()
        super().__init__(("127.0.0.1", 0), _SentryHandler)


class _SentryHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.envelopes.append(body.decode("utf-8", "replace"))
        self.server.received.set()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_sink():
    sink = _SentrySink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    yield sink
    import sentry_sdk

    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)
    sink.shutdown()
    sink.server_close()


@pytest.mark.config(PROPAGATE_EXCEPTIONS=False)
def test_errors_reach_sentry_without_personal_data(app, sentry_sink):
    import secrets

    import sentry_sdk

    from adminapp.error_tracking import init_error_tracking

    app.config["SENTRY_DSN"] = f"http://publickey@127.0.0.1:{sentry_sink.server_address[1]}/1"
    assert init_error_tracking(app)
    # Made here, so that the test's own source (sent as context) does not hold them.
    number = f"19850214-{secrets.randbelow(9000) + 1000}"
    token = secrets.token_urlsafe(32)
    cookie = secrets.token_hex(16)

    @app.get("/boom/<path:rest>")
    def boom(rest):
        raise RuntimeError(f"failed for {number} at /password/set/{token}")

    response = app.test_client().get(
        f"/boom/x?personal_number={number.replace('-', '')}",
        headers={"Cookie": f"session={cookie}", "X-Request-ID": "req-sentry-12345"},
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    assert sentry_sink.received.wait(5), "no event reached the Sentry stand-in"
    sent = "\n".join(sentry_sink.envelopes)
    assert "RuntimeError" in sent and "failed for [personal number]" in sent
    assert "req-sentry-12345" in sent  # the request id leads to the log line
    for secret in (number, number.replace("-", ""), token, cookie):
        assert secret not in sent
